package transformer_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/redisx/redistest"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/spec"
)

const (
	userT  = commonv1.ObjectType_OBJECT_TYPE_USER
	groupT = commonv1.ObjectType_OBJECT_TYPE_GROUP
)

func TestTransformDecisions(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	day := 24 * time.Hour
	cases := []struct {
		name    string
		rules   func(*spec.Rules)
		setup   func(f *fixture)
		in      *eventsv1.SourceChange
		action  eventsv1.WriteAction
		code    rules.Code
		changes []string
		check   func(t *testing.T, wi *eventsv1.WriteIntent)
	}{
		{name: "new user: create with match queries and on_match", in: user("u1"),
			action: eventsv1.WriteAction_WRITE_ACTION_CREATE,
			check: func(t *testing.T, wi *eventsv1.WriteIntent) {
				require.Len(t, wi.GetMatchQueries(), 1)
				require.Equal(t, "alternativeSecurityIds/any(a:a/identityProvider eq 'tenant-a' and a/key eq 'u1')", wi.GetMatchQueries()[0].GetFilter())
				require.NotEmpty(t, wi.GetOnMatch())
				for _, c := range wi.GetOnMatch() {
					require.NotEqual(t, "userType", c.GetAttribute(), "creation-only mappings are not applied on match")
				}
				require.Contains(t, attributesOf(wi), "userType")
				require.True(t, wi.GetConnectorEntry().GetCreatedBySync())
				require.Equal(t, "Active", wi.GetConnectorEntry().GetState())
				require.True(t, strings.HasPrefix(wi.GetIntentId(), "c1/u1/"), wi.GetIntentId())
				for _, c := range wi.GetChanges() {
					require.True(t, json.Valid([]byte(c.GetNewValueJson())), c.GetAttribute())
					if c.GetAttribute() == "alternativeSecurityIds" {
						require.JSONEq(t, `[{"identityProvider":"tenant-a","key":"u1"}]`, c.GetNewValueJson())
					}
				}
				var log map[string]any
				require.NoError(t, json.Unmarshal([]byte(wi.GetLogJson()), &log))
				require.Equal(t, "create", log["provisioningAction"])
			}},
		{name: "update sends only changed attributes",
			setup:  func(f *fixture) { f.provision(user("u1"), redisx.Active, now.Add(-2*day)) },
			in:     user("u1", "department", "Marketing"),
			action: eventsv1.WriteAction_WRITE_ACTION_UPDATE, changes: []string{"department"},
			check: func(t *testing.T, wi *eventsv1.WriteIntent) {
				require.Equal(t, "t-u1", wi.GetTargetObjectId())
				require.Equal(t, `"Marketing"`, wi.GetChanges()[0].GetNewValueJson())
			}},
		{name: "no change: skip",
			setup:  func(f *fixture) { f.provision(user("u1"), redisx.Active, now.Add(-2*day)) },
			in:     user("u1"),
			action: eventsv1.WriteAction_WRITE_ACTION_SKIP, code: rules.NoChange},
		{name: "out of scope: soft delete",
			setup:  func(f *fixture) { f.provision(user("u1"), redisx.Active, now.Add(-2*day)) },
			in:     user("u1", "department", "Contractors"),
			action: eventsv1.WriteAction_WRITE_ACTION_DELETE, code: rules.NotInScope,
			check: func(t *testing.T, wi *eventsv1.WriteIntent) {
				require.True(t, wi.GetDeprovisions())
				require.Equal(t, "SoftDeleted", wi.GetConnectorEntry().GetState())
				require.Equal(t, now, wi.GetConnectorEntry().GetSince().AsTime())
			}},
		{name: "out of scope, never provisioned: skip", in: user("u1", "department", "Contractors"),
			action: eventsv1.WriteAction_WRITE_ACTION_SKIP, code: rules.NotInScope},
		{name: "soft deleted in source: soft delete",
			setup:  func(f *fixture) { f.provision(user("u1"), redisx.Active, now.Add(-2*day)) },
			in:     deletedChange(userT, "u1", eventsv1.ChangeKind_CHANGE_KIND_SOFT_DELETED),
			action: eventsv1.WriteAction_WRITE_ACTION_DELETE, code: rules.NotInScope,
			check: func(t *testing.T, wi *eventsv1.WriteIntent) { require.True(t, wi.GetDeprovisions()) }},
		{name: "hard deleted in source: soft delete first",
			setup:  func(f *fixture) { f.provision(user("u1"), redisx.Active, now.Add(-2*day)) },
			in:     deletedChange(userT, "u1", eventsv1.ChangeKind_CHANGE_KIND_HARD_DELETED),
			action: eventsv1.WriteAction_WRITE_ACTION_DELETE, code: rules.NotInScope},
		{name: "back in scope within retention: restore",
			setup:  func(f *fixture) { f.provision(user("u1"), redisx.SoftDeleted, now.Add(-3*day)) },
			in:     user("u1"),
			action: eventsv1.WriteAction_WRITE_ACTION_RESTORE,
			check: func(t *testing.T, wi *eventsv1.WriteIntent) {
				require.Equal(t, "t-u1", wi.GetTargetObjectId())
				require.Equal(t, "Active", wi.GetConnectorEntry().GetState())
			}},
		{name: "still gone after retention: hard delete",
			setup:  func(f *fixture) { f.provision(user("u1"), redisx.SoftDeleted, now.Add(-31*day)) },
			in:     deletedChange(userT, "u1", eventsv1.ChangeKind_CHANGE_KIND_HARD_DELETED),
			action: eventsv1.WriteAction_WRITE_ACTION_HARD_DELETE,
			check: func(t *testing.T, wi *eventsv1.WriteIntent) {
				require.True(t, wi.GetDeprovisions())
				require.Equal(t, "Deleted", wi.GetConnectorEntry().GetState())
			}},
		{name: "still gone within retention: already deprovisioned",
			setup:  func(f *fixture) { f.provision(user("u1"), redisx.SoftDeleted, now.Add(-3*day)) },
			in:     deletedChange(userT, "u1", eventsv1.ChangeKind_CHANGE_KIND_HARD_DELETED),
			action: eventsv1.WriteAction_WRITE_ACTION_SKIP, code: rules.AlreadyDeprovisioned},
		{name: "manager resolved through the connector store",
			setup:  func(f *fixture) { f.provision(user("u2"), redisx.Active, now.Add(-2*day)) },
			in:     user("u1", "manager", map[string]any{"id": "u2"}),
			action: eventsv1.WriteAction_WRITE_ACTION_CREATE,
			check: func(t *testing.T, wi *eventsv1.WriteIntent) {
				var mgr string
				for _, c := range wi.GetChanges() {
					if c.GetAttribute() == "manager" {
						mgr = c.GetNewValueJson()
					}
				}
				require.Equal(t, `"t-u2"`, mgr)
			}},
		{name: "group: members resolved, unprovisioned ones pending",
			setup:  func(f *fixture) { f.provision(user("u1"), redisx.Active, now.Add(-2*day)) },
			in:     group("g-staff", []string{"u1", "u2"}),
			action: eventsv1.WriteAction_WRITE_ACTION_CREATE,
			check: func(t *testing.T, wi *eventsv1.WriteIntent) {
				require.Equal(t, []string{"t-u1"}, wi.GetDesiredMemberIds())
				require.Equal(t, []string{"u2"}, wi.GetPendingSourceMemberIds())
				require.Contains(t, attributesOf(wi), "members", "the members change marks membership to reconcile")
				require.Empty(t, wi.GetMatchQueries(), "groups are never matched")
			}},
		{name: "group emptied: members marker with an empty set",
			setup: func(f *fixture) {
				f.provision(user("u1"), redisx.Active, now.Add(-2*day))
				f.provision(group("g-staff", []string{"u1"}), redisx.Active, now.Add(-2*day))
			},
			in:     group("g-staff", nil),
			action: eventsv1.WriteAction_WRITE_ACTION_UPDATE,
			check: func(t *testing.T, wi *eventsv1.WriteIntent) {
				require.Empty(t, wi.GetDesiredMemberIds())
				require.Equal(t, []string{"members"}, attributesOf(wi))
				require.Equal(t, "[]", wi.GetChanges()[0].GetNewValueJson())
			}},
		{name: "group renamed, members unchanged: desired members still sent",
			setup: func(f *fixture) {
				f.provision(user("u1"), redisx.Active, now.Add(-2*day))
				f.provision(group("g-staff", []string{"u1"}), redisx.Active, now.Add(-2*day))
			},
			in:     group("g-staff", []string{"u1"}, "description", "renamed"),
			action: eventsv1.WriteAction_WRITE_ACTION_UPDATE, changes: []string{"description"},
			check: func(t *testing.T, wi *eventsv1.WriteIntent) {
				require.Equal(t, []string{"t-u1"}, wi.GetDesiredMemberIds(), "writers reconcile on every group write")
			}},
		{name: "distribution group: skip", in: group("g-dist", nil, "mailEnabled", true, "securityEnabled", false),
			action: eventsv1.WriteAction_WRITE_ACTION_SKIP, code: rules.UnsupportedGroupType},
		{name: "group sync off: skip", rules: func(r *spec.Rules) { no := false; r.Groups.Enabled = &no },
			in: group("g-staff", nil), action: eventsv1.WriteAction_WRITE_ACTION_SKIP, code: rules.EntityTypeNotSupported},
		{name: "unassigned user: skip", in: user("u9"),
			action: eventsv1.WriteAction_WRITE_ACTION_SKIP, code: rules.NotEffectivelyEntitled},
		{name: "sync all users", rules: func(r *spec.Rules) { r.Scope = "AllUsers"; no := false; r.Groups.Enabled = &no },
			in: user("u9"), action: eventsv1.WriteAction_WRITE_ACTION_CREATE},
		{name: "guest source user: skip", in: user("u1", "userType", "Guest"),
			action: eventsv1.WriteAction_WRITE_ACTION_SKIP, code: rules.ExternalUserNotSupported},
		{name: "unknown object type: skip",
			in:     change(commonv1.ObjectType_OBJECT_TYPE_UNSPECIFIED, "x1", map[string]any{}, nil),
			action: eventsv1.WriteAction_WRITE_ACTION_SKIP, code: rules.EntityTypeNotSupported},
		{name: "pending create (entry without target): create again",
			setup: func(f *fixture) {
				require.NoError(f.t, f.cds.Put(ctxT(f.t), cfgID, redisx.Entry{SourceID: "u1", Type: redisx.Users, State: redisx.Active, Version: 1}))
			},
			in: user("u1"), action: eventsv1.WriteAction_WRITE_ACTION_CREATE},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, srv, func(r *spec.Rules) {
				if c.rules != nil {
					c.rules(r)
				}
			})
			require.NoError(t, f.rdb.FlushDB(ctxT(t)).Err())
			if c.setup != nil {
				c.setup(f)
			}
			wi := f.one(c.in)
			require.Equal(t, c.action, wi.GetAction(), wi.GetLogJson())
			require.Equal(t, string(c.code), wi.GetCode(), wi.GetLogJson())
			if c.changes != nil {
				require.ElementsMatch(t, c.changes, attributesOf(wi))
			}
			require.Equal(t, cfgID, wi.GetConfigurationId())
			require.Equal(t, cycle, wi.GetCycleId())
			require.NotEmpty(t, wi.GetLogJson())
			if c.check != nil {
				c.check(t, wi)
			}
		})
	}
}
