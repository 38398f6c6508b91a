package transformer

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/pkg/rules/mapping"
	"github.com/xtsync/xtsync/pkg/rules/match"
	"github.com/xtsync/xtsync/pkg/rules/schema"
)

const groupType = commonv1.ObjectType_OBJECT_TYPE_GROUP

var actions = map[decide.Action]eventsv1.WriteAction{
	decide.Create:     eventsv1.WriteAction_WRITE_ACTION_CREATE,
	decide.Update:     eventsv1.WriteAction_WRITE_ACTION_UPDATE,
	decide.SoftDelete: eventsv1.WriteAction_WRITE_ACTION_DELETE,
	decide.Disable:    eventsv1.WriteAction_WRITE_ACTION_DISABLE,
	decide.HardDelete: eventsv1.WriteAction_WRITE_ACTION_HARD_DELETE,
	decide.Restore:    eventsv1.WriteAction_WRITE_ACTION_RESTORE,
	decide.Skip:       eventsv1.WriteAction_WRITE_ACTION_SKIP,
	decide.Fail:       eventsv1.WriteAction_WRITE_ACTION_FAIL,
}

// IntentID is the idempotency key of one intent: the cycle and the source
// object (readable in logs) plus a hash of the batch coordinates and the
// action. A redelivered batch yields the same id; the same object seen in
// two pages of one cycle (Graph delta may repeat objects) does not.
func IntentID(b *eventsv1.SourceChangeBatch, sourceID string, a eventsv1.WriteAction) string {
	h := fnv.New64a()
	for _, s := range []string{b.GetConfigurationId(), b.GetCycleId(), strconv.FormatInt(b.GetPage(), 10),
		strconv.Itoa(int(b.GetShard())), sourceID, a.String()} {
		_, _ = h.Write([]byte(s))
		_, _ = h.Write([]byte{0})
	}
	return b.GetCycleId() + "/" + sourceID + "/" + strconv.FormatUint(h.Sum64(), 36)
}

// toIntent renders a decision as the WriteIntent writers consume.
func toIntent(b *eventsv1.SourceChangeBatch, ch *eventsv1.SourceChange, d *decide.Decision) (*eventsv1.WriteIntent, error) {
	action := actions[d.Action]
	wi := &eventsv1.WriteIntent{
		ConfigurationId: b.GetConfigurationId(),
		CycleId:         b.GetCycleId(),
		Source:          ch.GetObject(),
		TargetObjectId:  d.TargetID,
		Action:          action,
		Deprovisions:    d.Deprovisions,
		Code:            string(d.Code),
		IntentId:        IntentID(b, ch.GetObject().GetObjectId(), action),
	}
	var err error
	if wi.Changes, err = toChanges(d.Changes); err != nil {
		return nil, err
	}
	if wi.OnMatch, err = toChanges(d.OnMatch); err != nil {
		return nil, err
	}
	wi.MatchQueries = toQueries(d.Match)
	if d.Members != nil {
		wi.DesiredMemberIds = d.Members.Set
		wi.PendingSourceMemberIds = d.Members.Pending
		// The marker that membership is to be reconciled: an empty
		// desired_member_ids alone cannot tell "remove everyone" from
		// "membership unchanged".
		js, err := valueJSON(nonNil(d.Members.Set))
		if err != nil {
			return nil, err
		}
		var h uint64
		if d.Entry != nil {
			h = d.Entry.Exported[schema.Members]
		}
		wi.Changes = append(wi.Changes, &eventsv1.AttributeChange{Attribute: schema.Members,
			GraphProperty: schema.Members, NewValueJson: js, Hash: h})
	}
	if d.Entry != nil {
		wi.ConnectorEntry = toEntry(d.Entry)
	}
	bp := jsonBufs.Get().(*[]byte)
	*bp = appendLogJSON((*bp)[:0], &d.Log)
	wi.LogJson = string(*bp)
	jsonBufs.Put(bp)
	return wi, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func toChanges(cs []decide.Change) ([]*eventsv1.AttributeChange, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	// Every value's JSON is appended to one buffer that becomes one string;
	// each change holds substrings of it (spans: start and end of the new
	// then the old value, -1 for no old value).
	bp := jsonBufs.Get().(*[]byte)
	defer jsonBufs.Put(bp)
	buf := (*bp)[:0]
	var spanBuf [4 * 32]int
	spans := spanBuf[:0]
	var err error
	for i := range cs {
		c := &cs[i]
		start := len(buf)
		if buf, err = appendValueJSON(buf, c.New); err != nil {
			return nil, fmt.Errorf("encode %s: %w", c.Attribute, err)
		}
		spans = append(spans, start, len(buf))
		if c.Old == nil {
			spans = append(spans, -1, -1)
			continue
		}
		start = len(buf)
		if buf, err = appendValueJSON(buf, c.Old); err != nil {
			return nil, fmt.Errorf("encode old %s: %w", c.Attribute, err)
		}
		spans = append(spans, start, len(buf))
	}
	js := string(buf)
	*bp = buf
	out := make([]*eventsv1.AttributeChange, len(cs))
	all := make([]eventsv1.AttributeChange, len(cs)) // one allocation for the batch of changes
	for i := range cs {
		c, sp, ac := &cs[i], spans[4*i:4*i+4], &all[i]
		ac.Attribute, ac.GraphProperty, ac.NewValueJson, ac.Hash, ac.Redacted = c.Attribute, c.Graph, js[sp[0]:sp[1]], c.Hash, c.Redacted
		if sp[2] >= 0 {
			ac.OldValueJson = js[sp[2]:sp[3]]
		}
		out[i] = ac
	}
	return out, nil
}

// jsonBufs recycles toChanges' buffers (a few hundred bytes per intent).
var jsonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// altSecID is the JSON of the B2B identity (alternativeSecurityIds has no
// plain Graph property; the writer builds the invitation from it).
type altSecID struct {
	IdentityProvider string `json:"identityProvider"`
	Key              string `json:"key"`
}

// valueJSON encodes a mapped value: dates as RFC 3339 strings, the B2B
// identity as [{"identityProvider": tenant, "key": netId}], references as
// their (resolved) id.
func valueJSON(v any) (string, error) {
	if x, ok := v.(string); ok && plainJSON(x) {
		return `"` + x + `"`, nil
	}
	b, err := appendValueJSON(nil, v)
	return string(b), err
}

// appendValueJSON appends valueJSON(v) to dst.
func appendValueJSON(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		if plainJSON(x) {
			dst = append(dst, '"')
			dst = append(dst, x...)
			return append(dst, '"'), nil
		}
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case time.Time:
		v = x.UTC().Format(time.RFC3339)
	case mapping.AltSecID:
		v = []altSecID{{IdentityProvider: x.TenantID, Key: x.NetID}}
	case mapping.Ref:
		v = x.SourceID
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// plainJSON reports whether s needs no escaping inside a JSON string, so
// the common value skips encoding/json.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

func toQueries(qs []match.Query) []*eventsv1.MatchQuery {
	if len(qs) == 0 {
		return nil
	}
	out := make([]*eventsv1.MatchQuery, len(qs))
	for i, q := range qs {
		out[i] = &eventsv1.MatchQuery{Precedence: int32(q.Precedence), Attribute: q.Attribute, Value: q.Value, Filter: q.Filter}
	}
	return out
}

func toEntry(e *decide.Entry) *eventsv1.ConnectorEntry {
	return &eventsv1.ConnectorEntry{
		SourceId:      e.SourceID,
		TargetId:      e.TargetID,
		State:         string(e.State),
		Since:         timestamppb.New(e.Since),
		CreatedBySync: e.CreatedBySync,
		Exported:      e.Exported,
	}
}
