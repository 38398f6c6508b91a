package synclog

import (
	"hash/fnv"
	"sync"
)

// stripes is a fixed set of mutexes picked by key hash: per-cycle mutual
// exclusion without a map that grows with every cycle ever seen.
type stripes [64]sync.Mutex

func (s *stripes) lock(key string) (unlock func()) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	mu := &s[h.Sum32()%uint32(len(s))]
	mu.Lock()
	return mu.Unlock
}
