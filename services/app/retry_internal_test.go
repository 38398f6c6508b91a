package app

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRetryUntil: a dependency that comes back within the patience is
// waited for; one that does not ends with its last error; a cancelled
// context ends the wait at once.
func TestRetryUntil(t *testing.T) {
	down := errors.New("nats: no responders available for request")
	log := slog.New(slog.DiscardHandler)
	cases := []struct {
		name     string
		failures int
		patience time.Duration
		cancel   bool
		wantErr  bool
		calls    int
	}{
		{"up at once", 0, time.Minute, false, false, 1},
		{"back after two failures", 2, time.Minute, false, false, 3},
		{"not back within the patience", 100, 600 * time.Millisecond, false, true, 2},
		{"cancelled", 100, time.Minute, true, true, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			calls := 0
			err := retryUntil(ctx, tc.patience, log, "topology", func(context.Context) error {
				calls++
				if tc.cancel {
					cancel()
				}
				if calls <= tc.failures {
					return down
				}
				return nil
			})
			if tc.wantErr {
				require.ErrorIs(t, err, down)
				require.Contains(t, err.Error(), "topology: ")
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.calls, calls)
		})
	}
}
