package graphsim

import "fmt"

// RemoveMember removes a user or group from a group, as DELETE
// /groups/{id}/members/{id}/$ref does.
func (t *Tenant) RemoveMember(groupID, memberID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.st.groups[groupID]
	k := t.st.kindOf(memberID)
	if g == nil || k == 0 || !t.st.removeMember(g, memberID, k) {
		return fmt.Errorf("remove member %s from %s: %w", memberID, groupID, ErrNotFound)
	}
	return nil
}

// RestoreUser brings a soft-deleted user back, as POST
// /directory/deletedItems/{id}/restore does.
func (t *Tenant) RestoreUser(id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.st.deletedUsers[id]; !ok {
		return fmt.Errorf("restore user %s: %w", id, ErrNotFound)
	}
	if _, e := t.restore(id); e != nil {
		return fmt.Errorf("restore user %s: %w", id, e)
	}
	return nil
}

// SetManager sets the manager of a live user, as PUT manager/$ref would;
// managerID "" removes it (DELETE manager/$ref). The user counts as
// changed for delta and its manager@delta reports the change.
func (t *Tenant) SetManager(userID, managerID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.st.users[userID]
	if u == nil {
		return fmt.Errorf("set manager of %s: %w", userID, ErrNotFound)
	}
	if managerID != "" && t.st.users[managerID] == nil {
		return fmt.Errorf("set manager of %s: manager %s: %w", userID, managerID, ErrNotFound)
	}
	former := u.ManagerID
	u.ManagerID = managerID
	t.st.record(kindUser, userID)
	t.st.noteManager(u, former)
	return nil
}
