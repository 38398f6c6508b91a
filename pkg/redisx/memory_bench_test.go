package redisx

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/xtsync/xtsync/pkg/redisx/redistest"
)

// BenchmarkConnectorMemory loads N connector entries (default 300,000;
// XTSYNC_CDS_N overrides) per layout and encoding into a fresh redis-server
// and reports Redis memory per entry, the way the layout in doc.go was
// chosen:
//
//	go test ./redisx -run '^$' -bench ConnectorMemory -benchtime 1x
//
// "store" is the real path (Connectors.PutMany: forward hash + reverse
// index); the others load only the forward data with raw commands.
func BenchmarkConnectorMemory(b *testing.B) {
	n := 300_000
	if v, err := strconv.Atoi(os.Getenv("XTSYNC_CDS_N")); err == nil && v > 0 {
		n = v
	}
	srv := redistest.Start(b, redistest.Options{})
	rdb := srv.Client(b)
	ctx := context.Background()
	layouts := []struct {
		name string
		load func(cfg string, es []Entry, enc func(Entry) []byte) string
	}{
		{"store", func(cfg string, es []Entry, _ func(Entry) []byte) string {
			cs := NewConnectors(rdb)
			for chunk := range chunks(es, 1000) {
				if _, err := cs.PutMany(ctx, cfg, chunk); err != nil {
					b.Fatal(err)
				}
			}
			return cdsKey(cfg)
		}},
		{"hash", func(cfg string, es []Entry, enc func(Entry) []byte) string {
			pipeLoad(b, rdb, es, func(p redis.Pipeliner, e Entry) { p.HSet(ctx, cdsKey(cfg), e.SourceID, enc(e)) })
			return cdsKey(cfg)
		}},
		{"keys", func(cfg string, es []Entry, enc func(Entry) []byte) string {
			pipeLoad(b, rdb, es, func(p redis.Pipeliner, e Entry) { p.Set(ctx, cfgKey(cfg, "cds:"+e.SourceID), enc(e), 0) })
			return cfgKey(cfg, "cds:"+es[0].SourceID)
		}},
		{"buckets4096", func(cfg string, es []Entry, enc func(Entry) []byte) string {
			pipeLoad(b, rdb, es, func(p redis.Pipeliner, e Entry) {
				p.HSet(ctx, cfgKey(cfg, "cds:"+bucket(e.SourceID)), e.SourceID, enc(e))
			})
			return cfgKey(cfg, "cds:"+bucket(es[0].SourceID))
		}},
	}
	encodings := []struct {
		name  string
		attrs int
		enc   func(Entry) []byte
	}{
		{"binary", 0, mustEncode}, {"binary+20attrs", 20, mustEncode},
		{"json", 0, jsonEncode}, {"json+20attrs", 20, jsonEncode},
	}
	for _, l := range layouts {
		for _, e := range encodings {
			if l.name == "store" && strings.HasPrefix(e.name, "json") {
				continue
			}
			b.Run(fmt.Sprintf("%s/%s", l.name, e.name), func(b *testing.B) {
				for range b.N {
					es := sampleEntries(n, e.attrs)
					if err := rdb.FlushAll(ctx).Err(); err != nil {
						b.Fatal(err)
					}
					before := usedMemory(b, rdb)
					start := time.Now()
					key := l.load("bench", es, e.enc)
					elapsed := time.Since(start)
					after := usedMemory(b, rdb)
					b.ReportMetric(float64(after-before)/float64(n), "B/entry")
					b.ReportMetric(float64(n)/elapsed.Seconds(), "entries/s")
					b.ReportMetric(float64(len(e.enc(es[0]))), "blob-B")
					if l.name == "hash" || l.name == "store" {
						usage, err := rdb.MemoryUsage(ctx, key, 0).Result()
						if err != nil {
							b.Fatal(err)
						}
						b.ReportMetric(float64(usage)/float64(n), "MEMORY-USAGE-B/entry")
					}
				}
			})
		}
	}
}

func bucket(id string) string { return strconv.Itoa(int(fnv32(id) % 4096)) }

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func chunks(es []Entry, n int) func(func([]Entry) bool) {
	return func(yield func([]Entry) bool) {
		for i := 0; i < len(es); i += n {
			if !yield(es[i:min(i+n, len(es))]) {
				return
			}
		}
	}
}

func pipeLoad(b *testing.B, rdb *redis.Client, es []Entry, add func(redis.Pipeliner, Entry)) {
	for chunk := range chunks(es, 1000) {
		p := rdb.Pipeline()
		for _, e := range chunk {
			add(p, e)
		}
		if _, err := p.Exec(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func usedMemory(b *testing.B, rdb *redis.Client) int64 {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	b.Fatal("used_memory missing from INFO")
	return 0
}

var attrNames = []string{"accountEnabled", "displayName", "givenName", "surname", "mail",
	"mailNickname", "jobTitle", "department", "companyName", "officeLocation",
	"city", "country", "state", "streetAddress", "postalCode", "mobilePhone",
	"businessPhones", "employeeId", "employeeType", "usageLocation", "preferredLanguage"}

// sampleEntries makes entries shaped like real ones: GUID ids, a cycle id,
// and optionally a hash per exported attribute.
func sampleEntries(n, attrs int) []Entry {
	es := make([]Entry, n)
	since := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := range es {
		e := Entry{
			SourceID: guid(uint64(i), 0x5a), TargetID: guid(uint64(i), 0x7b),
			Type: Users, State: Active, Since: since, CreatedBySync: true,
			LastCycle: "c-20260501T000000Z", ExportHash: uint64(i) * 0x9e3779b97f4a7c15,
			Version: uint64(i + 1),
		}
		if attrs > 0 {
			e.Exported = make(map[string]uint64, attrs)
			for j := range attrs {
				e.Exported[attrNames[j]] = uint64(i*31+j) * 0x9e3779b97f4a7c15
			}
		}
		es[i] = e
	}
	return es
}

func guid(i uint64, salt byte) string {
	h := i*0x9e3779b97f4a7c15 ^ uint64(salt)<<56
	l := h*0xbf58476d1ce4e5b9 + i
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", uint32(h>>32), uint16(h>>16), uint16(h), uint16(l>>48), l&0xffffffffffff)
}

func mustEncode(e Entry) []byte {
	b, err := encodeEntry(e)
	if err != nil {
		panic(err)
	}
	return b
}

func jsonEncode(e Entry) []byte {
	b, _ := json.Marshal(struct {
		T  string            `json:"t"`
		Ty ObjectType        `json:"ty"`
		S  EntryState        `json:"s"`
		Si int64             `json:"si"`
		C  bool              `json:"c,omitempty"`
		M  string            `json:"m,omitempty"`
		L  string            `json:"l,omitempty"`
		H  uint64            `json:"h"`
		X  map[string]uint64 `json:"x,omitempty"`
		V  uint64            `json:"v"`
	}{e.TargetID, e.Type, e.State, e.Since.UnixMilli(), e.CreatedBySync, e.MatchedBy, e.LastCycle, e.ExportHash, e.Exported, e.Version})
	return b
}
