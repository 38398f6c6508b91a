package graph

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// propsOf reads obj's top-level properties with EachProperty into a map
// (the last of repeated names wins, as encoding/json's).
func propsOf(obj []byte) (map[string]any, error) {
	out := map[string]any{}
	err := EachProperty(obj, func(name, key, value []byte) error {
		var k string
		if err := json.Unmarshal(key, &k); err != nil {
			return err
		}
		if k != string(name) {
			return errMalformed
		}
		var v any
		if err := json.Unmarshal(value, &v); err != nil {
			return err
		}
		out[k] = v
		return nil
	})
	return out, err
}

func TestEachProperty(t *testing.T) {
	tests := []struct {
		name, obj string
		want      map[string]any
		err       bool
	}{
		{"empty", ` { } `, map[string]any{}, false},
		{"values", `{"s":"a\"}b","n":-1.5e3,"t":true,"f":false,"z":null,"o":{"x":[1,{"y":"]"}]},"l":["a","b"]}`,
			map[string]any{"s": "a\"}b", "n": -1500.0, "t": true, "f": false, "z": nil, "o": map[string]any{"x": []any{1.0, map[string]any{"y": "]"}}}, "l": []any{"a", "b"}}, false},
		{"escaped key", `{"\u0069d":"x", "a\\b" : 1}`, map[string]any{"id": "x", `a\b`: 1.0}, false},
		{"repeated key: last wins", `{"a":1,"a":2}`, map[string]any{"a": 2.0}, false},
		{"not an object", `[1]`, nil, true},
		{"truncated", `{"a":"b`, nil, true},
		{"no colon", `{"a" 1}`, nil, true},
		{"trailing comma", `{"a":1,}`, nil, true},
		{"unclosed", `{"a":[1,2}`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := propsOf([]byte(tc.obj))
			if tc.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// FuzzEachProperty: the scanner never panics, and on every valid JSON
// object it reads what encoding/json reads.
func FuzzEachProperty(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"\u0040odata.type":"x","a\"b":{"c":"}"},"d":[[]],"e":"\u00e9\ud83d\ude00"}`))
	f.Fuzz(func(t *testing.T, obj []byte) {
		got, err := propsOf(obj)
		var want map[string]any
		if json.Valid(obj) && json.Unmarshal(obj, &want) == nil && want != nil {
			require.NoError(t, err)
			require.Equal(t, want, got)
		}
	})
}
