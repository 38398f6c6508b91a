// Package spec is the configuration model of a sync configuration's rules:
// what the admin sets on the "Users and groups", "Attribute mapping" and
// "Scoping filters" pages plus the provisioning settings. Validate reports
// every problem at once with its field path; Compile turns a valid Rules
// into the decide.Config the transformer runs.
package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/xtsync/xtsync/pkg/rules/mapping"
	"github.com/xtsync/xtsync/pkg/rules/scope"
)

// Rules is the rules section of a sync configuration.
type Rules struct {
	// SourceTenantID is stamped into the B2B identity of synced users.
	SourceTenantID string `json:"sourceTenantId" yaml:"sourceTenantId"`
	// Scope is AssignedOnly (default, "Sync only assigned users and groups")
	// or AllUsers ("Sync all users").
	Scope string `json:"scope,omitempty" yaml:"scope,omitempty"`
	// Assignments are the "Users and groups" page.
	Assignments Assignments `json:"assignments" yaml:"assignments"`
	Users       Object      `json:"users" yaml:"users"`
	// Groups is "Provision Microsoft Entra ID Groups"; off by default.
	Groups Object `json:"groups" yaml:"groups"`
	// Deprovision is SoftDelete (default, what cross-tenant sync does) or
	// Disable.
	Deprovision string `json:"deprovision,omitempty" yaml:"deprovision,omitempty"`
	// SoftDeleteThresholdDays is how long a deprovisioned object stays
	// restorable before it is hard deleted: default 30 (the target's deleted
	// items retention, so at most 30 with SoftDelete), 0 hard deletes at once.
	SoftDeleteThresholdDays *int `json:"softDeleteThresholdDays,omitempty" yaml:"softDeleteThresholdDays,omitempty"`
	// SkipOutOfScopeDeletions keeps objects that only left scope.
	SkipOutOfScopeDeletions bool `json:"skipOutOfScopeDeletions,omitempty" yaml:"skipOutOfScopeDeletions,omitempty"`
	// AccidentalDeletion is "Prevent accidental deletion"; the scheduler
	// enforces it, the rules only validate it.
	AccidentalDeletion AccidentalDeletion `json:"accidentalDeletion" yaml:"accidentalDeletion"`
}

// Assignments lists assigned source object ids.
type Assignments struct {
	Users  []string `json:"users,omitempty" yaml:"users,omitempty"`
	Groups []string `json:"groups,omitempty" yaml:"groups,omitempty"`
}

// Object holds the rules of one object type.
type Object struct {
	// Enabled defaults to true for users and false for groups.
	Enabled        *bool          `json:"enabled,omitempty" yaml:"enabled,omitempty"`
	ScopingFilters []scope.Filter `json:"scopingFilters,omitempty" yaml:"scopingFilters,omitempty"`
	// Mappings default to the set Entra ships when empty.
	Mappings []mapping.Spec `json:"mappings,omitempty" yaml:"mappings,omitempty"`
	// CustomMatching allows matching attributes beyond Entra's fixed one.
	CustomMatching bool `json:"customMatching,omitempty" yaml:"customMatching,omitempty"`
	// Actions are the target object actions; all on by default.
	Actions *Actions `json:"actions,omitempty" yaml:"actions,omitempty"`
}

// Actions are "Target object actions".
type Actions struct {
	Create bool `json:"create" yaml:"create"`
	Update bool `json:"update" yaml:"update"`
	Delete bool `json:"delete" yaml:"delete"`
}

// AccidentalDeletion is the accidental-deletion prevention setting.
type AccidentalDeletion struct {
	// Enabled defaults to true.
	Enabled *bool `json:"enabled,omitempty" yaml:"enabled,omitempty"`
	// Threshold defaults to 500 deletions (and disables) per cycle.
	Threshold *int `json:"threshold,omitempty" yaml:"threshold,omitempty"`
}

// Defaults.
const (
	DefaultSoftDeleteThresholdDays = 30
	DefaultDeletionThreshold       = 500
	// MaxSoftDeleteThresholdDays is the target's deleted-items retention:
	// Entra purges soft-deleted users and groups after 30 days by itself.
	MaxSoftDeleteThresholdDays = 30
	// MaxDisableThresholdDays bounds the threshold with Disable, where the
	// object stays in the directory: Entra allows 0 to 365 days.
	MaxDisableThresholdDays = 365
)

// MaxConfigSize bounds Decode input.
const MaxConfigSize = 4 << 20

// Decode reads JSON rules strictly: unknown fields are errors, so a typo
// ("scopingFilter") is not silently ignored.
func Decode(r io.Reader) (*Rules, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("read rules: %w", err)
	}
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("decode rules: larger than %d bytes", MaxConfigSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var rs Rules
	if err := dec.Decode(&rs); err != nil {
		return nil, fmt.Errorf("decode rules: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("decode rules: trailing data after the object")
	}
	return &rs, nil
}
