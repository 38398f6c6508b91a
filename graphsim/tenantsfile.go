package graphsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// tenantsFile is the JSON a command loads tenants from: either a bare array
// of TenantSpec or {"tenants":[...]}.
type tenantsFile struct {
	Tenants []TenantSpec `json:"tenants"`
}

// LoadTenantsFile reads tenant specs from a JSON file.
func LoadTenantsFile(path string) ([]TenantSpec, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tenants file: %w", err)
	}
	specs, err := ParseTenants(raw)
	if err != nil {
		return nil, fmt.Errorf("parse tenants file %s: %w", path, err)
	}
	return specs, nil
}

// ParseTenants decodes tenant specs (see LoadTenantsFile); unknown fields
// are errors so typos do not pass silently.
func ParseTenants(raw []byte) ([]TenantSpec, error) {
	raw = bytes.TrimSpace(raw)
	var specs []TenantSpec
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if len(raw) > 0 && raw[0] == '[' {
		if err := dec.Decode(&specs); err != nil {
			return nil, fmt.Errorf("decode tenant list: %w", err)
		}
	} else {
		var f tenantsFile
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("decode tenants: %w", err)
		}
		specs = f.Tenants
	}
	for i, sp := range specs {
		if err := validateSpec(sp.withDefaults(i)); err != nil {
			return nil, err
		}
		if _, err := sp.Limits.normalize(); err != nil {
			return nil, fmt.Errorf("tenant %d limits: %w", i, err)
		}
	}
	return specs, nil
}
