package dest

import (
	"errors"
	"net"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orch-build/orch/config"
)

// listen makes a unix socket that accepts connections until the test ends.
func listen(t *testing.T, path string) {
	t.Helper()
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
}

func TestLocalStore(t *testing.T) {
	dir := t.TempDir()
	containerd, podman := filepath.Join(dir, "containerd.sock"), filepath.Join(dir, "podman.sock")
	missing := filepath.Join(dir, "missing.sock")
	listen(t, containerd)
	listen(t, podman)
	refused := func(typ, path, env string) string {
		where := path
		if env != "" {
			where += " (" + env + ")"
		}
		return typ + " at " + where + ": dial unix " + path + ": connect: no such file or directory"
	}
	const fix = "; start one (CONTAINERD_ADDRESS and CONTAINER_HOST name their sockets), or name one with --set '*.output=type=containerd,address=SOCK' or type=podman"
	for _, tt := range []struct {
		name               string
		containerd, podman string // the environment variables
		wantType, wantAddr string
		wantErr            string // without the fix
	}{
		{name: "containerd first", containerd: containerd, podman: "unix://" + podman, wantType: "containerd", wantAddr: containerd},
		{name: "unix:// prefix", containerd: "unix://" + containerd, podman: podman, wantType: "containerd", wantAddr: containerd},
		{name: "then podman", containerd: missing, podman: "unix://" + podman, wantType: "podman", wantAddr: podman},
		{
			name: "none", containerd: missing, podman: "ssh://host/run/podman.sock",
			wantErr: "no local image store (containerd or Podman) is reachable (" + refused("containerd", missing, "CONTAINERD_ADDRESS") +
				"; podman at ssh://host/run/podman.sock (CONTAINER_HOST): only unix sockets are supported)",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CONTAINERD_ADDRESS", tt.containerd)
			t.Setenv("CONTAINER_HOST", tt.podman)
			got, err := LocalStore()
			if tt.wantErr != "" {
				if !errors.Is(err, ErrNoLocalStore) || err.Error() != tt.wantErr+fix {
					t.Errorf("error\n%v\nwant\n%s", err, tt.wantErr+fix)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := config.NewOutput(tt.wantType, "", map[string]string{"address": tt.wantAddr})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}

	// Without the variables, the default sockets are tried and named.
	_, err := firstStore([]storeSocket{{"containerd", missing, ""}})
	if want := "no local image store (containerd or Podman) is reachable (" + refused("containerd", missing, "") + ")" + fix; err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
}

// TestLoadInto: a load output (type=docker without dest) becomes the
// store's output and keeps its own attributes; an image archive or layout
// is no load.
func TestLoadInto(t *testing.T) {
	store := config.NewOutput("containerd", "", map[string]string{"address": "/run/c.sock"})
	load := config.NewOutput("docker", "", map[string]string{"name": "app:1"})
	if !IsLoad(load) {
		t.Fatalf("%+v is a load", load)
	}
	for _, o := range []config.Output{
		config.NewOutput("docker", "/out/app.tar", nil),
		config.NewOutput("oci", "", nil),
		config.NewOutput("image", "", nil),
	} {
		if IsLoad(o) {
			t.Errorf("%+v is no load", o)
		}
	}
	want := config.NewOutput("containerd", "", map[string]string{"address": "/run/c.sock", "name": "app:1"})
	if diff := cmp.Diff(want, LoadInto(load, store), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}
