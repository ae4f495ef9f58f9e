package build

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"

	"github.com/orch-build/orch/internal/testbed"
	"github.com/orch-build/orch/runner"
)

// TestIncrementalCall: a run that calls a frontend method (--call check,
// outline, targets) answers for every target even when all are up to
// date, and is not recorded as a build: after a file changed, a call run
// leaves the next check saying what changed, and the next build rebuilds
// exactly that target.
func TestIncrementalCall(t *testing.T) {
	bk := testbed.StartBuildKit(t)
	opts := writeProject(t, incrFiles)
	opts.Builder.Addr, opts.Progress = bk.Addr, "quiet"
	incrRun(t, bk, opts)
	if statuses, solves := incrRun(t, bk, opts); solves != 0 || statuses["svc1"] != runner.StatusUpToDate {
		t.Fatalf("second run: %d solves, %v; want an up-to-date project", solves, statuses)
	}
	call := func(method string) {
		t.Helper()
		o := opts
		o.Overrides.Call = method
		res, err := Run(t.Context(), o)
		if err != nil && !errors.Is(err, ErrCallStatus) {
			t.Fatalf("--call %s: %v", method, err)
		}
		for _, out := range res.Report.Outcomes {
			if out.Status == runner.StatusUpToDate {
				t.Errorf("--call %s: %s is %s; a call is never skipped", method, out.Name, out.Status)
			}
		}
		for _, name := range []string{"svc1", "svc2", "svc3"} {
			i := slices.IndexFunc(res.Report.Outcomes, func(out runner.Outcome) bool { return out.Name == name })
			if i < 0 || res.Report.Outcomes[i].Result == nil || res.Report.Outcomes[i].Result.Call == nil {
				t.Errorf("--call %s: %s has no answer", method, name)
			}
		}
		if got, want := changes(t, o)["svc1"], "it calls the frontend's "; !strings.HasPrefix(got, want) {
			t.Errorf("plan --call %s says of svc1 %q, want %q…", method, got, want)
		}
	}
	for _, method := range []string{"check", "outline", "targets"} {
		call(method)
	}
	if err := os.WriteFile(filepath.Join(opts.Config.WorkDir, "svc1", "f.txt"), []byte("svc1 changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	call("check")
	if got := changes(t, opts)["svc1"]; got != "context file svc1/f.txt" {
		t.Errorf("after a call, plan says of svc1 %q, want the changed file: the call was recorded as a build", got)
	}
	statuses, _ := incrRun(t, bk, opts)
	if rebuilt, _ := built(statuses); !slices.Equal(rebuilt, []string{"svc1"}) {
		t.Errorf("the build after the call rebuilt %v, want [svc1]", rebuilt)
	}
}

// TestIncrementalLoad: --load puts the image into containerd or Podman,
// and the next run asks that store whether it holds the image of the same
// inputs (containerd by the image's label, Podman by its manifest's
// annotation): a no-op sends no solve; an image removed from the store is
// built again.
func TestIncrementalLoad(t *testing.T) {
	for _, store := range []string{"containerd", "podman"} {
		t.Run(store, func(t *testing.T) {
			var remove func()
			var missing string
			switch store {
			case "containerd":
				ctrd := testbed.StartContainerd(t)
				t.Setenv("CONTAINERD_ADDRESS", ctrd.Address)
				t.Setenv("CONTAINER_HOST", filepath.Join(t.TempDir(), "no-podman.sock"))
				missing = "destination containerd default/example.com/load:1 missing"
				remove = func() {
					c, err := containerd.New(ctrd.Address, containerd.WithDefaultNamespace("default"))
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					if err := c.ImageService().Delete(context.Background(), "example.com/load:1", images.SynchronousDelete()); err != nil {
						t.Fatal(err)
					}
				}
			case "podman":
				pm := testbed.StartPodman(t)
				t.Setenv("CONTAINERD_ADDRESS", filepath.Join(t.TempDir(), "no-containerd.sock"))
				t.Setenv("CONTAINER_HOST", pm.Address)
				missing = "destination podman example.com/load:1 missing"
				remove = func() {
					if code, body := pm.Request(t, http.MethodDelete, "/v4.0.0/libpod/images/"+url.PathEscape("example.com/load:1")+"?force=true", nil); code != http.StatusOK {
						t.Fatalf("podman: remove the image: %d %s", code, body)
					}
				}
			}
			opts := loadProject(t)
			bk := opts.Builder.Addr
			run := func() (runner.Status, int) {
				t.Helper()
				statuses, solves := incrRun(t, &testbed.BuildKit{Addr: bk}, opts)
				return statuses["app"], solves
			}
			if s, _ := run(); s != runner.StatusBuilt && s != runner.StatusCached {
				t.Fatalf("first run: app %s", s)
			}
			if got := changes(t, opts)["app"]; got != "up-to-date" {
				t.Errorf("after the load, plan says of app %q, want up-to-date", got)
			}
			if s, solves := run(); s != runner.StatusUpToDate || solves != 0 {
				t.Errorf("second run: app %s with %d solves, want up-to-date with none", s, solves)
			}
			remove()
			if got := changes(t, opts)["app"]; got != missing {
				t.Errorf("after the image was removed, plan says of app %q, want %q", got, missing)
			}
			if s, _ := run(); s == runner.StatusUpToDate {
				t.Errorf("the image removed from %s was not loaded again", store)
			}
		})
	}
}

// TestIncrementalRegistry: images in a registry, both read and written.
// A base image tag that moves rebuilds its users only; a destination tag
// that another build pushed to rebuilds the target that owns it.
func TestIncrementalRegistry(t *testing.T) {
	bk := testbed.StartBuildKit(t)
	reg := testbed.StartRegistry(t)
	opts := writeProject(t, map[string]string{
		"orch.hcl": fmt.Sprintf(`
target "base" {
  context = "base"
  tags    = ["%[1]s/base:1"]
  output  = ["type=image,push=true"]
}
target "app" {
  context = "app"
  tags    = ["%[1]s/app:1"]
  output  = ["type=image,push=true"]
}
target "impostor" {
  context = "impostor"
  tags    = ["%[1]s/app:1"]
  output  = ["type=image,push=true"]
}
target "other" {
  context = "other"
  output  = ["type=oci,tar=false,dest=out/other"]
}
`, reg.Host),
		"base/Dockerfile":     "FROM scratch\nCOPY base.txt /\n",
		"base/base.txt":       "base 1\n",
		"app/Dockerfile":      fmt.Sprintf("FROM %s/base:1\nCOPY app.txt /\n", reg.Host),
		"app/app.txt":         "app\n",
		"impostor/Dockerfile": "FROM scratch\nCOPY x.txt /\n",
		"impostor/x.txt":      "not the app\n",
		"other/Dockerfile":    "FROM scratch\nCOPY o.txt /\n",
		"other/o.txt":         "other\n",
	})
	opts.Builder.Addr, opts.Progress = bk.Addr, "quiet"
	only := func(names ...string) Options {
		o := opts
		o.Targets = names
		return o
	}
	users := only("app", "other")
	expect := func(step string, wantBuilt []string, wantSolves int, wantPlan map[string]string) {
		t.Helper()
		got := changes(t, users)
		for target, want := range wantPlan {
			if got[target] != want {
				t.Errorf("%s: plan says of %s %q, want %q", step, target, got[target], want)
			}
		}
		statuses, solves := incrRun(t, bk, users)
		if rebuilt, _ := built(statuses); !slices.Equal(rebuilt, wantBuilt) {
			t.Errorf("%s: rebuilt %v, want %v (statuses %v)", step, rebuilt, wantBuilt, statuses)
		}
		if wantSolves >= 0 && solves != wantSolves {
			t.Errorf("%s: %d solves reached the daemon, want %d", step, solves, wantSolves)
		}
	}

	incrRun(t, bk, only("base"))
	expect("first build", []string{"app", "other"}, -1, nil)
	expect("no-op", nil, 0, map[string]string{"app": "up-to-date", "other": "up-to-date"})

	if err := os.WriteFile(filepath.Join(opts.Config.WorkDir, "base", "base.txt"), []byte("base 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	incrRun(t, bk, only("base"))
	moved := reg.Host + "/base:1 moved to sha256:"
	got := changes(t, users)["app"]
	if !strings.HasPrefix(got, "base image "+moved) {
		t.Errorf("after base:1 moved, plan says of app %q, want %q", got, "base image "+moved+"…")
	}
	expect("the base image moved", []string{"app"}, -1, map[string]string{"other": "up-to-date"})
	expect("and then nothing", nil, 0, nil)

	incrRun(t, bk, only("impostor"))
	expect("the tag was pushed by another build", []string{"app"}, -1,
		map[string]string{"app": "destination registry " + reg.Host + "/app:1 holds an image of other inputs", "other": "up-to-date"})
	expect("and then nothing again", nil, 0, nil)
}
