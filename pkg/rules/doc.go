// Package rules holds the pure sync rules of xtsync: who is in scope, how a
// source object becomes a target object, how an existing target object is
// found, and which action the transformer takes. Nothing here does I/O, so
// every rule is table-tested and fuzzed without a tenant.
//
// The sub-packages, leaf first:
//
//	rules          outcome codes (codes.go), field-path errors, attribute bags
//	rules/schema   target (and known source) object schemas for users and groups
//	rules/scope    scoping filters, assignment scope, supported group types
//	rules/mapping  attribute mappings (Direct, Constant, Expression, None) and defaults
//	rules/match    matching-attribute lookups rendered as escaped Graph $filter
//	rules/decide   the action for one object plus its provisioning-log steps
//	rules/spec     the YAML/JSON configuration model, Validate, Compile
//
// rules/expr (the expression language) is owned elsewhere; mapping reaches it
// only through the small Compiler interface so either side can change alone.
package rules
