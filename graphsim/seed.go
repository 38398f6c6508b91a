package graphsim

import (
	"fmt"

	"github.com/xtsync/xtsync/graphsim/seed"
)

// seed fills the tenant from spec through graphsim/seed, which guarantees
// that the same spec yields the same directory. The generated structs are
// converted into the store's typed objects in two slabs, so 300,000 users
// cost two allocations plus their indexes.
func (t *Tenant) seed(spec TenantSpec) error {
	if spec.Users == 0 && spec.Groups == 0 {
		return nil
	}
	gen := seed.Generate(seed.Spec{TenantID: spec.ID, Domain: spec.Domain, Users: spec.Users, Groups: spec.Groups, Seed: spec.Seed})
	st := t.st
	st.reserve(len(gen.Users), len(gen.Groups))
	users := make([]User, len(gen.Users))
	idents := make([]ObjectIdentity, len(gen.Users))
	orgs := make([]EmployeeOrgData, 0, len(gen.Users)) // slab; pointers stay valid
	for i := range gen.Users {
		su := &gen.Users[i]
		u := &users[i]
		*u = User{
			ID: su.ID, DisplayName: su.DisplayName, GivenName: su.GivenName, Surname: su.Surname,
			Mail: su.Mail, MailNickname: su.MailNickname, UserPrincipalName: su.UserPrincipalName,
			UserType: su.UserType, AccountEnabled: su.AccountEnabled, Department: su.Department,
			JobTitle: su.JobTitle, CompanyName: su.CompanyName, EmployeeID: su.EmployeeID,
			EmployeeType: su.EmployeeType, OfficeLocation: su.OfficeLocation, City: su.City, State: su.State,
			Country: su.Country, UsageLocation: su.UsageLocation, MobilePhone: su.MobilePhone,
			BusinessPhones: su.BusinessPhones, OtherMails: su.OtherMails, ProxyAddresses: su.ProxyAddresses,
			ShowInAddressList: su.ShowInAddressList, ManagerID: su.ManagerID, PreferredLanguage: su.PreferredLanguage,
			CreatedDateTime: su.CreatedDateTime, ExternalUserState: su.ExternalUserState, CreationType: su.CreationType,
		}
		if u.ExternalUserState != "" {
			at := u.CreatedDateTime
			u.ExternalUserStateChangeDateTime = &at
		}
		u.EmployeeHireDate, u.EmployeeLeaveDateTime = su.EmployeeHireDate, su.EmployeeLeaveDateTime
		if su.Division != "" || su.CostCenter != "" {
			orgs = append(orgs, EmployeeOrgData{Division: su.Division, CostCenter: su.CostCenter})
			u.EmployeeOrgData = &orgs[len(orgs)-1]
		}
		u.AgeGroup, u.ConsentProvidedForMinor = su.AgeGroup, su.ConsentForMinor
		u.OnPremisesExtensionAttributes = (*ExtensionAttributes)(su.ExtensionAttributes)
		u.OnPremisesSyncEnabled, u.OnPremisesImmutableID = su.OnPremisesSyncEnabled, su.OnPremisesImmutableID
		u.OnPremisesDistinguishedName, u.OnPremisesDomainName = su.OnPremisesDistinguishedName, su.OnPremisesDomainName
		u.OnPremisesSamAccountName, u.OnPremisesSecurityIdentifier = su.OnPremisesSamAccountName, su.OnPremisesSecurityIdentifier
		u.OnPremisesUserPrincipalName = su.OnPremisesUserPrincipalName
		idents[i] = ObjectIdentity{SignInType: "userPrincipalName", Issuer: spec.Domain, IssuerAssignedID: u.UserPrincipalName}
		u.Identities = idents[i : i+1 : i+1]
		if st.byUPN[lower(u.UserPrincipalName)] != nil {
			return fmt.Errorf("seed: duplicate userPrincipalName %q", u.UserPrincipalName)
		}
		st.listUser(u)
	}
	groups := make([]Group, len(gen.Groups))
	for i := range gen.Groups {
		sg := &gen.Groups[i]
		g := &groups[i]
		*g = Group{
			ID: sg.ID, DisplayName: sg.DisplayName, Description: sg.Description, MailNickname: sg.MailNickname,
			Mail: sg.Mail, MailEnabled: sg.MailEnabled, SecurityEnabled: sg.SecurityEnabled, GroupTypes: sg.GroupTypes,
			Visibility: sg.Visibility, MembershipRule: sg.MembershipRule, MembershipRuleProcessingState: sg.MembershipRuleProcessingState,
			ProxyAddresses: sg.ProxyAddresses, CreatedDateTime: sg.CreatedDateTime, Members: sg.MemberIDs,
			IsAssignableToRole: sg.IsAssignableToRole,
		}
		if g.GroupTypes == nil {
			g.GroupTypes = []string{}
		}
		st.listGroup(g)
	}
	return nil
}
