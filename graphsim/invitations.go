package graphsim

import (
	"encoding/json"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// invitationFields are the properties POST /invitations accepts.
var invitationFields = map[string]bool{
	"invitedUserEmailAddress": true, "inviteRedirectUrl": true, "invitedUserDisplayName": true,
	"invitedUserType": true, "sendInvitationMessage": true, "invitedUserMessageInfo": true,
	"resetRedemption": true, "invitedUser": true, "invitedUserSponsors": true,
}

// routeInvitations serves POST /invitations: it creates (or finds) a B2B
// user. No mail is ever sent.
func (t *Tenant) routeInvitations(rc *reqCtx) *response {
	if len(rc.segs) != 1 {
		return errResponse(errNoRoute(rc.method, rc.segs[len(rc.segs)-1]))
	}
	if rc.method != http.MethodPost {
		return errResponse(errMethod(rc.method))
	}
	o, e := decodeObject(rc.body)
	if e != nil {
		return errResponse(e)
	}
	for _, k := range o.keys {
		if !isAnnotation(k) && !invitationFields[k] {
			return errResponse(errBadRequestPlain("Property '" + k + "' does not exist on type 'microsoft.graph.invitation'."))
		}
	}
	email, _ := o.str("invitedUserEmailAddress")
	redirect, _ := o.str("inviteRedirectUrl")
	display, _ := o.str("invitedUserDisplayName")
	userType, _ := o.str("invitedUserType")
	var send, reset bool
	if raw, ok := o.fields["sendInvitationMessage"]; ok && json.Unmarshal(raw, &send) != nil {
		return errResponse(errBadRequestPlain("Invalid value specified for property 'sendInvitationMessage' of resource 'Invitation'."))
	}
	if raw, ok := o.fields["resetRedemption"]; ok && json.Unmarshal(raw, &reset) != nil {
		return errResponse(errBadRequestPlain("Invalid value specified for property 'resetRedemption' of resource 'Invitation'."))
	}
	switch {
	case strings.TrimSpace(email) == "":
		return errResponse(errBadRequestPlain("The property 'invitedUserEmailAddress' is required."))
	case strings.TrimSpace(redirect) == "":
		return errResponse(errBadRequestPlain("The property 'inviteRedirectUrl' is required."))
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != strings.TrimSpace(email) {
		return errResponse(errBadRequestPlain("The specified email address '" + email + "' is invalid."))
	}
	switch {
	case userType == "":
		userType = "Guest"
	case strings.EqualFold(userType, "guest"):
		userType = "Guest"
	case strings.EqualFold(userType, "member"):
		userType = "Member"
	default:
		return errResponse(errBadRequestPlain("Invalid value specified for property 'invitedUserType' of resource 'Invitation'."))
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.st.byMail[lower(email)]
	if u == nil {
		u = t.newGuest(rc, email, display, userType)
	} else if reset {
		u.ExternalUserState = "PendingAcceptance"
		now := rc.now.UTC().Truncate(1e9)
		u.ExternalUserStateChangeDateTime = &now
		t.st.record(kindUser, u.ID)
	}
	status := "PendingAcceptance"
	if u.ExternalUserState == "Accepted" {
		status = "Completed"
	}
	invID := newRequestID()
	redeem := rc.s.base + "/redeem?rd=" + url.QueryEscape("tenant="+t.info.ID+"&user="+u.ID+"&ticket="+invID)
	b := append([]byte(`{"@odata.context":`), appendString(nil, rc.context("invitations/$entity"))...)
	b = append(b, `,"id":`...)
	b = appendString(b, invID)
	b = append(b, `,"inviteRedeemUrl":`...)
	b = appendString(b, redeem)
	b = append(b, `,"invitedUserDisplayName":`...)
	b = appendNullString(b, display)
	b = append(b, `,"invitedUserType":`...)
	b = appendString(b, u.UserType)
	b = append(b, `,"invitedUserEmailAddress":`...)
	b = appendString(b, email)
	b = append(b, `,"sendInvitationMessage":`...)
	b = strconv.AppendBool(b, send)
	b = append(b, `,"resetRedemption":`...)
	b = strconv.AppendBool(b, reset)
	b = append(b, `,"inviteRedirectUrl":`...)
	b = appendString(b, redirect)
	b = append(b, `,"status":`...)
	b = appendString(b, status)
	b = append(b, `,"invitedUserMessageInfo":{"messageLanguage":null,"customizedMessageBody":null,"ccRecipients":[]}`...)
	b = append(b, `,"invitedUser":{"id":`...)
	b = appendString(b, u.ID)
	b = append(b, "}}"...)
	return jsonResponse(http.StatusCreated, b)
}

// newGuest creates the B2B user an invitation makes: UPN
// alias_domain#EXT#@tenantdomain, pending acceptance.
func (t *Tenant) newGuest(rc *reqCtx, email, display, userType string) *User {
	local, domain, _ := strings.Cut(email, "@")
	nick := local + "_" + domain + "#EXT#"
	upn := nick + "@" + t.info.Domain
	for i := 1; t.st.byUPN[lower(upn)] != nil; i++ {
		upn = nick + strconv.Itoa(i) + "@" + t.info.Domain
	}
	if display == "" {
		display = local
	}
	now := rc.now.UTC().Truncate(1e9)
	u := &User{
		ID: newRequestID(), DisplayName: display, Mail: email, MailNickname: nick,
		UserPrincipalName: upn, UserType: userType, AccountEnabled: true,
		OtherMails: []string{email}, ProxyAddresses: []string{"SMTP:" + email},
		CreationType: "Invitation", ExternalUserState: "PendingAcceptance", ExternalUserStateChangeDateTime: &now,
		CreatedDateTime: now, BusinessPhones: []string{},
		Identities: []ObjectIdentity{{SignInType: "userPrincipalName", Issuer: t.info.Domain, IssuerAssignedID: upn}},
	}
	t.st.listUser(u)
	t.st.record(kindUser, u.ID)
	return u
}
