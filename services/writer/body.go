package writer

import (
	"encoding/json"
	"fmt"
	"strings"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/services/internal/graph"
)

// body is what a list of AttributeChanges turns into: the PATCH/POST
// attributes plus the reference (manager) written through its own $ref
// request.
type body struct {
	attrs graph.Attributes
	// manager: nil = unchanged; "" = remove; else the target id.
	manager *string
	// values by Graph property, for the invitation (mail, displayName, ...).
	values map[string]any
}

// graphProperties the writer never PATCHes: the B2B identity is set by the
// invitation itself (alternativeSecurityIds has no Graph v1.0 property),
// IsSoftDeleted is virtual, members are reconciled from desired_member_ids.
var skipProps = map[string]bool{"": true, "IsSoftDeleted": true, "members": true, "alternativeSecurityIds": true}

// buildBody decodes the changes. Graph property paths with "/" become nested
// objects (employeeOrgData/costCenter); a single string for businessPhones
// becomes its one-element list (Entra's telephoneNumber).
func buildBody(changes []*eventsv1.AttributeChange, user bool) (body, *failure) {
	b := body{attrs: graph.Attributes{}, values: map[string]any{}}
	for _, c := range changes {
		prop := c.GetGraphProperty()
		if skipProps[prop] {
			continue
		}
		var v any
		if raw := c.GetNewValueJson(); raw != "" {
			if err := json.Unmarshal([]byte(raw), &v); err != nil {
				return b, &failure{code: rules.InvalidAttributeValue, msg: fmt.Sprintf("%s: value is not JSON: %v", c.GetAttribute(), err)}
			}
		}
		b.values[prop] = v
		switch {
		case prop == "manager":
			s, _ := v.(string)
			b.manager = &s
			continue
		case prop == "businessPhones":
			if s, ok := v.(string); ok {
				v = []any{s}
			} else if v == nil {
				v = []any{}
			}
		case prop == "userPrincipalName" && user:
			// A B2B user keeps the #EXT# UPN Graph derived from the
			// invited address; a source UPN in a foreign domain would be
			// refused. Only values already in the #EXT# form are written.
			if s, _ := v.(string); !strings.Contains(strings.ToUpper(s), "#EXT#") {
				continue
			}
		}
		setPath(b.attrs, prop, v)
	}
	return b, nil
}

func setPath(m graph.Attributes, path string, v any) {
	parts := strings.Split(path, "/")
	cur := map[string]any(m)
	for _, p := range parts[:len(parts)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	cur[parts[len(parts)-1]] = v
}

// inviteAddress is the address a new B2B user is invited with: the source
// mail, else the first otherMails entry, else the source UPN (Entra's
// order). The same address finds the user again on a redelivery.
func (b body) inviteAddress() string {
	if s, _ := b.values["mail"].(string); s != "" {
		return s
	}
	if l, _ := b.values["otherMails"].([]any); len(l) > 0 {
		if s, _ := l[0].(string); s != "" {
			return s
		}
	}
	if s, _ := b.values["userPrincipalName"].(string); strings.Contains(s, "@") && !strings.Contains(strings.ToUpper(s), "#EXT#") {
		return s
	}
	return ""
}

func (b body) str(prop string) string {
	s, _ := b.values[prop].(string)
	return s
}
