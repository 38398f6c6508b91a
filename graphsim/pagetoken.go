package graphsim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
)

// pageToken is the state behind $skiptoken and $deltatoken values. Tokens
// are opaque to clients: a MAC with a per-server key makes a tampered or
// foreign token an error instead of a wrong page.
type pageToken struct {
	Kind   string // "users", "groups", "members", "memberOf", "udelta", "gdelta", "deleted"
	Tenant string
	Phase  byte   // delta: 'i' initial full read, 'c' changes
	After  uint64 // last ord served (lists, initial delta) or last seq scanned (changes)
	From   uint64 // delta: seq the round started from
	Offset int    // sorted lists: items already served
	Sel    string // delta: the $select of the initial request
	Issued int64  // delta links: unix seconds when issued, for expiry
}

// tokenCodec encodes and checks page tokens.
type tokenCodec struct{ key []byte }

func (c tokenCodec) mac(payload string) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(payload))
	return m.Sum(nil)[:12]
}

func (c tokenCodec) encode(t pageToken) string {
	payload := strings.Join([]string{
		"1", t.Kind, t.Tenant, string(rune(max(t.Phase, '-'))),
		strconv.FormatUint(t.After, 36), strconv.FormatUint(t.From, 36), strconv.Itoa(t.Offset), strconv.FormatInt(t.Issued, 36), t.Sel,
	}, "|")
	raw := append([]byte(payload), c.mac(payload)...)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// decode returns the token or false when it is malformed, forged, or of
// another kind or tenant.
func (c tokenCodec) decode(s, kind, tenant string) (pageToken, bool) {
	var t pageToken
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) < 13 {
		return t, false
	}
	payload, sum := raw[:len(raw)-12], raw[len(raw)-12:]
	if !hmac.Equal(sum, c.mac(string(payload))) {
		return t, false
	}
	f := strings.SplitN(string(payload), "|", 9)
	if len(f) != 9 || f[0] != "1" || f[1] != kind || f[2] != tenant || len(f[3]) != 1 {
		return t, false
	}
	after, err1 := strconv.ParseUint(f[4], 36, 64)
	from, err2 := strconv.ParseUint(f[5], 36, 64)
	off, err3 := strconv.Atoi(f[6])
	issued, err4 := strconv.ParseInt(f[7], 36, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || off < 0 {
		return t, false
	}
	t = pageToken{Kind: f[1], Tenant: f[2], Phase: f[3][0], After: after, From: from, Offset: off, Issued: issued, Sel: f[8]}
	return t, true
}

// errBadPageToken is Graph's answer to a skip token it cannot use.
func errBadPageToken() *gerror {
	return errBadRequest("The specified page token value has expired and can no longer be included in your request.")
}
