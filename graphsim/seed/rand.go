package seed

import (
	"math/rand/v2"
	"time"
)

// Independent PCG streams per purpose: changing the group count never
// changes the users, and adding a user field drawn from its own stream never
// shifts the others.
const (
	streamTenant uint64 = 0x7e4a47 + iota
	streamUsers
	streamGroups
	streamUserExtras
	streamGroupExtras
)

func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream))
}

const hexDigits = "0123456789abcdef"

// appendGUID appends a random RFC 4122 version-4-shaped GUID in Graph's
// lower-case 8-4-4-4-12 form.
func appendGUID(b []byte, r *rand.Rand) []byte {
	hi, lo := r.Uint64(), r.Uint64()
	hi = hi&^0xF000 | 0x4000       // version 4
	lo = lo&^(0xC0<<56) | 0x80<<56 // RFC 4122 variant
	var raw [16]byte
	for i := 0; i < 8; i++ {
		raw[i] = byte(hi >> (56 - 8*i))
		raw[8+i] = byte(lo >> (56 - 8*i))
	}
	for i, c := range raw {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0xF])
	}
	return b
}

func newGUID(r *rand.Rand) string { return string(appendGUID(make([]byte, 0, 36), r)) }

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return p > 0 && r.Float64() < p }

// between returns an int in [lo, hi].
func between(r *rand.Rand, lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.IntN(hi-lo+1)
}

// createdAt spreads creation over the window before epoch, to the second.
func createdAt(r *rand.Rand, epoch time.Time, window time.Duration) time.Time {
	return epoch.Add(-time.Duration(r.Int64N(int64(window/time.Second))) * time.Second)
}

// pick returns a uniformly chosen element.
func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// appendDigits appends n random decimal digits.
func appendDigits(b []byte, r *rand.Rand, n int) []byte {
	for range n {
		b = append(b, byte('0'+r.IntN(10)))
	}
	return b
}
