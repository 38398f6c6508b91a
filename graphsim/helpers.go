package graphsim

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Direct helpers for tests and demos. They bypass HTTP, auth and
// throttling but go through the same store, so delta sees their changes.

// ErrNotFound is returned by helpers for unknown object ids.
var ErrNotFound = errors.New("object not found")

// UserCount is the number of live users.
func (t *Tenant) UserCount() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.st.userList.live()
}

// GroupCount is the number of live groups.
func (t *Tenant) GroupCount() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.st.groupList.live()
}

// DeletedCount is the number of soft-deleted users and groups.
func (t *Tenant) DeletedCount() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.st.deletedUsers) + len(t.st.deletedGroups)
}

// User returns a copy of a live or soft-deleted user by id.
func (t *Tenant) User(id string) (User, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if u := t.st.users[id]; u != nil {
		return u.clone(), true
	}
	if u := t.st.deletedUsers[id]; u != nil {
		return u.clone(), true
	}
	return User{}, false
}

// UserByUPN returns a copy of a live user by userPrincipalName.
func (t *Tenant) UserByUPN(upn string) (User, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if u := t.st.byUPN[lower(upn)]; u != nil {
		return u.clone(), true
	}
	return User{}, false
}

// UserByMail returns a copy of a live user by mail (guests are found by
// the invited address).
func (t *Tenant) UserByMail(mail string) (User, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if u := t.st.byMail[lower(mail)]; u != nil {
		return u.clone(), true
	}
	return User{}, false
}

// Group returns a copy of a live or soft-deleted group by id.
func (t *Tenant) Group(id string) (Group, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if g := t.st.groups[id]; g != nil {
		return g.clone(), true
	}
	if g := t.st.deletedGroups[id]; g != nil {
		return g.clone(), true
	}
	return Group{}, false
}

// UserIDs returns the ids of live users in listing order.
func (t *Tenant) UserIDs() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]string, 0, t.st.userList.live())
	t.st.userList.scan(0, func(_ uint64, u *User) bool { out = append(out, u.ID); return true })
	return out
}

// GroupIDs returns the ids of live groups in listing order.
func (t *Tenant) GroupIDs() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]string, 0, t.st.groupList.live())
	t.st.groupList.scan(0, func(_ uint64, g *Group) bool { out = append(out, g.ID); return true })
	return out
}

// AddUser inserts u (ID and CreatedDateTime are filled when empty).
func (t *Tenant) AddUser(u User) (User, error) {
	if u.UserPrincipalName == "" {
		return User{}, errors.New("add user: userPrincipalName is required")
	}
	if u.ID == "" {
		u.ID = newRequestID()
	}
	if u.CreatedDateTime.IsZero() {
		u.CreatedDateTime = t.srv.now().UTC().Truncate(time.Second)
	}
	if u.UserType == "" {
		u.UserType = "Member"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.st.kindOf(u.ID) != 0 {
		return User{}, fmt.Errorf("add user: id %s already exists", u.ID)
	}
	if e := t.checkUPN(u.UserPrincipalName, nil); e != nil {
		return User{}, fmt.Errorf("add user: %w", e)
	}
	nu := u.clone()
	nu.PasswordProfile = u.PasswordProfile
	nu.ord, nu.DeletedDateTime = 0, nil
	t.st.listUser(&nu)
	t.st.record(kindUser, nu.ID)
	t.st.noteManager(&nu, "")
	return nu.clone(), nil
}

// UpdateUser applies fn to a live user, as a PATCH would.
func (t *Tenant) UpdateUser(id string, fn func(*User)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.st.users[id]
	if u == nil {
		return fmt.Errorf("update user %s: %w", id, ErrNotFound)
	}
	t.st.unindexUser(u)
	c := u.clone()
	fn(&c)
	c.ID, c.ord, c.PasswordProfile = u.ID, u.ord, u.PasswordProfile
	former := u.ManagerID
	*u = c
	t.st.indexUser(u)
	t.st.record(kindUser, id)
	t.st.noteManager(u, former)
	return nil
}

// DeleteUser soft-deletes a live user.
func (t *Tenant) DeleteUser(id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.st.users[id]
	if u == nil {
		return fmt.Errorf("delete user %s: %w", id, ErrNotFound)
	}
	t.softDeleteUser(u, t.srv.now())
	return nil
}

// AddGroup inserts a security group with the given members.
func (t *Tenant) AddGroup(g Group) (Group, error) {
	if g.ID == "" {
		g.ID = newRequestID()
	}
	if g.CreatedDateTime.IsZero() {
		g.CreatedDateTime = t.srv.now().UTC().Truncate(time.Second)
	}
	if g.GroupTypes == nil {
		g.GroupTypes = []string{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.st.kindOf(g.ID) != 0 {
		return Group{}, fmt.Errorf("add group: id %s already exists", g.ID)
	}
	ng := g.clone()
	members := ng.Members
	ng.Members, ng.memberSet, ng.ord, ng.DeletedDateTime = nil, nil, 0, nil
	t.st.listGroup(&ng)
	t.st.record(kindGroup, ng.ID)
	for _, m := range members {
		k := t.st.kindOf(m)
		if k == 0 {
			return Group{}, fmt.Errorf("add group member %s: %w", m, ErrNotFound)
		}
		t.st.addMember(&ng, m, k)
	}
	return ng.clone(), nil
}

// AddMember adds an existing user or group to a group.
func (t *Tenant) AddMember(groupID, memberID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.st.groups[groupID]
	k := t.st.kindOf(memberID)
	if g == nil || k == 0 {
		return fmt.Errorf("add member %s to %s: %w", memberID, groupID, ErrNotFound)
	}
	t.st.addMember(g, memberID, k)
	return nil
}

// RedeemInvitation marks a guest as having accepted its invitation.
func (t *Tenant) RedeemInvitation(userID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.st.users[userID]
	if u == nil {
		return fmt.Errorf("redeem invitation for %s: %w", userID, ErrNotFound)
	}
	now := t.srv.now().UTC().Truncate(time.Second)
	u.ExternalUserState, u.ExternalUserStateChangeDateTime = "Accepted", &now
	t.st.record(kindUser, userID)
	return nil
}

// SetPartnerPolicy creates or replaces the cross-tenant access partner
// configuration for partnerTenantID, with automatic redemption (inbound
// and outbound) and, when syncAllowed is set, inbound user sync.
func (t *Tenant) SetPartnerPolicy(partnerTenantID string, autoRedeem, syncAllowed bool) {
	tid := strings.ToLower(partnerTenantID)
	t.mu.Lock()
	defer t.mu.Unlock()
	p := &partner{cfg: map[string]any{
		"tenantId":                     tid,
		"automaticUserConsentSettings": map[string]any{"inboundAllowed": autoRedeem, "outboundAllowed": autoRedeem},
	}}
	p.sync = map[string]any{"tenantId": tid, "displayName": tid, "userSyncInbound": map[string]any{"isSyncAllowed": syncAllowed}}
	t.st.policy.partners[tid] = p
}

// ChangeCount is the number of entries in the tenant's change log.
func (t *Tenant) ChangeCount() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.st.head()
}
