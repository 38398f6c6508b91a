package graphsim

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
)

// object is a decoded JSON request body with its keys in sorted order, so
// validation errors are deterministic.
type object struct {
	fields map[string]json.RawMessage
	keys   []string
}

// decodeObject parses a JSON object body; anything else is Graph's
// invalid-payload error.
func decodeObject(body []byte) (object, *gerror) {
	var o object
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return o, errInvalidJSON()
	}
	if err := json.Unmarshal(trimmed, &o.fields); err != nil {
		return o, errInvalidJSON()
	}
	for k := range o.fields {
		o.keys = append(o.keys, k)
	}
	sort.Strings(o.keys)
	return o, nil
}

// str reads a string field; ok is false when missing, null or not a string.
func (o object) str(key string) (string, bool) {
	raw, ok := o.fields[key]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// has reports a present, non-null field.
func (o object) has(key string) bool {
	raw, ok := o.fields[key]
	return ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// isAnnotation reports instance annotations and binds ("@odata.type",
// "members@odata.bind"), which property validation skips.
func isAnnotation(key string) bool { return strings.Contains(key, "@") }

// applyProps writes every non-annotation field of o into v, rejecting
// unknown and read-only properties like Graph.
func applyProps[T any](v *T, sch *schema[T], o object, resource string) *gerror {
	for _, k := range o.keys {
		if isAnnotation(k) {
			continue
		}
		i, ok := sch.lookup(k)
		if !ok {
			return errBadRequest("Property '" + k + "' does not exist as a declared property or extension property.")
		}
		if sch.props[i].readOnly {
			if k == "id" {
				continue // Graph ignores a client-sent id on create
			}
			return errBadRequest("Property '" + sch.props[i].name + "' is read-only and cannot be set.")
		}
		if e := sch.setProp(v, i, o.fields[k], resource); e != nil {
			return e
		}
	}
	return nil
}

// rejectCreateOnly refuses a PATCH naming a property Graph sets only on
// creation (a group's isAssignableToRole).
func rejectCreateOnly[T any](sch *schema[T], o object) *gerror {
	for _, k := range o.keys {
		if i, ok := sch.lookup(k); ok && sch.props[i].createOnly {
			return errBadRequest("Property '" + sch.props[i].name + "' can only be set when the object is created.")
		}
	}
	return nil
}

// requireProps checks Graph's required properties on create.
func requireProps(o object, names ...string) *gerror {
	for _, n := range names {
		if !o.has(n) {
			return errBadRequest("Property " + n + " value is required but is empty or missing.")
		}
		if s, ok := o.str(n); ok && strings.TrimSpace(s) == "" {
			return errBadRequest("Property " + n + " value is required but is empty or missing.")
		}
	}
	return nil
}

// refID extracts the object id from an "@odata.id" or bind URL such as
// https://graph.microsoft.com/v1.0/directoryObjects/{id}; any host is
// accepted, and users/groups/directoryObjects segments alike.
func refID(ref string) (string, bool) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", false
	}
	ref = strings.TrimRight(ref, "/")
	i := strings.LastIndexByte(ref, '/')
	id := ref[i+1:]
	// directoryObjects('id') form
	if j := strings.Index(id, "('"); j >= 0 && len(id) >= j+4 && strings.HasSuffix(id, "')") {
		id = id[j+2 : len(id)-2]
	}
	if id == "" || strings.ContainsAny(id, "?#") {
		return "", false
	}
	return id, true
}
