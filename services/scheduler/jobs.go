package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
)

// ErrState: the job is not in a state the transition starts from.
var ErrState = errors.New("scheduler: job state does not allow this")

// jobRecord is the job hash of one configuration.
type jobRecord struct {
	State    schedulerv1.JobState
	Reason   string
	Interval time.Duration
	Next     time.Time
	// Cycle is the running cycle (the cycle lock); "" when none.
	Cycle, Mode string
	Started     time.Time
	// Last* describe the previous cycle.
	Last, LastMode       string
	LastStarted, LastEnd time.Time
	// Held is the cycle whose deletions the threshold held back; Approved
	// the one an admin allowed (RestartJob force_deletes).
	Held, Approved string
}

func parseJob(m map[string]string) jobRecord {
	ms := func(k string) time.Time {
		n, err := strconv.ParseInt(m[k], 10, 64)
		if err != nil || n == 0 {
			return time.Time{}
		}
		return time.UnixMilli(n).UTC()
	}
	iv, _ := strconv.ParseInt(m["interval"], 10, 64)
	return jobRecord{
		State:    schedulerv1.JobState(schedulerv1.JobState_value[m["state"]]),
		Reason:   m["reason"],
		Interval: time.Duration(iv) * time.Millisecond,
		Next:     ms("next"), Cycle: m["cycle"], Mode: m["mode"], Started: ms("started"),
		Last: m["last"], LastMode: m["last_mode"], LastStarted: ms("last_started"), LastEnd: ms("last_ended"),
		Held: m["held"], Approved: m["approved"],
	}
}

// transitionScript is every change of a job hash, atomically.
// KEYS[1] job. ARGV:
//
//	1 allowed states, comma-separated ("" = any)
//	2 new state ("" keeps)          3 new reason ("-" keeps)
//	4 new cycle id ("" none)        5 its mode
//	6 now (ms)                      7 end the running cycle: "1", or a cycle id to end only that one
//	8 due check: "1" = only if no live cycle and next <= now
//	9 stale cycle bound (ms): a cycle started before it counts as lost
//	10 fence ("0" = no fence check) 11 new interval (ms, "" keeps)
//	12 held cycle ("" keeps, "-" clears)
//
// Returns {status, old hash as field/value pairs...}; status 1 done, 0
// refused (state or due check), -1 no job.
var transitionScript = redis.NewScript(`
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return {-1} end
local j = {}
for i = 1, #h, 2 do j[h[i]] = h[i+1] end
local function refuse() local r = {0}; for i = 1, #h do r[#r+1] = h[i] end; return r end
if ARGV[1] ~= '' then
  local ok = false
  for s in string.gmatch(ARGV[1], '[^,]+') do if s == j['state'] then ok = true end end
  if not ok then return refuse() end
end
local now = tonumber(ARGV[6])
local fence = tonumber(ARGV[10])
if fence > 0 and tonumber(j['fence'] or '0') > fence then return refuse() end
local live = (j['cycle'] or '') ~= '' and tonumber(j['started'] or '0') >= tonumber(ARGV[9])
if ARGV[8] == '1' and (live or tonumber(j['next'] or '0') > now) then return refuse() end
if fence > 0 then redis.call('HSET', KEYS[1], 'fence', fence) end
local ending = ARGV[7] == '1' or (ARGV[7] ~= '' and ARGV[7] ~= '0' and ARGV[7] == (j['cycle'] or ''))
if ARGV[7] ~= '' and ARGV[7] ~= '0' and ARGV[7] ~= '1' and not ending then return refuse() end
if ending and (j['cycle'] or '') ~= '' then
  redis.call('HSET', KEYS[1], 'last', j['cycle'], 'last_mode', j['mode'] or '', 'last_started', j['started'] or '0', 'last_ended', now, 'cycle', '', 'mode', '', 'started', '0')
end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'state', ARGV[2]) end
if ARGV[3] ~= '-' then redis.call('HSET', KEYS[1], 'reason', ARGV[3]) end
local interval = tonumber(j['interval'] or '0')
if ARGV[11] ~= '' then
  interval = tonumber(ARGV[11])
  redis.call('HSET', KEYS[1], 'interval', interval)
  if tonumber(j['next'] or '0') > now + interval then redis.call('HSET', KEYS[1], 'next', now + interval) end
end
if ARGV[12] == '-' then redis.call('HSET', KEYS[1], 'held', '') elseif ARGV[12] ~= '' then redis.call('HSET', KEYS[1], 'held', ARGV[12]) end
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'cycle', ARGV[4], 'mode', ARGV[5], 'started', now, 'next', now + interval)
end
local r = {1}
for i = 1, #h do r[#r+1] = h[i] end
return r
`)

// transition describes one change; zero fields change nothing.
type transition struct {
	from     []schedulerv1.JobState
	to       schedulerv1.JobState
	reason   *string
	cycle    string // start this cycle
	mode     string
	endCycle string // "1" ends any running cycle; an id ends only that one
	due      bool
	stale    time.Time
	fence    uint64
	interval time.Duration
	held     string // cycle whose deletions are held; "-" clears
}

// Jobs is the Redis job-state store.
type Jobs struct{ rdb redis.UniversalClient }

// create writes a new job in state NotRun (or NotConfigured).
func (j *Jobs) create(ctx context.Context, cfg string, state schedulerv1.JobState, interval time.Duration) error {
	err := j.rdb.HSet(ctx, jobKey(cfg), "state", state.String(), "reason", "", "interval", interval.Milliseconds(),
		"next", 0, "cycle", "", "started", 0).Err()
	if err != nil {
		return fmt.Errorf("create job %s: %w", cfg, err)
	}
	return nil
}

func (j *Jobs) get(ctx context.Context, cfg string) (jobRecord, error) {
	m, err := j.rdb.HGetAll(ctx, jobKey(cfg)).Result()
	if err != nil {
		return jobRecord{}, fmt.Errorf("read job %s: %w", cfg, err)
	}
	if len(m) == 0 {
		return jobRecord{}, fmt.Errorf("%w: job of %s", ErrNotFound, cfg)
	}
	return parseJob(m), nil
}

// apply runs t and returns the job as it was before; ErrState when refused.
func (j *Jobs) apply(ctx context.Context, cfg string, now time.Time, t transition) (jobRecord, error) {
	from := make([]string, len(t.from))
	for i, s := range t.from {
		from[i] = s.String()
	}
	to, reason, interval := "", "-", ""
	if t.to != schedulerv1.JobState_JOB_STATE_UNSPECIFIED {
		to = t.to.String()
	}
	if t.reason != nil {
		reason = *t.reason
	}
	if t.interval > 0 {
		interval = strconv.FormatInt(t.interval.Milliseconds(), 10)
	}
	due := "0"
	if t.due {
		due = "1"
	}
	res, err := transitionScript.Run(ctx, j.rdb, []string{jobKey(cfg)},
		strings.Join(from, ","), to, reason, t.cycle, t.mode, now.UnixMilli(), t.endCycle, due,
		t.stale.UnixMilli(), t.fence, interval, t.held).Slice()
	if err != nil {
		return jobRecord{}, fmt.Errorf("update job %s: %w", cfg, err)
	}
	status, _ := res[0].(int64)
	m := map[string]string{}
	for i := 1; i+1 < len(res); i += 2 {
		k, _ := res[i].(string)
		v, _ := res[i+1].(string)
		m[k] = v
	}
	switch status {
	case -1:
		return jobRecord{}, fmt.Errorf("%w: job of %s", ErrNotFound, cfg)
	case 0:
		return parseJob(m), ErrState
	}
	return parseJob(m), nil
}

func (j *Jobs) delete(ctx context.Context, cfg string) error {
	if err := j.rdb.Del(ctx, jobKey(cfg), forceDeletesKey(cfg)).Err(); err != nil {
		return fmt.Errorf("delete job %s: %w", cfg, err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
