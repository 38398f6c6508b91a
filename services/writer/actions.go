package writer

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// plan queues the steps of t's action. Creates have been through matching
// (prepareCreates) already: a found object turned them into updates.
func (a *applier) plan(t *task) {
	in := t.in
	switch in.GetAction() {
	case eventsv1.WriteAction_WRITE_ACTION_CREATE:
		changes := in.GetChanges()
		if t.matchedBy != "" {
			changes = in.GetOnMatch()
		}
		var b body
		var f *failure
		if t.created != nil && t.matchedBy == "" {
			b, t.created = *t.created, nil
		} else {
			b, f = buildBody(changes, t.user)
		}
		if f != nil {
			t.fail = f
			return
		}
		switch {
		case t.targetID != "":
			t.then(a.patch(b), a.manager(b))
		case t.user:
			t.then(a.invite(b), a.patch(withoutInvited(b)), a.manager(b))
		default:
			t.then(a.createGroup(b))
		}
		if !t.user {
			t.then(a.members(t.targetID == ""))
		}
	case eventsv1.WriteAction_WRITE_ACTION_UPDATE:
		b, f := buildBody(in.GetChanges(), t.user)
		if f != nil {
			t.fail = f
			return
		}
		t.then(a.patch(b), a.manager(b))
		if !t.user {
			t.then(a.members(false))
		}
	case eventsv1.WriteAction_WRITE_ACTION_DISABLE:
		t.then(a.patch(body{attrs: graph.Attributes{"accountEnabled": false}}))
	case eventsv1.WriteAction_WRITE_ACTION_DELETE:
		t.then(a.del())
	case eventsv1.WriteAction_WRITE_ACTION_RESTORE:
		b, f := buildBody(in.GetChanges(), t.user)
		if f != nil {
			t.fail = f
			return
		}
		t.then(a.restore(), a.patch(b), a.manager(b))
	case eventsv1.WriteAction_WRITE_ACTION_HARD_DELETE:
		// DELETE first: a disabled (not soft-deleted) object is still live.
		t.then(a.del(), a.purge())
	default:
		t.failWith(rules.Unsupported, fmt.Sprintf("action %s is not a write", in.GetAction()))
	}
	if (t.targetID == "") && in.GetAction() != eventsv1.WriteAction_WRITE_ACTION_CREATE {
		t.failWith(rules.InvalidAnchor, "intent has no target object id")
	}
}

// withoutInvited drops what the invitation already set.
func withoutInvited(b body) body {
	attrs := graph.Attributes{}
	for k, v := range b.attrs {
		if k != "mail" {
			attrs[k] = v
		}
	}
	b.attrs = attrs
	return b
}

func (a *applier) invite(b body) func(*task) []*item {
	return func(t *task) []*item {
		addr := b.inviteAddress()
		if addr == "" {
			t.failWith(rules.MandatoryFieldsMissing, "no mail, otherMails or userPrincipalName to invite the B2B user with")
			return nil
		}
		userType := b.str("userType")
		if userType == "" {
			userType = "Member"
		}
		req := graph.InviteRequest("", graph.Invitation{
			Email: addr, DisplayName: b.str("displayName"), UserType: userType, SendMessage: false,
		})
		return []*item{a.newItem(req, func(res graph.BatchResult) {
			u, _ := res.Body["invitedUser"].(map[string]any)
			id, _ := u["id"].(string)
			if id == "" {
				t.failWith(CodeGraphRequestRejected, "invitation answered without invitedUser.id")
				return
			}
			t.targetID = id
		}, nil)}
	}
}

func (a *applier) createGroup(b body) func(*task) []*item {
	return func(t *task) []*item {
		attrs := graph.Attributes{"securityEnabled": true, "mailEnabled": false}
		for k, v := range b.attrs {
			attrs[k] = v
		}
		attrs["mailNickname"] = groupNickname(t, b)
		return []*item{a.newItem(graph.CreateGroupRequest("", attrs), func(res graph.BatchResult) {
			id, _ := res.Body["id"].(string)
			if id == "" {
				t.failWith(CodeGraphRequestRejected, "group create answered without id")
				return
			}
			t.targetID = id
		}, nil)}
	}
}

func (a *applier) patch(b body) func(*task) []*item {
	return func(t *task) []*item {
		if len(b.attrs) == 0 {
			return nil
		}
		req := graph.BatchRequest{Method: http.MethodPatch, URL: objectPath(t.user, t.targetID), Body: b.attrs}
		return []*item{a.newItem(req, nil, nil)}
	}
}

func (a *applier) manager(b body) func(*task) []*item {
	return func(t *task) []*item {
		if b.manager == nil || !t.user {
			return nil
		}
		u := objectPath(true, t.targetID) + "/manager/$ref"
		if *b.manager == "" {
			return []*item{a.newItem(graph.BatchRequest{Method: http.MethodDelete, URL: u}, nil, notFoundOK)}
		}
		req := graph.BatchRequest{Method: http.MethodPut, URL: u, Body: map[string]any{"@odata.id": a.refURL(*b.manager)}}
		return []*item{a.newItem(req, nil, nil)}
	}
}

func (a *applier) del() func(*task) []*item {
	return func(t *task) []*item {
		req := graph.BatchRequest{Method: http.MethodDelete, URL: objectPath(t.user, t.targetID)}
		return []*item{a.newItem(req, nil, notFoundOK)}
	}
}

func (a *applier) purge() func(*task) []*item {
	return func(t *task) []*item {
		req := graph.BatchRequest{Method: http.MethodDelete, URL: "/directory/deletedItems/" + url.PathEscape(t.targetID)}
		return []*item{a.newItem(req, nil, notFoundOK)}
	}
}

func (a *applier) restore() func(*task) []*item {
	return func(t *task) []*item {
		// 404: not in deleted items, e.g. restored by an earlier delivery;
		// the PATCH that follows fails with InvalidAnchor if it is gone.
		return []*item{a.newItem(graph.RestoreRequest("", t.targetID), nil, notFoundOK)}
	}
}

// groupNickname is the mailNickname a group is created with: the mapped
// one, else xtsync-<source id>. The create's lookup filters on it, so it
// must be the same on every delivery.
func groupNickname(t *task, b body) string {
	if s, ok := b.attrs["mailNickname"].(string); ok && s != "" {
		return s
	}
	id := strings.ReplaceAll(t.in.GetSource().GetObjectId(), "-", "")
	return "xtsync-" + id[:min(16, len(id))]
}
