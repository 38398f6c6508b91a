package reader

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/services/internal/graph"
)

func TestBatchMsgID(t *testing.T) {
	t.Parallel()
	require.Equal(t, "c1/users/7/3", batchMsgID("c1", "users", 7, 3, 0))
	require.Equal(t, "c1/groups/7/3/2", batchMsgID("c1", "groups", 7, 3, 2))
}

func TestKindOfRemoved(t *testing.T) {
	t.Parallel()
	for reason, want := range map[string]eventsv1.ChangeKind{
		"changed": eventsv1.ChangeKind_CHANGE_KIND_SOFT_DELETED,
		"deleted": eventsv1.ChangeKind_CHANGE_KIND_HARD_DELETED,
		"":        eventsv1.ChangeKind_CHANGE_KIND_SOFT_DELETED,
	} {
		require.Equal(t, want, kindOfRemoved(reason), reason)
	}
}

func TestAttributesJSON(t *testing.T) {
	t.Parallel()
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	mgr, none := "m1", ""
	tests := []struct {
		name    string
		raw     string
		attrs   graph.Attributes
		manager *string
		want    string
	}{
		{name: "read through the SDK: sorted, times as Graph writes them", attrs: graph.Attributes{
			"displayName": "Ann", "accountEnabled": true, "jobTitle": nil, "id": "ignored", "netId": "ignored",
			"businessPhones": []any{"+1 555"}, "otherMails": []string{"a@x", "b@x"}, "extension_x_n": 7.0,
			"employeeOrgData": map[string]any{"division": "R&D"}, "createdDateTime": when,
		}, want: `{"id":"u1","netId":"u1","accountEnabled":true,"businessPhones":["+1 555"],"createdDateTime":"2026-01-02T03:04:05Z",` +
			`"displayName":"Ann","employeeOrgData":{"division":"R\u0026D"},"extension_x_n":7,"jobTitle":null,"otherMails":["a@x","b@x"]}`},
		{name: "delta page: copied as sent, id and netId replaced",
			raw:  `{"displayName":"Ann é","id":"u1", "netId":"x","jobTitle":null,"employeeOrgData":{"division":"R&D"},"n":1.5e2}`,
			want: `{"id":"u1","netId":"u1","displayName":"Ann é","jobTitle":null,"employeeOrgData":{"division":"R&D"},"n":1.5e2}`},
		{name: "manager reported", raw: `{"manager":"stale","a":1}`, manager: &mgr,
			want: `{"id":"u1","netId":"u1","manager":"m1","a":1}`},
		{name: "manager removed: null", raw: `{}`, manager: &none, want: `{"id":"u1","netId":"u1","manager":null}`},
		{name: "manager not reported: as sent", raw: `{"manager":{"id":"m2"}}`,
			want: `{"id":"u1","netId":"u1","manager":{"id":"m2"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var raw json.RawMessage
			if tc.raw != "" {
				raw = json.RawMessage(tc.raw)
			}
			got, err := attributesJSON("u1", raw, tc.attrs, tc.manager)
			require.NoError(t, err)
			require.Equal(t, tc.want, string(got))
			require.True(t, json.Valid(got))
		})
	}
	_, err := attributesJSON("u1", json.RawMessage(`{"a":`), nil, nil)
	require.ErrorContains(t, err, "attributes of u1")
	_, err = attributesJSON("u1", nil, graph.Attributes{"bad": func() {}}, nil)
	require.ErrorContains(t, err, "attribute bad of u1")
}

func TestSplitKeepsBatchesUnderTheLimit(t *testing.T) {
	t.Parallel()
	f := changeFactory{cfgID: "cfg", cycleID: "c1", tenantID: "t"}
	var changes []*eventsv1.SourceChange
	for i := range 300 {
		id := strings.Repeat("x", 30) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		c, err := f.group(graph.Group{ID: id, Attributes: graph.Attributes{"displayName": strings.Repeat("g", 100)}},
			[]string{strings.Repeat("m", 36), strings.Repeat("n", 36)})
		require.NoError(t, err)
		changes = append(changes, c)
	}
	for _, limit := range []int{4 << 10, 16 << 10, 1 << 20} {
		p := &pagePublisher{maxBytes: limit}
		parts := p.split(changes)
		total := 0
		for _, part := range parts {
			total += len(part)
			b := &eventsv1.SourceChangeBatch{ConfigurationId: "cfg", CycleId: "c1", Shard: 3, Page: 1 << 40, Changes: part}
			require.LessOrEqual(t, proto.Size(b), limit)
		}
		require.Equal(t, len(changes), total, "nothing lost at limit %d", limit)
		if limit == 1<<20 {
			require.Len(t, parts, 1)
		}
	}
	require.Len(t, (&pagePublisher{maxBytes: 4 << 10}).split(changes[:1]), 1, "one change always goes")
}

func TestUserMembersSkipsGroupsAndRemovals(t *testing.T) {
	t.Parallel()
	got := userMembers([]graph.MemberChange{
		{ID: "u1", Type: "#microsoft.graph.user"},
		{ID: "g1", Type: "#microsoft.graph.group"},
		{ID: "u2", Type: "#microsoft.graph.user", Removed: true},
		{ID: "u3"},
	})
	require.Equal(t, []string{"u1", "u3"}, got)
}

func TestLinkGuardStopsALoopingNextLink(t *testing.T) {
	cases := []struct {
		name  string
		links []string
		loops bool
	}{
		{"distinct pages", []string{"https://g/delta?$skiptoken=1", "https://g/delta?$skiptoken=2", "https://g/delta?$skiptoken=3"}, false},
		{"the same page again", []string{"https://g/delta?$skiptoken=1", "https://g/delta?$skiptoken=2", "https://g/delta?$skiptoken=1"}, true},
		{"a page pointing at itself", []string{"https://g/delta?$skiptoken=1", "https://g/delta?$skiptoken=1"}, true},
		{"no link (first page of a full import)", []string{"", ""}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := linkGuard{}
			var err error
			for _, l := range tc.links {
				if err = g.add(l); err != nil {
					break
				}
			}
			if tc.loops {
				require.ErrorIs(t, err, graph.ErrLinkLoop)
			} else {
				require.NoError(t, err)
			}
		})
	}
}
