package natsx

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Subject roots, one per stream. The tokens after the root are part of the
// wire contract between services: change them only with a migration.
const (
	subjCycles   = "xtsync.cycles"
	subjChanges  = "xtsync.changes"
	subjIntents  = "xtsync.intents"
	subjOutcomes = "xtsync.outcomes"
	subjLogs     = "xtsync.logs"
)

// Cycle command verbs: the last token of xtsync.cycles.<configuration>.<verb>.
const (
	CycleVerbStart = "start"
	CycleVerbStop  = "stop"
	CycleVerbEnd   = "end"
)

// ShardOf maps an object id to a shard in [0, n). Every producer and
// consumer must agree, so the function is fixed: FNV-1a 64 of the
// lower-cased id (Graph ids are GUIDs whose case may vary) modulo n.
// Changing n re-homes objects; drain the shards before changing it.
func ShardOf(objectID string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(strings.ToLower(objectID)))
	return int(h.Sum64() % uint64(n))
}

// ValidToken reports whether s can be one subject token: not empty, no
// dots, wildcards or whitespace. Configuration, cycle and tenant ids become
// tokens, so they are checked before building a subject.
func ValidToken(s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty", ErrInvalidToken)
	}
	if len(s) > 128 {
		return fmt.Errorf("%w: %d bytes (max 128)", ErrInvalidToken, len(s))
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' || c == '*' || c == '>' || c <= ' ' || c == 0x7f:
			return fmt.Errorf("%w: %q contains %q", ErrInvalidToken, s, c)
		}
	}
	return nil
}

func join(tokens ...string) (string, error) {
	for _, t := range tokens[1:] {
		if err := ValidToken(t); err != nil {
			return "", err
		}
	}
	return strings.Join(tokens, "."), nil
}

// CycleSubject is xtsync.cycles.<configuration>.<verb>.
func CycleSubject(configID, verb string) (string, error) {
	return join(subjCycles, configID, verb)
}

// ChangeSubject is xtsync.changes.<configuration>.<shard> for the shard of
// objectID among shards: one object always lands on one subject, so one
// shard consumer sees its changes in order.
func ChangeSubject(configID, objectID string, shards int) (string, error) {
	return join(subjChanges, configID, strconv.Itoa(ShardOf(objectID, shards)))
}

// IntentSubject is xtsync.intents.<target tenant>.<configuration>.<shard>.
// The target tenant comes first so writers (and rate limits) can be
// grouped by tenant with one wildcard.
func IntentSubject(targetTenant, configID, objectID string, shards int) (string, error) {
	return join(subjIntents, targetTenant, configID, strconv.Itoa(ShardOf(objectID, shards)))
}

// OutcomeSubject is xtsync.outcomes.<configuration>.
func OutcomeSubject(configID string) (string, error) {
	return join(subjOutcomes, configID)
}

// LogSubject is xtsync.logs.<configuration>.<cycle>: a query for one
// configuration or one cycle is a subject filter.
func LogSubject(configID, cycleID string) (string, error) {
	return join(subjLogs, configID, cycleID)
}

// LogFilter is the subject filter of a log query; empty cycleID means every
// cycle of the configuration.
func LogFilter(configID, cycleID string) (string, error) {
	if cycleID == "" {
		if err := ValidToken(configID); err != nil {
			return "", err
		}
		return subjLogs + "." + configID + ".>", nil
	}
	return LogSubject(configID, cycleID)
}

// changeShardFilter is the filter of the transformer consumer for shard k.
func changeShardFilter(k int) string { return subjChanges + ".*." + strconv.Itoa(k) }

// intentShardFilter is the filter of the writer consumer for shard k.
func intentShardFilter(k int) string { return subjIntents + ".*.*." + strconv.Itoa(k) }
