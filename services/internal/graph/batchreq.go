package graph

import "net/url"

// Builders for the writer's usual $batch items, so URLs and bodies are
// spelled in one place. id is the item's id within the batch.

// InviteRequest invites a B2B user (POST /invitations).
func InviteRequest(id string, inv Invitation) BatchRequest {
	redirect := inv.RedirectURL
	if redirect == "" {
		redirect = "https://myapps.microsoft.com"
	}
	userType := inv.UserType
	if userType == "" {
		userType = "Guest"
	}
	body := map[string]any{
		"invitedUserEmailAddress": inv.Email,
		"inviteRedirectUrl":       redirect,
		"invitedUserType":         userType,
		"sendInvitationMessage":   inv.SendMessage,
	}
	if inv.DisplayName != "" {
		body["invitedUserDisplayName"] = inv.DisplayName
	}
	return BatchRequest{ID: id, Method: "POST", URL: "/invitations", Body: body}
}

// CreateUserRequest creates a user (POST /users).
func CreateUserRequest(id string, attrs Attributes) BatchRequest {
	return BatchRequest{ID: id, Method: "POST", URL: "/users", Body: attrs}
}

// UpdateUserRequest PATCHes a user with exactly attrs.
func UpdateUserRequest(id, userID string, attrs Attributes) BatchRequest {
	return BatchRequest{ID: id, Method: "PATCH", URL: "/users/" + url.PathEscape(userID), Body: attrs}
}

// DeleteUserRequest soft-deletes a user.
func DeleteUserRequest(id, userID string) BatchRequest {
	return BatchRequest{ID: id, Method: "DELETE", URL: "/users/" + url.PathEscape(userID)}
}

// RestoreRequest restores a soft-deleted user or group.
func RestoreRequest(id, objectID string) BatchRequest {
	return BatchRequest{ID: id, Method: "POST", URL: "/directory/deletedItems/" + url.PathEscape(objectID) + "/restore"}
}

// CreateGroupRequest creates a group (POST /groups).
func CreateGroupRequest(id string, attrs Attributes) BatchRequest {
	return BatchRequest{ID: id, Method: "POST", URL: "/groups", Body: attrs}
}

// UpdateGroupRequest PATCHes a group.
func UpdateGroupRequest(id, groupID string, attrs Attributes) BatchRequest {
	return BatchRequest{ID: id, Method: "PATCH", URL: "/groups/" + url.PathEscape(groupID), Body: attrs}
}

// DeleteGroupRequest soft-deletes a group.
func DeleteGroupRequest(id, groupID string) BatchRequest {
	return BatchRequest{ID: id, Method: "DELETE", URL: "/groups/" + url.PathEscape(groupID)}
}

// AddMemberRequest adds memberID to groupID (POST members/$ref); a method
// because the body's @odata.id is an absolute URL under this GraphURL.
func (c *Client) AddMemberRequest(id, groupID, memberID string) BatchRequest {
	return BatchRequest{
		ID: id, Method: "POST", URL: "/groups/" + url.PathEscape(groupID) + "/members/$ref",
		Body: map[string]any{"@odata.id": c.directoryObjectURL(memberID)},
	}
}

// RemoveMemberRequest removes memberID from groupID.
func RemoveMemberRequest(id, groupID, memberID string) BatchRequest {
	return BatchRequest{
		ID: id, Method: "DELETE",
		URL: "/groups/" + url.PathEscape(groupID) + "/members/" + url.PathEscape(memberID) + "/$ref",
	}
}
