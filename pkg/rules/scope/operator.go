package scope

import (
	"strings"
)

// Operator is a scoping clause operator. The names and semantics follow
// "Scoping users or groups to be provisioned with scoping filters"
// (learn.microsoft.com/entra/identity/app-provisioning/define-conditional-rules-for-provisioning-user-accounts).
//
// Case sensitivity, as Microsoft documents it: EQUALS, NOT EQUALS, Includes
// and REGEX MATCH are case-sensitive. ENDS_WITH, & and !& are not qualified
// in the documentation; xtsync treats them as case-sensitive too (ordinal
// .NET string comparison is the provisioning service's default). IS TRUE and
// IS FALSE accept "true"/"false" in any case.
//
// Every operator except IS NULL returns false when the attribute is null or
// empty ("Scoping filters will return false if the value is null / empty").
type Operator uint8

// Operators. The comment gives the documented spelling.
const (
	opInvalid           Operator = iota
	Contained                    // "&": attribute value occurs in the clause value
	NotContained                 // "!&": attribute value does not occur in the clause value
	EndsWith                     // "ENDS_WITH"
	Equals                       // "EQUALS" (case-sensitive)
	GreaterThan                  // "Greater_Than" (integers only)
	GreaterThanOrEquals          // "Greater_Than_OR_EQUALS" (integers only)
	Includes                     // "Includes": attribute contains the value (case-sensitive)
	IsFalse                      // "IS FALSE"
	IsNotNull                    // "IS NOT NULL"
	IsNull                       // "IS NULL"
	IsTrue                       // "IS TRUE"
	NotEquals                    // "NOT EQUALS" (case-sensitive)
	NotRegexMatch                // "NOT REGEX MATCH"
	RegexMatch                   // "REGEX MATCH" (case-sensitive, unanchored)
	LessThan                     // "Less_Than": xtsync extension, integers only
	LessThanOrEquals             // "Less_Than_OR_EQUALS": xtsync extension, integers only
)

// opInfo describes an operator: its canonical name, whether the clause needs
// a value, and whether Microsoft documents it (false = xtsync extension).
type opInfo struct {
	name     string
	hasValue bool
	entra    bool
}

var ops = [...]opInfo{
	opInvalid:           {"", false, false},
	Contained:           {"&", true, true},
	NotContained:        {"!&", true, true},
	EndsWith:            {"ENDS_WITH", true, true},
	Equals:              {"EQUALS", true, true},
	GreaterThan:         {"Greater_Than", true, true},
	GreaterThanOrEquals: {"Greater_Than_OR_EQUALS", true, true},
	Includes:            {"Includes", true, true},
	IsFalse:             {"IS FALSE", false, true},
	IsNotNull:           {"IS NOT NULL", false, true},
	IsNull:              {"IS NULL", false, true},
	IsTrue:              {"IS TRUE", false, true},
	NotEquals:           {"NOT EQUALS", true, true},
	NotRegexMatch:       {"NOT REGEX MATCH", true, true},
	RegexMatch:          {"REGEX MATCH", true, true},
	// Less_Than* are not in Microsoft's operator list, but its own example
	// ("employee ID between 1,000,000 and 2,000,000") needs an upper bound,
	// so xtsync offers them; configurations using them do not round-trip to
	// Entra.
	LessThan:         {"Less_Than", true, false},
	LessThanOrEquals: {"Less_Than_OR_EQUALS", true, false},
}

// byName maps a folded spelling to an operator; built from ops in init.
var byName = map[string]Operator{}

func init() {
	for i := Contained; i <= LessThanOrEquals; i++ {
		byName[fold(ops[i].name)] = i
	}
}

// fold lets "NOT EQUALS", "not_equals" and "Not Equals" name one operator:
// the portal shows spaces, exported schemas sometimes use underscores.
func fold(s string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", "_"))
}

// ParseOperator resolves an operator name (case-insensitive; spaces and
// underscores are interchangeable).
func ParseOperator(s string) (Operator, bool) {
	op, ok := byName[fold(s)]
	return op, ok
}

// String returns the documented spelling.
func (o Operator) String() string {
	if int(o) < len(ops) && o != opInvalid {
		return ops[o].name
	}
	return "INVALID"
}

// HasValue reports whether the clause needs a value.
func (o Operator) HasValue() bool { return int(o) < len(ops) && ops[o].hasValue }

// Documented reports whether Microsoft documents the operator.
func (o Operator) Documented() bool { return int(o) < len(ops) && ops[o].entra }

// Operators lists every operator, documented ones first, for `xtsyncctl`.
func Operators() []Operator {
	out := make([]Operator, 0, len(ops)-1)
	for i := Contained; i <= LessThanOrEquals; i++ {
		out = append(out, i)
	}
	return out
}
