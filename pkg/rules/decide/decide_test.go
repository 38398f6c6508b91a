package decide_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/decide"
	"github.com/xtsync/xtsync/pkg/rules/mapping"
	"github.com/xtsync/xtsync/pkg/rules/match"
	"github.com/xtsync/xtsync/pkg/rules/schema"
	"github.com/xtsync/xtsync/pkg/rules/scope"
)

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func config(t testing.TB, mut ...func(*decide.Config)) *decide.Config {
	t.Helper()
	users, errs := mapping.Compile(mapping.DefaultUser(), mapping.Options{ObjectType: schema.UserType, SourceTenantID: "src"})
	require.Empty(t, errs)
	groups, errs := mapping.Compile(mapping.DefaultGroup(), mapping.Options{ObjectType: schema.GroupType})
	require.Empty(t, errs)
	filters, errs := scope.Compile([]scope.Filter{{Clauses: []scope.Clause{{Attribute: "department", Operator: "NOT EQUALS", Value: "Contractors"}}}}, schema.SourceUser)
	require.Empty(t, errs)
	all := decide.Actions{Create: true, Update: true, Delete: true}
	cfg := &decide.Config{
		Mode:        scope.AssignedOnly,
		Assignments: scope.NewAssignments([]string{"u1", "u-disabled", "u-ext"}, []string{"g-staff", "g-dist"}),
		Users:       decide.ObjectRules{Enabled: true, Filters: filters, Mappings: users, Actions: all},
		Groups:      decide.ObjectRules{Enabled: true, Mappings: groups, Actions: all},
		Deprovision: decide.DeprovisionSoftDelete,
		Retention:   30 * 24 * time.Hour,
	}
	for _, m := range mut {
		m(cfg)
	}
	return cfg
}

func user(id string, kv ...any) decide.Source {
	a := map[string]any{
		"netId": id, "displayName": "Ann Lee", "givenName": "Ann", "surname": "Lee",
		"department": "Sales", "city": "Oslo", "accountEnabled": true, "IsSoftDeleted": false,
		"userPrincipalName": "ann@src.example", "mail": "ann@src.example", "mailNickname": "ann",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		a[kv[i].(string)] = kv[i+1]
	}
	return decide.Source{ID: id, Type: schema.UserType, Attrs: rules.NewAttrs(a)}
}

// provisioned returns the entry a previous successful create left behind.
func provisioned(t testing.TB, cfg *decide.Config, src decide.Source) *decide.Entry {
	t.Helper()
	d := decide.Decide(cfg, decide.Input{Source: src, MatchResults: [][]match.Candidate{nil}, Now: now.Add(-48 * time.Hour)})
	require.Equal(t, decide.Create, d.Action, d.Log.Explain())
	d.Entry.TargetID = "t-" + src.ID
	return d.Entry
}

func changed(d decide.Decision) []string {
	var out []string
	for _, c := range d.Changes {
		out = append(out, c.Attribute)
	}
	return out
}

func TestUserActions(t *testing.T) {
	t.Parallel()
	cfg := config(t)
	base := user("u1")
	entry := provisioned(t, cfg, base)
	soft := *entry
	soft.State, soft.Since = decide.SoftDeleted, now.Add(-24*time.Hour)
	oldSoft := soft
	oldSoft.Since = now.Add(-31 * 24 * time.Hour)

	cases := []struct {
		name    string
		cfg     *decide.Config
		in      decide.Input
		action  decide.Action
		code    rules.Code
		changes []string
		check   func(t *testing.T, d decide.Decision)
	}{
		{name: "new user: create with lookups first", in: decide.Input{Source: base}, action: decide.Create,
			check: func(t *testing.T, d decide.Decision) {
				require.Len(t, d.Match, 1)
				require.Equal(t, "alternativeSecurityIds/any(a:a/identityProvider eq 'src' and a/key eq 'u1')", d.Match[0].Filter)
				require.Contains(t, changed(d), "userType")
				for _, c := range d.OnMatch {
					require.NotEqual(t, "userType", c.Attribute, "creation-only mappings are not applied to matched users")
				}
				require.True(t, d.Entry.CreatedBySync)
			}},
		{name: "matched existing B2B user is updated, not duplicated", in: decide.Input{Source: base,
			MatchResults: [][]match.Candidate{{{ID: "b2b-1", External: true}}}}, action: decide.Update,
			check: func(t *testing.T, d decide.Decision) {
				require.Equal(t, "b2b-1", d.TargetID)
				require.NotContains(t, changed(d), "userType")
				require.False(t, d.Entry.CreatedBySync)
			}},
		{name: "two target objects match", in: decide.Input{Source: base,
			MatchResults: [][]match.Candidate{{{ID: "a", External: true}, {ID: "b", External: true}}}}, action: decide.Fail, code: rules.DuplicateTargetEntries},
		{name: "internal target user is never taken over", in: decide.Input{Source: base,
			MatchResults: [][]match.Candidate{{{ID: "a"}}}}, action: decide.Fail, code: rules.EntryConflict},
		{name: "not assigned", in: decide.Input{Source: user("u9")}, action: decide.Skip, code: rules.NotEffectivelyEntitled},
		{name: "direct member of assigned group", in: decide.Input{Source: func() decide.Source {
			s := user("u9")
			s.DirectGroups = []string{"g-staff"}
			return s
		}()}, action: decide.Create},
		{name: "scoping filter fails", in: decide.Input{Source: user("u1", "department", "Contractors")}, action: decide.Skip, code: rules.NotInScope,
			check: func(t *testing.T, d decide.Decision) {
				require.Contains(t, d.Log.Explain(), `department NOT EQUALS 'Contractors' is false (value "Contractors")`)
			}},
		{name: "external source user", in: decide.Input{Source: user("u-ext", "userType", "Guest")}, action: decide.Skip, code: rules.ExternalUserNotSupported},
		{name: "disabled user never provisioned", in: decide.Input{Source: user("u-disabled", "accountEnabled", false)}, action: decide.Skip, code: rules.SourceUserDisabled},
		{name: "no netId", in: decide.Input{Source: user("u1", "netId", nil)}, action: decide.Fail, code: rules.ImportSkipped},
		{name: "no change", in: decide.Input{Source: base, Entry: entry}, action: decide.Skip, code: rules.NoChange},
		{name: "only changed attribute is sent", in: decide.Input{Source: user("u1", "department", "Marketing"), Entry: entry},
			action: decide.Update, changes: []string{"department"}},
		{name: "target drift persists while the source is unchanged", in: decide.Input{Source: base, Entry: entry,
			Target: &decide.Target{ID: "t-u1", Attrs: rules.NewAttrs(map[string]any{"city": "Bergen"})}}, action: decide.Skip, code: rules.NoChange},
		{name: "source change also repairs target drift", in: decide.Input{Source: user("u1", "department", "Marketing"), Entry: entry,
			Target: &decide.Target{ID: "t-u1", Attrs: targetOf(base, "city", "Bergen", "accountEnabled", false)}},
			action: decide.Update, changes: []string{"accountEnabled", "city", "department"},
			check: func(t *testing.T, d decide.Decision) {
				require.Contains(t, d.Log.Modified, decide.ModifiedProperty{DisplayName: "city", OldValue: "Bergen", NewValue: "Oslo"})
			}},
		{name: "disabled in source is an update, not a deletion", in: decide.Input{Source: user("u1", "accountEnabled", false), Entry: entry},
			action: decide.Update, changes: []string{"accountEnabled"}},
		{name: "out of scope: soft delete", in: decide.Input{Source: user("u1", "department", "Contractors"), Entry: entry}, action: decide.SoftDelete, code: rules.NotInScope,
			check: func(t *testing.T, d decide.Decision) {
				require.True(t, d.Deprovisions)
				require.Equal(t, decide.SoftDeleted, d.Entry.State)
				require.Equal(t, now, d.Entry.Since)
			}},
		{name: "unassigned: soft delete", in: decide.Input{Source: user("u9"), Entry: entry}, action: decide.SoftDelete, code: rules.NotEffectivelyEntitled},
		{name: "deleted in source", in: decide.Input{Source: decide.Source{ID: "u1", Type: schema.UserType, Deleted: true}, Entry: entry}, action: decide.SoftDelete},
		{name: "IsSoftDeleted true", in: decide.Input{Source: user("u1", "IsSoftDeleted", true), Entry: entry}, action: decide.SoftDelete},
		{name: "disable mode", cfg: config(t, func(c *decide.Config) { c.Deprovision = decide.DeprovisionDisable }),
			in: decide.Input{Source: user("u9"), Entry: entry}, action: decide.Disable, changes: []string{"accountEnabled"},
			check: func(t *testing.T, d decide.Decision) { require.Equal(t, decide.Disabled, d.Entry.State) }},
		{name: "threshold 0: hard delete at once", cfg: config(t, func(c *decide.Config) { c.Retention = 0 }),
			in: decide.Input{Source: user("u9"), Entry: entry}, action: decide.HardDelete,
			check: func(t *testing.T, d decide.Decision) { require.Equal(t, decide.Deleted, d.Entry.State) }},
		{name: "skip out of scope deletions", cfg: config(t, func(c *decide.Config) { c.SkipOutOfScopeDeletions = true }),
			in: decide.Input{Source: user("u9"), Entry: entry}, action: decide.Skip, code: rules.NotEffectivelyEntitled},
		{name: "skip out of scope deletions still honours source deletion", cfg: config(t, func(c *decide.Config) { c.SkipOutOfScopeDeletions = true }),
			in: decide.Input{Source: decide.Source{ID: "u1", Type: schema.UserType, Deleted: true}, Entry: entry}, action: decide.SoftDelete},
		{name: "delete action disabled", cfg: config(t, func(c *decide.Config) { c.Users.Actions.Delete = false }),
			in: decide.Input{Source: user("u9"), Entry: entry}, action: decide.Skip, code: rules.ActionDisabled},
		{name: "create action disabled", cfg: config(t, func(c *decide.Config) { c.Users.Actions.Create = false }),
			in: decide.Input{Source: base}, action: decide.Skip, code: rules.ActionDisabled},
		{name: "still out of scope within retention", in: decide.Input{Source: user("u9"), Entry: &soft}, action: decide.Skip, code: rules.AlreadyDeprovisioned},
		{name: "retention over: hard delete", in: decide.Input{Source: user("u9"), Entry: &oldSoft}, action: decide.HardDelete},
		{name: "back in scope within retention: restore", in: decide.Input{Source: base, Entry: &soft}, action: decide.Restore,
			check: func(t *testing.T, d decide.Decision) { require.Equal(t, decide.Active, d.Entry.State) }},
		{name: "back after retention: created again", in: decide.Input{Source: base, Entry: &oldSoft}, action: decide.Create},
		{name: "target object gone", in: decide.Input{Source: user("u1", "department", "X"), Entry: entry, TargetMissing: true}, action: decide.Fail, code: rules.InvalidAnchor},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cf := c.cfg
			if cf == nil {
				cf = cfg
			}
			c.in.Now = now
			d := decide.Decide(cf, c.in)
			require.Equal(t, c.action, d.Action, d.Log.Explain())
			if c.code != "" {
				require.Equal(t, c.code, d.Code, d.Log.Explain())
			}
			if c.changes != nil {
				require.ElementsMatch(t, c.changes, changed(d))
			}
			require.NotEmpty(t, d.Log.Steps)
			require.Equal(t, decide.StepImport, d.Log.Steps[0].Type)
			if c.check != nil {
				c.check(t, d)
			}
		})
	}
}

// targetOf renders src as the target would hold it, with overrides.
func targetOf(src decide.Source, kv ...any) rules.Attrs {
	a := rules.Attrs{}
	for k, v := range src.Attrs {
		a[k] = v
	}
	a["showinaddresslist"] = true
	for i := 0; i+1 < len(kv); i += 2 {
		a.Set(kv[i].(string), kv[i+1])
	}
	return a
}

func TestManagerReference(t *testing.T) {
	t.Parallel()
	cfg := config(t)
	src := user("u1", "manager", "boss")
	d := decide.Decide(cfg, decide.Input{Source: src, MatchResults: [][]match.Candidate{nil}, Now: now})
	require.Equal(t, decide.Create, d.Action)
	require.NotContains(t, changed(d), "manager")
	require.NotContains(t, d.Entry.Exported, "manager")
	require.Contains(t, d.Log.Explain(), "referenceResolution [warning]")

	entry := d.Entry
	entry.TargetID = "t-u1"
	d = decide.Decide(cfg, decide.Input{Source: src, Entry: entry, Now: now,
		Resolve: func(id string) (string, bool) { return "t-" + id, id == "boss" }})
	require.Equal(t, decide.Update, d.Action)
	require.Equal(t, []string{"manager"}, changed(d))
	require.Equal(t, "t-boss", d.Changes[0].New)

	// A manager removed in the source (reported as null) is cleared in the
	// target; one not reported (absent) is left alone.
	entry = d.Entry
	d = decide.Decide(cfg, decide.Input{Source: user("u1", "manager", nil), Entry: entry, Now: now})
	require.Equal(t, decide.Update, d.Action)
	require.Equal(t, []string{"manager"}, changed(d))
	require.Nil(t, d.Changes[0].New)
	d = decide.Decide(cfg, decide.Input{Source: user("u1"), Entry: entry, Now: now})
	require.NotContains(t, changed(d), "manager")
}

func group(id string, kv ...any) decide.Source {
	a := map[string]any{"displayName": "Staff", "mailNickname": "staff", "securityEnabled": true,
		"mailEnabled": false, "members": []string{"u1", "u2"}}
	for i := 0; i+1 < len(kv); i += 2 {
		a[kv[i].(string)] = kv[i+1]
	}
	return decide.Source{ID: id, Type: schema.GroupType, Attrs: rules.NewAttrs(a)}
}

func TestGroupActions(t *testing.T) {
	t.Parallel()
	cfg := config(t)
	resolve := func(id string) (string, bool) { return "t-" + id, id == "u1" }

	d := decide.Decide(cfg, decide.Input{Source: func() decide.Source { g := group("g-staff"); g.NestedGroupMembers = 1; return g }(), Resolve: resolve, Now: now})
	require.Equal(t, decide.Create, d.Action, d.Log.Explain())
	require.Empty(t, d.Match)
	require.Equal(t, &decide.Members{Set: []string{"t-u1"}, Pending: []string{"u2"}}, d.Members)
	require.Contains(t, d.Log.Explain(), "nested group member(s) ignored")
	require.ElementsMatch(t, []string{"displayName", "mailNickname", "securityEnabled", "mailEnabled"}, changed(d))

	entry := d.Entry
	entry.TargetID = "t-g"
	all := func(id string) (string, bool) { return "t-" + id, true }
	d = decide.Decide(cfg, decide.Input{Source: group("g-staff"), Entry: entry, Resolve: all, Now: now})
	require.Equal(t, decide.Update, d.Action, "pending members are retried")
	require.Equal(t, []string{"t-u1", "t-u2"}, d.Members.Set)
	entry = d.Entry
	d = decide.Decide(cfg, decide.Input{Source: group("g-staff"), Entry: entry, Resolve: all, Now: now})
	require.Equal(t, decide.Skip, d.Action)
	require.Equal(t, rules.NoChange, d.Code)
	d = decide.Decide(cfg, decide.Input{Source: group("g-staff"), Entry: entry, Resolve: all, Now: now, VerifyMembers: true})
	require.Equal(t, decide.Update, d.Action, "a full resync verifies the members of an unchanged group")
	require.Equal(t, []string{"t-u1", "t-u2"}, d.Members.Set)
	require.Empty(t, d.Changes, "no attribute is written")
	require.Equal(t, entry.Exported, d.Entry.Exported)
	notSynced := *entry
	notSynced.CreatedBySync = false
	d = decide.Decide(cfg, decide.Input{Source: group("g-staff"), Entry: &notSynced, Resolve: all, Now: now, VerifyMembers: true})
	require.Equal(t, decide.Skip, d.Action, "a group sync did not create is never touched")
	d = decide.Decide(cfg, decide.Input{Source: group("g-staff", "members", []string{}), Entry: entry, Resolve: all, Now: now})
	require.Equal(t, decide.Update, d.Action, "an emptied group loses its members")
	require.NotNil(t, d.Members)
	require.Empty(t, d.Members.Set)

	cases := []struct {
		name string
		cfg  *decide.Config
		in   decide.Input
		act  decide.Action
		code rules.Code
	}{
		{"group sync off", config(t, func(c *decide.Config) { c.Groups.Enabled = false }), decide.Input{Source: group("g-staff")}, decide.Skip, rules.EntityTypeNotSupported},
		{"sync all users mode", config(t, func(c *decide.Config) { c.Mode = scope.AllUsers }), decide.Input{Source: group("g-staff")}, decide.Skip, rules.EntityTypeNotSupported},
		{"distribution group", cfg, decide.Input{Source: group("g-dist", "mailEnabled", true, "securityEnabled", false)}, decide.Skip, rules.UnsupportedGroupType},
		{"unassigned group", cfg, decide.Input{Source: group("g-other")}, decide.Skip, rules.NotEffectivelyEntitled},
		{"group not created by sync", cfg, decide.Input{Source: group("g-staff"), Entry: &decide.Entry{TargetID: "x", State: decide.Active}}, decide.Skip, rules.NotCreatedBySync},
		{"group leaves scope: soft delete", cfg, decide.Input{Source: group("g-other"), Entry: entry}, decide.SoftDelete, rules.NotEffectivelyEntitled},
	}
	for _, c := range cases {
		c.in.Now = now
		d := decide.Decide(c.cfg, c.in)
		require.Equal(t, c.act, d.Action, c.name+"\n"+d.Log.Explain())
		require.Equal(t, c.code, d.Code, c.name)
	}
}

func TestLogShape(t *testing.T) {
	t.Parallel()
	d := decide.Decide(config(t), decide.Input{Source: user("u9"), Now: now})
	require.Equal(t, decide.LogOther, d.Log.Action)
	require.Equal(t, decide.StatusSkipped, d.Log.Status)
	require.Equal(t, "NotEffectivelyEntitled", d.Log.Code)
	require.Equal(t, []decide.StepType{decide.StepImport, decide.StepScoping, decide.StepProcessing},
		[]decide.StepType{d.Log.Steps[0].Type, d.Log.Steps[1].Type, d.Log.Steps[2].Type})
	d.Log.AddExport(false, "Graph 403")
	require.Equal(t, decide.StatusFailure, d.Log.Status)
}
