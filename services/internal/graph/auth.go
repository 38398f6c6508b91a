package graph

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// newCredential builds the client-credentials flow against cfg's authority.
// Instance discovery is off because a sovereign, private or simulated
// authority is not known to login.microsoft.com; MSAL then reads
// {authority}{tenant}/v2.0/.well-known/openid-configuration directly.
func newCredential(cfg Config) (azcore.TokenCredential, error) {
	opts := &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: cfg.AuthorityURL},
			Transport: cfg.HTTPClient,
			// Token requests are few; azcore's own retry policy handles
			// transient failures of the token endpoint.
			Retry: policy.RetryOptions{MaxRetries: 3},
		},
		DisableInstanceDiscovery: true,
	}
	cred, err := azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, cfg.ClientSecret.Reveal(), opts)
	if err != nil {
		return nil, fmt.Errorf("create client secret credential: %w", err)
	}
	return cred, nil
}

// tokenSource remembers the scopes so CheckToken asks for the same token
// the SDK will use.
type tokenSource struct {
	cred   azcore.TokenCredential
	scopes []string
}

// CheckToken acquires (or reuses a cached) access token, proving the tenant,
// client id and secret are right. It is the first step of a connection test.
func (c *Client) CheckToken(ctx context.Context) error {
	// EnableCAE as the kiota provider does: azidentity caches CAE and
	// non-CAE tokens apart, and this warms the one the SDK will use.
	_, err := c.cred.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: c.cred.scopes, EnableCAE: true})
	if err != nil {
		return fmt.Errorf("acquire token: %w", mapError(err))
	}
	return nil
}
