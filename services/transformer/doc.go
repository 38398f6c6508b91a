// Package transformer turns the reader's SourceChangeBatches into the
// writers' IntentBatches: scope, mappings, matching and the action of every
// source object, through pkg/rules/decide. It never calls Graph.
//
// # Per batch
//
//  1. The configuration's compiled rules come from a RulesResolver
//     (StaticRules until the configuration store exists).
//  2. With "sync only assigned users and groups", group changes update the
//     assigned-group membership store first (AssignedMembers). A scope-only
//     batch stops here: its changes are stored for the cycle's groups
//     provisioning round (CycleGroups) and nothing is published.
//  3. One ConnectorStore.GetMany loads the entries of the batch's objects;
//     the target ids of everything they reference (managers, group
//     members) are read 2,000 entries at a time, keeping only the ids, so
//     a batch's memory does not grow with its groups' full entries; one
//     HMGET loads the assigned groups of its users.
//  4. decide.Decide runs per object; every decision becomes a WriteIntent,
//     Skip and Fail included (writers do nothing for them; the log service
//     logs them).
//  5. Deprovisioning intents pass the DeletionGuard: with a threshold, all
//     of them wait in Redis for the cycle end instead of being published.
//  6. Run publishes the IntentBatch (and, for a late batch of a cycle
//     already held, the signal), waits for JetStream's acks, and only then
//     acks the input.
//
// # What the reader must send
//
//   - attributes: Graph v1.0 JSON names and values. The transformer adds the
//     Entra names the default mappings read (objectId, netId = object id
//     unless sent, telephoneNumber = businessPhones[0], mobile,
//     physicalDeliveryOfficeName, facsimileTelephoneNumber,
//     employeeOrgData.*, extensionAttributeN). manager is the manager's
//     object id, or the $expand=manager object ({"id": ...}). Only the
//     properties the configuration's rules read are decoded
//     (decide.Config.SourceAttributes, need.go); the rest of the object
//     is checked as JSON but never built into values (jsonattrs.go).
//   - member_ids of a group change: the COMPLETE set of direct user members,
//     on every group change, never a members@delta difference and never
//     omitted (an empty list empties the target group). Nested groups left
//     out. Beyond redisx.InlineMembers the list comes as member_set (a
//     redisx.MemberSets id): Process reads it back first (expandMembers;
//     a set that is gone is a permanent error, never an empty group), and
//     the scope pass stores the change with its reference.
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
//   - Groups after their members. A group's write lists its members'
//     target ids, known only once the members are written. So the groups
//     round is a scope pass: batches with scope_only set update the
//     assigned members as above and are stored (CycleGroups,
//     xtsync:{cfg}:cycle:<id>:groups, latest observed change per group), no
//     intents and no output message. Once the users are decided and written
//     (changes, then intents of the configuration drained) the reader
//     publishes the stored groups again as ordinary, counted changes: the
//     groups provisioning round, decided here like any change, members
//     resolved through the connector store. One decision per group and
//     cycle.
//   - References round. A user whose manager is not written yet is written
//     without it; its change is kept (CycleRefs,
//     xtsync:{cfg}:cycle:<id>:refs) and its log marked deferred. Once the
//     cycle's users are written the reader publishes those changes again
//     with references set (not counted); they are decided again and only
//     the manager is issued (referencesPart: an Update, or a Skip), with
//     a log that continues the first one: the log service logs both as one
//     entry. A manager still unresolved then is out of the cycle: the
//     user leaves the revisit set and waits for it
//     (xtsync:{cfg}:manager-waits:<manager>) until a Create or Restore of
//     the manager queues it for a revisit. Not in on-demand cycles.
//   - The revisit set (Revisits, xtsync:{cfg}:revisit): users who joined or
//     left an assigned group and objects with unresolved references. A delta
//     never returns them, so in each delta cycle the reader reads the set
//     after the users round and publishes those objects (GET by id) as
//     UPSERT changes (a deleted one as HARD_DELETED); groups go with the
//     groups provisioning round. The transformer removes ids it decides
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
//     as a JSON array) for the log. Beyond redisx.InlineMembers desired plus
//     pending ids, both go as member sets (desired_member_set,
//     pending_source_member_set; externalizeMembers) and the "members"
//     change's value names the set: an IntentBatch stays bounded whatever
//     the group's size.
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
// Entra's rule: a cycle that would disable or delete more objects than the
// threshold (rules: accidental_deletion, default 500) deletes nothing, and
// the job waits for an admin. A stream cannot know a cycle's count before
// its end, so every deprovisioning intent (soft delete, disable, hard
// delete, scope-outs included; full cycles too) of a non-on-demand cycle is
// counted in a SET and kept in a pending HASH (guard.go has the keys), and
// the rest of its batch is published as usual. With the threshold off too
// (then released unconditionally at the end): the groups provisioning round
// must remove a user from its groups before the user is deleted, or a
// restore brings the memberships back.
//
// The reader publishes CycleEnd only after XTSYNC_CHANGES holds no message
// of the configuration, i.e. after every change of the cycle was
// transformed. Run consumes those ends (transformer-cycles) and DecideCycle
// decides once, recorded per cycle:
//
//   - count <= threshold: the pending intents go to the writers, message
//     ids "<cycle>/release/<shard>/<n>" over the sorted intents (a retry
//     deduplicates); the pending HASH is dropped with the "release" mark
//     only after JetStream stored everything.
//   - count > threshold: the pending intents move to the cycle's held HASH
//     (the scheduler pauses the job when it exists: reason
//     DeletionThresholdExceeded), mark "hold", and the signal goes to the
//     log service: OutcomeBatches on xtsync.outcomes.<cfg>, ids
//     "<cycle>/held/<n>", one failed WriteOutcome per held intent with code
//     DeletionThresholdExceeded. Nothing is deleted.
//
// A redelivered CycleEnd finds the mark (and republishes the signal under
// the same ids); a redelivered batch finds its intents pending or held, or
// publishes them under its original message id if released. Pending
// intents of a cycle stopped before its end (pause, restart) are decided
// with the next cycle end of the configuration (counted together, held
// under the ending cycle), so they are neither lost nor deleted unchecked.
// On-demand cycles have no threshold.
//
// The scheduler's RestartJob with force_deletes sets
// xtsync:{cfg}:force-deletes to the held cycle's id; Run checks that key
// before every batch of the configuration and calls ReleaseHeld, which
// marks the cycle forced (its late batches and its end hold nothing),
// publishes the held and pending intents ("<cycle>/held/<shard>/<n>"),
// then deletes the key (if unchanged).
//
// # Order
//
// Batches of one shard run one at a time (Concurrency 1): two batches may
// carry the same object. Raise Concurrency only if the reader sets
// natsx.WithOrderKey. One Publisher per handler goroutine keeps WaitAll's
// failures with the batch that caused them.
package transformer
