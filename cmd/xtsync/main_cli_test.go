package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestListTargets(t *testing.T) {
	var out, errb bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"-list-targets"}, &out, &errb), errb.String())
	for _, want := range []string{"scheduler    target", "reader       target", "transformer  target",
		"writer       target", "synclog      target", "nats         dependency"} {
		require.Contains(t, out.String(), want)
	}
}

func TestInvalidFlagsListEveryProblem(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-reader.shards", "3", "-writer.shards", "99", "-grpc.listen-addr", "0.0.0.0:9095"}, &out, &errb)
	require.Equal(t, 1, code)
	for _, want := range []string{"reader.shards 3 must equal", "writer.shards: 99 is outside", "a tokens file is required"} {
		require.Contains(t, errb.String(), want)
	}
}

func TestUnknownTarget(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-target", "bogus", "-grpc.no-auth", "-data-dir", t.TempDir()}, &out, &errb)
	require.Equal(t, 2, code)
	require.Contains(t, errb.String(), `unknown target "bogus"`)
}

func TestHealthWithoutServer(t *testing.T) {
	var out, errb bytes.Buffer
	require.Equal(t, 1, run(context.Background(), []string{"-health", "-grpc.listen-addr", "127.0.0.1:1"}, &out, &errb))
	require.Contains(t, errb.String(), "unhealthy")
}

// TestLogFormat: the binary logs JSON (for collectors) unless told text.
// The run logs where the local admin token is, then refuses the target.
func TestLogFormat(t *testing.T) {
	cases := []struct {
		name, format, want string
	}{
		{"json by default", "", `"msg":"gRPC API on loopback with a local admin token`},
		{"text", "text", `msg="gRPC API on loopback with a local admin token`},
		{"unknown", "xml", `-log.format: "xml" is neither json nor text`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"-target", "bogus", "-data-dir", t.TempDir(), "-grpc.listen-addr", "127.0.0.1:0"}
			if tc.format != "" {
				args = append(args, "-log.format", tc.format)
			}
			var out, errb bytes.Buffer
			require.Equal(t, 2, run(context.Background(), args, &out, &errb))
			require.Contains(t, errb.String(), tc.want)
		})
	}
}
