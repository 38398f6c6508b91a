package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/rules/expr"
)

// newExprCmd groups the expression tools: admins test a mapping before
// saving it, as Entra's expression builder lets them.
func newExprCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{Use: "expr", Short: "Test attribute-mapping expressions"}
	cmd.AddCommand(newExprEvalCmd(g), newExprFunctionsCmd())
	return cmd
}

func newExprEvalCmd(g *globalOpts) *cobra.Command {
	var attrsFlag, nowFlag string
	var remote bool
	cmd := &cobra.Command{
		Use:   "eval EXPRESSION",
		Short: "Evaluate an expression against a JSON object of attributes and print the result as JSON",
		Example: `  xtsyncctl expr eval 'Join(" ", [givenName], [surname])' --attrs '{"givenName":"Zoë","surname":"Müller"}'
  echo '{"mail":"a@b.example"}' | xtsyncctl expr eval 'ToUpper([mail])' --attrs -
  xtsyncctl expr eval 'Append([mailNickname], "@fabrikam.example")' --attrs @user.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			attrs, err := readAttrs(attrsFlag, cmd.InOrStdin())
			if err != nil {
				return fmt.Errorf("--attrs: %w", err)
			}
			if remote {
				if nowFlag != "" {
					return errors.New("--now: the server evaluates with its own clock; drop --now or --remote")
				}
				return g.evalRemote(cmd, args[0], attrs)
			}
			var now time.Time
			if nowFlag != "" {
				if now, err = time.Parse(time.RFC3339, nowFlag); err != nil {
					return fmt.Errorf("--now: want RFC 3339 (2026-01-02T15:04:05Z): %w", err)
				}
			}
			out, err := expr.EvalJSON(args[0], attrs, now)
			if errors.Is(err, expr.ErrIgnoreFlow) {
				// Not a failure: the mapping would be skipped for this object.
				fmt.Fprintln(cmd.ErrOrStderr(), "note: IgnoreFlowIfNullOrEmpty: the target attribute would not be written")
				return nil
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(out))
			return err
		},
	}
	cmd.Flags().StringVar(&attrsFlag, "attrs", "{}", "source attributes as a JSON object, @file to read a file, - for stdin")
	cmd.Flags().StringVar(&nowFlag, "now", "", "fix Now() to this RFC 3339 time (default: the current time)")
	cmd.Flags().BoolVar(&remote, "remote", false, "evaluate on the server (SchedulerService.EvaluateExpression), as the portal does")
	return cmd
}

func newExprFunctionsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "functions",
		Short: "List the supported expression functions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), strings.Join(expr.Functions(), "\n"))
			return err
		},
	}
}

// readAttrs resolves the --attrs value: inline JSON, @file, or - (stdin).
func readAttrs(v string, stdin io.Reader) ([]byte, error) {
	switch {
	case v == "-":
		return io.ReadAll(io.LimitReader(stdin, 16<<20))
	case strings.HasPrefix(v, "@"):
		return os.ReadFile(v[1:])
	default:
		return []byte(v), nil
	}
}

// evalRemote evaluates on the server: the same answer the portal's
// expression builder gives, from the server's version of the language.
func (g *globalOpts) evalRemote(cmd *cobra.Command, expression string, attrs []byte) error {
	st := &structpb.Struct{}
	if err := protojson.Unmarshal(attrs, st); err != nil {
		return fmt.Errorf("--attrs: want a JSON object: %w", err)
	}
	return g.withClients(func(cl *clients) error {
		ctx, cancel := g.call(cmd.Context())
		defer cancel()
		resp, err := cl.sched.EvaluateExpression(ctx, &schedulerv1.EvaluateExpressionRequest{Expression: expression, Attributes: st})
		if err != nil {
			return rpcErr("EvaluateExpression", err)
		}
		if g.json() {
			return printJSON(cmd.OutOrStdout(), resp)
		}
		if resp.GetIgnored() {
			fmt.Fprintln(cmd.ErrOrStderr(), "note: IgnoreFlowIfNullOrEmpty: the target attribute would not be written")
			return nil
		}
		b, err := protojson.Marshal(resp.GetResult())
		if err != nil {
			return fmt.Errorf("encode result: %w", err)
		}
		_, err = fmt.Fprintln(cmd.OutOrStdout(), string(b))
		return err
	})
}
