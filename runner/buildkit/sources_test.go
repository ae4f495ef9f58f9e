package buildkit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/runner/fingerprint"
)

// sourcesOf writes dockerfile into a new context and returns a target on
// it, changed by edit.
func sourcesOf(t *testing.T, dockerfile string, edit func(*config.Target)) *config.Target {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := dir
	tg := &config.Target{Name: "app", Dir: dir, Context: &ctx, Args: map[string]*string{}, Contexts: map[string]string{}}
	if edit != nil {
		edit(tg)
	}
	return tg
}

func str(s string) *string { return &s }

// TestSourcesImages: the images a build reads from registries, as the
// Dockerfile frontend decides them.
func TestSourcesImages(t *testing.T) {
	for _, tc := range []struct {
		name       string
		dockerfile string
		edit       func(*config.Target)
		want       []string
	}{
		{"scratch reads nothing", "FROM scratch\nCOPY . /\n", nil, nil},
		{"a tag, normalized", "FROM alpine\n", nil, []string{"docker.io/library/alpine:latest"}},
		{"ARG default", "ARG V=3.20\nFROM alpine:${V}\n", nil, []string{"docker.io/library/alpine:3.20"}},
		{"build arg wins", "ARG V=3.20\nFROM alpine:${V}\n", func(tg *config.Target) { tg.Args["V"] = str("3.21") }, []string{"docker.io/library/alpine:3.21"}},
		{"ARG from ARG", "ARG REG=localhost:5000\nARG IMG=${REG}/base\nFROM ${IMG}:1\n", nil, []string{"localhost:5000/base:1"}},
		{"stage names and COPY --from", "FROM golang:1.26 AS build\nRUN true\nFROM scratch\nCOPY --from=build /x /x\nCOPY --from=busybox:1 /bin/sh /sh\n", nil,
			[]string{"docker.io/library/busybox:1", "docker.io/library/golang:1.26"}},
		{"a stage the target does not reach", "FROM node:20 AS web\nFROM alpine AS final\n", func(tg *config.Target) { tg.Target = str("final") },
			[]string{"docker.io/library/alpine:latest"}},
		{"a RUN mount's image", "FROM scratch\nRUN --mount=from=tools:2,target=/t true\n", nil, []string{"docker.io/library/tools:2"}},
		{"a named context replaces the image", "FROM base\nCOPY --from=alpine / /\n", func(tg *config.Target) {
			tg.Contexts["base"] = "target:base"
			tg.Contexts["alpine"] = "docker-image://alpine:3.20@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		}, []string{"docker.io/library/alpine:3.20@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}},
		{"platform args, per platform", "FROM img-${TARGETARCH}\n", func(tg *config.Target) { tg.Platforms = []string{"linux/amd64", "linux/arm64"} },
			[]string{"docker.io/library/img-amd64:latest", "docker.io/library/img-arm64:latest"}},
		{"the syntax frontend", "# syntax=docker/dockerfile:1\nFROM scratch\n", nil, []string{"docker.io/docker/dockerfile:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := sourcesOf(t, tc.dockerfile, tc.edit)
			src, err := Sources(tg)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, src.Images, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("images (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSourcesLeaveOutWhereImagesGo: tags, outputs, cache import and export
// and the place of the project do not reach the attributes; what decides
// the content does.
func TestSourcesLeaveOutWhereImagesGo(t *testing.T) {
	base := sourcesOf(t, "FROM scratch\n", nil)
	want, err := Sources(base)
	if err != nil {
		t.Fatal(err)
	}
	other := sourcesOf(t, "FROM scratch\n", func(tg *config.Target) {
		tg.Tags = []string{"app:1"}
		tg.Outputs = []config.Output{config.NewOutput("oci", "/tmp/out", map[string]string{"tar": "false"})}
		tg.CacheFrom = []config.Entry{{Type: "registry", Attrs: map[string]string{"ref": "cache"}}}
		tg.CacheTo = []config.Entry{{Type: "inline"}}
		tg.Pull = new(bool)
		*tg.Pull = true
	})
	got, err := Sources(other)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.Attrs, got.Attrs); diff != "" {
		t.Errorf("attributes (-plain +tags, outputs, caches, pull):\n%s", diff)
	}
	changed := sourcesOf(t, "FROM scratch\n", func(tg *config.Target) {
		tg.Labels = map[string]*string{"L": str("1")}
		tg.Annotations = []string{"index:a=b"}
		tg.NetworkMode = str("none")
		tg.Secrets = []config.Entry{{Attrs: map[string]string{"id": "tok", "env": "HOME"}}}
	})
	got, err = Sources(changed)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"label:L", "annotation-index.a", "force-network-mode"} {
		if _, ok := got.Attrs[k]; !ok {
			t.Errorf("attribute %s is missing from %v", k, got.Attrs)
		}
	}
	if diff := cmp.Diff([]string{"tok"}, got.SecretIDs); diff != "" {
		t.Errorf("secret ids (-want +got):\n%s", diff)
	}
	if got.Context != *changed.Context || got.Dockerfile != filepath.Join(*changed.Context, "Dockerfile") {
		t.Errorf("context %q, Dockerfile %q", got.Context, got.Dockerfile)
	}
}

// TestSourcesRemote: what the builder fetches itself is named, so the
// target is never up to date.
func TestSourcesRemote(t *testing.T) {
	tg := sourcesOf(t, "FROM scratch\n", func(tg *config.Target) { tg.Contexts["src"] = "https://github.com/x/y.git" })
	src, err := Sources(tg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"https://github.com/x/y.git"}, src.Remote); diff != "" {
		t.Errorf("remote (-want +got):\n%s", diff)
	}
}

// TestSourcesFingerprintSettings: the settings of a solve that change what
// its RUN steps may do (resources) or what it may read (the source
// policy) change the fingerprint, each as a component of its own; a call
// of a frontend method is named for the check but is not an input.
func TestSourcesFingerprintSettings(t *testing.T) {
	fingerprintOf := func(tg *config.Target) (*fingerprint.Sources, *fingerprint.Fingerprint) {
		t.Helper()
		src, err := Sources(tg)
		if err != nil {
			t.Fatal(err)
		}
		fp, err := fingerprint.NewHasher("").Target(t.Context(), tg, src, fingerprint.Inputs{})
		if err != nil {
			t.Fatal(err)
		}
		return src, fp
	}
	_, plain := fingerprintOf(sourcesOf(t, "FROM scratch\n", nil))
	n := func(v int64) *int64 { return &v }
	for _, tc := range []struct {
		name      string
		edit      func(*config.Target)
		component string
	}{
		{"memory", func(tg *config.Target) { tg.Resources = &config.Resources{Memory: str("64m")} }, "memory"},
		{"cpu shares", func(tg *config.Target) { tg.Resources = &config.Resources{CPUShares: n(512)} }, "cpushares"},
		{"cpuset", func(tg *config.Target) { tg.Resources = &config.Resources{CPUSetCPUs: str("0")} }, "cpusetcpus"},
		{"policy disabled", func(tg *config.Target) { tg.Policy = []config.Policy{{Disabled: true}} }, "policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, fp := fingerprintOf(sourcesOf(t, "FROM scratch\n", tc.edit))
			if fp.Digest == plain.Digest {
				t.Errorf("the fingerprint did not change")
			}
			if _, ok := fp.Components[tc.component]; !ok {
				t.Errorf("no component %q among %v", tc.component, fp.Components)
			}
		})
	}
	src, fp := fingerprintOf(sourcesOf(t, "FROM scratch\n", func(tg *config.Target) { tg.Call = str("check") }))
	if src.Call != "lint" {
		t.Errorf("call = check: Sources.Call %q, want lint", src.Call)
	}
	if fp.Digest != plain.Digest {
		t.Errorf("call = check changed the fingerprint: a call is not an input")
	}
}
