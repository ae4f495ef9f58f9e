package testbed

import (
	"bytes"
	"context"
	"encoding/json"
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

// DumpDOMRequests is DumpDOM that also returns the URL of every network
// request the page made, from Chromium's own network log (--log-net-log):
// each request job whose initiator is a document, which leaves out the
// browser's background traffic (its initiator is "not an origin"). A page
// that loads nothing from the network gives none.
func DumpDOMRequests(tb testing.TB, url string) (string, []string) {
	tb.Helper()
	netlog := filepath.Join(tb.TempDir(), "netlog.json")
	dom := string(Headless(tb, "--log-net-log="+netlog, "--dump-dom", url))
	raw, err := os.ReadFile(netlog)
	if err != nil {
		tb.Fatalf("chromium wrote no network log: %v", err)
	}
	var log struct {
		Constants struct {
			LogEventTypes map[string]int `json:"logEventTypes"`
		} `json:"constants"`
		Events []struct {
			Type   int `json:"type"`
			Params struct {
				URL       string `json:"url"`
				Initiator string `json:"initiator"`
			} `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal(raw, &log); err != nil {
		tb.Fatalf("chromium's network log: %v", err)
	}
	start, ok := log.Constants.LogEventTypes["URL_REQUEST_START_JOB"]
	if !ok {
		tb.Fatal("chromium's network log names no URL_REQUEST_START_JOB events")
	}
	var requests []string
	for _, e := range log.Events {
		if e.Type == start && e.Params.URL != "" && e.Params.Initiator != "not an origin" {
			requests = append(requests, e.Params.URL)
		}
	}
	return dom, requests
}
