package seed

import (
	"math/rand/v2"
	"strconv"
	"time"
)

const (
	tenYears   = 10 * 365 * 24 * time.Hour
	threeYears = 3 * 365 * 24 * time.Hour
	noDept     = 255
)

// userGen builds Tenant.Users and remembers per-user facts groups need.
type userGen struct {
	s       Spec
	r       *rand.Rand
	t       *Tenant
	nicks   []uint32 // per (given alias, surname alias): times used
	ids     []string // Users[i].ID, compact so random lookups stay in cache
	buf     []byte
	strs    []string // backing array for small per-user slices
	members int      // Users[:members] are members, the rest guests
	dept    []uint8  // department index per user, noDept for none
	country []uint8  // culture index per user
	givenIx []uint8
	surIx   []uint8
}

func generateUsers(s Spec, t *Tenant) *userGen {
	n := s.Users
	guests := int(float64(n)*s.GuestFraction + 0.5)
	if guests >= n {
		guests = n - 1 // the manager tree needs a root member
	}
	if guests < 0 {
		guests = 0
	}
	g := &userGen{
		s: s, r: newRand(s.Seed, streamUsers), t: t,
		nicks:   make([]uint32, numGivenKeys*numSurKeys),
		ids:     make([]string, n),
		buf:     make([]byte, 0, 512),
		strs:    make([]string, 0, 3*n+16),
		members: n - guests,
		dept:    make([]uint8, n),
		country: make([]uint8, n),
		givenIx: make([]uint8, n),
		surIx:   make([]uint8, n),
	}
	t.Users = make([]User, n)
	parents, reports := g.managerTree()
	for i := 0; i < g.members; i++ {
		g.member(i, parents, reports)
	}
	for i := g.members; i < n; i++ {
		g.guest(i)
	}
	return g
}

// managerTree gives every member but Users[0] a manager with a lower index,
// so the tree is acyclic by construction. Spans of roughly 4 to 9 direct
// reports make it about log7(n) levels deep, like a real org chart.
func (g *userGen) managerTree() (parents []int32, reports []int32) {
	parents = make([]int32, g.members)
	reports = make([]int32, g.members)
	if g.members > 0 {
		parents[0] = -1
	}
	for i := 1; i < g.members; i++ {
		p := between(g.r, (i-1)/9, (i-1)/4)
		parents[i] = int32(p)
		reports[p]++
	}
	return parents, reports
}

// person picks a culture and a name, sometimes reusing an earlier user's
// name: real tenants have several "Maria Garcia"s.
func (g *userGen) person(i int) (c, gi, si int) {
	if i > 0 && chance(g.r, g.s.DuplicateNameFraction) {
		j := g.r.IntN(i)
		c, gi, si = int(g.country[j]), int(g.givenIx[j]), int(g.surIx[j])
	} else {
		w := g.r.IntN(totalWeight)
		for cultureCum[c] <= w {
			c++
		}
		pc := &prepared[c]
		gi, si = g.r.IntN(len(pc.given)), g.r.IntN(len(pc.surnames))
	}
	g.country[i], g.givenIx[i], g.surIx[i] = uint8(c), uint8(gi), uint8(si)
	return c, gi, si
}

// nick returns how many users before this one had the same alias pair.
func (g *userGen) nick(pc *preparedCulture, gi, si int) uint32 {
	k := int(pc.givenKey[gi])*numSurKeys + int(pc.surKey[si])
	g.nicks[k]++
	return g.nicks[k]
}

// slice carves a capacity-capped slice from the shared backing array so a
// later append by the server reallocates instead of clobbering a neighbour.
func (g *userGen) slice(vals ...string) []string {
	start := len(g.strs)
	g.strs = append(g.strs, vals...)
	return g.strs[start:len(g.strs):len(g.strs)]
}

func (g *userGen) appendAlias(b []byte, pc *preparedCulture, gi, si int, n uint32, capital bool) []byte {
	if capital {
		b = append(b, pc.givenCap[gi]...)
		b = append(b, '.')
		b = append(b, pc.surCap[si]...)
	} else {
		b = append(b, pc.givenAlias[gi]...)
		b = append(b, '.')
		b = append(b, pc.surAlias[si]...)
	}
	if n > 1 {
		b = strconv.AppendUint(b, uint64(n), 10)
	}
	return b
}

func appendName(b []byte, pc *preparedCulture, gi, si int) []byte {
	if pc.familyFirst {
		b = append(b, pc.surnames[si]...)
		b = append(b, ' ')
		return append(b, pc.given[gi]...)
	}
	b = append(b, pc.given[gi]...)
	b = append(b, ' ')
	return append(b, pc.surnames[si]...)
}
