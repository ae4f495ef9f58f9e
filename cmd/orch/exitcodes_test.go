package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/orch-build/orch/internal/testbed"
)

// exitCases are the clauses of README's exit codes paragraph, each with
// a command line that falls under it and a piece of what orch then prints
// on standard error, which shows the code comes from that clause. run
// returns the exit code and standard error.
var exitCases = []struct {
	code   int
	clause string
	stderr string
	run    func(t *testing.T) (int, string)
}{
	{exitOK, "everything built", "1 target: 1 built", func(t *testing.T) (int, string) {
		p := newBuildProject(t, layoutHCL)
		return runOrch(p.args("app", "--progress", "quiet")...)
	}},
	{exitOK, "the command succeeded", "", func(t *testing.T) (int, string) {
		return runOrch("validate", "-f", writeFile(t, `target "app" { dockerfile-inline = "FROM scratch" }`))
	}},
	{exitFailed, "a target failed", "1 target: 1 failed", func(t *testing.T) (int, string) {
		p := newBuildProject(t, `
variable "BUSYBOX" {}
target "bad" {
  contexts = { busybox = BUSYBOX }
  no-cache = true
  args     = { CMD = "exit 3" }
}`)
		return runOrch(p.args("bad", "--progress", "quiet")...)
	}},
	{exitFailed, "the builder could not be reached", "does not answer", func(t *testing.T) (int, string) {
		return runOrch("build", "-f", writeFile(t, `target "app" { dockerfile-inline = "FROM scratch" }`), "--builder", "unix:///nonexistent/buildkitd.sock", "app")
	}},
	{exitFailed, "a report file could not be written", "orch: --report: write ", func(t *testing.T) (int, string) {
		p := newBuildProject(t, layoutHCL)
		if err := os.MkdirAll(p.path("report.json/in-the-way"), 0o755); err != nil {
			t.Fatal(err)
		}
		return runOrch(p.args("app", "--progress", "quiet", "--report", p.path("report.json"))...)
	}},
	{exitFailed, "`--call check` found warnings", "the called method reported problems: check of app", func(t *testing.T) (int, string) {
		code, _, stderr, _ := callRun(t, testbed.StartBuildKit(t), "--call", "check", "app")
		return code, stderr
	}},
	{exitUsage, "an unknown flag", "unknown flag --colour", func(t *testing.T) (int, string) {
		return runOrch("build", "--colour")
	}},
	{exitUsage, "a bad flag value", `--retries "many": want a whole number`, func(t *testing.T) (int, string) {
		return runOrch("build", "-f", writeFile(t, `target "app" {}`), "--retries", "many", "app")
	}},
	{exitUsage, "a `--builder` that is not a URL", `"localhost"`, func(t *testing.T) (int, string) {
		return runOrch("build", "-f", writeFile(t, `target "app" { dockerfile-inline = "FROM scratch" }`), "--builder", "localhost", "app")
	}},
	{exitUsage, "an error in the files", "orch.hcl:1:14: error: Unclosed configuration block", func(t *testing.T) (int, string) {
		return runOrch("build", "-f", writeFile(t, `target "app" {`), "app")
	}},
	{exitUsage, "in any selected target", `network "bridge": want default, none or host`, func(t *testing.T) (int, string) {
		return runOrch("build", "-f", writeFile(t, `target "app" {
  dockerfile-inline = "FROM scratch"
  network           = "bridge"
}`), "--builder", "unix:///nonexistent/buildkitd.sock", "app")
	}},
	{exitUsage, "an entitlement not granted", "Entitlement not granted", func(t *testing.T) (int, string) {
		return runOrch("build", "-f", writeFile(t, `target "app" {
  dockerfile-inline = "FROM scratch"
  network           = "host"
}`), "--builder", "unix:///nonexistent/buildkitd.sock", "app")
	}},
	{exitUsage, "no image store for `--load`", "no local image store (containerd or Podman) is reachable", func(t *testing.T) (int, string) {
		dir := t.TempDir()
		t.Setenv("CONTAINERD_ADDRESS", filepath.Join(dir, "containerd.sock"))
		t.Setenv("CONTAINER_HOST", "unix://"+filepath.Join(dir, "podman.sock"))
		return runOrch("build", "-f", writeFile(t, `target "app" { dockerfile-inline = "FROM scratch" }`), "--load", "--builder", "unix:///nonexistent/buildkitd.sock", "app")
	}},
	{exitUsage, "an option not supported yet", "orch does not evaluate source policies yet", func(t *testing.T) (int, string) {
		return runOrch("build", "-f", writeFile(t, `target "app" { dockerfile-inline = "FROM scratch" }`), "--policy", "strict=true", "--builder", "unix:///nonexistent/buildkitd.sock", "app")
	}},
	{exitInterrupted, "interrupted", "1 target: 1 cancelled", func(t *testing.T) (int, string) {
		// A real SIGINT to an `orch build` process whose RUN step runs.
		code, stderr, _ := runInterrupted(t, newBuildProject(t, longGraph), false)
		return code, stderr
	}},
}

// runOrch runs orch with args in this process.
func runOrch(args ...string) (int, string) {
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"orch"}, args...), &stdout, &stderr)
	return code, stderr.String()
}

// writeFile writes a definition file into a temporary directory.
func writeFile(t *testing.T, hcl string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "orch.hcl")
	if err := os.WriteFile(path, []byte(hcl+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestExitCodes runs a command line for each clause of README's exit
// codes and checks the code it ends with.
func TestExitCodes(t *testing.T) {
	for _, tt := range exitCases {
		t.Run(strconv.Itoa(tt.code)+" "+tt.clause, func(t *testing.T) {
			code, stderr := tt.run(t)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("standard error lacks %q:\n%s", tt.stderr, stderr)
			}
		})
	}
}

// TestExitCodesAreTheREADMEs: the codes and clauses of exitCases are
// those of README's paragraph "Exit codes: 0 ...; 1 ...; ...", so a code
// or a clause added there needs a case here.
func TestExitCodesAreTheREADMEs(t *testing.T) {
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)Exit codes: (.*?)\.\n`).FindSubmatch(readme)
	if m == nil {
		t.Fatal(`README.md has no paragraph "Exit codes: ..."`)
	}
	text := strings.Join(strings.Fields(string(m[1])), " ")
	var readmeCodes, caseCodes []int
	for _, part := range strings.Split(text, "; ") {
		num, clauses, _ := strings.Cut(part, " ")
		code, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("README exit codes: %q does not start with a code", part)
		}
		readmeCodes = append(readmeCodes, code)
		for _, tt := range exitCases {
			if tt.code == code && !strings.Contains(clauses, tt.clause) {
				t.Errorf("exitCases: %d %q is not in README's clauses for %d: %q", code, tt.clause, code, clauses)
			}
		}
	}
	for _, tt := range exitCases {
		if !slices.Contains(caseCodes, tt.code) {
			caseCodes = append(caseCodes, tt.code)
		}
	}
	if !slices.Equal(readmeCodes, caseCodes) {
		t.Errorf("README's exit codes %v, exitCases has %v", readmeCodes, caseCodes)
	}
	if want := []int{exitOK, exitFailed, exitUsage, exitInterrupted}; !slices.Equal(readmeCodes, want) {
		t.Errorf("README's exit codes %v, main.go's %v", readmeCodes, want)
	}
}
