package graph

import "context"

// Source is what the reader needs from a source tenant. Decorators
// (metrics, rate limits, fault injection) wrap it; *Client implements it.
type Source interface {
	TenantID() string
	CheckToken(ctx context.Context) error
	ListUsers(ctx context.Context, q Query, fn func(User) error) error
	ListGroups(ctx context.Context, q Query, fn func(Group) error) error
	GetUser(ctx context.Context, id string, selectProps ...string) (User, error)
	GetGroup(ctx context.Context, id string, selectProps ...string) (Group, error)
	ListMemberIDs(ctx context.Context, groupID string) ([]string, error)
	ListUserMemberIDs(ctx context.Context, groupID string) ([]string, error)
	UsersDeltaPage(ctx context.Context, r DeltaRequest) (DeltaPage[User], error)
	GroupsDeltaPage(ctx context.Context, r DeltaRequest) (DeltaPage[Group], error)
	UsersDelta(ctx context.Context, r DeltaRequest, fn func(DeltaPage[User]) error) (string, error)
	GroupsDelta(ctx context.Context, r DeltaRequest, fn func(DeltaPage[Group]) error) (string, error)
}

// Target is what the writer needs from a target tenant.
type Target interface {
	TenantID() string
	CheckToken(ctx context.Context) error
	FindUsers(ctx context.Context, q Query) ([]User, error)
	GetUser(ctx context.Context, id string, selectProps ...string) (User, error)
	Invite(ctx context.Context, inv Invitation) (Invited, error)
	CreateUser(ctx context.Context, attrs Attributes) (User, error)
	UpdateUser(ctx context.Context, id string, attrs Attributes) error
	DeleteUser(ctx context.Context, id string) error
	CreateGroup(ctx context.Context, attrs Attributes) (Group, error)
	UpdateGroup(ctx context.Context, id string, attrs Attributes) error
	DeleteGroup(ctx context.Context, id string) error
	AddMember(ctx context.Context, groupID, memberID string) error
	RemoveMember(ctx context.Context, groupID, memberID string) error
	Restore(ctx context.Context, id string) (Attributes, error)
	PermanentlyDelete(ctx context.Context, id string) error
	ListDeletedUsers(ctx context.Context, q Query, fn func(User) error) error
	Batch(ctx context.Context, reqs []BatchRequest) ([]BatchResult, error)
}

// Policies is what "test connection" needs: cross-tenant access settings.
type Policies interface {
	GetDefaultPolicy(ctx context.Context) (Attributes, error)
	UpdateDefaultPolicy(ctx context.Context, patch Attributes) error
	GetPartnerPolicy(ctx context.Context, tenantID string) (PartnerPolicy, error)
	CreatePartnerPolicy(ctx context.Context, tenantID string, attrs Attributes) (PartnerPolicy, error)
	UpdatePartnerPolicy(ctx context.Context, tenantID string, patch Attributes) error
	GetIdentitySync(ctx context.Context, tenantID string) (IdentitySync, error)
	PutIdentitySync(ctx context.Context, s IdentitySync) error
}

var (
	_ Source   = (*Client)(nil)
	_ Target   = (*Client)(nil)
	_ Policies = (*Client)(nil)
)
