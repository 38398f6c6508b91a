package redistest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/redisx/redistest"
)

func TestAppendOnlySurvivesRestart(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.Options{AppendOnly: true})
	ctx := context.Background()
	c := srv.Client(t)
	require.NoError(t, c.Set(ctx, "watermark", "42", 0).Err())

	srv.Restart(t)
	got, err := c.Get(ctx, "watermark").Result()
	require.NoError(t, err)
	require.Equal(t, "42", got)
}
