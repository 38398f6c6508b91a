package graphsim

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestConnectionFaults: ResetRate cuts the connection without an answer
// (half the time after the write took effect); SlowBodyRate trickles the
// body out over SlowBody.
func TestConnectionFaults(t *testing.T) {
	t.Parallel()
	s := startSim(t, TenantSpec{Limits: Limits{ResetRate: 1}})
	get := func() (*http.Response, error) {
		req, err := http.NewRequest(http.MethodGet, s.srv.GraphURL()+"/users", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+s.token)
		return s.srv.HTTPClient().Do(req)
	}
	for range 4 {
		resp, err := get()
		if err == nil {
			_ = resp.Body.Close()
		}
		require.Error(t, err, "a reset request gets no answer")
	}
	require.EqualValues(t, 4, s.srv.Stats(s.ten.ID()).Resets)

	require.NoError(t, s.srv.SetLimits(s.ten.ID(), Limits{SlowBodyRate: 1, SlowBody: 400 * time.Millisecond}))
	resp, err := get()
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Contains(t, string(body), `"value"`)
	require.EqualValues(t, 1, s.srv.Stats(s.ten.ID()).SlowBodies)

	require.Error(t, s.srv.SetLimits(s.ten.ID(), Limits{ResetRate: 1.5}))
	var l Limits
	require.NoError(t, l.UnmarshalJSON([]byte(`{"reset_rate":0.1,"slow_body_rate":0.2,"slow_body":"3s"}`)))
	require.Equal(t, Limits{ResetRate: 0.1, SlowBodyRate: 0.2, SlowBody: 3 * time.Second}, l)
	b, err := l.MarshalJSON()
	require.NoError(t, err)
	var back Limits
	require.NoError(t, back.UnmarshalJSON(b))
	require.Equal(t, l, back)
}
