// Package exprbind adapts pkg/rules/expr to mapping.Compiler. It is the only
// place the mapping layer touches the expression engine's types, so either
// side can evolve behind this seam.
package exprbind

import (
	"errors"
	"fmt"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/expr"
	"github.com/xtsync/xtsync/pkg/rules/mapping"
)

// Compiler compiles with expr.Compile.
type Compiler struct{}

var _ mapping.Compiler = Compiler{}

// Compile implements mapping.Compiler.
func (Compiler) Compile(src string, known func(string) bool) (mapping.Program, error) {
	p, err := expr.Compile(src, expr.Options{KnownAttribute: known})
	if err != nil {
		return nil, fmt.Errorf("compile expression: %w", err)
	}
	return program{p}, nil
}

type program struct{ p *expr.Program }

// attrs exposes rules.Attrs (already lower-cased keys) as expr.Attributes.
type attrs rules.Attrs

func (a attrs) Get(name string) (expr.Value, bool) {
	v, ok := rules.Attrs(a).Get(name)
	if !ok {
		return expr.Value{}, false
	}
	return expr.ValueOf(v), true
}

func (p program) Eval(a rules.Attrs, env *mapping.Env) (any, error) {
	e := expr.Env{Attrs: attrs(a)}
	if env != nil {
		e.Now, e.IsUnique, e.Ctx = env.Now, env.IsUnique, env.Ctx
	}
	v, err := p.p.Eval(&e)
	if err != nil {
		if errors.Is(err, expr.ErrIgnoreFlow) {
			return nil, fmt.Errorf("%w: %w", mapping.ErrIgnoreFlow, err)
		}
		return nil, fmt.Errorf("evaluate expression: %w", err)
	}
	switch v.Kind() {
	case expr.KindNull:
		return nil, nil
	case expr.KindDateTime:
		t, _ := v.Time()
		return t, nil
	}
	return v.Any(), nil
}

func (p program) Redacted() bool       { return p.p.Redacted() }
func (p program) Attributes() []string { return p.p.Attributes() }
