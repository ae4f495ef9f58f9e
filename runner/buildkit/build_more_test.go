package buildkit

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orch-build/orch/internal/testbed"
	"github.com/orch-build/orch/runner"
)

// busyboxDockerfile starts an image with a shell; steps are appended.
const busyboxDockerfile = `FROM scratch
ARG TARGETARCH
COPY --from=busybox ${TARGETARCH}/busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PATH=/bin
`

// syncBuffer is a log sink shared by concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSecretsReachRunStep: a file secret and an environment secret are
// mounted in the RUN step that asks for them. That neither value reaches a
// file orch writes is cmd/orch's TestSecretsLeakIntoNoFile, over every
// file of an `orch build`.
func TestSecretsReachRunStep(t *testing.T) {
	const fileSecret, envSecret = "file-secret-7f3a9c", "env-secret-51be02"
	t.Setenv("ORCH_TEST_TOKEN", envSecret)
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
target "app" {
  contexts = { busybox = BUSYBOX }
  secret   = ["id=file,src=token.txt", "id=env,env=ORCH_TEST_TOKEN"]
  output   = ["type=oci,tar=false,dest=out/app"]
}`,
		"token.txt": fileSecret,
		"Dockerfile": busyboxDockerfile + `
RUN --mount=type=secret,id=file --mount=type=secret,id=env \
    cat /run/secrets/file /run/secrets/env | md5sum > /secret.md5 && \
    echo "file=$(wc -c < /run/secrets/file) env=$(wc -c < /run/secrets/env)"
`,
	})
	p.mustBuild(buildOpts{runner: runner.Options{LogDir: p.path("logs")}})
	l, img := singleImage(t, p.path("out/app"))
	want := md5hex(fileSecret + envSecret)
	if got := fileIn(t, l, img, "/secret.md5"); !strings.HasPrefix(got, want) {
		t.Errorf("secret.md5 %q, want %s: the RUN step did not see both secrets", got, want)
	}
	logs, err := os.ReadFile(p.path("logs/app.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logs), "file=18 env=17") {
		t.Errorf("the log does not show the step's output; got:\n%s", logs)
	}
}

func TestCredentialedPush(t *testing.T) {
	reg := testbed.StartAuthRegistry(t, "builder", "s3cret-pass")
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
variable "REGISTRY" {}
target "app" {
  contexts = { busybox = BUSYBOX }
  tags     = ["${REGISTRY}/team/app:1"]
  output   = ["type=registry"]
}`,
		"Dockerfile": busyboxDockerfile + "RUN echo pushed > /pushed\n",
	})
	// Without credentials the registry refuses the push.
	vars := map[string]string{"REGISTRY": reg.Host}
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	if _, err := p.build(buildOpts{vars: vars}); err == nil {
		t.Fatal("push without credentials succeeded; the registry should have refused it")
	}
	if tags := reg.Tags(t, "team/app"); len(tags) != 0 {
		t.Fatalf("tags %v after a refused push", tags)
	}

	// The same process, now with credentials: DOCKER_CONFIG is read for
	// every solve.
	t.Setenv("DOCKER_CONFIG", dockerConfig(t, reg.Host, "builder", "s3cret-pass"))
	p.mustBuild(buildOpts{vars: vars})
	if tags := reg.Tags(t, "team/app"); !slices.Equal(tags, []string{"1"}) {
		t.Fatalf("tags %v, want [1]", tags)
	}
	imgs := reg.Images(t, "team/app", "1")
	if len(imgs) != 1 {
		t.Fatalf("%d images, want 1", len(imgs))
	}
	if data, ok := testbed.File(t, reg.BlobFunc("team/app"), imgs[0], "/pushed"); !ok || strings.TrimSpace(string(data)) != "pushed" {
		t.Errorf("/pushed = %q, %v", data, ok)
	}
}

func TestMultipleOutputsOfOneTarget(t *testing.T) {
	reg := testbed.StartRegistry(t)
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
variable "REGISTRY" {}
target "app" {
  contexts = { busybox = BUSYBOX }
  tags     = ["${REGISTRY}/multi/app:v1"]
  output = [
    "type=oci,tar=false,dest=out/layout",
    "type=oci,dest=out/app-oci.tar",
    "type=docker,dest=out/app-docker.tar",
    "type=tar,dest=out/rootfs.tar",
    "type=local,dest=out/rootfs",
    "type=registry",
  ]
}`,
		"Dockerfile": busyboxDockerfile + "RUN echo many > /many\n",
	})
	rep := p.mustBuild(buildOpts{vars: map[string]string{"REGISTRY": reg.Host}})
	o := outcome(t, rep, "app")
	if len(o.Result.Destinations) != 6 {
		t.Errorf("destinations %v, want 6", o.Result.Destinations)
	}
	l, img := singleImage(t, p.path("out/layout"))
	if got := fileIn(t, l, img, "/many"); got != "many" {
		t.Errorf("layout: /many = %q", got)
	}
	for _, f := range []string{"out/app-oci.tar", "out/app-docker.tar", "out/rootfs.tar"} {
		if st, err := os.Stat(p.path(f)); err != nil || st.Size() < 1024 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if raw, err := os.ReadFile(p.path("out/rootfs/many")); err != nil || strings.TrimSpace(string(raw)) != "many" {
		t.Errorf("local output: /many = %q, %v", raw, err)
	}
	if tags := reg.Tags(t, "multi/app"); !slices.Equal(tags, []string{"v1"}) {
		t.Errorf("registry tags %v", tags)
	}
	assertNoStaging(t, p.path("out"))
}

// layoutFiles snapshots every file of a directory.
func layoutFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		out[rel] = string(raw)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFailedOrInterruptedExportKeepsOldLayout(t *testing.T) {
	hcl := `
variable "BUSYBOX" {}
variable "STEP" { default = "true" }
target "app" {
  contexts = { busybox = BUSYBOX }
  args     = { STEP = STEP }
  output   = ["type=oci,tar=false,dest=out/app", "type=oci,dest=out/app.tar"]
}
target "fresh" {
  contexts = { busybox = BUSYBOX }
  args     = { STEP = STEP, WHO = "fresh" }
  output   = ["type=oci,tar=false,dest=new/deeper/fresh"]
}`
	p := newProject(t, map[string]string{
		"orch.hcl":   hcl,
		"Dockerfile": busyboxDockerfile + "ARG STEP\nARG WHO=app\nRUN echo \"$WHO $STEP\" > /step && sh -c \"$STEP\"\n",
	})
	p.mustBuild(buildOpts{selection: []string{"app"}})
	before := layoutFiles(t, p.path("out"))

	// A failing RUN step: the target fails, nothing changes.
	rep, err := p.build(buildOpts{selection: []string{"app", "fresh"}, vars: map[string]string{"STEP": "exit 3"}, runner: runner.Options{KeepGoing: true}})
	if !errors.Is(err, runner.ErrFailed) {
		t.Fatalf("build with a failing step: err %v, want runner.ErrFailed", err)
	}
	o := outcome(t, rep, "app")
	step := o.StepError()
	if step == nil || !strings.Contains(step.Step, "RUN") || step.Line != 8 || !strings.HasSuffix(step.File, "Dockerfile") {
		t.Errorf("step error %+v, want the RUN step at Dockerfile:8", step)
	}
	if after := layoutFiles(t, p.path("out")); !mapsEqual(before, after) {
		t.Errorf("a failed build changed out/")
	}
	if _, err := os.Stat(p.path("new")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed target created new/ (err %v)", err)
	}

	// An interrupted build: cancel while the RUN step sleeps.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := time.Now()
	time.AfterFunc(3*time.Second, cancel)
	_, err = p.build(buildOpts{ctx: ctx, selection: []string{"app"}, vars: map[string]string{"STEP": "sleep 60"}})
	if !errors.Is(err, runner.ErrInterrupted) {
		t.Fatalf("interrupted build: err %v, want runner.ErrInterrupted", err)
	}
	if d := time.Since(started); d > 30*time.Second {
		t.Errorf("cancellation took %s", d)
	}
	if after := layoutFiles(t, p.path("out")); !mapsEqual(before, after) {
		t.Errorf("an interrupted build changed out/")
	}
	assertNoStaging(t, p.path("out"))
	assertOnlyLayout(t, p.path("out/app"))
}

func TestManagedBuildkitdStartedAndReused(t *testing.T) {
	testbed.StartBuildKit(t) // skips or fails the same way when buildkitd is missing
	bin, err := testbed.Binary("buildkitd")
	if err != nil {
		testbed.Unavailable(t, "%v", err)
	}
	run, err := os.MkdirTemp("", "orch-run-")
	if err != nil {
		t.Fatal(err)
	}
	m := &Managed{StateDir: t.TempDir(), RunDir: run, Binary: bin}
	t.Cleanup(func() {
		_ = m.Stop(context.Background())
		os.RemoveAll(run)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := m.Status(ctx); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("status before start: %v, want ErrNotRunning", err)
	}
	c1, err := m.Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c1.Close()
	st1, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := m.Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c2.Close()
	st2, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st1.PID != st2.PID {
		t.Errorf("second use started pid %d; want the first daemon (pid %d) reused", st2.PID, st1.PID)
	}
	if !slices.Contains(st1.Platforms, "linux/amd64") {
		t.Errorf("platforms %v", st1.Platforms)
	}
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("/proc", itoa(st1.PID))); err == nil {
		if _, alive := m.pid(); alive {
			t.Errorf("pid %d still runs after Stop", st1.PID)
		}
	}
	if _, err := m.Status(ctx); !errors.Is(err, ErrNotRunning) {
		t.Errorf("status after stop: %v, want ErrNotRunning", err)
	}
}
