package buildkit

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/orch-build/orch/internal/fserr"
	"github.com/orch-build/orch/internal/testbed"
)

// TestDiskFullNamesThePath builds into a file system with 512 KiB left: a
// tar archive BuildKit streams, a local directory and an OCI layout it
// writes through the session. Each fails naming the path and the cause,
// where BuildKit says only that the stream ended.
func TestDiskFullNamesThePath(t *testing.T) {
	p := newProject(t, map[string]string{
		"orch.hcl": `target "tar" {
  dockerfile-inline = "FROM scratch\nCOPY big /big\n"
  output = ["type=tar,dest=full/app.tar"]
}
target "local" {
  dockerfile-inline = "FROM scratch\nCOPY big /big\n"
  output = ["type=local,dest=full/local"]
}
target "layout" {
  dockerfile-inline = "FROM scratch\nCOPY big /big\n"
  output = ["type=oci,tar=false,dest=full/layout"]
}
`,
	})
	big := make([]byte, 2<<20) // random, so compression does not shrink it
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.path("big"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	full := p.path("full")
	testbed.Tmpfs(t, full, "size=4m")
	if err := os.WriteFile(filepath.Join(full, "filler"), make([]byte, 3<<20+512<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tar", "local", "layout"} {
		t.Run(name, func(t *testing.T) {
			rep, err := p.build(buildOpts{selection: []string{name}})
			if err == nil {
				t.Fatal("the build succeeded on a full disk")
			}
			o := outcome(t, rep, name)
			var fe *fserr.Error
			if !errors.As(o.Err, &fe) || !errors.Is(o.Err, syscall.ENOSPC) {
				t.Fatalf("error %v: want a disk-full *fserr.Error", o.Err)
			}
			msg := o.Err.Error()
			if !strings.HasPrefix(msg, `target "`+name+`": disk full writing `+full+"/") {
				t.Errorf("error %q: want it to say disk full writing a path under %s", msg, full)
			}
			if strings.Contains(msg, "EOF") || strings.Contains(msg, "rpc error") {
				t.Errorf("error %q still carries BuildKit's words", msg)
			}
		})
	}
}

// TestLintWarningsReachTheResult: the Dockerfile frontend's lint warnings
// (SecretsUsedInArgOrEnv here), which only the progress stream carried,
// come back with the result, each once, naming the Dockerfile.
func TestLintWarningsReachTheResult(t *testing.T) {
	p := newProject(t, map[string]string{
		"orch.hcl": `target "base" {
  output = ["type=oci,tar=false,dest=out/base"]
}
target "app" {
  contexts   = { base = "target:base" }
  dockerfile = "app.Dockerfile"
  output     = ["type=oci,tar=false,dest=out/app"]
}
`,
		"Dockerfile":     "FROM scratch\nARG API_TOKEN\nENV DB_PASSWORD=x\nCOPY Dockerfile /\n",
		"app.Dockerfile": "FROM base\n",
	})
	rep := p.mustBuild(buildOpts{})
	df := p.path("Dockerfile")
	want := []string{
		`target base: ` + df + `: SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ARG "API_TOKEN") (line 2)`,
		`target base: ` + df + `: SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ENV "DB_PASSWORD") (line 3)`,
	}
	if strings.Join(rep.Warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("report warnings:\n%s\nwant:\n%s", strings.Join(rep.Warnings, "\n"), strings.Join(want, "\n"))
	}
	var summary strings.Builder
	_ = rep.WriteSummary(&summary)
	if !strings.Contains(summary.String(), "warning: "+want[0]) {
		t.Errorf("summary lacks the warning:\n%s", summary.String())
	}
}

// TestDockerfileSymlinkOutsideContext builds a target whose Dockerfile is a
// symlink into a directory outside the context: the file it leads to is
// the one built.
func TestDockerfileSymlinkOutsideContext(t *testing.T) {
	p := newProject(t, map[string]string{
		"orch.hcl": `target "app" {
  context = "ctx"
  output  = ["type=local,dest=out"]
}
`,
		"ctx/hello.txt":          "hello from the context\n",
		"shared/Dockerfile.real": "FROM scratch\nCOPY hello.txt /from-shared.txt\n",
	})
	if err := os.Symlink("../shared/Dockerfile.real", p.path("ctx/Dockerfile")); err != nil {
		t.Fatal(err)
	}
	p.mustBuild(buildOpts{})
	got, err := os.ReadFile(p.path("out/from-shared.txt"))
	if err != nil || string(got) != "hello from the context\n" {
		t.Errorf("out/from-shared.txt = %q, %v: want the context's hello.txt copied by the linked Dockerfile", got, err)
	}
}
