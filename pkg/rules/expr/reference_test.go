package expr_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules/expr"
)

var update = flag.Bool("update", false, "rewrite want values in testdata/reference.json from actual results (review the diff!)")

// referenceCase is one row of testdata/reference.json: every example of the
// Microsoft reference (and of the seeds), with its input attributes and the
// documented output.
type referenceCase struct {
	Func      string          `json:"func"`
	Name      string          `json:"name"`
	Expr      string          `json:"expr"`
	Attrs     map[string]any  `json:"attrs,omitempty"`
	Want      json.RawMessage `json:"want,omitempty"`
	WantMatch string          `json:"wantMatch,omitempty"` // regexp for random output
	WantErr   string          `json:"wantErr,omitempty"`   // "ignore", "nounique"
	Now       string          `json:"now,omitempty"`
	Taken     []string        `json:"taken,omitempty"` // values SelectUniqueValue finds in the target
	Redacted  bool            `json:"redacted,omitempty"`
	Note      string          `json:"note,omitempty"`
}

type referenceFile struct {
	Now   string          `json:"now"`
	Cases []referenceCase `json:"cases"`
}

const referencePath = "testdata/reference.json"

func loadReference(t *testing.T) referenceFile {
	t.Helper()
	raw, err := os.ReadFile(referencePath)
	require.NoError(t, err)
	var f referenceFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&f))
	return f
}

func envFor(t *testing.T, defNow string, c referenceCase) *expr.Env {
	t.Helper()
	nowStr := defNow
	if c.Now != "" {
		nowStr = c.Now
	}
	now, err := time.Parse(time.RFC3339, nowStr)
	require.NoError(t, err)
	env := &expr.Env{
		Attrs: expr.MapAttributes(c.Attrs),
		Now:   func() time.Time { return now },
		Rand:  rand.NewChaCha8([32]byte{1, 2, 3}),
	}
	if c.Taken != nil {
		env.IsUnique = func(_ context.Context, v string) (bool, error) { return !slices.Contains(c.Taken, v), nil }
	}
	return env
}

func TestReference(t *testing.T) {
	t.Parallel()
	f := loadReference(t)
	require.NotEmpty(t, f.Cases)
	updated := false
	for i, c := range f.Cases {
		t.Run(c.Func+"/"+c.Name, func(t *testing.T) {
			prog, err := expr.Compile(c.Expr, expr.Options{})
			require.NoError(t, err)
			require.Equal(t, c.Redacted, prog.Redacted())
			got, err := prog.Eval(envFor(t, f.Now, c))
			switch c.WantErr {
			case "ignore":
				require.ErrorIs(t, err, expr.ErrIgnoreFlow)
				return
			case "nounique":
				require.ErrorIs(t, err, expr.ErrNoUniqueValue)
				return
			case "":
				require.NoError(t, err)
			default:
				require.ErrorContains(t, err, c.WantErr)
				return
			}
			gotJSON, err := json.Marshal(got.Any())
			require.NoError(t, err)
			if c.WantMatch != "" {
				require.Regexp(t, regexp.MustCompile(c.WantMatch), got.String())
				return
			}
			if *update {
				f.Cases[i].Want = gotJSON
				updated = true
				return
			}
			require.JSONEq(t, string(c.Want), string(gotJSON), "note: %s", c.Note)
		})
	}
	if *update && updated {
		out, err := json.MarshalIndent(f, "", " ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(referencePath, append(out, '\n'), 0o644))
	}
}

// TestReferenceCoversEveryFunction keeps the golden table honest: each
// supported function has at least one documented example in it.
func TestReferenceCoversEveryFunction(t *testing.T) {
	t.Parallel()
	f := loadReference(t)
	covered := map[string]bool{}
	for _, c := range f.Cases {
		covered[c.Func] = true
	}
	for _, name := range expr.Functions() {
		if name == "AppRoleAssignmentsComplex" {
			continue // rejected at Compile; see TestCheckErrors
		}
		require.True(t, covered[name], "no reference example for %s", name)
	}
}

func TestEvalErrorsAreTyped(t *testing.T) {
	t.Parallel()
	_, err := expr.MustCompile(`IgnoreFlowIfNullOrEmpty([x])`).Eval(nil)
	var ee *expr.EvalError
	require.True(t, errors.As(err, &ee))
	require.Equal(t, "IgnoreFlowIfNullOrEmpty", ee.Func)
}
