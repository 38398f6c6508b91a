package mapping

// Default mapping sets, as Microsoft Entra ships them for cross-tenant
// synchronization ("Provision Microsoft Entra ID Users" / "... Groups").
//
// Provenance of each user row (see the xtsync report in docs/ for links):
//   - verified from Microsoft's configure guide and its attribute-mapping
//     screenshot transcript: the AltSecIdFromNetId row (matching precedence 1,
//     "cannot be changed"), IsSoftDeleted, accountEnabled, streetAddress, city,
//     state, postalCode, country, department, employeeId, displayName,
//     givenName, and userType = Constant "Member" applied only during creation
//     ("will not be changed to Member unless Apply this mapping is Always");
//   - verified from the provision-on-demand sample output: mailNickname,
//     preferredLanguage, showInAddressList = Constant "True" (also stated in the
//     FAQ on people search);
//   - verified from the FAQ: manager (default since January 2024);
//   - inferred: mail (the CannotUpdateObjectsOriginatedInExternalService error
//     lists Mail among updated properties) and userPrincipalName (known issue
//     "UPN property does not update ...");
//   - assumed, to be confirmed against a live tenant: jobTitle, surname,
//     telephoneNumber, mobile, companyName, physicalDeliveryOfficeName.
//
// Where Entra's schema uses an Azure AD Graph name (telephoneNumber, mobile,
// physicalDeliveryOfficeName) the schema records the Graph v1.0 property the
// writer sends (businessPhones, mobilePhone, officeLocation).
func DefaultUser() []Spec {
	d := func(attr string) Spec { return Spec{Target: attr, Type: Direct, Source: attr} }
	return []Spec{
		{Target: "alternativeSecurityIds", Type: Expression, Expression: "AltSecIdFromNetId([netId])", MatchingPrecedence: 1},
		d("IsSoftDeleted"),
		d("accountEnabled"),
		d("streetAddress"),
		d("city"),
		d("state"),
		d("postalCode"),
		d("country"),
		d("department"),
		d("employeeId"),
		d("displayName"),
		d("givenName"),
		d("jobTitle"),
		d("mail"),
		d("mailNickname"),
		d("manager"),
		d("mobile"),
		d("companyName"),
		d("physicalDeliveryOfficeName"),
		d("preferredLanguage"),
		{Target: "showInAddressList", Type: Constant, Value: "True"},
		d("surname"),
		d("telephoneNumber"),
		d("userPrincipalName"),
		{Target: "userType", Type: Constant, Value: "Member", Apply: OnlyDuringCreation},
	}
}

// DefaultGroup is the group mapping set: "display name, description,
// membership, mail nickname, security-enabled status, mail-enabled status,
// and visibility" (Microsoft's group sync announcement), plus IsSoftDeleted
// so a group leaving scope is soft deleted. securityEnabled and mailEnabled
// are constants because every synced group becomes a static security group.
func DefaultGroup() []Spec {
	d := func(attr string) Spec { return Spec{Target: attr, Type: Direct, Source: attr} }
	return []Spec{
		d("IsSoftDeleted"),
		d("displayName"),
		d("description"),
		d("mailNickname"),
		{Target: "securityEnabled", Type: Constant, Value: "True"},
		{Target: "mailEnabled", Type: Constant, Value: "False"},
		d("visibility"),
		d("members"),
	}
}
