package redisx_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
)

func TestMemberSets(t *testing.T) {
	rdb := redistest.Start(t, redistest.Options{}).Client(t)
	s := redisx.NewMemberSets(rdb)
	ctx := context.Background()
	ids := make([]string, 2500) // several SADD chunks
	for i := range ids {
		ids[i] = fmt.Sprintf("u-%05d", len(ids)-i)
	}
	tests := []struct {
		name string
		ids  []string
	}{
		{"one", []string{"a"}},
		{"chunks", ids},
		{"duplicates", append(slices.Clone(ids[:10]), ids[:10]...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := s.Put(ctx, "cfg", tc.ids)
			require.NoError(t, err)
			again, err := s.Put(ctx, "cfg", tc.ids) // a redelivery
			require.NoError(t, err)
			require.Equal(t, id, again)
			got, err := s.Get(ctx, "cfg", id)
			require.NoError(t, err)
			want := slices.Clone(tc.ids)
			slices.Sort(want)
			require.Equal(t, slices.Compact(want), got)
			ttl, err := rdb.PTTL(ctx, "xtsync:{cfg}:members:"+id).Result()
			require.NoError(t, err)
			require.Positive(t, ttl)
		})
	}

	// A set that lost members (or expired) is reported, never returned short.
	id, err := s.Put(ctx, "cfg", []string{"x", "y"})
	require.NoError(t, err)
	require.NoError(t, rdb.SRem(ctx, "xtsync:{cfg}:members:"+id, "y").Err())
	_, err = s.Get(ctx, "cfg", id)
	require.ErrorIs(t, err, redisx.ErrMemberSetGone)
	// A Put of the same list repairs it.
	_, err = s.Put(ctx, "cfg", []string{"x", "y"})
	require.NoError(t, err)
	got, err := s.Get(ctx, "cfg", id)
	require.NoError(t, err)
	require.Equal(t, []string{"x", "y"}, got)

	_, err = s.Get(ctx, "cfg", "no-count")
	require.ErrorIs(t, err, redisx.ErrInvalid)
	_, err = s.Get(ctx, "cfg", "3.feed")
	require.ErrorIs(t, err, redisx.ErrMemberSetGone)
}

func TestMemberSetsAccumulate(t *testing.T) {
	rdb := redistest.Start(t, redistest.Options{}).Client(t)
	s := redisx.NewMemberSets(rdb)
	ctx := context.Background()
	steps := []struct {
		add  map[string][]string
		want map[string][]string
	}{
		{map[string][]string{"g1": {"b", "a"}, "g2": {}}, map[string][]string{"g1": {"a", "b"}, "g2": {}}},
		{map[string][]string{"g1": {"c"}}, map[string][]string{"g1": {"a", "b", "c"}}},
		{map[string][]string{"g1": {"c"}}, map[string][]string{"g1": {"a", "b", "c"}}}, // a re-read page
	}
	for i, st := range steps {
		got, err := s.Accumulate(ctx, "cfg", "cycle:c1", st.add)
		require.NoError(t, err, "step %d", i)
		for gid, want := range st.want {
			require.ElementsMatch(t, want, got[gid], "step %d group %s", i, gid)
		}
	}
	other, err := s.Accumulate(ctx, "cfg", "cycle:c2", map[string][]string{"g1": {"z"}})
	require.NoError(t, err)
	require.Equal(t, []string{"z"}, other["g1"], "another cycle starts empty")
	_, err = s.Accumulate(ctx, "cfg", "cycle:c2", map[string][]string{"g{1}": {"z"}})
	require.ErrorIs(t, err, redisx.ErrInvalid)
}
