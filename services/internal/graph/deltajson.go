package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

var errNotObject = errors.New("not a JSON object")

// decodeDelta decodes one delta page: entries with "@removed" become
// Removed, the others conv's objects. In Attributes a property Graph sent
// as null is present with a nil value and an absent one stays absent.
func decodeDelta[T any](body []byte, conv func(map[string]any) (T, error)) (DeltaPage[T], error) {
	if !jsonObject(body) {
		return DeltaPage[T]{}, fmt.Errorf("decode page: %w", errNotObject)
	}
	// Into a map, not a struct: encoding/json matches struct fields
	// case-insensitively ("vAlue" would be read as "value"); Graph's names
	// are exact, as the SDK read them.
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		return DeltaPage[T]{}, fmt.Errorf("decode page: %w", err)
	}
	var page DeltaPage[T]
	var errs [3]error
	page.NextLink, errs[0] = stringProp(raw, "@odata.nextLink")
	page.DeltaLink, errs[1] = stringProp(raw, "@odata.deltaLink")
	value, ok := raw["value"].([]any)
	if !ok && raw["value"] != nil {
		errs[2] = propTypeError("value", "an array", raw["value"])
	}
	if err := errors.Join(errs[:]...); err != nil {
		return DeltaPage[T]{}, fmt.Errorf("decode page: %w", err)
	}
	for i, e := range value {
		m, ok := e.(map[string]any)
		if !ok {
			return DeltaPage[T]{}, fmt.Errorf("decode page: entry %d: %w", i, errNotObject)
		}
		id, err := entryID(m)
		if err != nil {
			return DeltaPage[T]{}, fmt.Errorf("decode page: entry %d: %w", i, err)
		}
		if rm := m["@removed"]; rm != nil {
			page.Removed = append(page.Removed, Removed{ID: id, Reason: removedReason(rm)})
			continue
		}
		obj, err := conv(m)
		if err != nil {
			return DeltaPage[T]{}, fmt.Errorf("decode page: entry %d (%s): %w", i, id, err)
		}
		if page.Objects == nil {
			page.Objects = make([]T, 0, len(value)-i)
		}
		page.Objects = append(page.Objects, obj)
	}
	return page, nil
}

// entryID is the id every delta entry carries; without one neither an
// object nor a removal can be applied.
func entryID(m map[string]any) (string, error) {
	id, err := stringProp(m, "id")
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

// dropAnnotations removes OData annotations (@odata.type, @odata.etag,
// @removed): they describe the payload, not the object.
func dropAnnotations(m map[string]any) {
	for k := range m {
		if strings.HasPrefix(k, "@") {
			delete(m, k)
		}
	}
}

func userOfJSON(m map[string]any) (User, error) {
	var u User
	var errs [8]error
	u.ID, errs[0] = stringProp(m, "id")
	u.UserPrincipalName, errs[1] = stringProp(m, "userPrincipalName")
	u.DisplayName, errs[2] = stringProp(m, "displayName")
	u.Mail, errs[3] = stringProp(m, "mail")
	u.UserType, errs[4] = stringProp(m, "userType")
	u.ExternalUserState, errs[5] = stringProp(m, "externalUserState")
	u.AccountEnabled, errs[6] = boolProp(m, "accountEnabled")
	u.DeletedDateTime, errs[7] = timeProp(m, "deletedDateTime")
	if err := errors.Join(errs[:]...); err != nil {
		return User{}, err
	}
	if raw, ok := m["manager@delta"]; ok {
		mgr, err := managerOf(raw)
		if err != nil {
			return User{}, err
		}
		u.Manager = &mgr
		delete(m, "manager@delta")
	}
	dropAnnotations(m)
	u.Attributes = Attributes(m)
	return u, nil
}

func groupOfJSON(m map[string]any) (Group, error) {
	var g Group
	var errs [8]error
	g.ID, errs[0] = stringProp(m, "id")
	g.DisplayName, errs[1] = stringProp(m, "displayName")
	g.MailNickname, errs[2] = stringProp(m, "mailNickname")
	g.Description, errs[3] = stringProp(m, "description")
	g.SecurityEnabled, errs[4] = boolProp(m, "securityEnabled")
	g.MailEnabled, errs[5] = boolProp(m, "mailEnabled")
	g.GroupTypes, errs[6] = stringsProp(m, "groupTypes")
	g.DeletedDateTime, errs[7] = timeProp(m, "deletedDateTime")
	if err := errors.Join(errs[:]...); err != nil {
		return Group{}, err
	}
	if raw, ok := m["members@delta"]; ok {
		g.Members = memberChangesOf(raw)
		delete(m, "members@delta")
	}
	dropAnnotations(m)
	g.Attributes = Attributes(m)
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
