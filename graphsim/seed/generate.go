package seed

// Generate builds the tenant spec describes. It is deterministic: equal
// Specs give identical Tenants.
func Generate(spec Spec) *Tenant {
	s := spec.withDefaults()
	t := &Tenant{
		TenantID:      s.TenantID,
		Domain:        s.Domain,
		InitialDomain: initialDomain(s.Domain),
		CompanyName:   s.CompanyName,
	}
	if t.TenantID == "" {
		t.TenantID = newGUID(newRand(s.Seed, streamTenant))
	}
	ug := generateUsers(s, t)
	generateGroups(s, t, ug)
	// Own streams: these properties never shift the names, ids and
	// memberships drawn above.
	userExtras(s, t, ug)
	groupExtras(s, t)
	return t
}
