package seed

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Shares of members with each property, as a mid-size enterprise tenant
// with Microsoft Entra Connect and an HR-driven lifecycle looks.
const (
	shareHybrid     = 0.35 // synced from on-premises AD
	shareHireDate   = 0.90
	shareOrgData    = 0.75
	shareExtAttrs   = 0.40 // cloud-only members with Exchange custom attributes
	shareAgeGroup   = 0.05
	shareLeaveDate  = 0.10 // of contractors: contract end dates
	shareRoleGroups = 0.05 // of assigned security groups
)

// divisions group departments the way employeeOrgData.division does.
var divisions = map[string]string{
	"Engineering": "Technology", "IT": "Technology", "Research": "Technology",
	"Sales": "Commercial", "Marketing": "Commercial", "Customer Support": "Commercial",
	"Finance": "Corporate", "Human Resources": "Corporate", "Legal": "Corporate",
	"Operations": "Operations", "Executive": "Corporate",
}

// costCenters are the employeeOrgData.costCenter values: ten per
// department, made once so 300,000 users share them.
var costCenters = func() []string {
	out := make([]string, 0, 10*(len(departments)+1))
	for i := range cap(out) {
		out = append(out, "CC-"+strconv.Itoa(1000+i))
	}
	return out
}()

// cnEscaper escapes the DN-special characters a display name may hold.
var cnEscaper = strings.NewReplacer(",", `\,`, "+", `\+`)

// userExtras fills the lifecycle, organisation and on-premises properties
// of the members. Values are cut from slabs (times, extension attribute
// sets) and one string per hybrid user, as member does: a 300,000-user
// tenant must seed in about a second.
func userExtras(s Spec, t *Tenant, ug *userGen) {
	r := newRand(s.Seed, streamUserExtras)
	// One domain SID per tenant; users get relative ids from 1100 up.
	sid := "S-1-5-21-" + strconv.FormatUint(uint64(r.Uint32()), 10) + "-" +
		strconv.FormatUint(uint64(r.Uint32()), 10) + "-" + strconv.FormatUint(uint64(r.Uint32()), 10) + "-"
	adDomain := "corp." + s.Domain
	dc := ",OU=Users,DC=" + strings.ReplaceAll(adDomain, ".", ",DC=")
	m := ug.members
	times := make([]time.Time, 0, m+m/8)
	exts := make([][15]string, 0, int(float64(m)*(shareHybrid+shareExtAttrs*(1-shareHybrid))*1.1)+8)
	newTime := func(v time.Time) *time.Time {
		times = append(times, v)
		return &times[len(times)-1]
	}
	newExt := func() *[15]string {
		exts = append(exts, [15]string{})
		return &exts[len(exts)-1]
	}
	on := true
	var buf []byte
	for i := 0; i < m; i++ {
		u := &t.Users[i]
		if chance(r, shareHireDate) {
			// Hired at midnight UTC in the month before the account existed.
			u.EmployeeHireDate = newTime(u.CreatedDateTime.Add(-time.Duration(r.IntN(30)) * 24 * time.Hour).Truncate(24 * time.Hour))
		}
		leaver := !u.AccountEnabled
		if leaver || (u.EmployeeType == "Contractor" && chance(r, shareLeaveDate)) {
			// Leavers left before the epoch; contractors end after it.
			d := s.Epoch.Add(time.Duration(between(r, 1, 180)) * 24 * time.Hour)
			if leaver {
				d = s.Epoch.Add(-time.Duration(between(r, 1, 90)) * 24 * time.Hour)
			}
			u.EmployeeLeaveDateTime = newTime(d)
		}
		if chance(r, shareOrgData) {
			u.Division = divisions[u.Department]
			u.CostCenter = costCenters[10*(int(ug.dept[i])%(len(departments)+1))+r.IntN(10)]
		}
		if chance(r, shareAgeGroup) {
			u.AgeGroup, u.ConsentForMinor = "Adult", "NotRequired"
		}
		if i > 0 && chance(r, shareHybrid) {
			buf = hybrid(buf[:0], u, r.Uint64(), r.Uint64(), adDomain, dc, sid, 1100+i)
			u.OnPremisesSyncEnabled = &on
			ext := newExt()
			ext[0], ext[1], ext[9] = u.CostCenter, u.OfficeLocation, "AD"
			u.ExtensionAttributes = ext
			continue
		}
		if chance(r, shareExtAttrs) {
			ext := newExt()
			ext[0], ext[1] = u.CostCenter, u.OfficeLocation
			if chance(r, 0.3) {
				ext[14] = "NoSync"
			}
			u.ExtensionAttributes = ext
		}
	}
}

// hybrid fills the on-premises properties Entra Connect writes for a user
// synced from Active Directory: immutable id (the AD objectGUID in base64),
// DN, sAMAccountName, SID and on-premises UPN, cut from one string.
func hybrid(b []byte, u *User, hi, lo uint64, adDomain, dc, sid string, rid int) []byte {
	var guid [16]byte
	for j := range 8 {
		guid[j], guid[8+j] = byte(hi>>(8*j)), byte(lo>>(8*j))
	}
	b = base64.StdEncoding.AppendEncode(b, guid[:])
	idEnd := len(b)
	ou := u.Department
	if ou == "" {
		ou = "Staff"
	}
	b = append(b, "CN="...)
	if strings.ContainsAny(u.DisplayName, ",+") {
		b = append(b, cnEscaper.Replace(u.DisplayName)...)
	} else {
		b = append(b, u.DisplayName...)
	}
	b = append(b, ",OU="...)
	b = append(b, ou...)
	b = append(b, dc...)
	dnEnd := len(b)
	b = append(b, sid...)
	b = strconv.AppendInt(b, int64(rid), 10)
	sidEnd := len(b)
	local, _, _ := strings.Cut(u.UserPrincipalName, "@")
	b = append(b, local...)
	b = append(b, '@')
	b = append(b, adDomain...)
	str := string(b)

	u.OnPremisesImmutableID = str[:idEnd]
	u.OnPremisesDistinguishedName = str[idEnd:dnEnd]
	u.OnPremisesSecurityIdentifier = str[dnEnd:sidEnd]
	u.OnPremisesUserPrincipalName = str[sidEnd:]
	u.OnPremisesDomainName = adDomain
	u.OnPremisesSamAccountName = u.MailNickname
	if len(u.OnPremisesSamAccountName) > 20 { // sAMAccountName's limit
		u.OnPremisesSamAccountName = u.OnPremisesSamAccountName[:20]
	}
	return b
}

// groupExtras makes a few assigned security groups role-assignable, the
// way admin groups for Entra roles are.
func groupExtras(s Spec, t *Tenant) {
	r := newRand(s.Seed, streamGroupExtras)
	for i := range t.Groups {
		g := &t.Groups[i]
		if !g.SecurityEnabled || g.MailEnabled || g.IsDynamic() || g.IsUnified() {
			continue
		}
		if chance(r, shareRoleGroups) {
			yes := true
			g.IsAssignableToRole = &yes
		}
	}
}
