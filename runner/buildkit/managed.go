package buildkit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/orch-build/orch/internal/logtail"
)

// Managed is orch's own local buildkitd: started on first use from the
// pinned binary, reused by later runs, stopped with `orch builder stop`.
// State (the build cache) lives under the user's data directory, the socket
// and pid file under the runtime directory.
type Managed struct {
	// StateDir holds the daemon's root, its log and an optional
	// buildkitd.toml that is passed to it when present.
	StateDir string
	// RunDir holds the socket and the pid file.
	RunDir string
	// Binary is the buildkitd to start; empty searches ORCH_BUILDKITD, the
	// directory of the running orch binary, then PATH.
	Binary string
}

// DefaultManaged returns the managed daemon's locations for this user:
// $XDG_DATA_HOME/orch/buildkitd (default ~/.local/share/orch/buildkitd) and
// $XDG_RUNTIME_DIR/orch (default /run/orch for root, else
// $TMPDIR/orch-UID).
func DefaultManaged() (*Managed, error) {
	data := os.Getenv("XDG_DATA_HOME")
	if data == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("managed buildkitd: find the data directory: %w", err)
		}
		data = filepath.Join(home, ".local", "share")
	}
	run := os.Getenv("XDG_RUNTIME_DIR")
	switch {
	case run != "":
		run = filepath.Join(run, "orch")
	case os.Geteuid() == 0:
		run = "/run/orch"
	default:
		run = filepath.Join(os.TempDir(), "orch-"+strconv.Itoa(os.Geteuid()))
	}
	return &Managed{StateDir: filepath.Join(data, "orch", "buildkitd"), RunDir: run}, nil
}

// Addr is the daemon's socket address.
func (m *Managed) Addr() string { return "unix://" + filepath.Join(m.RunDir, "buildkitd.sock") }

func (m *Managed) pidFile() string { return filepath.Join(m.RunDir, "buildkitd.pid") }

// LogFile is where the daemon writes its output.
func (m *Managed) LogFile() string { return filepath.Join(m.StateDir, "buildkitd.log") }

// ErrNotRunning is returned by Stop and Status when no managed daemon runs.
var ErrNotRunning = errors.New("the managed buildkitd is not running")

// Status describes a running managed daemon.
type Status struct {
	Addr      string
	PID       int
	Platforms []string
	StateDir  string
}

// Status reports on the managed daemon without starting it.
func (m *Managed) Status(ctx context.Context) (*Status, error) {
	pid, alive := m.pid()
	if !alive {
		return nil, ErrNotRunning
	}
	c, err := Connect(ctx, BuilderOptions{Addr: m.Addr()})
	if err != nil {
		return nil, fmt.Errorf("managed buildkitd (pid %d) does not answer: %w", pid, err)
	}
	defer c.Close()
	st := &Status{Addr: m.Addr(), PID: pid, StateDir: m.StateDir}
	ws, err := c.ListWorkers(ctx)
	if err != nil {
		return nil, err
	}
	for _, w := range ws {
		for _, p := range w.Platforms {
			st.Platforms = append(st.Platforms, p.OS+"/"+p.Architecture+variant(p.Variant))
		}
	}
	return st, nil
}

func variant(v string) string {
	if v == "" {
		return ""
	}
	return "/" + v
}

// pid reads the pid file and reports whether that process is a buildkitd
// serving our socket. A stale pid file (a reused pid) reads as not alive.
func (m *Managed) pid() (int, bool) {
	raw, err := os.ReadFile(m.pidFile())
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return pid, false
	}
	args := strings.Split(string(cmdline), "\x00")
	if !strings.HasSuffix(args[0], "buildkitd") || !strings.Contains(string(cmdline), m.Addr()) {
		return pid, false
	}
	return pid, true
}

// Ensure returns a client to the managed daemon, starting it when it is not
// running. Two orch processes starting it at once agree on one daemon
// through a lock file.
func (m *Managed) Ensure(ctx context.Context) (*client.Client, error) {
	if _, alive := m.pid(); alive {
		if c, err := Connect(ctx, BuilderOptions{Addr: m.Addr()}); err == nil {
			return c, nil
		}
	}
	for _, d := range []string{m.StateDir, m.RunDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("managed buildkitd: %w", err)
		}
	}
	lock, err := os.OpenFile(filepath.Join(m.RunDir, "start.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("managed buildkitd: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("managed buildkitd: lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	// Another orch may have started it while we waited for the lock.
	if _, alive := m.pid(); alive {
		if c, err := Connect(ctx, BuilderOptions{Addr: m.Addr()}); err == nil {
			return c, nil
		}
	}
	if err := m.start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := Connect(ctx, BuilderOptions{Addr: m.Addr()})
		if err == nil {
			return c, nil
		}
		if _, alive := m.pid(); !alive || time.Now().After(deadline) {
			return nil, fmt.Errorf("managed buildkitd did not come up: %w\n%s", err, logtail.Tail(m.LogFile(), 2000))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// findBinary locates buildkitd.
func (m *Managed) findBinary() (string, error) {
	if m.Binary != "" {
		return m.Binary, nil
	}
	if p := os.Getenv("ORCH_BUILDKITD"); p != "" {
		return p, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "buildkitd")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("buildkitd"); err == nil {
		return p, nil
	}
	return "", errors.New("buildkitd not found: orch looks in ORCH_BUILDKITD, next to the orch binary and on PATH; " +
		"build the pinned one with `go tool task setup` (it lands in bin/), or name a running builder with --builder or BUILDKIT_HOST")
}

// start launches buildkitd detached from this process, so it outlives the
// orch run that started it.
func (m *Managed) start() error {
	bin, err := m.findBinary()
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("runc"); err != nil {
		return errors.New("runc not found on PATH: the managed buildkitd runs builds with runc; install it (Debian: apt-get install runc, or `go tool task setup`)")
	}
	if os.Geteuid() != 0 {
		return errors.New("the managed buildkitd needs root (rootless BuildKit is not set up by orch); run orch as root or name a running builder with --builder or BUILDKIT_HOST")
	}
	sock := strings.TrimPrefix(m.Addr(), "unix://")
	_ = os.Remove(sock)
	args := []string{
		"--root", filepath.Join(m.StateDir, "root"),
		"--addr", m.Addr(),
		"--oci-worker=true", "--containerd-worker=false",
		"--allow-insecure-entitlement=network.host",
		"--allow-insecure-entitlement=security.insecure",
	}
	if cfg := filepath.Join(m.StateDir, "buildkitd.toml"); fileExists(cfg) {
		args = append(args, "--config", cfg)
	}
	logf, err := os.OpenFile(m.LogFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("managed buildkitd: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start managed buildkitd %s: %w", bin, err)
	}
	pid := cmd.Process.Pid
	// Reap it should it exit while this process still runs.
	go func() { _ = cmd.Wait() }()
	if err := os.WriteFile(m.pidFile(), []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
		_ = cmd.Process.Kill()
		return fmt.Errorf("managed buildkitd: %w", err)
	}
	return nil
}

// Stop ends the managed daemon by pid and waits for it to exit.
func (m *Managed) Stop(ctx context.Context) error {
	pid, alive := m.pid()
	if !alive {
		_ = os.Remove(m.pidFile())
		return ErrNotRunning
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop managed buildkitd (pid %d): %w", pid, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, alive := m.pid(); !alive {
			break
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	_ = os.Remove(m.pidFile())
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
