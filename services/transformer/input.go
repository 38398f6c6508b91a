package transformer

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/pkg/rules/schema"
)

func deleted(ch *eventsv1.SourceChange) bool {
	k := ch.GetKind()
	return k == eventsv1.ChangeKind_CHANGE_KIND_SOFT_DELETED || k == eventsv1.ChangeKind_CHANGE_KIND_HARD_DELETED
}

// decide builds the decision input of one change and runs the rules. A
// full cycle (first, restart, expired delta) verifies the members of every
// synced group, repairing target-side drift.
func (t *Transformer) decide(cfg *decide.Config, ch *eventsv1.SourceChange, bag bag, entries map[string]redisx.Entry,
	direct map[string][]string, resolve func(string) (string, bool), full bool) decide.Decision {
	obj := ch.GetObject()
	id := obj.GetObjectId()
	var typ string
	switch obj.GetType() {
	case commonv1.ObjectType_OBJECT_TYPE_USER:
		typ = schema.UserType
	case groupType:
		typ = schema.GroupType
	default:
		return unsupported(id, obj.GetType())
	}
	if bag.err != nil {
		return undecodable(bag.err)
	}
	attrs := sourceAttrs(ch, bag.attrs)
	in := decide.Input{
		Source: decide.Source{ID: id, Type: typ, Attrs: attrs, Deleted: deleted(ch), DirectGroups: direct[id]},
		Entry:  toDecideEntry(entries, id),
		// The reader's observation time makes a redelivered batch decide
		// the same way (retention runs out at the same instant).
		Now:           t.deps.Now(),
		Resolve:       resolve,
		VerifyMembers: full,
	}
	if ts := ch.GetObservedAt(); ts != nil {
		in.Now = ts.AsTime()
	}
	return decide.Decide(cfg, in)
}

// toDecideEntry converts the stored entry. An Active entry without a
// target id is a create whose outcome never came back: treat the object as
// not provisioned, so the create (safe to repeat thanks to matching) runs
// again.
func toDecideEntry(entries map[string]redisx.Entry, id string) *decide.Entry {
	e, ok := entries[id]
	if !ok || (e.TargetID == "" && e.State == redisx.Active) {
		return nil
	}
	return &decide.Entry{SourceID: e.SourceID, TargetID: e.TargetID, State: decide.State(e.State),
		Since: e.Since, CreatedBySync: e.CreatedBySync, Exported: e.Exported}
}

// unsupported is the decision for an object type the rules do not know.
func unsupported(id string, t commonv1.ObjectType) decide.Decision {
	d := decide.Decision{Action: decide.Skip, Code: rules.EntityTypeNotSupported}
	d.Log.Action, d.Log.Status, d.Log.Code = decide.LogOther, decide.StatusSkipped, string(rules.EntityTypeNotSupported)
	d.Log.Reason = fmt.Sprintf("object %s has type %s, which is not synchronized", id, t)
	return d
}

// undecodable is the decision for a change whose attributes are not a
// JSON object: the object fails (logged, retried next cycle) and the rest
// of its batch goes on.
func undecodable(err error) decide.Decision {
	d := decide.Decision{Action: decide.Fail, Code: rules.InvalidAttributeValue,
		Err: rules.Errorf(rules.InvalidAttributeValue, "", "%v", err).Wrap(err)}
	d.Log.Action, d.Log.Status, d.Log.Code = decide.LogOther, decide.StatusFailure, string(rules.InvalidAttributeValue)
	d.Log.Reason = err.Error()
	return d
}

// retype corrects the type of a deletion from the connector entry: a
// reader that only knows an id is gone (a revisit of a deleted object)
// reports it as a user, but the entry knows a group was provisioned.
func retype(ch *eventsv1.SourceChange, entries map[string]redisx.Entry) *eventsv1.SourceChange {
	obj := ch.GetObject()
	if !deleted(ch) || obj.GetType() != commonv1.ObjectType_OBJECT_TYPE_USER {
		return ch
	}
	if e, ok := entries[obj.GetObjectId()]; !ok || e.Type != redisx.Groups {
		return ch
	}
	c := proto.CloneOf(ch)
	c.Object.Type = groupType
	return c
}
