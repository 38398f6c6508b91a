package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/xtsync/xtsync/cmd/internal/mirror"
	"github.com/xtsync/xtsync/graphsim"
	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/rules/mapping"
)

// TestE2ESecretsNeverLeak runs the product at debug log level through a
// good cycle, a cycle against a target that refuses the app, a failed
// connection test with a wrong client id and an on-demand provisioning,
// then looks for either tenant's client secret and the admin token in
// every process log, every API response (configurations, jobs,
// connection tests, provisioning logs, audit logs), every Redis value
// and every JetStream message.
func TestE2ESecretsNeverLeak(t *testing.T) {
	c := newCluster(t, clusterSpec{Users: 40, Groups: 2, TargetUsers: 5,
		TargetLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1},
		Flags:        []string{"-log.level=debug"}})
	c.startFive()
	sc := mirror.Scope{AllUsers: true}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	secrets := map[string]string{
		"source client secret": c.source.Info().ClientSecret,
		"target client secret": c.target.Info().ClientSecret,
		"admin bearer token":   c.token,
	}
	var responses []proto.Message
	keep := func(m proto.Message, err error) {
		t.Helper()
		require.NoError(t, err)
		responses = append(responses, m)
	}

	cfgID := c.createConfig(ctx, sc.Rules())
	c.runCycle(ctx, cfgID)
	keep(c.sched.TestConnection(ctx, &schedulerv1.TestConnectionRequest{ConfigurationId: cfgID}))
	bad := c.configuration(sc.Rules())
	bad.Target.ClientId = "00000000-0000-0000-0000-000000000001"
	tc, err := c.sched.TestConnection(ctx, &schedulerv1.TestConnectionRequest{Configuration: bad})
	keep(tc, err)
	require.False(t, tc.GetOk(), "a wrong client id fails the test")

	// A cycle whose writes are refused: errors from Graph and azidentity
	// are logged and recorded.
	require.NoError(t, c.target.SetLimits(graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1, Unauthorized: true}))
	for _, u := range enabledUsers(c.source)[:5] {
		require.NoError(t, c.source.UpdateUser(u.ID, func(u *graphsim.User) { u.JobTitle = "Leak Probe" }))
	}
	p := c.waitCycle(ctx, cfgID, c.startCycle(ctx, cfgID))
	require.Positive(t, p.Failed, "%v", p.ByStatus)
	require.NoError(t, c.target.SetLimits(graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}))
	u := enabledUsers(c.source)[0]
	keep(c.sched.ProvisionOnDemand(ctx, &schedulerv1.ProvisionOnDemandRequest{ConfigurationId: cfgID,
		Objects: []*commonv1.ObjectRef{{Type: commonv1.ObjectType_OBJECT_TYPE_USER, ObjectId: u.ID}}}))
	keep(c.sched.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: cfgID}))
	keep(c.sched.ListConfigurations(ctx, &schedulerv1.ListConfigurationsRequest{}))
	keep(c.sched.GetJob(ctx, &schedulerv1.GetJobRequest{ConfigurationId: cfgID}))
	for _, e := range c.logEntries(ctx, cfgID, "") {
		responses = append(responses, e)
	}
	keep(c.logs.ListAuditLogs(ctx, &synclogv1.ListAuditLogsRequest{ConfigurationId: cfgID, PageSize: 500}))

	var haystacks []struct{ where, text string }
	add := func(where, text string) { haystacks = append(haystacks, struct{ where, text string }{where, text}) }
	for i, m := range responses {
		b, err := protojson.Marshal(m)
		require.NoError(t, err)
		add("API response "+string(m.ProtoReflect().Descriptor().Name())+" #"+strconv.Itoa(i), string(b))
	}
	logs, err := filepath.Glob(filepath.Join(c.dir, "*.log"))
	require.NoError(t, err)
	require.NotEmpty(t, logs)
	for _, path := range logs {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		add("process log "+filepath.Base(path), string(b))
	}
	nRedis := c.redisValues(ctx, add)
	nNATS := c.streamMessages(ctx, add)
	for what, secret := range secrets {
		require.NotEmpty(t, secret)
		for _, h := range haystacks {
			require.NotContains(t, h.text, secret, "%s found in %s", what, h.where)
		}
	}
	t.Logf("no secret in %d process logs, %d API responses, %d Redis keys, %d JetStream messages",
		len(logs), len(responses), nRedis, nNATS)
}

// redisValues hands every value in Redis to add, by key.
func (c *cluster) redisValues(ctx context.Context, add func(where, text string)) int {
	c.t.Helper()
	n := 0
	iter := c.rdb.Scan(ctx, 0, "*", 500).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		typ, err := c.rdb.Type(ctx, key).Result()
		require.NoError(c.t, err)
		var v any
		switch typ {
		case "string":
			v, err = c.rdb.Get(ctx, key).Result()
		case "hash":
			v, err = c.rdb.HGetAll(ctx, key).Result()
		case "list":
			v, err = c.rdb.LRange(ctx, key, 0, -1).Result()
		case "set":
			v, err = c.rdb.SMembers(ctx, key).Result()
		case "zset":
			v, err = c.rdb.ZRangeWithScores(ctx, key, 0, -1).Result()
		case "stream":
			v, err = c.rdb.XRange(ctx, key, "-", "+").Result()
		default:
			continue
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			continue // expired between SCAN and read
		}
		b, _ := json.Marshal(v)
		add("Redis "+typ+" "+key, key+" "+string(b))
		n++
	}
	require.NoError(c.t, iter.Err())
	return n
}

// streamMessages hands every message of every JetStream stream to add.
func (c *cluster) streamMessages(ctx context.Context, add func(where, text string)) int {
	c.t.Helper()
	nc, err := nats.Connect(c.nats.ClientURL())
	require.NoError(c.t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(c.t, err)
	n := 0
	names := js.StreamNames(ctx)
	for name := range names.Name() {
		s, err := js.Stream(ctx, name)
		require.NoError(c.t, err)
		info := s.CachedInfo()
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0 && n < 100000; seq++ {
			m, err := s.GetMsg(ctx, seq)
			if err != nil {
				continue // deleted (work queue acked)
			}
			hdr, _ := json.Marshal(m.Header)
			add("JetStream "+name+" #"+strconv.Itoa(int(seq)), m.Subject+" "+string(hdr)+" "+string(m.Data))
			n++
		}
	}
	require.NoError(c.t, names.Err())
	return n
}

// TestE2EHostileMatchingValues: with displayName as a matching attribute
// (customMatching), source users whose names are OData injection attempts
// ("x' or 1 eq 1", "x' or displayName ne 'y"), quotes and unicode each get
// exactly their own B2B user and no other target user is touched; names
// with CR/LF (header injection), NUL or over 1,024 bytes are refused with
// InvalidMatchValue and write nothing.
func TestE2EHostileMatchingValues(t *testing.T) {
	c := newCluster(t, clusterSpec{Users: 12, TargetUsers: 10, Flags: []string{"-log.level=debug"},
		TargetLimits: graphsim.Limits{WritesPerMinute: -1, ReadsPerMinute: -1}})
	accepted := []string{"x' or 1 eq 1", "x' or displayName ne 'y", "O'Brien ''quoted''", "Zoë Müller ☃ 𝔘𝔫𝔦 ‮rtl", `back\slash %27 %0d%0a`}
	refused := []string{"Evil\r\nX-Injected: 1", "nul\x00byte", strings.Repeat("A", 1100)}
	added := map[string]graphsim.User{}
	for i, name := range append(append([]string{}, accepted...), refused...) {
		upn := "hostile" + strconv.Itoa(i) + "@" + c.source.Domain()
		u, err := c.source.AddUser(graphsim.User{UserPrincipalName: upn, Mail: upn, DisplayName: name,
			GivenName: "Hostile", Surname: strconv.Itoa(i), AccountEnabled: true})
		require.NoError(t, err)
		added[name] = u
	}
	// The control: a B2B user invited by hand whose name has quotes; the
	// source user of that name must be matched to it, not get a new one.
	const control = "Pat O'Hara 'x' or 1 eq 1"
	ctl, err := c.source.AddUser(graphsim.User{UserPrincipalName: "pat.ohara@" + c.source.Domain(), Mail: "pat.ohara@" + c.source.Domain(),
		DisplayName: control, GivenName: "Pat", Surname: "O'Hara", AccountEnabled: true})
	require.NoError(t, err)
	pre, err := c.target.AddUser(graphsim.User{UserPrincipalName: "pat_elsewhere.example#EXT#@" + c.target.Domain(),
		Mail: "pat@elsewhere.example", DisplayName: control, UserType: "Guest", AccountEnabled: true, CreationType: "Invitation"})
	require.NoError(t, err)
	before := map[string]graphsim.User{}
	for _, id := range c.target.UserIDs() {
		if id != pre.ID {
			u, _ := c.target.User(id)
			before[id] = u
		}
	}

	// The default mappings, plus displayName as a second matching attribute.
	var maps []any
	for _, s := range mapping.DefaultUser() {
		if s.Target == "displayName" {
			s.MatchingPrecedence = 2
		}
		b, err := json.Marshal(s)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		maps = append(maps, m)
	}
	rules := mirror.Scope{AllUsers: true}.Rules().AsMap()
	users := rules["users"].(map[string]any)
	users["customMatching"], users["mappings"] = true, maps
	rs, err := structpb.NewStruct(rules)
	require.NoError(t, err)

	c.startAllInOne()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfgID := c.createConfig(ctx, rs)
	cycle := c.startCycle(ctx, cfgID)
	p := c.waitCycle(ctx, cfgID, cycle)
	require.EqualValues(t, len(refused), p.Failed, "only the refused names fail: %v", p.ByStatus)
	c.requireLoggedOnce(ctx, cfgID, cycle, p.Expected)

	for id, was := range before {
		now, ok := c.target.User(id)
		require.True(t, ok)
		require.Equal(t, was, now, "preexisting target user %s was touched", id)
	}
	b2b := func(mail string) []graphsim.User {
		var out []graphsim.User
		for _, id := range c.target.UserIDs() {
			if u, _ := c.target.User(id); mirror.IsB2B(u) && strings.EqualFold(u.Mail, mail) {
				out = append(out, u)
			}
		}
		return out
	}
	for _, name := range accepted {
		got := b2b(added[name].Mail)
		require.Len(t, got, 1, "%q: exactly its own B2B user", name)
		require.Equal(t, name, got[0].DisplayName)
	}
	matched, ok := c.target.User(pre.ID)
	require.True(t, ok)
	require.Equal(t, "O'Hara", matched.Surname, "the control user was matched by its quoted name and updated")
	for _, u := range b2b(ctl.Mail) {
		require.Equal(t, pre.ID, u.ID, "the control was invited a second time")
	}
	for _, id := range c.target.UserIDs() {
		if u, _ := c.target.User(id); mirror.IsB2B(u) && u.DisplayName == control {
			require.Equal(t, pre.ID, u.ID, "the control has no second B2B user")
		}
	}
	// Every displayName query reached Graph: none was refused as malformed.
	log, err := os.ReadFile(c.procs["all"].log)
	require.NoError(t, err)
	for _, line := range strings.Split(string(log), "\n") {
		require.False(t, strings.Contains(line, "match query refused") && strings.Contains(line, "attribute=displayName"), line)
	}
	entries := c.logEntries(ctx, cfgID, cycle)
	for _, name := range refused {
		require.Empty(t, b2b(added[name].Mail), "%q is refused, nothing written", name[:min(len(name), 20)])
		var code string
		for _, e := range entries {
			if e.GetSource().GetObjectId() == added[name].ID {
				code = e.GetError().GetCode()
			}
		}
		require.Equal(t, "InvalidMatchValue", code, "%q", name[:min(len(name), 20)])
	}
	fig := faultFigures{Class: "hostile matching values ($filter injection, CR/LF, NUL, oversize)", Objects: p.Expected}
	fig.log(t)
}
