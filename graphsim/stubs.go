package graphsim

import (
	"fmt"
	"net/http"
)

// Temporary stand-ins so the public API compiles while the store lands.

type appBuckets struct{}

func newAppBuckets() *appBuckets { return &appBuckets{} }

type store struct{}

func newStore() *store { return &store{} }

type tokenKeys struct{}

func newTokenKeys() (*tokenKeys, error) { return &tokenKeys{}, nil }

func (t *Tenant) seed(TenantSpec) error { return nil }

func (l Limits) normalize() (Limits, error) { return l, nil }

func (sp TenantSpec) withDefaults(i int) TenantSpec {
	if sp.ID == "" {
		sp.ID = fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1)
	}
	if sp.Domain == "" {
		sp.Domain = fmt.Sprintf("tenant%d.example", i+1)
	}
	return sp
}

// ServeHTTP answers every request until the router lands.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
}
