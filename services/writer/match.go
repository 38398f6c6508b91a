package writer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/cenkalti/backoff/v5"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/match"
	"github.com/xtsync/xtsync/services/internal/graph"
)

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
//     a repeated invitation of the same address with the same user, so this
//     lookup also protects the PATCH that follows from a second invite.
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
	sem := make(chan struct{}, a.w.cfg.Concurrency)
	var wg sync.WaitGroup
	errs := make([]error, len(creates))
	for i, t := range creates {
		if e, ok := entries[t.in.GetSource().GetObjectId()]; ok && e.TargetID != "" && e.State != redisx.Deleted {
			t.targetID = e.TargetID
			created := e.CreatedBySync
			t.createdBySync, t.matchedBy = &created, e.MatchedBy
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = a.matchOne(ctx, t)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (a *applier) matchOne(ctx context.Context, t *task) error {
	for _, q := range t.in.GetMatchQueries() {
		hits, err := a.find(ctx, q.GetFilter())
		if err != nil {
			var ge *graph.Error
			if errors.As(err, &ge) && ge.Status == http.StatusBadRequest {
				a.w.m.unsupportedMatch.Add(ctx, 1, a.w.m.tenantAttr(a.tenant))
				// Once per batch: with the default mapping every create hits it.
				a.refusedOnce.Do(func() {
					a.w.log.WarnContext(ctx, "writer: match query refused by Graph, skipped",
						"configuration_id", a.cfgID, "attribute", q.GetAttribute(), "filter", q.GetFilter(), "err", err)
				})
				continue
			}
			return err
		}
		if done := a.matched(t, hits, q.GetAttribute(), true); done {
			return nil
		}
	}
	if !t.user {
		// Groups: no idempotency lookup beyond the connector store (see
		// README, gaps).
		return nil
	}
	b, f := buildBody(t.in.GetChanges(), true)
	if f != nil {
		return nil // plan reports it
	}
	addr := b.inviteAddress()
	if addr == "" {
		return nil
	}
	lit, lerr := match.Literal("mail", addr)
	if lerr != nil {
		t.failWith(rules.InvalidMatchValue, lerr.Error())
		return nil
	}
	for _, filter := range []string{"mail eq " + lit, "otherMails/any(x:x eq " + lit + ")"} {
		hits, err := a.find(ctx, filter)
		if err != nil {
			return err
		}
		if a.matched(t, hits, "", false) {
			return nil
		}
	}
	return nil
}

// matched records the outcome of one lookup; it reports whether matching
// is over.
func (a *applier) matched(t *task, hits []graph.User, attr string, isMatch bool) bool {
	switch len(hits) {
	case 0:
		return false
	case 1:
		if upn := hits[0].UserPrincipalName; upn != "" && !strings.Contains(strings.ToUpper(upn), "#EXT#") {
			// An internal user of the target tenant is never taken over.
			t.failWith(rules.EntryConflict, fmt.Sprintf("target user %s (%s) is not a B2B user", hits[0].ID, upn))
			return true
		}
		t.targetID = hits[0].ID
		if isMatch {
			t.matchedBy = attr
			no := false
			t.createdBySync = &no
		}
		return true
	}
	t.failWith(rules.DuplicateTargetEntries, fmt.Sprintf("%d target users match %s", len(hits), attr))
	return true
}

// find runs one $filter with bounded retries; a 429 pauses the tenant.
func (a *applier) find(ctx context.Context, filter string) ([]graph.User, error) {
	op := func() ([]graph.User, error) {
		users, err := a.tgt.FindUsers(ctx, graph.Query{Filter: filter, Select: []string{"id", "userPrincipalName", "userType", "mail"}})
		if err == nil {
			return users, nil
		}
		var ge *graph.Error
		if errors.As(err, &ge) && graph.IsThrottled(err) {
			ra := ge.RetryAfter
			if ra <= 0 {
				ra = a.w.cfg.Retry.DefaultRetryAfter
			}
			_ = a.w.d.Limiter.Backoff(ctx, a.tenant, ra)
			return nil, backoff.RetryAfter(int(max(ra.Seconds(), 1)))
		}
		if graph.IsTransient(err) {
			return nil, err
		}
		return nil, backoff.Permanent(err)
	}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval = a.w.cfg.Retry.InitialInterval, a.w.cfg.Retry.MaxInterval
	users, err := backoff.Retry(ctx, op, backoff.WithBackOff(bo), backoff.WithMaxTries(uint(a.w.cfg.Retry.MaxAttempts)))
	if err != nil {
		return nil, fmt.Errorf("find users %q: %w", filter, err)
	}
	return users, nil
}
