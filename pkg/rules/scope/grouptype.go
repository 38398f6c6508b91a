package scope

import (
	"strings"

	"github.com/xtsync/xtsync/pkg/rules"
)

// GroupKind classifies a source group the way Exchange and Entra do, from
// its Graph properties (groupTypes, mailEnabled, securityEnabled).
type GroupKind string

// Group kinds.
const (
	SecurityGroup            GroupKind = "Security"
	Microsoft365Group        GroupKind = "Microsoft365"
	MailEnabledSecurityGroup GroupKind = "MailEnabledSecurity"
	DistributionGroup        GroupKind = "Distribution"
)

// GroupInfo is the classification of one source group.
type GroupInfo struct {
	Kind    GroupKind
	Dynamic bool // groupTypes contains DynamicMembership
}

// ClassifyGroup reads groupTypes, mailEnabled and securityEnabled.
func ClassifyGroup(attrs rules.Attrs) GroupInfo {
	var info GroupInfo
	unified := false
	if v, ok := attrs.Get("grouptypes"); ok {
		for _, t := range strings1(v) {
			switch strings.ToLower(t) {
			case "unified":
				unified = true
			case "dynamicmembership":
				info.Dynamic = true
			}
		}
	}
	mail := truthy(attrs, "mailenabled")
	sec := truthy(attrs, "securityenabled")
	switch {
	case unified:
		info.Kind = Microsoft365Group
	case mail && sec:
		info.Kind = MailEnabledSecurityGroup
	case mail:
		info.Kind = DistributionGroup
	default:
		info.Kind = SecurityGroup
	}
	return info
}

// Supported reports whether cross-tenant sync reads this kind of source
// group. Per Microsoft's FAQ ("What group types are supported?"): security
// groups (static and dynamic) and Microsoft 365 groups are supported as
// sources; mail-enabled security groups, distribution groups (and shared
// mailboxes / dynamic distribution groups, which Graph does not list as
// groups) are not. Every supported source becomes a static security group.
func (g GroupInfo) Supported() bool {
	return g.Kind == SecurityGroup || g.Kind == Microsoft365Group
}

func truthy(attrs rules.Attrs, name string) bool {
	v, _ := attrs.Get(name)
	b, ok := asBool(v)
	return ok && b
}

func strings1(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		return []string{x}
	}
	return nil
}
