package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/xtsync/xtsync/services/app"
)

const repoRoot = "../.."

// codeMetrics is every xtsync instrument name in the non-test Go code of
// pkg and services, in its Prometheus spelling (dots to underscores).
func codeMetrics(t *testing.T) map[string]bool {
	t.Helper()
	re := regexp.MustCompile(`"(xtsync\.[a-z0-9_.]+)"`)
	out := map[string]bool{}
	for _, dir := range []string{"pkg", "services"} {
		err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range re.FindAllStringSubmatch(string(src), -1) {
				out[strings.ReplaceAll(m[1], ".", "_")] = true
			}
			return nil
		})
		require.NoError(t, err)
	}
	require.True(t, out["xtsync_synclog_objects"], "the scan finds the instruments")
	return out
}

// inCode reports whether a Prometheus series name comes from an
// instrument in the code, once the exporter's suffixes are taken off.
func inCode(code map[string]bool, name string) bool {
	for _, s := range []string{"_total", "_bucket", "_count", "_sum", ""} {
		base, ok := strings.CutSuffix(name, s)
		if !ok {
			continue
		}
		if code[base] || code[strings.TrimSuffix(base, "_seconds")] {
			return true
		}
	}
	return false
}

var seriesName = regexp.MustCompile(`\bxtsync_[a-z0-9_]+`)

// TestGrafanaDashboardMetricsExist: every series the dashboard queries is
// an instrument of the code, so a renamed metric fails here, not on an SRE's
// screen.
func TestGrafanaDashboardMetricsExist(t *testing.T) {
	t.Parallel()
	code := codeMetrics(t)
	raw, err := os.ReadFile(filepath.Join(repoRoot, "deploy/grafana/xtsync.json"))
	require.NoError(t, err)
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &dash))
	require.NotEmpty(t, dash.UID)
	require.NotEmpty(t, dash.Panels)
	for _, p := range dash.Panels {
		require.NotEmpty(t, p.Targets, p.Title)
		for _, tg := range p.Targets {
			names := seriesName.FindAllString(tg.Expr, -1)
			require.NotEmpty(t, names, "%s: %s", p.Title, tg.Expr)
			for _, n := range names {
				require.True(t, inCode(code, n), "%s: %s is not an instrument of the code", p.Title, n)
			}
		}
	}
}

type manifest map[string]any

// asMap is a YAML mapping at any depth (the decoder gives nested
// mappings the type of the top-level value).
func asMap(v any) manifest {
	switch m := v.(type) {
	case manifest:
		return m
	case map[string]any:
		return m
	}
	return nil
}

func (m manifest) get(path ...string) any {
	var v any = m
	for _, p := range path {
		mm := asMap(v)
		if mm == nil {
			return nil
		}
		v = mm[p]
	}
	return v
}

func (m manifest) str(path ...string) string { s, _ := m.get(path...).(string); return s }

func loadManifests(t *testing.T) []manifest {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "deploy/kubernetes/*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out []manifest
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var m manifest
			err := dec.Decode(&m)
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, f)
			if m == nil {
				continue
			}
			require.NotEmpty(t, m.str("apiVersion"), f)
			require.NotEmpty(t, m.str("kind"), f)
			require.NotEmpty(t, m.str("metadata", "name"), f)
			if m.str("kind") != "Namespace" {
				require.Equal(t, "xtsync", m.str("metadata", "namespace"), "%s %s", f, m.str("metadata", "name"))
			}
			out = append(out, m)
		}
	}
	return out
}

func byKind(ms []manifest, kind string) map[string]manifest {
	out := map[string]manifest{}
	for _, m := range ms {
		if m.str("kind") == kind {
			out[m.str("metadata", "name")] = m
		}
	}
	return out
}

func stringMap(v any) map[string]string {
	out := map[string]string{}
	for k, x := range asMap(v) {
		s, _ := x.(string)
		out[k] = s
	}
	return out
}

func list(v any) []any { l, _ := v.([]any); return l }

// matches reports whether a label selector (matchLabels, matchExpressions
// with In) selects labels.
func matches(sel manifest, labels map[string]string) bool {
	for k, v := range stringMap(sel["matchLabels"]) {
		if labels[k] != v {
			return false
		}
	}
	for _, e := range list(sel["matchExpressions"]) {
		em := asMap(e)
		var vals []string
		for _, v := range list(em.get("values")) {
			vals = append(vals, v.(string))
		}
		if em.str("operator") != "In" || !slices.Contains(vals, labels[em.str("key")]) {
			return false
		}
	}
	return true
}

var envRef = regexp.MustCompile(`\$\(([A-Z_]+)\)`)

// TestKubernetesManifests parses every manifest and checks what a bad edit
// would break: each service's Deployment runs a command line the binary
// accepts (with the ConfigMap's values), has requests, a memory limit,
// probes on /live and /ready and a non-root security context; every
// Deployment has a PodDisruptionBudget; the writer HPA scales the writer
// Deployment on a metric the code exports; the NetworkPolicies select
// xtsync pods; every referenced ConfigMap and Secret exists.
func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	ms := loadManifests(t)
	code := codeMetrics(t)
	deps := byKind(ms, "Deployment")
	configMaps, secrets := byKind(ms, "ConfigMap"), byKind(ms, "Secret")
	require.Len(t, byKind(ms, "Namespace"), 1)
	cfgData := stringMap(configMaps["xtsync-config"].get("data"))
	require.NotEmpty(t, cfgData)

	var podLabels []map[string]string
	for _, svc := range []string{"scheduler", "reader", "transformer", "writer", "synclog"} {
		t.Run(svc, func(t *testing.T) {
			d, ok := deps["xtsync-"+svc]
			require.True(t, ok, "Deployment xtsync-%s", svc)
			labels := stringMap(d.get("spec", "template", "metadata", "labels"))
			require.True(t, matches(asMap(d.get("spec", "selector")), labels), "selector selects the pods")
			podLabels = append(podLabels, labels)
			require.Equal(t, true, d.get("spec", "template", "spec", "securityContext", "runAsNonRoot"))
			containers := list(d.get("spec", "template", "spec", "containers"))
			require.Len(t, containers, 1)
			c := asMap(containers[0])
			require.NotEmpty(t, c.str("resources", "requests", "cpu"))
			require.NotEmpty(t, c.str("resources", "requests", "memory"))
			require.NotEmpty(t, c.str("resources", "limits", "memory"))
			require.Equal(t, "/live", c.str("livenessProbe", "httpGet", "path"))
			require.Equal(t, "/ready", c.str("readinessProbe", "httpGet", "path"))
			require.Equal(t, false, c.get("securityContext", "allowPrivilegeEscalation"))
			for _, e := range list(c.get("envFrom")) {
				em := asMap(e)
				if n := em.str("configMapRef", "name"); n != "" {
					require.Contains(t, configMaps, n)
				}
				if n := em.str("secretRef", "name"); n != "" {
					require.Contains(t, secrets, n)
				}
			}
			for _, v := range list(d.get("spec", "template", "spec", "volumes")) {
				if n := asMap(v).str("secret", "secretName"); n != "" {
					require.Contains(t, secrets, n)
				}
			}

			env := maps(cfgData, map[string]string{"POD_NAME": "xtsync-" + svc + "-0"})
			var args []string
			for _, a := range list(c.get("args")) {
				args = append(args, envRef.ReplaceAllStringFunc(a.(string), func(ref string) string {
					v, ok := env[envRef.FindStringSubmatch(ref)[1]]
					require.True(t, ok, "%s: %s is not in the ConfigMap", svc, ref)
					return v
				}))
			}
			fset := flag.NewFlagSet(svc, flag.ContinueOnError)
			fset.SetOutput(io.Discard)
			var cfg app.Config
			cfg.RegisterFlags(fset)
			target := fset.String("target", "", "")
			require.NoError(t, fset.Parse(args))
			require.Empty(t, fset.Args())
			require.Equal(t, svc, *target)
			require.NoError(t, cfg.Validate())
			a, err := app.New(cfg, app.Options{})
			require.NoError(t, err)
			_, err = a.Registry().Resolve([]string{*target})
			require.NoError(t, err)
			require.Equal(t, ":9464", cfg.HTTPListenAddr, "the probes' port")

			var pdb manifest
			for _, p := range byKind(ms, "PodDisruptionBudget") {
				if matches(asMap(p.get("spec", "selector")), labels) {
					pdb = p
				}
			}
			require.NotNil(t, pdb, "a PodDisruptionBudget covers %s", svc)
		})
	}

	hpas := byKind(ms, "HorizontalPodAutoscaler")
	require.Len(t, hpas, 1)
	for _, h := range hpas {
		require.Equal(t, "autoscaling/v2", h.str("apiVersion"))
		require.Contains(t, deps, h.str("spec", "scaleTargetRef", "name"))
		require.Equal(t, "xtsync-writer", h.str("spec", "scaleTargetRef", "name"))
		var cfg app.Config
		cfg.RegisterFlags(flag.NewFlagSet("hpa", flag.ContinueOnError))
		require.LessOrEqual(t, h.get("spec", "maxReplicas"), cfg.Topology.IntentShards,
			"a writer beyond the intent shard count idles")
		for _, m := range list(h.get("spec", "metrics")) {
			name := asMap(m).str("external", "metric", "name")
			require.True(t, inCode(code, name), "HPA metric %s is exported by the code", name)
		}
	}
	for name, cm := range configMaps {
		for _, v := range stringMap(cm.get("data")) {
			for _, n := range seriesName.FindAllString(v, -1) {
				require.True(t, inCode(code, n), "%s: %s", name, n)
			}
		}
	}

	nps := byKind(ms, "NetworkPolicy")
	require.NotEmpty(t, nps)
	for name, np := range nps {
		sel := asMap(np.get("spec", "podSelector"))
		require.True(t, slices.ContainsFunc(podLabels, func(l map[string]string) bool { return matches(sel, l) }),
			"NetworkPolicy %s selects xtsync pods", name)
	}
}

func maps(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
