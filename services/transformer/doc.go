// Package transformer turns the reader's SourceChangeBatches into the
// writers' IntentBatches: scope, mappings, matching and the action of every
// source object, through pkg/rules/decide. It never calls Graph.
//
// # Per batch
//
//  1. The configuration's compiled rules come from a RulesResolver
//     (StaticRules until the configuration store exists).
//  2. With "sync only assigned users and groups", group changes update the
//     assigned-group membership store first (AssignedMembers).
//  3. One ConnectorStore.GetMany loads the entries of the batch's objects
//     and of everything they reference (managers, group members); one HMGET
//     loads the assigned groups of its users.
//  4. decide.Decide runs per object; every decision becomes a WriteIntent,
//     Skip and Fail included (writers do nothing for them; the log service
//     logs them).
//  5. Deprovisioning intents pass the DeletionGuard; those past the cycle's
//     threshold are held in Redis instead of published.
//  6. Run publishes the IntentBatch (and, if something was held, the
//     signal), waits for JetStream's acks, and only then acks the input.
//
// # What the reader must send
//
//   - attributes: Graph v1.0 JSON names and values. The transformer adds the
//     Entra names the default mappings read (objectId, netId = object id
//     unless sent, telephoneNumber = businessPhones[0], mobile,
//     physicalDeliveryOfficeName, facsimileTelephoneNumber,
//     employeeOrgData.*, extensionAttributeN). manager is the manager's
//     object id, or the $expand=manager object ({"id": ...}).
//   - member_ids of a group change: the COMPLETE set of direct user members,
//     on every group change, never a members@delta difference and never
//     omitted (an empty list empties the target group). Nested groups left
//     out.
//   - observed_at on every change: decisions use it as "now", so a
//     redelivered batch decides exactly as the first time.
//   - Ordering for assignment scope. A user is in scope if assigned directly
//     or a direct member of an assigned group, known from the groups'
//     changes. Batches of different shards run in parallel, so "groups
//     first" needs a barrier: publish every group page of the cycle, wait
//     until the changes stream holds no message of the configuration
//     (WorkQueue: acked = deleted), then publish the users. Without it a
//     user may be decided before its group: skipped as NotEffectivelyEntitled
//     now, and picked up through the revisit set next cycle.
//   - The revisit set (Revisits, xtsync:{cfg}:revisit): users who joined or
//     left an assigned group and objects with unresolved references. A delta
//     never returns them, so at the start of each cycle the reader reads the
//     set and publishes those objects (GET by id) as UPSERT changes (a
//     deleted one as HARD_DELETED). The transformer removes ids it decides
//     without a pending reference.
//   - After an assignment change (a group newly assigned), run a full
//     import: members of groups never seen as assigned are unknown.
//
// # What writers get
//
//   - One IntentBatch per input on xtsync.intents.<tenant>.<cfg>.<k>, with the
//     input's Nats-Msg-Id. If intent and change shard counts differ, one per
//     intent shard ("<id>/<k>"); over max_message_bytes, parts
//     ("<id>/part<n>"). An input whose deprovisions were all held still gets
//     an (empty) IntentBatch.
//   - intent_id = "<cycle>/<source id>/<hash of batch coordinates and
//     action>": a redelivered batch gives the same ids; JetStream drops the
//     duplicate IntentBatch by msg id.
//   - Every group Create, Update and Restore carries the complete desired
//     target member ids (desired_member_ids; source members not provisioned
//     yet in pending_source_member_ids), also when only the description
//     changed: writers reconcile on every group write, and an empty list
//     means "no members". When membership itself changed, the intent also
//     carries an AttributeChange named "members" (new value: the desired ids
//     as a JSON array) for the log.
//   - alternativeSecurityIds (no Graph property) is
//     [{"identityProvider": "<source tenant>", "key": "<netId>"}]; dates
//     are RFC 3339 strings; references are resolved target ids.
//   - connector_entry carries no object type or version: the writer takes the
//     type from source.type and chooses the version. An Active entry with no
//     target id is read as "create pending" and produces a Create again
//     (safe: writers match first).
//
// # Accidental-deletion prevention
//
// Per cycle the DeletionGuard adds each deprovisioning object (soft delete,
// disable, hard delete) to a SET; past the threshold the intent is held in a
// HASH (see guard.go for keys). The first threshold deprovisions of a cycle
// are published before the count is known to be exceeded: Entra decides per
// whole cycle, a stream can only decide per batch. The signal is an
// OutcomeBatch on xtsync.outcomes.<cfg> (msg id "<input id>/held") with one
// failed WriteOutcome per held intent, error code DeletionThresholdExceeded:
// the log service records them and the scheduler pauses the job.
// ReleaseHeld publishes them and marks the cycle forced so its late batches
// hold nothing. The scheduler's RestartJob with force_deletes sets
// xtsync:{cfg}:force-deletes to the held cycle's id; Run checks that key
// before every batch of the configuration, releases, then deletes the key
// (if unchanged).
//
// # Order
//
// Batches of one shard run one at a time (Concurrency 1): two batches may
// carry the same object. Raise Concurrency only if the reader sets
// natsx.WithOrderKey. One Publisher per handler goroutine keeps WaitAll's
// failures with the batch that caused them.
package transformer
