package scheduler

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/grpcx"
	"github.com/xtsync/xtsync/pkg/rules"
)

// CreateConfiguration validates and stores a configuration and its job
// (NotRun, or NotConfigured without rules). Caller: portals, xtsyncctl
// config create.
func (s *Scheduler) CreateConfiguration(ctx context.Context, req *schedulerv1.CreateConfigurationRequest) (*schedulerv1.CreateConfigurationResponse, error) {
	c := proto.CloneOf(req.GetConfiguration())
	var fe rules.FieldErrors
	if c.GetId() != "" {
		fe.Addf(rules.InvalidValue, "configuration.id", "assigned by the server: leave empty")
	}
	if c.GetEtag() != "" {
		fe.Addf(rules.InvalidValue, "configuration.etag", "assigned by the server: leave empty")
	}
	verrs, r := validateConfig(c)
	fe = append(fe, verrs...)
	if len(fe) > 0 {
		fe.Sort()
		return nil, grpcx.InvalidArgument("", fe)
	}
	// Authorize after validation: the tenants are known to be well-formed.
	if err := grpcx.Authorize(ctx, tenantsOf(c)...); err != nil {
		return nil, err
	}
	if req.GetValidateOnly() {
		return &schedulerv1.CreateConfigurationResponse{Configuration: c}, nil
	}
	now := s.now()
	c.Id = newID(now)
	c.CreateTime, c.UpdateTime = timestamppb.New(now), timestamppb.New(now)
	c.UpdatedBy = callerName(ctx)
	state := schedulerv1.JobState_JOB_STATE_NOT_RUN
	if r == nil {
		state = schedulerv1.JobState_JOB_STATE_NOT_CONFIGURED
	}
	// Job first: a configuration never exists without its job.
	err := s.jobs.create(ctx, c.GetId(), state, c.GetScheduleInterval().AsDuration())
	if err == nil {
		err = s.store.Create(ctx, c)
	}
	err = s.toStatus(ctx, err)
	s.audit(ctx, "CreateConfiguration", c.GetId(), req, err)
	if err != nil {
		return nil, err
	}
	return &schedulerv1.CreateConfigurationResponse{Configuration: c}, nil
}

// GetConfiguration returns one configuration (credential references only,
// never secrets). Caller: portals, xtsyncctl config get.
func (s *Scheduler) GetConfiguration(ctx context.Context, req *schedulerv1.GetConfigurationRequest) (*schedulerv1.GetConfigurationResponse, error) {
	c, err := s.load(ctx, req.GetConfigurationId())
	if err != nil {
		return nil, err
	}
	return &schedulerv1.GetConfigurationResponse{Configuration: c}, nil
}

// load validates id, reads the configuration and authorizes the caller on
// its tenants.
func (s *Scheduler) load(ctx context.Context, id string) (*schedulerv1.Configuration, error) {
	var fe rules.FieldErrors
	checkConfigID(&fe, "configuration_id", id)
	if len(fe) > 0 {
		return nil, grpcx.InvalidArgument("", fe)
	}
	if _, ok := grpcx.PrincipalFrom(ctx); !ok {
		return nil, status.Error(codes.Unauthenticated, "no authenticated caller")
	}
	c, err := s.store.Get(ctx, id)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	if err := grpcx.Authorize(ctx, tenantsOf(c)...); err != nil {
		return nil, err
	}
	return c, nil
}

// List page sizes.
const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// ListConfigurations pages through the configurations of the caller's
// tenants, by id. The page token is the last id returned. Caller: portals,
// xtsyncctl config list.
func (s *Scheduler) ListConfigurations(ctx context.Context, req *schedulerv1.ListConfigurationsRequest) (*schedulerv1.ListConfigurationsResponse, error) {
	var fe rules.FieldErrors
	size := int(req.GetPageSize())
	switch {
	case size == 0:
		size = defaultPageSize
	case size < 0 || size > maxPageSize:
		fe.Addf(rules.InvalidValue, "page_size", "must be 1..%d", maxPageSize)
	}
	after := ""
	if tok := req.GetPageToken(); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || !validID(string(b)) {
			fe.Addf(rules.InvalidValue, "page_token", "not a token this service issued")
		}
		after = string(b)
	}
	if t := req.GetTenantId(); t != "" && !guid.MatchString(t) {
		fe.Addf(rules.InvalidValue, "tenant_id", "not a tenant id (GUID)")
	}
	if len(fe) > 0 {
		return nil, grpcx.InvalidArgument("", fe)
	}
	p, ok := grpcx.PrincipalFrom(ctx)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "no authenticated caller")
	}
	var tenants []string // nil: every configuration (admin)
	switch {
	case req.GetTenantId() != "":
		if err := grpcx.Authorize(ctx, req.GetTenantId()); err != nil {
			return nil, err
		}
		tenants = []string{req.GetTenantId()}
	case !p.Admin():
		tenants = slices.Clone(p.Tenants)
	}
	ids, err := s.store.IDs(ctx, tenants)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	start, _ := slices.BinarySearch(ids, after)
	if start < len(ids) && ids[start] == after {
		start++
	}
	resp := &schedulerv1.ListConfigurationsResponse{}
	// Read a little more than a page: stale index entries are skipped.
	for start < len(ids) && len(resp.Configurations) < size {
		chunk := ids[start:min(len(ids), start+size)]
		start += len(chunk)
		cs, err := s.store.GetMany(ctx, chunk)
		if err != nil {
			return nil, s.toStatus(ctx, err)
		}
		for _, c := range cs {
			if !visible(p, c, req.GetTenantId()) {
				continue
			}
			resp.Configurations = append(resp.Configurations, c)
			if len(resp.Configurations) == size {
				if start < len(ids) || c.GetId() != chunk[len(chunk)-1] {
					resp.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(c.GetId()))
				}
				break
			}
		}
	}
	return resp, nil
}

// visible re-checks a configuration against the caller: the index may be
// stale after a tenant change.
func visible(p grpcx.Principal, c *schedulerv1.Configuration, tenant string) bool {
	ts := tenantsOf(c)
	if tenant != "" && !slices.ContainsFunc(ts, func(t string) bool { return strings.EqualFold(t, tenant) }) {
		return false
	}
	return slices.ContainsFunc(ts, p.Allowed)
}

func callerName(ctx context.Context) string {
	if p, ok := grpcx.PrincipalFrom(ctx); ok {
		return p.Name
	}
	return ""
}
