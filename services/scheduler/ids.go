package scheduler

import (
	"crypto/rand"
	"encoding/binary"
	"regexp"
	"time"
)

// crockford is ULID's base32 alphabet (no I, L, O, U), lower-cased so ids
// are URL- and subject-safe as they are.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// newID returns a ULID-like id: 48 bits of milliseconds then 80 random
// bits, 26 characters, sorting by creation time. Cycle ids sort, so "the
// last cycle" is the greatest.
func newID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	// 128 bits → 26 base32 digits, the first holding 3 bits.
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	digits := make([]byte, 26)
	for i := 25; i >= 0; i-- {
		digits[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(digits)
}

// idPattern is what a configuration or cycle id may look like: it becomes
// a Redis hash tag and a NATS subject token.
var idPattern = regexp.MustCompile(`^[0-9a-z][0-9a-z_-]{0,63}$`)

func validID(id string) bool { return idPattern.MatchString(id) }
