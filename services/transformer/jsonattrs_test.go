package transformer

import (
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/spec"
)

// decodeStd is the decoding decodeJSONAttrs replaced: encoding/json into
// a map, then plain. Kept here as the reference the new path must equal.
func decodeStd(raw []byte) (rules.Attrs, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, os.ErrInvalid
	}
	a := make(rules.Attrs, len(m))
	for k, v := range m {
		a[fold(k)] = plain(v)
	}
	return a, nil
}

func plain(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
		return x
	case []any:
		strs := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				for i, e := range x {
					x[i] = plain(e)
				}
				return x
			}
			strs = append(strs, s)
		}
		return strs
	case map[string]any:
		for k, e := range x {
			x[k] = plain(e)
		}
		return x
	}
	return v
}

// foldCollides reports a document whose keys (top level, or of an object
// sourceAttrs flattens) differ only in case: which one the old path kept
// depended on map order, so there is no single answer to compare with.
func foldCollides(raw []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	collides := func(keys []string) bool {
		seen := map[string]bool{}
		for _, k := range keys {
			if seen[strings.ToLower(k)] {
				return true
			}
			seen[strings.ToLower(k)] = true
		}
		return false
	}
	var top []string
	for k, v := range m {
		top = append(top, k)
		var nested map[string]json.RawMessage
		if json.Unmarshal(v, &nested) == nil {
			var keys []string
			for nk := range nested {
				keys = append(keys, nk)
			}
			if collides(keys) {
				return true
			}
		}
	}
	// Exact duplicates inside one object: json.Unmarshal into RawMessage
	// maps already kept the last; a case variant is a collision.
	return collides(top)
}

// defaultNeed is what the default rules (plus a scoping filter on an
// extension attribute and an employeeOrgData field) read.
func defaultNeed(t testing.TB, extra ...string) *need {
	names, err := defaultNames()
	require.NoError(t, err)
	return newNeed(slices.Concat(names, extra, []string{"extensionattribute2", "employeeorgdata.division"}))
}

var defaultNames = sync.OnceValues(func() ([]string, error) {
	r := &spec.Rules{SourceTenantID: "t", Assignments: spec.Assignments{Users: []string{"u1"}}}
	cfg, err := r.Compile(nil)
	if err != nil {
		return nil, err
	}
	return cfg.SourceAttributes(), nil
})

// checkSame decodes raw the old way and the new way, whole and as a
// configuration reads it, and requires the same bags where the rules read
// them, the same manager, and errors for the same documents.
func checkSame(t *testing.T, raw []byte) {
	t.Helper()
	std, stdErr := decodeStd(raw)
	got, err := decodeJSONAttrs(raw, nil)
	if stdErr != nil {
		require.Error(t, err, "old path refused %q: %v", raw, stdErr)
		_, err = decodeJSONAttrs(raw, defaultNeed(t))
		require.Error(t, err, "old path refused %q: %v", raw, stdErr)
		return
	}
	require.NoError(t, err, "%q", raw)
	if foldCollides(raw) {
		return
	}
	require.Equal(t, std, got, "%q", raw)

	// Selectively: every name the rules read, after sourceAttrs, is the
	// same. The document's own keys are wanted too, so the fuzzer reaches
	// both the decoded and the skipped paths.
	var extra []string
	for i, k := range slices.Sorted(maps.Keys(std)) {
		if i%2 == 0 {
			extra = append(extra, k)
		}
	}
	n := defaultNeed(t, extra...)
	sel, err := decodeJSONAttrs(raw, n)
	require.NoError(t, err)
	for _, typ := range []commonv1.ObjectType{commonv1.ObjectType_OBJECT_TYPE_USER, groupType} {
		ch := &eventsv1.SourceChange{Object: &commonv1.ObjectRef{Type: typ, ObjectId: "u1"}, MemberIds: []string{"m"}}
		std2, _ := decodeStd(raw)
		sel2, err := decodeJSONAttrs(raw, n)
		require.NoError(t, err)
		require.Equal(t, managerOf(std2), managerOf(sel2))
		want, have := sourceAttrs(ch, std2), sourceAttrs(ch, sel2)
		for name := range n.names {
			w, wok := want[name]
			h, hok := have[name]
			require.Equal(t, wok, hok, "%s present in %q", name, raw)
			require.Equal(t, w, h, "%s of %q", name, raw)
		}
	}
	require.LessOrEqual(t, len(sel), len(got))
}

// fixtures are Graph JSON documents: the graphsim golden responses and
// each object they list.
func fixtures(t testing.TB) [][]byte {
	t.Helper()
	files, err := filepath.Glob("../../graphsim/testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		out = append(out, raw)
		var page struct{ Value []json.RawMessage }
		if json.Unmarshal(raw, &page) == nil {
			for _, v := range page.Value {
				out = append(out, v)
			}
		}
	}
	return out
}

// handmade are the corners of JSON and of encoding/json's decoding.
var handmade = []string{
	`{}`, ` { } `, `{"a":null}`, `{"A":1,"a":2}`, `{"a":1,"a":2}`, `{"a":[]}`, `{"a":{}}`,
	`{"n":-0,"f":-0.0,"e":1E2,"g":2.5e-3,"big":9007199254740993,"neg":-9007199254740992,"h":1e308}`,
	`{"s":"a\"b\\c\/d\b\f\n\r\t\u00e9\u2028\ud83d\ude00"}`, `{"bad":"\ud800x","lone":"\udc00"}`,
	"{\"utf8\":\"ø\xff\xfe\",\"k\xffey\":1}", `{"\u0061b":"escaped key"}`,
	`{"l":["a",1,null,true,{"x":["y"]},["z"],[1]],"m":[["a"],["b"]]}`,
	`{"manager":{"id":"m1","x":1}}`, `{"manager":{"id":5}}`, `{"manager":"m"}`,
	`{"onPremisesExtensionAttributes":{"extensionAttribute2":"x","ExtensionAttribute3":null},"extensionAttribute2":"top"}`,
	`{"onPremisesExtensionAttributes":{"extensionAttribute2":"x"},"onPremisesExtensionAttributes":null}`,
	`{"onPremisesExtensionAttributes":"x"}`, `{"employeeOrgData":{"division":"R&D","costCenter":"1"}}`,
	`{"mobilePhone":"1","officeLocation":"o","faxNumber":"f","businessPhones":["p"],"mobile":"2"}`,
	`{"netId":"","id":"x","objectId":"y"}`, `{"members":["a"]}`,
	// refused
	``, ` `, `null`, `[1]`, `"s"`, `1`, `true`, `{`, `{"a"`, `{"a":`, `{"a":1`, `{"a":1,}`, `{"a":1}x`, `{"a":1}{}`,
	`{a:1}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":-}`, `{"a":+1}`, `{"a":1e400}`, `{"skip":[1e400]}`,
	`{"a":nul}`, `{"a":tru}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}", `{"a":[1,]}`, `{"a":[,1]}`,
	`{"a":"unterminated}`, `{"a":1 "b":2}`, `{"a" 1}`, `{"a":[}`, `{"a":{"b":1]}`,
}

// TestDecodeSame: the fixtures and the corner cases decode to the same
// bags (and fail alike) the old and the new way.
func TestDecodeSame(t *testing.T) {
	for _, raw := range fixtures(t) {
		checkSame(t, raw)
	}
	for _, s := range handmade {
		checkSame(t, []byte(s))
	}
	// encoding/json's nesting limit: 10,000 levels pass, 10,001 fail.
	for _, depth := range []int{9999, 10000, 10001} {
		raw := `{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`
		checkSame(t, []byte(raw))
	}
}

// FuzzDecodeSame: any bytes decode the same the old and the new way.
func FuzzDecodeSame(f *testing.F) {
	for _, raw := range fixtures(f) {
		f.Add(raw)
	}
	for _, s := range handmade {
		f.Add([]byte(s))
	}
	f.Fuzz(checkSame)
}

// TestDecodeErrorNamesProperty: a malformed document fails naming the
// object and the property being read.
func TestDecodeErrorNamesProperty(t *testing.T) {
	for _, n := range []*need{nil, defaultNeed(t)} {
		for raw, want := range map[string]string{
			"{\"displayName\":\"A\",\"jobTitle\":\"b\x01\"}": `property "jobTitle": invalid control character`,
			`{"identities":[{"issuer":x}]}`:                  `property "identities": invalid character 'x'`,
			`{"n":1e400}`:                                    `property "n": number 1e400 does not fit`,
			`{"a":1}x`:                                       `after the object`,
			`[1]`:                                            `not a JSON object`,
			`null`:                                           `null, not an object`,
		} {
			_, err := decodeAttrs(jsonChange(commonv1.ObjectType_OBJECT_TYPE_USER, raw), n)
			require.ErrorContains(t, err, "attributes of u1: ", raw)
			require.ErrorContains(t, err, want, raw)
		}
	}
}

// BenchmarkDecodeGraphUser decodes a full Graph user (every property of
// the default $select, graphsim's golden response) the old way, whole the
// new way, and as the default rules read it.
func BenchmarkDecodeGraphUser(b *testing.B) {
	raw, err := os.ReadFile("../../graphsim/testdata/user_select_all.golden.json")
	require.NoError(b, err)
	ch := jsonChange(commonv1.ObjectType_OBJECT_TYPE_USER, string(raw))
	n := defaultNeed(b)
	for _, bc := range []struct {
		name   string
		decode func() (rules.Attrs, error)
	}{
		{"encoding-json", func() (rules.Attrs, error) { return decodeStd(raw) }},
		{"whole", func() (rules.Attrs, error) { return decodeAttrs(ch, nil) }},
		{"rules-need", func() (rules.Attrs, error) { return decodeAttrs(ch, n) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a, err := bc.decode()
				if err != nil {
					b.Fatal(err)
				}
				sourceAttrs(ch, a)
			}
		})
	}
}
