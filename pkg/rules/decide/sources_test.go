package decide_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/pkg/rules/match"
	"github.com/xtsync/xtsync/pkg/rules/schema"
	"github.com/xtsync/xtsync/pkg/rules/spec"
)

// suffixConfigs are the configurations the SourceAttributes property is
// checked under: the default mappings with a filter, and the full spec
// fixture (expressions, regex and integer filters, group filters).
func sourceConfigs(t testing.TB) []*decide.Config {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "spec", "testdata", "valid_full.json"))
	require.NoError(t, err)
	defer f.Close()
	r, err := spec.Decode(f)
	require.NoError(t, err)
	full, err := r.Compile(nil)
	require.NoError(t, err)
	return []*decide.Config{config(t), full}
}

// randomInput builds a source object whose bag holds a random subset of
// every schema attribute (and some unknown ones) with values of every
// shape rules.Attrs allows, plus a random connector entry.
func randomInput(r *rand.Rand) decide.Input {
	typ, obj, ids := schema.UserType, schema.SourceUser, []string{"u1", "u-ceo", "u-disabled", "u-other"}
	if r.IntN(3) == 0 {
		typ, obj, ids = schema.GroupType, schema.SourceGroup, []string{"g-staff", "g-collab", "g-finance", "g-other"}
	}
	values := []any{nil, "", "Guest", "Member", "ann#EXT#@x", "ann@contoso.com", "Contractors", "CEO", "1001", "999",
		"Unified", true, false, int64(1001), int64(7), 1.5, []string{}, []string{"Unified"}, []string{"a", "b"},
		[]any{"x", int64(1)}, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "m1"}
	a := rules.Attrs{}
	for _, at := range obj.Attributes() {
		if r.IntN(3) > 0 {
			a[strings.ToLower(at.Name)] = values[r.IntN(len(values))]
		}
	}
	for _, n := range []string{"unknownprop", "identities", "onpremisesextensionattributes"} {
		if r.IntN(2) == 0 {
			a[n] = values[r.IntN(len(values))]
		}
	}
	id := ids[r.IntN(len(ids))]
	in := decide.Input{Source: decide.Source{ID: id, Type: typ, Attrs: a, Deleted: r.IntN(8) == 0},
		Now: now, VerifyMembers: r.IntN(2) == 0,
		Resolve: func(s string) (string, bool) { return "t-" + s, s == "m1" || strings.HasPrefix(s, "u") }}
	if r.IntN(2) == 0 {
		in.Source.DirectGroups = []string{"g-staff"}
	}
	if r.IntN(3) == 0 {
		in.MatchResults = [][]match.Candidate{nil}
	}
	states := []decide.State{decide.Active, decide.SoftDeleted, decide.Disabled, decide.Deleted}
	if k := r.IntN(len(states) + 1); k < len(states) {
		in.Entry = &decide.Entry{SourceID: id, TargetID: "t-" + id, State: states[k], Since: now.Add(-time.Duration(r.IntN(40*24)) * time.Hour),
			CreatedBySync: r.IntN(4) > 0, Exported: map[string]uint64{"displayName": r.Uint64()}}
	}
	return in
}

// only keeps the keys of a that names lists.
func only(a rules.Attrs, names []string) rules.Attrs {
	out := rules.Attrs{}
	for _, n := range names {
		if v, ok := a[n]; ok {
			out[n] = v
		}
	}
	return out
}

func checkSourceAttributes(t *testing.T, cfgs []*decide.Config, seed uint64) {
	for _, cfg := range cfgs {
		in := randomInput(rand.New(rand.NewPCG(seed, seed>>7)))
		want := decide.Decide(cfg, in)
		in.Source.Attrs = only(in.Source.Attrs, cfg.SourceAttributes())
		require.Equal(t, want, decide.Decide(cfg, in), "seed %d: %s", seed, want.Log.Explain())
	}
}

// TestSourceAttributesSuffice: a bag cut down to SourceAttributes decides
// exactly as the whole bag, for random objects under both configurations.
func TestSourceAttributesSuffice(t *testing.T) {
	t.Parallel()
	cfgs := sourceConfigs(t)
	for _, cfg := range cfgs {
		names := cfg.SourceAttributes()
		require.Contains(t, names, "usertype")
		for _, n := range names {
			require.Equal(t, strings.ToLower(n), n, "folded")
		}
	}
	require.Contains(t, cfgs[0].SourceAttributes(), "department") // a filter
	require.Contains(t, cfgs[0].SourceAttributes(), "netid")      // AltSecIdFromNetId
	require.Contains(t, cfgs[1].SourceAttributes(), "givenname")  // an expression
	require.Contains(t, cfgs[1].SourceAttributes(), "employeeid") // a filter only
	for seed := range uint64(3000) {
		checkSourceAttributes(t, cfgs, seed)
	}
}

func FuzzSourceAttributesSuffice(f *testing.F) {
	cfgs := sourceConfigs(f)
	for _, s := range []uint64{0, 1, 42, 1 << 40} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { checkSourceAttributes(t, cfgs, seed) })
}
