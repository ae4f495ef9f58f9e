package testbed

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orch-build/orch/internal/logtail"
)

// Containerd is a containerd daemon started for one test, with its root,
// state and socket in a temporary directory.
type Containerd struct {
	// Address is the daemon's socket path.
	Address string
	// Dir holds the config, root, state and log.
	Dir string
	// LogPath is the file holding the daemon's output.
	LogPath string
}

// StartContainerd starts the containerd that setup builds into bin/ (the
// version go.mod pins) on a temporary socket, with a version 3 config that
// keeps every path in a temporary directory and leaves out the CRI plugin.
// It needs root. The daemon is stopped when the test ends.
func StartContainerd(tb testing.TB) *Containerd {
	tb.Helper()
	bin, err := Binary("containerd")
	if err != nil {
		Unavailable(tb, "%v", err)
	}
	if os.Geteuid() != 0 {
		Unavailable(tb, "containerd needs root")
	}
	// A short directory: the socket path must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "orch-ctrd-")
	if err != nil {
		tb.Fatal(err)
	}
	c := &Containerd{Address: filepath.Join(dir, "containerd.sock"), Dir: dir, LogPath: filepath.Join(dir, "containerd.log")}
	cfg := fmt.Sprintf(`version = 3
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = %q

[ttrpc]
  address = %q
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), c.Address, c.Address+".ttrpc")
	cfgPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		tb.Fatal(err)
	}
	p, err := startProcess("containerd", dir, c.LogPath, bin, "--config", cfgPath)
	if err != nil {
		tb.Fatalf("testbed: %v", err)
	}
	tb.Cleanup(p.stop)
	err = waitFor(p, 30*time.Second, func() error {
		conn, err := net.Dial("unix", c.Address)
		if err != nil {
			return err
		}
		return conn.Close()
	})
	if err != nil {
		tb.Fatalf("testbed: containerd: %v\n%s", err, logtail.Tail(c.LogPath, 4000))
	}
	return c
}
