package graph

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoft/kiota-abstractions-go/store"
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
	Attributes        Attributes
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
	Members    []MemberChange
	Attributes Attributes
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

func userFromModel(m models.Userable) (User, error) {
	attrs, err := attributesOf(m)
	if err != nil {
		return User{}, err
	}
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

func groupFromModel(m models.Groupable) (Group, error) {
	attrs, err := attributesOf(m)
	if err != nil {
		return Group{}, err
	}
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
// only changed ones), then adds explicit nulls: the backing store
// remembers properties Graph sent as null, which the writer skips.
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
	if bs, ok := p.(store.BackedModel); ok && bs.GetBackingStore() != nil {
		for k, v := range bs.GetBackingStore().Enumerate() {
			if _, seen := attrs[k]; !seen && k != "additionalData" && isNil(v) {
				attrs[k] = nil
			}
		}
	}
	for k, v := range additionalData(p) {
		if _, seen := attrs[k]; !seen && v == nil {
			attrs[k] = nil
		}
	}
	return attrs, nil
}

func additionalData(p absser.Parsable) map[string]any {
	if h, ok := p.(absser.AdditionalDataHolder); ok {
		return h.GetAdditionalData()
	}
	return nil
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// plain turns kiota's raw additional-data values (pointers to primitives,
// nested maps and slices of them) into plain JSON values.
func plain(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case *string:
		return derefAny(x)
	case *bool:
		return derefAny(x)
	case *float64:
		return derefAny(x)
	case *float32:
		return derefAny(x)
	case *int64:
		return derefAny(x)
	case *int32:
		return derefAny(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

func derefAny[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// userModel carries an attribute bag in a request body. Everything goes in
// AdditionalData, which the SDK writes verbatim (nil as null), so PATCH sends
// exactly the given properties.
func userModel(attrs Attributes) models.Userable {
	m := models.NewUser()
	m.SetOdataType(nil) // Graph infers the type from the URL
	m.SetAdditionalData(map[string]any(attrs))
	return m
}

func groupModel(attrs Attributes) models.Groupable {
	m := models.NewGroup()
	m.SetOdataType(nil)
	m.SetAdditionalData(map[string]any(attrs))
	return m
}
