package redisx

import (
	"fmt"
	"strings"
)

// Every key of one configuration carries the hash tag {<configID>} so that
// multi-key Lua scripts stay in one Redis Cluster slot. Keys shared by a
// target tenant or a lease use their own tag. doc.go lists every pattern.
const prefix = "xtsync:"

func cfgKey(cfg, suffix string) string { return prefix + "{" + cfg + "}:" + suffix }

func watermarkKey(cfg string, t ObjectType) string { return cfgKey(cfg, "wm:"+string(t)) }

func cdsKey(cfg string) string    { return cfgKey(cfg, "cds") }
func cdsRevKey(cfg string) string { return cfgKey(cfg, "cds:rev") }
func escrowKey(cfg string) string { return cfgKey(cfg, "escrow") }
func quarantineKey(cfg string) string {
	return cfgKey(cfg, "quarantine")
}
func cycleLockKey(cfg string) string  { return cfgKey(cfg, "cycle:lock") }
func cycleFenceKey(cfg string) string { return cfgKey(cfg, "cycle:fence") }

func leaderLockKey(name string) string  { return prefix + "{leader:" + name + "}:lock" }
func leaderFenceKey(name string) string { return prefix + "{leader:" + name + "}:fence" }

// rateKey is prefixed again with "rate:" by redis_rate.
func rateKey(tenant string) string  { return prefix + "{tenant:" + tenant + "}:budget" }
func pauseKey(tenant string) string { return prefix + "{tenant:" + tenant + "}:pause" }
func adaptKey(tenant string) string { return prefix + "{tenant:" + tenant + "}:adaptive" }

// checkID refuses ids that would break the hash tag or the key grammar.
func checkID(kind, id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalid, kind)
	}
	if strings.ContainsAny(id, "{}\x00") || len(id) > 256 {
		return fmt.Errorf("%w: %s %q: braces, NUL and more than 256 bytes are not allowed", ErrInvalid, kind, id)
	}
	return nil
}
