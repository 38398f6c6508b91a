package seed

import (
	"strings"
	"time"
)

// Spec describes a tenant to generate. For the fractions and ranges, zero
// means "use the realistic default" and a negative value means "none", so
// Spec{Users: 1000, Groups: 50} is already a plausible tenant.
type Spec struct {
	TenantID    string // default: a GUID derived from Seed
	Domain      string // default: contoso.com
	CompanyName string // default: the domain's first label, capitalised
	Users       int
	Groups      int
	Seed        int64

	FractionDisabled      float64 // accountEnabled false; default 0.02
	FractionNoMail        float64 // no mail, no proxyAddresses; default 0.03
	GuestFraction         float64 // userType Guest with #EXT# UPNs; default 0.01
	DuplicateNameFraction float64 // reuse an earlier user's name; default 0.01
	NestedGroupFraction   float64 // security groups with group members; default 0.02
	MembersPerGroupMin    int     // default 1
	MembersPerGroupMax    int     // default 5000 (capped by Users)

	// Epoch is the newest createdDateTime; objects are spread over the ten
	// years before it. Default 2025-01-01T00:00:00Z, never the wall clock.
	Epoch time.Time
}

var defaultEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// withDefaults resolves zero and negative knobs into concrete values.
func (s Spec) withDefaults() Spec {
	frac := func(v *float64, def float64) {
		switch {
		case *v == 0:
			*v = def
		case *v < 0:
			*v = 0
		case *v > 1:
			*v = 1
		}
	}
	frac(&s.FractionDisabled, 0.02)
	frac(&s.FractionNoMail, 0.03)
	frac(&s.GuestFraction, 0.01)
	frac(&s.DuplicateNameFraction, 0.01)
	frac(&s.NestedGroupFraction, 0.02)
	if s.Users < 0 {
		s.Users = 0
	}
	if s.Groups < 0 {
		s.Groups = 0
	}
	if s.Domain == "" {
		s.Domain = "contoso.com"
	}
	s.Domain = strings.ToLower(s.Domain)
	if s.CompanyName == "" {
		label := s.Domain
		if i := strings.IndexByte(label, '.'); i > 0 {
			label = label[:i]
		}
		s.CompanyName = strings.ToUpper(label[:1]) + label[1:]
	}
	if s.MembersPerGroupMin <= 0 {
		s.MembersPerGroupMin = 1
	}
	if s.MembersPerGroupMax <= 0 {
		s.MembersPerGroupMax = 5000
	}
	if s.MembersPerGroupMax < s.MembersPerGroupMin {
		s.MembersPerGroupMax = s.MembersPerGroupMin
	}
	if s.Epoch.IsZero() {
		s.Epoch = defaultEpoch
	}
	return s
}

// initialDomain derives the tenant's onmicrosoft.com domain.
func initialDomain(domain string) string {
	label := domain
	if i := strings.IndexByte(label, '.'); i > 0 {
		label = label[:i]
	}
	return asciiAlias(label) + ".onmicrosoft.com"
}
