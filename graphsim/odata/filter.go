package odata

// Getter exposes one directory object to a Filter. Get returns the value of a
// top-level property (names as written in the filter, or as rewritten by
// Resolve) and whether the object has it. Values are string, bool, int,
// int32, int64, float32, float64, time.Time or nil; multi-valued properties
// are []string; collections of complex values (identities) are
// []map[string]any; a single complex value is map[string]any.
type Getter interface {
	Get(property string) (any, bool)
}

// Filter is a compiled $filter expression. It is immutable after ParseFilter
// (and an optional Resolve), so one Filter may be matched from many
// goroutines.
type Filter struct {
	root     node
	match    pred
	advanced bool
}

// ParseFilter parses a $filter value as Microsoft Graph v1.0 accepts it on
// users and groups and compiles it for Match. Errors are *Error.
func ParseFilter(s string) (*Filter, error) {
	root, adv, err := parse(s)
	if err != nil {
		return nil, err
	}
	return &Filter{root: root, match: compile(root), advanced: adv}, nil
}

// Match reports whether the object behind g satisfies the filter. It does
// not allocate beyond what g.Get does. A nil Filter matches everything, so
// callers can treat "no $filter" and a parsed one alike.
func (f *Filter) Match(g Getter) bool {
	if f == nil {
		return true
	}
	return f.match(scope{g: g})
}

// String returns the canonical form of the filter: lower-case keywords,
// normalized spacing and only the parentheses precedence needs. Parsing it
// again yields the same String.
func (f *Filter) String() string {
	return format(f.root)
}

// NeedsAdvanced reports whether the filter uses constructs that Graph runs
// only as an advanced query (ConsistencyLevel: eventual and $count=true):
// ne, not, endswith, and /$count. Property-dependent rules (e.g. eq null
// on some properties) are left to the caller, which knows the schema.
func (f *Filter) NeedsAdvanced() bool { return f.advanced }

// Properties returns the distinct top-level property names the filter reads
// from the object, in order of first appearance, so the server can check
// them against its schema. Lambda variables and sub-properties of complex
// values (identities/any(i:i/issuer ...) yields "identities") are excluded.
func (f *Filter) Properties() []string {
	var out []string
	seen := map[string]bool{}
	walkPaths(f.root, func(p *pathNode) {
		if p.variable || seen[p.segs[0]] {
			return
		}
		seen[p.segs[0]] = true
		out = append(out, p.segs[0])
	})
	return out
}

// Resolve maps every top-level property name through canon (typically a
// case-insensitive schema lookup returning the canonical spelling, since
// Graph accepts "DisplayName") and recompiles the filter. An unknown name
// yields Graph's "Could not find a property named 'x' on type 'T'." error.
// Call it before sharing the Filter between goroutines.
func (f *Filter) Resolve(canon func(name string) (string, bool), typeName string) error {
	var bad *pathNode
	walkPaths(f.root, func(p *pathNode) {
		if p.variable || bad != nil {
			return
		}
		c, ok := canon(p.segs[0])
		if !ok {
			bad = p
			return
		}
		p.segs[0] = c
	})
	if bad != nil {
		return &Error{Code: CodeBadRequest, Option: "$filter", Pos: bad.pos,
			Message: "Could not find a property named '" + bad.segs[0] + "' on type '" + typeName + "'."}
	}
	f.match = compile(f.root)
	return nil
}
