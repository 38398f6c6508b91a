package synclog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/rules/decide"
)

// An object whose manager was not written yet when the transformer decided
// it is written without it, and the cycle's references round (after the
// users are written) sets the manager: two writes, one log entry. The first
// outcome's log says Deferred, the references round's says Continues; each
// waits in
//
//	xtsync:{<cfg>}:cycle:<cycle>:parts  HASH  d:<object id> -> first outcome, c:<object id> -> references part (protobuf), TTL SeenTTL
//
// for the other, whichever comes first, and the second one logs both as one
// entry: the first outcome's entry id, its steps, its export step, then the
// references round's steps and export step; modified properties of both;
// a failure of either fails the entry. The entry id makes a redelivery of
// either part a duplicate, as for any entry, so the parts are dropped once
// the entry is counted (dropParts).
func partsKey(cfg, cycle string) string { return cycleKey(cfg, cycle) + ":parts" }

// partScript: KEYS parts hash; ARGV own field, other field, value, ttl ms.
// Stores the value unless the field holds one (a redelivery, or a second
// decision of the object in the cycle: the first stays), and returns
// {stored value, other part or false}; {} once the cycle was stopped.
var partScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], '!stopped') == 1 then return {} end
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  cur = ARGV[3]
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {cur, redis.call('HGET', KEYS[1], ARGV[2])}
`)

// partOf reads the log's part markers; cheap for the outcomes without.
func partOf(o *eventsv1.WriteOutcome) (deferred, continues bool) {
	js := o.GetLogJson()
	if !strings.Contains(js, `"deferred":true`) && !strings.Contains(js, `"continues":true`) {
		return false, false
	}
	var l decide.Log
	if json.Unmarshal([]byte(js), &l) != nil {
		return false, false
	}
	return l.Deferred, l.Continues
}

// merged is an outcome to log: built from two parts (joined, with its
// entry's steps), or a part logged on its own.
type merged struct {
	o      *eventsv1.WriteOutcome
	steps  string
	joined bool
}

// joinParts replaces the parts in outcomes: a part whose other part is
// not here yet is stored and left out; one whose other part is here
// becomes the merged outcome (in the returned map, with its steps; ""
// keeps toEntry's).
func (s *Service) joinParts(ctx context.Context, cfg, cycle string, outcomes []*eventsv1.WriteOutcome) ([]*eventsv1.WriteOutcome, map[*eventsv1.WriteOutcome]string, error) {
	var out []*eventsv1.WriteOutcome
	var steps map[*eventsv1.WriteOutcome]string
	for i, o := range outcomes {
		def, cont := partOf(o)
		if !def && !cont {
			if out != nil {
				out = append(out, o)
			}
			continue
		}
		if out == nil {
			out = append(make([]*eventsv1.WriteOutcome, 0, len(outcomes)), outcomes[:i]...)
		}
		m, ok, err := s.part(ctx, cfg, cycle, o, cont)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue
		}
		if steps == nil {
			steps = map[*eventsv1.WriteOutcome]string{}
		}
		out = append(out, m.o)
		if m.joined {
			steps[m.o] = m.steps
		}
	}
	if out == nil {
		return outcomes, nil, nil
	}
	return out, steps, nil
}

// part stores one part and returns the entry to log now, if any: the
// merged entry when the other part is stored, the outcome itself when it
// is a second first part of the object (logged on its own).
func (s *Service) part(ctx context.Context, cfg, cycle string, o *eventsv1.WriteOutcome, cont bool) (merged, bool, error) {
	obj := o.GetSource().GetObjectId()
	own, other := "d:"+obj, "c:"+obj
	if cont {
		own, other = other, own
	}
	b, err := proto.Marshal(o)
	if err != nil {
		return merged{}, false, fmt.Errorf("synclog: encode part of %s: %w", obj, err)
	}
	res, err := partScript.Run(ctx, s.d.Redis, []string{partsKey(cfg, cycle)},
		own, other, b, s.cfg.SeenTTL.Milliseconds()).Slice()
	if err != nil {
		return merged{}, false, fmt.Errorf("synclog: store part of %s: %w", obj, err)
	}
	if len(res) == 0 { // stopped: no references round will come
		return merged{o: o}, true, nil
	}
	stored := &eventsv1.WriteOutcome{}
	if err := proto.Unmarshal([]byte(res[0].(string)), stored); err != nil {
		return merged{}, false, fmt.Errorf("synclog: decode part of %s: %w", obj, err)
	}
	if !cont && stored.GetIntentId() != o.GetIntentId() {
		return merged{o: o}, true, nil // decided twice in the cycle: its own entry
	}
	otherB, _ := res[1].(string)
	if otherB == "" {
		return merged{}, false, nil
	}
	op := &eventsv1.WriteOutcome{}
	if err := proto.Unmarshal([]byte(otherB), op); err != nil {
		return merged{}, false, fmt.Errorf("synclog: decode part of %s: %w", obj, err)
	}
	first, refs := stored, op
	if cont {
		first, refs = op, stored
	}
	return join(first, refs), true, nil
}

// join merges the first outcome of an object and its references round.
func join(first, refs *eventsv1.WriteOutcome) merged {
	m := proto.Clone(first).(*eventsv1.WriteOutcome)
	m.Changes = append(m.Changes, refs.GetChanges()...)
	if m.GetSuccess() && !refs.GetSuccess() {
		m.Success, m.Error = false, refs.GetError()
	}
	if m.GetAction() == eventsv1.WriteAction_WRITE_ACTION_SKIP && refs.GetAction() == eventsv1.WriteAction_WRITE_ACTION_UPDATE {
		m.Action = eventsv1.WriteAction_WRITE_ACTION_UPDATE
	}
	if m.GetTargetObjectId() == "" {
		m.TargetObjectId = refs.GetTargetObjectId()
	}
	if refs.GetAttempts() > m.GetAttempts() {
		m.Attempts = refs.GetAttempts()
	}
	if t := refs.GetFinishedAt(); t != nil {
		m.FinishedAt = t
	}
	var all []decide.Step
	for _, o := range []*eventsv1.WriteOutcome{first, refs} {
		var l decide.Log
		if o.GetLogJson() != "" && json.Unmarshal([]byte(o.GetLogJson()), &l) == nil {
			all = append(all, l.Steps...)
		}
		if st, ok := exportStep(o); ok {
			all = append(all, st)
		}
	}
	if all == nil {
		all = []decide.Step{}
	}
	b, err := json.Marshal(all)
	if err != nil {
		return merged{o: m, joined: true}
	}
	return merged{o: m, steps: string(b), joined: true}
}

// dropParts deletes the parts of the joined entries this batch counted:
// a redelivered part then finds its entry id counted (seen) and is a
// duplicate, so only the parts still waiting stay in Redis (until SeenTTL).
// Entries another batch logs are dropped by that batch.
func (s *Service) dropParts(ctx context.Context, cfg, cycle string, outcomes []*eventsv1.WriteOutcome,
	joined map[*eventsv1.WriteOutcome]string, fresh []int) error {
	var fields []string
	for _, i := range fresh {
		if _, ok := joined[outcomes[i]]; ok {
			obj := outcomes[i].GetSource().GetObjectId()
			fields = append(fields, "d:"+obj, "c:"+obj)
		}
	}
	if len(fields) == 0 {
		return nil
	}
	if err := s.d.Redis.HDel(ctx, partsKey(cfg, cycle), fields...).Err(); err != nil {
		return fmt.Errorf("synclog: drop %d logged parts: %w", len(fields)/2, err)
	}
	return nil
}

// stopScript: KEYS parts hash; ARGV ttl ms. Marks the cycle stopped and
// returns the parts still waiting for their other part.
var stopScript = redis.NewScript(`
redis.call('HSET', KEYS[1], '!stopped', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
local kv = redis.call('HGETALL', KEYS[1])
local have, out = {}, {}
for i = 1, #kv, 2 do have[kv[i]] = true end
for i = 1, #kv, 2 do
  local f = kv[i]
  local p, obj = string.sub(f, 1, 2), string.sub(f, 3)
  if (p == 'd:' and not have['c:' .. obj]) or (p == 'c:' and not have['d:' .. obj]) then
    out[#out + 1] = kv[i + 1]
  end
end
return out
`)

// flushParts logs the parts of a stopped cycle that wait for their other
// part, each as its own entry: a stopped cycle runs no references round.
// Parts that arrive later are logged at once. Idempotent (a redelivered
// stop logs the same entries, which are then duplicates).
func (s *Service) flushParts(ctx context.Context, cfg, cycle string) error {
	vals, err := stopScript.Run(ctx, s.d.Redis, []string{partsKey(cfg, cycle)}, s.cfg.SeenTTL.Milliseconds()).StringSlice()
	if err != nil {
		return fmt.Errorf("synclog: flush the parts of stopped cycle %s: %w", cycle, err)
	}
	if len(vals) == 0 {
		return nil
	}
	b := &eventsv1.OutcomeBatch{ConfigurationId: cfg, CycleId: cycle}
	for _, v := range vals {
		o := &eventsv1.WriteOutcome{}
		if err := proto.Unmarshal([]byte(v), o); err != nil {
			return fmt.Errorf("synclog: decode part of stopped cycle %s: %w", cycle, err)
		}
		b.Outcomes = append(b.Outcomes, o)
	}
	return s.logBatch(ctx, b, cycle+"/stopped-parts")
}
