package redisx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"
)

// The connector entry is stored as a compact binary blob (see
// BenchmarkConnectorMemory for the comparison with JSON). Layout of format 1:
//
//	[0]      format byte (1)
//	[1:9]    Version, big-endian, so Lua compares versions byte by byte
//	[9]      len(TargetID); then TargetID (Lua reads it for the reverse index)
//	then     flags (bit0 CreatedBySync), type byte, state byte,
//	         uvarint Since (unix ms, 0 = zero time), 8 bytes ExportHash (LE),
//	         uvarint-len MatchedBy, uvarint-len LastCycle,
//	         uvarint count, then per attribute: uvarint-len name, 8 bytes hash
//	         (names sorted, so equal entries encode equally).
const entryFormat = 1

var errCorrupt = errors.New("redisx: corrupt connector entry")

var (
	typeCodes  = []ObjectType{Users, Groups}
	stateCodes = []EntryState{Active, Disabled, SoftDeleted, Deleted}
)

func encodeEntry(e Entry) ([]byte, error) {
	if len(e.TargetID) > 255 {
		return nil, fmt.Errorf("%w: target id longer than 255 bytes", ErrInvalid)
	}
	typ := slices.Index(typeCodes, e.Type)
	if typ < 0 {
		return nil, fmt.Errorf("%w: object type %q", ErrInvalid, e.Type)
	}
	st := slices.Index(stateCodes, e.State)
	if st < 0 {
		return nil, fmt.Errorf("%w: state %q", ErrInvalid, e.State)
	}
	b := make([]byte, 0, 48+len(e.TargetID)+len(e.MatchedBy)+len(e.LastCycle)+24*len(e.Exported))
	b = append(b, entryFormat)
	b = binary.BigEndian.AppendUint64(b, e.Version)
	b = append(b, byte(len(e.TargetID)))
	b = append(b, e.TargetID...)
	var flags byte
	if e.CreatedBySync {
		flags |= 1
	}
	b = append(b, flags, byte(typ), byte(st))
	var ms uint64
	if !e.Since.IsZero() {
		ms = uint64(e.Since.UnixMilli())
	}
	b = binary.AppendUvarint(b, ms)
	b = binary.LittleEndian.AppendUint64(b, e.ExportHash)
	b = appendString(b, e.MatchedBy)
	b = appendString(b, e.LastCycle)
	b = binary.AppendUvarint(b, uint64(len(e.Exported)))
	names := make([]string, 0, len(e.Exported))
	for n := range e.Exported {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		b = appendString(b, n)
		b = binary.LittleEndian.AppendUint64(b, e.Exported[n])
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func decodeEntry(sourceID string, b []byte) (Entry, error) {
	d := decoder{b: b}
	if d.byte() != entryFormat {
		return Entry{}, fmt.Errorf("%w: unknown format", errCorrupt)
	}
	e := Entry{SourceID: sourceID}
	e.Version = d.beUint64()
	e.TargetID = d.bytes(int(d.byte()))
	flags, typ, st := d.byte(), d.byte(), d.byte()
	e.CreatedBySync = flags&1 != 0
	if int(typ) < len(typeCodes) {
		e.Type = typeCodes[typ]
	} else {
		d.fail()
	}
	if int(st) < len(stateCodes) {
		e.State = stateCodes[st]
	} else {
		d.fail()
	}
	if ms := d.uvarint(); ms != 0 {
		e.Since = time.UnixMilli(int64(ms)).UTC()
	}
	e.ExportHash = d.leUint64()
	e.MatchedBy = d.string()
	e.LastCycle = d.string()
	if n := d.uvarint(); n > 0 && n <= uint64(len(b)) {
		e.Exported = make(map[string]uint64, n)
		for i := uint64(0); i < n && d.err == nil; i++ {
			name := d.string()
			e.Exported[name] = d.leUint64()
		}
	} else if n > 0 {
		d.fail()
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return Entry{}, fmt.Errorf("decode entry %q: %w", sourceID, d.err)
	}
	return e, nil
}

// decoder reads until the first error, then returns zero values; callers
// check err once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.b) {
		d.fail()
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if v := d.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) bytes(n int) string { return string(d.take(n)) }

func (d *decoder) beUint64() uint64 {
	if v := d.take(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (d *decoder) leUint64() uint64 {
	if v := d.take(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	return d.bytes(int(n))
}
