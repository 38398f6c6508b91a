// Package odata parses and evaluates the OData system query options that
// Microsoft Graph v1.0 accepts on directory collections (/users, /groups):
// $filter, $select, $orderby, $top and $count.
//
// The simulator evaluates a filter once per object over tenants of 300,000
// users, so ParseFilter compiles the expression into a closure tree once and
// (*Filter).Match allocates nothing of its own. The package knows no schema:
// the server validates names with (*Filter).Properties or (*Filter).Resolve
// and asks (*Filter).NeedsAdvanced whether Graph would demand
// "ConsistencyLevel: eventual" plus $count=true.
//
// Semantics follow Graph on directory objects rather than bare OData:
//   - string eq/ne/in/startswith/endswith and ordering compare case-insensitively;
//   - an unset property, a nil value and an empty string are all null;
//   - keywords and function names are case-insensitive (Graph accepts NOT, OR,
//     startsWith);
//   - one side of every comparison is a property path, the other a literal
//     (Graph rejects property-to-property comparisons; so do we).
//
// Errors are *Error values carrying a Graph error code and a Graph-like message;
// no input makes the parser panic, and input length and nesting are capped.
package odata
