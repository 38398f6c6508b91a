package reader

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"

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
//
// The fields are encoded straight into one reused buffer rather than
// proto-marshalled. The attributes are hashed as the bytes they are: Graph
// answers with the same JSON for an unchanged object (same properties in
// the same order, as $select and the object's schema fix them), and SDK
// reads are written with sorted keys, so unchanged means same bytes.
func contentNumber(typ, link string, changes []*eventsv1.SourceChange) int64 {
	digests := make([][sha256.Size]byte, len(changes))
	var e contentEncoder
	for i, ch := range changes {
		e.buf = e.buf[:0]
		obj := ch.GetObject()
		e.string(obj.GetTenantId())
		e.string(obj.GetObjectId())
		e.uint(uint64(obj.GetType()))
		e.uint(uint64(ch.GetKind()))
		e.bytes(ch.GetAttributesJson())
		e.string(ch.GetMemberSet()) // content-addressed: its id is its content
		e.members = append(e.members[:0], ch.GetMemberIds()...)
		slices.Sort(e.members)
		e.uint(uint64(len(e.members)))
		for _, m := range e.members {
			e.string(m)
		}
		digests[i] = sha256.Sum256(e.buf)
	}
	slices.SortFunc(digests, func(a, b [sha256.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	e.buf = e.buf[:0]
	e.string(typ)
	e.string(link)
	for _, d := range digests {
		e.buf = append(e.buf, d[:]...)
	}
	sum := sha256.Sum256(e.buf)
	return int64(binary.BigEndian.Uint64(sum[:]) >> 1) // non-negative
}

// contentEncoder writes an unambiguous encoding: strings and collections
// are length-prefixed.
type contentEncoder struct {
	buf     []byte
	members []string
}

func (e *contentEncoder) uint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }

func (e *contentEncoder) string(s string) {
	e.uint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

func (e *contentEncoder) bytes(b []byte) {
	e.uint(uint64(len(b)))
	e.buf = append(e.buf, b...)
}
