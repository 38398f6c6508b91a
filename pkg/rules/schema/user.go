package schema

// Attribute names with behaviour attached to them.
const (
	// AltSecIDs is the B2B identity of a synced user and the fixed matching
	// attribute of cross-tenant sync.
	AltSecIDs = "alternativeSecurityIds"
	// IsSoftDeleted is a virtual attribute: true means "deprovision".
	IsSoftDeleted = "IsSoftDeleted"
	// AccountEnabled blocks sign-in when false (an update, not a deletion).
	AccountEnabled = "accountEnabled"
	// UserPrincipalName is unique in the target tenant.
	UserPrincipalName = "userPrincipalName"
	// UserTypeAttr is Member or Guest.
	UserTypeAttr = "userType"
	// Manager is a reference to another synced user.
	Manager = "manager"
	// Members is a group's member references.
	Members = "members"
)

func w(name string, t Type) Attribute {
	return Attribute{Name: name, Type: t, Graph: name, Writable: true}
}

func ro(name string, t Type) Attribute {
	return Attribute{Name: name, Type: t, Graph: name}
}

func multi(a Attribute) Attribute { a.Multi = true; return a }

func graph(a Attribute, graphName, note string) Attribute {
	a.Graph, a.Note = graphName, note
	return a
}

func required(a Attribute) Attribute { a.RequiredOnCreate = true; return a }

// userWritable are the Graph v1.0 user properties a cross-tenant mapping may
// write to a B2B user, with Entra's legacy names where its schema has them.
var userWritable = []Attribute{
	{Name: AltSecIDs, Type: Binary, Multi: true, Writable: true, RequiredOnCreate: true,
		Note: "B2B identity (source tenant + source object); fixed matching attribute"},
	{Name: IsSoftDeleted, Type: Boolean, Writable: true,
		Note: "virtual: true deprovisions the user (soft delete or disable)"},
	w(AccountEnabled, Boolean),
	w("ageGroup", String),
	graph(multi(w("businessPhones", String)), "businessPhones", ""),
	w("city", String),
	w("companyName", String),
	w("consentProvidedForMinor", String),
	w("country", String),
	w("department", String),
	required(w("displayName", String)),
	w("employeeHireDate", DateTime),
	w("employeeId", String),
	w("employeeLeaveDateTime", DateTime),
	w("employeeType", String),
	graph(w("employeeOrgData.costCenter", String), "employeeOrgData/costCenter", ""),
	graph(w("employeeOrgData.division", String), "employeeOrgData/division", ""),
	graph(w("facsimileTelephoneNumber", String), "faxNumber", "Azure AD Graph name of faxNumber"),
	w("faxNumber", String),
	w("givenName", String),
	w("jobTitle", String),
	w("mail", String),
	w("mailNickname", String),
	{Name: Manager, Type: Reference, Graph: "manager", Writable: true,
		Note: "reference: set through PUT manager/$ref once the manager is provisioned"},
	graph(w("mobile", String), "mobilePhone", "Azure AD Graph name of mobilePhone"),
	w("mobilePhone", String),
	w("officeLocation", String),
	multi(w("otherMails", String)),
	graph(w("physicalDeliveryOfficeName", String), "officeLocation",
		"Azure AD Graph name of officeLocation"),
	w("postalCode", String),
	w("preferredLanguage", String),
	w("showInAddressList", Boolean),
	w("state", String),
	w("streetAddress", String),
	w("surname", String),
	graph(w("telephoneNumber", String), "businessPhones",
		"Azure AD Graph name; Graph v1.0 keeps it as the single entry of businessPhones"),
	w("usageLocation", String),
	{Name: UserPrincipalName, Type: String, Graph: UserPrincipalName, Writable: true,
		Note: "the writer keeps the B2B #EXT# form; only the prefix follows the source"},
	w(UserTypeAttr, String),
}

// extensionAttrs are onPremisesExtensionAttributes 1..15, writable on
// cloud-only users through Graph v1.0.
func extensionAttrs() []Attribute {
	out := make([]Attribute, 0, 15)
	for i := 1; i <= 15; i++ {
		n := "extensionAttribute" + itoa(i)
		out = append(out, graph(w(n, String), "onPremisesExtensionAttributes/"+n, ""))
	}
	return out
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return "1" + string(rune('0'+i-10))
}

// TargetUser is the schema of a B2B user in the target tenant.
var TargetUser = newObject(UserType, append(append([]Attribute(nil), userWritable...), extensionAttrs()...)...)

// sourceUserOnly are read-only source attributes useful in scoping filters
// and expressions.
var sourceUserOnly = []Attribute{
	{Name: "objectId", Type: String, Graph: "id", Note: "the source object id"},
	ro("id", String),
	{Name: "netId", Type: String, Note: "Entra's internal PUID; readers fill it with the object id (Graph does not expose netId)"},
	ro("creationType", String),
	ro("externalUserState", String),
	multi(ro("proxyAddresses", String)),
	ro("onPremisesDistinguishedName", String),
	ro("onPremisesDomainName", String),
	ro("onPremisesImmutableId", String),
	ro("onPremisesSamAccountName", String),
	ro("onPremisesSecurityIdentifier", String),
	ro("onPremisesSyncEnabled", Boolean),
	ro("onPremisesUserPrincipalName", String),
	ro("createdDateTime", DateTime),
}

// SourceUser is the schema of a user read from the source tenant: everything
// the target has (minus the synthetic identity) plus read-only attributes.
var SourceUser = newObject(UserType, sourceUserAttrs()...)

func sourceUserAttrs() []Attribute {
	out := make([]Attribute, 0, len(userWritable)+15+len(sourceUserOnly))
	for _, a := range userWritable {
		if a.Name == AltSecIDs {
			continue
		}
		out = append(out, a)
	}
	out = append(out, extensionAttrs()...)
	return append(out, sourceUserOnly...)
}
