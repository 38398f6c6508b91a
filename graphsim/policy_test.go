package graphsim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCrossTenantAccessPolicy(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	base := "/policies/crossTenantAccessPolicy"
	r := s.do("GET", base+"/default", nil)
	require.Equal(t, 200, r.status, "%s", r.raw)
	require.Equal(t, true, r.body["isServiceDefault"])
	require.Equal(t, "allowed", r.body["b2bCollaborationInbound"].(map[string]any)["usersAndGroups"].(map[string]any)["accessType"])

	require.Equal(t, 204, s.do("PATCH", base+"/default", map[string]any{
		"automaticUserConsentSettings": map[string]any{"inboundAllowed": true}}).status)
	r = s.do("GET", base+"/default", nil)
	require.Equal(t, false, r.body["isServiceDefault"])
	require.Equal(t, map[string]any{"inboundAllowed": true, "outboundAllowed": false}, r.body["automaticUserConsentSettings"])
	require.Equal(t, 400, s.do("PATCH", base+"/default", map[string]any{"bogus": 1}).status)

	partner := "9c5d131d-b1c3-4fc4-9e3f-c6557947d551"
	r = s.do("POST", base+"/partners", map[string]any{"tenantId": partner,
		"automaticUserConsentSettings": map[string]any{"inboundAllowed": true, "outboundAllowed": false}})
	require.Equal(t, 201, r.status, "%s", r.raw)
	require.Equal(t, partner, r.body["tenantId"])
	require.Contains(t, r.body, "b2bDirectConnectInbound")
	require.Equal(t, 409, s.do("POST", base+"/partners", map[string]any{"tenantId": partner}).status)
	require.Equal(t, 400, s.do("POST", base+"/partners", map[string]any{"tenantId": "nope"}).status)

	require.Equal(t, 204, s.do("PATCH", base+"/partners/"+partner, map[string]any{"isServiceProvider": true}).status)
	r = s.do("GET", base+"/partners/"+partner, nil)
	require.Equal(t, true, r.body["isServiceProvider"])
	require.Equal(t, true, r.body["automaticUserConsentSettings"].(map[string]any)["inboundAllowed"])

	require.Equal(t, 404, s.do("GET", base+"/partners/"+partner+"/identitySynchronization", nil).status)
	r = s.do("PUT", base+"/partners/"+partner+"/identitySynchronization", map[string]any{
		"displayName": "Fabrikam", "userSyncInbound": map[string]any{"isSyncAllowed": true}})
	require.Equal(t, 204, r.status, "%s", r.raw)
	r = s.do("GET", base+"/partners/"+partner+"/identitySynchronization", nil)
	require.Equal(t, 200, r.status)
	require.Equal(t, partner, r.body["tenantId"])
	require.Equal(t, map[string]any{"isSyncAllowed": true}, r.body["userSyncInbound"])

	r = s.do("GET", base+"/partners", nil)
	require.Len(t, r.values(), 1)
	require.Equal(t, 204, s.do("DELETE", base+"/partners/"+partner+"/identitySynchronization", nil).status)
	require.Equal(t, 204, s.do("DELETE", base+"/partners/"+partner, nil).status)
	require.Equal(t, 404, s.do("GET", base+"/partners/"+partner, nil).status)

	s.ten.SetPartnerPolicy(partner, true, true)
	r = s.do("GET", base+"/partners/"+partner+"/identitySynchronization", nil)
	require.Equal(t, map[string]any{"isSyncAllowed": true}, r.body["userSyncInbound"])
}
