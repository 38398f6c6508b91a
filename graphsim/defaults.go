package graphsim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// sampleDomains name the first tenants, so demos read like real ones.
var sampleDomains = []string{"contoso", "fabrikam", "northwind", "tailspin", "adatum", "woodgrove", "litware", "proseware"}

// deterministicGUID hashes parts into a GUID-shaped (v4 layout) id.
func deterministicGUID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	var b [16]byte
	copy(b[:], sum[:16])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatGUID(b)
}

// withDefaults fills empty fields deterministically from the tenant's
// position and seed.
func (sp TenantSpec) withDefaults(i int) TenantSpec {
	if sp.ID == "" {
		sp.ID = deterministicGUID("tenant", fmt.Sprint(i), fmt.Sprint(sp.Seed))
	}
	sp.ID = strings.ToLower(sp.ID)
	if sp.Domain == "" {
		if i < len(sampleDomains) {
			sp.Domain = sampleDomains[i] + ".example"
		} else {
			sp.Domain = fmt.Sprintf("tenant%d.example", i+1)
		}
	}
	sp.Domain = strings.ToLower(sp.Domain)
	if sp.ClientID == "" {
		sp.ClientID = deterministicGUID("client", sp.ID)
	}
	if sp.ClientSecret == "" {
		sum := sha256.Sum256([]byte("secret\x00" + sp.ID))
		sp.ClientSecret = "sim~" + hex.EncodeToString(sum[:16])
	}
	return sp
}

// initialDomain is the tenant's built-in domain, like contoso.onmicrosoft.com.
func (t *Tenant) initialDomain() string {
	label, _, _ := strings.Cut(t.info.Domain, ".")
	return label + ".onmicrosoft.com"
}

// validateSpec rejects ids that are not GUIDs.
func validateSpec(sp TenantSpec) error {
	if !guidRe.MatchString(sp.ID) {
		return fmt.Errorf("tenant id %q is not a GUID", sp.ID)
	}
	if sp.Users < 0 || sp.Groups < 0 {
		return fmt.Errorf("tenant %s: negative seed size", sp.ID)
	}
	if strings.ContainsAny(sp.Domain, "/@ ") || sp.Domain == "" {
		return fmt.Errorf("tenant %s: invalid domain %q", sp.ID, sp.Domain)
	}
	return nil
}
