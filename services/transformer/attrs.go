package transformer

import (
	"fmt"
	"strings"

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

// decodeAttrs decodes a change's attributes_json (the Graph JSON object
// the reader sent) into the bag the rules read: folded keys, integral
// numbers as int64, string lists as []string (decodeJSONAttrs). With n,
// only the properties n wants are decoded; nil decodes them all. A removal
// carries none.
func decodeAttrs(ch *eventsv1.SourceChange, n *need) (rules.Attrs, error) {
	raw := ch.GetAttributesJson()
	if len(raw) == 0 {
		return rules.Attrs{}, nil
	}
	a, err := decodeJSONAttrs(raw, n)
	if err != nil {
		return nil, fmt.Errorf("attributes of %s: %w", ch.GetObject().GetObjectId(), err)
	}
	return a, nil
}

// sourceAttrs completes a change's decoded attributes a (decodeAttrs,
// modified in place) with the Entra names the default mappings use
// (objectId, netId, telephoneNumber, mobile, manager as an id, members,
// ...).
func sourceAttrs(ch *eventsv1.SourceChange, a rules.Attrs) rules.Attrs {
	var id any = ch.GetObject().GetObjectId() // boxed once for the three names
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

// managerOf is the manager's id in decoded attributes, "" if none.
func managerOf(a rules.Attrs) string {
	switch v := a["manager"].(type) {
	case string:
		return v
	case map[string]any: // $expand=manager
		id, _ := v["id"].(string)
		return id
	}
	return ""
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

// bag is one change's decoded attributes (decodeAttrs).
type bag struct {
	attrs rules.Attrs
	err   error
}

// bags are a batch's decoded attributes by object id (one object appears
// at most once per batch): each change's JSON is decoded once, for the
// manager lookups and the decision alike.
type bags map[string]bag

func decodeBags(changes []*eventsv1.SourceChange, n *need) bags {
	out := make(bags, len(changes))
	for _, ch := range changes {
		a, err := decodeAttrs(ch, n)
		out[ch.GetObject().GetObjectId()] = bag{attrs: a, err: err}
	}
	return out
}
