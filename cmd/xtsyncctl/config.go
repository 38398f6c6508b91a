package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/rules/spec"
)

func newConfigCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Manage sync configurations (SchedulerService)"}
	cmd.AddCommand(newConfigCreateCmd(g), newConfigGetCmd(g), newConfigListCmd(g),
		newConfigUpdateCmd(g), newConfigDeleteCmd(g), newConfigTestCmd(g))
	return cmd
}

func newConfigCreateCmd(g *globalOpts) *cobra.Command {
	var file string
	var validateOnly bool
	cmd := &cobra.Command{
		Use:     "create -f FILE",
		Short:   "Create a configuration from a YAML or JSON file (- for stdin)",
		Example: "  xtsyncctl config create -f contoso-to-fabrikam.yaml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := loadConfiguration(file, cmd.InOrStdin())
			if err != nil {
				return err
			}
			return g.withClients(func(cl *clients) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				resp, err := cl.sched.CreateConfiguration(ctx, &schedulerv1.CreateConfigurationRequest{Configuration: c, ValidateOnly: validateOnly})
				if err != nil {
					return rpcErr("CreateConfiguration", err)
				}
				return g.emit(cmd.OutOrStdout(), resp, func(tw *tabwriter.Writer) { configTable(tw, resp.GetConfiguration()) })
			})
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "configuration file (YAML or JSON)")
	cmd.Flags().BoolVar(&validateOnly, "validate-only", false, "validate on the server, store nothing")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func newConfigGetCmd(g *globalOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show one configuration",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClients(func(cl *clients) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				resp, err := cl.sched.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: args[0]})
				if err != nil {
					return rpcErr("GetConfiguration", err)
				}
				return g.emit(cmd.OutOrStdout(), resp, func(tw *tabwriter.Writer) { configTable(tw, resp.GetConfiguration()) })
			})
		},
	}
}

func newConfigListCmd(g *globalOpts) *cobra.Command {
	var tenant string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the configurations the token may see",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withClients(func(cl *clients) error {
				out := cmd.OutOrStdout()
				tw := newTab(out)
				if !g.json() {
					row(tw, "ID", "NAME", "SOURCE", "TARGET", "INTERVAL", "UPDATED")
				}
				token := ""
				for {
					ctx, cancel := g.call(cmd.Context())
					resp, err := cl.sched.ListConfigurations(ctx, &schedulerv1.ListConfigurationsRequest{PageSize: 500, PageToken: token, TenantId: tenant})
					cancel()
					if err != nil {
						return rpcErr("ListConfigurations", err)
					}
					if g.json() {
						// The response, one line per page read.
						if err := printJSON(out, resp); err != nil {
							return err
						}
					} else {
						for _, c := range resp.GetConfigurations() {
							row(tw, c.GetId(), c.GetDisplayName(), tenantName(c.GetSource().GetDomain(), c.GetSource().GetTenantId()),
								tenantName(c.GetTarget().GetDomain(), c.GetTarget().GetTenantId()),
								c.GetScheduleInterval().AsDuration().String(), fmtTime(c.GetUpdateTime().AsTime()))
						}
					}
					if token = resp.GetNextPageToken(); token == "" {
						break
					}
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "only configurations whose source or target is this tenant id")
	return cmd
}

func newConfigUpdateCmd(g *globalOpts) *cobra.Command {
	var file, etag string
	cmd := &cobra.Command{
		Use:   "update ID -f FILE",
		Short: "Change the fields present in FILE (display name, tenants' settings, rules, schedule interval)",
		Long: "Only the fields present in FILE are changed (the update mask). Without --etag the current etag is\n" +
			"read first; with it, the update fails with Aborted if someone changed the configuration since.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, mask, err := loadConfiguration(file, cmd.InOrStdin())
			if err != nil {
				return err
			}
			if len(mask) == 0 {
				return fmt.Errorf("%s: no field to update", file)
			}
			c.Id = args[0]
			if etag != "" {
				c.Etag = etag
			}
			return g.withClients(func(cl *clients) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				if c.Etag == "" {
					cur, err := cl.sched.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: args[0]})
					if err != nil {
						return rpcErr("GetConfiguration", err)
					}
					c.Etag = cur.GetConfiguration().GetEtag()
				}
				resp, err := cl.sched.UpdateConfiguration(ctx, &schedulerv1.UpdateConfigurationRequest{
					Configuration: c, UpdateMask: &fieldmaskpb.FieldMask{Paths: mask},
				})
				if err != nil {
					return rpcErr("UpdateConfiguration", err)
				}
				return g.emit(cmd.OutOrStdout(), resp, func(tw *tabwriter.Writer) { configTable(tw, resp.GetConfiguration()) })
			})
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "file with the fields to change (YAML or JSON)")
	cmd.Flags().StringVar(&etag, "etag", "", "etag read earlier (default: the current one)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func newConfigDeleteCmd(g *globalOpts) *cobra.Command {
	var etag string
	cmd := &cobra.Command{
		Use:   "delete ID",
		Short: "Stop the job and delete the configuration and its state",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClients(func(cl *clients) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				if etag == "" {
					cur, err := cl.sched.GetConfiguration(ctx, &schedulerv1.GetConfigurationRequest{ConfigurationId: args[0]})
					if err != nil {
						return rpcErr("GetConfiguration", err)
					}
					etag = cur.GetConfiguration().GetEtag()
				}
				resp, err := cl.sched.DeleteConfiguration(ctx, &schedulerv1.DeleteConfigurationRequest{ConfigurationId: args[0], Etag: etag})
				if err != nil {
					return rpcErr("DeleteConfiguration", err)
				}
				return g.emit(cmd.OutOrStdout(), resp, func(tw *tabwriter.Writer) { fmt.Fprintf(tw, "deleted %s\n", args[0]) })
			})
		},
	}
	cmd.Flags().StringVar(&etag, "etag", "", "delete only if the configuration still has this etag (default: the current one)")
	return cmd
}

func newConfigTestCmd(g *globalOpts) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "test [ID | -f FILE]",
		Short: "Test both tenants' credentials and cross-tenant access policies; non-zero exit if a check fails",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &schedulerv1.TestConnectionRequest{}
			switch {
			case len(args) == 1 && file == "":
				req.ConfigurationId = args[0]
			case len(args) == 0 && file != "":
				c, _, err := loadConfiguration(file, cmd.InOrStdin())
				if err != nil {
					return err
				}
				req.Configuration = c
			default:
				return errors.New("name a stored configuration ID or a file with -f, not both")
			}
			return g.withClients(func(cl *clients) error {
				ctx, cancel := g.call(cmd.Context())
				defer cancel()
				resp, err := cl.sched.TestConnection(ctx, req)
				if err != nil {
					return rpcErr("TestConnection", err)
				}
				err = g.emit(cmd.OutOrStdout(), resp, func(tw *tabwriter.Writer) {
					row(tw, "CHECK", "OK", "MESSAGE")
					for _, c := range resp.GetChecks() {
						row(tw, c.GetName(), strconv.FormatBool(c.GetOk()), c.GetMessage())
					}
				})
				if err != nil {
					return err
				}
				if !resp.GetOk() {
					var failed []string
					for _, c := range resp.GetChecks() {
						if !c.GetOk() {
							failed = append(failed, fmt.Sprintf("\n  %s: %s", c.GetName(), c.GetMessage()))
						}
					}
					return fmt.Errorf("TestConnection: %d check(s) failed:%s", len(failed), strings.Join(failed, ""))
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "test the tenants of an unsaved configuration file")
	return cmd
}

func configTable(tw *tabwriter.Writer, c *schedulerv1.Configuration) {
	rules := "-"
	if c.GetRules() != nil {
		b, _ := json.Marshal(c.GetRules().AsMap())
		rules = string(b)
	}
	for _, kv := range [][2]string{
		{"ID", c.GetId()}, {"NAME", c.GetDisplayName()}, {"ETAG", c.GetEtag()},
		{"SOURCE", tenantLine(c.GetSource().GetDomain(), c.GetSource().GetTenantId(), c.GetSource().GetClientId())},
		{"TARGET", tenantLine(c.GetTarget().GetDomain(), c.GetTarget().GetTenantId(), c.GetTarget().GetClientId())},
		{"INTERVAL", c.GetScheduleInterval().AsDuration().String()},
		{"CREATED", fmtTime(c.GetCreateTime().AsTime())},
		{"UPDATED", fmtTime(c.GetUpdateTime().AsTime()) + " by " + c.GetUpdatedBy()},
		{"RULES", rules},
	} {
		row(tw, kv[0], kv[1])
	}
}

func tenantName(domain, id string) string {
	if domain != "" {
		return domain
	}
	return id
}

func tenantLine(domain, id, client string) string {
	return fmt.Sprintf("%s (tenant %s, app %s)", tenantName(domain, id), id, client)
}

func fmtTime(t time.Time) string {
	if t.IsZero() || t.Unix() == 0 {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// loadConfiguration reads a Configuration from YAML or JSON (protojson
// field names, either spelling) and returns it with the proto names of the
// top-level fields present, the update mask of `config update`. YAML goes
// through JSON so one decoder, and one set of errors, serves both;
// schedule_interval is a Go duration ("40m").
func loadConfiguration(path string, stdin io.Reader) (*schedulerv1.Configuration, []string, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, spec.MaxConfigSize+1))
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read configuration: %w", err)
	}
	var doc any
	trimmed := bytes.TrimSpace(data)
	if strings.EqualFold(filepath.Ext(path), ".json") || (len(trimmed) > 0 && trimmed[0] == '{') {
		err = json.Unmarshal(data, &doc)
	} else {
		err = yaml.Unmarshal(data, &doc)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: parse: %w", path, err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("%s: want an object with displayName, source, target, rules, scheduleInterval", path)
	}
	md := (&schedulerv1.Configuration{}).ProtoReflect().Descriptor()
	if err := checkFields(obj, md, ""); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	var mask []string
	for k, v := range obj {
		fd := fieldByName(md, k)
		if n := fd.Name(); n != "id" && n != "etag" {
			mask = append(mask, string(n))
		}
		if fd.Name() != "schedule_interval" {
			continue
		}
		s, ok := v.(string)
		d, err := time.ParseDuration(s)
		if !ok || err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %v is not a duration: want a Go duration like \"40m\" or \"1h30m\"", path, k, v)
		}
		obj[k] = strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
	}
	slices.Sort(mask)
	js, err := json.Marshal(obj)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	c := &schedulerv1.Configuration{}
	if err := protojson.Unmarshal(js, c); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, mask, nil
}

// checkFields names unknown and misspelt fields with their path; protojson
// would report a position in the converted JSON, which a YAML author
// never saw. Rules are free-form here: the server validates them.
func checkFields(obj map[string]any, md protoreflect.MessageDescriptor, prefix string) error {
	var errs []error
	for _, k := range sortedKeys(obj) {
		fd := fieldByName(md, k)
		if fd == nil {
			var names []string
			for i := range md.Fields().Len() {
				names = append(names, md.Fields().Get(i).JSONName())
			}
			errs = append(errs, fmt.Errorf("%s%s: unknown field (want one of %s)", prefix, k, strings.Join(names, ", ")))
			continue
		}
		if fd.Kind() == protoreflect.MessageKind && !isWellKnown(fd.Message()) {
			sub, ok := obj[k].(map[string]any)
			if !ok {
				errs = append(errs, fmt.Errorf("%s%s: want an object", prefix, k))
				continue
			}
			if err := checkFields(sub, fd.Message(), prefix+k+"."); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func fieldByName(md protoreflect.MessageDescriptor, k string) protoreflect.FieldDescriptor {
	if fd := md.Fields().ByJSONName(k); fd != nil {
		return fd
	}
	return md.Fields().ByName(protoreflect.Name(k))
}

func isWellKnown(md protoreflect.MessageDescriptor) bool {
	return strings.HasPrefix(string(md.FullName()), "google.protobuf.")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
