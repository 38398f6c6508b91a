package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/xtsync/xtsync/graphsim"
	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
)

// ctlCase is one xtsyncctl run against the server and what it must show.
type ctlCase struct {
	name string
	args []string
	// token replaces the admin token ("-" sends none).
	token   string
	want    []string // in stdout
	notWant []string
	wantErr []string // in the error, which main prints to stderr
	code    codes.Code
	check   func(t *testing.T, out string)
}

func (s *testServer) run(ctx context.Context, t *testing.T, cases []ctlCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			switch tc.token {
			case "":
				args = append([]string{"--token", adminToken}, args...)
			case "-":
			default:
				args = append([]string{"--token", tc.token}, args...)
			}
			out, _, err := runCtlCtx(ctx, t, nil, append([]string{"--addr", s.addr}, args...)...)
			t.Logf("xtsyncctl %s\n%s", strings.Join(tc.args, " "), out)
			if len(tc.wantErr) > 0 || tc.code != codes.OK {
				require.Error(t, err, "stdout: %s", out)
				for _, w := range tc.wantErr {
					require.ErrorContains(t, err, w)
				}
				if tc.code != codes.OK {
					require.Equal(t, tc.code, status.Code(err), "%v", err)
					require.Contains(t, err.Error(), tc.code.String(), "the code is printed")
				}
			} else {
				require.NoError(t, err, "stdout: %s", out)
			}
			for _, w := range tc.want {
				require.Contains(t, out, w)
			}
			for _, w := range tc.notWant {
				require.NotContains(t, out, w)
			}
			if tc.check != nil {
				tc.check(t, out)
			}
		})
	}
}

// jsonLines decodes -o json output: one protojson object per line.
func jsonLines[M any, P interface {
	*M
	proto.Message
}](t *testing.T, out string) []P {
	t.Helper()
	var ms []P
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		m := P(new(M))
		require.NoError(t, protojson.Unmarshal([]byte(line), m), "line %q", line)
		ms = append(ms, m)
	}
	return ms
}

// TestAPICommands drives the product through xtsyncctl only: configure,
// run and watch a cycle, provision on demand, read the logs and the audit.
func TestAPICommands(t *testing.T) {
	t.Setenv("XTSYNC_TOKEN", "") // the "no token" case must send none
	s := startServer(t, 30)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	yamlFile, jsonFile := s.fixture(t, "config-contoso.yaml"), s.fixture(t, "config-contoso.json")

	out, _, err := s.ctl(ctx, t, "config", "create", "-f", yamlFile, "-o", "json")
	require.NoError(t, err)
	created := jsonLines[schedulerv1.CreateConfigurationResponse](t, out)[0].GetConfiguration()
	id := created.GetId()
	require.NotEmpty(t, id)
	require.Equal(t, 24*time.Hour, created.GetScheduleInterval().AsDuration())
	require.Equal(t, adminName, created.GetUpdatedBy())
	var jsonID string

	t.Run("config", func(t *testing.T) {
		s.run(ctx, t, []ctlCase{
			{name: "create from JSON, table", args: []string{"config", "create", "-f", jsonFile},
				want: []string{"NAME", "contoso to fabrikam (json)", "1h30m0s", "fabrikam.example (tenant " + targetTenant},
				check: func(t *testing.T, out string) {
					for _, l := range strings.Split(out, "\n") {
						if f := strings.Fields(l); len(f) == 2 && f[0] == "ID" {
							jsonID = f[1]
						}
					}
					require.NotEmpty(t, jsonID, out)
				}},
			{name: "unknown field names the field and the file", args: []string{"config", "create", "-f", "testdata/config-typo.yaml"},
				wantErr: []string{"testdata/config-typo.yaml", "source.tenantID: unknown field", "tenantId"}},
			{name: "bad interval names the field", args: []string{"config", "create", "-f", "testdata/config-bad-interval.yaml"},
				wantErr: []string{"config-bad-interval.yaml", "scheduleInterval", "Go duration"}},
			{name: "server rejects the rules with the field", args: []string{"config", "create", "-f", "testdata/config-bad-rules.yaml"},
				code: codes.InvalidArgument, wantErr: []string{"CreateConfiguration", "configuration.rules.users.scopingFilters[0].clauses[0].operator"}},
			{name: "missing file", args: []string{"config", "create", "-f", "testdata/nope.yaml"}, wantErr: []string{"read configuration"}},
			{name: "list as table", args: []string{"config", "list"},
				want: []string{"ID", "NAME", "INTERVAL", id, "contoso to fabrikam (yaml)", "contoso to fabrikam (json)", "contoso.example"}},
			{name: "list as json, one per line", args: []string{"config", "list", "-o", "json"}, check: func(t *testing.T, out string) {
				pages := jsonLines[schedulerv1.ListConfigurationsResponse](t, out)
				require.Len(t, pages, 1)
				cs := pages[0].GetConfigurations()
				require.Len(t, cs, 2)
				for _, c := range cs {
					require.Equal(t, sourceTenant, c.GetSource().GetTenantId())
				}
			}},
			{name: "get as table", args: []string{"config", "get", id},
				want: []string{"ID", id, "contoso to fabrikam (yaml)", "24h0m0s", "by " + adminName, `"scope":"AllUsers"`}},
			{name: "get as json", args: []string{"config", "get", id, "-o", "json"}, check: func(t *testing.T, out string) {
				c := jsonLines[schedulerv1.GetConfigurationResponse](t, out)[0].GetConfiguration()
				require.Equal(t, id, c.GetId())
				require.Equal(t, "AllUsers", c.GetRules().AsMap()["scope"])
			}},
			{name: "get unknown", args: []string{"config", "get", "01nosuchconfiguration00000"}, code: codes.NotFound},
			{name: "test connection of the file", args: []string{"config", "test", "-f", yamlFile},
				want: []string{"CHECK", "true", "isSyncAllowed"}, notWant: []string{"false"}},
			{name: "bad output format", args: []string{"config", "list", "-o", "yaml"}, wantErr: []string{"--output"}},
			{name: "no token", token: "-", args: []string{"config", "list"}, code: codes.Unauthenticated},
			{name: "wrong token", token: "not-a-token", args: []string{"config", "get", id}, code: codes.Unauthenticated},
			{name: "update from a partial file", args: []string{"config", "update", id, "-f", "testdata/config-rename.yaml"},
				want: []string{"contoso to fabrikam (renamed)", "2h0m0s", `"scope":"AllUsers"`}},
			{name: "update with a stale etag", args: []string{"config", "update", id, "-f", "testdata/config-rename.yaml", "--etag", created.GetEtag()},
				code: codes.Aborted},
		})
	})
	require.NotEmpty(t, jsonID)

	t.Run("connection failure exits non-zero with each failed check", func(t *testing.T) {
		s.source.SetPartnerPolicy(targetTenant, true, false)
		s.target.SetPartnerPolicy(sourceTenant, false, false)
		defer s.target.SetPartnerPolicy(sourceTenant, true, true)
		out, _, err := s.ctl(ctx, t, "config", "test", id)
		require.Error(t, err)
		require.Contains(t, err.Error(), "check(s) failed")
		require.Contains(t, err.Error(), "isSyncAllowed")
		require.Contains(t, out, "false")
	})

	var cycle string
	t.Run("job", func(t *testing.T) {
		s.run(ctx, t, []ctlCase{
			{name: "get before start", args: []string{"job", "get", id}, want: []string{"STATE", "NOT_RUN", "ESCROWED"}},
			{name: "watch before start", args: []string{"job", "watch", id}, wantErr: []string{"no cycle yet", "job start"}},
			{name: "start", args: []string{"job", "start", id, "-o", "json"}, check: func(t *testing.T, out string) {
				j := jsonLines[schedulerv1.GetJobResponse](t, out)[0].GetJob()
				require.Equal(t, schedulerv1.JobState_JOB_STATE_ACTIVE, j.GetState())
				cycle = j.GetCurrentCycle().GetCycleId()
				require.NotEmpty(t, cycle)
			}},
			{name: "start again", args: []string{"job", "start", id}, code: codes.FailedPrecondition},
			{name: "watch until complete", args: []string{"job", "watch", id, "--interval", "100ms"}, check: func(t *testing.T, out string) {
				lines := strings.Split(strings.TrimSpace(out), "\n")
				last := lines[len(lines)-1]
				require.Contains(t, last, cycle)
				require.Contains(t, last, "100.0%")
				require.Contains(t, last, "Create=")
				require.Contains(t, last, "Success=")
			}},
			{name: "get after the cycle", args: []string{"job", "get", id}, want: []string{"ACTIVE", "LAST CYCLE", cycle, "100.0%", "Create="}},
			{name: "watch a complete cycle as json", args: []string{"job", "watch", id, "-o", "json"}, check: func(t *testing.T, out string) {
				rs := jsonLines[schedulerv1.GetJobResponse](t, out)
				last := rs[len(rs)-1].GetJob().GetLastCycle()
				require.Equal(t, cycle, last.GetCycleId())
				require.InDelta(t, 100, last.GetPercentComplete(), 0.001)
				require.Positive(t, last.GetByAction()["Create"])
			}},
			{name: "watch with a bar", args: []string{"job", "watch", id, "--progress", "bar"}, check: func(t *testing.T, out string) {
				require.Contains(t, out, "100% |")
				require.Contains(t, out, "cycle "+cycle+" complete: Create=")
			}},
		})
	})
	require.NotEmpty(t, cycle)

	t.Run("provision on demand", func(t *testing.T) {
		u, err := s.source.AddUser(graphsim.User{
			UserPrincipalName: "on.demand@contoso.example", Mail: "on.demand@contoso.example",
			DisplayName: "On Demand", GivenName: "On", Surname: "Demand", AccountEnabled: true,
		})
		require.NoError(t, err)
		s.run(ctx, t, []ctlCase{
			{name: "a new user is created", args: []string{"provision", id, "--user", u.ID},
				want: []string{"OBJECT", "ACTION", u.ID, "Create", "success", u.ID + " steps:", "1. import EntryImport: success"}},
			{name: "again: nothing to change", args: []string{"provision", id, "--user", u.ID, "-o", "json"}, check: func(t *testing.T, out string) {
				r := jsonLines[schedulerv1.ProvisionOnDemandResponse](t, out)[0]
				require.Len(t, r.GetResults(), 1)
				require.Equal(t, u.ID, r.GetResults()[0].GetObject().GetObjectId())
				require.NotEqual(t, "Create", r.GetResults()[0].GetAction(), "created once")
			}},
			{name: "no object", args: []string{"provision", id}, wantErr: []string{"--user or --group"}},
			{name: "not an object id", args: []string{"provision", id, "--user", "nope"},
				code: codes.InvalidArgument, wantErr: []string{"objects[0].object_id"}},
		})
		_, ok := s.target.UserByMail(u.Mail)
		require.True(t, ok, "the on-demand user is a B2B user of the target")
	})

	t.Run("logs and audit", func(t *testing.T) {
		s.run(ctx, t, []ctlCase{
			{name: "list creates of the cycle", args: []string{"logs", "list", id, "--cycle", cycle, "--action", "create", "--limit", "5"},
				check: func(t *testing.T, out string) {
					lines := strings.Split(strings.TrimSpace(out), "\n")
					require.Len(t, lines, 6, out) // header + 5
					require.Contains(t, lines[0], "ACTION")
					for _, l := range lines[1:] {
						require.Contains(t, l, cycle)
						require.Contains(t, l, "Create")
						require.Contains(t, l, "Success")
					}
				}},
			{name: "list skips as json", args: []string{"logs", "list", id, "--status", "skipped", "--since", "1h", "-o", "json"},
				check: func(t *testing.T, out string) {
					var es []*eventsv1.ProvisioningLogEntry
					for _, page := range jsonLines[synclogv1.ListProvisioningLogsResponse](t, out) {
						es = append(es, page.GetEntries()...)
					}
					require.NotEmpty(t, es)
					for _, e := range es {
						require.Equal(t, eventsv1.ProvisioningStatus_PROVISIONING_STATUS_SKIPPED, e.GetStatus())
					}
				}},
			{name: "bad action", args: []string{"logs", "list", id, "--action", "Frobnicate"}, wantErr: []string{"--action"}},
			{name: "bad since", args: []string{"logs", "list", id, "--since", "yesterday"}, wantErr: []string{"--since"}},
			{name: "audit shows the create with the caller", args: []string{"audit", "list", id},
				want: []string{"ACTOR", adminName, "CreateConfiguration", "StartJob", "UpdateConfiguration", "success"}},
			{name: "audit as json", args: []string{"audit", "list", "--since", "1h", "-o", "json"}, check: func(t *testing.T, out string) {
				var creates int
				resp := jsonLines[synclogv1.ListAuditLogsResponse](t, out)
				require.Len(t, resp, 1, "one response merging every configuration")
				for _, e := range resp[0].GetEntries() {
					if e.GetAction() == "CreateConfiguration" && e.GetResult() == "success" {
						require.Equal(t, adminName, e.GetActor())
						creates++
					}
				}
				require.Equal(t, 2, creates)
			}},
		})
	})

	t.Run("logs tail replays then follows until cancelled", func(t *testing.T) {
		tailCtx, stop := context.WithCancel(ctx)
		defer stop()
		buf := &syncBuffer{}
		done := make(chan error, 1)
		go func() {
			_, _, err := runCtlCtx(tailCtx, t, buf, "--addr", s.addr, "--token", adminToken,
				"logs", "tail", id, "--since", "1h", "--action", "Create", "-o", "json")
			done <- err
		}()
		require.Eventually(t, func() bool { return strings.Count(buf.String(), "\n") >= 5 }, time.Minute, 20*time.Millisecond)
		stop()
		require.NoError(t, <-done, "Ctrl-C ends a tail cleanly")
		for _, m := range jsonLines[synclogv1.TailProvisioningLogsResponse](t, buf.String()) {
			require.Equal(t, eventsv1.WriteAction_WRITE_ACTION_CREATE, m.GetEntry().GetAction())
		}
	})

	t.Run("expr and the rest of the job", func(t *testing.T) {
		s.run(ctx, t, []ctlCase{
			{name: "eval remote", args: []string{"expr", "eval", "--remote", `Join(" ", [givenName], [surname])`, "--attrs", `{"givenName":"Zoë","surname":"Müller"}`},
				check: func(t *testing.T, out string) {
					var v string
					require.NoError(t, json.Unmarshal([]byte(out), &v))
					require.Equal(t, "Zoë Müller", v)
				}},
			{name: "eval remote syntax error", args: []string{"expr", "eval", "--remote", `Join(" ", [a]`}, code: codes.InvalidArgument},
			{name: "pause", args: []string{"job", "pause", id}, want: []string{"PAUSED", "JobPaused"}},
			{name: "restart with a full read", args: []string{"job", "restart", id, "--reset-watermark"}, want: []string{"ACTIVE", "CURRENT CYCLE", "full"}},
			{name: "delete", args: []string{"config", "delete", jsonID}, want: []string{"deleted " + jsonID}},
			{name: "deleted is gone", args: []string{"config", "get", jsonID}, code: codes.NotFound},
		})
	})
}
