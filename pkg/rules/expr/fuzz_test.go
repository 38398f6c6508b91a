package expr_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/xtsync/xtsync/pkg/rules/expr"
)

// seedExpressions feeds the fuzzers every reference example plus a few
// hand-picked edge cases.
func seedExpressions(f *testing.F) []string {
	raw, err := os.ReadFile(referencePath)
	if err != nil {
		f.Fatal(err)
	}
	var ref referenceFile
	if err := json.Unmarshal(raw, &ref); err != nil {
		f.Fatal(err)
	}
	out := []string{
		``, `(`, `[`, `"`, `&H`, `-`, `F(,,,)`, `IIF([a]=[b]=[c],1,2)`, `"\"`, `"\\"`,
		`Replace([a], , "(?<g>.)", "g", , "b", )`, `Replace([a], , "$", , "$1$$${x}$+$_", , )`,
		`FormatDateTime([a], , "%d'x'\\yF", "gg K zzz FFFFFFF")`, `DateAdd("yyyy", 9999, Now())`,
		`RandomString(256,64,64,64,64,"")`, `SelectUniqueValue([a], [b], Guid())`,
	}
	for _, c := range ref.Cases {
		out = append(out, c.Expr)
	}
	return out
}

func FuzzCompile(f *testing.F) {
	for _, s := range seedExpressions(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := expr.Compile(src, expr.Options{})
		if err != nil {
			var se *expr.SyntaxError
			var ce *expr.CheckError
			if !errors.As(err, &se) && !errors.As(err, &ce) {
				t.Fatalf("Compile(%q) returned %T: %v", src, err, err)
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if p.Source() != src {
			t.Fatal("Source() differs from input")
		}
		_, _ = p.Eval(&expr.Env{Rand: rand.NewChaCha8([32]byte{})})
	})
}

func FuzzEval(f *testing.F) {
	attrs := []string{
		`{}`,
		`{"a":"x","b":["1","2","1"],"c":null,"d":"2021-06-30+08:00","n":7}`,
		`{"a":"","b":[],"givenName":"Zoë","surname":"O'Neil","mail":"z@contoso.example","accountEnabled":true}`,
	}
	for i, s := range seedExpressions(f) {
		f.Add(s, []byte(attrs[i%len(attrs)]))
	}
	fallback := map[string]any{"a": "Ab c", "b": []any{"x", "y"}, "d": "8/25/2021 5:41:18 PM", "n": "3"}
	now := time.Date(2021, 8, 25, 17, 41, 18, 0, time.UTC)
	f.Fuzz(func(t *testing.T, src string, attrsJSON []byte) {
		p, err := expr.Compile(src, expr.Options{})
		if err != nil {
			return
		}
		m := fallback
		dec := json.NewDecoder(bytes.NewReader(attrsJSON))
		dec.UseNumber()
		var decoded map[string]any
		if dec.Decode(&decoded) == nil && decoded != nil {
			m = decoded
		}
		calls := 0
		env := &expr.Env{
			Attrs: expr.MapAttributes(m),
			Now:   func() time.Time { return now },
			Rand:  rand.NewChaCha8([32]byte{7}),
			IsUnique: func(context.Context, string) (bool, error) {
				calls++
				return calls > 1, nil
			},
		}
		v, err := p.Eval(env)
		if err != nil {
			var ee *expr.EvalError
			if !errors.As(err, &ee) {
				t.Fatalf("Eval(%q) returned %T: %v", src, err, err)
			}
			return
		}
		if n := len(v.String()); n > 4*expr.MaxResultLen {
			t.Fatalf("result of %d bytes escaped the cap", n)
		}
		if _, err := json.Marshal(v.Any()); err != nil {
			t.Fatalf("result not JSON-encodable: %v", err)
		}
	})
}
