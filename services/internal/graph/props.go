package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// A delta page is scanned rather than decoded into maps: each object's
// properties stay the bytes Graph sent (User.Raw), and only the few the
// engine branches on are decoded. The pipeline decodes the rest once, in
// the transformer. The scanner assumes valid JSON (decodeDelta checks the
// page with validJSON first) but never panics or loops on anything else.

var errMalformed = errors.New("malformed JSON")

// prop is one top-level property of a JSON object: its key as written
// (quoted, maybe escaped), its name (the key unescaped) and its raw value,
// slices of the object unless the key has escapes. eachProp unescapes the
// name once: lookup compares every property's name for each field read.
type prop struct {
	key, nm, value []byte
}

func (p prop) name() []byte { return p.nm }

// keyName is a quoted key unescaped; a key with escapes ("\u0069d") is
// decoded the way encoding/json would.
func keyName(key []byte) []byte {
	k := key[1 : len(key)-1]
	if bytes.IndexByte(k, '\\') < 0 && utf8.Valid(k) {
		return k
	}
	var s string
	if err := json.Unmarshal(key, &s); err != nil {
		return k
	}
	return []byte(s)
}

// EachProperty calls fn with each top-level property of the JSON object
// obj, in order: its unescaped name, its key as written (quoted) and its
// raw value. obj is expected to be valid JSON (User.Raw is); anything
// malformed is an error, never a panic.
func EachProperty(obj []byte, fn func(name, key, value []byte) error) error {
	return eachProp(obj, func(p prop) error { return fn(p.name(), p.key, p.value) })
}

func eachProp(obj []byte, fn func(prop) error) error {
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errNotObject
	}
	i = skipWS(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for {
		if i >= len(obj) || obj[i] != '"' {
			return errMalformed
		}
		ke, err := stringEnd(obj, i)
		if err != nil {
			return err
		}
		key := obj[i:ke]
		i = skipWS(obj, ke)
		if i >= len(obj) || obj[i] != ':' {
			return errMalformed
		}
		i = skipWS(obj, i+1)
		ve, err := valueEnd(obj, i)
		if err != nil {
			return err
		}
		if err := fn(prop{key: key, nm: keyName(key), value: obj[i:ve]}); err != nil {
			return err
		}
		i = skipWS(obj, ve)
		if i >= len(obj) {
			return errMalformed
		}
		switch obj[i] {
		case ',':
			i = skipWS(obj, i+1)
		case '}':
			return nil
		default:
			return errMalformed
		}
	}
}

// eachElement calls fn with each element of the JSON array arr.
func eachElement(arr []byte, fn func(i int, v []byte) error) error {
	i := skipWS(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return errMalformed
	}
	i = skipWS(arr, i+1)
	if i < len(arr) && arr[i] == ']' {
		return nil
	}
	for n := 0; ; n++ {
		ve, err := valueEnd(arr, i)
		if err != nil {
			return err
		}
		if err := fn(n, arr[i:ve]); err != nil {
			return err
		}
		i = skipWS(arr, ve)
		if i >= len(arr) {
			return errMalformed
		}
		switch arr[i] {
		case ',':
			i = skipWS(arr, i+1)
		case ']':
			return nil
		default:
			return errMalformed
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string starting at b[i]: the
// first quote after it not escaped by an odd run of backslashes, found
// with bytes.IndexByte (strings are most of a page's bytes).
func stringEnd(b []byte, i int) (int, error) {
	for j := i + 1; j <= len(b); {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			break
		}
		q := j + k
		odd := false
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			odd = !odd
		}
		if !odd {
			return q + 1, nil
		}
		j = q + 1
	}
	return 0, errMalformed
}

// valueEnd returns the index just past the value starting at b[i].
func valueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errMalformed
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e, err := stringEnd(b, j)
				if err != nil {
					return 0, err
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errMalformed
	case ',', ':', '}', ']':
		return 0, errMalformed
	}
	j := i // number, true, false, null
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j, nil
}

// lookup returns the value of the last property named name (encoding/json
// lets a repeated key's last value win), nil when absent.
func lookup(props []prop, name string) []byte {
	for i := len(props) - 1; i >= 0; i-- {
		if string(props[i].name()) == name {
			return props[i].value
		}
	}
	return nil
}

func isNull(v []byte) bool { return v == nil || string(v) == "null" }

// rawType names a raw value's JSON type as jsonType does.
func rawType(v []byte) string {
	switch {
	case isNull(v):
		return "null"
	case v[0] == '"':
		return "a string"
	case v[0] == 't' || v[0] == 'f':
		return "a boolean"
	case v[0] == '[':
		return "an array"
	case v[0] == '{':
		return "an object"
	}
	return "a number"
}

// Typed fields read from raw values, as stringProp and friends read them
// from a decoded map: absent and null are the zero value.

func rawString(props []prop, key string) (string, error) {
	v := lookup(props, key)
	if isNull(v) {
		return "", nil
	}
	if v[0] != '"' {
		return "", fmt.Errorf("property %s: want a string, got %s", key, rawType(v))
	}
	return unquote(v)
}

// unquote decodes a raw JSON string; plain ASCII without escapes is the
// common case and needs no decoder.
func unquote(v []byte) (string, error) {
	s := v[1 : len(v)-1]
	if bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
		return string(s), nil
	}
	var out string
	if err := json.Unmarshal(v, &out); err != nil {
		return "", err
	}
	return out, nil
}

func rawBool(props []prop, key string) (*bool, error) {
	v := lookup(props, key)
	switch {
	case isNull(v):
		return nil, nil
	case string(v) == "true":
		b := true
		return &b, nil
	case string(v) == "false":
		b := false
		return &b, nil
	}
	return nil, fmt.Errorf("property %s: want a boolean, got %s", key, rawType(v))
}

func rawTime(props []prop, key string) (*time.Time, error) {
	s, err := rawString(props, key)
	return timeOf(key, s, err)
}

func rawStrings(props []prop, key string) ([]string, error) {
	v := lookup(props, key)
	if isNull(v) {
		return nil, nil
	}
	bad := fmt.Errorf("property %s: want a list of strings, got %s", key, rawType(v))
	if v[0] != '[' {
		return nil, bad
	}
	out := []string{}
	err := eachElement(v, func(_ int, e []byte) error {
		if e[0] != '"' {
			return bad
		}
		s, err := unquote(e)
		out = append(out, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// objectJSON is obj without the properties drop says to drop: obj itself
// (no copy) when nothing is dropped.
func objectJSON(obj []byte, props []prop, drop func(name []byte) bool) json.RawMessage {
	keep := 0
	for _, p := range props {
		if !drop(p.name()) {
			keep++
		}
	}
	if keep == len(props) {
		return bytes.TrimSpace(obj)
	}
	out := make([]byte, 0, len(obj))
	out = append(out, '{')
	for _, p := range props {
		if drop(p.name()) {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, p.key...)
		out = append(out, ':')
		out = append(out, p.value...)
	}
	return append(out, '}')
}
