package seed

import (
	"math/rand/v2"
	"strconv"
)

type groupKind uint8

const (
	kindSecurity       groupKind = iota // assigned security group: what cross-tenant sync provisions
	kindUnified                         // Microsoft 365 group
	kindDistribution                    // mail-enabled, not security: must be skipped
	kindMailSecurity                    // mail-enabled security: must be skipped
	kindDynamic                         // dynamic security group
	kindDynamicUnified                  // dynamic Microsoft 365 group
)

// kindWeights sum to 100.
var kindWeights = [...]int{70, 14, 6, 4, 4, 2}

type groupGen struct {
	s       Spec
	r       *rand.Rand
	t       *Tenant
	ug      *userGen
	byDept  [][]int32
	byRule  map[int][]int32 // department*256+culture → users, for dynamic rules
	guests  []int32
	seen    []uint32 // per-user stamp: last group that picked the user
	nicks   map[string]bool
	nestOK  []int // indices of assigned security groups, nesting targets
	ruleCap int
}

func generateGroups(s Spec, t *Tenant, ug *userGen) {
	n := len(t.Users)
	g := &groupGen{
		s: s, r: newRand(s.Seed, streamGroups), t: t, ug: ug,
		byDept: make([][]int32, len(departments)),
		byRule: map[int][]int32{},
		seen:   make([]uint32, n),
		nicks:  make(map[string]bool, s.Groups),
	}
	for i := range n {
		if d := ug.dept[i]; d != noDept {
			g.byDept[d] = append(g.byDept[d], int32(i))
			k := int(d)<<8 | int(ug.country[i])
			g.byRule[k] = append(g.byRule[k], int32(i))
		}
		if i >= ug.members {
			g.guests = append(g.guests, int32(i))
		}
	}
	t.Groups = make([]Group, s.Groups)
	for i := range t.Groups {
		g.group(i)
	}
}

func (g *groupGen) kind() groupKind {
	w := g.r.IntN(100)
	for k, kw := range kindWeights {
		if w < kw {
			return groupKind(k)
		}
		w -= kw
	}
	return kindSecurity
}

func (g *groupGen) group(i int) {
	r, s := g.r, &g.s
	gr := &g.t.Groups[i]
	k := g.kind()
	d := r.IntN(len(departments))
	c := r.IntN(len(prepared))
	guestRule := (k == kindDynamic || k == kindDynamicUnified) && len(g.guests) > 0 && chance(r, 0.1)
	gr.ID = newGUID(r)
	gr.CreatedDateTime = createdAt(r, s.Epoch, tenYears)
	name, desc := g.name(k, d, c)
	if guestRule {
		name, desc = "All Guests", "Every B2B guest in the tenant"
	}
	gr.DisplayName = name
	if chance(r, 0.7) {
		gr.Description = desc
	}
	gr.MailNickname = g.uniqueNick(name)

	switch k {
	case kindSecurity:
		gr.SecurityEnabled = true
	case kindUnified:
		gr.MailEnabled, gr.GroupTypes = true, []string{"Unified"}
	case kindDistribution:
		gr.MailEnabled = true
	case kindMailSecurity:
		gr.MailEnabled, gr.SecurityEnabled = true, true
	case kindDynamic:
		gr.SecurityEnabled, gr.GroupTypes = true, []string{"DynamicMembership"}
	case kindDynamicUnified:
		gr.MailEnabled, gr.GroupTypes = true, []string{"Unified", "DynamicMembership"}
	}
	if gr.MailEnabled {
		gr.Mail = gr.MailNickname + "@" + s.Domain
		gr.ProxyAddresses = []string{"SMTP:" + gr.Mail}
	}
	if gr.IsUnified() {
		gr.Visibility = "Private"
		if chance(r, 0.4) {
			gr.Visibility = "Public"
		}
	}

	if gr.IsDynamic() {
		g.dynamicMembers(gr, d, c, guestRule)
	} else {
		gr.MemberIDs = g.assignedMembers(i, d, g.size())
		if k == kindSecurity {
			g.nest(gr)
			g.nestOK = append(g.nestOK, i)
		}
	}
	g.owners(gr, k)
}

// size draws a heavy-tailed membership size: most groups are small teams,
// a few are org-wide with thousands of members.
func (g *groupGen) size() int {
	var lo, hi int
	switch u := g.r.Float64(); {
	case u < 0.70:
		lo, hi = 1, 25
	case u < 0.93:
		lo, hi = 25, 250
	case u < 0.99:
		lo, hi = 250, 1500
	default:
		lo, hi = 1500, 5000
	}
	lo = min(max(lo, g.s.MembersPerGroupMin), g.s.MembersPerGroupMax)
	hi = max(min(hi, g.s.MembersPerGroupMax), lo)
	return min(between(g.r, lo, hi), len(g.t.Users))
}

// assignedMembers picks size distinct users, mostly from department d.
func (g *groupGen) assignedMembers(i, d, size int) []string {
	n := len(g.t.Users)
	if size <= 0 || n == 0 {
		return nil
	}
	stamp := uint32(i + 1)
	ids := make([]string, 0, size)
	pool := g.byDept[d]
	for tries := 0; len(ids) < size && tries < 20*size+100; tries++ {
		var u int
		if len(pool) > 0 && g.r.IntN(10) < 8 {
			u = int(pool[g.r.IntN(len(pool))])
		} else {
			u = g.r.IntN(n)
		}
		if g.seen[u] == stamp {
			continue
		}
		g.seen[u] = stamp
		ids = append(ids, g.ug.ids[u])
	}
	return ids[:len(ids):len(ids)]
}

// dynamicMembers writes a rule and the membership it evaluates to, so the
// simulator's groups agree with their own rules.
func (g *groupGen) dynamicMembers(gr *Group, d, c int, guestRule bool) {
	gr.MembershipRuleProcessingState = "On"
	if guestRule {
		gr.MembershipRule = `(user.userType -eq "Guest")`
		gr.MemberIDs = g.ids(g.guests)
		return
	}
	gr.MembershipRule = `(user.department -eq "` + departments[d].name + `") -and (user.country -eq "` + prepared[c].country + `")`
	gr.MemberIDs = g.ids(g.byRule[d<<8|c])
}

func (g *groupGen) ids(users []int32) []string {
	if len(users) == 0 {
		return nil
	}
	out := make([]string, len(users))
	for j, u := range users {
		out[j] = g.ug.ids[u]
	}
	return out
}

// nest adds one to three earlier assigned security groups as members.
// Edges only point to earlier groups, so nesting is acyclic.
func (g *groupGen) nest(gr *Group) {
	if len(g.nestOK) == 0 || !chance(g.r, g.s.NestedGroupFraction) {
		return
	}
	k := between(g.r, 1, min(3, len(g.nestOK)))
	start := len(gr.MemberIDs)
	for range k {
		id := g.t.Groups[pick(g.r, g.nestOK)].ID
		dup := false
		for _, m := range gr.MemberIDs[start:] {
			dup = dup || m == id
		}
		if !dup {
			gr.MemberIDs = append(gr.MemberIDs, id)
		}
	}
}

func (g *groupGen) owners(gr *Group, k groupKind) {
	if g.ug.members == 0 || (k == kindSecurity && chance(g.r, 0.5)) {
		return
	}
	owners := make([]string, 0, 2)
	for range between(g.r, 1, 2) {
		id := g.ug.ids[g.r.IntN(g.ug.members)]
		if len(owners) == 0 || owners[0] != id {
			owners = append(owners, id)
		}
	}
	gr.OwnerIDs = owners
}

// uniqueNick derives a mailNickname from the display name, numbering
// repeats so nicknames stay unique as Graph requires.
func (g *groupGen) uniqueNick(name string) string {
	base := asciiAlias(spacesToHyphens(name))
	if base == "" {
		base = "group"
	}
	nick := base
	for n := 2; g.nicks[nick]; n++ {
		nick = base + strconv.Itoa(n)
	}
	g.nicks[nick] = true
	return nick
}

// spacesToHyphens turns runs of spaces and hyphens into one hyphen:
// "App - Nimbus" → "App-Nimbus".
func spacesToHyphens(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '-' {
			if len(b) > 0 && b[len(b)-1] == '-' {
				continue
			}
			c = '-'
		}
		b = append(b, c)
	}
	return string(b)
}
