package spec_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/pkg/rules/scope"
	"github.com/xtsync/xtsync/pkg/rules/spec"
)

var update = flag.Bool("update", false, "rewrite golden error lists in testdata/")

func load(t *testing.T, name string) *spec.Rules {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	r, err := spec.Decode(f)
	require.NoError(t, err)
	return r
}

func TestValidConfigs(t *testing.T) {
	t.Parallel()
	r := load(t, "valid_minimal.json")
	cfg, err := r.Compile(nil)
	require.NoError(t, err)
	require.Equal(t, scope.AssignedOnly, cfg.Mode)
	require.Equal(t, 30*24*time.Hour, cfg.Retention)
	require.Equal(t, decide.DeprovisionSoftDelete, cfg.Deprovision)
	require.True(t, cfg.Users.Enabled)
	require.False(t, cfg.Groups.Enabled)
	require.Len(t, cfg.Users.Mappings.Mappings(), 25, "default user mappings")
	require.Equal(t, 500, r.DeletionThreshold())

	r = load(t, "valid_full.json")
	cfg, err = r.Compile(nil)
	require.NoError(t, err)
	require.Equal(t, 7*24*time.Hour, cfg.Retention)
	require.Equal(t, 2, cfg.Users.Filters.Len())
	require.True(t, cfg.Groups.Enabled)
	require.Equal(t, 250, r.DeletionThreshold())
}

// TestInvalidGolden checks that one Validate call reports every problem of
// a broken configuration, each with its field path; run with -update to
// rewrite testdata/*.golden.
func TestInvalidGolden(t *testing.T) {
	t.Parallel()
	matches, err := filepath.Glob("testdata/invalid_*.json")
	require.NoError(t, err)
	require.NotEmpty(t, matches)
	for _, m := range matches {
		r := load(t, filepath.Base(m))
		err := r.Validate()
		require.Error(t, err)
		var fe rules.FieldErrors
		require.ErrorAs(t, err, &fe)
		got := err.Error() + "\n"
		golden := strings.TrimSuffix(m, ".json") + ".golden"
		if *update {
			require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
		}
		want, rerr := os.ReadFile(golden)
		require.NoError(t, rerr)
		require.Equal(t, string(want), got)
	}
}

func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	_, err := spec.Decode(strings.NewReader(`{"sourceTenantId":"x","scopingFilter":[]}`))
	require.ErrorContains(t, err, "unknown field")
	_, err = spec.Decode(strings.NewReader(`{} {}`))
	require.ErrorContains(t, err, "trailing data")
	_, err = spec.Decode(strings.NewReader(`[`))
	require.Error(t, err)
}

func TestDisableModeAllowsLongerRetention(t *testing.T) {
	t.Parallel()
	days := 90
	r := &spec.Rules{SourceTenantID: "t", Assignments: spec.Assignments{Users: []string{"u"}},
		Deprovision: "Disable", SoftDeleteThresholdDays: &days}
	require.NoError(t, r.Validate())
	off := false
	r.AccidentalDeletion.Enabled = &off
	require.Zero(t, r.DeletionThreshold())

	days = 366
	require.ErrorContains(t, r.Validate(), "softDeleteThresholdDays: at most 365 days")
}

func FuzzDecode(f *testing.F) {
	for _, n := range []string{"valid_minimal.json", "valid_full.json", "invalid_everything.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"scope":"AllUsers","groups":{"enabled":true}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := spec.Decode(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			var fe rules.FieldErrors
			if !errorsAs(err, &fe) {
				t.Fatalf("Validate returned %T, want rules.FieldErrors", err)
			}
			for _, e := range fe {
				if e.Path == "" || e.Code == "" {
					t.Fatalf("error without path or code: %v", e)
				}
			}
		}
	})
}
