package synclog

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Page tokens are opaque to callers: base64url("<kind>:<position>:<filter
// hash>"). The position is an XTSYNC_LOGS stream sequence (exclusive upper
// bound of the next page) or a Redis stream id; the hash refuses a token
// replayed with another filter, which would silently skip entries.

func encodeToken(kind, pos, fingerprint string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + pos + ":" + hashOf(fingerprint)))
}

// decodeToken returns the position of a token of kind for fingerprint, or
// an InvalidArgument naming page_token.
func decodeToken(tok, kind, fingerprint string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(tok) > 256 {
		return "", invalid("page_token", "malformed")
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != kind || parts[1] == "" {
		return "", invalid("page_token", "malformed")
	}
	if parts[2] != hashOf(fingerprint) {
		return "", invalid("page_token", "issued for another filter")
	}
	return parts[1], nil
}

func seqToken(seq uint64, fingerprint string) string {
	return encodeToken("s", strconv.FormatUint(seq, 10), fingerprint)
}

func decodeSeqToken(tok, fingerprint string) (uint64, error) {
	pos, err := decodeToken(tok, "s", fingerprint)
	if err != nil {
		return 0, err
	}
	seq, err := strconv.ParseUint(pos, 10, 64)
	if err != nil || seq == 0 {
		return 0, invalid("page_token", "malformed")
	}
	return seq, nil
}

func hashOf(s string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return fmt.Sprintf("%x", h.Sum64())
}
