package scheduler_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/services/internal/graph"
	"github.com/xtsync/xtsync/services/scheduler"
)

// TestTestConnection drives TestConnection through the real Graph adapter
// against two graphsim tenants, fixing one missing policy at a time.
func TestTestConnection(t *testing.T) {
	t.Parallel()
	simCtx, cancel := context.WithCancel(context.Background())
	sim, err := graphsim.Start(simCtx, graphsim.Options{Tenants: []graphsim.TenantSpec{
		{ID: tenantA, Domain: "source.example", Seed: 1, Limits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}},
		{ID: tenantB, Domain: "target.example", Seed: 2, Limits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}},
	}})
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		require.NoError(t, sim.Close())
	})
	e := newEnv(t, func(d *scheduler.Deps) { d.GraphHTTPClient = sim.HTTPClient() })
	ctx := ctxT(t)

	dir := t.TempDir()
	ref := func(info graphsim.TenantInfo, secret string) *commonv1.TenantRef {
		path := filepath.Join(dir, info.ID)
		require.NoError(t, os.WriteFile(path, []byte(secret+"\n"), 0o600))
		return &commonv1.TenantRef{TenantId: info.ID, Domain: info.Domain, ClientId: info.ClientID,
			CredentialRef: "file:" + path, GraphUrl: sim.GraphURL(), AuthorityUrl: sim.AuthorityURL()}
	}
	src, tgt := sim.Tenant(tenantA).Info(), sim.Tenant(tenantB).Info()
	cfg := validConfig(tenantA, tenantB)
	cfg.Source, cfg.Target = ref(src, src.ClientSecret), ref(tgt, tgt.ClientSecret)
	c := e.create(cfg)

	check := func() map[string]bool {
		resp, err := e.client("token-a").TestConnection(ctx, &schedulerv1.TestConnectionRequest{ConfigurationId: c.GetId()})
		require.NoError(t, err)
		out := map[string]bool{}
		ok := true
		for _, ch := range resp.GetChecks() {
			out[ch.GetName()] = ch.GetOk()
			ok = ok && ch.GetOk()
			if !ch.GetOk() {
				require.NotEmpty(t, ch.GetMessage(), ch.GetName())
			}
		}
		require.Equal(t, ok, resp.GetOk())
		return out
	}
	const (
		tPartner  = "target.crossTenantAccessPolicy.partners[source]"
		tSync     = tPartner + ".identitySynchronization.userSyncInbound.isSyncAllowed"
		tInbound  = tPartner + ".automaticUserConsentSettings.inboundAllowed"
		sPartner  = "source.crossTenantAccessPolicy.partners[target]"
		sOutbound = sPartner + ".automaticUserConsentSettings.outboundAllowed"
	)
	require.Equal(t, map[string]bool{
		"source.credential": true, "source.token": true, "target.credential": true, "target.token": true,
		tPartner: false, sPartner: false,
	}, check())

	client := func(info graphsim.TenantInfo) *graph.Client {
		gc, err := graph.New(ctx, graph.Config{TenantID: info.ID, ClientID: info.ClientID, ClientSecret: graph.Secret(info.ClientSecret),
			AuthorityURL: sim.AuthorityURL(), GraphURL: sim.GraphURL(), HTTPClient: sim.HTTPClient()})
		require.NoError(t, err)
		t.Cleanup(gc.Close)
		return gc
	}
	target, source := client(tgt), client(src)
	_, err = target.CreatePartnerPolicy(ctx, tenantA, graph.Attributes{"automaticUserConsentSettings": map[string]any{"inboundAllowed": false}})
	require.NoError(t, err)
	_, err = source.CreatePartnerPolicy(ctx, tenantB, graph.Attributes{"automaticUserConsentSettings": map[string]any{"outboundAllowed": true}})
	require.NoError(t, err)
	got := check()
	require.True(t, got[tPartner])
	require.False(t, got[tInbound])
	require.False(t, got[tSync], "no identity sync policy yet")
	require.True(t, got[sPartner])
	require.True(t, got[sOutbound])

	require.NoError(t, target.UpdatePartnerPolicy(ctx, tenantA, graph.Attributes{"automaticUserConsentSettings": map[string]any{"inboundAllowed": true}}))
	require.NoError(t, target.PutIdentitySync(ctx, graph.IdentitySync{TenantID: tenantA, UserSyncInbound: false}))
	got = check()
	require.True(t, got[tInbound])
	require.False(t, got[tSync])

	require.NoError(t, target.PutIdentitySync(ctx, graph.IdentitySync{TenantID: tenantA, UserSyncInbound: true}))
	for name, ok := range check() {
		require.True(t, ok, name)
	}

	// The same configuration resolves to a working source for the reader.
	sources := scheduler.NewSources(e.sched.Store(), sim.HTTPClient())
	defer sources.Close()
	s1, err := sources.Source(ctx, c.GetId())
	require.NoError(t, err)
	require.NoError(t, s1.CheckToken(ctx))
	s2, err := sources.Source(ctx, c.GetId())
	require.NoError(t, err)
	require.Same(t, s1, s2, "cached while the etag stays")
	r, tgtID, etag, err := e.sched.Store().Rules(ctx, c.GetId())
	require.NoError(t, err)
	require.Equal(t, tenantA, r.SourceTenantID)
	require.Equal(t, tenantB, tgtID)
	require.Equal(t, c.GetEtag(), etag)

	// An unsaved configuration with a wrong secret and a missing file: the
	// checks say which credential failed, and the secret is never echoed.
	bad := validConfig(tenantA, tenantB)
	bad.Source, bad.Target = ref(src, "wrong-secret-value"), ref(tgt, tgt.ClientSecret)
	bad.Target.CredentialRef = "file:" + filepath.Join(dir, "missing")
	resp, err := e.client("token-b").TestConnection(ctx, &schedulerv1.TestConnectionRequest{Configuration: bad})
	require.NoError(t, err)
	require.False(t, resp.GetOk())
	names := map[string]*schedulerv1.ConnectionCheck{}
	for _, ch := range resp.GetChecks() {
		names[ch.GetName()] = ch
		require.NotContains(t, ch.GetMessage(), "wrong-secret-value")
	}
	require.True(t, names["source.credential"].GetOk())
	require.False(t, names["source.token"].GetOk())
	require.False(t, names["target.credential"].GetOk())
}
