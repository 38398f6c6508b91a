package scheduler

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/expr"
)

// maxExpression bounds EvaluateExpression's source.
const maxExpression = 64 << 10

// EvaluateExpression evaluates a mapping expression against attributes, as
// Entra's expression builder does. Any authenticated caller may use it: it
// touches no tenant. Caller: portals, xtsyncctl expr eval --remote.
func (s *Scheduler) EvaluateExpression(ctx context.Context, req *schedulerv1.EvaluateExpressionRequest) (*schedulerv1.EvaluateExpressionResponse, error) {
	var fe rules.FieldErrors
	switch src := req.GetExpression(); {
	case src == "":
		fe.Addf(rules.Required, "expression", "required")
	case len(src) > maxExpression:
		fe.Addf(rules.InvalidValue, "expression", "longer than %d bytes", maxExpression)
	}
	if len(fe) > 0 {
		return nil, grpcx.InvalidArgument("", fe)
	}
	var attrs []byte
	if req.GetAttributes() != nil {
		b, err := protojson.Marshal(req.GetAttributes())
		if err != nil {
			fe.Addf(rules.InvalidValue, "attributes", "not encodable as JSON: %v", err)
			return nil, grpcx.InvalidArgument("", fe)
		}
		attrs = b
	}
	out, err := expr.EvalJSON(req.GetExpression(), attrs, s.now())
	if errors.Is(err, expr.ErrIgnoreFlow) {
		return &schedulerv1.EvaluateExpressionResponse{Result: structpb.NewNullValue(), Ignored: true}, nil
	}
	if err != nil {
		// Syntax and check errors carry the position ("expr: position 10:
		// ..."), evaluation errors the function: the message is the answer.
		fe.Addf(rules.InvalidExpression, "expression", "%s", err.Error())
		return nil, grpcx.InvalidArgument("", fe)
	}
	v := &structpb.Value{}
	if err := protojson.Unmarshal(out, v); err != nil {
		return nil, s.toStatus(ctx, fmt.Errorf("decode expression result: %w", err))
	}
	return &schedulerv1.EvaluateExpressionResponse{Result: v}, nil
}

// TestConnection checks both tenants' credentials and cross-tenant access
// policies (target: partner entry for the source, user sync inbound
// allowed, automatic redemption inbound; source: partner entry for the
// target, automatic redemption outbound) and names each missing item.
// Caller: portals, xtsyncctl config test.
func (s *Scheduler) TestConnection(ctx context.Context, req *schedulerv1.TestConnectionRequest) (*schedulerv1.TestConnectionResponse, error) {
	var fe rules.FieldErrors
	var c *schedulerv1.Configuration
	switch {
	case req.GetConfigurationId() != "" && req.GetConfiguration() != nil:
		fe.Addf(rules.InvalidValue, "configuration", "set configuration_id or configuration, not both")
	case req.GetConfigurationId() != "":
		stored, err := s.load(ctx, req.GetConfigurationId())
		if err != nil {
			return nil, err
		}
		c = stored
	case req.GetConfiguration() != nil:
		c = proto.CloneOf(req.GetConfiguration())
		c.Rules = nil // only the tenants matter here
		verrs, _ := validateConfig(c)
		fe = append(fe, verrs...)
		if len(fe) == 0 {
			if err := grpcx.Authorize(ctx, tenantsOf(c)...); err != nil {
				return nil, err
			}
		}
	default:
		fe.Addf(rules.Required, "configuration_id", "set configuration_id or configuration")
	}
	if len(fe) > 0 {
		return nil, grpcx.InvalidArgument("", fe)
	}
	checks := s.testConnection(ctx, c)
	ok := true
	for _, ch := range checks {
		ok = ok && ch.GetOk()
	}
	return &schedulerv1.TestConnectionResponse{Ok: ok, Checks: checks}, nil
}

// Register adds the SchedulerService to a process's gRPC server and marks
// it serving.
func (s *Scheduler) Register(srv *grpcx.Server) {
	schedulerv1.RegisterSchedulerServiceServer(srv, s)
	srv.SetServing(schedulerv1.SchedulerService_ServiceDesc.ServiceName, true)
}
