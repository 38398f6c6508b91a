package schema

// groupWritable are the Graph v1.0 group properties cross-tenant group sync
// writes. Targets are always static security groups, so groupTypes is not
// writable and isAssignableToRole is absent (role-assignable creation is not
// supported by cross-tenant sync).
var groupWritable = []Attribute{
	{Name: IsSoftDeleted, Type: Boolean, Writable: true,
		Note: "virtual: true deprovisions (soft deletes) the group"},
	required(w("displayName", String)),
	w("description", String),
	required(w("mailNickname", String)),
	required(w("securityEnabled", Boolean)),
	required(w("mailEnabled", Boolean)),
	w("visibility", String),
	{Name: Members, Type: Reference, Multi: true, Graph: "members", Writable: true,
		Note: "direct user members only; nested groups are not synced"},
}

// TargetGroup is the schema of a group created in the target tenant.
var TargetGroup = newObject(GroupType, groupWritable...)

// SourceGroup is the schema of a group read from the source tenant.
var SourceGroup = newObject(GroupType, append(append([]Attribute(nil), groupWritable...),
	Attribute{Name: "objectId", Type: String, Graph: "id", Note: "the source object id"},
	ro("id", String),
	ro("mail", String),
	multi(ro("groupTypes", String)),
	ro("membershipRule", String),
	ro("isAssignableToRole", Boolean),
	multi(ro("proxyAddresses", String)),
	ro("classification", String),
	ro("createdDateTime", DateTime),
)...)
