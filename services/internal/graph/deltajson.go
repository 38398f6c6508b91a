package graph

import (
	"errors"
	"fmt"
)

var errNotObject = errors.New("not a JSON object")

// decodeDelta decodes one delta page: entries with "@removed" become
// Removed, the others conv's objects. conv gets each entry's raw JSON and
// its top-level properties; objects keep their properties as the bytes
// Graph sent (Raw), in which a property Graph sent as null is present as
// null and an absent one stays absent.
func decodeDelta[T any](body []byte, conv func(obj []byte, props []prop) (T, error)) (DeltaPage[T], error) {
	if !jsonObject(body) {
		return DeltaPage[T]{}, fmt.Errorf("decode page: %w", errNotObject)
	}
	if err := checkJSON(body); err != nil {
		return DeltaPage[T]{}, fmt.Errorf("decode page: %w", err)
	}
	// Property names are matched exactly, as the SDK read them
	// (encoding/json's struct decoding would read "vAlue" as "value").
	var top []prop
	if err := eachProp(body, func(p prop) error { top = append(top, p); return nil }); err != nil {
		return DeltaPage[T]{}, fmt.Errorf("decode page: %w", err)
	}
	var page DeltaPage[T]
	var errs [3]error
	page.NextLink, errs[0] = rawString(top, "@odata.nextLink")
	page.DeltaLink, errs[1] = rawString(top, "@odata.deltaLink")
	value := lookup(top, "value")
	if !isNull(value) && value[0] != '[' {
		errs[2] = fmt.Errorf("property value: want an array, got %s", rawType(value))
	}
	if err := errors.Join(errs[:]...); err != nil {
		return DeltaPage[T]{}, fmt.Errorf("decode page: %w", err)
	}
	if isNull(value) {
		return page, nil
	}
	var props []prop // reused: conv must not keep it
	err := eachElement(value, func(i int, e []byte) error {
		props = props[:0]
		if e[0] != '{' {
			return fmt.Errorf("entry %d: %w", i, errNotObject)
		}
		if err := eachProp(e, func(p prop) error { props = append(props, p); return nil }); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		id, err := entryID(props)
		if err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		if rm := lookup(props, "@removed"); !isNull(rm) {
			reason, _ := rawAny(rm)
			page.Removed = append(page.Removed, Removed{ID: id, Reason: removedReason(reason)})
			return nil
		}
		obj, err := conv(e, props)
		if err != nil {
			return fmt.Errorf("entry %d (%s): %w", i, id, err)
		}
		page.Objects = append(page.Objects, obj)
		return nil
	})
	if err != nil {
		return DeltaPage[T]{}, fmt.Errorf("decode page: %w", err)
	}
	return page, nil
}

// entryID is the id every delta entry carries; without one neither an
// object nor a removal can be applied.
func entryID(props []prop) (string, error) {
	id, err := rawString(props, "id")
	if err == nil && id == "" {
		err = errors.New("no id")
	}
	return id, err
}

// removedReason reads "@removed": {"reason": ...}; Graph's "changed" is a
// soft delete, "deleted" (also the default) a permanent one. An
// "@removed" of null counts as absent, as the SDK read it.
func removedReason(raw any) string {
	if m, ok := raw.(map[string]any); ok {
		if r, ok := m["reason"].(string); ok && r != "" {
			return r
		}
	}
	return "deleted"
}

// dropped are the properties that do not go into Raw: OData annotations
// (@odata.type, @odata.etag, @removed) describe the payload, not the
// object; manager@delta and members@delta are decoded into Manager and
// Members.
func dropped(name []byte) bool {
	return len(name) > 0 && name[0] == '@' || string(name) == "manager@delta" || string(name) == "members@delta"
}

func userOfJSON(obj []byte, props []prop) (User, error) {
	var u User
	var errs [8]error
	u.ID, errs[0] = rawString(props, "id")
	u.UserPrincipalName, errs[1] = rawString(props, "userPrincipalName")
	u.DisplayName, errs[2] = rawString(props, "displayName")
	u.Mail, errs[3] = rawString(props, "mail")
	u.UserType, errs[4] = rawString(props, "userType")
	u.ExternalUserState, errs[5] = rawString(props, "externalUserState")
	u.AccountEnabled, errs[6] = rawBool(props, "accountEnabled")
	u.DeletedDateTime, errs[7] = rawTime(props, "deletedDateTime")
	if err := errors.Join(errs[:]...); err != nil {
		return User{}, err
	}
	if raw := lookup(props, "manager@delta"); raw != nil {
		v, err := rawAny(raw)
		if err != nil {
			return User{}, fmt.Errorf("manager@delta: %w", err)
		}
		mgr, err := managerOf(v)
		if err != nil {
			return User{}, err
		}
		u.Manager = &mgr
	}
	u.Raw = objectJSON(obj, props, dropped)
	return u, nil
}

func groupOfJSON(obj []byte, props []prop) (Group, error) {
	var g Group
	var errs [8]error
	g.ID, errs[0] = rawString(props, "id")
	g.DisplayName, errs[1] = rawString(props, "displayName")
	g.MailNickname, errs[2] = rawString(props, "mailNickname")
	g.Description, errs[3] = rawString(props, "description")
	g.SecurityEnabled, errs[4] = rawBool(props, "securityEnabled")
	g.MailEnabled, errs[5] = rawBool(props, "mailEnabled")
	g.GroupTypes, errs[6] = rawStrings(props, "groupTypes")
	g.DeletedDateTime, errs[7] = rawTime(props, "deletedDateTime")
	if err := errors.Join(errs[:]...); err != nil {
		return Group{}, err
	}
	if raw := lookup(props, "members@delta"); raw != nil {
		v, err := rawAny(raw)
		if err != nil {
			return Group{}, fmt.Errorf("members@delta: %w", err)
		}
		g.Members = memberChangesOf(v)
	}
	g.Raw = objectJSON(obj, props, dropped)
	return g, nil
}

// memberChangesOf reads members@delta: [{"@odata.type","id","@removed"}].
// Entries that are not objects are skipped; "@removed": null is absent.
func memberChangesOf(raw any) []MemberChange {
	list, _ := raw.([]any)
	out := make([]MemberChange, 0, len(list))
	for _, e := range list {
		em, ok := e.(map[string]any)
		if !ok {
			continue
		}
		id, _ := em["id"].(string)
		typ, _ := em["@odata.type"].(string)
		removed := em["@removed"] != nil
		out = append(out, MemberChange{ID: id, Type: typ, Removed: removed})
	}
	return out
}

// managerOf reads manager@delta: [{"@odata.type","id"}] names the current
// manager; an entry with "@removed" (reason "changed": the link went,
// "deleted": the manager did) says the user has none now, as do null and
// an empty list. With several entries the last live one wins.
func managerOf(raw any) (string, error) {
	if raw == nil {
		return "", nil
	}
	list, ok := raw.([]any)
	if !ok {
		return "", errors.New("manager@delta: not a list")
	}
	mgr := ""
	for _, e := range list {
		em, ok := e.(map[string]any)
		if !ok {
			return "", errors.New("manager@delta: entry is not an object")
		}
		id, ok := em["id"].(string)
		if !ok || id == "" {
			return "", errors.New("manager@delta: entry without id")
		}
		if em["@removed"] != nil {
			if mgr == id {
				mgr = ""
			}
			continue
		}
		mgr = id
	}
	return mgr, nil
}
