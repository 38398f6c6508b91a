// Package schema describes the objects xtsync reads and writes: the target
// Microsoft Graph v1.0 user and group properties a mapping may write, and the
// source attributes a scoping filter or expression may read.
//
// Entra's cross-tenant provisioning schema still uses a few Azure AD Graph
// attribute names (telephoneNumber, mobile, facsimileTelephoneNumber,
// physicalDeliveryOfficeName, extensionAttribute1..15). xtsync keeps those
// names so exported Entra configurations load unchanged, and records for each
// attribute the Graph v1.0 property the writer actually sends (Attribute.Graph).
package schema

import (
	"regexp"
	"strings"
)

// Type is an attribute's value type.
type Type uint8

// Attribute types, as in Entra's synchronization schema (attributeDefinition.type).
const (
	String Type = iota + 1
	Boolean
	Integer
	DateTime
	Reference // an object id; resolved through the connector data store
	Binary
)

var typeNames = [...]string{"", "String", "Boolean", "Integer", "DateTime", "Reference", "Binary"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Unknown"
}

// Attribute describes one attribute of an object type.
type Attribute struct {
	// Name is the attribute name used in mappings (Entra's spelling).
	Name string
	Type Type
	// Multi marks multi-valued attributes (collections in Graph).
	Multi bool
	// Graph is the Graph v1.0 property path the writer sets; "" when the
	// attribute is not a Graph property (IsSoftDeleted drives the action,
	// alternativeSecurityIds the B2B identity).
	Graph string
	// Writable is false for read-only (source-only) attributes.
	Writable bool
	// RequiredOnCreate marks attributes a create must carry (Graph rejects the
	// POST without them); a missing value is MandatoryFieldsMissing.
	RequiredOnCreate bool
	// Note says why an attribute is special, shown by `xtsyncctl schema`.
	Note string
}

// Object is the schema of one object type.
type Object struct {
	Name  string
	attrs map[string]Attribute // key: lower-cased name
	order []string
}

func newObject(name string, attrs ...Attribute) *Object {
	o := &Object{Name: name, attrs: make(map[string]Attribute, len(attrs))}
	for _, a := range attrs {
		k := strings.ToLower(a.Name)
		if _, dup := o.attrs[k]; dup {
			panic("schema: duplicate attribute " + a.Name)
		}
		o.attrs[k] = a
		o.order = append(o.order, a.Name)
	}
	return o
}

// extensionRe matches directory extension attributes
// (extension_<appId without dashes>_<name>), which cross-tenant sync maps once
// they are added to the schema; any such name is accepted as a string.
var extensionRe = regexp.MustCompile(`^(?i)extension_[0-9a-f]{32}_[A-Za-z0-9_]+$`)

// Lookup finds an attribute by name, case-insensitively. Directory extension
// attributes are accepted on every object as single-valued strings.
func (o *Object) Lookup(name string) (Attribute, bool) {
	if a, ok := o.attrs[strings.ToLower(name)]; ok {
		return a, true
	}
	if extensionRe.MatchString(name) {
		return Attribute{Name: name, Type: String, Graph: name, Writable: true,
			Note: "directory extension"}, true
	}
	return Attribute{}, false
}

// Has reports whether name is an attribute of o; it fits expr.Options.KnownAttribute.
func (o *Object) Has(name string) bool {
	_, ok := o.Lookup(name)
	return ok
}

// Attributes lists the attributes in declaration order.
func (o *Object) Attributes() []Attribute {
	out := make([]Attribute, len(o.order))
	for i, n := range o.order {
		out[i] = o.attrs[strings.ToLower(n)]
	}
	return out
}

// Names of the object types.
const (
	UserType  = "User"
	GroupType = "Group"
)

// Target returns the target schema for an object type name, or nil.
func Target(objectType string) *Object {
	switch strings.ToLower(objectType) {
	case "user":
		return TargetUser
	case "group":
		return TargetGroup
	}
	return nil
}

// Source returns the source schema for an object type name, or nil.
func Source(objectType string) *Object {
	switch strings.ToLower(objectType) {
	case "user":
		return SourceUser
	case "group":
		return SourceGroup
	}
	return nil
}
