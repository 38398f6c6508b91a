package scope

import (
	"fmt"
	"strings"
)

// Mode is the "Scope" setting of a configuration.
type Mode string

// Scope modes. Group sync requires AssignedOnly.
const (
	// AssignedOnly is "Sync only assigned users and groups" (the default).
	AssignedOnly Mode = "AssignedOnly"
	// AllUsers is "Sync all users (and groups)".
	AllUsers Mode = "AllUsers"
)

// ParseMode accepts the portal wording too.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.NewReplacer(" ", "", "_", "", "-", "").Replace(s)) {
	case "", "assignedonly", "synconlyassignedusersandgroups", "synconlyassignedusers":
		return AssignedOnly, nil
	case "allusers", "syncallusers", "syncallusersandgroups", "all":
		return AllUsers, nil
	}
	return "", fmt.Errorf("unknown scope mode %q (want %s or %s)", s, AssignedOnly, AllUsers)
}

// Assignments are the users and groups assigned on the "Users and groups"
// page. A user is entitled when assigned directly or when a DIRECT member of
// an assigned group: assignment does not cascade to nested groups.
type Assignments struct {
	users  map[string]struct{}
	groups map[string]struct{}
}

// NewAssignments builds the set; ids are object ids in the source tenant,
// compared case-insensitively (GUIDs arrive in either case).
func NewAssignments(users, groups []string) *Assignments {
	a := &Assignments{users: make(map[string]struct{}, len(users)), groups: make(map[string]struct{}, len(groups))}
	for _, u := range users {
		a.users[strings.ToLower(u)] = struct{}{}
	}
	for _, g := range groups {
		a.groups[strings.ToLower(g)] = struct{}{}
	}
	return a
}

// Entitlement says why an object is (or is not) assigned.
type Entitlement struct {
	Assigned bool
	// Via is "direct" or the id of the assigned group that carries the user.
	Via string
}

// User reports whether user id is entitled given its direct group
// memberships (the reader passes memberOf, never transitiveMemberOf).
func (a *Assignments) User(id string, directGroups []string) Entitlement {
	if a == nil {
		return Entitlement{}
	}
	if _, ok := a.users[fold2(id)]; ok {
		return Entitlement{Assigned: true, Via: "direct"}
	}
	for _, g := range directGroups {
		if _, ok := a.groups[fold2(g)]; ok {
			return Entitlement{Assigned: true, Via: g}
		}
	}
	return Entitlement{}
}

// Group reports whether a group is itself assigned; only assigned groups are
// provisioned as groups (their member groups are not).
func (a *Assignments) Group(id string) Entitlement {
	if a == nil {
		return Entitlement{}
	}
	if _, ok := a.groups[fold2(id)]; ok {
		return Entitlement{Assigned: true, Via: "direct"}
	}
	return Entitlement{}
}

// fold2 lower-cases ASCII ids without allocating when already lower-case.
func fold2(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
