package graphsim

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Delta paging. A round starts with a full read (phase 'i', by listing
// order) or from a delta link (phase 'c', by change-log position). Change
// pages emit an object only at its latest log entry, so each object shows
// once per round in its current state.
const (
	defaultDeltaPage = 200
	// deltaLinkLifetime: Graph expires identity delta links after 7 days.
	deltaLinkLifetime = 7 * 24 * time.Hour
)

func errSyncStateNotFound() *gerror {
	return &gerror{status: http.StatusBadRequest, code: codeSyncStateNotFound,
		message: "The sync state generation is not found. The delta token is expired and data must be synchronized again."}
}

// errResyncRequired answers links older than the deleted-items retention:
// the history needed to report permanent deletions is gone, so the client
// must start over (Graph's 410 Gone).
func errResyncRequired() *gerror {
	return &gerror{status: http.StatusGone, code: "resyncRequired",
		message: "The delta token is no longer valid: the change history it refers to has been discarded. Restart synchronization without a token."}
}

// deltaPageSize honours Prefer: odata.maxpagesize=N like Graph.
func deltaPageSize(h http.Header) int {
	for _, v := range h.Values("Prefer") {
		for _, part := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && strings.EqualFold(k, "odata.maxpagesize") {
				if n, err := strconv.Atoi(strings.TrimSpace(val)); err == nil && n > 0 {
					return min(n, 999)
				}
			}
		}
	}
	return defaultDeltaPage
}

// deltaState is a parsed delta request.
type deltaState struct {
	tok    pageToken
	latest bool
	size   int
}

// parseDelta reads $deltatoken/$skiptoken and the initial $select.
func (t *Tenant) parseDelta(rc *reqCtx, kind string) (deltaState, *gerror) {
	ds := deltaState{size: deltaPageSize(rc.header)}
	if rc.query.Has("$filter") || rc.query.Has("$orderby") || rc.query.Has("$top") {
		return ds, &gerror{status: 400, code: codeUnsupportedQuery, message: "Unsupported query option for delta. Supported options are $select and $deltatoken=latest."}
	}
	raw := rc.query.Get("$deltatoken")
	if raw == "" {
		raw = rc.query.Get("$skiptoken")
	}
	switch {
	case raw == "":
		ds.tok = pageToken{Kind: kind, Tenant: t.info.ID, Phase: 'i', From: t.st.head(), Sel: rc.query.Get("$select")}
	case raw == "latest":
		ds.latest = true
		ds.tok = pageToken{Kind: kind, Tenant: t.info.ID, Phase: 'c', After: t.st.head(), From: t.st.head(), Sel: rc.query.Get("$select")}
	default:
		tok, ok := rc.s.tokens.decode(raw, kind, t.info.ID)
		if !ok || (tok.Phase == 'c' && tok.After > t.st.head()) {
			return ds, errSyncStateNotFound()
		}
		if age := rc.now.Sub(time.Unix(tok.Issued, 0)); tok.Issued != 0 && age > retention {
			return ds, errResyncRequired()
		} else if tok.Issued != 0 && age > deltaLinkLifetime {
			return ds, errSyncStateNotFound()
		}
		ds.tok = tok
	}
	return ds, nil
}

// deltaLinks renders the link pair that ends a delta page.
func (t *Tenant) appendDeltaLink(b []byte, rc *reqCtx, path string, next *pageToken, done pageToken) []byte {
	if next != nil {
		b = append(b, `,"@odata.nextLink":`...)
		return appendString(b, rc.graphBase()+path+"?$skiptoken="+rc.s.tokens.encode(*next))
	}
	done.Issued = rc.now.Unix()
	b = append(b, `,"@odata.deltaLink":`...)
	return appendString(b, rc.graphBase()+path+"?$deltatoken="+rc.s.tokens.encode(done))
}

// appendRemoved renders {"id":..,"@removed":{"reason":..}}: "changed" for
// soft-deleted (restorable), "deleted" for permanently deleted objects.
func appendRemoved(b []byte, id string, permanent bool) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, id)
	if permanent {
		return append(b, `,"@removed":{"reason":"deleted"}}`...)
	}
	return append(b, `,"@removed":{"reason":"changed"}}`...)
}

// scanChanges walks the change log after tok.After and calls emit for
// each object whose latest change it reaches, at most size times. It
// returns the next-page token, or nil when the log head was reached.
func (st *store) scanChanges(tok pageToken, kind objKind, size int, emit func(id string)) *pageToken {
	n := 0
	head := st.head()
	for seq := tok.After + 1; seq <= head; seq++ {
		c := st.log[seq-1]
		if c.kind != kind || st.lastSeq[c.id] != seq {
			continue
		}
		if n == size {
			next := tok
			next.After = seq - 1
			return &next
		}
		emit(c.id)
		n++
	}
	return nil
}

func (t *Tenant) userDelta(rc *reqCtx) *response {
	t.mu.RLock()
	defer t.mu.RUnlock()
	ds, e := t.parseDelta(rc, "udelta")
	if e != nil {
		return errResponse(e)
	}
	propSel, withManager := splitNavSelect(ds.tok.Sel, "manager")
	sel, names, e := parseSelect(propSel, userSchema)
	if e != nil {
		return errResponse(e)
	}
	if withManager {
		names = append(names, "manager")
	}
	st := t.st
	render := func(u *User, initial bool) func([]byte) []byte {
		return func(b []byte) []byte {
			b = userSchema.appendObject(b, u, sel, nil)
			if !withManager {
				return b
			}
			return st.appendManagerDelta(b, u, initial, ds.tok.From)
		}
	}
	b := make([]byte, 0, 1024)
	b = append(b, `{"@odata.context":`...)
	b = appendString(b, rc.context("users"+selectSuffix(names)))
	items, next, done := deltaItems(t, ds, kindUser, "udelta", &st.userList, st.users, st.deletedUsers, render,
		make([]byte, 0, ds.size*64*max(1, len(sel))))
	b = t.appendDeltaLink(b, rc, "/users/delta", next, done)
	b = append(b, `,"value":[`...)
	out := make([]byte, 0, len(b)+len(items)+2)
	out = append(append(append(out, b...), items...), "]}"...)
	return jsonResponse(200, out)
}

// deltaItems appends the value items of one delta page of a kind to items:
// a full read walks list in order, a change round walks the change log
// (removed objects as @removed). It returns the next-page token, or nil
// and the token of the round's deltaLink.
func deltaItems[T any](t *Tenant, ds deltaState, kind objKind, tokKind string, list *olist[T],
	live, deleted map[string]*T, render func(*T, bool) func([]byte) []byte, items []byte) ([]byte, *pageToken, pageToken) {
	st := t.st
	var next *pageToken
	n := 0
	appendItem := func(f func([]byte) []byte) {
		if n > 0 {
			items = append(items, ',')
		}
		items = f(items)
		n++
	}
	switch {
	case ds.latest:
	case ds.tok.Phase == 'i':
		var last uint64
		more := false
		list.scan(ds.tok.After, func(ord uint64, v *T) bool {
			if n == ds.size {
				more = true
				return false
			}
			appendItem(render(v, true))
			last = ord
			return true
		})
		if more {
			nt := ds.tok
			nt.After = last
			next = &nt
		}
	default:
		next = st.scanChanges(ds.tok, kind, ds.size, func(id string) {
			if v := live[id]; v != nil {
				appendItem(render(v, false))
				return
			}
			_, soft := deleted[id]
			appendItem(func(b []byte) []byte { return appendRemoved(b, id, !soft) })
		})
	}
	var done pageToken
	if next == nil {
		from := st.head()
		if ds.tok.Phase == 'i' && !ds.latest {
			from = ds.tok.From // changes made during the full read come next round
		}
		done = pageToken{Kind: tokKind, Tenant: t.info.ID, Phase: 'c', After: from, From: from, Sel: ds.tok.Sel}
	}
	return items, next, done
}

// splitMembersSelect removes "members" from a groups $select and reports
// whether it was there (members@delta is requested that way).
func splitMembersSelect(sel string) (string, bool) { return splitNavSelect(sel, "members") }

// splitNavSelect removes the navigation property nav from a delta $select
// and reports whether it was there: Graph tracks members and manager as
// nav@delta when they are selected.
func splitNavSelect(sel, nav string) (string, bool) {
	if sel == "" {
		return "", false
	}
	var keep []string
	found := false
	for _, p := range strings.Split(sel, ",") {
		if strings.EqualFold(strings.TrimSpace(p), nav) {
			found = true
			continue
		}
		keep = append(keep, p)
	}
	return strings.Join(keep, ","), found
}

func (t *Tenant) groupDelta(rc *reqCtx) *response {
	t.mu.RLock()
	defer t.mu.RUnlock()
	ds, e := t.parseDelta(rc, "gdelta")
	if e != nil {
		return errResponse(e)
	}
	propSel, withMembers := splitMembersSelect(ds.tok.Sel)
	sel, names, e := parseSelect(propSel, groupSchema)
	if e != nil {
		return errResponse(e)
	}
	if withMembers {
		names = append(names, "members")
	}
	st := t.st
	b := make([]byte, 0, 4096)
	b = append(b, `{"@odata.context":`...)
	b = appendString(b, rc.context("groups"+selectSuffix(names)))
	render := func(g *Group, initial bool) func([]byte) []byte {
		return func(b []byte) []byte {
			if !withMembers {
				return groupSchema.appendObject(b, g, sel, nil)
			}
			b = groupSchema.appendObject(b, g, sel, nil)
			b = append(b[:len(b)-1], ',')
			return append(st.appendMembersDelta(b, g, initial, ds.tok.From), '}')
		}
	}
	items, next, done := deltaItems(t, ds, kindGroup, "gdelta", &st.groupList, st.groups, st.deletedGroups, render, nil)
	b = t.appendDeltaLink(b, rc, "/groups/delta", next, done)
	b = append(b, `,"value":[`...)
	b = append(b, items...)
	return jsonResponse(200, append(b, "]}"...))
}

// appendMembersDelta renders "members@delta": every member on a full read,
// otherwise the membership changes since seq from, latest per member.
func (st *store) appendMembersDelta(b []byte, g *Group, initial bool, from uint64) []byte {
	b = append(b, `"members@delta":[`...)
	first := true
	item := func(id string, kind objKind, removed bool) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, `{"@odata.type":"#`...)
		if kind == kindGroup {
			b = append(b, typeGroup...)
		} else {
			b = append(b, typeUser...)
		}
		b = append(b, `","id":`...)
		b = appendString(b, id)
		if removed {
			b = append(b, `,"@removed":{"reason":"deleted"}`...)
		}
		b = append(b, '}')
	}
	if initial {
		for _, m := range g.Members {
			k := st.kindOf(m)
			if k == 0 {
				k = kindUser
			}
			item(m, k, false)
		}
		return append(b, ']')
	}
	evs := st.memberEvents[g.ID]
	i := sort.Search(len(evs), func(i int) bool { return evs[i].seq > from })
	latest := map[string]int{}
	var order []string
	for j := i; j < len(evs); j++ {
		if _, seen := latest[evs[j].member]; !seen {
			order = append(order, evs[j].member)
		}
		latest[evs[j].member] = j
	}
	for _, m := range order {
		ev := evs[latest[m]]
		item(m, ev.kind, ev.removed)
	}
	return append(b, ']')
}

// appendManagerDelta adds "manager@delta" to the user object rendered at
// the end of b, as Graph does when manager is selected: on a full read for
// every user with a manager; on a change round only for users whose
// manager changed since seq from, with the current manager, or the former
// one marked "@removed" (reason "changed" while that user still exists,
// "deleted" when it is gone, per Graph's change-tracking rules for links).
func (st *store) appendManagerDelta(b []byte, u *User, initial bool, from uint64) []byte {
	id, removed := u.ManagerID, false
	if !initial {
		mc, ok := st.managers[u.ID]
		if !ok || mc.seq <= from {
			return b
		}
		if id == "" {
			id, removed = mc.former, true
		}
	}
	if id == "" {
		return b
	}
	b = append(b[:len(b)-1], `,"manager@delta":[{"@odata.type":"#`...)
	b = append(b, typeUser...)
	b = append(b, `","id":`...)
	b = appendString(b, id)
	if removed {
		if st.users[id] != nil {
			b = append(b, `,"@removed":{"reason":"changed"}`...)
		} else {
			b = append(b, `,"@removed":{"reason":"deleted"}`...)
		}
	}
	return append(b, "}]}"...)
}
