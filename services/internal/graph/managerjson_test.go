package graph

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDecodeManagerDelta: manager@delta becomes User.Manager, absent stays
// nil (unchanged) and every form of "no manager" is "".
func TestDecodeManagerDelta(t *testing.T) {
	ptr := func(s string) *string { return &s }
	tests := []struct {
		name  string
		entry string
		want  *string
		err   bool
	}{
		{"absent", `{"id":"u","displayName":"A"}`, nil, false},
		{"set", `{"id":"u","manager@delta":[{"@odata.type":"#microsoft.graph.user","id":"m"}]}`, ptr("m"), false},
		{"removed, manager alive", `{"id":"u","manager@delta":[{"@odata.type":"#microsoft.graph.user","id":"m","@removed":{"reason":"changed"}}]}`, ptr(""), false},
		{"removed, manager deleted", `{"id":"u","manager@delta":[{"id":"m","@removed":{"reason":"deleted"}}]}`, ptr(""), false},
		{"replaced", `{"id":"u","manager@delta":[{"id":"old","@removed":{"reason":"changed"}},{"id":"new"}]}`, ptr("new"), false},
		{"replaced, removal last", `{"id":"u","manager@delta":[{"id":"new"},{"id":"old","@removed":{"reason":"changed"}}]}`, ptr("new"), false},
		{"empty list", `{"id":"u","manager@delta":[]}`, ptr(""), false},
		{"null", `{"id":"u","manager@delta":null}`, ptr(""), false},
		{"not a list", `{"id":"u","manager@delta":"m"}`, nil, true},
		{"entry not an object", `{"id":"u","manager@delta":[5]}`, nil, true},
		{"entry without id", `{"id":"u","manager@delta":[{"@odata.type":"#microsoft.graph.user"}]}`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := decodeDelta([]byte(`{"value":[`+tc.entry+`]}`), userOfJSON)
			if tc.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Len(t, p.Objects, 1)
			require.Equal(t, tc.want, p.Objects[0].Manager)
			require.NotContains(t, string(p.Objects[0].Raw), "manager@delta")
		})
	}
}
