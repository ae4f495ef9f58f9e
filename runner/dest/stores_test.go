package dest

import (
	"errors"
	"net"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/config"
)

func TestLocalStore(t *testing.T) {
	dir := t.TempDir()
	listening := filepath.Join(dir, "podman.sock")
	l, err := net.Listen("unix", listening)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	missing := filepath.Join(dir, "containerd.sock")

	got, err := firstStore([]storeSocket{{"containerd", missing}, {"podman", listening}})
	if err != nil {
		t.Fatal(err)
	}
	want := config.NewOutput("podman", "", map[string]string{"address": listening})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}

	_, err = firstStore([]storeSocket{{"containerd", missing}})
	wantErr := "no local image store (containerd or Podman) is reachable (containerd at " + missing + ": dial unix " + missing +
		": connect: no such file or directory); start one, or name one with --set '*.output=type=containerd,address=SOCK' or type=podman"
	if !errors.Is(err, ErrNoLocalStore) || err.Error() != wantErr {
		t.Errorf("error\n%v\nwant\n%s", err, wantErr)
	}
}
