// Package mapping turns a source object into the target attribute values of
// an Entra "Attribute mapping": Direct, Constant, Expression and None
// mappings, default values, Always vs OnlyDuringCreation, and matching
// precedence, validated against the target object schema.
package mapping

import (
	"context"
	"errors"
	"time"

	"github.com/xtsync/xtsync/pkg/rules"
)

// Type is a mapping type ("Mapping type" in the portal).
type Type string

// Mapping types.
const (
	// Direct copies a source attribute.
	Direct Type = "Direct"
	// Constant writes a fixed value.
	Constant Type = "Constant"
	// Expression evaluates an expression (pkg/rules/expr).
	Expression Type = "Expression"
	// None leaves the target attribute alone except to fill it with the
	// default value when it is empty (on create).
	None Type = "None"
)

// Apply is "Apply this mapping".
type Apply string

// Apply values.
const (
	// Always applies the mapping on create and on every update.
	Always Apply = "Always"
	// OnlyDuringCreation applies it only when sync creates the object; an
	// existing object that sync matches is not changed by it (Entra's
	// default userType mapping is such a mapping).
	OnlyDuringCreation Apply = "OnlyDuringCreation"
)

// Spec is one attribute mapping as configured (JSON/YAML).
type Spec struct {
	// Target is the target attribute, validated against the target schema.
	Target string `json:"target" yaml:"target"`
	Type   Type   `json:"type" yaml:"type"`
	// Source is the source attribute of a Direct mapping.
	Source string `json:"source,omitempty" yaml:"source,omitempty"`
	// Value is the constant of a Constant mapping, as text ("True", "Member").
	Value string `json:"value,omitempty" yaml:"value,omitempty"`
	// Expression is the expression of an Expression mapping.
	Expression string `json:"expression,omitempty" yaml:"expression,omitempty"`
	// Default is "Default value if null": used on create when the source
	// value is null or empty (Entra does not apply it on updates).
	Default *string `json:"default,omitempty" yaml:"default,omitempty"`
	// Apply defaults to Always.
	Apply Apply `json:"apply,omitempty" yaml:"apply,omitempty"`
	// MatchingPrecedence > 0 makes this a matching attribute; 1 is tried first.
	MatchingPrecedence int `json:"matchingPrecedence,omitempty" yaml:"matchingPrecedence,omitempty"`
	// FlowNullValues clears the target attribute on update when the source is
	// null ("Flow null values", an Entra preview for inbound provisioning;
	// off by default so a missing source value never wipes a target value).
	FlowNullValues bool `json:"flowNullValues,omitempty" yaml:"flowNullValues,omitempty"`
}

// Compiler compiles Expression mappings. It is an interface so this package
// does not depend on the expression engine's internals; exprbind adapts
// pkg/rules/expr.
type Compiler interface {
	Compile(src string, knownAttribute func(string) bool) (Program, error)
}

// Program is a compiled expression.
type Program interface {
	// Eval evaluates for one object. A result of nil means null. An error
	// wrapping ErrIgnoreFlow means "do not write this attribute".
	Eval(attrs rules.Attrs, env *Env) (any, error)
	// Redacted reports whether values must be logged as "[Redact]".
	Redacted() bool
	// Attributes lists the source attributes the expression reads.
	Attributes() []string
}

// ErrIgnoreFlow is returned (wrapped) by a Program whose expression asked to
// skip the attribute (IgnoreFlowIfNullOrEmpty).
var ErrIgnoreFlow = errors.New("mapping: attribute flow ignored")

// Env is the per-evaluation environment of expressions.
type Env struct {
	Now      func() time.Time
	IsUnique func(ctx context.Context, candidate string) (bool, error)
	Ctx      context.Context
}
