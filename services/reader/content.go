package reader

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"slices"

	"google.golang.org/protobuf/types/known/structpb"

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
// proto-marshalled: marshalling each change's attributes cost most of the
// numbering, itself 9% of an initial cycle's CPU (BENCHMARKS.md).
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
		e.attributes(ch.GetAttributes())
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
// are length-prefixed, values tagged by kind, struct keys sorted (map
// iteration order is random).
type contentEncoder struct {
	buf     []byte
	keys    []string // a stack: each nested struct sorts its own tail
	members []string
	// last is the previous change's sorted attribute keys: the changes of
	// a page mostly share one key set, which then needs no sort.
	last []string
}

// Value kind tags.
const (
	tagUnset byte = iota
	tagNull
	tagNumber
	tagString
	tagBool
	tagStruct
	tagList
)

func (e *contentEncoder) uint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }

func (e *contentEncoder) string(s string) {
	e.uint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// attributes is structure with the keys of the previous change's
// attributes tried first: same count and all present means same set, hence
// the same sorted order.
func (e *contentEncoder) attributes(s *structpb.Struct) {
	fields := s.GetFields()
	if len(fields) > 0 && len(fields) == len(e.last) {
		mark := len(e.buf)
		e.uint(uint64(len(fields)))
		hit := true
		for _, k := range e.last {
			v, ok := fields[k]
			if !ok {
				hit = false
				break
			}
			e.string(k)
			e.value(v)
		}
		if hit {
			return
		}
		e.buf = e.buf[:mark]
	}
	e.last = append(e.last[:0], e.structure(s)...)
}

// structure encodes a nil Struct as an empty one, as proto does. It
// returns its sorted keys, valid until the next encoding.
func (e *contentEncoder) structure(s *structpb.Struct) []string {
	fields := s.GetFields()
	start := len(e.keys)
	for k := range fields {
		e.keys = append(e.keys, k)
	}
	slices.Sort(e.keys[start:])
	e.uint(uint64(len(fields)))
	for i := start; i < start+len(fields); i++ {
		k := e.keys[i] // re-read: nested structs may grow e.keys
		e.string(k)
		e.value(fields[k])
	}
	sorted := e.keys[start : start+len(fields)]
	e.keys = e.keys[:start]
	return sorted
}

func (e *contentEncoder) value(v *structpb.Value) {
	switch k := v.GetKind().(type) {
	case *structpb.Value_NullValue:
		e.buf = append(e.buf, tagNull)
	case *structpb.Value_NumberValue:
		e.buf = append(e.buf, tagNumber)
		e.buf = binary.BigEndian.AppendUint64(e.buf, math.Float64bits(k.NumberValue))
	case *structpb.Value_StringValue:
		e.buf = append(e.buf, tagString)
		e.string(k.StringValue)
	case *structpb.Value_BoolValue:
		b := byte(0)
		if k.BoolValue {
			b = 1
		}
		e.buf = append(e.buf, tagBool, b)
	case *structpb.Value_StructValue:
		e.buf = append(e.buf, tagStruct)
		e.structure(k.StructValue)
	case *structpb.Value_ListValue:
		e.buf = append(e.buf, tagList)
		values := k.ListValue.GetValues()
		e.uint(uint64(len(values)))
		for _, x := range values {
			e.value(x)
		}
	default: // nil value or no kind set
		e.buf = append(e.buf, tagUnset)
	}
}
