package graph

import (
	"context"
	"fmt"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/policies"
)

// PartnerPolicy is a tenant's cross-tenant access settings for one partner
// tenant. Cross-tenant sync needs, in the target tenant, automatic
// redemption inbound (AutoRedeemInbound) and an identity synchronization
// policy allowing user sync; in the source tenant, AutoRedeemOutbound.
type PartnerPolicy struct {
	TenantID           string
	AutoRedeemInbound  *bool // automaticUserConsentSettings.inboundAllowed
	AutoRedeemOutbound *bool // automaticUserConsentSettings.outboundAllowed
	Attributes         Attributes
}

// IdentitySync is a partner's identitySynchronization policy: whether the
// partner tenant may sync users into this one.
type IdentitySync struct {
	TenantID        string
	DisplayName     string
	UserSyncInbound bool // userSyncInbound.isSyncAllowed
}

func (c *Client) ctap() *policies.CrossTenantAccessPolicyRequestBuilder {
	return c.sdk.Policies().CrossTenantAccessPolicy()
}

// GetDefaultPolicy reads the tenant's default cross-tenant access settings.
func (c *Client) GetDefaultPolicy(ctx context.Context) (Attributes, error) {
	m, err := c.ctap().DefaultEscaped().Get(ctx, nil)
	if err != nil {
		return nil, wrap("get default cross-tenant policy", err)
	}
	return attributesOf(m)
}

// UpdateDefaultPolicy PATCHes the default settings with Graph-named
// attributes, e.g. {"automaticUserConsentSettings": {"inboundAllowed": true}}.
func (c *Client) UpdateDefaultPolicy(ctx context.Context, patch Attributes) error {
	m := models.NewCrossTenantAccessPolicyConfigurationDefault()

	m.SetAdditionalData(map[string]any(patch))
	if _, err := c.ctap().DefaultEscaped().Patch(ctx, m, nil); err != nil {
		return wrap("update default cross-tenant policy", err)
	}
	return nil
}

// GetPartnerPolicy reads the settings for one partner tenant; a tenant with
// no partner entry fails with IsNotFound.
func (c *Client) GetPartnerPolicy(ctx context.Context, tenantID string) (PartnerPolicy, error) {
	m, err := c.ctap().Partners().ByCrossTenantAccessPolicyConfigurationPartnerTenantId(tenantID).Get(ctx, nil)
	if err != nil {
		return PartnerPolicy{}, wrap("get partner policy "+tenantID, err)
	}
	return partnerFromModel(m)
}

// CreatePartnerPolicy adds a partner entry with Graph-named attributes.
func (c *Client) CreatePartnerPolicy(ctx context.Context, tenantID string, attrs Attributes) (PartnerPolicy, error) {
	m := models.NewCrossTenantAccessPolicyConfigurationPartner()

	m.SetTenantId(&tenantID)
	m.SetAdditionalData(map[string]any(attrs))
	out, err := c.ctap().Partners().Post(ctx, m, nil)
	if err != nil {
		return PartnerPolicy{}, wrap("create partner policy "+tenantID, err)
	}
	return partnerFromModel(out)
}

// UpdatePartnerPolicy PATCHes a partner entry.
func (c *Client) UpdatePartnerPolicy(ctx context.Context, tenantID string, patch Attributes) error {
	m := models.NewCrossTenantAccessPolicyConfigurationPartner()

	m.SetAdditionalData(map[string]any(patch))
	_, err := c.ctap().Partners().ByCrossTenantAccessPolicyConfigurationPartnerTenantId(tenantID).Patch(ctx, m, nil)
	if err != nil {
		return wrap("update partner policy "+tenantID, err)
	}
	return nil
}

// GetIdentitySync reads a partner's identity synchronization policy.
func (c *Client) GetIdentitySync(ctx context.Context, tenantID string) (IdentitySync, error) {
	m, err := c.ctap().Partners().ByCrossTenantAccessPolicyConfigurationPartnerTenantId(tenantID).
		IdentitySynchronization().Get(ctx, nil)
	if err != nil {
		return IdentitySync{}, wrap("get identity sync policy "+tenantID, err)
	}
	out := IdentitySync{TenantID: deref(m.GetTenantId()), DisplayName: deref(m.GetDisplayName())}
	if in := m.GetUserSyncInbound(); in != nil {
		out.UserSyncInbound = deref(in.GetIsSyncAllowed())
	}
	return out, nil
}

// PutIdentitySync creates or replaces a partner's identity synchronization
// policy (PUT; Graph has no POST for it).
func (c *Client) PutIdentitySync(ctx context.Context, s IdentitySync) error {
	m := models.NewCrossTenantIdentitySyncPolicyPartner()

	if s.DisplayName != "" {
		m.SetDisplayName(&s.DisplayName)
	}
	in := models.NewCrossTenantUserSyncInbound()

	in.SetIsSyncAllowed(&s.UserSyncInbound)
	m.SetUserSyncInbound(in)
	_, err := c.ctap().Partners().ByCrossTenantAccessPolicyConfigurationPartnerTenantId(s.TenantID).
		IdentitySynchronization().Put(ctx, m, nil)
	if err != nil {
		return wrap(fmt.Sprintf("put identity sync policy %s", s.TenantID), err)
	}
	return nil
}

func partnerFromModel(m models.CrossTenantAccessPolicyConfigurationPartnerable) (PartnerPolicy, error) {
	attrs, err := attributesOf(m)
	if err != nil {
		return PartnerPolicy{}, err
	}
	p := PartnerPolicy{TenantID: deref(m.GetTenantId()), Attributes: attrs}
	if s := m.GetAutomaticUserConsentSettings(); s != nil {
		p.AutoRedeemInbound = s.GetInboundAllowed()
		p.AutoRedeemOutbound = s.GetOutboundAllowed()
	}
	return p, nil
}
