package writer_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/redisx"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/services/internal/graph"
	"github.com/xtsync/xtsync/services/writer"
)

const (
	actCreate  = eventsv1.WriteAction_WRITE_ACTION_CREATE
	actUpdate  = eventsv1.WriteAction_WRITE_ACTION_UPDATE
	actDisable = eventsv1.WriteAction_WRITE_ACTION_DISABLE
	actDelete  = eventsv1.WriteAction_WRITE_ACTION_DELETE
	actRestore = eventsv1.WriteAction_WRITE_ACTION_RESTORE
	actHard    = eventsv1.WriteAction_WRITE_ACTION_HARD_DELETE
)

// create applies one user create and returns the new target id.
func create(t *testing.T, e *env, w *writer.Writer, src, mail string) string {
	t.Helper()
	outs := applyOK(t, w, batchOf(e, userCreate(src, mail, "User "+src)))
	requireSuccess(t, outs)
	require.NotEmpty(t, outs[0].GetTargetObjectId())
	return outs[0].GetTargetObjectId()
}

func TestApply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t *testing.T, e *env, w *writer.Writer)
	}{
		{"create invites a B2B member with the mapped attributes", func(t *testing.T, e *env, w *writer.Writer) {
			before := e.tenant.UserCount()
			id := create(t, e, w, "s1", "ada@source.example")
			u, ok := e.tenant.User(id)
			require.True(t, ok)
			require.Equal(t, before+1, e.tenant.UserCount())
			require.Equal(t, "User s1", u.DisplayName)
			require.Equal(t, "ada@source.example", u.Mail)
			require.Equal(t, "Member", u.UserType)
			require.Equal(t, "Engineer", u.JobTitle)
			require.Equal(t, []string{"+1 555 0100"}, u.BusinessPhones)
			require.Contains(t, u.UserPrincipalName, "#EXT#")
			require.Equal(t, "Invitation", u.CreationType)

			entry, err := e.conns.Get(ctxT(t), cfgID, "s1")
			require.NoError(t, err)
			require.Equal(t, id, entry.TargetID)
			require.True(t, entry.CreatedBySync)
			require.Equal(t, redisx.Active, entry.State)
			require.Equal(t, "c1", entry.LastCycle)
		}},
		{"create matches an existing B2B user instead of duplicating", func(t *testing.T, e *env, w *writer.Writer) {
			inv, err := e.client.Invite(ctxT(t), graph.Invitation{Email: "grace@source.example", DisplayName: "Old Name"})
			require.NoError(t, err)
			before := e.tenant.UserCount()
			in := userCreate("s2", "grace@source.example", "Grace Hopper")
			in.MatchQueries = append(in.MatchQueries, &eventsv1.MatchQuery{Precedence: 2, Attribute: "mail", Filter: "mail eq 'grace@source.example'"})
			outs := applyOK(t, w, batchOf(e, in))
			requireSuccess(t, outs)
			require.Equal(t, inv.UserID, outs[0].GetTargetObjectId())
			require.Equal(t, before, e.tenant.UserCount())
			u, _ := e.tenant.User(inv.UserID)
			require.Equal(t, "Grace Hopper", u.DisplayName)
			require.Equal(t, "Guest", u.UserType, "on_match leaves out creation-only mappings")
			entry, err := e.conns.Get(ctxT(t), cfgID, "s2")
			require.NoError(t, err)
			require.False(t, entry.CreatedBySync)
			require.Equal(t, "mail", entry.MatchedBy)
		}},
		{"two matches are DuplicateTargetEntries", func(t *testing.T, e *env, w *writer.Writer) {
			for _, m := range []string{"x1@source.example", "x2@source.example"} {
				_, err := e.client.Invite(ctxT(t), graph.Invitation{Email: m, DisplayName: "Twin"})
				require.NoError(t, err)
			}
			in := userCreate("s3", "twin@source.example", "Twin")
			in.MatchQueries = []*eventsv1.MatchQuery{{Precedence: 1, Attribute: "displayName", Filter: "displayName eq 'Twin'"}}
			outs := applyOK(t, w, batchOf(e, in))
			require.False(t, outs[0].GetSuccess())
			require.Equal(t, string(rules.DuplicateTargetEntries), outs[0].GetError().GetCode())
		}},
		{"redelivered create makes exactly one user", func(t *testing.T, e *env, w *writer.Writer) {
			b := batchOf(e, userCreate("s4", "linus@source.example", "Linus"))
			before := e.tenant.UserCount()
			first := applyOK(t, w, b)
			requireSuccess(t, first)
			// Redelivery after the entry was stored, and after a crash
			// before it was stored: both find the same user.
			second := applyOK(t, w, b)
			require.NoError(t, e.conns.Delete(ctxT(t), cfgID, "s4"))
			third := applyOK(t, w, b)
			requireSuccess(t, append(second, third...))
			require.Equal(t, first[0].GetTargetObjectId(), second[0].GetTargetObjectId())
			require.Equal(t, first[0].GetTargetObjectId(), third[0].GetTargetObjectId())
			require.Equal(t, before+1, e.tenant.UserCount())
		}},
		{"update, disable, soft delete, restore, hard delete", func(t *testing.T, e *env, w *writer.Writer) {
			id := create(t, e, w, "s5", "alan@source.example")
			requireSuccess(t, applyOK(t, w, batchOf(e, intentFor("s5", id, actUpdate, "Active", change("jobTitle", "jobTitle", str("Director")), change("department", "department", str("R&D"))))))
			u, _ := e.tenant.User(id)
			require.Equal(t, "Director", u.JobTitle)
			require.Equal(t, "R&D", u.Department)
			require.Equal(t, "User s5", u.DisplayName, "only the changes are sent")

			requireSuccess(t, applyOK(t, w, batchOf(e, intentFor("s5", id, actDisable, "Disabled"))))
			u, _ = e.tenant.User(id)
			require.False(t, u.AccountEnabled)

			del := batchOf(e, intentFor("s5", id, actDelete, "SoftDeleted"))
			requireSuccess(t, applyOK(t, w, del))
			requireSuccess(t, applyOK(t, w, del)) // 404 on redelivery is success
			u, _ = e.tenant.User(id)
			require.NotNil(t, u.DeletedDateTime)
			entry, err := e.conns.Get(ctxT(t), cfgID, "s5")
			require.NoError(t, err)
			require.Equal(t, redisx.SoftDeleted, entry.State)

			requireSuccess(t, applyOK(t, w, batchOf(e, intentFor("s5", id, actRestore, "Active", change("accountEnabled", "accountEnabled", "true")))))
			u, _ = e.tenant.User(id)
			require.Nil(t, u.DeletedDateTime)
			require.True(t, u.AccountEnabled)

			hard := batchOf(e, intentFor("s5", id, actHard, "Deleted"))
			requireSuccess(t, applyOK(t, w, hard))
			requireSuccess(t, applyOK(t, w, hard))
			_, ok := e.tenant.User(id)
			require.False(t, ok)
		}},
		{"group create and member reconciliation", func(t *testing.T, e *env, w *writer.Writer) {
			u1 := create(t, e, w, "m1", "m1@source.example")
			u2 := create(t, e, w, "m2", "m2@source.example")
			u3 := create(t, e, w, "m3", "m3@source.example")
			g := &eventsv1.WriteIntent{
				ConfigurationId: cfgID, CycleId: "c1", Source: srcRef("g1", true), Action: actCreate, IntentId: "c1/g1",
				Changes: []*eventsv1.AttributeChange{
					change("displayName", "displayName", str("Engineering")), change("mailNickname", "mailNickname", str("eng")),
					change("securityEnabled", "securityEnabled", "true"), change("mailEnabled", "mailEnabled", "false"),
				},
				DesiredMemberIds: []string{u1, u2},
				ConnectorEntry:   &eventsv1.ConnectorEntry{SourceId: "g1", State: "Active", CreatedBySync: true},
			}
			outs := applyOK(t, w, batchOf(e, g))
			requireSuccess(t, outs)
			gid := outs[0].GetTargetObjectId()
			grp, ok := e.tenant.Group(gid)
			require.True(t, ok)
			require.True(t, grp.SecurityEnabled)
			require.False(t, grp.MailEnabled)
			require.ElementsMatch(t, []string{u1, u2}, grp.Members)

			upd := intentFor("g1", gid, actUpdate, "Active")
			upd.Source = srcRef("g1", true)
			upd.DesiredMemberIds = []string{u2, u3}
			requireSuccess(t, applyOK(t, w, batchOf(e, upd)))
			requireSuccess(t, applyOK(t, w, batchOf(e, upd)))
			grp, _ = e.tenant.Group(gid)
			require.ElementsMatch(t, []string{u2, u3}, grp.Members)

			// A desired member deprovisioned in the target meanwhile (the
			// same cycle): its absence is the desired state, not a failure.
			require.NoError(t, e.tenant.DeleteUser(u3))
			requireSuccess(t, applyOK(t, w, batchOf(e, upd)))
			grp, _ = e.tenant.Group(gid)
			require.ElementsMatch(t, []string{u2}, grp.Members)
			require.NoError(t, e.tenant.RestoreUser(u3))
			requireSuccess(t, applyOK(t, w, batchOf(e, upd)))
			grp, _ = e.tenant.Group(gid)
			require.ElementsMatch(t, []string{u2, u3}, grp.Members)

			// A group sync did not create is never touched.
			upd.ConnectorEntry.CreatedBySync = false
			upd.DesiredMemberIds = nil
			outs = applyOK(t, w, batchOf(e, upd))
			requireSuccess(t, outs)
			require.Equal(t, string(rules.NotCreatedBySync), outs[0].GetError().GetCode())
			grp, _ = e.tenant.Group(gid)
			require.Len(t, grp.Members, 2)
		}},
		{"redelivered group create makes exactly one group", func(t *testing.T, e *env, w *writer.Writer) {
			u1 := create(t, e, w, "gm1", "gm1@source.example")
			for _, tc := range []struct{ src, nick string }{{"g2", "sales"}, {"0c1d-g3", ""}} {
				changes := []*eventsv1.AttributeChange{change("displayName", "displayName", str("Group "+tc.src))}
				if tc.nick != "" {
					changes = append(changes, change("mailNickname", "mailNickname", str(tc.nick)))
				}
				b := batchOf(e, &eventsv1.WriteIntent{
					ConfigurationId: cfgID, CycleId: "c1", Source: srcRef(tc.src, true), Action: actCreate, IntentId: "c1/" + tc.src,
					Changes: changes, DesiredMemberIds: []string{u1},
					ConnectorEntry: &eventsv1.ConnectorEntry{SourceId: tc.src, State: "Active", CreatedBySync: true},
				})
				before := e.tenant.GroupCount()
				first := applyOK(t, w, b)
				requireSuccess(t, first)
				// A crash after POST /groups and before the entry was
				// stored: the redelivery finds the group by mailNickname.
				require.NoError(t, e.conns.Delete(ctxT(t), cfgID, tc.src))
				second := applyOK(t, w, b)
				requireSuccess(t, second)
				require.Equal(t, first[0].GetTargetObjectId(), second[0].GetTargetObjectId(), tc.src)
				require.Equal(t, before+1, e.tenant.GroupCount(), tc.src)
				entry, err := e.conns.Get(ctxT(t), cfgID, tc.src)
				require.NoError(t, err)
				require.True(t, entry.CreatedBySync, "the group found is the one sync created")
				grp, _ := e.tenant.Group(first[0].GetTargetObjectId())
				require.Equal(t, []string{u1}, grp.Members)
				if tc.nick == "" {
					require.Equal(t, "xtsync-0c1dg3", grp.MailNickname, "short ids keep their default nickname")
				}
			}
		}},
		{"FAIL and SKIP pass through", func(t *testing.T, e *env, w *writer.Writer) {
			fail := intentFor("f1", "", eventsv1.WriteAction_WRITE_ACTION_FAIL, "")
			fail.Code = string(rules.ImportSkipped)
			skip := intentFor("k1", "", eventsv1.WriteAction_WRITE_ACTION_SKIP, "")
			skip.Code = string(rules.NotInScope)
			outs := applyOK(t, w, batchOf(e, fail, skip))
			require.False(t, outs[0].GetSuccess())
			require.Equal(t, string(rules.ImportSkipped), outs[0].GetError().GetCode())
			require.True(t, outs[1].GetSuccess())
			require.Equal(t, string(rules.NotInScope), outs[1].GetError().GetCode())
		}},
		{"permanent 400s fail with stable codes and go to escrow", func(t *testing.T, e *env, w *writer.Writer) {
			a := create(t, e, w, "p1", "p1@source.example")
			b := create(t, e, w, "p2", "p2@source.example")
			ua, _ := e.tenant.User(a)
			bad := intentFor("p2", b, actUpdate, "Active", change("accountEnabled", "accountEnabled", str("not-a-bool")))
			conflict := intentFor("p3", b, actUpdate, "Active", change("userPrincipalName", "userPrincipalName", str(ua.UserPrincipalName)))
			ok := intentFor("p1", a, actUpdate, "Active", change("jobTitle", "jobTitle", str("Still fine")))
			outs := applyOK(t, w, batchOf(e, bad, conflict, ok))
			require.False(t, outs[0].GetSuccess())
			require.Equal(t, string(rules.InvalidAttributeValue), outs[0].GetError().GetCode(), outs[0].GetError().GetMessage())
			require.False(t, outs[1].GetSuccess())
			require.Equal(t, string(rules.EntryConflict), outs[1].GetError().GetCode(), outs[1].GetError().GetMessage())
			require.True(t, outs[2].GetSuccess())
			esc, err := e.escrows.List(ctxT(t), cfgID)
			require.NoError(t, err)
			require.Len(t, esc, 2)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			tt.run(t, e, e.newWriter())
		})
	}
}
