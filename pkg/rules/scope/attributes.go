package scope

// Attributes lists the folded names of the source attributes the filters'
// clauses read, without duplicates; Match and Explain read nothing else.
func (f *Filters) Attributes() []string {
	if f == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, g := range f.groups {
		for _, c := range g.clauses {
			if !seen[c.attr] {
				seen[c.attr] = true
				out = append(out, c.attr)
			}
		}
	}
	return out
}
