package transformer_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules/spec"
)

const benchBatch = 250

// benchFixture assigns benchBatch users (default user mappings, one
// scoping filter) and returns their changes as one batch.
func benchFixture(b *testing.B) (*fixture, *eventsv1.SourceChangeBatch) {
	var ids []string
	for i := range benchBatch {
		ids = append(ids, fmt.Sprintf("0b5c7a3e-1f2d-4c6b-9a8e-%012d", i))
	}
	f := newFixture(b, nil, func(r *spec.Rules) { r.Assignments.Users = ids })
	changes := make([]*eventsv1.SourceChange, len(ids))
	for i, id := range ids {
		changes[i] = user(id, "manager", ids[(i+1)%len(ids)], "jobTitle", "Engineer", "businessPhones", []any{"+47 1234"})
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

// BenchmarkTransformNoChange250: a re-read page of provisioned users (the
// steady state of a full import).
func BenchmarkTransformNoChange250(b *testing.B) {
	f, in := benchFixture(b)
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
