package redisx

import "time"

// EntryState is the lifecycle state of a provisioned object. The values
// match rules/decide.State so the transformer converts with a cast.
type EntryState string

// Entry states.
const (
	Active      EntryState = "Active"
	Disabled    EntryState = "Disabled"
	SoftDeleted EntryState = "SoftDeleted"
	Deleted     EntryState = "Deleted" // tombstone: hard deleted in the target
)

// Entry is the connector data store record of one source object.
type Entry struct {
	SourceID string
	TargetID string // may be empty while a create is pending
	Type     ObjectType
	State    EntryState
	// Since is when State was entered (soft-delete retention counts from it).
	Since time.Time
	// CreatedBySync: false when the target object existed and was matched;
	// groups not created by sync are never touched.
	CreatedBySync bool
	// MatchedBy names the target attribute that matched (empty if created).
	MatchedBy string
	// LastCycle is the cycle whose outcome wrote this entry.
	LastCycle string
	// ExportHash is a hash of all mapped attributes last exported.
	ExportHash uint64
	// Exported optionally holds the hash of each exported attribute by
	// target attribute name (rules/mapping.Hash), so only changed
	// attributes are sent again.
	Exported map[string]uint64
	// Version orders writes to the same entry (e.g. the JetStream sequence
	// of the intent, or cycle number << 32 | step). A Put with a lower
	// Version than the stored one is refused with ErrConflict.
	Version uint64
}
