package odata_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// obj is a map-backed Getter, the shape the simulator's tests use.
type obj map[string]any

func (o obj) Get(p string) (any, bool) {
	v, ok := o[p]
	return v, ok
}
