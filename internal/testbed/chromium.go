package testbed

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/orch-build/orch/internal/logtail"
)

// chromiumTimeout bounds one headless run; a page that never finishes
// loading must fail the test rather than hang it.
const chromiumTimeout = 2 * time.Minute

// Chromium returns the path of Debian's chromium, which setup installs for
// the tests that look at a page orch wrote.
func Chromium(tb testing.TB) string {
	tb.Helper()
	bin, err := Binary("chromium")
	if err != nil {
		Unavailable(tb, "%v", err)
	}
	return bin
}

// headlessFlags are the flags headless Chromium needs on this machine: no
// sandbox (the tests run as root), no GPU, and none of the background
// traffic (component updates, sync, QUIC probes) that would reach for the
// network.
var headlessFlags = []string{
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
}

// Headless runs Chromium headless with a fresh profile in a temporary
// directory and the given arguments after headlessFlags, and returns its
// standard output. The run is killed, with every process it started, after
// two minutes.
func Headless(tb testing.TB, args ...string) []byte {
	tb.Helper()
	bin := Chromium(tb)
	profile := tb.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout)
	defer cancel()
	argv := append(append(append([]string(nil), headlessFlags...), "--user-data-dir="+profile), args...)
	cmd := exec.CommandContext(ctx, bin, argv...)
	logPath := filepath.Join(tb.TempDir(), "chromium.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer logFile.Close()
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = logFile
	// Chromium forks a zygote, renderers and utility processes: a process
	// group of its own lets a timeout end all of them.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Run(); err != nil {
		tb.Fatalf("chromium %v: %v\n%s", args, err, logtail.Tail(logPath, 4000))
	}
	return stdout.Bytes()
}

// DumpDOM loads url in headless Chromium and returns the DOM after the page's
// scripts ran, serialised as HTML (--dump-dom).
func DumpDOM(tb testing.TB, url string) string {
	tb.Helper()
	return string(Headless(tb, "--dump-dom", url))
}

// Screenshot loads url in headless Chromium in a window of width×height
// pixels and writes a PNG of it to file.
func Screenshot(tb testing.TB, url, file string, width, height int) {
	tb.Helper()
	Headless(tb, "--screenshot="+file, "--window-size="+strconv.Itoa(width)+","+strconv.Itoa(height), url)
	st, err := os.Stat(file)
	if err != nil {
		tb.Fatalf("chromium wrote no screenshot: %v", err)
	}
	if st.Size() == 0 {
		tb.Fatalf("chromium wrote an empty screenshot %s", file)
	}
}
