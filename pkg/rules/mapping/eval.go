package mapping

import (
	"errors"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/schema"
)

// Mode says whether the target object is being created or already exists.
type Mode uint8

// Modes.
const (
	// Create: sync creates the target object; every mapping applies and
	// defaults fill null values.
	Create Mode = iota + 1
	// Existing: the target object exists (created earlier or matched);
	// OnlyDuringCreation mappings and defaults do not apply.
	Existing
)

// Result is the outcome of one mapping for one object.
type Result struct {
	// Flow is true when the attribute is to be written (possibly with nil to
	// clear it, for FlowNullValues mappings).
	Flow  bool
	Value any
	// Hash is Hash(Value) when Flow is true.
	Hash uint64
	// Source is the raw source value of a Direct mapping, for logs.
	Source any
	// Skip says why Flow is false: "OnlyDuringCreation", "IgnoreFlow", "Null".
	Skip string
}

// Output is the result of a Set for one object, index-aligned with
// Set.Mappings. Reuse one Output across objects to avoid allocation.
type Output struct {
	Results []Result
}

// Skip reasons.
const (
	SkipCreationOnly = "OnlyDuringCreation"
	SkipIgnoreFlow   = "IgnoreFlow"
	SkipNull         = "Null"
)

// Evaluate maps attrs. It returns the per-object errors (expression
// failures, values that do not fit their attribute) as rules.FieldErrors with
// the target attribute as path; results of failed mappings have Flow false.
func (s *Set) Evaluate(attrs rules.Attrs, mode Mode, env *Env, out *Output) rules.FieldErrors {
	if cap(out.Results) < len(s.mappings) {
		out.Results = make([]Result, len(s.mappings))
	}
	out.Results = out.Results[:len(s.mappings)]
	var errs rules.FieldErrors
	for i := range s.mappings {
		r, err := s.mappings[i].eval(attrs, mode, env)
		if err != nil {
			errs = append(errs, err)
		}
		out.Results[i] = r
	}
	return errs
}

func (m *Mapping) eval(attrs rules.Attrs, mode Mode, env *Env) (Result, *rules.Error) {
	if mode != Create && m.Spec.Apply == OnlyDuringCreation {
		return Result{Skip: SkipCreationOnly}, nil
	}
	var raw any
	var present bool // a Direct source attribute the object carries, even null
	var r Result
	switch m.Spec.Type {
	case Constant:
		return m.flow(m.value), nil
	case None:
		if mode == Create {
			return m.flow(m.def), nil
		}
		return Result{Skip: SkipNull}, nil
	case Direct:
		raw, present = attrs.Get(m.source)
		r.Source = raw
	case Expression:
		v, err := m.prog.Eval(attrs, env)
		if errors.Is(err, ErrIgnoreFlow) {
			return Result{Skip: SkipIgnoreFlow}, nil
		}
		if err != nil {
			return Result{}, rules.Errorf(rules.ExpressionEvaluationFailed, m.Attr.Name,
				"expression %s failed", m.Spec.Expression).Wrap(err)
		}
		raw = v
	}
	if rules.IsEmpty(raw) {
		if raw != nil && m.Attr.Type == schema.Reference && m.Attr.Multi {
			// A reference set that is present but empty (a group whose last
			// member left) is a value, not null: the target must follow.
			r.Flow, r.Value, r.Hash = true, []Ref{}, Hash([]Ref{})
			return r, nil
		}
		if present && raw == nil && mode != Create && m.Attr.Type == schema.Reference && !m.Attr.Multi {
			// A reference the source reported as null (a manager removed)
			// clears the target's; an absent one (not reported) is left.
			r.Flow, r.Hash = true, Hash(nil)
			return r, nil
		}
		switch {
		case mode == Create && m.def != nil:
			r2 := m.flow(m.def)
			r2.Source = r.Source
			return r2, nil
		case mode != Create && m.Spec.FlowNullValues:
			r.Flow, r.Hash = true, Hash(nil)
			return r, nil
		}
		r.Skip = SkipNull
		return r, nil
	}
	v, err := coerce(raw, m.Attr)
	if err != nil {
		var re *rules.Error
		if errors.As(err, &re) {
			return Result{}, re
		}
		return Result{}, rules.Errorf(rules.InvalidAttributeValue, m.Attr.Name, "bad value").Wrap(err)
	}
	r.Flow, r.Value, r.Hash = true, v, Hash(v)
	return r, nil
}

func (m *Mapping) flow(v any) Result {
	if v == nil {
		return Result{Skip: SkipNull}
	}
	return Result{Flow: true, Value: v, Hash: Hash(v)}
}
