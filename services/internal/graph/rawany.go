package graph

import (
	"fmt"
	"strconv"
)

// rawAny decodes one raw JSON value as json.Unmarshal into an any does
// (objects map[string]any with the last of repeated keys, arrays []any,
// numbers float64, invalid UTF-8 as U+FFFD), without encoding/json's
// validation pass and reflection: v is a slice of a body validJSON
// accepted. Malformed input is an error, never a panic. It decodes the
// item bodies of every $batch answer and @removed, manager@delta and
// members@delta of delta pages.
func rawAny(v []byte) (any, error) {
	x, i, err := anyAt(v, skipWS(v, 0), 0)
	if err != nil {
		return nil, err
	}
	if skipWS(v, i) != len(v) {
		return nil, errMalformed
	}
	return x, nil
}

// anyAt decodes the value at b[i] and returns the index past it.
func anyAt(b []byte, i, depth int) (any, int, error) {
	if i >= len(b) {
		return nil, 0, errMalformed
	}
	switch b[i] {
	case '{':
		return objectAt(b, i, depth)
	case '[':
		return arrayAt(b, i, depth)
	case '"':
		e, err := stringEnd(b, i)
		if err != nil {
			return nil, 0, err
		}
		s, err := unquote(b[i:e])
		return s, e, err
	case 't':
		return true, literal(b, i, "true"), literalErr(b, i, "true")
	case 'f':
		return false, literal(b, i, "false"), literalErr(b, i, "false")
	case 'n':
		return nil, literal(b, i, "null"), literalErr(b, i, "null")
	}
	e := validNumber(b, i)
	if e < 0 {
		return nil, 0, errMalformed
	}
	f, err := strconv.ParseFloat(string(b[i:e]), 64)
	if err != nil {
		// encoding/json fails the same way (1e400 into an any).
		return nil, 0, fmt.Errorf("number %s: %w", b[i:e], err)
	}
	return f, e, nil
}

func literalErr(b []byte, i int, lit string) error {
	if literal(b, i, lit) < 0 {
		return errMalformed
	}
	return nil
}

func objectAt(b []byte, i, depth int) (any, int, error) {
	if depth >= maxNestingDepth {
		return nil, 0, errJSONDepth
	}
	m := map[string]any{}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return m, i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, 0, errMalformed
		}
		ke, err := stringEnd(b, i)
		if err != nil {
			return nil, 0, err
		}
		key := keyName(b[i:ke])
		i = skipWS(b, ke)
		if i >= len(b) || b[i] != ':' {
			return nil, 0, errMalformed
		}
		var v any
		if v, i, err = anyAt(b, skipWS(b, i+1), depth+1); err != nil {
			return nil, 0, err
		}
		m[string(key)] = v
		if i = skipWS(b, i); i >= len(b) {
			return nil, 0, errMalformed
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return m, i + 1, nil
		default:
			return nil, 0, errMalformed
		}
	}
}

func arrayAt(b []byte, i, depth int) (any, int, error) {
	if depth >= maxNestingDepth {
		return nil, 0, errJSONDepth
	}
	out := []any{}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return out, i + 1, nil
	}
	for {
		v, e, err := anyAt(b, i, depth+1)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
		if i = skipWS(b, e); i >= len(b) {
			return nil, 0, errMalformed
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			return out, i + 1, nil
		default:
			return nil, 0, errMalformed
		}
	}
}
