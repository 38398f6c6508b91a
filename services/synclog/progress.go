package synclog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrCycleNotFound: no counters for the cycle (never seen, or expired).
var ErrCycleNotFound = errors.New("synclog: cycle not found")

// Progress is one cycle's counters: what the scheduler shows as a
// CycleSummary (by action, by status, percent complete).
type Progress struct {
	ConfigurationID, CycleID string
	Mode                     string
	TraceID                  string
	Started                  time.Time
	// ReaderFinished is zero until CycleEnd arrived.
	ReaderFinished time.Time
	// Completed is zero until the reader finished and every expected
	// entry was logged.
	Completed time.Time
	// Expected is CycleEnd.changes_published (objects), -1 until known.
	Expected  int64
	Logged    int64
	Succeeded int64
	Failed    int64
	Held      int64
	ByAction  map[string]int64
	ByStatus  map[string]int64
	// Verdict is the quarantine decision taken for the cycle, if any: a
	// reason code, "healthy" or "inconclusive".
	Verdict string
}

// PercentComplete is logged / expected once the reader finished (capped at
// 100, since a resumed reader may re-publish objects), and 0 before: until
// CycleEnd the total is unknown.
func (p Progress) PercentComplete() float64 {
	switch {
	case !p.Completed.IsZero():
		return 100
	case p.Expected <= 0:
		return 0
	}
	return min(100, 100*float64(p.Logged)/float64(p.Expected))
}

// ProgressReader reads cycle counters. Called by the scheduler (GetJob's
// CycleSummary) and by tests.
type ProgressReader struct{ rdb redis.UniversalClient }

// NewProgressReader returns a reader over the Redis the log service writes.
func NewProgressReader(rdb redis.UniversalClient) *ProgressReader { return &ProgressReader{rdb: rdb} }

// Cycle returns the progress of one cycle, or ErrCycleNotFound.
func (r *ProgressReader) Cycle(ctx context.Context, cfg, cycle string) (Progress, error) {
	c := counters{rdb: r.rdb}
	m, err := c.snapshot(ctx, cfg, cycle)
	if err != nil {
		return Progress{}, err
	}
	if len(m) == 0 {
		return Progress{}, fmt.Errorf("%s of %s: %w", cycle, cfg, ErrCycleNotFound)
	}
	return progressOf(cfg, cycle, m), nil
}

// Recent returns the ids of the configuration's newest cycles, newest first.
func (r *ProgressReader) Recent(ctx context.Context, cfg string, n int64) ([]string, error) {
	ids, err := r.rdb.ZRevRange(ctx, cyclesKey(cfg), 0, n-1).Result()
	if err != nil {
		return nil, fmt.Errorf("recent cycles of %s: %w", cfg, err)
	}
	return ids, nil
}

func progressOf(cfg, cycle string, m map[string]string) Progress {
	ms := func(f string) time.Time {
		if v := num(m, f); v > 0 {
			return time.UnixMilli(v).UTC()
		}
		return time.Time{}
	}
	p := Progress{
		ConfigurationID: cfg, CycleID: cycle, Mode: m[fMode], TraceID: m[fTrace],
		Started: ms(fStart), ReaderFinished: ms(fEnd), Completed: ms(fComplete),
		Expected: -1, Logged: num(m, fLogged), Succeeded: num(m, fSucceeded), Failed: num(m, fFailed),
		Held: num(m, fHeld), ByAction: byPrefix(m, prefAction), ByStatus: byPrefix(m, prefStatus),
		Verdict: m[fVerdict],
	}
	if p.Started.IsZero() { // outcomes ahead of the CycleStart
		p.Started = ms(fFirst)
	}
	if _, ok := m[fExpected]; ok {
		p.Expected = num(m, fExpected)
	}
	return p
}
