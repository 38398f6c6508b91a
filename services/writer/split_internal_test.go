package writer

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/internal/graph"
)

// TestSplitBatches: $batch calls keep the items' order, at most size
// requests and maxWrites writes each; reads ride along free.
func TestSplitBatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		items           string // W write, R read
		size, maxWrites int
		want            []string
	}{
		{"none", "", 20, 20, nil},
		{"by size", "WWWWW", 2, 20, []string{"WW", "WW", "W"}},
		{"by writes", "WWWWW", 20, 2, []string{"WW", "WW", "W"}},
		{"reads ride along", "RWRWRWR", 20, 2, []string{"RWRWR", "WR"}},
		{"reads alone by size", "RRRRR", 2, 1, []string{"RR", "RR", "R"}},
		{"at least one write per call", "WWW", 20, 0, []string{"W", "W", "W"}},
		{"size binds before writes", "RRWRRW", 3, 2, []string{"RRW", "RRW"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items := make([]*item, len(tc.items))
			for i, c := range tc.items {
				m := http.MethodPatch
				if c == 'R' {
					m = http.MethodGet
				}
				items[i] = &item{req: graph.BatchRequest{Method: m}}
			}
			var got []string
			for _, b := range splitBatches(items, tc.size, tc.maxWrites) {
				s := ""
				for _, it := range b {
					s += map[bool]string{true: "W", false: "R"}[it.writes() > 0]
				}
				got = append(got, s)
			}
			require.Equal(t, tc.want, got)
		})
	}
}
