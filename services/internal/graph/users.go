package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// ListUsers calls fn for every user matching q, following @odata.nextLink
// with the SDK's page iterator. Return Stop from fn to end early.
func (c *Client) ListUsers(ctx context.Context, q Query, fn func(User) error) error {
	resp, err := c.sdk.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		Headers: q.headers(),
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{
			Select: q.Select, Filter: q.filter(), Top: q.top(), Count: countIf(q.Advanced),
		},
	})
	if err != nil {
		return wrap("list users", err)
	}
	err = eachUser(ctx, c, resp, q, fn)
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	return nil
}

// FindUsers returns every user matching q.Filter, e.g. the B2B user whose
// mail or employeeId matches a source user (set q.Advanced for endsWith,
// ne and other advanced filters). For small result sets only.
func (c *Client) FindUsers(ctx context.Context, q Query) ([]User, error) {
	var out []User
	err := c.ListUsers(ctx, q, func(u User) error {
		out = append(out, u)
		return nil
	})
	return out, err
}

// GetUser reads one user by id or userPrincipalName.
func (c *Client) GetUser(ctx context.Context, id string, selectProps ...string) (User, error) {
	// manager is a navigation property: a read expands it (the delta
	// selects it instead), and User.Manager says "" when there is none.
	selectProps, withManager := withoutProp(selectProps, "manager")
	q := &users.UserItemRequestBuilderGetQueryParameters{Select: selectProps}
	if withManager {
		q.Expand = []string{"manager($select=id)"}
	}
	m, err := c.sdk.Users().ByUserId(id).Get(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{QueryParameters: q})
	if err != nil {
		return User{}, wrap("get user "+id, err)
	}
	u, err := userFromModel(m, selectProps...)
	if err != nil || !withManager {
		return u, err
	}
	mgr := ""
	if mm := m.GetManager(); mm != nil {
		mgr = deref(mm.GetId())
	}
	u.Manager = &mgr
	delete(u.Attributes, "manager")
	return u, nil
}

// withoutProp removes prop from a $select list and reports whether it was
// there.
func withoutProp(props []string, prop string) ([]string, bool) {
	out := make([]string, 0, len(props))
	found := false
	for _, p := range props {
		if strings.EqualFold(p, prop) {
			found = true
			continue
		}
		out = append(out, p)
	}
	if !found {
		return props, false
	}
	return out, true
}

// CreateUser creates a user from Graph-named attributes (for members; B2B
// guests come from Invite).
func (c *Client) CreateUser(ctx context.Context, attrs Attributes) (User, error) {
	m, err := c.sdk.Users().Post(ctx, userModel(attrs), nil)
	if err != nil {
		return User{}, wrap("create user", err)
	}
	return userFromModel(m)
}

// UpdateUser PATCHes exactly the given attributes; a nil value clears one.
func (c *Client) UpdateUser(ctx context.Context, id string, attrs Attributes) error {
	if _, err := c.sdk.Users().ByUserId(id).Patch(ctx, userModel(attrs), nil); err != nil {
		return wrap("update user "+id, err)
	}
	return nil
}

// DeleteUser soft-deletes a user: it moves to deletedItems for 30 days.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	if err := c.sdk.Users().ByUserId(id).Delete(ctx, nil); err != nil {
		return wrap("delete user "+id, err)
	}
	return nil
}

// Invitation asks for a B2B collaboration user in this tenant.
type Invitation struct {
	Email       string
	DisplayName string
	// RedirectURL is where a redeeming user lands; Graph requires one.
	RedirectURL string
	// UserType is "Guest" (default) or "Member".
	UserType string
	// SendMessage is false for cross-tenant sync: users are redeemed
	// automatically by the inbound policy.
	SendMessage bool
}

// Invited is the outcome of an invitation.
type Invited struct {
	InvitationID string
	UserID       string
	Status       string // "PendingAcceptance", "Completed"
	RedeemURL    string
}

// Invite creates (or re-invites) a B2B user via POST /invitations.
func (c *Client) Invite(ctx context.Context, inv Invitation) (Invited, error) {
	body := models.NewInvitation()
	body.SetInvitedUserEmailAddress(&inv.Email)
	if inv.DisplayName != "" {
		body.SetInvitedUserDisplayName(&inv.DisplayName)
	}
	redirect := inv.RedirectURL
	if redirect == "" {
		redirect = "https://myapps.microsoft.com"
	}
	body.SetInviteRedirectUrl(&redirect)
	userType := inv.UserType
	if userType == "" {
		userType = "Guest"
	}
	body.SetInvitedUserType(&userType)
	body.SetSendInvitationMessage(&inv.SendMessage)
	m, err := c.sdk.Invitations().Post(ctx, body, nil)
	if err != nil {
		return Invited{}, wrap("invite "+inv.Email, err)
	}
	out := Invited{
		InvitationID: deref(m.GetId()),
		Status:       deref(m.GetStatus()),
		RedeemURL:    deref(m.GetInviteRedeemUrl()),
	}
	if u := m.GetInvitedUser(); u != nil {
		out.UserID = deref(u.GetId())
	}
	return out, nil
}

func countIf(b bool) *bool {
	if !b {
		return nil
	}
	return &b
}
