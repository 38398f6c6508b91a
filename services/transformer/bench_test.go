package transformer_test

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules/spec"
)

const benchBatch = 250

// benchFixture assigns benchBatch users (default user mappings, one
// scoping filter) and returns their changes as one batch.
func benchFixture(b *testing.B) (*fixture, *eventsv1.SourceChangeBatch) {
	return benchFixtureOf(b, func(id, manager string) *eventsv1.SourceChange {
		return user(id, "manager", manager, "jobTitle", "Engineer", "businessPhones", []any{"+47 1234"})
	})
}

// graphUser is a user as the reader sends it from Graph: every property
// of the default $select (graphsim's golden user), about 2 KB of JSON.
func graphUser(b *testing.B) func(id, manager string) *eventsv1.SourceChange {
	raw, err := os.ReadFile("../../graphsim/testdata/user_select_all.golden.json")
	require.NoError(b, err)
	return func(id, manager string) *eventsv1.SourceChange {
		var a map[string]any
		require.NoError(b, json.Unmarshal(raw, &a))
		delete(a, "@odata.context")
		a["id"], a["netId"], a["manager"] = id, id, manager
		a["userPrincipalName"], a["mail"] = id+"@a.example", id+"@a.example"
		return change(commonv1.ObjectType_OBJECT_TYPE_USER, id, a, nil)
	}
}

func benchFixtureOf(b *testing.B, mk func(id, manager string) *eventsv1.SourceChange) (*fixture, *eventsv1.SourceChangeBatch) {
	var ids []string
	for i := range benchBatch {
		ids = append(ids, fmt.Sprintf("0b5c7a3e-1f2d-4c6b-9a8e-%012d", i))
	}
	f := newFixture(b, nil, func(r *spec.Rules) { r.Assignments.Users = ids })
	changes := make([]*eventsv1.SourceChange, len(ids))
	for i, id := range ids {
		changes[i] = mk(id, ids[(i+1)%len(ids)])
	}
	return f, batch(1, changes...)
}

func benchTransform(b *testing.B, f *fixture, in *eventsv1.SourceChangeBatch, want eventsv1.WriteAction) {
	ctx := ctxT(b)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		out, err := f.tr.Transform(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		if a := out.GetIntents()[0].GetAction(); a != want {
			b.Fatalf("action %s, want %s: %s", a, want, out.GetIntents()[0].GetLogJson())
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/time.Since(start).Seconds(), "objects/s")
}

// BenchmarkTransformCreate250: a full import of new users (create with
// match queries and on_match payloads), against real Redis.
func BenchmarkTransformCreate250(b *testing.B) {
	f, in := benchFixture(b)
	benchTransform(b, f, in, eventsv1.WriteAction_WRITE_ACTION_CREATE)
}

// BenchmarkTransformGraphCreate250 is BenchmarkTransformCreate250 with
// users as Graph sends them.
func BenchmarkTransformGraphCreate250(b *testing.B) {
	f, in := benchFixtureOf(b, graphUser(b))
	benchTransform(b, f, in, eventsv1.WriteAction_WRITE_ACTION_CREATE)
}

// BenchmarkTransformNoChange250: a re-read page of provisioned users (the
// steady state of a full import).
func BenchmarkTransformNoChange250(b *testing.B) {
	f, in := benchFixture(b)
	benchNoChange(b, f, in)
}

// BenchmarkTransformGraphNoChange250 is BenchmarkTransformNoChange250
// with users as Graph sends them.
func BenchmarkTransformGraphNoChange250(b *testing.B) {
	f, in := benchFixtureOf(b, graphUser(b))
	benchNoChange(b, f, in)
}

func benchNoChange(b *testing.B, f *fixture, in *eventsv1.SourceChangeBatch) {
	out, err := f.tr.Transform(ctxT(b), in)
	require.NoError(b, err)
	entries := make([]redisx.Entry, 0, len(out.GetIntents()))
	for _, wi := range out.GetIntents() {
		ce := wi.GetConnectorEntry()
		entries = append(entries, redisx.Entry{SourceID: ce.GetSourceId(), TargetID: "t-" + ce.GetSourceId(), Type: redisx.Users,
			State: redisx.Active, Since: now.Add(-time.Hour), CreatedBySync: true, Exported: ce.GetExported(), Version: 1})
	}
	_, err = f.cds.PutMany(ctxT(b), cfgID, entries)
	require.NoError(b, err)
	// The manager resolves now, so the first pass updates it once.
	out, err = f.tr.Transform(ctxT(b), in)
	require.NoError(b, err)
	for i, wi := range out.GetIntents() {
		entries[i].Exported = wi.GetConnectorEntry().GetExported()
	}
	_, err = f.cds.PutMany(ctxT(b), cfgID, entries)
	require.NoError(b, err)
	benchTransform(b, f, in, eventsv1.WriteAction_WRITE_ACTION_SKIP)
}
