package main

import (
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/xtsync/xtsync/graphsim"
	"github.com/xtsync/xtsync/services/app"
)

// composeFile is the subset of docker-compose.yml the checks read.
type composeFile struct {
	Services map[string]struct {
		Image         string   `yaml:"image"`
		Build         any      `yaml:"build"`
		ContainerName string   `yaml:"container_name"`
		Profiles      []string `yaml:"profiles"`
		Command       []string `yaml:"command"`
		Volumes       []string `yaml:"volumes"`
		Ports         []string `yaml:"ports"`
		Healthcheck   *struct {
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
	require.Subset(t, keys(cf.Services), []string{"nats", "redis", "jaeger", "prometheus", "graphsim",
		"scheduler", "reader", "transformer", "writer", "synclog"})
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
	require.Equal(t, []string{"graphsim", "localhost"}, f.tlsHosts, "the services reach graphsim by its service name")
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// buildTarget is the Dockerfile stage a service's build names.
func buildTarget(build any) string {
	if m, ok := build.(map[string]any); ok {
		s, _ := m["target"].(string)
		return s
	}
	return ""
}

// TestComposeXtsyncServices: the five services run as separate containers
// of the one xtsync image, each with a command line the real binary
// accepts (flags parsed and validated, the -target known), pointed at the
// compose NATS, Redis and Jaeger, serving /metrics; writers can scale.
func TestComposeXtsyncServices(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../docker-compose.yml")
	require.NoError(t, err)
	var cf composeFile
	require.NoError(t, yaml.Unmarshal(raw, &cf))
	for _, name := range []string{"scheduler", "reader", "transformer", "writer", "synclog"} {
		t.Run(name, func(t *testing.T) {
			svc := cf.Services[name]
			require.Equal(t, "xtsync:local", svc.Image)
			require.Equal(t, "xtsync", buildTarget(svc.Build))
			require.Empty(t, svc.Profiles, "runs by default")
			fs := flag.NewFlagSet(name, flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var cfg app.Config
			cfg.RegisterFlags(fs)
			target := fs.String("target", "", "")
			require.NoError(t, fs.Parse(svc.Command))
			require.Empty(t, fs.Args(), "no stray arguments")
			require.Equal(t, name, *target)
			require.NoError(t, cfg.Validate())
			a, err := app.New(cfg, app.Options{})
			require.NoError(t, err)
			_, err = a.Registry().Resolve([]string{*target})
			require.NoError(t, err)
			require.Equal(t, "nats://nats:4222", cfg.NATS.URL)
			require.Equal(t, "redis:6379", cfg.Redis.Addr)
			require.Equal(t, "http://jaeger:4317", cfg.Tracing.OTLPEndpoint)
			require.Equal(t, ":9464", cfg.HTTPListenAddr)
		})
	}
	writer := cf.Services["writer"]
	require.Empty(t, writer.ContainerName, "--scale writer=N needs generated names")
	require.Empty(t, writer.Ports, "--scale writer=N: no fixed host port")
	require.Equal(t, "graphsim", buildTarget(cf.Services["graphsim"].Build))

	// Prometheus scrapes every replica of the five, on their -http.listen-addr port.
	raw, err = os.ReadFile("../../deploy/compose/prometheus.yml")
	require.NoError(t, err)
	var prom struct {
		ScrapeConfigs []struct {
			DNSSDConfigs []struct {
				Names []string `yaml:"names"`
				Type  string   `yaml:"type"`
				Port  int      `yaml:"port"`
			} `yaml:"dns_sd_configs"`
		} `yaml:"scrape_configs"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &prom))
	require.Len(t, prom.ScrapeConfigs, 1)
	require.Len(t, prom.ScrapeConfigs[0].DNSSDConfigs, 1)
	sd := prom.ScrapeConfigs[0].DNSSDConfigs[0]
	require.ElementsMatch(t, []string{"scheduler", "reader", "transformer", "writer", "synclog"}, sd.Names)
	require.Equal(t, 9464, sd.Port)
}

// TestDockerfile: one build, a graphsim stage and a last (default) stage
// running xtsync; both distroless and non-root.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../Dockerfile")
	require.NoError(t, err)
	stages := regexp.MustCompile(`(?m)^FROM (\S+)(?: AS (\S+))?$`).FindAllStringSubmatch(string(raw), -1)
	require.Len(t, stages, 3)
	require.Equal(t, "build", stages[0][2])
	for _, st := range stages[1:] {
		require.Contains(t, st[1], "distroless/static", st[2])
	}
	require.Equal(t, "graphsim", stages[1][2])
	require.Equal(t, "xtsync", stages[2][2], "the last stage is the default image")
	last := string(raw)[strings.LastIndex(string(raw), "FROM "):]
	require.Contains(t, last, "USER nonroot:nonroot")
	require.Contains(t, last, `ENTRYPOINT ["/usr/local/bin/xtsync"]`)
	for _, cmd := range []string{"./cmd/xtsync", "./cmd/xtsyncctl", "./cmd/graphsim"} {
		require.Contains(t, string(raw), cmd)
	}
}
