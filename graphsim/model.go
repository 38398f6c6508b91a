package graphsim

import "time"

// User is a directory user as the simulator stores it. Test helpers return
// copies; the server renders it as Graph's microsoft.graph.user.
type User struct {
	ID                              string
	DisplayName                     string
	GivenName                       string
	Surname                         string
	Mail                            string
	MailNickname                    string
	UserPrincipalName               string
	UserType                        string // Member or Guest
	AccountEnabled                  bool
	Department                      string
	JobTitle                        string
	CompanyName                     string
	EmployeeID                      string
	EmployeeType                    string
	OfficeLocation                  string
	StreetAddress                   string
	City                            string
	State                           string
	PostalCode                      string
	Country                         string
	UsageLocation                   string
	MobilePhone                     string
	FaxNumber                       string
	BusinessPhones                  []string
	OtherMails                      []string
	ProxyAddresses                  []string
	ShowInAddressList               *bool
	ExternalUserState               string
	ExternalUserStateChangeDateTime *time.Time
	CreationType                    string
	CreatedDateTime                 time.Time
	DeletedDateTime                 *time.Time
	OnPremisesImmutableID           string
	PreferredLanguage               string
	Identities                      []ObjectIdentity
	PasswordProfile                 PasswordProfile
	ManagerID                       string

	// Null unless set: Graph leaves them empty on most cloud users.
	AgeGroup                string // Minor, NotAdult, Adult
	ConsentProvidedForMinor string // Granted, Denied, NotRequired
	EmployeeHireDate        *time.Time
	EmployeeLeaveDateTime   *time.Time
	EmployeeOrgData         *EmployeeOrgData
	// Rendered as an object of 15 nulls when nil, as Graph does.
	OnPremisesExtensionAttributes *ExtensionAttributes
	// Set by directory synchronization only (read-only in Graph): users
	// synced from an on-premises Active Directory.
	OnPremisesSyncEnabled        *bool
	OnPremisesDistinguishedName  string
	OnPremisesDomainName         string
	OnPremisesSamAccountName     string
	OnPremisesSecurityIdentifier string
	OnPremisesUserPrincipalName  string

	ord uint64 // position in the tenant's listing order; 0 when not listed
}

// ObjectIdentity is one sign-in identity of a user.
type ObjectIdentity struct {
	SignInType       string `json:"signInType"`
	Issuer           string `json:"issuer"`
	IssuerAssignedID string `json:"issuerAssignedId"`
}

// EmployeeOrgData is Graph's employeeOrgData complex type.
type EmployeeOrgData struct {
	Division   string
	CostCenter string
}

// ExtensionAttributes are onPremisesExtensionAttributes
// extensionAttribute1..15 (index 0 is extensionAttribute1); "" is null.
type ExtensionAttributes [15]string

// PasswordProfile is write-only in Graph; reads render it as null.
type PasswordProfile struct {
	Password                             string `json:"password"`
	ForceChangePasswordNextSignIn        bool   `json:"forceChangePasswordNextSignIn"`
	ForceChangePasswordNextSignInWithMfa bool   `json:"forceChangePasswordNextSignInWithMfa"`
}

// Group is a directory group. Members holds member object ids (users or
// groups) in the order they were added.
type Group struct {
	ID              string
	DisplayName     string
	Description     string
	MailNickname    string
	Mail            string
	MailEnabled     bool
	SecurityEnabled bool
	GroupTypes      []string
	Visibility      string
	Classification  string
	// Dynamic groups only; Graph computes their members from the rule.
	MembershipRule                string
	MembershipRuleProcessingState string
	ProxyAddresses                []string
	CreatedDateTime               time.Time
	DeletedDateTime               *time.Time
	// Settable only when the group is created, and only on a security
	// group with assigned membership; null when not set.
	IsAssignableToRole *bool
	Members            []string

	ord       uint64
	memberSet map[string]struct{}
}

// Graph's entity type names, used in @odata.type and error messages.
const (
	typeUser  = "microsoft.graph.user"
	typeGroup = "microsoft.graph.group"
)

// userSchema lists user properties; byDefault marks Graph v1.0's default
// set returned without $select.
var userSchema = newSchema(typeUser, []prop[User]{
	{name: "businessPhones", ptr: func(u *User) any { return &u.BusinessPhones }, byDefault: true},
	{name: "displayName", ptr: func(u *User) any { return &u.DisplayName }, byDefault: true},
	{name: "givenName", ptr: func(u *User) any { return &u.GivenName }, byDefault: true},
	{name: "jobTitle", ptr: func(u *User) any { return &u.JobTitle }, byDefault: true},
	{name: "mail", ptr: func(u *User) any { return &u.Mail }, byDefault: true},
	{name: "mobilePhone", ptr: func(u *User) any { return &u.MobilePhone }, byDefault: true},
	{name: "officeLocation", ptr: func(u *User) any { return &u.OfficeLocation }, byDefault: true},
	{name: "preferredLanguage", ptr: func(u *User) any { return &u.PreferredLanguage }, byDefault: true},
	{name: "surname", ptr: func(u *User) any { return &u.Surname }, byDefault: true},
	{name: "userPrincipalName", ptr: func(u *User) any { return &u.UserPrincipalName }, byDefault: true},
	{name: "id", ptr: func(u *User) any { return &u.ID }, byDefault: true, readOnly: true},
	{name: "accountEnabled", ptr: func(u *User) any { return &u.AccountEnabled }},
	{name: "mailNickname", ptr: func(u *User) any { return &u.MailNickname }},
	{name: "userType", ptr: func(u *User) any { return &u.UserType }},
	{name: "department", ptr: func(u *User) any { return &u.Department }},
	{name: "companyName", ptr: func(u *User) any { return &u.CompanyName }},
	{name: "employeeId", ptr: func(u *User) any { return &u.EmployeeID }},
	{name: "employeeType", ptr: func(u *User) any { return &u.EmployeeType }},
	{name: "streetAddress", ptr: func(u *User) any { return &u.StreetAddress }},
	{name: "city", ptr: func(u *User) any { return &u.City }},
	{name: "state", ptr: func(u *User) any { return &u.State }},
	{name: "postalCode", ptr: func(u *User) any { return &u.PostalCode }},
	{name: "country", ptr: func(u *User) any { return &u.Country }},
	{name: "usageLocation", ptr: func(u *User) any { return &u.UsageLocation }},
	{name: "faxNumber", ptr: func(u *User) any { return &u.FaxNumber }},
	{name: "otherMails", ptr: func(u *User) any { return &u.OtherMails }},
	{name: "proxyAddresses", ptr: func(u *User) any { return &u.ProxyAddresses }, readOnly: true},
	{name: "showInAddressList", ptr: func(u *User) any { return &u.ShowInAddressList }},
	{name: "externalUserState", ptr: func(u *User) any { return &u.ExternalUserState }, readOnly: true},
	{name: "externalUserStateChangeDateTime", ptr: func(u *User) any { return &u.ExternalUserStateChangeDateTime }, readOnly: true},
	{name: "creationType", ptr: func(u *User) any { return &u.CreationType }, readOnly: true},
	{name: "createdDateTime", ptr: func(u *User) any { return &u.CreatedDateTime }, readOnly: true},
	{name: "deletedDateTime", ptr: func(u *User) any { return &u.DeletedDateTime }, readOnly: true},
	{name: "onPremisesImmutableId", ptr: func(u *User) any { return &u.OnPremisesImmutableID }},
	{name: "identities", ptr: func(u *User) any { return &u.Identities }},
	{name: "passwordProfile", ptr: func(u *User) any { return &u.PasswordProfile }, writeOnly: true},
	{name: "ageGroup", ptr: func(u *User) any { return &u.AgeGroup }, enum: []string{"Minor", "NotAdult", "Adult"}},
	{name: "consentProvidedForMinor", ptr: func(u *User) any { return &u.ConsentProvidedForMinor }, enum: []string{"Granted", "Denied", "NotRequired"}},
	{name: "employeeHireDate", ptr: func(u *User) any { return &u.EmployeeHireDate }},
	{name: "employeeLeaveDateTime", ptr: func(u *User) any { return &u.EmployeeLeaveDateTime }},
	{name: "employeeOrgData", ptr: func(u *User) any { return &u.EmployeeOrgData }},
	{name: "onPremisesExtensionAttributes", ptr: func(u *User) any { return &u.OnPremisesExtensionAttributes }},
	{name: "onPremisesSyncEnabled", ptr: func(u *User) any { return &u.OnPremisesSyncEnabled }, readOnly: true},
	{name: "onPremisesDistinguishedName", ptr: func(u *User) any { return &u.OnPremisesDistinguishedName }, readOnly: true},
	{name: "onPremisesDomainName", ptr: func(u *User) any { return &u.OnPremisesDomainName }, readOnly: true},
	{name: "onPremisesSamAccountName", ptr: func(u *User) any { return &u.OnPremisesSamAccountName }, readOnly: true},
	{name: "onPremisesSecurityIdentifier", ptr: func(u *User) any { return &u.OnPremisesSecurityIdentifier }, readOnly: true},
	{name: "onPremisesUserPrincipalName", ptr: func(u *User) any { return &u.OnPremisesUserPrincipalName }, readOnly: true},
})

// groupSchema lists group properties; Graph returns them all by default.
var groupSchema = newSchema(typeGroup, []prop[Group]{
	{name: "id", ptr: func(g *Group) any { return &g.ID }, byDefault: true, readOnly: true},
	{name: "deletedDateTime", ptr: func(g *Group) any { return &g.DeletedDateTime }, byDefault: true, readOnly: true},
	{name: "classification", ptr: func(g *Group) any { return &g.Classification }, byDefault: true},
	{name: "createdDateTime", ptr: func(g *Group) any { return &g.CreatedDateTime }, byDefault: true, readOnly: true},
	{name: "description", ptr: func(g *Group) any { return &g.Description }, byDefault: true},
	{name: "displayName", ptr: func(g *Group) any { return &g.DisplayName }, byDefault: true},
	{name: "groupTypes", ptr: func(g *Group) any { return &g.GroupTypes }, byDefault: true},
	{name: "mail", ptr: func(g *Group) any { return &g.Mail }, byDefault: true, readOnly: true},
	{name: "mailEnabled", ptr: func(g *Group) any { return &g.MailEnabled }, byDefault: true},
	{name: "mailNickname", ptr: func(g *Group) any { return &g.MailNickname }, byDefault: true},
	{name: "securityEnabled", ptr: func(g *Group) any { return &g.SecurityEnabled }, byDefault: true},
	{name: "visibility", ptr: func(g *Group) any { return &g.Visibility }, byDefault: true},
	{name: "membershipRule", ptr: func(g *Group) any { return &g.MembershipRule }, byDefault: true},
	{name: "membershipRuleProcessingState", ptr: func(g *Group) any { return &g.MembershipRuleProcessingState }, byDefault: true},
	{name: "proxyAddresses", ptr: func(g *Group) any { return &g.ProxyAddresses }, byDefault: true, readOnly: true},
	{name: "isAssignableToRole", ptr: func(g *Group) any { return &g.IsAssignableToRole }, byDefault: true, createOnly: true},
})

// clone returns a deep copy safe to hand to callers.
func (u *User) clone() User {
	c := *u
	c.BusinessPhones = append([]string(nil), u.BusinessPhones...)
	c.OtherMails = append([]string(nil), u.OtherMails...)
	c.ProxyAddresses = append([]string(nil), u.ProxyAddresses...)
	c.Identities = append([]ObjectIdentity(nil), u.Identities...)
	c.PasswordProfile = PasswordProfile{}
	c.EmployeeHireDate = clonePtr(u.EmployeeHireDate)
	c.EmployeeLeaveDateTime = clonePtr(u.EmployeeLeaveDateTime)
	c.EmployeeOrgData = clonePtr(u.EmployeeOrgData)
	c.OnPremisesExtensionAttributes = clonePtr(u.OnPremisesExtensionAttributes)
	c.OnPremisesSyncEnabled = clonePtr(u.OnPremisesSyncEnabled)
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func (g *Group) clone() Group {
	c := *g
	c.GroupTypes = append([]string(nil), g.GroupTypes...)
	c.ProxyAddresses = append([]string(nil), g.ProxyAddresses...)
	c.Members = append([]string(nil), g.Members...)
	c.IsAssignableToRole = clonePtr(g.IsAssignableToRole)
	c.memberSet = nil
	return c
}
