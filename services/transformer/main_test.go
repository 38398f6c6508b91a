package transformer_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
	"github.com/xtsync/xtsync/pkg/rules/scope"
	"github.com/xtsync/xtsync/pkg/rules/spec"
	"github.com/xtsync/xtsync/services/transformer"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// quiet drops logs unless the test runs with -v.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

const (
	cfgID  = "cfg1"
	cycle  = "c1"
	tenant = "tenant-b"
)

// fixture is one transformer over a real Redis with the rules of baseRules.
type fixture struct {
	t     testing.TB
	rdb   *redis.Client
	cds   *redisx.Connectors
	rules *transformer.StaticRules
	tr    *transformer.Transformer
	cfg   transformer.Config
}

// baseRules assigns u1..u3 directly and g-staff as a group, syncs groups,
// and scopes out the Contractors department.
func baseRules() *spec.Rules {
	yes := true
	return &spec.Rules{
		SourceTenantID: "tenant-a",
		Assignments:    spec.Assignments{Users: []string{"u1", "u2", "u3"}, Groups: []string{"g-staff", "g-dist"}},
		Users: spec.Object{ScopingFilters: []scope.Filter{{Clauses: []scope.Clause{
			{Attribute: "department", Operator: "NOT EQUALS", Value: "Contractors"}}}}},
		Groups: spec.Object{Enabled: &yes},
	}
}

func newFixture(t testing.TB, srv *redistest.Server, mut ...func(*spec.Rules)) *fixture {
	t.Helper()
	if srv == nil {
		srv = redistest.Start(t, redistest.Options{})
	}
	f := &fixture{t: t, rdb: srv.Client(t), rules: transformer.NewStaticRules(), cfg: transformer.DefaultConfig()}
	f.cds = redisx.NewConnectors(f.rdb)
	r := baseRules()
	for _, m := range mut {
		m(r)
	}
	require.NoError(t, f.rules.Add(cfgID, tenant, r))
	f.cfg.ChangeShards, f.cfg.IntentShards = 2, 2
	tr, err := transformer.New(f.cfg, transformer.Deps{Rules: f.rules, Connectors: f.cds, Redis: f.rdb,
		Now: func() time.Time { return now }, Logger: quiet})
	require.NoError(t, err)
	f.tr = tr
	return f
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// user is a source user change with the attributes Graph returns.
func user(id string, kv ...any) *eventsv1.SourceChange {
	a := map[string]any{
		"displayName": "Ann Lee", "givenName": "Ann", "surname": "Lee", "department": "Sales",
		"city": "Oslo", "accountEnabled": true, "userPrincipalName": id + "@a.example",
		"mail": id + "@a.example", "mailNickname": id, "userType": "Member",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		a[kv[i].(string)] = kv[i+1]
	}
	return change(commonv1.ObjectType_OBJECT_TYPE_USER, id, a, nil)
}

// group is a source security group change with its direct user members.
func group(id string, members []string, kv ...any) *eventsv1.SourceChange {
	a := map[string]any{"displayName": "Staff " + id, "mailNickname": id, "securityEnabled": true,
		"mailEnabled": false, "groupTypes": []any{}, "description": "team"}
	for i := 0; i+1 < len(kv); i += 2 {
		a[kv[i].(string)] = kv[i+1]
	}
	return change(commonv1.ObjectType_OBJECT_TYPE_GROUP, id, a, members)
}

func change(typ commonv1.ObjectType, id string, a map[string]any, members []string) *eventsv1.SourceChange {
	s, err := json.Marshal(a)
	if err != nil {
		panic(err)
	}
	return &eventsv1.SourceChange{ConfigurationId: cfgID, CycleId: cycle,
		Object: &commonv1.ObjectRef{Type: typ, TenantId: "tenant-a", ObjectId: id},
		Kind:   eventsv1.ChangeKind_CHANGE_KIND_UPSERT, AttributesJson: s, MemberIds: members,
		ObservedAt: timestamppb.New(now)}
}

func deletedChange(typ commonv1.ObjectType, id string, kind eventsv1.ChangeKind) *eventsv1.SourceChange {
	return &eventsv1.SourceChange{ConfigurationId: cfgID, CycleId: cycle,
		Object: &commonv1.ObjectRef{Type: typ, TenantId: "tenant-a", ObjectId: id}, Kind: kind, ObservedAt: timestamppb.New(now)}
}

func batch(page int64, changes ...*eventsv1.SourceChange) *eventsv1.SourceChangeBatch {
	return &eventsv1.SourceChangeBatch{ConfigurationId: cfgID, CycleId: cycle, Page: page, Changes: changes}
}

// one transforms a batch of one change and returns its intent, published
// or kept for the cycle end (deprovisions, under the default threshold).
func (f *fixture) one(ch *eventsv1.SourceChange) *eventsv1.WriteIntent {
	f.t.Helper()
	res, err := f.tr.Process(ctxT(f.t), batch(1, ch))
	require.NoError(f.t, err)
	all := append(append(res.Intents.GetIntents(), res.Pending...), res.Held...)
	require.Len(f.t, all, 1)
	return all[0]
}

// provision creates ch's object and persists the entry the writer would
// write after success (target id "t-<id>"), in state and since given.
func (f *fixture) provision(ch *eventsv1.SourceChange, state redisx.EntryState, since time.Time) {
	f.t.Helper()
	wi := f.one(ch)
	require.Equal(f.t, eventsv1.WriteAction_WRITE_ACTION_CREATE, wi.GetAction(), wi.GetLogJson())
	ce := wi.GetConnectorEntry()
	typ := redisx.Users
	if ch.GetObject().GetType() == commonv1.ObjectType_OBJECT_TYPE_GROUP {
		typ = redisx.Groups
	}
	require.NoError(f.t, f.cds.Put(ctxT(f.t), cfgID, redisx.Entry{SourceID: ce.GetSourceId(), Type: typ,
		TargetID: "t-" + ce.GetSourceId(), State: state, Since: since, CreatedBySync: ce.GetCreatedBySync(),
		Exported: ce.GetExported(), Version: 1}))
}

func attributesOf(wi *eventsv1.WriteIntent) []string {
	var out []string
	for _, c := range wi.GetChanges() {
		out = append(out, c.GetAttribute())
	}
	return out
}
