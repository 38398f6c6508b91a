package writer

import (
	"net/http"
	"strings"

	"github.com/xtsync/xtsync/services/internal/graph"
)

// members reconciles a group's direct members with desired_member_ids:
// read the current members (skipped for a group just created), then add
// and remove through members/$ref.
func (a *applier) members(fresh bool) func(*task) []*item {
	return func(t *task) []*item {
		desired := t.in.GetDesiredMemberIds()
		if fresh {
			return a.memberWrites(t, desired, nil)
		}
		var current []string
		var list func(path string) *item
		list = func(path string) *item {
			req := graph.BatchRequest{Method: http.MethodGet, URL: path}
			return a.newItem(req, func(res graph.BatchResult) {
				vals, _ := res.Body["value"].([]any)
				for _, v := range vals {
					if m, ok := v.(map[string]any); ok {
						if id, _ := m["id"].(string); id != "" {
							current = append(current, id)
						}
					}
				}
				if next, _ := res.Body["@odata.nextLink"].(string); next != "" {
					if p := relative(next); p != "" {
						t.steps = append([]func(*task) []*item{func(*task) []*item { return []*item{list(p)} }}, t.steps...)
					}
				}
			}, nil)
		}
		t.then(func(t *task) []*item { return a.memberWrites(t, desired, current) })
		// The reconcile step must run after every page: it is queued last,
		// and a next page is pushed in front of it.
		return []*item{list(objectPath(false, t.targetID) + "/members?$select=id&$top=999")}
	}
}

// memberWrites closes over current by value at call time.
func (a *applier) memberWrites(t *task, desired, current []string) []*item {
	want := make(map[string]bool, len(desired))
	for _, id := range desired {
		want[strings.ToLower(id)] = true
	}
	have := make(map[string]bool, len(current))
	var items []*item
	for _, id := range current {
		have[strings.ToLower(id)] = true
		if !want[strings.ToLower(id)] {
			items = append(items, a.newItem(graph.RemoveMemberRequest("", t.targetID, id), nil, notFoundOK))
		}
	}
	var adds []string
	for _, id := range desired {
		if have[strings.ToLower(id)] {
			continue
		}
		have[strings.ToLower(id)] = true // a duplicate id is added once
		adds = append(adds, id)
	}
	for start := 0; start < len(adds); start += memberBindsPerRequest {
		items = append(items, a.bindMembers(t, adds[start:min(start+memberBindsPerRequest, len(adds))]))
	}
	return items
}

// memberBindsPerRequest is Graph's cap on members@odata.bind in one PATCH.
const memberBindsPerRequest = 20

// bindMembers adds up to 20 members with one PATCH members@odata.bind: a
// group of 60,000 takes 3,000 writes (150 $batch requests) instead of
// 60,000. Graph applies a bind all or nothing, so a chunk refused because
// one member is already there (a redelivered intent) or gone from the
// target is retried one member at a time, where each of those is fine.
func (a *applier) bindMembers(t *task, ids []string) *item {
	if len(ids) == 1 {
		return a.addMember(t, ids[0])
	}
	refs := make([]any, len(ids))
	for i, id := range ids {
		refs[i] = a.refURL(id)
	}
	req := graph.BatchRequest{Method: http.MethodPatch, URL: objectPath(false, t.targetID),
		Body: map[string]any{"members@odata.bind": refs}}
	return a.newItem(req, nil, func(res graph.BatchResult) bool {
		if !alreadyMember(res) && !(res.Status == http.StatusNotFound && res.Err != nil &&
			!strings.Contains(strings.ToLower(res.Err.Message), strings.ToLower(t.targetID))) {
			return false
		}
		one := make([]*item, len(ids))
		for i, id := range ids {
			one[i] = a.addMember(t, id)
		}
		t.steps = append([]func(*task) []*item{func(*task) []*item { return one }}, t.steps...)
		return true
	})
}

// addMember adds one member (POST members/$ref).
func (a *applier) addMember(t *task, id string) *item {
	req := graph.BatchRequest{
		Method: http.MethodPost, URL: objectPath(false, t.targetID) + "/members/$ref",
		Body: map[string]any{"@odata.id": a.refURL(id)},
	}
	return a.newItem(req, nil, func(res graph.BatchResult) bool {
		return alreadyMember(res) || memberGone(res, id)
	})
}

// alreadyMember: Graph answers 400 "One or more added object references
// already exist" for an existing member (a redelivered add).
func alreadyMember(res graph.BatchResult) bool {
	return res.Status == http.StatusBadRequest && res.Err != nil &&
		strings.Contains(strings.ToLower(res.Err.Message), "already exist")
}

// memberGone: Graph answers 404 naming the member when the object to add
// no longer exists in the target, e.g. a user deprovisioned in this very
// cycle after the group's members were decided. Its absence is the desired
// state; a 404 naming the group is a real failure.
func memberGone(res graph.BatchResult, memberID string) bool {
	return res.Status == http.StatusNotFound && res.Err != nil &&
		strings.Contains(strings.ToLower(res.Err.Message), strings.ToLower(memberID))
}

// relative turns an absolute @odata.nextLink into a path under the service
// root, as $batch items want.
func relative(link string) string {
	for _, root := range []string{"/v1.0/", "/beta/"} {
		if i := strings.Index(link, root); i >= 0 {
			return link[i+len(root)-1:]
		}
	}
	return ""
}
