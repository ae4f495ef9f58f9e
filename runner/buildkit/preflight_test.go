package buildkit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/console"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets"
	"github.com/tonistiigi/fsutil"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/graph"
)

// checkFile writes orch.hcl (and files, path → content) into a temporary
// directory, plans every target and runs Preflight on it. It returns the
// diagnostics as "line: detail" strings, and the directory.
func checkFile(t *testing.T, src string, files map[string]string) ([]string, string) {
	t.Helper()
	dir := t.TempDir()
	files["orch.hcl"] = src
	writeFiles(t, dir, files)
	return preflightDir(t, dir), dir
}

// preflightDir plans dir's orch.hcl and checks every target of the plan.
func preflightDir(t *testing.T, dir string) []string {
	t.Helper()
	cfg, diags := config.Load(config.Options{WorkDir: dir, Env: []string{}})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	plan, err := graph.New(cfg, []string{"all"})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	targets := make([]*config.Target, len(plan.Nodes))
	for i, n := range plan.Nodes {
		targets[i] = n.Target
	}
	return diagLines(CheckTargets(targets, nil), dir)
}

// diagLines renders diagnostics as "LINE:COL: DETAIL", with dir as $DIR.
func diagLines(diags hcl.Diagnostics, dir string) []string {
	var out []string
	for _, d := range diags {
		if d.Summary != "Cannot build target" {
			out = append(out, "unexpected summary "+d.Summary)
		}
		at := "-"
		if d.Subject != nil {
			at = fmt.Sprintf("%d:%d", d.Subject.Start.Line, d.Subject.Start.Column)
		}
		out = append(out, at+": "+strings.ReplaceAll(d.Detail, dir, "$DIR"))
	}
	return out
}

// TestPreflightReportsEveryProblem: every bad attribute of every target is
// a diagnostic of its own at the attribute's line, not only the first one
// of each target.
func TestPreflightReportsEveryProblem(t *testing.T) {
	got, _ := checkFile(t, `target "a" {
  dockerfile-inline = "FROM scratch"
  network           = "bridge"
  shm-size          = "lots"
  entitlements      = ["network.host", "root.everything"]
  ulimits           = ["nofile=1024:2048", "bad"]
  call              = "lint-all"
  attest            = ["type=vex"]
}
target "b" {
  context = "missing"
  entitlements = ["x"]
  annotations  = ["no-equals"]
  output       = ["type=weird"]
}
`, map[string]string{})
	want := []string{
		`3:23: Target "a": network "bridge": want default, none or host.`,
		`4:23: Target "a": shm-size "lots": invalid size: 'lots'.`,
		`6:23: Target "a": ulimits: invalid ulimit argument: bad.`,
		`5:23: Target "a": entitlement "root.everything": orch supports network.host, security.insecure and device.`,
		`7:23: Target "a": call "lint-all": want build, check, outline or targets.`,
		`8:23: Target "a": attest type "vex": want provenance or sbom.`,
		`11:13: Target "b": context: stat $DIR/missing: no such file or directory.`,
		`12:18: Target "b": entitlement "x": orch supports network.host, security.insecure and device.`,
		`13:18: Target "b": annotation "no-equals": want KEY=VALUE, optionally prefixed with manifest:, index:, manifest-descriptor: or index-descriptor:.`,
		`14:18: Target "b": output type=weird: unknown output type "weird" (want image, registry, oci, docker, local, tar, cacheonly, containerd, podman).`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

// TestPreflightNamedContexts: a named context that is a missing directory,
// or a file, is reported at its own line; a present one passes.
func TestPreflightNamedContexts(t *testing.T) {
	got, _ := checkFile(t, `target "a" {
  dockerfile-inline = "FROM scratch"
  contexts = {
    ok      = "present"
    gone    = "missing-dir"
    notadir = "file"
  }
}
`, map[string]string{"present/x": "", "file": ""})
	want := []string{
		`5:15: Target "a": contexts.gone: stat $DIR/missing-dir: no such file or directory.`,
		`6:15: Target "a": contexts.notadir: $DIR/file is not a directory.`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

// TestPreflightSecretSources: a secret's file must be a regular file of at
// most 500 KiB. /dev/zero, a FIFO (which would block a reader) and a
// directory are refused by their kind, naming the secret, the path and the
// line, without being opened.
func TestPreflightSecretSources(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ok", 10)
	write("limit", maxSecretSize)
	write("big", maxSecretSize+1)
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("ok", filepath.Join(dir, "link-to-ok")); err != nil {
		t.Fatal(err)
	}
	src := `target "s" {
  dockerfile-inline = "FROM scratch"
  secret = [
    "id=ok,src=ok",
    "id=limit,src=limit",
    "id=linked,src=link-to-ok",
  ]
}
target "bad" {
  dockerfile-inline = "FROM scratch"
  secret = ["id=zero,src=/dev/zero", "id=pipe,src=fifo", "id=dir,src=adir", "id=big,src=big", "id=gone,src=nope"]
}
`
	if err := os.WriteFile(filepath.Join(dir, "orch.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := preflightDir(t, dir)
	want := []string{
		`11:12: Target "bad": secret zero: /dev/zero is a character device, not a regular file; point src at a file that holds the secret.`,
		`11:12: Target "bad": secret pipe: $DIR/fifo is a named pipe, not a regular file; point src at a file that holds the secret.`,
		`11:12: Target "bad": secret dir: $DIR/adir is a directory, not a regular file; point src at a file that holds the secret.`,
		`11:12: Target "bad": secret big: $DIR/big is 500KiB, more than the 500KiB a secret may have.`,
		`11:12: Target "bad": secret gone: stat $DIR/nope: no such file or directory.`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

// TestSecretStoreNeverBlocks asks the store the session serves for
// secrets whose files were swapped for /dev/zero, a FIFO and a growing
// file after the check: each is an error naming the secret, and none
// blocks (a FIFO opened for reading without O_NONBLOCK waits for a writer
// forever) or reads without bound.
func TestSecretStoreNeverBlocks(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	okFile := filepath.Join(dir, "ok")
	if err := os.WriteFile(okFile, []byte("s3cr3t"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ORCH_TEST_SECRET", "from-env")
	store := secretStore{
		"zero": {id: "zero", file: "/dev/zero"},
		"pipe": {id: "pipe", file: fifo},
		"ok":   {id: "ok", file: okFile},
		"env":  {id: "env", env: "ORCH_TEST_SECRET"},
	}
	tests := []struct {
		id, want, wantErr string
	}{
		{id: "zero", wantErr: "secret zero: /dev/zero is a character device, not a regular file; point src at a file that holds the secret"},
		{id: "pipe", wantErr: "secret pipe: " + fifo + " is a named pipe, not a regular file; point src at a file that holds the secret"},
		{id: "ok", want: "s3cr3t"},
		{id: "env", want: "from-env"},
		{id: "unknown", wantErr: "secret unknown: not found"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			type answer struct {
				data []byte
				err  error
			}
			done := make(chan answer, 1)
			go func() {
				data, err := store.GetSecret(context.Background(), tt.id)
				done <- answer{data, err}
			}()
			var a answer
			select {
			case a = <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("GetSecret(%s) is still reading after 30s", tt.id)
			}
			if got := errText(a.err); got != tt.wantErr || string(a.data) != tt.want {
				t.Errorf("GetSecret(%s) = %q, %q; want %q, %q", tt.id, a.data, got, tt.want, tt.wantErr)
			}
		})
	}
	if _, err := store.GetSecret(context.Background(), "unknown"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("an unknown secret: %v, want secrets.ErrNotFound for the session", err)
	}
}

// BenchmarkPreflightDevZero holds "/dev/zero as a secret is refused in well
// under a second": it is never read, so one check takes what a stat takes.
func BenchmarkPreflightDevZero(b *testing.B) {
	src := secretSource{id: "zero", file: "/dev/zero"}
	for b.Loop() {
		if src.check() == nil {
			b.Fatal("/dev/zero accepted")
		}
	}
}

// TestPreflightDockerfileSymlink: a Dockerfile given through a symlink is
// read where the link leads, also outside the context; a link to nothing
// or to a directory is an error at the dockerfile attribute.
func TestPreflightDockerfileSymlink(t *testing.T) {
	dir := t.TempDir()
	mk := func(p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := func(to, name string) {
		t.Helper()
		if err := os.Symlink(to, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	mk("ctx")
	mk("shared/adir")
	if err := os.WriteFile(filepath.Join(dir, "shared/Dockerfile.app"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link("../shared/Dockerfile.app", "ctx/Dockerfile")
	link("../shared/none", "ctx/Dockerfile.gone")
	link("../shared/adir", "ctx/Dockerfile.dir")
	mk("ctx/Dockerfile.plaindir")
	src := `target "linked" {
  context = "ctx"
}
target "dangling" {
  context    = "ctx"
  dockerfile = "Dockerfile.gone"
}
target "todir" {
  context    = "ctx"
  dockerfile = "Dockerfile.dir"
}
target "isdir" {
  context    = "ctx"
  dockerfile = "Dockerfile.plaindir"
}
`
	if err := os.WriteFile(filepath.Join(dir, "orch.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := preflightDir(t, dir)
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i] = strings.ReplaceAll(got[i], real, "$DIR")
	}
	want := []string{
		`6:16: Target "dangling": dockerfile $DIR/ctx/Dockerfile.gone is a symlink to ../shared/none, which does not exist.`,
		`14:16: Target "isdir": dockerfile $DIR/ctx/Dockerfile.plaindir is a directory, not a file.`,
		`10:16: Target "todir": dockerfile $DIR/ctx/Dockerfile.dir leads to $DIR/shared/adir, which is a directory, not a file.`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}

	cfg, diags := config.Load(config.Options{WorkDir: dir, Env: []string{}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	// A build's request, with a session that is never run: the frontend
	// reads the file the link leads to, from its directory, served
	// through the session.
	s, err := session.NewSession(t.Context(), contextSessionKey)
	if err != nil {
		t.Fatal(err)
	}
	cs := &contextSession{s: s, dirs: map[string]fsutil.FS{}}
	r, err := newRequest(cfg.Targets["linked"], cs)
	if err != nil {
		t.Fatal(err)
	}
	defer r.cleanup()
	if got := r.attrs["filename"]; got != "Dockerfile.app" {
		t.Errorf("filename = %q, want Dockerfile.app", got)
	}
	if cs.dirs[r.attrs["dockerfilekey"]] == nil || r.attrs["local-sessionid:"+r.attrs["dockerfilekey"]] != s.ID() {
		t.Errorf("the Dockerfile's directory %q is not served through the session: %v", r.attrs["dockerfilekey"], r.attrs)
	}
	if want := localName("dockerfile", filepath.Join(real, "shared")); r.attrs["dockerfilekey"] != want {
		t.Errorf("dockerfilekey = %q, want the shared directory's %q", r.attrs["dockerfilekey"], want)
	}
}

// TestCheckStdoutTerminal: dest=- is refused when standard output is a
// terminal, and allowed when it is a file.
func TestCheckStdoutTerminal(t *testing.T) {
	pty, slavePath, err := console.NewPty()
	if err != nil {
		t.Fatalf("open a pty: %v", err)
	}
	defer pty.Close()
	tty, err := os.OpenFile(slavePath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	dir := t.TempDir()
	src := `target "a" {
  dockerfile-inline = "FROM scratch"
  output = ["type=tar,dest=-", "type=local,dest=out"]
}
target "b" {
  output = ["type=oci,dest=-"]
}
`
	if err := os.WriteFile(filepath.Join(dir, "orch.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Load(config.Options{WorkDir: dir, Env: []string{}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	targets := []*config.Target{cfg.Targets["a"], cfg.Targets["b"]}
	got := diagLines(CheckStdout(targets, tty), dir)
	want := []string{
		`3:12: Target "a": output type=tar,dest=-: standard output is a terminal, and orch does not write an archive to one; redirect it to a file or a pipe, or set dest=PATH.`,
		`6:12: Target "b": output type=oci,dest=-: standard output is a terminal, and orch does not write an archive to one; redirect it to a file or a pipe, or set dest=PATH.`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("to a terminal (-want +got):\n%s", diff)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "out.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := CheckStdout(targets, f); len(got) != 0 {
		t.Errorf("to a file: %v", got)
	}
	var buf strings.Builder
	if got := CheckStdout(targets, &buf); len(got) != 0 {
		t.Errorf("to a buffer: %v", got)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
