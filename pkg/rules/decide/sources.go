package decide

// stageAttributes are the source attributes Decide reads itself, beside
// the mappings and filters: isExternal (users) and scope.ClassifyGroup.
var stageAttributes = []string{"usertype", "userprincipalname", "grouptypes", "mailenabled", "securityenabled"}

// SourceAttributes lists the folded names of every Source.Attrs key Decide
// can read under c, users and groups alike: a caller may leave every other
// attribute out of the bag and get the same decision (the transformer
// decodes only these from the source JSON). TestSourceAttributesSuffice
// holds it to that.
func (c *Config) SourceAttributes() []string {
	seen := map[string]bool{}
	var out []string
	add := func(names []string) {
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	add(stageAttributes)
	for _, or := range []*ObjectRules{&c.Users, &c.Groups} {
		add(or.Mappings.SourceAttributes())
		add(or.Filters.Attributes())
	}
	return out
}
