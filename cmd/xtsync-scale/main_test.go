package main

import (
	"os"
	"sync"
	"testing"
)

var (
	builtOnce sync.Once
	built     string
	builtErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if built != "" {
		_ = os.RemoveAll(built[:len(built)-len("/xtsync")])
	}
	os.Exit(code)
}
