package buildkit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/internal/testbed"
	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/dest"
)

// project is a directory of orch files and build contexts for one test.
type project struct {
	t   *testing.T
	dir string
	bk  *testbed.BuildKit
}

// newProject writes files (path → content) into a temporary directory.
func newProject(t *testing.T, files map[string]string) *project {
	t.Helper()
	p := &project{t: t, dir: t.TempDir(), bk: testbed.StartBuildKit(t)}
	for name, content := range files {
		path := filepath.Join(p.dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// copyProject copies an example directory (without its out/) for a test.
func copyProject(t *testing.T, example string) *project {
	t.Helper()
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(root, "examples", example)
	files := map[string]string{}
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if rel == "out" {
				return filepath.SkipDir
			}
			return nil
		}
		raw, err := os.ReadFile(path)
		files[rel] = string(raw)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return newProject(t, files)
}

// buildOpts are the knobs of one orch run in a test.
type buildOpts struct {
	selection []string
	vars      map[string]string
	sets      []string
	ctx       context.Context
	runner    runner.Options
	stdout    io.Writer
}

// destOpts are the destination settings of one orch run in a test.
type destOpts struct {
	atomic       bool
	registryJobs int
	// beforePublish runs between the build and the publish of an atomic
	// run.
	beforePublish func()
}

// run is one orch run, as `orch build` does it (including the publish
// phase of --atomic). It returns the run's destinations too, for their
// push statistics; they are closed.
func (p *project) run(o buildOpts, do destOpts) (*runner.Report, *dest.Run, error) {
	p.t.Helper()
	if o.vars == nil {
		o.vars = map[string]string{}
	}
	if _, ok := o.vars["BUSYBOX"]; !ok {
		o.vars["BUSYBOX"] = busyboxDir(p.t)
	}
	cfg, diags := config.Load(config.Options{
		Files: []string{filepath.Join(p.dir, "orch.hcl")}, WorkDir: p.dir, Vars: o.vars, Sets: o.sets, Env: []string{},
	})
	if diags.HasErrors() {
		p.t.Fatalf("load: %v", diags)
	}
	if o.selection == nil {
		o.selection = []string{"all"}
	}
	plan, err := graph.New(cfg, o.selection)
	if err != nil {
		p.t.Fatalf("plan: %v", err)
	}
	ctx := o.ctx
	if ctx == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
	}
	c, err := Connect(ctx, BuilderOptions{Addr: p.bk.Addr})
	if err != nil {
		p.t.Fatal(err)
	}
	defer c.Close()
	dests, err := dest.Open(plan, dest.Options{Stdout: o.stdout, RegistryJobs: do.registryJobs})
	if err != nil {
		return nil, nil, err
	}
	defer dests.Close()
	var out dest.Destinations = dests
	var atomic *dest.Atomic
	if do.atomic {
		atomic = dest.NewAtomic(dests)
		out = atomic
	}
	s, err := NewSolver(ctx, c, plan, Options{Destinations: out})
	if err != nil {
		return nil, nil, err
	}
	rep, err := runner.Run(ctx, plan, s, o.runner)
	if atomic != nil {
		if do.beforePublish != nil {
			do.beforePublish()
		}
		err = runner.Finish(ctx, atomic, rep, err)
	}
	if cerr := s.Close(); cerr != nil {
		p.t.Errorf("close solver: %v", cerr)
	}
	return rep, dests, err
}

func (p *project) mustRun(o buildOpts, do destOpts) (*runner.Report, *dest.Run) {
	p.t.Helper()
	rep, s, err := p.run(o, do)
	if err != nil {
		var sb strings.Builder
		if rep != nil {
			_ = rep.WriteSummary(&sb)
		}
		p.t.Fatalf("build: %v\n%s", err, sb.String())
	}
	return rep, s
}

// build loads orch.hcl of the project, plans the selection and runs it on
// the test bed's buildkitd, as `orch build` does.
func (p *project) build(o buildOpts) (*runner.Report, error) {
	p.t.Helper()
	rep, _, err := p.run(o, destOpts{})
	return rep, err
}

// mustBuild builds and fails the test unless every target built.
func (p *project) mustBuild(o buildOpts) *runner.Report {
	p.t.Helper()
	rep, _ := p.mustRun(o, destOpts{})
	return rep
}

func (p *project) path(rel string) string { return filepath.Join(p.dir, rel) }

// outcome returns the named target's outcome.
func outcome(t *testing.T, rep *runner.Report, name string) *runner.Outcome {
	t.Helper()
	for i := range rep.Outcomes {
		if rep.Outcomes[i].Name == name {
			return &rep.Outcomes[i]
		}
	}
	t.Fatalf("no outcome for %s", name)
	return nil
}

// singleImage opens a layout holding one single-platform image.
func singleImage(t *testing.T, dir string) (*testbed.Layout, testbed.Image) {
	t.Helper()
	l := testbed.OpenLayout(t, dir)
	imgs := l.Images(t)
	if len(imgs) != 1 {
		t.Fatalf("%s holds %d images, want 1", dir, len(imgs))
	}
	return l, imgs[0]
}

func fileIn(t *testing.T, l *testbed.Layout, img testbed.Image, name string) string {
	t.Helper()
	data, ok := testbed.File(t, l.Blob, img, name)
	if !ok {
		t.Fatalf("%s: %s is in no layer", l.Dir, name)
	}
	return strings.TrimSpace(string(data))
}

// assertOnlyLayout checks that dir is a clean OCI image layout: exactly
// oci-layout, index.json and blobs/.
func assertOnlyLayout(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"blobs", "index.json", "oci-layout"}; !slices.Equal(names, want) {
		t.Errorf("%s holds %v, want exactly %v", dir, names, want)
	}
}

// assertNoStaging checks that no temporary destination is left in dir.
func assertNoStaging(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".orch-") {
			t.Errorf("temporary destination %s left behind", filepath.Join(dir, e.Name()))
		}
	}
}

func TestMonorepoExample(t *testing.T) {
	p := copyProject(t, "monorepo")
	rep := p.mustBuild(buildOpts{selection: []string{"all"}})

	for _, svc := range []string{"api", "worker", "web"} {
		o := outcome(t, rep, svc)
		if !o.Status.Succeeded() || !slices.Equal(o.Result.Destinations, []string{"oci:" + p.path("out/"+svc)}) {
			t.Errorf("%s: status %s, destinations %v", svc, o.Status, o.Result.Destinations)
		}
		dir := p.path("out/" + svc)
		assertOnlyLayout(t, dir)
		l, img := singleImage(t, dir)
		if got := img.Descriptor.Annotations["org.opencontainers.image.ref.name"]; got != "dev" {
			t.Errorf("%s: ref name %q, want the tag dev", svc, got)
		}
		if got, want := img.Descriptor.Annotations["io.containerd.image.name"], "monorepo/"+svc+":dev"; !strings.HasSuffix(got, want) {
			t.Errorf("%s: image name %q, want %q", svc, got, want)
		}
		if o.Result.Digest != img.Descriptor.Digest.String() {
			t.Errorf("%s: reported digest %s, layout holds %s", svc, o.Result.Digest, img.Descriptor.Digest)
		}
		// The parent's image config reaches the child: ENV and WORKDIR
		// of base hold in the service image.
		if !slices.Contains(img.Config.Config.Env, "PATH=/bin") || img.Config.Config.WorkingDir != "/srv" {
			t.Errorf("%s: config env %v, workdir %q: base's ENV PATH=/bin and WORKDIR /srv were lost", svc, img.Config.Config.Env, img.Config.Config.WorkingDir)
		}
		if got := fileIn(t, l, img, "/etc/monorepo/base"); got != "base x86_64" {
			t.Errorf("%s: base file %q", svc, got)
		}
		if got := fileIn(t, l, img, "/srv/selftest.txt"); got != svc+" ok on base x86_64" {
			t.Errorf("%s: selftest %q", svc, got)
		}
		if got := fileIn(t, l, img, "/srv/version"); got != "dev" {
			t.Errorf("%s: version %q", svc, got)
		}
	}
	assertOnlyLayout(t, p.path("out/base"))
	assertNoStaging(t, p.path("out"))
}

// TestLinkedParentNotExported: selecting a child builds its parent inside
// BuildKit and hands the result over, without writing the parent's outputs.
func TestLinkedParentNotExported(t *testing.T) {
	p := copyProject(t, "monorepo")
	rep := p.mustBuild(buildOpts{selection: []string{"api"}})
	if o := outcome(t, rep, "base"); o.Exported || len(o.Result.Destinations) != 0 {
		t.Errorf("base: exported %v, destinations %v; want a linked-only build", o.Exported, o.Result.Destinations)
	}
	if _, err := os.Stat(p.path("out/base")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("out/base exists (err %v); a linked-only parent must not be exported", err)
	}
	l, img := singleImage(t, p.path("out/api"))
	if got := fileIn(t, l, img, "/etc/monorepo/base"); got != "base x86_64" {
		t.Errorf("api: base file %q", got)
	}
}

func TestReleaseExamplePushesManifestList(t *testing.T) {
	reg := testbed.StartRegistry(t)
	p := copyProject(t, "release")
	p.mustBuild(buildOpts{vars: map[string]string{"REGISTRY": reg.Host, "VERSION": "1.2.0"}})

	for _, app := range []string{"cli", "agent"} {
		repo := "release/" + app
		if tags := reg.Tags(t, repo); !slices.Contains(tags, "1.2.0") {
			t.Fatalf("%s: tags %v, want 1.2.0", repo, tags)
		}
		mt, _ := reg.Manifest(t, repo, "1.2.0")
		if mt != "application/vnd.oci.image.index.v1+json" {
			t.Errorf("%s: manifest type %s, want an OCI index", repo, mt)
		}
		imgs := reg.Images(t, repo, "1.2.0")
		got := map[string]string{}
		for _, img := range imgs {
			data, ok := testbed.File(t, reg.BlobFunc(repo), img, "/opt/"+app+"/release")
			if !ok {
				t.Fatalf("%s %s: release file missing", repo, img.Platform())
			}
			got[img.Platform()] = strings.TrimSpace(string(data))
			if v := img.Config.Config.Labels["org.opencontainers.image.version"]; v != "1.2.0" {
				t.Errorf("%s %s: version label %q", repo, img.Platform(), v)
			}
		}
		want := map[string]string{"linux/amd64": app + " 1.2.0 x86_64", "linux/arm64": app + " 1.2.0 aarch64"}
		if !mapsEqual(got, want) {
			t.Errorf("%s: release files %v, want %v", repo, got, want)
		}
	}
	if tags := reg.Tags(t, "release/cli"); !slices.Contains(tags, "latest") {
		t.Errorf("release/cli tags %v, want latest too", tags)
	}
	// The OCI archive beside the push.
	if st, err := os.Stat(p.path("out/cli-1.2.0.tar")); err != nil || st.Size() == 0 {
		t.Errorf("out/cli-1.2.0.tar: %v", err)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// configJSON is a docker config file with credentials for one registry.
func dockerConfig(t *testing.T, host, user, password string) string {
	t.Helper()
	dir := t.TempDir()
	auth := map[string]any{"auths": map[string]any{host: map[string]string{"username": user, "password": password}}}
	raw, _ := json.Marshal(auth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}
