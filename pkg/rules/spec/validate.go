package spec

import (
	"strings"
	"time"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/pkg/rules/mapping"
	"github.com/xtsync/xtsync/pkg/rules/mapping/exprbind"
	"github.com/xtsync/xtsync/pkg/rules/schema"
	"github.com/xtsync/xtsync/pkg/rules/scope"
)

// Validate checks the rules, expressions included, and returns every
// problem at once (rules.FieldErrors, sorted by path).
func (r *Rules) Validate() error {
	_, err := r.Compile(nil)
	return err
}

// Compile validates the rules and builds the decide.Config. Every problem is
// returned at once as rules.FieldErrors, sorted by path. A nil compiler means
// the expression engine (pkg/rules/expr).
func (r *Rules) Compile(c mapping.Compiler) (*decide.Config, error) {
	if c == nil {
		c = exprbind.Compiler{}
	}
	var errs rules.FieldErrors
	cfg := &decide.Config{Retention: DefaultSoftDeleteThresholdDays * 24 * time.Hour}

	mode, err := scope.ParseMode(r.Scope)
	if err != nil {
		errs.Add(rules.Errorf(rules.InvalidValue, "scope", "%s", err.Error()))
	}
	cfg.Mode = mode
	if strings.TrimSpace(r.SourceTenantID) == "" {
		errs.Addf(rules.Required, "sourceTenantId", "the source tenant id is required")
	}
	cfg.Assignments = scope.NewAssignments(r.Assignments.Users, r.Assignments.Groups)
	errs = append(errs, checkIDs("assignments.users", r.Assignments.Users)...)
	errs = append(errs, checkIDs("assignments.groups", r.Assignments.Groups)...)

	switch strings.ToLower(r.Deprovision) {
	case "", "softdelete":
		cfg.Deprovision = decide.DeprovisionSoftDelete
	case "disable":
		cfg.Deprovision = decide.DeprovisionDisable
	default:
		errs.Addf(rules.InvalidValue, "deprovision", "must be SoftDelete or Disable, not %q", r.Deprovision)
	}
	if d := r.SoftDeleteThresholdDays; d != nil {
		switch {
		case *d < 0:
			errs.Addf(rules.InvalidValue, "softDeleteThresholdDays", "must be 0 (hard delete at once) or more")
		case *d > MaxDisableThresholdDays:
			errs.Addf(rules.InvalidValue, "softDeleteThresholdDays", "at most %d days", MaxDisableThresholdDays)
		case *d > MaxSoftDeleteThresholdDays && cfg.Deprovision == decide.DeprovisionSoftDelete:
			errs.Addf(rules.InvalidValue, "softDeleteThresholdDays",
				"at most %d with SoftDelete: the target purges deleted items after %d days", MaxSoftDeleteThresholdDays, MaxSoftDeleteThresholdDays)
		}
		cfg.Retention = time.Duration(*d) * 24 * time.Hour
	}
	cfg.SkipOutOfScopeDeletions = r.SkipOutOfScopeDeletions
	if t := r.AccidentalDeletion.Threshold; t != nil && *t < 1 {
		errs.Addf(rules.InvalidValue, "accidentalDeletion.threshold", "must be at least 1 (disable prevention with enabled: false)")
	}

	usersOn := r.Users.Enabled == nil || *r.Users.Enabled
	groupsOn := r.Groups.Enabled != nil && *r.Groups.Enabled
	if !usersOn && groupsOn {
		errs.Addf(rules.Unsupported, "users.enabled", "group synchronization needs user synchronization (members are users)")
	}
	if groupsOn && mode == scope.AllUsers {
		errs.Addf(rules.Unsupported, "scope", "group synchronization requires scope %s (\"sync all users\" is not supported with groups)", scope.AssignedOnly)
	}
	if mode == scope.AssignedOnly && usersOn && len(r.Assignments.Users)+len(r.Assignments.Groups) == 0 {
		errs.Addf(rules.Required, "assignments", "at least one user or group must be assigned when the scope is %s", scope.AssignedOnly)
	}
	cfg.Users = r.Users.compile(schema.UserType, usersOn, mapping.DefaultUser, r.SourceTenantID, c, "users", &errs)
	cfg.Groups = r.Groups.compile(schema.GroupType, groupsOn, mapping.DefaultGroup, r.SourceTenantID, c, "groups", &errs)
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	return cfg, nil
}

func (o *Object) compile(objType string, on bool, defaults func() []mapping.Spec, tenant string,
	c mapping.Compiler, path string, errs *rules.FieldErrors) decide.ObjectRules {
	or := decide.ObjectRules{Enabled: on, Actions: decide.Actions{Create: true, Update: true, Delete: true}}
	if o.Actions != nil {
		or.Actions = decide.Actions(*o.Actions)
	}
	filters, ferrs := scope.Compile(o.ScopingFilters, schema.Source(objType))
	errs.Merge(path, ferrs)
	or.Filters = filters
	specs := o.Mappings
	if len(specs) == 0 {
		specs = defaults()
	}
	opts := mapping.Options{ObjectType: objType, Compiler: c, SourceTenantID: tenant, CustomMatching: o.CustomMatching}
	set, merrs := mapping.Compile(specs, opts)
	errs.Merge(path, merrs)
	or.Mappings = set
	return or
}

func checkIDs(path string, ids []string) rules.FieldErrors {
	var errs rules.FieldErrors
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		p := rules.Index(path, i)
		k := strings.ToLower(strings.TrimSpace(id))
		switch {
		case k == "":
			errs.Addf(rules.Required, p, "empty object id")
		case seen[k]:
			errs.Addf(rules.Duplicate, p, "object id %q assigned twice", id)
		}
		seen[k] = true
	}
	return errs
}

// DeletionThreshold returns the effective accidental-deletion threshold, 0
// when prevention is disabled.
func (r *Rules) DeletionThreshold() int {
	if e := r.AccidentalDeletion.Enabled; e != nil && !*e {
		return 0
	}
	if t := r.AccidentalDeletion.Threshold; t != nil {
		return *t
	}
	return DefaultDeletionThreshold
}
