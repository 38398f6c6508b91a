package decide

import (
	"strings"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/schema"
	"github.com/xtsync/xtsync/pkg/rules/scope"
)

// scopeResult is the outcome of the scoping stage.
type scopeResult struct {
	in   bool
	code rules.Code
	why  string
}

// inScope runs the scoping stage in Entra's order and logs each check.
func inScope(cfg *Config, in *Input, or *ObjectRules, l *Log) scopeResult {
	src := &in.Source
	if src.Deleted {
		l.step(StepScoping, "EntryScopeEvaluation", StatusSkipped, "%s %s was deleted in the source tenant", src.Type, src.ID)
		return scopeResult{code: rules.NotInScope, why: "deleted in the source tenant"}
	}
	isGroup := src.Type == schema.GroupType
	if !isGroup && isExternal(src.Attrs) {
		l.step(StepScoping, "EntryScopeEvaluation", StatusSkipped,
			"user is external (guest or #EXT#) in the source tenant; only internal members are synchronized")
		return scopeResult{code: rules.ExternalUserNotSupported, why: "external user"}
	}
	if cfg.Mode == scope.AssignedOnly {
		var e scope.Entitlement
		if isGroup {
			e = cfg.Assignments.Group(src.ID)
		} else {
			e = cfg.Assignments.User(src.ID, src.DirectGroups)
		}
		if !e.Assigned {
			l.step(StepScoping, "EntryScopeEvaluation", StatusSkipped,
				"%s is not assigned to the configuration, directly or as a direct member of an assigned group (nested groups are not expanded)", src.Type)
			return scopeResult{code: rules.NotEffectivelyEntitled, why: "not assigned"}
		}
		if e.Via == "direct" {
			l.step(StepScoping, "EntryScopeEvaluation", StatusSuccess, "%s is assigned to the configuration", src.Type)
		} else {
			l.step(StepScoping, "EntryScopeEvaluation", StatusSuccess, "%s is a direct member of assigned group %s", src.Type, e.Via)
		}
	} else {
		l.step(StepScoping, "EntryScopeEvaluation", StatusSuccess, "scope is \"sync all users\"")
	}
	if isGroup {
		info := scope.ClassifyGroup(src.Attrs)
		if !info.Supported() {
			l.step(StepScoping, "EntryScopeEvaluation", StatusSkipped,
				"%s groups are not supported by cross-tenant synchronization; only security and Microsoft 365 groups are", info.Kind)
			return scopeResult{code: rules.UnsupportedGroupType, why: string(info.Kind) + " group"}
		}
	}
	if ok, g := or.Filters.Match(src.Attrs); !ok {
		l.step(StepScoping, "EntryScopeEvaluation", StatusSkipped, "scoping filters not satisfied: %s",
			scope.Describe(or.Filters.Explain(src.Attrs)))
		return scopeResult{code: rules.NotInScope, why: "scoping filters not satisfied"}
	} else if g >= 0 {
		l.step(StepScoping, "EntryScopeEvaluation", StatusSuccess, "scoping filter %d is satisfied", g+1)
	}
	return scopeResult{in: true}
}

// isExternal spots users that are themselves B2B users in the source: only
// internal members are synchronized, which also prevents sync loops.
func isExternal(a map[string]any) bool {
	if v, ok := a["usertype"].(string); ok && strings.EqualFold(v, "Guest") {
		return true
	}
	if v, ok := a["userprincipalname"].(string); ok && strings.Contains(strings.ToUpper(v), "#EXT#") {
		return true
	}
	return false
}
