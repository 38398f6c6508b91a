package seed

import "time"

// Tenant is a generated directory. Users come first in creation order:
// members (the manager tree is rooted at Users[0]), then guests.
type Tenant struct {
	TenantID      string
	Domain        string // verified domain used for UPNs and mail
	InitialDomain string // <name>.onmicrosoft.com
	CompanyName   string
	Users         []User
	Groups        []Group
}

// User holds the Graph v1.0 user properties the simulator serves. An empty
// string means the property is null in Graph; a nil slice is an empty
// collection ([] in Graph JSON). Strings of one user share one backing
// buffer, and slices are capacity-capped, so appending to them is safe.
type User struct {
	ID                string
	DisplayName       string
	GivenName         string
	Surname           string
	Mail              string
	MailNickname      string
	UserPrincipalName string
	UserType          string // "Member" or "Guest"
	AccountEnabled    bool
	Department        string
	JobTitle          string
	CompanyName       string
	EmployeeID        string
	EmployeeType      string // "Employee", "Contractor"
	OfficeLocation    string
	City              string
	State             string
	Country           string
	UsageLocation     string
	MobilePhone       string
	BusinessPhones    []string
	OtherMails        []string
	ProxyAddresses    []string
	ShowInAddressList *bool
	ManagerID         string
	PreferredLanguage string
	CreatedDateTime   time.Time
	// Guests only.
	ExternalUserState string // "Accepted", "PendingAcceptance"
	CreationType      string // "Invitation"

	// Lifecycle and organisation data (members only, most of them).
	EmployeeHireDate      *time.Time
	EmployeeLeaveDateTime *time.Time // disabled leavers and some contractors
	Division, CostCenter  string     // employeeOrgData; both empty: null
	AgeGroup              string     // rare in enterprise tenants: "Adult"
	ConsentForMinor       string     // consentProvidedForMinor: "NotRequired" with AgeGroup
	ExtensionAttributes   *[15]string

	// Hybrid members synced from an on-premises Active Directory; empty
	// (and OnPremisesSyncEnabled nil) for cloud-only users.
	OnPremisesSyncEnabled        *bool
	OnPremisesImmutableID        string
	OnPremisesDistinguishedName  string
	OnPremisesDomainName         string
	OnPremisesSamAccountName     string
	OnPremisesSecurityIdentifier string
	OnPremisesUserPrincipalName  string
}

// Group kinds as Graph expresses them in groupTypes, mailEnabled and
// securityEnabled. Cross-tenant sync provisions only security groups that are
// not mail-enabled and have assigned membership.
type Group struct {
	ID                            string
	DisplayName                   string
	Description                   string
	MailNickname                  string
	Mail                          string
	MailEnabled                   bool
	SecurityEnabled               bool
	GroupTypes                    []string // nil, ["Unified"], ["DynamicMembership"], ["Unified","DynamicMembership"]
	Visibility                    string   // "Public"/"Private" for Microsoft 365 groups, else ""
	MembershipRule                string   // dynamic groups only
	MembershipRuleProcessingState string   // "On" for dynamic groups
	MemberIDs                     []string // user ids, and for a few security groups nested group ids
	OwnerIDs                      []string
	ProxyAddresses                []string
	CreatedDateTime               time.Time
	IsAssignableToRole            *bool // a few assigned security groups (admin roles)
}

// IsUnified reports a Microsoft 365 group.
func (g *Group) IsUnified() bool { return hasType(g.GroupTypes, "Unified") }

// IsDynamic reports a group whose membership is computed from a rule.
func (g *Group) IsDynamic() bool { return hasType(g.GroupTypes, "DynamicMembership") }

func hasType(types []string, t string) bool {
	for _, s := range types {
		if s == t {
			return true
		}
	}
	return false
}
