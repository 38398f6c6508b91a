package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(envRunMain) == "1" {
		// A service process of the end-to-end tests (e2e_cluster_test.go).
		main()
		return
	}
	goleak.VerifyTestMain(m)
}
