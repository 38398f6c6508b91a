package transformer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/xtsync/xtsync/pkg/rules"
)

// attributes_json is decoded by hand, in one pass, instead of by
// encoding/json into maps: a Graph user carries 50-odd properties and the
// rules read about 25, so the properties no rule reads are checked but
// never materialized, and plain strings are substrings of one copy of the
// document instead of an allocation each. The values are exactly what
// json.Unmarshal into map[string]any followed by plain gives
// (FuzzDecodeSame holds it to that), and the same documents are refused.

// maxDepth is encoding/json's nesting limit, so the same documents fail.
const maxDepth = 10000

var errNotObject = errors.New("not a JSON object")

// syntaxError is a malformed document: where, and in which property.
type syntaxError struct {
	off  int
	prop string // the top-level property being read, "" before the first
	msg  string
}

func (e *syntaxError) Error() string {
	if e.prop == "" {
		return fmt.Sprintf("invalid JSON at byte %d: %s", e.off, e.msg)
	}
	return fmt.Sprintf("invalid JSON at byte %d in property %q: %s", e.off, e.prop, e.msg)
}

// jsonDecoder reads one document. Decoded plain strings are substrings of
// s, a single copy of the document's bytes.
type jsonDecoder struct {
	b     []byte
	s     string
	i     int
	depth int
	prop  string
}

func (d *jsonDecoder) fail(format string, args ...any) error {
	return &syntaxError{off: d.i, prop: d.prop, msg: fmt.Sprintf(format, args...)}
}

func (d *jsonDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, 0 at the end.
func (d *jsonDecoder) peek() byte {
	d.ws()
	if d.i >= len(d.b) {
		return 0
	}
	return d.b[d.i]
}

// decodeJSONAttrs decodes the JSON object raw into a bag: folded keys,
// values as plain makes them. With n, only the properties n wants are
// kept (the rest are checked); nil keeps everything.
func decodeJSONAttrs(raw []byte, n *need) (rules.Attrs, error) {
	d := &jsonDecoder{b: raw, s: string(raw)}
	switch d.peek() {
	case '{':
	case 'n':
		if err := d.skip(); err != nil {
			return nil, err
		}
		if err := d.end(); err != nil {
			return nil, err
		}
		return nil, errors.New("null, not an object")
	default:
		if err := d.skip(); err != nil {
			return nil, err
		}
		if err := d.end(); err != nil {
			return nil, err
		}
		return nil, errNotObject
	}
	size := 64
	if n != nil {
		size = len(n.keys) + 8
	}
	a := make(rules.Attrs, size)
	err := d.object(func(key string) error {
		mode := wholeProp
		if n != nil {
			mode = n.mode(key)
		}
		d.prop = key
		switch mode {
		case wholeProp:
			v, err := d.value()
			if err != nil {
				return err
			}
			a[fold(key)] = v
			return nil
		case extensionProps, orgDataProps:
			return d.nested(a, fold(key), mode, n)
		}
		return d.skip()
	})
	if err != nil {
		return nil, err
	}
	d.prop = ""
	return a, d.end()
}

// end checks that only white space follows the document.
func (d *jsonDecoder) end() error {
	if d.peek() != 0 {
		return d.fail("invalid character %q after the object", d.b[d.i])
	}
	return nil
}

// object reads an object (d.b[d.i] is '{'), calling fn with each key with
// the value next.
func (d *jsonDecoder) object(fn func(key string) error) error {
	if d.depth++; d.depth > maxDepth {
		return d.fail("exceeded max depth")
	}
	d.i++
	if d.peek() == '}' {
		d.i++
		d.depth--
		return nil
	}
	for {
		if d.peek() != '"' {
			return d.fail("expected a property name")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		if d.peek() != ':' {
			return d.fail("expected ':' after a property name")
		}
		d.i++
		d.ws()
		if err := fn(key); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			return nil
		default:
			return d.fail("expected ',' or '}' after a property value")
		}
	}
}

// array reads an array (d.b[d.i] is '['), calling fn before each element.
func (d *jsonDecoder) array(fn func() error) error {
	if d.depth++; d.depth > maxDepth {
		return d.fail("exceeded max depth")
	}
	d.i++
	if d.peek() == ']' {
		d.i++
		d.depth--
		return nil
	}
	for {
		d.ws()
		if err := fn(); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			d.depth--
			return nil
		default:
			return d.fail("expected ',' or ']' after an array element")
		}
	}
}

// value decodes the value at d.i the way json.Unmarshal into any followed
// by plain does.
func (d *jsonDecoder) value() (any, error) {
	if d.i >= len(d.b) {
		return nil, d.fail("unexpected end of JSON input")
	}
	switch c := d.b[d.i]; {
	case c == '"':
		return d.str()
	case c == '{':
		m := map[string]any{}
		err := d.object(func(key string) error {
			v, err := d.value()
			m[key] = v
			return err
		})
		return m, err
	case c == '[':
		return d.list()
	case c == '-' || c >= '0' && c <= '9':
		f, err := d.number()
		if err != nil {
			return nil, err
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), nil
		}
		return f, nil
	}
	return d.literal()
}

// list decodes an array: []string when every element is a string (empty
// included), else []any.
func (d *jsonDecoder) list() (any, error) {
	strs := []string{}
	var vals []any
	err := d.array(func() error {
		if vals == nil && d.i < len(d.b) && d.b[d.i] == '"' {
			s, err := d.str()
			strs = append(strs, s)
			return err
		}
		if vals == nil {
			vals = make([]any, len(strs), len(strs)+4)
			for i, s := range strs {
				vals[i] = s
			}
		}
		v, err := d.value()
		vals = append(vals, v)
		return err
	})
	if vals != nil {
		return vals, err
	}
	return strs, err
}

// nested decodes the object of an Entra-flattened property (sourceAttrs
// copies its fields to the top level) keeping only the fields whose
// flattened name the rules read; the property itself is not read. Like
// json.Unmarshal's map, a later occurrence of the key replaces an earlier.
func (d *jsonDecoder) nested(a rules.Attrs, key string, mode propMode, n *need) error {
	if d.peek() != '{' {
		delete(a, key)
		return d.skip()
	}
	var m map[string]any
	err := d.object(func(field string) error {
		if !n.wantsField(mode, field) {
			return d.skip()
		}
		v, err := d.value()
		if m == nil {
			m = map[string]any{}
		}
		m[field] = v
		return err
	})
	if m == nil {
		delete(a, key)
	} else {
		a[key] = m
	}
	return err
}

// skip checks the value at d.i without decoding it: the same documents
// fail as with json.Unmarshal, numbers out of float64's range included.
func (d *jsonDecoder) skip() error {
	if d.i >= len(d.b) {
		return d.fail("unexpected end of JSON input")
	}
	switch c := d.b[d.i]; {
	case c == '"':
		_, _, err := d.strEnd()
		return err
	case c == '{':
		return d.object(func(string) error { return d.skip() })
	case c == '[':
		return d.array(d.skip)
	case c == '-' || c >= '0' && c <= '9':
		_, err := d.number()
		return err
	}
	_, err := d.literal()
	return err
}

func (d *jsonDecoder) literal() (any, error) {
	for _, l := range [...]struct {
		text string
		v    any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if len(d.b)-d.i >= len(l.text) && d.s[d.i:d.i+len(l.text)] == l.text {
			d.i += len(l.text)
			return l.v, nil
		}
	}
	if d.i >= len(d.b) {
		return nil, d.fail("unexpected end of JSON input")
	}
	return nil, d.fail("invalid character %q looking for a value", d.b[d.i])
}

// number reads a JSON number as float64, as encoding/json does for any.
func (d *jsonDecoder) number() (float64, error) {
	start := d.i
	digits := func() int {
		n := 0
		for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.b) && d.b[d.i] == '0':
		d.i++
	case digits() == 0:
		return 0, d.fail("invalid number")
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return 0, d.fail("invalid number: no digit after the decimal point")
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return 0, d.fail("invalid number: no digit in the exponent")
		}
	}
	f, err := strconv.ParseFloat(d.s[start:d.i], 64)
	if err != nil {
		return 0, d.fail("number %s does not fit a float64", d.s[start:d.i])
	}
	return f, nil
}

// str decodes the string at d.i. A string without escapes and with valid
// UTF-8 is a substring of the document; the rest go through encoding/json,
// which decodes escapes and replaces invalid UTF-8 its own way.
func (d *jsonDecoder) str() (string, error) {
	start := d.i
	end, plain, err := d.strEnd()
	if err != nil {
		return "", err
	}
	if plain {
		return d.s[start+1 : end-1], nil
	}
	var s string
	if err := json.Unmarshal(d.b[start:end], &s); err != nil {
		return "", &syntaxError{off: start, prop: d.prop, msg: err.Error()}
	}
	return s, nil
}

// strClass sorts string bytes for strEnd: 0 for the ordinary ones, which
// a tight loop passes over.
var strClass = func() (t [256]uint8) {
	for c := range 0x20 {
		t[c] = 1
	}
	t['"'], t['\\'] = 2, 3
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = 4
	}
	return t
}()

// strEnd checks the string at d.i (a quote) and moves past it. plain
// reports a string with no escape and only valid UTF-8.
func (d *jsonDecoder) strEnd() (end int, plain bool, err error) {
	start := d.i
	plain, ascii := true, true
	b := d.b
	for j := start + 1; j < len(b); j++ {
		for j < len(b) && strClass[b[j]] == 0 {
			j++
		}
		if j >= len(b) {
			break
		}
		switch strClass[b[j]] {
		case 2:
			d.i = j + 1
			if !ascii && plain {
				plain = utf8.Valid(b[start+1 : j])
			}
			return d.i, plain, nil
		case 1:
			d.i = j
			return 0, false, d.fail("invalid control character in a string")
		case 3:
			plain = false
			j++
			if j >= len(b) {
				break
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for k := 1; k <= 4; k++ {
					if j+k >= len(b) || !isHex(b[j+k]) {
						d.i = j + k
						return 0, false, d.fail("invalid \\u escape in a string")
					}
				}
				j += 4
			default:
				d.i = j
				return 0, false, d.fail("invalid escape in a string")
			}
		case 4:
			ascii = false
		}
	}
	d.i = len(b)
	return 0, false, d.fail("unexpected end of JSON input in a string")
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
