package graphsim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"
)

// tokenLifetime matches Entra's default app-only access token lifetime.
const tokenLifetime = 3599 * time.Second

// graphAudience is the aud of Graph access tokens.
const graphAudience = "https://graph.microsoft.com"

// graphAppID is Microsoft Graph's well-known application id.
const graphAppID = "00000003-0000-0000-c000-000000000000"

// tokenKeys signs access tokens (RS256, like Entra) with a key made at start.
type tokenKeys struct {
	key *rsa.PrivateKey
	kid string
}

// sharedKey is generated once per process: RSA key generation costs
// hundreds of milliseconds, and tests start many servers. Each server
// still has its own kid, which verify checks, so tokens never cross servers.
var sharedKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

func newTokenKeys() (*tokenKeys, error) {
	k, err := sharedKey()
	if err != nil {
		return nil, fmt.Errorf("generate token key: %w", err)
	}
	var kid [12]byte
	if _, err := rand.Read(kid[:]); err != nil {
		return nil, fmt.Errorf("generate key id: %w", err)
	}
	return &tokenKeys{key: k, kid: base64.RawURLEncoding.EncodeToString(kid[:])}, nil
}

// claims is the subset of Entra's v1 app-only token claims the simulator
// issues and checks.
type claims struct {
	Aud   string   `json:"aud"`
	Iss   string   `json:"iss"`
	Iat   int64    `json:"iat"`
	Nbf   int64    `json:"nbf"`
	Exp   int64    `json:"exp"`
	AppID string   `json:"appid"`
	Azp   string   `json:"azp,omitempty"`
	Idtyp string   `json:"idtyp"`
	Oid   string   `json:"oid"`
	Roles []string `json:"roles"`
	Sub   string   `json:"sub"`
	Tid   string   `json:"tid"`
	Uti   string   `json:"uti"`
	Ver   string   `json:"ver"`
}

var b64 = base64.RawURLEncoding

// sign returns a compact JWS for c.
func (k *tokenKeys) sign(c claims) (string, error) {
	hdr, err := json.Marshal(map[string]string{"typ": "JWT", "alg": "RS256", "kid": k.kid, "x5t": k.kid})
	if err != nil {
		return "", fmt.Errorf("encode token header: %w", err)
	}
	body, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode token claims: %w", err)
	}
	signing := b64.EncodeToString(hdr) + "." + b64.EncodeToString(body)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return signing + "." + b64.EncodeToString(sig), nil
}

// Token verification failures, mapped to Graph's messages by authenticate.
var (
	errTokenMalformed = errors.New("malformed token")
	errTokenSignature = errors.New("bad token signature")
)

// verify checks the signature and decodes the claims; lifetime and
// audience are the caller's to check.
func (k *tokenKeys) verify(tok string) (claims, error) {
	var c claims
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return c, errTokenMalformed
	}
	hdr, err1 := b64.DecodeString(parts[0])
	body, err2 := b64.DecodeString(parts[1])
	sig, err3 := b64.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return c, errTokenMalformed
	}
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if json.Unmarshal(hdr, &h) != nil || json.Unmarshal(body, &c) != nil {
		return c, errTokenMalformed
	}
	if h.Alg != "RS256" || h.Kid != k.kid {
		return c, errTokenSignature
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&k.key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return c, errTokenSignature
	}
	return c, nil
}

// jwks renders the public key set for /discovery/v2.0/keys.
func (k *tokenKeys) jwks() []byte {
	pub := k.key.PublicKey
	e := big.NewInt(int64(pub.E)).Bytes()
	out, _ := json.Marshal(map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "use": "sig", "kid": k.kid, "x5t": k.kid,
		"n": b64.EncodeToString(pub.N.Bytes()), "e": b64.EncodeToString(e),
	}}})
	return out
}

// authenticate checks the bearer token of a Graph request and binds the
// tenant (from tid, as Graph does: the URL carries no tenant).
func (s *Server) authenticate(rc *reqCtx, authz string) *gerror {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(authz), " ")
	if authz == "" || !ok || strings.TrimSpace(tok) == "" {
		return errUnauthorized("Access token is empty.")
	}
	if !strings.EqualFold(scheme, "Bearer") {
		return errUnauthorized("Access token is empty.")
	}
	c, err := s.keys.verify(strings.TrimSpace(tok))
	switch {
	case errors.Is(err, errTokenMalformed):
		return errUnauthorized("CompactToken parsing failed with error code: 80049217")
	case err != nil:
		return errUnauthorized("Access token validation failure.")
	}
	if c.Aud != graphAudience && c.Aud != graphAppID {
		return errUnauthorized("Access token validation failure. Invalid audience.")
	}
	now := rc.now.Unix()
	if c.Exp <= now {
		return errUnauthorized("Lifetime validation failed, the token is expired.")
	}
	if c.Nbf > now+300 {
		return errUnauthorized("Lifetime validation failed, the token is not yet valid.")
	}
	t := s.Tenant(c.Tid)
	if t == nil || !strings.EqualFold(t.info.ID, c.Tid) {
		return errUnauthorized("Access token validation failure.")
	}
	if c.AppID != t.info.ClientID {
		return &gerror{status: 401, code: codeIdentityNotFound, message: "The identity of the calling application could not be established."}
	}
	if t.Limits().Unauthorized {
		return errUnauthorized("Access token validation failure. The app's credentials were revoked.")
	}
	rc.t, rc.app = t, c.AppID
	return nil
}
