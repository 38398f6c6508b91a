package rules

// Code is a stable outcome code. Codes are part of the public contract: they
// appear in provisioning logs, metrics labels and the gRPC API, so a code is
// never renamed or reused; add a new one instead.
//
// Where Microsoft Entra provisioning has a code for the same outcome, the
// constant uses Entra's spelling (marked "Entra" below) so that admins can
// search Microsoft's documentation for it. The rest are xtsync's own.
type Code string

// Skip reasons: the object was evaluated and deliberately left alone.
const (
	// NotEffectivelyEntitled: "sync only assigned users and groups" is on and
	// the object is neither assigned nor a direct member of an assigned group.
	// Entra (provision-on-demand SkipReason).
	NotEffectivelyEntitled Code = "NotEffectivelyEntitled"
	// NotInScope: a scoping filter rejected the object (no filter group had
	// all its clauses true).
	NotInScope Code = "NotInScope"
	// NoChange: the mapped output equals what was last exported; nothing to write.
	NoChange Code = "NoChange"
	// EntrySynchronizationSkipped: generic "evaluated, nothing done". Entra.
	EntrySynchronizationSkipped Code = "EntrySynchronizationSkipped"
	// EntityTypeNotSupported: groups arrive but group sync is off, or the
	// scope mode is "sync all". Entra (seen in provisioning logs for groups).
	EntityTypeNotSupported Code = "EntityTypeNotSupported"
	// UnsupportedGroupType: distribution group or mail-enabled security group;
	// cross-tenant sync only reads security and Microsoft 365 groups.
	UnsupportedGroupType Code = "UnsupportedGroupType"
	// ExternalUserNotSupported: the source user is itself a guest/external
	// user; only internal members are synced (prevents sync loops).
	ExternalUserNotSupported Code = "ExternalUserNotSupported"
	// SourceUserDisabled: a disabled source user that was never provisioned;
	// Entra does not provision disabled users, it only updates existing ones.
	SourceUserDisabled Code = "SourceUserDisabled"
	// NotCreatedBySync: the target group exists but was not created by this
	// configuration; such groups are never touched.
	NotCreatedBySync Code = "NotCreatedBySync"
	// NotProvisioned: the object left scope (or was deleted) but was never
	// provisioned, so there is nothing to remove.
	NotProvisioned Code = "NotProvisioned"
	// AlreadyDeprovisioned: the target object is already soft-deleted or
	// disabled and its retention has not run out.
	AlreadyDeprovisioned Code = "AlreadyDeprovisioned"
	// ActionDisabled: the action (create, update, delete) is switched off in
	// the object mapping's target object actions.
	ActionDisabled Code = "ActionDisabled"
	// RestoreWindowExpired: the object came back into scope after the target
	// object was already hard deleted; it is created anew.
	RestoreWindowExpired Code = "RestoreWindowExpired"
)

// Per-object errors: the object could not be processed; it goes to escrow.
const (
	// DuplicateTargetEntries: more than one target object matched the
	// matching attributes. Entra.
	DuplicateTargetEntries Code = "DuplicateTargetEntries"
	// DuplicateSourceEntries: more than one source object has the same
	// matching value. Entra.
	DuplicateSourceEntries Code = "DuplicateSourceEntries"
	// EntryConflict: the matched target object may not be taken over (an
	// internal user, a group not created by sync, a UPN held by a non-synced
	// object). Entra.
	EntryConflict Code = "EntryConflict"
	// ImportSkipped: the source object lacks the value of its matching
	// attribute, so scoping, matching and export cannot run. Entra.
	ImportSkipped Code = "ImportSkipped"
	// InvalidAnchor: the connector data store names a target object that no
	// longer exists. Entra.
	InvalidAnchor Code = "InvalidAnchor"
	// MandatoryFieldsMissing: a target attribute required on create has no
	// value. Entra.
	MandatoryFieldsMissing Code = "MandatoryFieldsMissing"
	// SchemaPropertyCanOnlyAcceptValue: a multi-valued value was mapped to a
	// single-valued target attribute. Entra.
	SchemaPropertyCanOnlyAcceptValue Code = "SchemaPropertyCanOnlyAcceptValue"
	// ExpressionEvaluationFailed: an Expression mapping failed at run time.
	ExpressionEvaluationFailed Code = "ExpressionEvaluationFailed"
	// InvalidAttributeValue: a mapped value cannot be converted to the target
	// attribute's type (for example "yes" for a Boolean).
	InvalidAttributeValue Code = "InvalidAttributeValue"
	// InvalidMatchValue: a matching value cannot be sent in a Graph $filter
	// (control characters, empty).
	InvalidMatchValue Code = "InvalidMatchValue"
)

// Configuration errors: reported by Validate/Compile with a field path.
const (
	// SchemaInvalid: a mapping targets an attribute the target object schema
	// does not have or cannot write, or the matching attribute was changed.
	// Entra.
	SchemaInvalid Code = "SchemaInvalid"
	// SchemaAttributeNotFound: a source attribute is unknown. Entra.
	SchemaAttributeNotFound Code = "SchemaAttributeNotFound"
	// InvalidOperator: a scoping clause names an operator that does not exist.
	InvalidOperator Code = "InvalidOperator"
	// InvalidFilterValue: a scoping clause value does not fit its operator
	// (regex that does not compile, non-integer for Greater_Than, ...).
	InvalidFilterValue Code = "InvalidFilterValue"
	// InvalidExpression: an Expression mapping does not parse or type-check.
	InvalidExpression Code = "InvalidExpression"
	// InvalidValue: a setting is out of range or not one of its allowed values.
	InvalidValue Code = "InvalidValue"
	// Required: a mandatory setting is missing.
	Required Code = "Required"
	// Duplicate: a value that must be unique appears twice.
	Duplicate Code = "Duplicate"
	// Unsupported: the combination of settings is not supported (for example
	// group sync with scope "sync all users").
	Unsupported Code = "Unsupported"
)

// Pipeline codes: outcomes of writing to Graph and of the safety rules,
// set by the writer, transformer and log service.
const (
	// DeletionThresholdExceeded: a deprovisioning intent held back by
	// accidental-deletion prevention until an admin approves it.
	DeletionThresholdExceeded Code = "DeletionThresholdExceeded"
	// GraphUnavailable: transient Graph failures (5xx, no response,
	// throttling) outlasted the retry policy; escrowed, retried next cycle.
	GraphUnavailable Code = "GraphUnavailable"
	// AuthorizationDenied: Graph answered 401 or 403 (revoked or missing
	// permission, cross-tenant access policy), or no token could be had
	// (bad client secret, authority unreachable). Quarantines the job.
	AuthorizationDenied Code = "AuthorizationDenied"
	// GraphRequestRejected: Graph refused a write for good (another 4xx).
	GraphRequestRejected Code = "GraphRequestRejected"
	// DeliveryAttemptsExhausted: the object's message was redelivered until
	// JetStream gave up (its handler crashed or hung every time).
	DeliveryAttemptsExhausted Code = "DeliveryAttemptsExhausted"
	// EncounteredEscrowProportionThreshold: quarantine reason, too large a
	// share of a cycle's writes failed.
	EncounteredEscrowProportionThreshold Code = "EncounteredEscrowProportionThreshold"
	// EncounteredQuarantineException: quarantine reason, writes fail with
	// authentication errors (bad or expired credentials).
	EncounteredQuarantineException Code = "EncounteredQuarantineException"
	// TooManyDeletes: quarantine reason, deletions held past the threshold.
	TooManyDeletes Code = "TooManyDeletes"
)

// Catalogue lists every code with a one-line description, for `xtsyncctl
// codes`, docs generation, and a test that keeps this file complete.
var Catalogue = map[Code]string{
	NotEffectivelyEntitled:           "not assigned and not a direct member of an assigned group",
	NotInScope:                       "no scoping filter group matched",
	NoChange:                         "mapped output equals last export",
	EntrySynchronizationSkipped:      "evaluated; no action needed",
	EntityTypeNotSupported:           "object type not synced by this configuration",
	UnsupportedGroupType:             "distribution and mail-enabled security groups are not synced",
	ExternalUserNotSupported:         "only internal members of the source tenant are synced",
	SourceUserDisabled:               "disabled source users are not provisioned",
	NotCreatedBySync:                 "target group was not created by this configuration",
	NotProvisioned:                   "object left scope before it was provisioned",
	AlreadyDeprovisioned:             "target object already soft-deleted or disabled",
	ActionDisabled:                   "target object action switched off",
	RestoreWindowExpired:             "soft-delete retention ran out; object is recreated",
	DuplicateTargetEntries:           "more than one target object matched",
	DuplicateSourceEntries:           "more than one source object has the matching value",
	EntryConflict:                    "matched target object cannot be managed by sync",
	ImportSkipped:                    "source object has no value for its matching attribute",
	InvalidAnchor:                    "target object in the connector data store no longer exists",
	MandatoryFieldsMissing:           "attribute required on create has no value",
	SchemaPropertyCanOnlyAcceptValue: "multi-valued value mapped to single-valued attribute",
	ExpressionEvaluationFailed:       "expression mapping failed to evaluate",
	InvalidAttributeValue:            "mapped value does not fit the target attribute type",
	InvalidMatchValue:                "matching value cannot be sent in a $filter",
	SchemaInvalid:                    "mapping does not fit the target object schema",
	SchemaAttributeNotFound:          "source attribute unknown",
	InvalidOperator:                  "unknown scoping filter operator",
	InvalidFilterValue:               "scoping clause value does not fit its operator",
	InvalidExpression:                "expression does not compile",
	InvalidValue:                     "setting out of range",
	Required:                         "setting missing",
	Duplicate:                        "duplicate value",
	Unsupported:                      "unsupported combination of settings",

	DeletionThresholdExceeded:            "deprovisioning held by accidental-deletion prevention",
	GraphUnavailable:                     "Graph kept failing transiently past the retry policy",
	AuthorizationDenied:                  "Graph or the authority refused the credentials (401/403)",
	GraphRequestRejected:                 "Graph refused the write for good",
	DeliveryAttemptsExhausted:            "message redelivered until JetStream gave up",
	EncounteredEscrowProportionThreshold: "quarantine: too many of a cycle's writes failed",
	EncounteredQuarantineException:       "quarantine: writes fail authentication",
	TooManyDeletes:                       "quarantine: deletions held past the threshold",
}
