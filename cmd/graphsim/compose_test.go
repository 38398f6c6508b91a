package main

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/xtsync/xtsync/graphsim"
)

// composeFile is the subset of docker-compose.yml the checks read.
type composeFile struct {
	Services map[string]struct {
		Image       string   `yaml:"image"`
		Build       any      `yaml:"build"`
		Command     []string `yaml:"command"`
		Volumes     []string `yaml:"volumes"`
		Ports       []string `yaml:"ports"`
		Healthcheck *struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// TestComposeFile checks docker-compose.yml without a Docker engine (none
// runs in CI): every service has an image or a build, host ports bind to
// loopback, named volumes are declared, mounted files exist, and graphsim's
// command and tenants file parse with the real flag and file parsers.
func TestComposeFile(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../docker-compose.yml")
	require.NoError(t, err)
	var cf composeFile
	require.NoError(t, yaml.Unmarshal(raw, &cf))
	require.Subset(t, keys(cf.Services), []string{"nats", "redis", "jaeger", "graphsim"})
	for name, svc := range cf.Services {
		require.True(t, svc.Image != "" || svc.Build != nil, "%s: image or build", name)
		for _, p := range svc.Ports {
			require.True(t, strings.HasPrefix(p, "127.0.0.1:"), "%s: port %s must bind to loopback", name, p)
		}
		for _, v := range svc.Volumes {
			src, _, ok := strings.Cut(v, ":")
			require.True(t, ok, "%s: volume %q", name, v)
			if strings.HasPrefix(src, "./") {
				_, err := os.Stat("../../" + src[2:])
				require.NoError(t, err, "%s: mounted file", name)
			} else {
				require.Contains(t, cf.Volumes, src, "%s: named volume %s must be declared", name, src)
			}
		}
	}
	for _, name := range []string{"nats", "redis"} {
		require.NotNil(t, cf.Services[name].Healthcheck, "%s: healthcheck", name)
	}

	f, err := parseFlags(cf.Services["graphsim"].Command, io.Discard)
	require.NoError(t, err)
	specs, err := graphsim.LoadTenantsFile("../../deploy/compose/tenants.json")
	require.NoError(t, err)
	require.Len(t, specs, 2)
	require.Equal(t, "/etc/graphsim/tenants.json", f.tenantsFile)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
