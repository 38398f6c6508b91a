package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
)

func newProvisionCmd(g *globalOpts) *cobra.Command {
	var users, groups []string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "provision ID --user OBJID | --group OBJID",
		Short: "Provision up to 5 source users or groups now and show what happened to each",
		Example: `  xtsyncctl provision 01m8a2wv0kb4eq7snvyg4r294q --user 5f1c0d2e-8b7a-4c3e-9d1f-2a3b4c5d6e7f
  xtsyncctl provision 01m8a2wv0kb4eq7snvyg4r294q --user U1 --user U2 --group G1 -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(users)+len(groups) == 0 {
				return errors.New("name at least one source object with --user or --group")
			}
			req := &schedulerv1.ProvisionOnDemandRequest{ConfigurationId: args[0], Timeout: durationpb.New(wait)}
			for _, id := range users {
				req.Objects = append(req.Objects, &commonv1.ObjectRef{Type: commonv1.ObjectType_OBJECT_TYPE_USER, ObjectId: id})
			}
			for _, id := range groups {
				req.Objects = append(req.Objects, &commonv1.ObjectRef{Type: commonv1.ObjectType_OBJECT_TYPE_GROUP, ObjectId: id})
			}
			return g.withClients(func(cl *clients) error {
				// The server waits up to --wait for the outcomes: the call's
				// deadline must outlast it.
				ctx, cancel := g.call(cmd.Context())
				if wait+10*time.Second > g.timeout {
					cancel()
					ctx, cancel = context.WithTimeout(cmd.Context(), wait+10*time.Second)
				}
				defer cancel()
				resp, err := cl.sched.ProvisionOnDemand(ctx, req)
				if err != nil {
					return rpcErr("ProvisionOnDemand", err)
				}
				out := cmd.OutOrStdout()
				if err := g.emit(out, resp, func(tw *tabwriter.Writer) { onDemandTable(tw, args[0], resp) }); err != nil {
					return err
				}
				if !g.json() {
					printSteps(out, resp.GetResults())
				}
				return nil
			})
		},
	}
	cmd.Flags().StringArrayVar(&users, "user", nil, "source user object id (repeatable)")
	cmd.Flags().StringArrayVar(&groups, "group", nil, "source group object id (repeatable)")
	cmd.Flags().DurationVar(&wait, "wait", 60*time.Second, "how long the server waits for the outcomes (0..10m)")
	return cmd
}

func onDemandTable(tw *tabwriter.Writer, id string, resp *schedulerv1.ProvisionOnDemandResponse) {
	fmt.Fprintf(tw, "cycle %s\n", resp.GetCycleId())
	if len(resp.GetResults()) == 0 {
		fmt.Fprintf(tw, "no outcome yet: see xtsyncctl logs list %s --cycle %s\n", id, resp.GetCycleId())
		return
	}
	row(tw, "OBJECT", "TYPE", "ACTION", "STATUS", "TARGET", "ERROR")
	for _, r := range resp.GetResults() {
		row(tw, r.GetObject().GetObjectId(), objectType(r.GetObject().GetType()), r.GetAction(), r.GetStatus(),
			r.GetTargetObjectId(), errorText(r.GetError()))
	}
}

func objectType(t commonv1.ObjectType) string {
	switch t {
	case commonv1.ObjectType_OBJECT_TYPE_USER:
		return "user"
	case commonv1.ObjectType_OBJECT_TYPE_GROUP:
		return "group"
	}
	return ""
}

func errorText(e *commonv1.ErrorDetail) string {
	if e == nil || e.GetCode() == "" && e.GetMessage() == "" {
		return ""
	}
	s := e.GetCode() + ": " + e.GetMessage()
	if e.GetField() != "" {
		s += " (" + e.GetField() + ")"
	}
	return s
}

// step is one Graph provisioningStep of steps_json.
type step struct {
	Type        string `json:"provisioningStepType"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	Description string `json:"description"`
}

// printSteps lists each object's provisioning steps under the table, as
// the portal's provision-on-demand page does.
func printSteps(out io.Writer, results []*schedulerv1.OnDemandResult) {
	for _, r := range results {
		if r.GetStepsJson() == "" {
			continue
		}
		var steps []step
		if err := json.Unmarshal([]byte(r.GetStepsJson()), &steps); err != nil {
			fmt.Fprintf(out, "\n%s steps (not readable: %v): %s\n", r.GetObject().GetObjectId(), err, r.GetStepsJson())
			continue
		}
		fmt.Fprintf(out, "\n%s steps:\n", r.GetObject().GetObjectId())
		for i, s := range steps {
			fmt.Fprintf(out, "  %d. %s %s: %s", i+1, s.Type, s.Name, s.Status)
			if s.Description != "" {
				fmt.Fprintf(out, " - %s", s.Description)
			}
			fmt.Fprintln(out)
		}
	}
}
