package scheduler

import (
	"bytes"
	"net/url"
	"regexp"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	commonv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/common/v1"
	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/spec"
)

// Field size limits.
const (
	maxDisplayName = 256
	maxDomain      = 253
	maxURL         = 2048
	maxIDLen       = 64
)

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// checkConfigID adds a violation at path unless id is a configuration id.
func checkConfigID(fe *rules.FieldErrors, path, id string) {
	switch {
	case id == "":
		fe.Addf(rules.Required, path, "required")
	case len(id) > maxIDLen || !validID(id):
		fe.Addf(rules.InvalidValue, path, "not a configuration id (lower-case letters, digits, - and _, at most %d)", maxIDLen)
	}
}

// validateConfig checks every field of c and returns every problem, with
// paths under "configuration". It normalizes c: a missing interval becomes
// the default, and rules without sourceTenantId get the source tenant's.
func validateConfig(c *schedulerv1.Configuration) (rules.FieldErrors, *spec.Rules) {
	var fe rules.FieldErrors
	if c == nil {
		fe.Addf(rules.Required, "configuration", "required")
		return fe, nil
	}
	if len(c.GetDisplayName()) > maxDisplayName {
		fe.Addf(rules.InvalidValue, "configuration.display_name", "longer than %d bytes", maxDisplayName)
	}
	checkTenant(&fe, "configuration.source", c.GetSource())
	checkTenant(&fe, "configuration.target", c.GetTarget())
	if s, t := c.GetSource().GetTenantId(), c.GetTarget().GetTenantId(); s != "" && strings.EqualFold(s, t) {
		fe.Addf(rules.InvalidValue, "configuration.target.tenant_id", "must differ from the source tenant")
	}
	switch iv := c.GetScheduleInterval(); {
	case iv == nil:
		c.ScheduleInterval = durationpb.New(DefaultInterval)
	case iv.CheckValid() != nil:
		fe.Addf(rules.InvalidValue, "configuration.schedule_interval", "not a valid duration")
	case iv.AsDuration() < MinInterval || iv.AsDuration() > MaxInterval:
		fe.Addf(rules.InvalidValue, "configuration.schedule_interval", "%s is outside %s..%s", iv.AsDuration(), MinInterval, MaxInterval)
	}
	r := checkRules(&fe, c)
	return fe, r
}

func checkTenant(fe *rules.FieldErrors, path string, t *commonv1.TenantRef) {
	if t == nil {
		fe.Addf(rules.Required, path, "required")
		return
	}
	if t.GetTenantId() == "" {
		fe.Addf(rules.Required, path+".tenant_id", "required")
	} else if !guid.MatchString(t.GetTenantId()) {
		fe.Addf(rules.InvalidValue, path+".tenant_id", "not a tenant id (GUID)")
	}
	if len(t.GetDomain()) > maxDomain || strings.ContainsAny(t.GetDomain(), " /@{}") {
		fe.Addf(rules.InvalidValue, path+".domain", "not a domain name")
	}
	if t.GetClientId() == "" {
		fe.Addf(rules.Required, path+".client_id", "required")
	} else if !guid.MatchString(t.GetClientId()) {
		fe.Addf(rules.InvalidValue, path+".client_id", "not an application (client) id (GUID)")
	}
	if msg := checkCredentialRef(t.GetCredentialRef()); msg != "" {
		code := rules.InvalidValue
		if t.GetCredentialRef() == "" {
			code = rules.Required
		}
		// Never echo the value: it may be a pasted secret.
		fe.Addf(code, path+".credential_ref", "%s", msg)
	}
	for name, raw := range map[string]string{"graph_url": t.GetGraphUrl(), "authority_url": t.GetAuthorityUrl()} {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" || u.Host == "" || len(raw) > maxURL || u.User != nil {
			fe.Addf(rules.InvalidValue, path+"."+name, "must be an https URL without credentials")
		}
	}
}

// checkRules decodes and validates the rules (nil rules are allowed: the
// job is then NotConfigured).
func checkRules(fe *rules.FieldErrors, c *schedulerv1.Configuration) *spec.Rules {
	if c.GetRules() == nil {
		return nil
	}
	st := c.GetRules()
	if _, ok := st.GetFields()["sourceTenantId"]; !ok && c.GetSource().GetTenantId() != "" {
		st.Fields["sourceTenantId"] = structpb.NewStringValue(c.GetSource().GetTenantId())
	}
	raw, err := protojson.Marshal(st)
	if err != nil {
		fe.Addf(rules.InvalidValue, "configuration.rules", "not encodable as JSON: %v", err)
		return nil
	}
	r, err := spec.Decode(bytes.NewReader(raw))
	if err != nil {
		fe.Addf(rules.InvalidValue, "configuration.rules", "%v", err)
		return nil
	}
	if err := r.Validate(); err != nil {
		var verrs rules.FieldErrors
		if asFieldErrors(err, &verrs) {
			fe.Merge("configuration.rules", verrs)
		} else {
			fe.Addf(rules.InvalidValue, "configuration.rules", "%v", err)
		}
		return nil
	}
	if s := c.GetSource().GetTenantId(); s != "" && !strings.EqualFold(r.SourceTenantID, s) {
		fe.Addf(rules.InvalidValue, "configuration.rules.sourceTenantId", "must equal configuration.source.tenant_id")
	}
	return r
}
