package scheduler

import (
	"context"
	"fmt"
	"net/http"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// Tenant is what TestConnection needs of one tenant's Graph.
type Tenant interface {
	CheckToken(ctx context.Context) error
	GetPartnerPolicy(ctx context.Context, tenantID string) (graph.PartnerPolicy, error)
	GetIdentitySync(ctx context.Context, tenantID string) (graph.IdentitySync, error)
	Close()
}

// GraphFactory connects to a tenant as ref's app with the resolved secret.
type GraphFactory func(ctx context.Context, ref *commonv1.TenantRef, secret string) (Tenant, error)

// NewGraph is the default factory: the real adapter (graph.New) over base
// (nil: the SDK's default transport).
func NewGraph(base *http.Client) GraphFactory {
	return func(ctx context.Context, ref *commonv1.TenantRef, secret string) (Tenant, error) {
		c, err := graph.New(ctx, graph.Config{
			TenantID: ref.GetTenantId(), ClientID: ref.GetClientId(), ClientSecret: graph.Secret(secret),
			AuthorityURL: ref.GetAuthorityUrl(), GraphURL: ref.GetGraphUrl(), HTTPClient: base,
			MaxRetries: 1,
		})
		if err != nil {
			return nil, fmt.Errorf("connect to tenant %s: %w", ref.GetTenantId(), err)
		}
		return c, nil
	}
}
