package transformer

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/pkg/rules/mapping"
)

// TestToChanges: the values toChanges encodes into one shared string are
// each exactly valueJSON's, old values included (none when Old is nil), for
// more changes than its span array holds on the stack.
func TestToChanges(t *testing.T) {
	values := []any{nil, "Ann", `a"b<c>`, "ø", true, int64(-7), 1.5, []string{"a", "b"}, []string{},
		time.Date(2026, 5, 1, 12, 0, 0, 0, time.FixedZone("x", 3600)),
		mapping.AltSecID{TenantID: "t", NetID: "n"}, mapping.Ref{SourceID: "m1"}}
	var cs []decide.Change
	for i := range 40 {
		c := decide.Change{Attribute: fmt.Sprint("a", i), Graph: fmt.Sprint("g", i), New: values[i%len(values)],
			Hash: uint64(i), Redacted: i%5 == 0}
		if i%3 == 0 {
			c.Old = values[(i+1)%len(values)]
		}
		cs = append(cs, c)
	}
	for _, n := range []int{1, 3, 32, 33, 40} {
		got, err := toChanges(cs[:n])
		require.NoError(t, err)
		require.Len(t, got, n)
		for i, ac := range got {
			c := cs[i]
			want, err := valueJSON(c.New)
			require.NoError(t, err)
			require.Equal(t, want, ac.GetNewValueJson(), c.Attribute)
			wantOld := ""
			if c.Old != nil {
				wantOld, err = valueJSON(c.Old)
				require.NoError(t, err)
			}
			require.Equal(t, wantOld, ac.GetOldValueJson(), c.Attribute)
			require.Equal(t, []any{c.Attribute, c.Graph, c.Hash, c.Redacted},
				[]any{ac.GetAttribute(), ac.GetGraphProperty(), ac.GetHash(), ac.GetRedacted()})
		}
	}
	_, err := toChanges([]decide.Change{{Attribute: "bad", New: func() {}}})
	require.ErrorContains(t, err, "encode bad")
}
