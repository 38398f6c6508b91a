package transformer

import (
	"math"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/schema"
)

// graphAliases are Entra source attribute names the mappings read under an
// Azure AD Graph name while the reader sends Graph v1.0 JSON: each Graph
// property is also stored under its Entra name (folded).
var graphAliases = map[string]string{
	"mobilephone":    "mobile",
	"officelocation": "physicaldeliveryofficename",
	"faxnumber":      "facsimiletelephonenumber",
}

// sourceAttrs converts a change's Graph JSON attributes to the bag the
// rules read: folded keys, integral numbers as int64, string lists as
// []string, plus the Entra names the default mappings use (objectId, netId,
// telephoneNumber, mobile, manager as an id, members, ...).
func sourceAttrs(ch *eventsv1.SourceChange) rules.Attrs {
	fields := ch.GetAttributes().GetFields()
	a := make(rules.Attrs, len(fields)+8)
	for k, v := range fields {
		a[fold(k)] = plain(v)
	}
	id := ch.GetObject().GetObjectId()
	a["id"] = id
	a["objectid"] = id
	// Graph does not expose netId; the B2B identity uses the immutable
	// object id instead (mapping.AltSecID), unless the reader sent one.
	if rules.IsEmpty(a["netid"]) {
		a["netid"] = id
	}
	for graph, entra := range graphAliases {
		if v, ok := a[graph]; ok {
			if _, set := a[entra]; !set {
				a[entra] = v
			}
		}
	}
	if phones, ok := a["businessphones"].([]string); ok {
		if _, set := a["telephonenumber"]; !set && len(phones) > 0 {
			a["telephonenumber"] = phones[0]
		}
	}
	flatten(a, "employeeorgdata", "employeeorgdata.")
	flatten(a, "onpremisesextensionattributes", "")
	if m, ok := a["manager"].(map[string]any); ok { // $expand=manager
		a["manager"], _ = m["id"].(string)
	}
	if ch.GetObject().GetType() == groupType {
		// Always present, even empty: member_ids is the complete set, and
		// an emptied group must lose its target members.
		a[strings.ToLower(schema.Members)] = nonNil(ch.GetMemberIds())
	}
	return a
}

// folded caches the lower-cased names of the schema's attributes: every
// change carries the same few dozen Graph names, and strings.ToLower
// allocates for each camelCase one.
var folded = func() map[string]string {
	m := map[string]string{}
	for _, o := range []*schema.Object{schema.SourceUser, schema.SourceGroup} {
		for _, a := range o.Attributes() {
			for _, n := range []string{a.Name, a.Graph} {
				if n != "" {
					m[n] = strings.ToLower(n)
				}
			}
		}
	}
	for _, n := range []string{"businessPhones", "employeeOrgData", "onPremisesExtensionAttributes", "deletedDateTime"} {
		m[n] = strings.ToLower(n)
	}
	return m
}()

func fold(k string) string {
	if f, ok := folded[k]; ok {
		return f
	}
	return strings.ToLower(k)
}

// flatten copies the fields of the nested object at key to prefix+field.
func flatten(a rules.Attrs, key, prefix string) {
	m, ok := a[key].(map[string]any)
	if !ok {
		return
	}
	for k, v := range m {
		name := prefix + strings.ToLower(k)
		if _, set := a[name]; !set {
			a[name] = v
		}
	}
}

// plain converts a protobuf JSON value to the shapes rules.Attrs holds.
func plain(v *structpb.Value) any {
	switch x := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		return x.StringValue
	case *structpb.Value_BoolValue:
		return x.BoolValue
	case *structpb.Value_NumberValue:
		f := x.NumberValue
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f)
		}
		return f
	case *structpb.Value_ListValue:
		vals := x.ListValue.GetValues()
		strs := make([]string, 0, len(vals))
		for _, e := range vals {
			s, ok := e.GetKind().(*structpb.Value_StringValue)
			if !ok {
				return plainList(vals)
			}
			strs = append(strs, s.StringValue)
		}
		return strs
	case *structpb.Value_StructValue:
		fields := x.StructValue.GetFields()
		m := make(map[string]any, len(fields))
		for k, e := range fields {
			m[k] = plain(e)
		}
		return m
	}
	return nil // null or unset
}

func plainList(vals []*structpb.Value) []any {
	out := make([]any, len(vals))
	for i, e := range vals {
		out[i] = plain(e)
	}
	return out
}
