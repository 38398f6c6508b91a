// Package synclog is the card's "log" service (named synclog so it never
// shadows the standard log package). It
//
//   - consumes OutcomeBatch (synclog-outcomes) and cycle events
//     (synclog-cycles) from JetStream;
//   - writes one ProvisioningLogEntry per WriteOutcome to XTSYNC_LOGS on
//     xtsync.logs.<cfg>.<cycle>, the new entries of one OutcomeBatch in one
//     ProvisioningLogBatch message (logbatch.go) with Nats-Msg-Id
//     "<cfg>/<OutcomeBatch id>/<digest of its entry ids>";
//   - counts each cycle's progress in Redis (counters.go), records escrows
//     and decides quarantine (verdict.go);
//   - serves SynclogService: List and Tail of provisioning logs read back
//     from XTSYNC_LOGS, and List of the audit log (a Redis stream).
//
// # Idempotency
//
// An OutcomeBatch may be delivered more than once. Per batch: entries whose
// id is already in the cycle's seen set were published and counted before
// and are skipped; so are entries another batch is logging (one Lua script
// checks the seen set and takes a lease on the rest for this batch, in the
// cycle's owner hash, so an outcome carried by two batches is stored by
// one). The batch's own are published as one message (JetStream drops a
// redelivery's copy, same id, inside its duplicate window), then escrowed,
// then counted by one Lua script that adds their ids to the seen set,
// drops their leases and bumps the counters atomically. A lease is renewed
// at each delivery and outlasts the wait for a redelivery (ownerLease);
// only a batch gone for longer (dead-lettered) hands its ids over, which
// can log one twice but never loses it. Batches of one cycle are handled
// one at a time per process (two copies in flight would both find an
// entry unseen). A crash between escrow and count, or a copy redelivered to a second replica while the
// first still works on it (AckWait passed), records one failure twice:
// escrow counts are "at least"; nothing is ever lost.
//
// # Quarantine reason codes
//
// Entra's quarantineReason spelling, so admins can search Microsoft's docs:
//
//	EncounteredEscrowProportionThreshold  more than Quarantine.FailureRatio of a
//	                                      cycle's writes failed, over at least
//	                                      Quarantine.MinObjects writes
//	EncounteredQuarantineException        writes failed with an authentication/
//	                                      authorization code and none succeeded
//	                                      (bad secret, consent or cross-tenant
//	                                      policy): Quarantine.AuthMinFailures of
//	                                      them, or any once the cycle completed
//	TooManyDeletes                        the transformer held a cycle's
//	                                      deprovisions (DeletionThresholdExceeded);
//	                                      released only by an admin restart
//
// The first two are decided at most once per cycle, as soon as the counts
// pass the threshold (a cycle of 300,000 failing writes is cut short), and
// released by the first completed cycle that has a successful write and
// stays under both thresholds. The scheduler starts no cycle before the
// quarantine's NextAttempt; failed objects are escrowed and put in the
// revisit set, so that cycle retries them even when nothing changed in the
// source, and their success is what releases the quarantine.
package synclog
