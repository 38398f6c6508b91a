package app

import (
	"context"
	"fmt"

	"github.com/xtsync/xtsync/pkg/redisx/redisproc"
)

// StartRedis runs path (redis-server) with its data in dir: the all-in-one
// default's Redis, the real server, with an append-only file (one fsync per
// second, Redis's documented durable setting) so a restart keeps the
// watermarks and the connector data store.
func StartRedis(ctx context.Context, path, dir string) (*redisproc.Process, error) {
	p, err := redisproc.Start(ctx, redisproc.Options{
		Path: path, Dir: dir, AppendFsync: "everysec", SysProcAttr: childAttrs(),
	})
	if err != nil {
		return nil, fmt.Errorf("embedded redis: %w (install redis-server, or set -redis.addr)", err)
	}
	return p, nil
}
