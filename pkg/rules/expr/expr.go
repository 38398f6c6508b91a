package expr

import (
	"context"
	"io"
	"time"
)

// MaxSourceLen and MaxDepth bound what Compile accepts, so a hostile or
// mistaken configuration cannot make the parser or evaluator use unbounded
// memory or stack.
const (
	MaxSourceLen = 64 << 10 // bytes
	MaxDepth     = 100      // nested calls/comparisons
)

// MaxResultLen caps any string or multi-value an expression builds (Join,
// Replace, Split, ...); exceeding it is an EvalError rather than an
// out-of-memory.
const MaxResultLen = 1 << 20

// Options configure Compile.
type Options struct {
	// KnownAttribute reports whether a source attribute exists; nil accepts
	// any name. An unknown attribute is a CheckError naming it, so a typo is
	// reported when the mapping is saved, not for every object.
	KnownAttribute func(name string) bool
}

// Env is what one evaluation may read. Every field is optional.
type Env struct {
	// Attrs is the source object; nil means every attribute is null.
	Attrs Attributes
	// Now returns the current time for Now(); nil means time.Now.
	Now func() time.Time
	// Rand feeds Guid and RandomString; nil means crypto/rand. Tests pass a
	// seeded math/rand/v2 ChaCha8 for reproducible output.
	Rand io.Reader
	// IsUnique is asked by SelectUniqueValue whether a candidate value is
	// free in the target; nil means the first non-empty candidate wins.
	IsUnique func(ctx context.Context, candidate string) (bool, error)
	// Ctx is passed to IsUnique; nil means context.Background().
	Ctx context.Context
}

// Program is a compiled expression. It is immutable and safe for concurrent
// Eval calls.
type Program struct {
	src      string
	root     evalFn
	attrs    []string
	redacted bool
}

// evalFn is one compiled node: functions are resolved, literal arguments are
// pre-converted and literal regular expressions pre-compiled at Compile.
type evalFn func(env *Env) (Value, error)

// Source returns the expression text as given to Compile.
func (p *Program) Source() string { return p.src }

// Attributes returns the distinct attribute names the expression references,
// in order of first use and spelled as at first use.
func (p *Program) Attributes() []string { return append([]string(nil), p.attrs...) }

// Redacted reports whether the expression uses Redact: the mapped value must
// then be logged as "[Redact]" in provisioning logs.
func (p *Program) Redacted() bool { return p.redacted }

// Eval evaluates the program for one object. env may be nil. Errors are
// *EvalError; IgnoreFlowIfNullOrEmpty yields an error wrapping ErrIgnoreFlow
// and SelectUniqueValue one wrapping ErrNoUniqueValue.
func (p *Program) Eval(env *Env) (Value, error) {
	if env == nil {
		env = &Env{}
	}
	return p.root(env)
}

// Compile parses and checks src once. Errors are *SyntaxError or
// *CheckError.
func Compile(src string, opts Options) (*Program, error) {
	ast, err := parse(src)
	if err != nil {
		return nil, err
	}
	return check(src, ast, opts)
}

// MustCompile is Compile for expressions known to be valid, such as built-in
// default mappings; it panics on error.
func MustCompile(src string) *Program {
	p, err := Compile(src, Options{})
	if err != nil {
		panic(err)
	}
	return p
}
