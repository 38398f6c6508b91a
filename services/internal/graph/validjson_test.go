package graph

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// jsonEdgeCases are the grammar's corners: each must be judged as
// json.Valid judges it.
var jsonEdgeCases = []string{
	``, ` `, `{}`, `[]`, ` {} `, `{ }`, `[ ]`, `{`, `}`, `[`, `]`, `{]`, `[}`,
	`null`, `nul`, `nulll`, `true`, `tru`, `false`, `falsee`, `t`, `True`, `NaN`, `Infinity`,
	`0`, `-0`, `00`, `01`, `-`, `-01`, `1.`, `1.0`, `.5`, `1e`, `1e+`, `1e5`, `1E-5`, `1.5e+10`, `-1.5E-0`, `+1`, `0x10`, `1_000`,
	`""`, `"a`, `"\"`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\u00e9"`, `"\u00G9"`, `"\u12"`, `"\x"`, `"\'"`,
	"\"\x01\"", "\"\x1f\"", "\"\x7f\"", "\"\xff\xfe\"", "\"tab\there\"", "\"é\"",
	`{"a":1}`, `{"a":1,}`, `{"a":1,"b":[1,2,{"c":null}]}`, `{"a" 1}`, `{"a":}`, `{a:1}`, `{"a":1 "b":2}`, `{,"a":1}`,
	`{"a":1}}`, `{"a":1}{}`, `[1,]`, `[,1]`, `[1 2]`, `[1,,2]`, `[[[]]]`, `[[[]]`, `{"a":[}`, `{"a":{"b":{}}}`,
	`1 2`, `"a" "b"`, "\t\n\r {\"a\" \t:\n 1\r}\n", "\ufeff{}", `{"a":1}` + "\x00",
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
	strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
}

func TestValidJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range append(jsonEdgeCases, decodeSeeds...) {
		require.Equal(t, json.Valid([]byte(s)), validJSON([]byte(s)), "%.80q", s)
	}
}

// TestCheckJSONNamesTheFault: an invalid body is refused with
// encoding/json's description of where.
func TestCheckJSONNamesTheFault(t *testing.T) {
	for body, want := range map[string]string{
		`{"a":1`:           "unexpected end of JSON input",
		`{"a":01}`:         "invalid character '1' after object key:value pair",
		"{\"a\":\"\x01\"}": "invalid character '\\x01' in string literal",
		`{"a":1}x`:         "invalid character 'x' after top-level value",
	} {
		require.ErrorContains(t, checkJSON([]byte(body)), want, body)
	}
	require.NoError(t, checkJSON([]byte(`{"a":[1,"x",null]}`)))
}

// FuzzValidJSON: validJSON and json.Valid agree on every input.
func FuzzValidJSON(f *testing.F) {
	for _, s := range append(jsonEdgeCases, decodeSeeds...) {
		if len(s) < 1000 {
			f.Add([]byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		require.Equal(t, json.Valid(b), validJSON(b), "%q", b)
	})
}

// FuzzRawAny: on valid JSON, rawAny decodes what json.Unmarshal into an
// any decodes, and fails where it fails (numbers out of range); on
// anything else (never given it: its input is validated) it does not
// panic.
func FuzzRawAny(f *testing.F) {
	for _, s := range append(jsonEdgeCases, decodeSeeds...) {
		if len(s) < 1000 {
			f.Add([]byte(s))
		}
	}
	f.Add([]byte(`{"a":1e400}`))
	f.Add([]byte(`{"\u0061":1,"a":2,"b\ud800":"\ud83d\ude00","c":[-0,1.5e-7,{}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := rawAny(b)
		if !json.Valid(b) {
			return
		}
		var want any
		if werr := json.Unmarshal(b, &want); werr != nil {
			require.Error(t, err, "%q: encoding/json: %v", b, werr)
			return
		}
		require.NoError(t, err, "%q", b)
		require.Equal(t, want, got, "%q", b)
	})
}

func TestRawAny(t *testing.T) {
	for in, want := range map[string]any{
		`{"a":[1,"x",null,true,false,{}],"b":{"c":-2.5e3}}`: map[string]any{"a": []any{1.0, "x", nil, true, false, map[string]any{}}, "b": map[string]any{"c": -2500.0}},
		`{"a":1,"\u0061":2}`: map[string]any{"a": 2.0},
		`[]`:                 []any{},
		` "caf\u00e9" `:      "café",
		"\"\xff\"":           "\ufffd",
		`null`:               nil,
	} {
		got, err := rawAny([]byte(in))
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{`{"a":1e400}`, `{"a":}`, `[1,]`, `{"a":1} x`, ``, `tru`} {
		_, err := rawAny([]byte(in))
		require.Error(t, err, in)
	}
	_, err := rawAny([]byte(strings.Repeat("[", maxNestingDepth+1) + strings.Repeat("]", maxNestingDepth+1)))
	require.True(t, errors.Is(err, errJSONDepth), "%v", err)
}

// BenchmarkValidJSON checks a delta page of 200 users as decodeDelta
// does, against json.Valid.
func BenchmarkValidJSON(b *testing.B) {
	var page strings.Builder
	page.WriteString(`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","@odata.nextLink":"https://graph.microsoft.com/v1.0/users/delta?$skiptoken=abc","value":[`)
	for i := range 200 {
		if i > 0 {
			page.WriteByte(',')
		}
		page.WriteString(`{"id":"3d7a1e5b-9c0f-4f7e-8e2d-1b6a9c4d2e33","displayName":"Ann Lee","givenName":"Ann","surname":"Lee","mail":"ann.lee@source.example","userPrincipalName":"ann.lee@source.example","jobTitle":"Engineer","department":"R&D","accountEnabled":true,"businessPhones":["+41 44 000 00 00"],"employeeOrgData":{"division":"Eng","costCenter":null},"otherMails":[]}`)
	}
	page.WriteString(`]}`)
	body := []byte(page.String())
	for _, v := range []struct {
		name string
		fn   func([]byte) bool
	}{{"validJSON", validJSON}, {"json.Valid", json.Valid}} {
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if !v.fn(body) {
					b.Fatal("invalid")
				}
			}
		})
	}
}
