// Package testbed starts the real daemons that orch's integration tests run
// against: one buildkitd (OCI worker, runc) per test binary, and for each test
// that asks, distribution registries on free loopback ports (with or without
// htpasswd basic auth), containerd, and a Podman API service. Everything lives
// in temporary directories and is stopped, by pid, when the test or the test
// binary ends. It also finds headless Chromium for tests that look at a page.
//
// Outside CI a missing binary skips the test with a message saying how to set
// the machine up; with CI=true it fails the test, because CI must never pass
// by skipping its integration tests.
//
// The package shells out to the daemons and speaks HTTP to the registry; it
// does not import BuildKit.
package testbed

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Main runs the tests of a package and then stops every daemon this test
// binary started. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testbed.Main(m)) }
//
// It also points XDG_CACHE_HOME at a directory of the test binary's own,
// removed at the end, so that orch's caches (stat caches, build records;
// see runner/fingerprint) never touch the user's.
func Main(m *testing.M) int {
	if dir, err := os.MkdirTemp("", "orch-cache-"); err == nil {
		os.Setenv("XDG_CACHE_HOME", dir)
		defer os.RemoveAll(dir)
	}
	code := m.Run()
	stopAll()
	return code
}

// InCI reports whether the tests run under CI, where a missing daemon is a
// failure instead of a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// Unavailable skips the test, or fails it under CI, because something the
// test needs is missing.
func Unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...) + " (run `go tool task setup` to install it)"
	if InCI() {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// RepoRoot returns the directory holding orch's go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// BinDirEnv names the variable that points the test bed at the directory of
// setup's pinned binaries when the tests run in a copy of the tree without
// bin/ (the mutation task runs every mutant's tests in such a copy).
const BinDirEnv = "ORCH_TESTBED_BIN"

// BinDir returns the directory holding setup's pinned binaries: $ORCH_TESTBED_BIN
// when set, else bin/ in the repository.
func BinDir() (string, error) {
	if dir := os.Getenv(BinDirEnv); dir != "" {
		return dir, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "bin"), nil
}

// Binary finds a daemon binary: first in BinDir, where setup builds the
// pinned buildkitd, then on PATH.
func Binary(name string) (string, error) {
	if dir, err := BinDir(); err == nil {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s is not in bin/ nor on PATH", name)
	}
	return p, nil
}

// process is a daemon started by this test binary.
type process struct {
	name string
	cmd  *exec.Cmd
	dir  string // removed after the process stopped
	done chan struct{}
}

var (
	procsMu sync.Mutex
	procs   []*process
)

// startProcess starts a daemon in its own process group with its output in
// logPath. The kernel sends it SIGTERM should the test binary die first.
func startProcess(name, dir, logPath string, argv ...string) (*process, error) {
	return startCommand(name, dir, logPath, exec.Command(argv[0], argv[1:]...))
}

// startCommand is startProcess for a command whose environment the caller
// has set.
func startCommand(name, dir, logPath string, cmd *exec.Cmd) (*process, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, dir: dir, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	procsMu.Lock()
	procs = append(procs, p)
	procsMu.Unlock()
	return p, nil
}

// exited reports whether the process has already ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the process by pid: SIGTERM, then SIGKILL after a grace period,
// and removes its directory.
func (p *process) stop() {
	if !p.exited() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	if p.dir != "" {
		unmountUnder(p.dir)
		if err := os.RemoveAll(p.dir); err != nil {
			fmt.Fprintf(os.Stderr, "testbed: remove %s: %v\n", p.dir, err)
		}
	}
}

// unmountUnder detaches every mount below dir, deepest first: a buildkitd
// that was killed (BuildKit.Kill) leaves its steps' mounts behind, which
// it would have unmounted itself on a clean stop.
func unmountUnder(dir string) {
	raw, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var points []string
	for _, line := range strings.Split(string(raw), "\n") {
		// The fifth field is the mount point (octal escapes aside, which
		// the test bed's paths do not have).
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			points = append(points, f[4])
		}
	}
	slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
	for _, m := range points {
		_ = syscall.Unmount(m, syscall.MNT_DETACH)
	}
}

func stopAll() {
	procsMu.Lock()
	ps := procs
	procs = nil
	procsMu.Unlock()
	for i := len(ps) - 1; i >= 0; i-- {
		ps[i].stop()
	}
}

// freePort returns a loopback TCP port that nothing listened on a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitFor polls ready until it returns nil, the process exits or the timeout
// passes.
func waitFor(p *process, timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited before it was ready: %v", p.name, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %v", p.name, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
