package graphsim

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// seedEpoch anchors generated createdDateTime values, so seeds are
// reproducible whatever the clock.
var seedEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// seed fills the tenant from spec. Until graphsim/seed lands this uses a
// small built-in generator with the same determinism contract: the same
// spec yields the same directory.
func (t *Tenant) seed(spec TenantSpec) error {
	users, groups := generate(spec)
	st := t.st
	for _, u := range users {
		if st.byUPN[lower(u.UserPrincipalName)] != nil {
			return fmt.Errorf("seed: duplicate userPrincipalName %q", u.UserPrincipalName)
		}
		st.listUser(u)
	}
	for _, g := range groups {
		st.listGroup(g)
	}
	return nil
}

var (
	firstNames  = []string{"Adele", "Alex", "Allan", "Ben", "Christie", "Debra", "Diego", "Emily", "Enrico", "Grady", "Henrietta", "Irvin", "Isaiah", "Johanna", "Joni", "Lee", "Lidia", "Lynne", "Megan", "Miriam", "Nestor", "Patti", "Pradeep", "Raul", "Sofia", "Wei", "Yuki", "Zainab"}
	lastNames   = []string{"Vance", "Wilber", "Deyoung", "Andrews", "Cline", "Berg", "Siciliani", "Braun", "Bellucci", "Archie", "Gonzales", "Sayers", "Hall", "Lauer", "Sherman", "Gu", "Holloway", "Robbins", "Bowen", "Graham", "Wilke", "Fernandez", "Gupta", "Chen", "Okafor", "Tanaka", "Novak", "Silva"}
	departments = []string{"Sales", "Marketing", "Engineering", "Finance", "Legal", "Operations", "Research", "Support", "Human Resources", "IT"}
	titles      = []string{"Analyst", "Engineer", "Manager", "Director", "Specialist", "Consultant", "Designer", "Administrator", "Coordinator", "Architect"}
	cities      = []struct{ city, country, usage, office string }{
		{"Seattle", "United States", "US", "18/2111"}, {"London", "United Kingdom", "GB", "LON-3"}, {"Paris", "France", "FR", "PAR-1"},
		{"Berlin", "Germany", "DE", "BER-2"}, {"Tokyo", "Japan", "JP", "TYO-5"}, {"Sydney", "Australia", "AU", "SYD-4"},
		{"Toronto", "Canada", "CA", "TOR-1"}, {"Bangalore", "India", "IN", "BLR-7"},
	}
)

// generate builds spec.Users users and spec.Groups security groups; every
// user joins one to three groups.
func generate(spec TenantSpec) ([]*User, []*Group) {
	r := rand.New(rand.NewPCG(uint64(spec.Seed), 0x9e3779b97f4a7c15))
	users := make([]*User, spec.Users)
	slab := make([]User, spec.Users) // one allocation for 300k users
	for i := range users {
		u := &slab[i]
		fn, ln := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		c := cities[r.IntN(len(cities))]
		nick := fmt.Sprintf("%s.%s%d", lower(fn), lower(ln), i+1)
		u.ID = deterministicGUID("user", spec.ID, strconv.Itoa(i))
		u.DisplayName = fn + " " + ln
		u.GivenName, u.Surname = fn, ln
		u.MailNickname = nick
		u.UserPrincipalName = nick + "@" + spec.Domain
		u.Mail = u.UserPrincipalName
		u.UserType = "Member"
		u.AccountEnabled = r.IntN(50) != 0
		u.Department = departments[r.IntN(len(departments))]
		u.JobTitle = titles[r.IntN(len(titles))]
		u.CompanyName = "Org " + spec.Domain
		u.EmployeeID = strconv.Itoa(100000 + i)
		u.OfficeLocation = c.office
		u.City, u.Country, u.UsageLocation = c.city, c.country, c.usage
		u.BusinessPhones = []string{fmt.Sprintf("+1 425 555 %04d", i%10000)}
		u.ProxyAddresses = []string{"SMTP:" + u.Mail}
		u.CreatedDateTime = seedEpoch.Add(time.Duration(i) * time.Minute)
		u.PreferredLanguage = "en-US"
		u.Identities = []ObjectIdentity{{SignInType: "userPrincipalName", Issuer: spec.Domain, IssuerAssignedID: u.UserPrincipalName}}
		if i > 0 && r.IntN(4) != 0 {
			u.ManagerID = users[r.IntN(i)].ID
		}
		users[i] = u
	}
	groups := make([]*Group, spec.Groups)
	for i := range groups {
		d := departments[i%len(departments)]
		nick := fmt.Sprintf("sg-%s-%d", lower(d[:3]), i+1)
		groups[i] = &Group{
			ID:          deterministicGUID("group", spec.ID, strconv.Itoa(i)),
			DisplayName: fmt.Sprintf("%s Team %d", d, i+1), Description: "Security group for " + d,
			MailNickname: nick, SecurityEnabled: true, GroupTypes: []string{},
			CreatedDateTime: seedEpoch.Add(time.Duration(i) * time.Hour),
		}
	}
	if len(groups) > 0 {
		for _, u := range users {
			for n := 1 + r.IntN(3); n > 0; n-- {
				g := groups[r.IntN(len(groups))]
				if g.memberSet == nil {
					g.memberSet = map[string]struct{}{}
				}
				if _, dup := g.memberSet[u.ID]; !dup {
					g.memberSet[u.ID] = struct{}{}
					g.Members = append(g.Members, u.ID)
				}
			}
		}
	}
	return users, groups
}
