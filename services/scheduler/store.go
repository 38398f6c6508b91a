package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	schedulerv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/scheduler/v1"
)

// Store errors; the API maps them to gRPC codes.
var (
	ErrNotFound = errors.New("scheduler: configuration not found")
	// ErrEtag: the configuration changed since the caller read it.
	ErrEtag = errors.New("scheduler: etag mismatch")
)

const indexKey = "xtsync:configs"

func configKey(id string) string       { return "xtsync:{" + id + "}:config" }
func jobKey(id string) string          { return "xtsync:{" + id + "}:job" }
func forceDeletesKey(id string) string { return "xtsync:{" + id + "}:force-deletes" }
func tenantIndexKey(tid string) string { return "xtsync:{tenant:" + tid + "}:configs" }

// Store keeps configurations in Redis (layout in doc.go). Safe for
// concurrent use.
type Store struct {
	rdb redis.UniversalClient
}

// NewStore returns the Redis configuration store.
func NewStore(rdb redis.UniversalClient) *Store { return &Store{rdb: rdb} }

// casScript writes a configuration if its revision is the expected one
// ("0": must not exist). KEYS[1] config. ARGV expected rev, data ("" =
// delete). Returns the new rev, or -1 when missing, -2 on a mismatch.
var casScript = redis.NewScript(`
local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev then
  if ARGV[1] ~= '0' then return -1 end
  rev = '0'
elseif ARGV[1] == '0' then
  return -2
elseif rev ~= ARGV[1] then
  return -2
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
  return tonumber(rev)
end
local next = tonumber(rev) + 1
redis.call('HSET', KEYS[1], 'rev', next, 'data', ARGV[2])
return next
`)

func encodeConfig(c *schedulerv1.Configuration) (string, error) {
	c = proto.CloneOf(c)
	c.Etag = ""
	b, err := proto.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode configuration %s: %w", c.GetId(), err)
	}
	return string(b), nil
}

func (s *Store) cas(ctx context.Context, id, expected, data string) (string, error) {
	n, err := casScript.Run(ctx, s.rdb, []string{configKey(id)}, expected, data).Int64()
	switch {
	case err != nil:
		return "", fmt.Errorf("write configuration %s: %w", id, err)
	case n == -1:
		return "", fmt.Errorf("%w: %s", ErrNotFound, id)
	case n == -2 && expected == "0":
		return "", fmt.Errorf("configuration %s already exists: %w", id, ErrEtag)
	case n == -2:
		return "", fmt.Errorf("%w: configuration %s", ErrEtag, id)
	}
	return strconv.FormatInt(n, 10), nil
}

// Create stores a new configuration and sets its etag. The tenant indexes
// are written first, so a crash leaves at worst an index entry to skip.
func (s *Store) Create(ctx context.Context, c *schedulerv1.Configuration) error {
	data, err := encodeConfig(c)
	if err != nil {
		return err
	}
	if err := s.index(ctx, c, true); err != nil {
		return err
	}
	rev, err := s.cas(ctx, c.GetId(), "0", data)
	if err != nil {
		return err
	}
	c.Etag = rev
	return nil
}

// Update replaces a configuration if etag still matches and sets the new
// etag. A tenant change re-indexes: new tenants before, old ones after.
func (s *Store) Update(ctx context.Context, old, c *schedulerv1.Configuration, etag string) error {
	data, err := encodeConfig(c)
	if err != nil {
		return err
	}
	if err := s.index(ctx, c, true); err != nil {
		return err
	}
	rev, err := s.cas(ctx, c.GetId(), etag, data)
	if err != nil {
		return err
	}
	c.Etag = rev
	stale := slices.DeleteFunc(tenantsOf(old), func(t string) bool { return slices.Contains(tenantsOf(c), t) })
	for _, t := range stale {
		if err := s.rdb.SRem(ctx, tenantIndexKey(t), c.GetId()).Err(); err != nil {
			return fmt.Errorf("unindex configuration %s: %w", c.GetId(), err)
		}
	}
	return nil
}

// Delete removes a configuration if etag matches, then its index entries.
func (s *Store) Delete(ctx context.Context, c *schedulerv1.Configuration, etag string) error {
	if _, err := s.cas(ctx, c.GetId(), etag, ""); err != nil {
		return err
	}
	return s.index(ctx, c, false)
}

func tenantsOf(c *schedulerv1.Configuration) []string {
	var out []string
	for _, t := range []string{c.GetSource().GetTenantId(), c.GetTarget().GetTenantId()} {
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func (s *Store) index(ctx context.Context, c *schedulerv1.Configuration, add bool) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		keys := []string{indexKey}
		for _, t := range tenantsOf(c) {
			keys = append(keys, tenantIndexKey(t))
		}
		for _, k := range keys {
			if add {
				p.SAdd(ctx, k, c.GetId())
			} else {
				p.SRem(ctx, k, c.GetId())
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("index configuration %s: %w", c.GetId(), err)
	}
	return nil
}

// Get returns a configuration with its etag, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*schedulerv1.Configuration, error) {
	vals, err := s.rdb.HMGet(ctx, configKey(id), "rev", "data").Result()
	if err != nil {
		return nil, fmt.Errorf("read configuration %s: %w", id, err)
	}
	return decodeConfig(id, vals)
}

func decodeConfig(id string, vals []any) (*schedulerv1.Configuration, error) {
	rev, _ := vals[0].(string)
	data, _ := vals[1].(string)
	if rev == "" || data == "" {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	c := &schedulerv1.Configuration{}
	if err := proto.Unmarshal([]byte(data), c); err != nil {
		return nil, fmt.Errorf("decode configuration %s: %w", id, err)
	}
	c.Etag = rev
	return c, nil
}

// IDs returns the ids in the given tenants' indexes (nil tenants: every
// configuration), sorted. Configurations are few (one per tenant pair), so
// reading the index whole is cheaper than a cursor that filters.
func (s *Store) IDs(ctx context.Context, tenants []string) ([]string, error) {
	var ids []string
	var err error
	if tenants == nil {
		ids, err = s.rdb.SMembers(ctx, indexKey).Result()
	} else {
		if len(tenants) == 0 {
			return nil, nil
		}
		keys := make([]string, len(tenants))
		for i, t := range tenants {
			keys[i] = tenantIndexKey(t)
		}
		// One SMEMBERS per tenant: the tenant sets sit in different
		// cluster slots, so SUNION is not an option.
		seen := map[string]bool{}
		for _, k := range keys {
			m, e := s.rdb.SMembers(ctx, k).Result()
			if e != nil {
				err = e
				break
			}
			for _, id := range m {
				if !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read configuration index: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// GetMany returns the configurations found among ids, in ids' order.
func (s *Store) GetMany(ctx context.Context, ids []string) ([]*schedulerv1.Configuration, error) {
	cmds := make([]*redis.SliceCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HMGet(ctx, configKey(id), "rev", "data")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read configurations: %w", err)
	}
	out := make([]*schedulerv1.Configuration, 0, len(ids))
	for i, cmd := range cmds {
		c, err := decodeConfig(ids[i], cmd.Val())
		if errors.Is(err, ErrNotFound) {
			continue // a stale index entry
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
