package scheduler

import (
	"context"
	"fmt"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// Check names, as ConnectionCheck.name reports them.
const (
	checkSourceCredential = "source.credential"
	checkTargetCredential = "target.credential"
	checkSourceToken      = "source.token"
	checkTargetToken      = "target.token"
	checkTargetPartner    = "target.crossTenantAccessPolicy.partners[source]"
	checkTargetSync       = "target.crossTenantAccessPolicy.partners[source].identitySynchronization.userSyncInbound.isSyncAllowed"
	checkTargetInbound    = "target.crossTenantAccessPolicy.partners[source].automaticUserConsentSettings.inboundAllowed"
	checkSourcePartner    = "source.crossTenantAccessPolicy.partners[target]"
	checkSourceOutbound   = "source.crossTenantAccessPolicy.partners[target].automaticUserConsentSettings.outboundAllowed"
)

// testConnection runs every check it can and names what is missing; a
// failed prerequisite (no token) marks the checks after it as not run.
func (s *Scheduler) testConnection(ctx context.Context, c *schedulerv1.Configuration) []*schedulerv1.ConnectionCheck {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.GraphTimeout)
	defer cancel()
	src, tgt := c.GetSource(), c.GetTarget()
	var out []*schedulerv1.ConnectionCheck
	add := func(name string, ok bool, format string, args ...any) {
		out = append(out, &schedulerv1.ConnectionCheck{Name: name, Ok: ok, Message: fmt.Sprintf(format, args...)})
	}
	source := s.connect(ctx, src, checkSourceCredential, checkSourceToken, add)
	if source != nil {
		defer source.Close()
	}
	target := s.connect(ctx, tgt, checkTargetCredential, checkTargetToken, add)
	if target != nil {
		defer target.Close()
	}
	if target != nil {
		p, err := target.GetPartnerPolicy(ctx, src.GetTenantId())
		switch {
		case graph.IsNotFound(err):
			add(checkTargetPartner, false, "the target tenant has no cross-tenant access settings for source tenant %s: add it under Cross-tenant access settings > Organizational settings", src.GetTenantId())
		case err != nil:
			add(checkTargetPartner, false, "reading the partner policy failed: %v", err)
		default:
			add(checkTargetPartner, true, "")
			ok := p.AutoRedeemInbound != nil && *p.AutoRedeemInbound
			add(checkTargetInbound, ok, "%s", ifNot(ok, "automatic redemption (inbound) is off in the target tenant: enable \"Automatically redeem invitations with the tenant\" inbound for the source"))
			is, err := target.GetIdentitySync(ctx, src.GetTenantId())
			switch {
			case graph.IsNotFound(err):
				add(checkTargetSync, false, "the target tenant has no identity synchronization policy for the source: enable \"Allow users sync into this tenant\"")
			case err != nil:
				add(checkTargetSync, false, "reading the identity synchronization policy failed: %v", err)
			default:
				add(checkTargetSync, is.UserSyncInbound, "%s", ifNot(is.UserSyncInbound, "user sync into the target tenant is not allowed: enable \"Allow users sync into this tenant\" for the source"))
			}
		}
	}
	if source != nil {
		p, err := source.GetPartnerPolicy(ctx, tgt.GetTenantId())
		switch {
		case graph.IsNotFound(err):
			add(checkSourcePartner, false, "the source tenant has no cross-tenant access settings for target tenant %s: add it under Cross-tenant access settings > Organizational settings", tgt.GetTenantId())
		case err != nil:
			add(checkSourcePartner, false, "reading the partner policy failed: %v", err)
		default:
			add(checkSourcePartner, true, "")
			ok := p.AutoRedeemOutbound != nil && *p.AutoRedeemOutbound
			add(checkSourceOutbound, ok, "%s", ifNot(ok, "automatic redemption (outbound) is off in the source tenant: enable \"Automatically redeem invitations with the tenant\" outbound for the target"))
		}
	}
	return out
}

func ifNot(ok bool, msg string) string {
	if ok {
		return ""
	}
	return msg
}

// connect resolves ref's credential and proves it with a token; nil when
// either failed (both reported).
func (s *Scheduler) connect(ctx context.Context, ref *commonv1.TenantRef, credCheck, tokenCheck string,
	add func(string, bool, string, ...any)) Tenant {
	secret, err := resolveCredential(ref.GetCredentialRef())
	if err != nil {
		add(credCheck, false, "%v", err)
		return nil
	}
	add(credCheck, true, "")
	t, err := s.deps.Graph(ctx, ref, secret)
	if err != nil {
		add(tokenCheck, false, "%v", err)
		return nil
	}
	if err := t.CheckToken(ctx); err != nil {
		t.Close()
		add(tokenCheck, false, "no token for client %s in tenant %s: %v", ref.GetClientId(), ref.GetTenantId(), err)
		return nil
	}
	add(tokenCheck, true, "")
	return t
}
