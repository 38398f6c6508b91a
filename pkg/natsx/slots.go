package natsx

import (
	"container/list"
	"context"
	"sync"
)

// Slots bounds the handlers running at once across every Consume runner
// that shares it: one process-wide limit over many shard consumers, so a
// process's in-flight work does not grow with the number of shards it
// pulls (and N processes give N times the work in flight). A key (e.g. the
// target tenant, from the subject) may hold at most PerKey slots, so one
// slow key cannot take them all. Waiters are served first come, first
// served among those whose key is under its cap: no consumer starves.
type Slots struct {
	n, perKey int

	mu      sync.Mutex
	used    int
	byKey   map[string]int
	waiters list.List // *slotWaiter, oldest first
}

type slotWaiter struct {
	key   string
	ready chan struct{} // closed when granted
}

// NewSlots allows n handlers at once, at most perKey of one key; perKey
// <= 0 or > n means n. n < 1 is taken as 1.
func NewSlots(n, perKey int) *Slots {
	n = max(n, 1)
	if perKey <= 0 || perKey > n {
		perKey = n
	}
	return &Slots{n: n, perKey: perKey, byKey: map[string]int{}}
}

// Size is the number of slots; PerKey the cap of one key.
func (s *Slots) Size() int   { return s.n }
func (s *Slots) PerKey() int { return s.perKey }

// InUse is the number of slots held now.
func (s *Slots) InUse() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used
}

// Waiting is the number of acquirers waiting for a slot.
func (s *Slots) Waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiters.Len()
}

// Acquire waits for a slot for key, or for ctx to end (ctx.Err()). The
// returned release must be called once when the work is done.
func (s *Slots) Acquire(ctx context.Context, key string) (release func(), err error) {
	if err := ctx.Err(); err != nil { // stopping: start nothing new
		return nil, err
	}
	s.mu.Lock()
	// Waiters left in the queue do not fit (every release grants all that
	// do), so taking a free slot here overtakes nobody who could use it.
	if s.fits(key) {
		s.take(key)
		s.mu.Unlock()
		return s.releaser(key), nil
	}
	w := &slotWaiter{key: key, ready: make(chan struct{})}
	e := s.waiters.PushBack(w)
	s.mu.Unlock()

	select {
	case <-w.ready:
		return s.releaser(key), nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	select {
	case <-w.ready: // granted while giving up: pass it on
		s.mu.Unlock()
		s.releaser(key)()
	default:
		s.waiters.Remove(e)
		s.mu.Unlock()
	}
	return nil, ctx.Err()
}

func (s *Slots) fits(key string) bool { return s.used < s.n && s.byKey[key] < s.perKey }

func (s *Slots) take(key string) {
	s.used++
	s.byKey[key]++
}

func (s *Slots) releaser(key string) func() {
	var once sync.Once
	return func() { once.Do(func() { s.release(key) }) }
}

// release frees key's slot and grants it, oldest first, to the waiters
// that fit.
func (s *Slots) release(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.used--
	if s.byKey[key]--; s.byKey[key] == 0 {
		delete(s.byKey, key)
	}
	for e := s.waiters.Front(); e != nil && s.used < s.n; {
		next := e.Next()
		if w := e.Value.(*slotWaiter); s.fits(w.key) {
			s.take(w.key)
			s.waiters.Remove(e)
			close(w.ready)
		}
		e = next
	}
}
