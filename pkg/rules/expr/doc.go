// Package expr implements the Microsoft Entra attribute-mapping expression
// language used by cross-tenant synchronization: the VBA-like syntax
// documented in "Reference for writing expressions for attribute mappings in
// Microsoft Entra ID" (learn.microsoft.com/entra/identity/app-provisioning/
// functions-for-customizing-application-data).
//
// # Syntax
//
// Examples:
//
//	Join(" ", [givenName], [surname])
//	IIF([country]="USA", [country], [department])
//	Replace([mail], "@contoso.com", , , "", , )
//
// The elements are:
//
//   - Function calls Name(arg, ...). Names are matched case-insensitively.
//     Arguments may be omitted (", ,") where a parameter is optional.
//   - Attribute references in square brackets: [givenName],
//     [extension_1a2b_costCenter], [Some Attribute]. Matched
//     case-insensitively.
//   - String literals in double quotes; \" and \\ are the only escapes (a
//     backslash before any other character is kept literally).
//   - Integer literals (7, -10, 129699324000000000) and VBA hex literals (&HF7).
//   - The named constants vbBinaryCompare and vbTextCompare (for InStr) and
//     True/False.
//   - Comparisons =, <>, <, <=, >, >= between two operands (used in IIF and
//     CBool conditions). They do not chain, and there is no AND/OR: Entra
//     documents nested IIF for that.
//
// # Use
//
// Compile once per mapping at configuration time (unknown functions, wrong
// arity, bad literal arguments, invalid regular expressions and unknown
// attributes are reported there), then call [Program.Eval] for every object.
// A Program is immutable and safe for concurrent use.
//
// [EvalJSON] evaluates an expression against a JSON object of attributes and
// returns the result as JSON; it backs `xtsyncctl expr eval`.
//
// Deviations from the Microsoft service are listed on each function in
// functions_*.go and summarised in README.md in this directory.
package expr
