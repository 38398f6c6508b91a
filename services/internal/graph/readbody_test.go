package graph

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// TestReadBody: the body comes back whole whether its length is known,
// unknown or wrong, into the given buffer when it fits; a failed read is
// an error.
func TestReadBody(t *testing.T) {
	long := strings.Repeat("x", 100_000)
	for _, tt := range []struct {
		name   string
		body   string
		length int64
		buf    []byte
	}{
		{"known length", long, int64(len(long)), nil},
		{"unknown length", long, -1, nil},
		{"unknown, small buffer grows", long, -1, make([]byte, 0, 10)},
		{"known, pooled buffer reused", "short", 5, make([]byte, 0, 64)},
		{"empty", "", 0, nil},
		{"length understated", long, 10, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &http.Response{Body: io.NopCloser(iotest.HalfReader(strings.NewReader(tt.body))), ContentLength: tt.length}
			got, err := readBody(r, tt.buf)
			require.NoError(t, err)
			require.Equal(t, tt.body, string(got))
			if cap(tt.buf) >= len(tt.body)+1 && len(tt.body) > 0 {
				require.Same(t, &tt.buf[:1][0], &got[:1][0], "read into the given buffer")
			}
		})
	}
	boom := errors.New("connection reset")
	_, err := readBody(&http.Response{Body: io.NopCloser(io.MultiReader(bytes.NewReader([]byte("{")), iotest.ErrReader(boom))), ContentLength: -1}, nil)
	require.ErrorIs(t, err, boom)
}
