package match

import (
	"strings"

	"github.com/xtsync/xtsync/pkg/rules"
)

// Candidate is a target object a query found.
type Candidate struct {
	ID string
	// External is true for B2B (external member or guest) users: userType
	// Guest, creationType Invitation, or an #EXT# userPrincipalName. Cross-
	// tenant sync never takes over internal users of the target tenant.
	External bool
	// SoftDeleted marks an object found in the target's deleted items.
	SoftDeleted bool
}

// Outcome of resolving query results.
type Outcome struct {
	// Found is the matched target object, nil when nothing matched.
	Found *Candidate
	// Query is the query that decided (the first with any result).
	Query *Query
}

// Resolve applies the results of queries (results[i] answers queries[i]) in
// precedence order. The first query with results decides: exactly one
// external object is a match; several are DuplicateTargetEntries; an internal
// user is EntryConflict.
func Resolve(queries []Query, results [][]Candidate) (Outcome, *rules.Error) {
	for i := range queries {
		if i >= len(results) || len(results[i]) == 0 {
			continue
		}
		q := &queries[i]
		found := results[i]
		if len(found) > 1 {
			ids := make([]string, len(found))
			for j, c := range found {
				ids[j] = c.ID
			}
			return Outcome{Query: q}, rules.Errorf(rules.DuplicateTargetEntries, q.Attribute,
				"%d target objects match %s = %s: %s", len(found), q.Attribute, q.Value, strings.Join(ids, ", "))
		}
		c := found[0]
		if !c.External {
			return Outcome{Query: q}, rules.Errorf(rules.EntryConflict, q.Attribute,
				"target object %s matching %s = %s is an internal user; cross-tenant sync only manages B2B users",
				c.ID, q.Attribute, q.Value)
		}
		return Outcome{Found: &c, Query: q}, nil
	}
	return Outcome{}, nil
}

// ConflictCode classifies a Graph error from a create or update: Graph
// answers 400 with "ObjectConflict" (or a message naming "another object with
// the same value for property userPrincipalName/proxyAddresses") when a
// unique value is held by an object sync does not manage.
func ConflictCode(graphCode, message string) rules.Code {
	m := strings.ToLower(message)
	if strings.EqualFold(graphCode, "ObjectConflict") || strings.Contains(m, "another object with the same value") {
		return rules.EntryConflict
	}
	return ""
}
