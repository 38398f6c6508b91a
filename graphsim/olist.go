package graphsim

import "sort"

// olist keeps objects in a stable listing order so skiptokens can name a
// position (an ord) that survives inserts and deletes. Removal leaves a
// stale entry that scans skip; compaction drops them once they pile up.
type olist[T any] struct {
	entries []olEntry[T]
	dead    int
	ordOf   func(*T) uint64 // nil for snapshots whose entries are all live
}

type olEntry[T any] struct {
	ord uint64
	v   *T
}

// push appends v, whose ordOf must already be ord (ords only increase).
func (l *olist[T]) push(v *T, ord uint64) {
	l.entries = append(l.entries, olEntry[T]{ord: ord, v: v})
}

// removed records that one entry went stale.
func (l *olist[T]) removed() {
	l.dead++
	if l.dead > 1024 && l.dead > len(l.entries)/4 {
		l.compact()
	}
}

func (l *olist[T]) compact() {
	out := l.entries[:0]
	for _, e := range l.entries {
		if l.ordOf(e.v) == e.ord {
			out = append(out, e)
		}
	}
	clear(l.entries[len(out):])
	l.entries = out
	l.dead = 0
}

// live reports the number of listed objects.
func (l *olist[T]) live() int { return len(l.entries) - l.dead }

// scan calls fn for each listed object with ord > after, in order, until fn
// returns false.
func (l *olist[T]) scan(after uint64, fn func(ord uint64, v *T) bool) {
	i := sort.Search(len(l.entries), func(i int) bool { return l.entries[i].ord > after })
	for ; i < len(l.entries); i++ {
		e := l.entries[i]
		if l.ordOf != nil && l.ordOf(e.v) != e.ord {
			continue
		}
		if !fn(e.ord, e.v) {
			return
		}
	}
}
