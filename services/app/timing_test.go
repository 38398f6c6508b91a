package app_test

import "time"

// Polling bounds for require.Eventually: generous, never a performance limit.
const (
	waitFor = 10 * time.Second
	tick    = 5 * time.Millisecond
)
