package graphsim

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHostsReachFromAnotherContainer: a simulator on all interfaces with
// Hosts (graphsim in docker compose) is reached by that name: the
// certificate covers it (and still localhost), and the URLs it hands out
// (the base URL, the token endpoint of the OpenID metadata) use it, not
// 0.0.0.0, which another container cannot dial.
func TestHostsReachFromAnotherContainer(t *testing.T) {
	t.Parallel()
	srv, err := Start(context.Background(), Options{Addr: "0.0.0.0:0", Hosts: []string{"graphsim.test", "10.1.2.3"},
		Tenants: []TenantSpec{{Domain: "contoso.example"}}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	require.True(t, strings.HasPrefix(srv.BaseURL(), "https://graphsim.test:"), srv.BaseURL())
	_, port, err := net.SplitHostPort(strings.TrimPrefix(srv.BaseURL(), "https://"))
	require.NoError(t, err)

	// Every name resolves to this machine; TLS verifies the name asked.
	base := srv.HTTPClient().Transport.(*http.Transport).Clone()
	base.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
	}
	hc := &http.Client{Transport: base}
	t.Cleanup(base.CloseIdleConnections)
	cases := []struct {
		host    string
		trusted bool
	}{
		{"graphsim.test", true}, {"localhost", true}, {"127.0.0.1", true}, {"10.1.2.3", true},
		{"other.test", false},
	}
	for _, tc := range cases {
		resp, err := hc.Get("https://" + net.JoinHostPort(tc.host, port) + "/" + srv.Tenants()[0].ID() + "/v2.0/.well-known/openid-configuration")
		if !tc.trusted {
			require.ErrorContains(t, err, "certificate", tc.host)
			continue
		}
		require.NoError(t, err, tc.host)
		var meta map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&meta))
		require.NoError(t, resp.Body.Close())
		require.True(t, strings.HasPrefix(meta["token_endpoint"].(string), srv.BaseURL()+"/"), "token endpoint %v", meta["token_endpoint"])
	}
}
