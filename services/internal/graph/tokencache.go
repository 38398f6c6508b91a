package graph

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// tokenRefreshMargin: a cached token is renewed this long before it
// expires, as azcore's bearer-token policy renews its own.
const tokenRefreshMargin = 5 * time.Minute

// cachedCredential keeps the last access token in front of azidentity.
// The kiota auth provider asks for a token on every request, and
// azidentity answers each from MSAL's cache through a lookup that formats
// keys, copies options and, in a fresh goroutine, grows its stack: 2% of
// an all-in-one process's CPU in an initial cycle (BENCHMARKS.md, issue
// 5). A request with claims (a continuous-access-evaluation challenge
// after a 401) always goes to azidentity, and its token replaces the
// cached one, as MSAL's cache does.
type cachedCredential struct {
	cred azcore.TokenCredential
	now  func() time.Time

	mu   sync.Mutex
	opts policy.TokenRequestOptions // of tok; Claims always empty
	tok  azcore.AccessToken
}

func newCachedCredential(cred azcore.TokenCredential) *cachedCredential {
	return &cachedCredential{cred: cred, now: time.Now}
}

func (c *cachedCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if opts.Claims == "" {
		c.mu.Lock()
		tok, ok := c.tok, c.tok.Token != "" && sameRequest(c.opts, opts) && fresh(c.tok, c.now())
		c.mu.Unlock()
		if ok {
			return tok, nil
		}
	}
	tok, err := c.cred.GetToken(ctx, opts)
	if err != nil {
		return tok, err
	}
	c.mu.Lock()
	c.opts = opts
	c.opts.Claims = ""
	c.opts.Scopes = slices.Clone(opts.Scopes)
	c.tok = tok
	c.mu.Unlock()
	return tok, nil
}

func sameRequest(a, b policy.TokenRequestOptions) bool {
	return a.EnableCAE == b.EnableCAE && a.TenantID == b.TenantID && slices.Equal(a.Scopes, b.Scopes)
}

// fresh: before the token's suggested refresh time, and far enough from
// its expiry.
func fresh(t azcore.AccessToken, now time.Time) bool {
	if !t.RefreshOn.IsZero() && !now.Before(t.RefreshOn) {
		return false
	}
	return now.Before(t.ExpiresOn.Add(-tokenRefreshMargin))
}
