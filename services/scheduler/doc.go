// Package scheduler is the scheduler service: the configuration store, the
// job state machine, the schedule, and the public SchedulerService gRPC API
// (portals and xtsyncctl call it).
//
// # Redis keys (besides the redisx stores it drives)
//
//	xtsync:{<cfg>}:config          HASH   rev (etag, CAS counter), data (binary proto Configuration without etag)
//	xtsync:{<cfg>}:job             HASH   state, reason, interval (ms), next (ms), cycle, mode, started (ms),
//	                                      last, last_mode, last_started, last_ended (ms), fence,
//	                                      held (cycle whose deletions the threshold held back),
//	                                      approved (the held cycle an admin approved)
//	xtsync:{<cfg>}:force-deletes   STRING cycle id whose held deletions an admin approved (RestartJob force_deletes)
//	xtsync:configs                 SET    every configuration id
//	xtsync:{tenant:<tid>}:configs  SET    configuration ids whose source or target is <tid>
//	xtsync:audit                   STREAM field "entry" = protojson xtsync.synclog.v1.AuditEntry, MAXLEN ~ Config.AuditMaxLen
//
// The indexes live in other slots than the configuration, so they are kept
// crash-safe by order instead of atomicity: index first on create, index
// last on delete; readers skip ids whose configuration is gone or no longer
// names the tenant.
//
// # Cycles
//
// The job hash's cycle field is the cycle lock: the leader claims a due job
// with one Lua script (state Active, no running cycle, next run reached,
// fence not older than the last claimer's), then publishes CycleStart with
// message id "<cycle>/start". A CycleEnd for that cycle (consumer
// scheduler-cycles) clears it; a cycle older than Config.CycleTimeout is
// considered lost and the job is due again.
//
// # Handshakes with the other services
//
//   - reader: consumes CycleStart/CycleStop (xtsync.cycles.<cfg>.start|stop),
//     publishes CycleEnd; resolves the source through Store.Source-like
//     lookups of the configuration store (Store.Get).
//   - log service: enters quarantine with redisx.QuarantineStore.Enter; the
//     scheduler defers Active jobs until Quarantine.NextAttempt and reports
//     the job as Quarantine. It reads the audit stream above.
//   - transformer: on RestartJob with force_deletes the scheduler SETs
//     xtsync:{<cfg>}:force-deletes to the cycle id whose deletions were held
//     (the job's last or current cycle) before publishing the FULL
//     CycleStart; the transformer GETDELs it and calls ReleaseHeld(ctx, cfg,
//     cycle). The transformer's held list of a cycle
//     (xtsync:{<cfg>}:cycle:<id>:held, guard.go there) is the pause signal:
//     the leader's tick pauses an Active job whose running or last cycle
//     holds deletions, with reason DeletionThresholdExceeded, and remembers
//     that cycle for the approval.
package scheduler
