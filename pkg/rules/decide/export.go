package decide

import (
	"maps"
	"strings"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/mapping"
	"github.com/xtsync/xtsync/pkg/rules/schema"
)

// diff picks the attributes to write. With all set (create, first match)
// every flowing attribute is written. Otherwise an attribute is written when
// its hash differs from the last export; if anything changed and the caller
// fetched the target, attributes whose target value drifted are written too:
// target-side edits persist until the source changes, then the whole object
// is brought back in line (Entra's documented behaviour, which also
// re-enables a user blocked in the target).
func diff(set *mapping.Set, out *mapping.Output, exported map[string]uint64, tgt *Target, all bool) ([]Change, map[string]uint64) {
	ms := set.Mappings()
	changed, flows := false, 0
	for i := range ms {
		r := &out.Results[i]
		name := ms[i].Attr.Name
		if !r.Flow || name == schema.IsSoftDeleted {
			continue
		}
		flows++
		prev, had := exported[name]
		if all || !had || prev != r.Hash {
			changed = true
		}
	}
	if !changed {
		return nil, exported
	}
	var changes []Change
	if all { // every flowing attribute: one allocation, not a growing slice
		changes = make([]Change, 0, flows)
	}
	next := make(map[string]uint64, len(ms))
	maps.Copy(next, exported)
	for i := range ms {
		r := &out.Results[i]
		m := &ms[i]
		name := m.Attr.Name
		if !r.Flow || name == schema.IsSoftDeleted {
			continue
		}
		prev, had := exported[name]
		var old any
		drift := false
		if tgt != nil && comparable(m.Attr) {
			old, _ = tgt.Attrs.Get(name)
			drift = mapping.Hash(normalize(old)) != r.Hash
		}
		if all || !had || prev != r.Hash || drift {
			changes = append(changes, Change{Attribute: name, Graph: m.Attr.Graph, Old: old,
				New: r.Value, Hash: r.Hash, Redacted: m.Redacted()})
			next[name] = r.Hash
		}
	}
	return changes, next
}

// membersChange is the members mapping's value as a change, whatever was
// last exported.
func membersChange(set *mapping.Set, out *mapping.Output) (Change, bool) {
	m, ok := set.Lookup(schema.Members)
	if !ok {
		return Change{}, false
	}
	r := &out.Results[m.Index()]
	if !r.Flow {
		return Change{}, false
	}
	return Change{Attribute: schema.Members, Graph: m.Attr.Graph, New: r.Value, Hash: r.Hash}, true
}

// comparable reports whether a target value read from Graph can be
// compared with the mapped value: the B2B identity is not readable and
// references hold target ids, not source ids.
func comparable(a schema.Attribute) bool {
	return a.Graph != "" && a.Type != schema.Binary && a.Type != schema.Reference
}

// normalize brings a Graph-decoded value to the shapes mappings produce.
func normalize(v any) any {
	switch x := v.(type) {
	case float64:
		if n := int64(x); float64(n) == x {
			return n
		}
	case int:
		return int64(x)
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		if x == "" {
			return nil
		}
	}
	return v
}

// finish resolves references, records modified properties and builds the
// connector data store entry to persist after a successful export.
func finish(cfg *Config, in *Input, or *ObjectRules, d *Decision, changes []Change, exported map[string]uint64, createdBySync bool) Decision {
	kept := changes[:0]
	if d.Log.Modified == nil && len(changes) > 0 {
		d.Log.Modified = make([]ModifiedProperty, 0, len(changes))
	}
	for _, c := range changes {
		switch v := c.New.(type) {
		case mapping.Ref:
			id, ok := resolve(in, v.SourceID)
			if !ok {
				// Not provisioned yet: drop the change and forget its hash so
				// the next cycle tries again (Entra's reference resolution).
				delete(exported, c.Attribute)
				d.Log.step(StepReferenceResolution, "EntryReferenceResolution", StatusWarning,
					"%s %s is not provisioned yet; %s is set in a later cycle", c.Attribute, v.SourceID, c.Attribute)
				continue
			}
			c.New = id
		case []mapping.Ref:
			m := &Members{}
			for _, r := range v {
				if id, ok := resolve(in, r.SourceID); ok {
					m.Set = append(m.Set, id)
				} else {
					m.Pending = append(m.Pending, r.SourceID)
				}
			}
			d.Members = m
			if len(m.Pending) > 0 {
				delete(exported, c.Attribute)
				d.Log.step(StepReferenceResolution, "EntryReferenceResolution", StatusWarning,
					"%d member(s) not provisioned yet; membership is completed in a later cycle", len(m.Pending))
			}
			if in.Source.NestedGroupMembers > 0 {
				d.Log.step(StepReferenceResolution, "EntryReferenceResolution", StatusWarning,
					"%d nested group member(s) ignored: only direct user members are synchronized", in.Source.NestedGroupMembers)
			}
			continue
		}
		kept = append(kept, c)
		d.Log.Modified = append(d.Log.Modified, ModifiedProperty{DisplayName: c.Attribute,
			OldValue: renderValue(c.Old, c.Redacted), NewValue: renderValue(c.New, c.Redacted)})
	}
	d.Changes = kept
	d.Log.Status = StatusSuccess
	since := in.Now
	if in.Entry != nil && in.Entry.State == Active {
		since = in.Entry.Since
	}
	d.Entry = &Entry{SourceID: in.Source.ID, TargetID: d.TargetID, State: Active, Since: since,
		CreatedBySync: createdBySync, Exported: exported}
	return *d
}

func resolve(in *Input, sourceID string) (string, bool) {
	if in.Resolve == nil || sourceID == "" {
		return "", false
	}
	return in.Resolve(sourceID)
}

func deprovision(cfg *Config, in *Input, or *ObjectRules, sr scopeResult, d *Decision) Decision {
	e := in.Entry
	if e == nil || e.State == Deleted {
		d.Log.step(StepProcessing, "EntryProcessing", StatusSkipped, "object is out of scope (%s) and was never provisioned", sr.why)
		return skip(d, sr.code, "out of scope: "+sr.why)
	}
	d.TargetID = e.TargetID
	if e.State == SoftDeleted || e.State == Disabled {
		if !expired(cfg, e, in) {
			d.Log.step(StepProcessing, "EntryProcessing", StatusSkipped,
				"target object %s is already %s since %s; hard delete after %s", e.TargetID,
				strings.ToLower(string(e.State)), e.Since.Format("2006-01-02"), cfg.Retention)
			return skip(d, rules.AlreadyDeprovisioned, "already deprovisioned")
		}
		return hardDelete(d, e, in, "soft-delete retention of "+cfg.Retention.String()+" ran out")
	}
	if !in.Source.Deleted && cfg.SkipOutOfScopeDeletions {
		d.Log.step(StepProcessing, "EntryProcessing", StatusSkipped, "object left scope (%s); SkipOutOfScopeDeletions keeps it", sr.why)
		return skip(d, sr.code, "out of scope, deletion skipped")
	}
	if !or.Actions.Delete {
		d.Log.step(StepProcessing, "EntryProcessing", StatusSkipped, "object left scope (%s); the delete action is disabled", sr.why)
		return skip(d, rules.ActionDisabled, "delete action is disabled")
	}
	d.Deprovisions = true
	if cfg.Retention == 0 {
		return hardDelete(d, e, in, "object left scope ("+sr.why+") and the soft-delete threshold is 0")
	}
	next := *e
	next.Since = in.Now
	if in.Source.Type == schema.UserType && cfg.Deprovision == DeprovisionDisable {
		d.Action, d.Log.Action = Disable, LogDisable
		d.Changes = []Change{{Attribute: schema.AccountEnabled, Graph: schema.AccountEnabled, New: false, Hash: mapping.Hash(false)}}
		d.Log.Modified = []ModifiedProperty{{DisplayName: schema.AccountEnabled, NewValue: "false"}}
		next.State = Disabled
		// Record the disable as the last export so a restore re-sends the
		// source's accountEnabled.
		next.Exported = maps.Clone(e.Exported)
		if next.Exported == nil {
			next.Exported = map[string]uint64{}
		}
		next.Exported[schema.AccountEnabled] = mapping.Hash(false)
	} else {
		d.Action, d.Log.Action = SoftDelete, LogDelete
		next.State = SoftDeleted
	}
	d.Log.Status = StatusSuccess
	d.Log.step(StepProcessing, "EntryProcessing", StatusSuccess,
		"object left scope (%s); %s target object %s, restorable for %s", sr.why,
		strings.ToLower(string(d.Action)), e.TargetID, cfg.Retention)
	d.Code = sr.code
	d.Entry = &next
	return *d
}

func hardDelete(d *Decision, e *Entry, in *Input, why string) Decision {
	d.Action, d.Log.Action, d.Log.Status, d.Deprovisions = HardDelete, LogDelete, StatusSuccess, true
	d.Log.step(StepProcessing, "EntryProcessing", StatusSuccess, "%s; permanently deleting target object %s", why, e.TargetID)
	d.Entry = &Entry{SourceID: e.SourceID, TargetID: e.TargetID, State: Deleted, Since: in.Now, CreatedBySync: e.CreatedBySync}
	return *d
}
