package mapping

import "strings"

// SourceAttributes lists the folded names of the source attributes the set
// reads: Direct sources and the attributes expressions reference. A reader
// may decode only these (the transformer skips the rest of the Graph JSON);
// nothing else of rules.Attrs is consulted by Evaluate.
func (s *Set) SourceAttributes() []string {
	if s == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	add := func(name string) {
		if k := strings.ToLower(name); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for i := range s.mappings {
		m := &s.mappings[i]
		switch m.Spec.Type {
		case Direct:
			add(m.source)
		case Expression:
			for _, a := range m.prog.Attributes() {
				add(a)
			}
		}
	}
	return out
}
