package graphsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// prop describes one Graph property of an entity type T: how to render it,
// how $filter reads it and how POST/PATCH write it. ptr returns a pointer
// to the backing field (*string, *bool, **bool, *[]string, *time.Time,
// **time.Time, *[]ObjectIdentity, *PasswordProfile, **EmployeeOrgData or
// **ExtensionAttributes).
type prop[T any] struct {
	name       string
	ptr        func(*T) any
	readOnly   bool     // rejected in POST/PATCH bodies
	createOnly bool     // accepted in POST, rejected in PATCH
	writeOnly  bool     // rendered as null (passwordProfile)
	byDefault  bool     // returned without $select
	enum       []string // allowed string values, when Graph restricts them
}

// schema is the set of props of one entity type.
type schema[T any] struct {
	typeName string // e.g. "microsoft.graph.user"
	props    []prop[T]
	byName   map[string]int // exact name
	byLower  map[string]int // case-insensitive lookup, as Graph accepts
	defaults []int
	all      []int
}

func newSchema[T any](typeName string, props []prop[T]) *schema[T] {
	s := &schema[T]{typeName: typeName, props: props, byName: map[string]int{}, byLower: map[string]int{}}
	for i, p := range props {
		s.byName[p.name] = i
		s.byLower[strings.ToLower(p.name)] = i
		s.all = append(s.all, i)
		if p.byDefault {
			s.defaults = append(s.defaults, i)
		}
	}
	return s
}

// lookup resolves a property name case-insensitively to its index.
func (s *schema[T]) lookup(name string) (int, bool) {
	if i, ok := s.byName[name]; ok {
		return i, true
	}
	i, ok := s.byLower[strings.ToLower(name)]
	return i, ok
}

// canon returns the canonical spelling of name (for odata Resolve).
func (s *schema[T]) canon(name string) (string, bool) {
	i, ok := s.lookup(name)
	if !ok {
		return "", false
	}
	return s.props[i].name, true
}

// get returns a property value in the form odata.Getter documents.
func (s *schema[T]) get(v *T, name string) (any, bool) {
	i, ok := s.byName[name]
	if !ok {
		if i, ok = s.lookup(name); !ok {
			return nil, false
		}
	}
	p := s.props[i]
	if p.writeOnly {
		return nil, true
	}
	switch f := p.ptr(v).(type) {
	case *string:
		if *f == "" {
			return nil, true
		}
		return *f, true
	case *bool:
		return *f, true
	case **bool:
		if *f == nil {
			return nil, true
		}
		return **f, true
	case *[]string:
		if *f == nil {
			return []string{}, true
		}
		return *f, true
	case *time.Time:
		if f.IsZero() {
			return nil, true
		}
		return *f, true
	case **time.Time:
		if *f == nil {
			return nil, true
		}
		return **f, true
	case *[]ObjectIdentity:
		out := make([]map[string]any, len(*f))
		for i, id := range *f {
			out[i] = map[string]any{"signInType": id.SignInType, "issuer": id.Issuer, "issuerAssignedId": id.IssuerAssignedID}
		}
		return out, true
	case **EmployeeOrgData:
		if *f == nil {
			return nil, true
		}
		return map[string]any{"division": nullable((*f).Division), "costCenter": nullable((*f).CostCenter)}, true
	case **ExtensionAttributes:
		out := make(map[string]any, 15)
		for i := range 15 {
			v := ""
			if *f != nil {
				v = (*f)[i]
			}
			out[extAttrNames[i]] = nullable(v)
		}
		return out, true
	}
	return nil, true
}

// nullable is a string as odata.Getter sees it: nil for Graph's null.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// extAttrNames are the property names of onPremisesExtensionAttributes.
var extAttrNames = func() [15]string {
	var n [15]string
	for i := range n {
		n[i] = "extensionAttribute" + strconv.Itoa(i+1)
	}
	return n
}()

// appendProp renders property i of v as a JSON value.
func (s *schema[T]) appendProp(b []byte, v *T, i int) []byte {
	p := s.props[i]
	if p.writeOnly {
		return append(b, "null"...)
	}
	switch f := p.ptr(v).(type) {
	case *string:
		return appendNullString(b, *f)
	case *bool:
		return appendBool(b, *f)
	case **bool:
		return appendNullBool(b, *f)
	case *[]string:
		return appendStrings(b, *f)
	case *time.Time:
		return appendTime(b, *f)
	case **time.Time:
		return appendNullTime(b, *f)
	case *[]ObjectIdentity:
		b = append(b, '[')
		for j, id := range *f {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"signInType":`...)
			b = appendNullString(b, id.SignInType)
			b = append(b, `,"issuer":`...)
			b = appendNullString(b, id.Issuer)
			b = append(b, `,"issuerAssignedId":`...)
			b = appendNullString(b, id.IssuerAssignedID)
			b = append(b, '}')
		}
		return append(b, ']')
	case **EmployeeOrgData:
		if *f == nil {
			return append(b, "null"...)
		}
		b = append(b, `{"division":`...)
		b = appendNullString(b, (*f).Division)
		b = append(b, `,"costCenter":`...)
		b = appendNullString(b, (*f).CostCenter)
		return append(b, '}')
	case **ExtensionAttributes:
		b = append(b, '{')
		for j, n := range extAttrNames {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, n)
			b = append(b, ':')
			v := ""
			if *f != nil {
				v = (*f)[j]
			}
			b = appendNullString(b, v)
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

// appendObject renders v with the properties in sel (indexes into props).
// annotations, when set, writes the leading members ("@odata.context",
// "@odata.type") that Graph puts before the properties.
func (s *schema[T]) appendObject(b []byte, v *T, sel []int, annotations func([]byte) []byte) []byte {
	b = append(b, '{')
	first := true
	if annotations != nil {
		b = annotations(b)
		first = false
	}
	for _, i := range sel {
		b = appendKey(b, &first, s.props[i].name)
		b = s.appendProp(b, v, i)
	}
	return append(b, '}')
}

// setProp writes a JSON value into property i. A type mismatch yields
// Graph's invalid-value error.
func (s *schema[T]) setProp(v *T, i int, raw json.RawMessage, resource string) *gerror {
	p := s.props[i]
	bad := errBadRequest("Invalid value specified for property '" + p.name + "' of resource '" + resource + "'.")
	isNull := bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
	switch f := p.ptr(v).(type) {
	case *string:
		if isNull {
			*f = ""
			return nil
		}
		var str string
		if json.Unmarshal(raw, &str) != nil {
			return bad
		}
		if p.enum != nil && !slices.Contains(p.enum, str) {
			return bad
		}
		*f = str
	case *bool:
		if isNull || json.Unmarshal(raw, f) != nil {
			return bad
		}
	case **bool:
		if isNull {
			*f = nil
			return nil
		}
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return bad
		}
		*f = &b
	case *[]string:
		var ss []string
		if !isNull && json.Unmarshal(raw, &ss) != nil {
			return bad
		}
		*f = ss
	case *[]ObjectIdentity:
		var ids []ObjectIdentity
		if !isNull && json.Unmarshal(raw, &ids) != nil {
			return bad
		}
		*f = ids
	case *PasswordProfile:
		if isNull {
			*f = PasswordProfile{}
			return nil
		}
		var pp PasswordProfile
		if json.Unmarshal(raw, &pp) != nil {
			return bad
		}
		*f = pp
	case *time.Time:
		var t time.Time
		if !isNull && json.Unmarshal(raw, &t) != nil {
			return bad
		}
		*f = t
	case **time.Time:
		if isNull {
			*f = nil
			return nil
		}
		var t time.Time
		if json.Unmarshal(raw, &t) != nil {
			return bad
		}
		t = t.UTC().Truncate(time.Second)
		*f = &t
	case **EmployeeOrgData:
		if isNull {
			*f = nil
			return nil
		}
		// A PATCH names the fields it changes; the others stay.
		next := EmployeeOrgData{}
		if *f != nil {
			next = **f
		}
		e := mergeStrings(raw, func(k string) *string {
			switch strings.ToLower(k) {
			case "division":
				return &next.Division
			case "costcenter":
				return &next.CostCenter
			}
			return nil
		})
		if e != nil {
			return bad
		}
		*f = &next
	case **ExtensionAttributes:
		if isNull {
			*f = nil
			return nil
		}
		next := ExtensionAttributes{}
		if *f != nil {
			next = **f
		}
		e := mergeStrings(raw, func(k string) *string {
			n, ok := strings.CutPrefix(strings.ToLower(k), "extensionattribute")
			i, err := strconv.Atoi(n)
			if !ok || err != nil || i < 1 || i > 15 || n != strconv.Itoa(i) {
				return nil
			}
			return &next[i-1]
		})
		if e != nil {
			return bad
		}
		*f = &next
	default:
		return bad
	}
	return nil
}

// mergeStrings writes the members of a JSON object into the string fields
// field returns (nil for an unknown member, which is an error); null
// clears a field.
func mergeStrings(raw json.RawMessage, field func(string) *string) error {
	var m map[string]*string
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("not an object of strings: %w", err)
	}
	for k, v := range m {
		dst := field(k)
		if dst == nil {
			return fmt.Errorf("unknown member %q", k)
		}
		*dst = ""
		if v != nil {
			*dst = *v
		}
	}
	return nil
}

// getter adapts one object to odata.Getter.
type getter[T any] struct {
	s *schema[T]
	v *T
}

func (g getter[T]) Get(name string) (any, bool) { return g.s.get(g.v, name) }
