package redisx

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEntryCodecRoundTrip(t *testing.T) {
	t.Parallel()
	for name, e := range map[string]Entry{
		"zero-ish": {SourceID: "s", Type: Users, State: Active},
		"full": {SourceID: "s", TargetID: "7f0c9a7e-1111-4bbb-8ccc-000000000001", Type: Groups,
			State: Deleted, Since: time.UnixMilli(1_780_000_000_123).UTC(), CreatedBySync: true,
			MatchedBy: "userPrincipalName", LastCycle: "c-1", ExportHash: 1<<64 - 1, Version: 1<<64 - 1,
			Exported: map[string]uint64{"mail": 7, "displayName": 0}},
		"long target": {SourceID: "s", TargetID: string(make([]byte, 255)), Type: Users, State: Disabled},
	} {
		b, err := encodeEntry(e)
		require.NoError(t, err, name)
		got, err := decodeEntry("s", b)
		require.NoError(t, err, name)
		require.Equal(t, e, got, name)
	}
	_, err := encodeEntry(Entry{TargetID: string(make([]byte, 256)), Type: Users, State: Active})
	require.ErrorIs(t, err, ErrInvalid)
}

func TestEntryCodecRejectsCorruption(t *testing.T) {
	t.Parallel()
	b, err := encodeEntry(Entry{SourceID: "s", TargetID: "t", Type: Users, State: Active,
		Exported: map[string]uint64{"a": 1}})
	require.NoError(t, err)
	for i := range len(b) { // every truncation fails cleanly
		_, err := decodeEntry("s", b[:i])
		require.ErrorIs(t, err, errCorrupt, "len %d", i)
	}
	_, err = decodeEntry("s", append(b, 0))
	require.ErrorIs(t, err, errCorrupt)
}

// FuzzDecodeEntry: any blob decodes or fails without panicking, and what
// decodes re-encodes to the same bytes (the encoding is canonical).
func FuzzDecodeEntry(f *testing.F) {
	for _, e := range sampleEntries(3, 2) {
		b, _ := encodeEntry(e)
		f.Add(b)
	}
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry("s", b)
		if err != nil {
			return
		}
		again, err := encodeEntry(e)
		if err != nil {
			t.Fatalf("decoded entry does not encode: %v", err)
		}
		if string(again) != string(b) {
			e2, err := decodeEntry("s", again)
			require.NoError(t, err)
			require.Equal(t, e, e2)
		}
	})
}

func BenchmarkEntryCodec(b *testing.B) {
	e := sampleEntries(1, 20)[0]
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			_, _ = encodeEntry(e)
		}
	})
	blob, _ := encodeEntry(e)
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			_, _ = decodeEntry(e.SourceID, blob)
		}
	})
}
