// Package decide chooses the action for one source object — create, update,
// soft delete, disable, hard delete, restore or skip — from its scope, its
// mapped attributes, its connector data store entry and (optionally) the
// target object, and explains the choice as provisioning-log steps.
package decide

import (
	"time"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/mapping"
	"github.com/xtsync/xtsync/pkg/rules/match"
	"github.com/xtsync/xtsync/pkg/rules/scope"
)

// Action is what the writer must do.
type Action string

// Actions.
const (
	Create     Action = "Create"
	Update     Action = "Update"
	SoftDelete Action = "SoftDelete" // DELETE: the object goes to the target's deleted items
	Disable    Action = "Disable"    // PATCH accountEnabled=false (Deprovision: Disable)
	HardDelete Action = "HardDelete" // permanent delete once the retention ran out
	Restore    Action = "Restore"    // restore from deleted items (or re-enable), then update
	Skip       Action = "Skip"
	Fail       Action = "Fail" // per-object error: escrow and retry
)

// State is the lifecycle state kept in the connector data store.
type State string

// States.
const (
	Active      State = "Active"
	SoftDeleted State = "SoftDeleted"
	Disabled    State = "Disabled"
	Deleted     State = "Deleted" // hard deleted; the entry is a tombstone
)

// Entry is the connector data store record of one provisioned object.
type Entry struct {
	SourceID string `json:"sourceId"`
	TargetID string `json:"targetId"`
	State    State  `json:"state"`
	// Since is when State was entered; soft-delete retention counts from it.
	Since time.Time `json:"since"`
	// CreatedBySync is false for users sync matched (invited earlier).
	CreatedBySync bool `json:"createdBySync"`
	// Exported holds mapping.Hash of each attribute last exported, by target
	// attribute name. Only attributes whose hash changes are sent again.
	Exported map[string]uint64 `json:"exported,omitempty"`
}

// Source is the object read from the source tenant.
type Source struct {
	ID    string
	Type  string // schema.UserType or schema.GroupType
	Attrs rules.Attrs
	// Deleted: the object is gone from the source (hard delete or in the
	// source recycle bin); both deprovision.
	Deleted bool
	// DirectGroups are the ids of groups the user is a DIRECT member of.
	DirectGroups []string
	// NestedGroupMembers counts member groups of a group; they are not synced.
	NestedGroupMembers int
}

// Target is the target object when the caller fetched it (by the stored
// target id, or as a match candidate).
type Target struct {
	ID    string
	Attrs rules.Attrs
}

// Input is everything Decide needs for one object.
type Input struct {
	Source Source
	Entry  *Entry // nil: never provisioned by this configuration
	// Target, when set, lets Decide compare with the target's current values
	// (an update then also repairs target-side drift).
	Target *Target
	// TargetMissing: the entry's target object no longer exists.
	TargetMissing bool
	// MatchResults answer the queries of a previous Create decision; nil
	// means matching was not run yet (Decide then returns Create with the
	// queries and an OnMatch payload so the writer can match and write in
	// one step).
	MatchResults [][]match.Candidate
	// Resolve maps a source object id to its target id (manager, members)
	// through the connector data store; nil resolves nothing.
	Resolve func(sourceID string) (string, bool)
	Now     time.Time
	// VerifyMembers (full cycles): a synced group whose mapped attributes
	// equal the last export is still updated with its members, so the
	// writer repairs target-side drift (a user restored in the target comes
	// back with its former memberships; an admin edited the group).
	VerifyMembers bool
}

// Change is one attribute to write.
type Change struct {
	Attribute string // Entra attribute name
	Graph     string // Graph v1.0 property path
	Old       any    // target value when known
	New       any
	Hash      uint64
	Redacted  bool
}

// Members is the membership a group must end up with, in target ids.
type Members struct {
	// Set is the complete desired set of target member ids; the writer
	// reconciles it with the group's current members.
	Set []string
	// Pending are source member ids not provisioned yet; the next cycle
	// retries them.
	Pending []string
}

// Decision is the outcome for one object.
type Decision struct {
	Action   Action
	Code     rules.Code // skip reason or error code; "" for plain success
	TargetID string
	Changes  []Change
	// Match and OnMatch accompany a Create decided before matching: the
	// writer runs Match in order; on a hit it applies OnMatch to the found
	// object instead of creating (creation-only mappings excluded).
	Match   []match.Query
	OnMatch []Change
	Members *Members
	// Entry is the connector data store record to persist once the writer
	// succeeds (nil: leave the store unchanged).
	Entry *Entry
	// Deprovisions is true for actions counted by the accidental-deletion
	// threshold (soft delete, disable, hard delete).
	Deprovisions bool
	Err          error
	Log          Log
}

// DeprovisionMode is what happens to a user leaving scope.
type DeprovisionMode string

// Deprovision modes.
const (
	// DeprovisionSoftDelete deletes the user into the target's deleted items
	// (what cross-tenant sync does: "the user is soft deleted in the target").
	DeprovisionSoftDelete DeprovisionMode = "SoftDelete"
	// DeprovisionDisable sets accountEnabled=false instead (generic Entra
	// provisioning behaviour via IsSoftDeleted), keeping the object in place.
	DeprovisionDisable DeprovisionMode = "Disable"
)

// Actions are the "Target object actions" check boxes.
type Actions struct {
	Create, Update, Delete bool
}

// ObjectRules are the compiled rules of one object type.
type ObjectRules struct {
	Enabled  bool
	Filters  *scope.Filters
	Mappings *mapping.Set
	Actions  Actions
}

// Config is the compiled configuration Decide runs against.
type Config struct {
	Mode        scope.Mode
	Assignments *scope.Assignments
	Users       ObjectRules
	Groups      ObjectRules
	Deprovision DeprovisionMode
	// Retention is the soft-delete threshold: how long a deprovisioned object
	// stays restorable before it is hard deleted. 0 hard deletes at once.
	Retention time.Duration
	// SkipOutOfScopeDeletions leaves objects that merely left scope alone
	// (Entra's SkipOutOfScopeDeletions flag); source deletions still apply.
	SkipOutOfScopeDeletions bool
	Env                     *mapping.Env
}
