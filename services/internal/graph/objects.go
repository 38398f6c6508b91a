package graph

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// Attributes is a directory object as Graph's JSON names it: the attribute
// bag the transformer's mappings read and the writer's intents carry.
// Values are plain JSON types (string, float64, bool, nil, []any,
// map[string]any). A key present with a nil value means "null in Graph".
type Attributes map[string]any

// User is a user as returned by Graph. The typed fields are the ones the
// engine itself branches on; everything returned, typed or not, is also in
// Attributes.
type User struct {
	ID                string
	UserPrincipalName string
	DisplayName       string
	Mail              string
	UserType          string // "Member" or "Guest"
	ExternalUserState string // "PendingAcceptance", "Accepted", ...
	AccountEnabled    *bool
	DeletedDateTime   *time.Time
	// Manager is the manager's object id when Graph reported it: from
	// manager@delta in a delta page, from $expand=manager on a read. nil
	// means not reported (unchanged, in a delta); "" means no manager
	// (removed). It is not in Attributes.
	Manager *string
	// Attributes holds the properties of an object read through the SDK
	// (GetUser, ListUsers, ...); a delta page leaves it nil and sets Raw.
	Attributes Attributes
	// Raw is the object's properties as a delta page sent them: the JSON
	// object without OData annotations and manager@delta, not decoded.
	Raw json.RawMessage
}

// Group is a group as returned by Graph.
type Group struct {
	ID              string
	DisplayName     string
	MailNickname    string
	Description     string
	SecurityEnabled *bool
	MailEnabled     *bool
	GroupTypes      []string
	DeletedDateTime *time.Time
	// Members holds members@delta in a delta page; nil elsewhere.
	Members []MemberChange
	// Attributes and Raw: as in User (Raw without members@delta).
	Attributes Attributes
	Raw        json.RawMessage
}

// Properties is the user's properties decoded: Attributes, or Raw.
func (u User) Properties() (Attributes, error) { return properties(u.Attributes, u.Raw) }

// Properties is the group's properties decoded: Attributes, or Raw.
func (g Group) Properties() (Attributes, error) { return properties(g.Attributes, g.Raw) }

func properties(attrs Attributes, raw json.RawMessage) (Attributes, error) {
	if raw == nil {
		return attrs, nil
	}
	out := Attributes{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decode properties: %w", err)
	}
	return out, nil
}

// Removed says an object (or a member) left the delta scope. Reason is
// Graph's: "changed" for a soft delete (restorable), "deleted" for a
// permanent one.
type Removed struct {
	ID     string
	Reason string
}

// MemberChange is one entry of a group's members@delta.
type MemberChange struct {
	ID      string
	Type    string // "#microsoft.graph.user", "#microsoft.graph.group"
	Removed bool
}

// userFromModel converts an SDK user; selected is the $select of the
// request, if any.
func userFromModel(m models.Userable, selected ...string) (User, error) {
	attrs, err := attributesOf(m)
	if err != nil {
		return User{}, err
	}
	attrs = withSelected(attrs, selected)
	return User{
		ID:                deref(m.GetId()),
		UserPrincipalName: deref(m.GetUserPrincipalName()),
		DisplayName:       deref(m.GetDisplayName()),
		Mail:              deref(m.GetMail()),
		UserType:          deref(m.GetUserType()),
		ExternalUserState: deref(m.GetExternalUserState()),
		AccountEnabled:    m.GetAccountEnabled(),
		DeletedDateTime:   m.GetDeletedDateTime(),
		Attributes:        attrs,
	}, nil
}

func groupFromModel(m models.Groupable, selected ...string) (Group, error) {
	attrs, err := attributesOf(m)
	if err != nil {
		return Group{}, err
	}
	attrs = withSelected(attrs, selected)
	return Group{
		ID:              deref(m.GetId()),
		DisplayName:     deref(m.GetDisplayName()),
		MailNickname:    deref(m.GetMailNickname()),
		Description:     deref(m.GetDescription()),
		SecurityEnabled: m.GetSecurityEnabled(),
		MailEnabled:     m.GetMailEnabled(),
		GroupTypes:      m.GetGroupTypes(),
		DeletedDateTime: m.GetDeletedDateTime(),
		Attributes:      attrs,
	}, nil
}

// attributesOf renders a model back to Graph's JSON names with the plain
// kiota JSON writer (no backing-store proxy, so every value is written, not
// only changed ones). Properties Graph sent as null are absent: the
// generated deserializers skip nil values, so a model cannot tell null from
// missing; withSelected restores them for $select responses.
func attributesOf(p absser.Parsable) (Attributes, error) {
	w := jsonser.NewJsonSerializationWriter()
	defer w.Close()
	if err := w.WriteObjectValue("", p); err != nil {
		return nil, fmt.Errorf("serialize %T: %w", p, err)
	}
	raw, err := w.GetSerializedContent()
	if err != nil {
		return nil, fmt.Errorf("serialize %T: %w", p, err)
	}
	attrs := Attributes{}
	if err := json.Unmarshal(raw, &attrs); err != nil {
		return nil, fmt.Errorf("decode %T: %w", p, err)
	}
	// OData annotations (@odata.type, @odata.context, @removed) describe
	// the payload, not the object.
	for k := range attrs {
		if strings.HasPrefix(k, "@") {
			delete(attrs, k)
		}
	}
	// Unknown properties (extension attributes) keep their nulls.
	for k, v := range additionalData(p) {
		if _, seen := attrs[k]; !seen && v == nil && !strings.HasPrefix(k, "@") {
			attrs[k] = nil
		}
	}
	return attrs, nil
}

// withSelected marks selected properties that Graph returned as null (and
// the SDK therefore dropped) as present with a nil value: for a $select
// response, absent means null.
func withSelected(attrs Attributes, selected []string) Attributes {
	for _, k := range selected {
		if k == "*" || strings.Contains(k, "/") {
			continue
		}
		if _, ok := attrs[k]; !ok {
			attrs[k] = nil
		}
	}
	return attrs
}

func additionalData(p absser.Parsable) map[string]any {
	if h, ok := p.(absser.AdditionalDataHolder); ok {
		return h.GetAdditionalData()
	}
	return nil
}

// userModel carries an attribute bag in a request body. Everything goes in
// AdditionalData, which the SDK writes verbatim (nil as null), so PATCH sends
// exactly the given properties plus the model's "@odata.type". Do not
// SetOdataType(nil) to drop it: the backing store then serializes the nil
// under its Go-side key as "odataType": null, which Graph rejects.
func userModel(attrs Attributes) models.Userable {
	m := models.NewUser()

	m.SetAdditionalData(map[string]any(attrs))
	return m
}

func groupModel(attrs Attributes) models.Groupable {
	m := models.NewGroup()

	m.SetAdditionalData(map[string]any(attrs))
	return m
}
