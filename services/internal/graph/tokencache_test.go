package graph

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/graphsim"
)

// countingCredential counts the token requests that reach the real
// credential behind the cache.
type countingCredential struct {
	azcore.TokenCredential
	calls atomic.Int64
}

func (c *countingCredential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.calls.Add(1)
	return c.TokenCredential.GetToken(ctx, o)
}

// TestCachedCredential: against graphsim's authority through azidentity,
// one token serves every request until its refresh time; other scopes, a
// CAE challenge's claims and a token near expiry go to azidentity.
func TestCachedCredential(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := graphsim.Start(ctx, graphsim.Options{Tenants: []graphsim.TenantSpec{{Seed: 1}}})
	require.NoError(t, err)
	defer func() { require.NoError(t, srv.Close()) }()
	info := srv.Tenants()[0].Info()
	real, err := newCredential(Config{TenantID: info.ID, ClientID: info.ClientID, ClientSecret: Secret(info.ClientSecret),
		AuthorityURL: srv.AuthorityURL(), HTTPClient: srv.HTTPClient()})
	require.NoError(t, err)
	counted := &countingCredential{TokenCredential: real}
	cache := newCachedCredential(counted)
	clock := time.Now()
	cache.now = func() time.Time { return clock }
	graphScope := policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}, EnableCAE: true}

	first, err := cache.GetToken(ctx, graphScope)
	require.NoError(t, err)
	require.NotEmpty(t, first.Token)
	require.True(t, first.ExpiresOn.After(clock.Add(tokenRefreshMargin)), "graphsim's token lives %v", first.ExpiresOn.Sub(clock))

	steps := []struct {
		name      string
		opts      policy.TokenRequestOptions
		advance   time.Duration
		wantCalls int64
	}{
		{"same request: cached", graphScope, 0, 1},
		{"again: cached", graphScope, time.Minute, 1},
		{"without CAE: asked", policy.TokenRequestOptions{Scopes: graphScope.Scopes}, 0, 2},
		{"back to CAE: asked (one token cached)", graphScope, 0, 3},
		{"claims: always asked", policy.TokenRequestOptions{Scopes: graphScope.Scopes, EnableCAE: true, Claims: `{"access_token":{"nbf":{"essential":true,"value":"1"}}}`}, 0, 4},
		{"after claims: cached", graphScope, 0, 4},
		{"near expiry: asked", graphScope, time.Until(first.ExpiresOn) - tokenRefreshMargin + time.Second, 5},
	}
	for _, s := range steps {
		clock = clock.Add(s.advance)
		tok, err := cache.GetToken(ctx, s.opts)
		require.NoError(t, err, s.name)
		require.NotEmpty(t, tok.Token, s.name)
		require.Equal(t, s.wantCalls, counted.calls.Load(), s.name)
	}
}

func TestTokenFresh(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, tt := range []struct {
		tok  azcore.AccessToken
		want bool
	}{
		{azcore.AccessToken{ExpiresOn: now.Add(time.Hour)}, true},
		{azcore.AccessToken{ExpiresOn: now.Add(tokenRefreshMargin)}, false},
		{azcore.AccessToken{ExpiresOn: now.Add(tokenRefreshMargin + time.Second)}, true},
		{azcore.AccessToken{ExpiresOn: now.Add(time.Hour), RefreshOn: now.Add(time.Minute)}, true},
		{azcore.AccessToken{ExpiresOn: now.Add(time.Hour), RefreshOn: now}, false},
		{azcore.AccessToken{ExpiresOn: now.Add(-time.Hour)}, false},
	} {
		require.Equal(t, tt.want, fresh(tt.tok, now), "%+v", tt.tok)
	}
}
