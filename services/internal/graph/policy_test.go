package graph_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/services/internal/graph"
)

func TestCrossTenantPolicyReadWrite(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	ctx := testCtx(t)
	const partner = "3f2e1d0c-1111-4222-8333-444455556666"

	def, err := s.client.GetDefaultPolicy(ctx)
	require.NoError(t, err)
	require.Contains(t, def, "b2bCollaborationInbound")

	require.NoError(t, s.client.UpdateDefaultPolicy(ctx, graph.Attributes{
		"automaticUserConsentSettings": map[string]any{"inboundAllowed": true},
	}))
	def, err = s.client.GetDefaultPolicy(ctx)
	require.NoError(t, err)
	consent, _ := def["automaticUserConsentSettings"].(map[string]any)
	require.Equal(t, true, consent["inboundAllowed"])

	// No partner entry yet: a typed 404, which "test connection" reports as
	// "inbound sync not configured".
	_, err = s.client.GetPartnerPolicy(ctx, partner)
	require.True(t, graph.IsNotFound(err), "%v", err)
	_, err = s.client.GetIdentitySync(ctx, partner)
	require.True(t, graph.IsNotFound(err), "%v", err)

	p, err := s.client.CreatePartnerPolicy(ctx, partner, graph.Attributes{
		"automaticUserConsentSettings": map[string]any{"inboundAllowed": true, "outboundAllowed": false},
	})
	require.NoError(t, err)
	require.Equal(t, partner, p.TenantID)
	require.Equal(t, true, *p.AutoRedeemInbound)
	_, err = s.client.CreatePartnerPolicy(ctx, partner, nil)
	require.True(t, graph.IsConflict(err), "%v", err)
	require.True(t, graph.IsAlreadyExists(err))

	require.NoError(t, s.client.UpdatePartnerPolicy(ctx, partner, graph.Attributes{
		"automaticUserConsentSettings": map[string]any{"inboundAllowed": true, "outboundAllowed": true},
	}))
	p, err = s.client.GetPartnerPolicy(ctx, partner)
	require.NoError(t, err)
	require.True(t, *p.AutoRedeemOutbound)

	require.NoError(t, s.client.PutIdentitySync(ctx, graph.IdentitySync{
		TenantID: partner, DisplayName: "Contoso source", UserSyncInbound: true,
	}))
	sync, err := s.client.GetIdentitySync(ctx, partner)
	require.NoError(t, err)
	require.Equal(t, graph.IdentitySync{TenantID: partner, DisplayName: "Contoso source", UserSyncInbound: true}, sync)

	require.NoError(t, s.client.PutIdentitySync(ctx, graph.IdentitySync{TenantID: partner, UserSyncInbound: false}))
	sync, err = s.client.GetIdentitySync(ctx, partner)
	require.NoError(t, err)
	require.False(t, sync.UserSyncInbound)
}
