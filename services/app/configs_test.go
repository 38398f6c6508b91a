package app

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
	"github.com/xtsync/xtsync/services/internal/graph"
	"github.com/xtsync/xtsync/services/scheduler"
)

// TestConfigsUnreadableSecretIsAnAuthFailure: a credential reference that
// names nothing readable fails as graph.ErrAuth, which the writer turns
// into AuthorizationDenied outcomes and the log service into quarantine,
// instead of a retry forever.
func TestConfigsUnreadableSecretIsAnAuthFailure(t *testing.T) {
	rdb := redistest.Start(t, redistest.Options{}).Client(t)
	store := scheduler.NewStore(rdb)
	ctx := context.Background()
	cases := []struct{ name, ref string }{
		{"unset variable", "env:XTSYNC_TEST_NO_SUCH_SECRET"},
		{"missing file", "file:/nonexistent/xtsync/secret"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ref := &commonv1.TenantRef{TenantId: "00000000-0000-0000-0000-00000000000a", ClientId: "app", CredentialRef: tc.ref,
				GraphUrl: "https://graph.example/v1.0", AuthorityUrl: "https://login.example/"}
			cfg := &schedulerv1.Configuration{Id: "01hzzzzzzzzzzzzzzzzzzzzzz" + string(rune('a'+i)), Source: ref, Target: ref}
			require.NoError(t, store.Create(ctx, cfg))
			_, err := NewConfigs(store, nil, 0).Target(ctx, cfg.GetId())
			require.ErrorIs(t, err, graph.ErrAuth)
		})
	}
}
