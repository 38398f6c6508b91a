package writer

import (
	"net/http"
	"net/url"
	"time"

	"github.com/cenkalti/backoff/v5"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// failure is a per-intent failed outcome with its stable code.
type failure struct {
	code rules.Code
	msg  string
}

// item is one Graph request of an intent, sent inside a $batch and retried
// on its own (429: after the tenant's pause; 5xx: with back-off).
type item struct {
	req graph.BatchRequest
	// ok handles a success (status < 400) or an accepted failure.
	ok func(res graph.BatchResult)
	// accept turns a failure into success, e.g. 404 on a delete.
	accept    func(res graph.BatchResult) bool
	attempts  int
	throttled int
	notBefore time.Time
	bo        *backoff.ExponentialBackOff
}

func (it *item) writes() int {
	if it.req.Method == http.MethodGet {
		return 0
	}
	return 1
}

// task is the state of one intent: a queue of steps, each producing the
// requests that can go in parallel once the previous step succeeded.
type task struct {
	in       *eventsv1.WriteIntent
	user     bool
	targetID string
	// matchedBy and createdBySync override the connector entry after
	// matching.
	matchedBy     string
	createdBySync *bool
	steps         []func(*task) []*item
	pending       []*item
	fail          *failure
	skipCode      rules.Code // success without writing
	lookups       []lookup   // creates: $filters to run before writing
	// created: the body lookupsOf built from a create's changes, which
	// plan reuses instead of decoding the changes' JSON a second time.
	created  *body
	attempts int32
	done     bool
	// gone: the target object was deleted behind sync's back; finish drops
	// the connector entry so the next decision is a create.
	gone bool
}

func newTask(in *eventsv1.WriteIntent) *task {
	return &task{in: in, user: in.GetSource().GetType() != commonv1.ObjectType_OBJECT_TYPE_GROUP, targetID: in.GetTargetObjectId()}
}

// then appends steps.
func (t *task) then(steps ...func(*task) []*item) { t.steps = append(t.steps, steps...) }

// advance runs steps until one yields requests or none are left.
func (t *task) advance() {
	for len(t.pending) == 0 && t.fail == nil {
		if len(t.steps) == 0 {
			t.done = true
			return
		}
		step := t.steps[0]
		t.steps = t.steps[1:]
		t.pending = step(t)
	}
	if t.fail != nil {
		t.done, t.pending = true, nil
	}
}

func (t *task) failWith(code rules.Code, msg string) {
	if t.fail == nil {
		t.fail = &failure{code: code, msg: msg}
	}
}

// remove drops a finished item from pending.
func (t *task) remove(it *item) {
	for i, p := range t.pending {
		if p == it {
			t.pending = append(t.pending[:i], t.pending[i+1:]...)
			return
		}
	}
}

func objectPath(user bool, id string) string {
	if user {
		return "/users/" + url.PathEscape(id)
	}
	return "/groups/" + url.PathEscape(id)
}

// notFoundOK accepts a 404: the object is already where the write would
// put it (deleted, member removed).
func notFoundOK(res graph.BatchResult) bool { return res.Status == http.StatusNotFound }
