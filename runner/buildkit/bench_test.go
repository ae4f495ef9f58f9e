package buildkit

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orch-build/orch/internal/testbed"
)

// benchDockerfile is each benchmark target: FROM scratch, busybox, and a
// one-second RUN step whose command names the target, so that no two
// targets share the step and BuildKit runs one container per target.
const benchDockerfile = `FROM scratch
ARG TARGETARCH
COPY --from=busybox ${TARGETARCH}/busybox /bin/busybox
ARG NAME
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox sleep 1 && echo $NAME > /name"]
`

// benchFile is a docker-bake.hcl with n such targets, caching off, no
// outputs (the result stays in the builder's cache, in both tools), and
// a default group naming them all.
func benchFile(n int, busybox string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "variable \"BUSYBOX\" {\n  default = %q\n}\n\n", busybox)
	var names []string
	for i := range n {
		name := fmt.Sprintf("t%02d", i)
		names = append(names, fmt.Sprintf("%q", name))
		fmt.Fprintf(&b, "target %q {\n  contexts = { busybox = BUSYBOX }\n  args     = { NAME = %q }\n  no-cache = true\n}\n\n", name, name)
	}
	fmt.Fprintf(&b, "group \"default\" {\n  targets = [%s]\n}\n", strings.Join(names, ", "))
	return b.String()
}

// benchPeers are what a benchmark against bake runs: the test bed's
// buildkitd, an orch binary built from this tree, and bin/buildx with a
// remote builder on that daemon. buildx keeps the builder in configuration
// directories of its own: no Docker engine, and nothing of the user's
// buildx or docker setup is read or changed. env holds those directories
// and turns bake's default provenance attestation off, so both tools do
// the same work.
type benchPeers struct {
	bk                          *testbed.BuildKit
	root, orch, buildx, builder string
	env                         []string
}

func newBenchPeers(b *testing.B, builder string) benchPeers {
	p := benchPeers{bk: testbed.StartBuildKit(b), builder: builder}
	var err error
	if p.root, err = testbed.RepoRoot(); err != nil {
		b.Fatal(err)
	}
	if p.buildx, err = testbed.Binary("buildx"); err != nil {
		testbed.Unavailable(b, "%v", err)
	}
	tmp := b.TempDir()
	p.orch = filepath.Join(tmp, "orch")
	if out, err := command(p.root, nil, "go", "build", "-o", p.orch, "./cmd/orch"); err != nil {
		b.Fatalf("build orch: %v\n%s", err, out)
	}
	p.env = []string{
		"BUILDX_CONFIG=" + filepath.Join(tmp, "buildx"),
		"DOCKER_CONFIG=" + filepath.Join(tmp, "docker"),
		"BUILDX_NO_DEFAULT_ATTESTATIONS=1",
	}
	if out, err := command(tmp, p.env, p.buildx, "create", "--name", builder, "--driver", "remote", p.bk.Addr); err != nil {
		b.Fatalf("buildx create: %v\n%s", err, out)
	}
	return p
}

// BenchmarkBuildVsBake compares `orch build` with `buildx bake` on the same
// file and the same buildkitd (the test bed's): n independent targets, each
// a one-second RUN in its own container, caching off. Each iteration runs
// both tools, in alternating order so neither always meets a daemon the
// other just warmed; the metrics are seconds per run of each and their
// ratio (medians over the iterations; the ratio is the median of each
// iteration's own ratio). orch runs with its default --jobs; both run with --progress quiet,
// and bake's default provenance attestation is off so that both tools do
// the same work (orch adds none unless a target asks for it), which makes
// the comparison stricter for orch.
//
// It needs bin/buildx (setup builds it for the bake differential tests) and
// the test bed, and the orch binary, which it builds. Run it with
//
//	go test -run '^$' -bench BuildVsBake -benchtime 5x ./runner/buildkit
func BenchmarkBuildVsBake(b *testing.B) {
	p := newBenchPeers(b, "orch-bench")
	bk, orch, buildx, builder, env := p.bk, p.orch, p.buildx, p.builder, p.env
	bb := filepath.Join(p.root, "bin", "busybox")
	if _, err := os.Stat(filepath.Join(bb, "amd64", "busybox")); err != nil {
		testbed.Unavailable(b, "busybox is missing: %v", err)
	}

	for _, n := range []int{1, 32} {
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(benchDockerfile), 0o644); err != nil {
				b.Fatal(err)
			}
			file := filepath.Join(dir, "docker-bake.hcl")
			if err := os.WriteFile(file, []byte(benchFile(n, bb)), 0o644); err != nil {
				b.Fatal(err)
			}
			tools := []struct {
				name string
				argv []string
			}{
				{"orch", []string{orch, "build", "--builder", bk.Addr, "--progress", "quiet", "-f", file}},
				// bake asks before it lets a build read a directory
				// outside the working directory; the busybox context is
				// one.
				{"bake", []string{buildx, "bake", "--builder", builder, "--progress", "quiet", "--allow", "fs.read=" + bb, "-f", file}},
			}
			run := func(i int) time.Duration {
				start := time.Now()
				argv := tools[i].argv
				if out, err := command(dir, env, argv[0], argv[1:]...); err != nil {
					b.Fatalf("%s: %v\n%s", tools[i].name, err, out)
				}
				return time.Since(start)
			}
			// One untimed run of each: the builder's first connection and
			// the first copy of busybox into the daemon are not what is
			// compared.
			run(0)
			run(1)
			// Medians, not means: the daemon shares the machine, and one
			// slow run of either tool should not decide the comparison.
			var orchRuns, bakeRuns, ratios []float64
			iter := 0
			for b.Loop() {
				var took [2]time.Duration
				first := iter % 2
				took[first] = run(first)
				took[1-first] = run(1 - first)
				orchRuns = append(orchRuns, took[0].Seconds())
				bakeRuns = append(bakeRuns, took[1].Seconds())
				ratios = append(ratios, took[0].Seconds()/took[1].Seconds())
				iter++
			}
			b.ReportMetric(median(orchRuns), "orch-s/op")
			b.ReportMetric(median(bakeRuns), "bake-s/op")
			b.ReportMetric(median(ratios), "orch/bake")
		})
	}
}

// median returns the middle value of xs (the mean of the two middle ones
// for an even count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// command runs name with args in dir, with env added to the environment,
// and returns its combined output.
func command(dir string, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}
