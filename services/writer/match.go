package writer

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/match"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// lookup is one $filter run before a create.
type lookup struct {
	filter, attr string
	// isMatch: a match_query (a hit is a match taken over with on_match);
	// otherwise the writer's own invited-address lookup (a hit is the user
	// an earlier delivery created).
	isMatch bool
}

// prepareCreates makes creates safe to repeat. In order, for each create:
//
//  1. the connector data store: an entry with a target id means an earlier
//     delivery of this intent already created (or matched) the object and
//     stored it, then died before the ack;
//  2. the intent's match_queries, in precedence order (a hit is a match:
//     update with on_match; two hits are DuplicateTargetEntries). A query
//     Graph refuses with 400 (alternativeSecurityIds is not filterable on
//     users in Graph v1.0 nor in graphsim) is skipped with a warning;
//  3. for users, the address the writer invites with: mail eq, then
//     otherMails/any. This is what finds a user created by a delivery that
//     died before storing its entry. Graph's invitation API itself answers
//     a repeated invitation of the same address with the same user. For
//     groups, the mailNickname the create sends (groupNickname).
//
// The lookups of 2 and 3 are GETs queued as steps, so they travel in the
// same $batch rounds as the writes.
func (a *applier) prepareCreates(ctx context.Context, tasks []*task) error {
	var creates []*task
	var ids []string
	for _, t := range tasks {
		if t.in.GetAction() == eventsv1.WriteAction_WRITE_ACTION_CREATE && t.fail == nil {
			creates = append(creates, t)
			ids = append(ids, t.in.GetSource().GetObjectId())
		}
	}
	if len(creates) == 0 {
		return nil
	}
	entries, err := a.w.d.Connectors.GetMany(ctx, a.cfgID, ids)
	if err != nil {
		return fmt.Errorf("read connector entries: %w", err)
	}
	for _, t := range creates {
		if e, ok := entries[t.in.GetSource().GetObjectId()]; ok && e.TargetID != "" && e.State != redisx.Deleted {
			t.targetID = e.TargetID
			created := e.CreatedBySync
			t.createdBySync, t.matchedBy = &created, e.MatchedBy
			continue
		}
		t.lookups = a.w.refusals.skip(a.tenant, lookupsOf(t), time.Now())
		if len(t.lookups) > 0 {
			t.then(a.lookup(0))
		}
	}
	return nil
}

func lookupsOf(t *task) []lookup {
	var out []lookup
	for _, q := range t.in.GetMatchQueries() {
		out = append(out, lookup{filter: q.GetFilter(), attr: q.GetAttribute(), isMatch: true})
	}
	b, f := buildBody(t.in.GetChanges(), t.user)
	if f != nil {
		return out // plan reports it
	}
	t.created = &b
	if !t.user {
		// The mailNickname the create sends finds the group an earlier
		// delivery created and died before storing its entry.
		if lit, err := match.Literal("mailNickname", groupNickname(t, b)); err == nil {
			out = append(out, lookup{filter: "mailNickname eq " + lit, attr: "mailNickname"})
		}
		return out
	}
	if addr := b.inviteAddress(); addr != "" {
		if lit, err := match.Literal("mail", addr); err == nil {
			out = append(out, lookup{filter: "mail eq " + lit, attr: "mail"},
				lookup{filter: "otherMails/any(x:x eq " + lit + ")", attr: "otherMails"})
		}
	}
	return out
}

// lookup runs t.lookups[i] unless matching is over, then plans the write.
func (a *applier) lookup(i int) func(*task) []*item {
	return func(t *task) []*item {
		if t.fail != nil || t.targetID != "" || i >= len(t.lookups) {
			a.plan(t)
			return nil
		}
		q := t.lookups[i]
		t.steps = append([]func(*task) []*item{a.lookup(i + 1)}, t.steps...)
		u := "/users?$filter=" + url.QueryEscape(q.filter) + "&$select=id,userPrincipalName,userType,mail"
		if !t.user {
			u = "/groups?$filter=" + url.QueryEscape(q.filter) + "&$select=id,mailNickname"
		}
		req := graph.BatchRequest{Method: http.MethodGet, URL: u}
		refused := func(res graph.BatchResult) bool { return res.Status == http.StatusBadRequest }
		return []*item{a.newItem(req, func(res graph.BatchResult) {
			if res.Status == http.StatusBadRequest {
				a.w.refusals.refused(a.tenant, q.attr, time.Now())
				a.refusedOnce.Do(func() {
					a.w.log.Warn("writer: match query refused by Graph, skipped",
						"configuration_id", a.cfgID, "attribute", q.attr, "filter", q.filter, "err", errText(res))
				})
				a.w.m.unsupportedMatch.Add(context.Background(), 1, a.w.m.tenantAttr(a.tenant))
				return
			}
			a.w.refusals.answered(a.tenant, q.attr)
			a.matched(t, usersOf(res), q.attr, q.isMatch)
		}, refused)}
	}
}

func usersOf(res graph.BatchResult) []graph.User {
	vals, _ := res.Body["value"].([]any)
	out := make([]graph.User, 0, len(vals))
	for _, v := range vals {
		m, _ := v.(map[string]any)
		id, _ := m["id"].(string)
		upn, _ := m["userPrincipalName"].(string)
		if id != "" {
			out = append(out, graph.User{ID: id, UserPrincipalName: upn})
		}
	}
	return out
}

// matched records the outcome of one lookup.
func (a *applier) matched(t *task, hits []graph.User, attr string, isMatch bool) {
	switch len(hits) {
	case 0:
		return
	case 1:
		if upn := hits[0].UserPrincipalName; t.user && upn != "" && !strings.Contains(strings.ToUpper(upn), "#EXT#") {
			// An internal user of the target tenant is never taken over.
			t.failWith(rules.EntryConflict, fmt.Sprintf("target user %s (%s) is not a B2B user", hits[0].ID, upn))
			return
		}
		t.targetID = hits[0].ID
		if isMatch {
			t.matchedBy = attr
			no := false
			t.createdBySync = &no
		}
		return
	}
	kind := "users"
	if !t.user {
		kind = "groups"
	}
	t.failWith(rules.DuplicateTargetEntries, fmt.Sprintf("%d target %s match %s", len(hits), kind, attr))
}

// refusals remembers, per target tenant, the match attributes whose
// lookups Graph keeps refusing with 400 (alternativeSecurityIds, the
// default mappings' first matching attribute, is not filterable on users
// in Graph v1.0 nor in graphsim): after refusalsToSkip refusals in a row
// the lookup is left out of creates for refusalSkip, then tried again.
// Every create used to send it and have it refused: one Graph request in
// five of an initial cycle. A refused lookup matches nothing, so leaving it
// out changes no decision; one that works is never skipped, since any
// answer resets the count.
type refusals struct {
	mu sync.Mutex
	m  map[string]*refusal // tenant + "\x00" + attribute
}

type refusal struct {
	inRow int
	until time.Time
}

const (
	refusalsToSkip = 3
	refusalSkip    = 10 * time.Minute
)

func (r *refusals) refused(tenant, attr string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]*refusal{}
	}
	k := tenant + "\x00" + attr
	f := r.m[k]
	if f == nil {
		f = &refusal{}
		r.m[k] = f
	}
	if f.inRow++; f.inRow >= refusalsToSkip {
		f.until = now.Add(refusalSkip)
	}
}

func (r *refusals) answered(tenant, attr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, tenant+"\x00"+attr)
}

// skip drops the match lookups of attributes refused recently; the
// writer's own lookups (not isMatch) always run.
func (r *refusals) skip(tenant string, ls []lookup, now time.Time) []lookup {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.m) == 0 {
		return ls
	}
	out := ls[:0]
	for _, l := range ls {
		if f := r.m[tenant+"\x00"+l.attr]; l.isMatch && f != nil && now.Before(f.until) {
			continue
		}
		out = append(out, l)
	}
	return out
}
