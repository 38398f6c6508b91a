package graph_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/internal/graph"
)

type recordEncoding struct {
	base    http.RoundTripper
	gzipped atomic.Int64
	bodies  atomic.Int64
}

func (r *recordEncoding) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Method != http.MethodGet {
		r.bodies.Add(1)
		if req.Header.Get("Content-Encoding") != "" {
			r.gzipped.Add(1)
		}
	}
	return r.base.RoundTrip(req)
}

// TestRequestBodiesAreNotCompressed: writes go out as plain JSON (the SDK's
// gzip middleware cost a tenth of a writer's CPU, BENCHMARKS.md).
func TestRequestBodiesAreNotCompressed(t *testing.T) {
	t.Parallel()
	s := startSim(t, withUsers(1))
	rec := &recordEncoding{}
	c := s.newClient(t, func(cfg *graph.Config) {
		rec.base = cfg.HTTPClient.Transport
		if rec.base == nil {
			rec.base = http.DefaultTransport
		}
		hc := *cfg.HTTPClient
		hc.Transport = rec
		cfg.HTTPClient = &hc
	})
	id := onlyUserID(t, s.client)
	require.NoError(t, c.UpdateUser(testCtx(t), id, graph.Attributes{"jobTitle": "plain"}))
	require.Positive(t, rec.bodies.Load())
	require.Zero(t, rec.gzipped.Load())
}
