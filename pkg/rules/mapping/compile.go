package mapping

import (
	"regexp"
	"sort"
	"strings"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/schema"
)

// Options configure Compile.
type Options struct {
	// ObjectType is schema.UserType or schema.GroupType.
	ObjectType string
	// Compiler compiles Expression mappings; nil rejects them.
	Compiler Compiler
	// SourceTenantID is stamped into alternativeSecurityIds values.
	SourceTenantID string
	// CustomMatching allows matching attributes other than Entra's fixed
	// alternativeSecurityIds (an xtsync extension). Off, a configuration that
	// changes or adds matching attributes is SchemaInvalid, as in Entra.
	CustomMatching bool
}

// Mapping is one compiled mapping.
type Mapping struct {
	Spec   Spec
	Attr   schema.Attribute // target attribute
	source string           // folded source attribute (Direct)
	value  any              // coerced constant
	def    any              // coerced default, nil if none
	prog   Program
	index  int
}

// Redacted reports whether the value must be hidden in logs.
func (m *Mapping) Redacted() bool { return m.prog != nil && m.prog.Redacted() }

// Describe renders the mapping's source side as the portal shows it:
// "[department]", "\"Member\"", the expression text.
func (m *Mapping) Describe() string {
	switch m.Spec.Type {
	case Direct:
		return "[" + m.Spec.Source + "]"
	case Constant:
		return `"` + m.Spec.Value + `"`
	case Expression:
		return m.Spec.Expression
	}
	return "None"
}

// Set is a compiled, immutable mapping set for one object type, safe for
// concurrent use.
type Set struct {
	objectType string
	mappings   []Mapping
	matching   []int // mapping indices by ascending precedence
	byTarget   map[string]int
	tenantID   string
}

// Mappings returns the compiled mappings in configuration order.
func (s *Set) Mappings() []Mapping { return s.mappings }

// ObjectType returns schema.UserType or schema.GroupType.
func (s *Set) ObjectType() string { return s.objectType }

// Lookup returns the mapping that writes target, if any.
func (s *Set) Lookup(target string) (*Mapping, bool) {
	i, ok := s.byTarget[strings.ToLower(target)]
	if !ok {
		return nil, false
	}
	return &s.mappings[i], true
}

// Matching returns the matching mappings, precedence 1 first.
func (s *Set) Matching() []*Mapping {
	out := make([]*Mapping, len(s.matching))
	for i, idx := range s.matching {
		out[i] = &s.mappings[idx]
	}
	return out
}

// altSecRe recognises Entra's built-in identity expression, which xtsync
// evaluates natively so the default mapping reads exactly as Entra ships it.
var altSecRe = regexp.MustCompile(`(?i)^\s*AltSecIdFromNetId\s*\(\s*\[\s*netId\s*\]\s*\)\s*$`)

// Compile validates specs against the target and source schemas and
// compiles them. Every problem is returned, with paths like
// "mappings[3].target".
func Compile(specs []Spec, opts Options) (*Set, rules.FieldErrors) {
	var errs rules.FieldErrors
	tgt, src := schema.Target(opts.ObjectType), schema.Source(opts.ObjectType)
	if tgt == nil {
		errs.Addf(rules.InvalidValue, "objectType", "unknown object type %q", opts.ObjectType)
		return nil, errs
	}
	s := &Set{objectType: tgt.Name, byTarget: make(map[string]int, len(specs)), tenantID: opts.SourceTenantID}
	precedences := map[int]string{}
	for i, sp := range specs {
		path := rules.Index("mappings", i)
		m, merrs := compileOne(sp, tgt, src, opts, path)
		errs = append(errs, merrs...)
		if len(merrs) > 0 {
			continue
		}
		key := strings.ToLower(m.Attr.Name)
		if _, dup := s.byTarget[key]; dup {
			errs.Addf(rules.Duplicate, rules.JoinPath(path, "target"), "attribute %q is mapped twice", sp.Target)
			continue
		}
		if p := sp.MatchingPrecedence; p != 0 {
			if prev, dup := precedences[p]; dup {
				errs.Addf(rules.Duplicate, rules.JoinPath(path, "matchingPrecedence"),
					"matching precedence %d already used by %q", p, prev)
				continue
			}
			precedences[p] = sp.Target
		}
		m.index = len(s.mappings)
		s.byTarget[key] = m.index
		s.mappings = append(s.mappings, m)
	}
	errs = append(errs, checkSet(s, specs, tgt, opts)...)
	errs.Sort()
	if len(errs) > 0 {
		return nil, errs
	}
	for i := range s.mappings {
		if s.mappings[i].Spec.MatchingPrecedence > 0 {
			s.matching = append(s.matching, i)
		}
	}
	sort.Slice(s.matching, func(a, b int) bool {
		return s.mappings[s.matching[a]].Spec.MatchingPrecedence < s.mappings[s.matching[b]].Spec.MatchingPrecedence
	})
	return s, nil
}

func compileOne(sp Spec, tgt, src *schema.Object, opts Options, path string) (Mapping, rules.FieldErrors) {
	var errs rules.FieldErrors
	m := Mapping{Spec: sp}
	if m.Spec.Apply == "" {
		m.Spec.Apply = Always
	}
	a, ok := tgt.Lookup(sp.Target)
	switch {
	case sp.Target == "":
		errs.Addf(rules.Required, rules.JoinPath(path, "target"), "target attribute is required")
	case !ok:
		errs.Addf(rules.SchemaInvalid, rules.JoinPath(path, "target"),
			"%q is not an attribute of the target %s schema", sp.Target, tgt.Name)
	case !a.Writable:
		errs.Addf(rules.SchemaInvalid, rules.JoinPath(path, "target"), "%q is read-only in the target", sp.Target)
	}
	m.Attr = a
	if m.Spec.Apply != Always && m.Spec.Apply != OnlyDuringCreation {
		errs.Addf(rules.InvalidValue, rules.JoinPath(path, "apply"),
			"apply must be %s or %s, not %q", Always, OnlyDuringCreation, sp.Apply)
	}
	if sp.MatchingPrecedence < 0 {
		errs.Addf(rules.InvalidValue, rules.JoinPath(path, "matchingPrecedence"), "must be 0 (not matching) or positive")
	}
	switch sp.Type {
	case Direct:
		sa, ok := src.Lookup(sp.Source)
		switch {
		case sp.Source == "":
			errs.Addf(rules.Required, rules.JoinPath(path, "source"), "a Direct mapping needs a source attribute")
		case !ok:
			errs.Addf(rules.SchemaAttributeNotFound, rules.JoinPath(path, "source"),
				"%q is not an attribute of the source %s schema", sp.Source, src.Name)
		case sa.Multi && !a.Multi && a.Name != "":
			errs.Addf(rules.SchemaInvalid, rules.JoinPath(path, "source"),
				"multi-valued %q cannot map to single-valued %q", sp.Source, sp.Target)
		}
		m.source = strings.ToLower(sp.Source)
	case Constant:
		if len(errs) == 0 {
			v, err := coerce(sp.Value, a)
			if err != nil {
				errs.Add(rules.Errorf(rules.InvalidValue, rules.JoinPath(path, "value"), "constant does not fit %s", a.Type).Wrap(err))
			}
			m.value = v
		}
	case Expression:
		switch {
		case strings.TrimSpace(sp.Expression) == "":
			errs.Addf(rules.Required, rules.JoinPath(path, "expression"), "an Expression mapping needs an expression")
		case altSecRe.MatchString(sp.Expression):
			m.prog = altSecProgram{tenant: opts.SourceTenantID}
		case opts.Compiler == nil:
			errs.Addf(rules.Unsupported, rules.JoinPath(path, "expression"), "no expression compiler configured")
		default:
			p, err := opts.Compiler.Compile(sp.Expression, src.Has)
			if err != nil {
				errs.Add(rules.Errorf(rules.InvalidExpression, rules.JoinPath(path, "expression"), "expression does not compile").Wrap(err))
			}
			m.prog = p
		}
	case None:
		if sp.Default == nil {
			errs.Addf(rules.Required, rules.JoinPath(path, "default"), "a None mapping only writes its default value; set one")
		}
	case "":
		errs.Addf(rules.Required, rules.JoinPath(path, "type"), "mapping type is required (Direct, Constant, Expression, None)")
	default:
		errs.Addf(rules.InvalidValue, rules.JoinPath(path, "type"), "unknown mapping type %q", sp.Type)
	}
	if sp.Default != nil && len(errs) == 0 {
		v, err := coerce(*sp.Default, a)
		if err != nil {
			errs.Add(rules.Errorf(rules.InvalidValue, rules.JoinPath(path, "default"), "default does not fit %s", a.Type).Wrap(err))
		}
		m.def = v
	}
	return m, errs
}

// checkSet applies the whole-set rules Entra enforces for cross-tenant sync.
func checkSet(s *Set, specs []Spec, tgt *schema.Object, opts Options) rules.FieldErrors {
	var errs rules.FieldErrors
	named := make(map[string]bool, len(specs))
	for _, sp := range specs {
		named[strings.ToLower(sp.Target)] = true // a broken mapping already has its own error
	}
	for _, a := range tgt.Attributes() {
		if a.RequiredOnCreate {
			if !named[strings.ToLower(a.Name)] {
				errs.Addf(rules.Required, "mappings", "required target attribute %q is not mapped", a.Name)
			}
		}
	}
	for i, sp := range specs {
		path := rules.JoinPath(rules.Index("mappings", i), "matchingPrecedence")
		switch {
		case tgt.Name == schema.GroupType && sp.MatchingPrecedence > 0:
			// Groups created outside sync are never managed, so groups are
			// never matched: only the connector data store links them.
			errs.Addf(rules.SchemaInvalid, path, "groups have no matching attributes: sync manages only groups it created")
		case tgt.Name == schema.UserType && !opts.CustomMatching:
			isAlt := strings.EqualFold(sp.Target, schema.AltSecIDs)
			if isAlt && sp.MatchingPrecedence != 1 || !isAlt && sp.MatchingPrecedence != 0 {
				errs.Addf(rules.SchemaInvalid, path,
					"the matching attribute is fixed to alternativeSecurityIds with precedence 1 (set customMatching to change it)")
			}
		}
	}
	if tgt.Name == schema.GroupType {
		for _, fixed := range []struct{ attr, want string }{{"securityEnabled", "True"}, {"mailEnabled", "False"}} {
			m, ok := s.Lookup(fixed.attr)
			if ok && (m.Spec.Type != Constant || !strings.EqualFold(m.Spec.Value, fixed.want)) {
				errs.Addf(rules.SchemaInvalid, rules.JoinPath(rules.Index("mappings", m.index), "value"),
					"%s must be the constant %q: cross-tenant sync creates security groups only", fixed.attr, fixed.want)
			}
		}
	}
	return errs
}

// altSecProgram evaluates AltSecIdFromNetId([netId]).
type altSecProgram struct{ tenant string }

func (p altSecProgram) Eval(attrs rules.Attrs, _ *Env) (any, error) {
	v, _ := attrs.Get("netid")
	if rules.IsEmpty(v) {
		return nil, nil
	}
	return AltSecID{TenantID: p.tenant, NetID: toString(v)}, nil
}

func (altSecProgram) Redacted() bool       { return false }
func (altSecProgram) Attributes() []string { return []string{"netId"} }

// Index is the mapping's position in Set.Mappings and Output.Results.
func (m *Mapping) Index() int { return m.index }
