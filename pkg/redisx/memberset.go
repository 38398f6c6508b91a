package redisx

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// InlineMembers is the most member ids a message carries inline (a
// SourceChange's member_ids, a WriteIntent's desired or pending ids): ~19
// KB of GUIDs, so a batch of such objects stays far below NATS's max
// payload. A longer list travels by reference, as a MemberSets id.
const InlineMembers = 500

// MemberSetTTL is how long a stored member set lives after its last Put.
// It must outlive the messages that reference it (a cycle's groups wait
// for its users; a stalled writer backlog waits for the target); it is
// short enough that the sets of a group changing every cycle do not pile
// up (each is ~40 B per member).
const MemberSetTTL = 72 * time.Hour

// ErrMemberSetGone reports a referenced member set that is not in Redis
// (expired, or Redis lost it): the message referencing it cannot be
// processed, and retrying will not bring it back.
var ErrMemberSetGone = errors.New("redisx: member set gone")

// MemberSets stores member id lists too long for a message:
//
//	xtsync:{<cfg>}:members:<id>  SET  member ids, PX = MemberSetTTL
//
// An id is "<count>.<sha256 of the sorted unique ids>": content-addressed
// and immutable, so the same list stored twice (a redelivered batch, a
// re-read page) gets the same id, and a message carrying the id always
// means exactly that list. A set is written under a temporary key and
// renamed, so a crash mid-write never leaves a partial set under an id.
type MemberSets struct {
	rdb redis.UniversalClient
}

// NewMemberSets returns the Redis store.
func NewMemberSets(rdb redis.UniversalClient) *MemberSets { return &MemberSets{rdb: rdb} }

func memberSetKey(cfg, id string) string { return "xtsync:{" + cfg + "}:members:" + id }

// MemberSetID is the content address of ids (order and duplicates
// ignored).
func MemberSetID(ids []string) string {
	u := slices.Clone(ids)
	slices.Sort(u)
	u = slices.Compact(u)
	h := sha256.New()
	for _, id := range u {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	return strconv.Itoa(len(u)) + "." + hex.EncodeToString(h.Sum(nil)[:16])
}

const memberSetChunk = 1000

// Put stores ids and returns their set id; storing a list already stored
// only extends its expiry.
func (s *MemberSets) Put(ctx context.Context, cfg string, ids []string) (string, error) {
	if err := checkID("configuration", cfg); err != nil {
		return "", err
	}
	id := MemberSetID(ids)
	key := memberSetKey(cfg, id)
	ttl := MemberSetTTL
	n, _ := strconv.Atoi(id[:strings.IndexByte(id, '.')])
	if got, err := s.rdb.SCard(ctx, key).Result(); err != nil {
		return "", fmt.Errorf("member set %s: %w", id, err)
	} else if int(got) == n && n > 0 {
		if err := s.rdb.PExpire(ctx, key, ttl).Err(); err != nil {
			return "", fmt.Errorf("member set %s: %w", id, err)
		}
		return id, nil
	}
	var suffix [8]byte
	_, _ = rand.Read(suffix[:])
	tmp := key + ":tmp:" + hex.EncodeToString(suffix[:])
	pipe := s.rdb.Pipeline()
	for start := 0; start < len(ids); start += memberSetChunk {
		chunk := ids[start:min(start+memberSetChunk, len(ids))]
		args := make([]any, len(chunk))
		for i, m := range chunk {
			args[i] = m
		}
		pipe.SAdd(ctx, tmp, args...)
	}
	pipe.PExpire(ctx, tmp, ttl)
	if n > 0 {
		pipe.Rename(ctx, tmp, key)
		pipe.PExpire(ctx, key, ttl)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return "", fmt.Errorf("store member set %s (%d ids): %w", id, len(ids), err)
	}
	return id, nil
}

// Get returns the ids of set id, sorted; ErrMemberSetGone when it is not
// stored (whole).
func (s *MemberSets) Get(ctx context.Context, cfg, id string) ([]string, error) {
	if err := checkID("configuration", cfg); err != nil {
		return nil, err
	}
	dot := strings.IndexByte(id, '.')
	n, err := strconv.Atoi(id[:max(dot, 0)])
	if dot < 0 || err != nil || strings.ContainsAny(id, "{}") {
		return nil, fmt.Errorf("%w: member set id %q", ErrInvalid, id)
	}
	if n == 0 {
		return []string{}, nil
	}
	ids, err := s.rdb.SMembers(ctx, memberSetKey(cfg, id)).Result()
	if err != nil {
		return nil, fmt.Errorf("read member set %s: %w", id, err)
	}
	if len(ids) != n {
		return nil, fmt.Errorf("member set %s of configuration %s: %d of %d ids: %w", id, cfg, len(ids), n, ErrMemberSetGone)
	}
	slices.Sort(ids)
	return ids, nil
}

// Accumulate adds each group's ids to what earlier calls with the same
// scope reported for it and returns the union so far, by group:
//
//	xtsync:{<cfg>}:members:<scope>:<gid>  SET  PX = MemberSetTTL
//
// Graph may split a big group's members@delta over several pages of a
// full read, repeating the group with more members on each; the reader
// accumulates them per cycle so every copy it publishes lists the members
// read so far, and the last one all of them. Idempotent: a re-read page
// adds nothing.
func (s *MemberSets) Accumulate(ctx context.Context, cfg, scope string, byGroup map[string][]string) (map[string][]string, error) {
	if err := checkID("configuration", cfg); err != nil {
		return nil, err
	}
	if err := checkID("scope", scope); err != nil {
		return nil, err
	}
	pipe := s.rdb.Pipeline()
	reads := make(map[string]*redis.StringSliceCmd, len(byGroup))
	for gid, ids := range byGroup {
		if err := checkID("group", gid); err != nil {
			return nil, err
		}
		key := memberSetKey(cfg, scope+":"+gid)
		for start := 0; start < len(ids); start += memberSetChunk {
			chunk := ids[start:min(start+memberSetChunk, len(ids))]
			args := make([]any, len(chunk))
			for i, m := range chunk {
				args[i] = m
			}
			pipe.SAdd(ctx, key, args...)
		}
		pipe.PExpire(ctx, key, MemberSetTTL)
		reads[gid] = pipe.SMembers(ctx, key)
	}
	if len(reads) == 0 {
		return map[string][]string{}, nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("accumulate members of %d groups: %w", len(byGroup), err)
	}
	out := make(map[string][]string, len(reads))
	for gid, cmd := range reads {
		ids := cmd.Val()
		slices.Sort(ids)
		out[gid] = ids
	}
	return out, nil
}
