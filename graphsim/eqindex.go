package graphsim

import (
	"slices"
	"strings"
	"sync"

	"github.com/xtsync/xtsync/graphsim/odata"
)

// eqIndex finds the users whose indexed string property equals a value
// (case-insensitively): the writers' lookups before each create (`mail eq`,
// `otherMails/any(x:x eq ...)`) would otherwise scan the whole tenant, which
// at 300,000 users makes the simulator, not the product, the bottleneck.
// Real Graph serves these from indexes too.
//
// Candidates are always checked with the full filter, so the index only has
// to be complete: every live user whose property holds the value is listed
// under it. It is built on the first indexed query (seeding a tenant that
// is never queried so costs nothing) and then kept by indexUser and
// unindexUser, which run around every change of a live user under the
// tenant's write lock. Queries run under the read lock, so building and
// reading take mu.
type eqIndex struct {
	mu    sync.Mutex
	built bool
	m     map[string][]*User
}

func eqKey(prop, value string) string { return prop + "\x00" + strings.ToLower(value) }

// indexed reports whether queries on prop are served by the index.
func eqIndexed(prop string) bool {
	return prop == "userPrincipalName" || prop == "mail" || prop == "otherMails"
}

func (x *eqIndex) each(u *User, fn func(key string)) {
	if u.UserPrincipalName != "" {
		fn(eqKey("userPrincipalName", u.UserPrincipalName))
	}
	if u.Mail != "" {
		fn(eqKey("mail", u.Mail))
	}
	for _, m := range u.OtherMails {
		if m != "" {
			fn(eqKey("otherMails", m))
		}
	}
}

// add and remove keep a built index; the caller holds the write lock.
func (x *eqIndex) add(u *User) {
	if !x.built {
		return
	}
	x.each(u, func(k string) { x.m[k] = append(x.m[k], u) })
}

func (x *eqIndex) remove(u *User) {
	if !x.built {
		return
	}
	x.each(u, func(k string) {
		l := slices.DeleteFunc(x.m[k], func(o *User) bool { return o == u })
		if len(l) == 0 {
			delete(x.m, k)
		} else {
			x.m[k] = l
		}
	})
}

// candidates returns the live users that can match f, in listing order,
// or ok false when f is not an indexed equality (then scan). users are
// the live users, to build the index from on first use.
func (x *eqIndex) candidates(f *odata.Filter, users map[string]*User) (_ []*User, ok bool) {
	prop, value, ok := f.EqualityKey()
	if !ok || !eqIndexed(prop) || strings.ToLower(value) != strings.ToLower(strings.ToUpper(value)) {
		// Values whose case folding does not round-trip are left to the scan.
		return nil, false
	}
	x.mu.Lock()
	if !x.built {
		x.m = make(map[string][]*User, 3*len(users))
		x.built = true
		for _, u := range users {
			x.add(u)
		}
	}
	out := slices.Clone(x.m[eqKey(prop, value)])
	x.mu.Unlock()
	out = slices.DeleteFunc(out, func(u *User) bool { return u.ord == 0 })
	slices.SortFunc(out, func(a, b *User) int { return cmpOrd(a.ord, b.ord) })
	return slices.CompactFunc(out, func(a, b *User) bool { return a == b }), true
}

func cmpOrd(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
