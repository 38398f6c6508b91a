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

func userExtras(s Spec, t *Tenant, ug *userGen) {
	r := newRand(s.Seed, streamUserExtras)
	// One domain SID per tenant; users get relative ids from 1100 up.
	sid := "S-1-5-21-" + strconv.FormatUint(uint64(r.Uint32()), 10) + "-" +
		strconv.FormatUint(uint64(r.Uint32()), 10) + "-" + strconv.FormatUint(uint64(r.Uint32()), 10) + "-"
	adDomain := "corp." + s.Domain
	dc := "DC=" + strings.ReplaceAll(adDomain, ".", ",DC=")
	for i := 0; i < ug.members; i++ {
		u := &t.Users[i]
		if chance(r, shareHireDate) {
			// Hired at midnight UTC in the month before the account existed.
			h := u.CreatedDateTime.Add(-time.Duration(r.IntN(30)) * 24 * time.Hour).Truncate(24 * time.Hour)
			u.EmployeeHireDate = &h
		}
		leaver := !u.AccountEnabled
		if leaver || (u.EmployeeType == "Contractor" && chance(r, shareLeaveDate)) {
			// Leavers left before the epoch; contractors end after it.
			d := s.Epoch.Add(time.Duration(between(r, 1, 180)) * 24 * time.Hour)
			if leaver {
				d = s.Epoch.Add(-time.Duration(between(r, 1, 90)) * 24 * time.Hour)
			}
			u.EmployeeLeaveDateTime = &d
		}
		if chance(r, shareOrgData) {
			u.Division = divisions[u.Department]
			u.CostCenter = "CC-" + strconv.Itoa(1000+10*int(ug.dept[i]%noDept)+r.IntN(10))
		}
		if chance(r, shareAgeGroup) {
			u.AgeGroup, u.ConsentForMinor = "Adult", "NotRequired"
		}
		if i > 0 && chance(r, shareHybrid) {
			hybrid(u, r.Uint64(), r.Uint64(), adDomain, dc, sid+strconv.Itoa(1100+i))
			continue
		}
		if chance(r, shareExtAttrs) {
			var ext [15]string
			ext[0] = u.CostCenter
			ext[1] = u.OfficeLocation
			if chance(r, 0.3) {
				ext[14] = "NoSync"
			}
			u.ExtensionAttributes = &ext
		}
	}
}

// hybrid fills the on-premises properties Entra Connect writes for a user
// synced from Active Directory: immutable id (the AD objectGUID in base64),
// DN, sAMAccountName, SID, and the custom attributes from AD.
func hybrid(u *User, hi, lo uint64, adDomain, dc, sid string) {
	on := true
	u.OnPremisesSyncEnabled = &on
	var guid [16]byte
	for j := range 8 {
		guid[j], guid[8+j] = byte(hi>>(8*j)), byte(lo>>(8*j))
	}
	u.OnPremisesImmutableID = base64.StdEncoding.EncodeToString(guid[:])
	ou := u.Department
	if ou == "" {
		ou = "Staff"
	}
	cn := strings.NewReplacer(",", `\,`, "+", `\+`).Replace(u.DisplayName)
	u.OnPremisesDistinguishedName = "CN=" + cn + ",OU=" + ou + ",OU=Users," + dc
	u.OnPremisesDomainName = adDomain
	sam := u.MailNickname
	if len(sam) > 20 { // sAMAccountName's limit
		sam = sam[:20]
	}
	u.OnPremisesSamAccountName = sam
	u.OnPremisesSecurityIdentifier = sid
	local, _, _ := strings.Cut(u.UserPrincipalName, "@")
	u.OnPremisesUserPrincipalName = local + "@" + adDomain
	var ext [15]string
	ext[0], ext[1] = u.CostCenter, u.OfficeLocation
	ext[9] = "AD"
	u.ExtensionAttributes = &ext
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
