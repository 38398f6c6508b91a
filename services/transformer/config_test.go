package transformer_test

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
	"github.com/xtsync/xtsync/services/transformer"
)

func TestConfigFlagsAndValidate(t *testing.T) {
	t.Parallel()
	var c transformer.Config
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c.RegisterFlags("transformer.", fs)
	require.NoError(t, fs.Parse([]string{"-transformer.shards=1,3", "-transformer.concurrency=2"}))
	require.Equal(t, []int{1, 3}, c.Shards)
	require.Equal(t, 2, c.Concurrency)
	require.NoError(t, c.Validate())
	require.Equal(t, transformer.DefaultConfig().ChangeShards, c.ChangeShards)

	bad := transformer.DefaultConfig()
	bad.Shards = []int{0, 0, 99}
	bad.Concurrency, bad.CycleStateTTL = 0, time.Minute
	err := bad.Validate()
	require.ErrorContains(t, err, "shard 0 listed twice")
	require.ErrorContains(t, err, "shard 99 is outside")
	require.ErrorContains(t, err, "concurrency 0")
	require.ErrorContains(t, err, "cycle_state_ttl")

	_, err = transformer.New(transformer.DefaultConfig(), transformer.Deps{})
	require.ErrorContains(t, err, "rules resolver is required")
}

func TestBadBatchesArePermanent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	_, err := f.tr.Transform(ctxT(t), &eventsv1.SourceChangeBatch{ConfigurationId: "nope", CycleId: cycle})
	require.ErrorIs(t, err, transformer.ErrUnknownConfiguration)
	require.True(t, natsx.IsPermanent(err))
	_, err = f.tr.Transform(ctxT(t), &eventsv1.SourceChangeBatch{ConfigurationId: "bad{cfg}", CycleId: cycle})
	require.True(t, natsx.IsPermanent(err))
	_, err = f.tr.Transform(ctxT(t), batch(1, group("g-staff", []string{"has space"})))
	require.True(t, natsx.IsPermanent(err))

	// A Redis outage is not permanent: the batch is retried.
	require.NoError(t, f.rdb.Close())
	_, err = f.tr.Transform(context.Background(), batch(1, user("u1")))
	require.Error(t, err)
	require.False(t, natsx.IsPermanent(err))
}

// TestGraphAttributesReachEntraNames: Graph v1.0 JSON from the reader is
// read by mappings under Entra's names (telephoneNumber, mobile,
// physicalDeliveryOfficeName, extension attributes).
func TestGraphAttributesReachEntraNames(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	wi := f.one(user("u1", "businessPhones", []any{"+47 1", "+47 2"}, "mobilePhone", "+47 9",
		"officeLocation", "Oslo HQ", "employeeOrgData", map[string]any{"costCenter": "CC1"}))
	got := map[string]string{}
	for _, c := range wi.GetChanges() {
		got[c.GetAttribute()] = c.GetNewValueJson()
	}
	require.Equal(t, `"+47 1"`, got["telephoneNumber"])
	require.Equal(t, `"+47 9"`, got["mobile"])
	require.Equal(t, `"Oslo HQ"`, got["physicalDeliveryOfficeName"])
	require.Equal(t, `"Member"`, got["userType"])
	require.Equal(t, "true", got["accountEnabled"])
}
