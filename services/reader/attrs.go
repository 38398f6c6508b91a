package reader

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/xtsync/xtsync/pkg/rules/schema"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// NetIDAttribute is the source attribute AltSecIdFromNetId reads. Graph
// v1.0 does not expose Entra's netId (PUID), so the reader fills it with the
// source object id: stable for the object's lifetime and unique per tenant,
// which is all the B2B identity needs.
const NetIDAttribute = "netId"

// attributesJSON is a change's attributes_json: a JSON object keyed by
// Graph property name with id and netId (the object id) first, then
// manager when Graph reported it (the manager's source id, as the rules
// read a Reference; null when Graph reported none, so the target's is
// cleared; absent when not reported: unchanged), then the object's other
// properties with their Graph JSON values: strings, bools, numbers, string
// lists, nested objects (employeeOrgData, onPremisesExtensionAttributes)
// and null for a selected property without a value.
//
// A delta page's object (raw) is copied as Graph sent it, not decoded:
// the transformer decodes it once. An object read through the SDK (a
// revisit, on-demand) has its properties in attrs instead.
func attributesJSON(id string, raw json.RawMessage, attrs graph.Attributes, manager *string) ([]byte, error) {
	out := make([]byte, 0, len(raw)+2*len(id)+64)
	out = append(out, `{"id":`...)
	out = appendString(out, id)
	out = append(out, `,"`+NetIDAttribute+`":`...)
	out = appendString(out, id)
	if manager != nil {
		out = append(out, `,"`+schema.Manager+`":`...)
		if *manager == "" {
			out = append(out, "null"...)
		} else {
			out = appendString(out, *manager)
		}
	}
	// Replaced above, hence skipped below.
	skip := func(name string) bool {
		return name == "id" || name == NetIDAttribute || manager != nil && name == schema.Manager
	}
	if raw != nil {
		err := graph.EachProperty(raw, func(name, key, value []byte) error {
			if !skip(string(name)) {
				out = append(out, ',')
				out = append(out, key...)
				out = append(out, ':')
				out = append(out, value...)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("attributes of %s: %w", id, err)
		}
		return append(out, '}'), nil
	}
	// Sorted: the same object reads as the same bytes (content numbering).
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		if !skip(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, err := json.Marshal(jsonValue(attrs[k]))
		if err != nil {
			return nil, fmt.Errorf("attribute %s of %s: %w", k, id, err)
		}
		out = append(out, ',')
		out = appendString(out, k)
		out = append(out, ':')
		out = append(out, v...)
	}
	return append(out, '}'), nil
}

// jsonValue renders the few non-JSON types an adapter could hand over the
// way Graph's JSON would.
func jsonValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case *time.Time:
		if x == nil {
			return nil
		}
		return x.UTC().Format(time.RFC3339)
	}
	return v
}

// appendString appends s as a JSON string; object ids are plain ASCII,
// which needs no encoder.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
