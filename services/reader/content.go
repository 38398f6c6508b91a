package reader

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
)

// contentNumber numbers a shard's batch of one page by where the page was
// read (round type typ, request link) and what its changes say about the
// source: object, kind, attributes and members, not when they were read
// (observed_at differs on every read) nor their order. A rerun after a
// crash between a page's publish and its commit reads the same link again:
// if the source did not change meanwhile, its batches get the same numbers,
// hence the same message ids (batchMsgID), and JetStream drops the copies,
// so each object is decided and logged once in the cycle. A re-read that
// found newer data gets a new number and goes out. The link keeps two
// pages of one run apart even if Graph repeats an object alone in a shard
// (the run counts every batch it publishes); typ keeps a users batch and a
// revisit batch apart (transformer.IntentID hashes the page number).
func contentNumber(typ, link string, changes []*eventsv1.SourceChange) int64 {
	digests := make([][]byte, 0, len(changes))
	det := proto.MarshalOptions{Deterministic: true}
	for _, ch := range changes {
		h := sha256.New()
		obj := ch.GetObject()
		for _, s := range []string{obj.GetTenantId(), obj.GetObjectId(), obj.GetType().String(), ch.GetKind().String()} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		// Deterministic: map keys sorted. A marshal error cannot happen for
		// a Struct built from JSON; the object is then numbered without it.
		attrs, _ := det.Marshal(ch.GetAttributes())
		h.Write(attrs)
		h.Write([]byte{0})
		h.Write([]byte(ch.GetMemberSet())) // content-addressed: its id is its content
		h.Write([]byte{0})
		members := slices.Clone(ch.GetMemberIds())
		slices.Sort(members)
		for _, m := range members {
			h.Write([]byte(m))
			h.Write([]byte{0})
		}
		digests = append(digests, h.Sum(nil))
	}
	slices.SortFunc(digests, bytes.Compare)
	h := sha256.New()
	for _, s := range []string{typ, link} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, d := range digests {
		h.Write(d)
	}
	return int64(binary.BigEndian.Uint64(h.Sum(nil)) >> 1) // non-negative
}
