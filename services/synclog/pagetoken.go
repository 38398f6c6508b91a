package synclog

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Page tokens are opaque to callers: base64url("<kind>:<position>:<filter
// hash>"). The position is a logCursor (an XTSYNC_LOGS stream sequence,
// exclusive upper bound of the next page, and the entry of that message's
// batch where a page ended inside it) or a Redis stream id; the hash
// refuses a token replayed with another filter, which would silently skip
// entries.

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

// logCursor is where the next page of log entries starts: the entries of
// message seq below index idx (none when idx is 0), then the older messages.
type logCursor struct {
	seq uint64
	idx int
}

// seqToken encodes a cursor as "<seq>" or "<seq>.<idx>".
func seqToken(c logCursor, fingerprint string) string {
	pos := strconv.FormatUint(c.seq, 10)
	if c.idx > 0 {
		pos += "." + strconv.Itoa(c.idx)
	}
	return encodeToken("s", pos, fingerprint)
}

func decodeSeqToken(tok, fingerprint string) (logCursor, error) {
	pos, err := decodeToken(tok, "s", fingerprint)
	if err != nil {
		return logCursor{}, err
	}
	seqPart, idxPart, hasIdx := strings.Cut(pos, ".")
	seq, err := strconv.ParseUint(seqPart, 10, 64)
	if err != nil || seq == 0 {
		return logCursor{}, invalid("page_token", "malformed")
	}
	c := logCursor{seq: seq}
	if hasIdx {
		if c.idx, err = strconv.Atoi(idxPart); err != nil || c.idx <= 0 {
			return logCursor{}, invalid("page_token", "malformed")
		}
	}
	return c, nil
}

func hashOf(s string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return fmt.Sprintf("%x", h.Sum64())
}
