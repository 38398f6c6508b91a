package transformer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// AssignedMembers remembers the direct user members of assigned groups,
// per configuration, so a user's assignment ("sync only assigned users and
// groups": assigned directly or a DIRECT member of an assigned group) can
// be decided from the user's change alone: Graph's /users/delta does not
// say which groups a user is in, /groups/delta does.
//
//	xtsync:{<cfg>}:assigned-members        HASH user id -> space-separated ids of assigned groups it is a direct member of
//	xtsync:{<cfg>}:assigned-members:<gid>  SET  the direct user members last seen for group gid (to diff the next replace)
//	xtsync:{<cfg>}:assigned-groups-seen    HASH group id -> observed_at (unix ns) of the change last applied
//	xtsync:{<cfg>}:revisit                 SET  users whose assignment changed this way (see Revisit)
//
// Both are written together by one Lua script, so a crash never leaves the
// hash and the sets disagreeing. No TTL: losing them would unassign users.
type AssignedMembers struct {
	rdb redis.UniversalClient
}

// NewAssignedMembers returns the Redis store.
func NewAssignedMembers(rdb redis.UniversalClient) *AssignedMembers {
	return &AssignedMembers{rdb: rdb}
}

func membersKey(cfg string) string           { return "xtsync:{" + cfg + "}:assigned-members" }
func groupMembersKey(cfg, gid string) string { return membersKey(cfg) + ":" + gid }
func revisitKey(cfg string) string           { return "xtsync:{" + cfg + "}:revisit" }
func groupsSeenKey(cfg string) string        { return "xtsync:{" + cfg + "}:assigned-groups-seen" }

// replaceScript sets the member set of one group and moves the group id in
// or out of each affected user's field; affected users are queued for a
// revisit. A change observed before the one last applied is ignored:
// redelivery can bring an old cycle's group change after a newer one.
// KEYS: hash, group set, revisit set, seen hash. ARGV: gid, observed (unix
// ns, 0 = unknown), members... Returns {added, removed}, or {-1, 0} when
// ignored as stale.
var replaceScript = redis.NewScript(`
local gid = ARGV[1]
local at = tonumber(ARGV[2])
if at > 0 then
  local last = tonumber(redis.call('HGET', KEYS[4], gid) or '0')
  if at < last then return {-1, 0} end
  redis.call('HSET', KEYS[4], gid, ARGV[2])
end
local function addg(u)
  local cur = redis.call('HGET', KEYS[1], u)
  if not cur then redis.call('HSET', KEYS[1], u, gid) return end
  for g in string.gmatch(cur, '%S+') do if g == gid then return end end
  redis.call('HSET', KEYS[1], u, cur .. ' ' .. gid)
end
local function delg(u)
  local cur = redis.call('HGET', KEYS[1], u)
  if not cur then return end
  local keep = {}
  for g in string.gmatch(cur, '%S+') do if g ~= gid then keep[#keep+1] = g end end
  if #keep == 0 then redis.call('HDEL', KEYS[1], u) else redis.call('HSET', KEYS[1], u, table.concat(keep, ' ')) end
end
local new = {}
for i = 3, #ARGV do new[ARGV[i]] = true end
local old = {}
local removed, added = 0, 0
for _, u in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  old[u] = true
  if not new[u] then delg(u); redis.call('SADD', KEYS[3], u); removed = removed + 1 end
end
redis.call('DEL', KEYS[2])
local chunk = {}
for i = 3, #ARGV do
  local u = ARGV[i]
  if not old[u] then addg(u); redis.call('SADD', KEYS[3], u); added = added + 1; old[u] = true end
  chunk[#chunk+1] = u
  if #chunk == 1000 then redis.call('SADD', KEYS[2], unpack(chunk)); chunk = {} end
end
if #chunk > 0 then redis.call('SADD', KEYS[2], unpack(chunk)) end
return {added, removed}
`)

// Replace records members as the complete set of direct user members of
// group gid (nil: the group is gone or no longer assigned), as observed at
// observed (zero: unknown, always applied). It is idempotent, so a
// redelivered batch applies it again harmlessly, and returns how many users
// gained and lost the group; stale reports a change older than the last
// one applied, which is ignored.
func (s *AssignedMembers) Replace(ctx context.Context, cfg, gid string, observed time.Time, members []string) (added, removed int, stale bool, err error) {
	if err := checkIDs(cfg, gid); err != nil {
		return 0, 0, false, err
	}
	var at int64
	if !observed.IsZero() {
		at = observed.UnixNano()
	}
	args := make([]any, 0, len(members)+2)
	args = append(args, gid, at)
	for _, m := range members {
		if err := checkIDs(m); err != nil {
			return 0, 0, false, fmt.Errorf("member of %s: %w", gid, err)
		}
		args = append(args, m)
	}
	keys := []string{membersKey(cfg), groupMembersKey(cfg, gid), revisitKey(cfg), groupsSeenKey(cfg)}
	res, err := replaceScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err != nil {
		return 0, 0, false, fmt.Errorf("replace members of group %s: %w", gid, err)
	}
	if res[0] < 0 {
		return 0, 0, true, nil
	}
	return int(res[0]), int(res[1]), false, nil
}

// DirectGroups returns, for each user that has any, the assigned groups it
// is a direct member of: one HMGET for a batch.
func (s *AssignedMembers) DirectGroups(ctx context.Context, cfg string, users []string) (map[string][]string, error) {
	if len(users) == 0 {
		return nil, nil
	}
	if err := checkIDs(cfg); err != nil {
		return nil, err
	}
	vals, err := s.rdb.HMGet(ctx, membersKey(cfg), users...).Result()
	if err != nil {
		return nil, fmt.Errorf("direct groups of %d users: %w", len(users), err)
	}
	out := make(map[string][]string)
	for i, v := range vals {
		if str, ok := v.(string); ok && str != "" {
			out[users[i]] = strings.Fields(str)
		}
	}
	return out, nil
}

// checkIDs refuses ids that would break the hash tag or the
// space-separated encoding.
func checkIDs(ids ...string) error {
	for _, id := range ids {
		if id == "" || len(id) > 256 || strings.ContainsAny(id, "{} \t\r\n\x00") {
			return fmt.Errorf("%w: id %q", errInvalidID, id)
		}
	}
	return nil
}
