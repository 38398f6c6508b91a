package writer_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/services/internal/graph"
	"github.com/xtsync/xtsync/services/writer"
)

// clientWith connects to e's tenant with cfg changed by mutate (a wrong
// secret, an authority that does not answer).
func (e *env) clientWith(mutate func(*graph.Config)) *graph.Client {
	info := e.tenant.Info()
	cfg := graph.Config{
		TenantID: info.ID, ClientID: info.ClientID, ClientSecret: graph.Secret(info.ClientSecret),
		AuthorityURL: e.sim.AuthorityURL(), GraphURL: e.sim.GraphURL(), HTTPClient: e.sim.HTTPClient(),
		MaxRetries: -1,
	}
	mutate(&cfg)
	c, err := graph.New(context.Background(), cfg)
	require.NoError(e.t, err)
	e.t.Cleanup(c.Close)
	return c
}

// closedURL is an https URL nothing listens on.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "https://" + addr + "/"
}

// requireFailed checks every outcome failed with code, and that each
// object is escrowed for the next cycle.
func requireFailed(t *testing.T, e *env, outs []*eventsv1.WriteOutcome, code rules.Code) {
	t.Helper()
	for _, o := range outs {
		require.False(t, o.GetSuccess(), "%s %s", o.GetAction(), o.GetSource().GetObjectId())
		require.Equal(t, string(code), o.GetError().GetCode(), o.GetError().GetMessage())
	}
	esc, err := e.escrows.List(ctxT(t), cfgID)
	require.NoError(t, err)
	require.Len(t, esc, len(outs))
}

// TestGraphFailuresBecomeOutcomes: whatever the target answers, Apply ends
// with one outcome per intent instead of an error that would redeliver the
// batch forever and keep the log service from ever quarantining the job.
func TestGraphFailuresBecomeOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  func(*writer.Config)
		run  func(t *testing.T, e *env)
	}{
		{"401 from Graph (access revoked) is AuthorizationDenied", nil, func(t *testing.T, e *env) {
			w := e.newWriter()
			id := create(t, e, w, "a1", "a1@source.example")
			require.NoError(t, e.sim.SetLimits(e.tenant.ID(), limitsUnauthorized()))
			outs := applyOK(t, w, batchOf(e,
				intentFor("a1", id, actUpdate, "Active", change("jobTitle", "jobTitle", str("Boss"))),
				userCreate("a2", "a2@source.example", "A2")))
			requireFailed(t, e, outs, rules.AuthorizationDenied)

			// Access restored: the same batch goes through.
			require.NoError(t, e.sim.SetLimits(e.tenant.ID(), limitsOpen()))
			outs = applyOK(t, w, batchOf(e, userCreate("a2", "a2@source.example", "A2")))
			requireSuccess(t, outs)
		}},
		{"a token refused by the authority (bad secret) is AuthorizationDenied", nil, func(t *testing.T, e *env) {
			c := e.clientWith(func(c *graph.Config) { c.ClientSecret = "rotated-away" })
			w := e.newWriter(func(d *writer.Deps) { d.Targets = writer.StaticTargets{Default: c} })
			outs := applyOK(t, w, batchOf(e, userCreate("b1", "b1@source.example", "B1")))
			requireFailed(t, e, outs, rules.AuthorizationDenied)
			require.Contains(t, outs[0].GetError().GetMessage(), "invalid_client")
		}},
		{"credentials that cannot be read (resolver: graph.ErrAuth) are AuthorizationDenied", nil, func(t *testing.T, e *env) {
			w := e.newWriter(func(d *writer.Deps) {
				d.Targets = resolverFunc(func(context.Context, string) (graph.Target, error) {
					return nil, fmt.Errorf("tenant t: credential file:/run/secret: %w", graph.ErrAuth)
				})
			})
			outs := applyOK(t, w, batchOf(e, userCreate("e1", "e1@source.example", "E1")))
			requireFailed(t, e, outs, rules.AuthorizationDenied)
			require.Contains(t, outs[0].GetError().GetMessage(), "credential file")
		}},
		{"an authority that does not answer is AuthorizationDenied after the attempts", func(c *writer.Config) { c.Retry.MaxAttempts = 2 }, func(t *testing.T, e *env) {
			c := e.clientWith(func(c *graph.Config) { c.AuthorityURL = closedURL(t) })
			w := e.newWriter(func(d *writer.Deps) { d.Targets = writer.StaticTargets{Default: c} })
			outs := applyOK(t, w, batchOf(e, userCreate("c1", "c1@source.example", "C1")))
			requireFailed(t, e, outs, rules.AuthorizationDenied)
			require.Contains(t, outs[0].GetError().GetMessage(), "after 2 attempts")
		}},
		{"5xx on every attempt is GraphUnavailable", func(c *writer.Config) { c.Retry.MaxAttempts = 3 }, func(t *testing.T, e *env) {
			w := e.newWriter()
			id := create(t, e, w, "d1", "d1@source.example")
			require.NoError(t, e.sim.SetLimits(e.tenant.ID(), limitsFaulty()))
			outs := applyOK(t, w, batchOf(e,
				intentFor("d1", id, actUpdate, "Active", change("jobTitle", "jobTitle", str("Boss"))),
				userCreate("d2", "d2@source.example", "D2")))
			requireFailed(t, e, outs, rules.GraphUnavailable)
			require.Contains(t, outs[0].GetError().GetMessage(), "after 3 attempts")
		}},
		{"Graph unreachable (connection refused) is GraphUnavailable", func(c *writer.Config) { c.Retry.MaxAttempts = 2 }, func(t *testing.T, e *env) {
			c := e.clientWith(func(c *graph.Config) { c.GraphURL = closedURL(t) + "v1.0" })
			w := e.newWriter(func(d *writer.Deps) { d.Targets = writer.StaticTargets{Default: c} })
			outs := applyOK(t, w, batchOf(e, userCreate("r1", "r1@source.example", "R1")))
			requireFailed(t, e, outs, rules.GraphUnavailable)
		}},
		{"the client's own timeout is GraphUnavailable", func(c *writer.Config) { c.Retry.MaxAttempts = 2 }, func(t *testing.T, e *env) {
			c := e.clientWith(func(c *graph.Config) { c.Timeout = 100 * time.Millisecond })
			w := e.newWriter(func(d *writer.Deps) { d.Targets = writer.StaticTargets{Default: c} })
			l := limitsOpen()
			l.Latency = time.Second
			require.NoError(t, e.sim.SetLimits(e.tenant.ID(), l))
			outs := applyOK(t, w, batchOf(e, userCreate("o1", "o1@source.example", "O1")))
			requireFailed(t, e, outs, rules.GraphUnavailable)
		}},
		{"429 past max throttled is GraphUnavailable", func(c *writer.Config) { c.Retry.MaxThrottled = 1 }, func(t *testing.T, e *env) {
			require.NoError(t, e.sim.SetLimits(e.tenant.ID(), limitsSlowWrites()))
			w := e.newWriter()
			// The invitation takes the one write of the burst, its PATCH is throttled.
			outs := applyOK(t, w, batchOf(e, userCreate("t1", "t1@source.example", "T1")))
			requireFailed(t, e, outs, rules.GraphUnavailable)
			require.Contains(t, outs[0].GetError().GetMessage(), "429")
		}},
		{"404: a delete is done, an update drops the entry for a new create", nil, func(t *testing.T, e *env) {
			w := e.newWriter()
			id := create(t, e, w, "g1", "g1@source.example")
			require.NoError(t, e.client.DeleteUser(ctxT(t), id)) // an admin of the target deletes it
			outs := applyOK(t, w, batchOf(e, intentFor("g1", id, actUpdate, "Active", change("jobTitle", "jobTitle", str("Boss")))))
			requireFailed(t, e, outs, rules.InvalidAnchor)
			require.Contains(t, outs[0].GetError().GetMessage(), "no longer exists")
			_, err := e.conns.Get(ctxT(t), cfgID, "g1")
			require.Error(t, err, "the connector entry is dropped: the transformer decides a create next")
			requireSuccess(t, applyOK(t, w, batchOf(e, intentFor("g1", id, actDelete, "SoftDeleted"))))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []envOpt
			if tt.cfg != nil {
				opts = append(opts, func(_ *graphsim.Limits, c *writer.Config) { tt.cfg(c) })
			}
			tt.run(t, newEnv(t, opts...))
		})
	}
}

func limitsOpen() graphsim.Limits { return graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1} }

func limitsUnauthorized() graphsim.Limits {
	l := limitsOpen()
	l.Unauthorized = true
	return l
}

func limitsFaulty() graphsim.Limits {
	l := limitsOpen()
	l.FaultRate = 1
	return l
}

// limitsSlowWrites: one write a second, no burst (Retry-After: 1).
func limitsSlowWrites() graphsim.Limits {
	return graphsim.Limits{WritesPerMinute: 60, Burst: 1, ReadsPerMinute: -1}
}

type resolverFunc func(ctx context.Context, cfg string) (graph.Target, error)

func (f resolverFunc) Target(ctx context.Context, cfg string) (graph.Target, error) {
	return f(ctx, cfg)
}
