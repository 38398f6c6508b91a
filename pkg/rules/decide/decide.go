package decide

import (
	"sync"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/mapping"
	"github.com/xtsync/xtsync/pkg/rules/match"
	"github.com/xtsync/xtsync/pkg/rules/schema"
	"github.com/xtsync/xtsync/pkg/rules/scope"
)

// outputs recycles mapping outputs: one per decision, 25+ results each.
var outputs = sync.Pool{New: func() any { return new(mapping.Output) }}

// requiredOnCreate are the target attributes a create must carry, by
// object type, in schema order (schema.Object.Attributes copies the whole
// schema on every call).
var requiredOnCreate = func() map[string][]schema.Attribute {
	m := map[string][]schema.Attribute{}
	for _, o := range []*schema.Object{schema.TargetUser, schema.TargetGroup} {
		for _, a := range o.Attributes() {
			if a.RequiredOnCreate {
				m[o.Name] = append(m[o.Name], a)
			}
		}
	}
	return m
}()

// Decide returns the action for one object. It is pure: the same input
// always gives the same decision, so replays and on-demand provisioning
// explain exactly what a cycle did.
func Decide(cfg *Config, in Input) Decision {
	var d Decision
	src := &in.Source
	d.Log.step(StepImport, "EntryImport", StatusSuccess, "retrieved %s %s from the source tenant", src.Type, src.ID)
	or := &cfg.Users
	if src.Type == schema.GroupType {
		or = &cfg.Groups
		if !or.Enabled || cfg.Mode != scope.AssignedOnly {
			d.Log.step(StepScoping, "EntryScopeEvaluation", StatusSkipped,
				"groups are synchronized only when group provisioning is enabled and the scope is \"sync only assigned users and groups\"")
			return skip(&d, rules.EntityTypeNotSupported, "group synchronization is not enabled")
		}
	}
	if src.Type == schema.GroupType && in.Entry != nil && !in.Entry.CreatedBySync {
		d.Log.step(StepProcessing, "EntryProcessing", StatusSkipped, "target group %s was not created by this configuration", in.Entry.TargetID)
		return skip(&d, rules.NotCreatedBySync, "groups created outside sync are never managed")
	}
	sr := inScope(cfg, &in, or, &d.Log)
	if !sr.in {
		return deprovision(cfg, &in, or, sr, &d)
	}
	return provision(cfg, &in, or, &d)
}

func skip(d *Decision, code rules.Code, reason string) Decision {
	d.Action, d.Code = Skip, code
	d.Log.Action, d.Log.Status, d.Log.Code, d.Log.Reason = LogOther, StatusSkipped, string(code), reason
	return *d
}

func fail(d *Decision, err *rules.Error) Decision {
	d.Action, d.Code, d.Err = Fail, err.Code, err
	d.Log.Status, d.Log.Code, d.Log.Reason = StatusFailure, string(err.Code), err.Error()
	if d.Log.Action == "" {
		d.Log.Action = LogOther
	}
	d.Log.step(StepProcessing, "EntryProcessing", StatusFailure, "%s", err.Error())
	return *d
}

// expired reports whether a deprovisioned entry's retention ran out.
func expired(cfg *Config, e *Entry, in *Input) bool {
	return in.Now.Sub(e.Since) >= cfg.Retention
}

func provision(cfg *Config, in *Input, or *ObjectRules, d *Decision) Decision {
	e := in.Entry
	fresh := e == nil || e.State == Deleted ||
		(e.State == SoftDeleted && expired(cfg, e, in))
	mode := mapping.Existing
	if fresh {
		mode = mapping.Create
	}
	out := outputs.Get().(*mapping.Output)
	defer outputs.Put(out)
	if errs := or.Mappings.Evaluate(in.Source.Attrs, mode, cfg.Env, out); len(errs) > 0 {
		return fail(d, errs[0])
	}
	if m, ok := or.Mappings.Lookup(schema.IsSoftDeleted); ok {
		if b, _ := out.Results[m.Index()].Value.(bool); b {
			d.Log.step(StepScoping, "EntryScopeEvaluation", StatusSkipped, "IsSoftDeleted is true for the source object")
			return deprovision(cfg, in, or, scopeResult{code: rules.NotInScope, why: "IsSoftDeleted"}, d)
		}
	}
	if fresh {
		if e != nil && e.State == SoftDeleted {
			d.Log.step(StepProcessing, "EntryProcessing", StatusSuccess,
				"soft-delete retention ran out; the object is created again [%s]", rules.RestoreWindowExpired)
		}
		return provisionNew(cfg, in, or, out, d)
	}
	if in.TargetMissing {
		return fail(d, rules.Errorf(rules.InvalidAnchor, "", "target object %s recorded for this source object no longer exists", e.TargetID))
	}
	d.TargetID = e.TargetID
	if e.State == SoftDeleted || e.State == Disabled {
		if !or.Actions.Update {
			return skip(d, rules.ActionDisabled, "update action is disabled")
		}
		d.Action, d.Log.Action = Restore, LogUpdate
		d.Log.step(StepProcessing, "EntryProcessing", StatusSuccess,
			"object is back in scope within the %s soft-delete retention; restoring target object %s", cfg.Retention, e.TargetID)
		changes, exported := diff(or.Mappings, out, e.Exported, in.Target, false)
		return finish(cfg, in, or, d, changes, exported, e.CreatedBySync)
	}
	changes, exported := diff(or.Mappings, out, e.Exported, in.Target, false)
	if len(changes) == 0 && in.VerifyMembers && in.Source.Type == schema.GroupType && e.CreatedBySync && or.Actions.Update {
		if mc, ok := membersChange(or.Mappings, out); ok {
			d.Action, d.Log.Action = Update, LogUpdate
			d.Log.step(StepProcessing, "EntryProcessing", StatusSuccess,
				"full resync: attributes equal what was last exported; verifying the members of target group %s", e.TargetID)
			return finish(cfg, in, or, d, []Change{mc}, exported, e.CreatedBySync)
		}
	}
	if len(changes) == 0 {
		d.Log.step(StepProcessing, "EntryProcessing", StatusSkipped, "mapped attributes equal what was last exported")
		return skip(d, rules.NoChange, "no change since last export")
	}
	if !or.Actions.Update {
		return skip(d, rules.ActionDisabled, "update action is disabled")
	}
	d.Action, d.Log.Action = Update, LogUpdate
	d.Log.step(StepProcessing, "EntryProcessing", StatusSuccess, "%d attribute(s) changed in the source; updating target object %s", len(changes), e.TargetID)
	return finish(cfg, in, or, d, changes, exported, e.CreatedBySync)
}

// provisionNew handles an object with no live target: match, then create.
func provisionNew(cfg *Config, in *Input, or *ObjectRules, out *mapping.Output, d *Decision) Decision {
	set := or.Mappings
	qs, qerr := match.Queries(set, out)
	if qerr != nil {
		return fail(d, qerr)
	}
	if in.Source.Type == schema.UserType {
		if m, ok := set.Lookup(schema.AccountEnabled); ok {
			if b, isBool := out.Results[m.Index()].Value.(bool); isBool && !b {
				d.Log.step(StepProcessing, "EntryProcessing", StatusSkipped, "disabled source users are not provisioned")
				return skip(d, rules.SourceUserDisabled, "source user is disabled")
			}
		}
	}
	if len(qs) > 0 && in.MatchResults != nil {
		oc, err := match.Resolve(qs, in.MatchResults)
		if err != nil {
			d.Log.step(StepMatching, "EntryMatching", StatusFailure, "%s", err.Msg)
			return fail(d, err)
		}
		if oc.Found != nil {
			d.Log.step(StepMatching, "EntryMatching", StatusSuccess,
				"matched existing target object %s on %s = %s", oc.Found.ID, oc.Query.Attribute, oc.Query.Value)
			if !or.Actions.Update {
				return skip(d, rules.ActionDisabled, "update action is disabled")
			}
			var ex mapping.Output
			if errs := set.Evaluate(in.Source.Attrs, mapping.Existing, cfg.Env, &ex); len(errs) > 0 {
				return fail(d, errs[0])
			}
			d.Action, d.TargetID, d.Log.Action = Update, oc.Found.ID, LogUpdate
			changes, exported := diff(set, &ex, nil, in.Target, true)
			return finish(cfg, in, or, d, changes, exported, false)
		}
		d.Log.step(StepMatching, "EntryMatching", StatusSuccess, "no target object matched; a new one is created")
	} else if len(qs) > 0 {
		d.Match = qs
		d.Log.step(StepMatching, "EntryMatching", StatusSuccess,
			"the writer looks up %s = %s (and %d more) before creating", qs[0].Attribute, qs[0].Value, len(qs)-1)
	} else {
		d.Log.step(StepMatching, "EntryMatching", StatusSkipped, "no matching attributes: objects are linked only by the connector data store")
	}
	if !or.Actions.Create {
		return skip(d, rules.ActionDisabled, "create action is disabled")
	}
	for _, a := range requiredOnCreate[set.ObjectType()] {
		if m, ok := set.Lookup(a.Name); ok && !out.Results[m.Index()].Flow {
			return fail(d, rules.Errorf(rules.MandatoryFieldsMissing, a.Name,
				"%s is required to create the %s but %s is null", a.Name, set.ObjectType(), m.Describe()))
		}
	}
	if d.Match != nil {
		var ex mapping.Output
		if errs := set.Evaluate(in.Source.Attrs, mapping.Existing, cfg.Env, &ex); len(errs) == 0 {
			d.OnMatch, _ = diff(set, &ex, nil, nil, true)
		}
	}
	d.Action, d.Log.Action = Create, LogCreate
	d.Log.step(StepProcessing, "EntryProcessing", StatusSuccess, "%s is in scope and not provisioned yet; creating it", in.Source.Type)
	changes, exported := diff(set, out, nil, nil, true)
	return finish(cfg, in, or, d, changes, exported, true)
}
