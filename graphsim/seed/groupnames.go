package seed

// name returns a display name and description in the styles real tenants
// accumulate: prefixed security groups, team and project sites, lists.
func (g *groupGen) name(k groupKind, d, c int) (name, desc string) {
	r := g.r
	dept := departments[d].name
	pc := &prepared[c]
	ct := pick(r, pc.cities).name
	switch k {
	case kindSecurity:
		switch r.IntN(4) {
		case 0:
			return "SG-" + dept + "-" + pick(r, groupPurposes), "Access group for " + dept
		case 1:
			return "App - " + pick(r, projectNames) + " " + pick(r, groupPurposes), "Application access"
		case 2:
			return ct + " Office " + pick(r, groupPurposes), "Site access for " + ct
		default:
			return dept + " " + pick(r, groupPurposes), "Security group for " + dept
		}
	case kindUnified:
		if r.IntN(2) == 0 {
			return "Project " + pick(r, projectNames), "Collaboration space"
		}
		return dept + " Team", "Microsoft 365 group for the " + dept + " team"
	case kindDistribution:
		return "DL " + dept + " " + ct, "Distribution list"
	case kindMailSecurity:
		return "MESG " + dept + " Approvers", "Mail-enabled security group"
	case kindDynamic:
		return "Dyn " + dept + " " + pc.country, "Dynamic membership"
	default:
		return "All " + dept + " (" + pc.country + ")", "Dynamic Microsoft 365 group"
	}
}
