package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRunLogDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs", "nested")
	plan := newPlan(t, "api", "web/v2: api")
	solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
		if job.Node.Name == "api" {
			for i := 1; i <= 12; i++ {
				fmt.Fprintf(job.Log, "#5 step line %d\r\n", i)
			}
			fmt.Fprint(job.Log, "#5 ERROR: exit code 2")
			return nil, &StepError{Step: "RUN make", Err: errors.New("exit code: 2")}
		}
		return &Result{}, nil
	}}
	clock := newFakeClock()
	report, err := Run(context.Background(), plan, solver, Options{LogDir: dir, Now: clock.Now})
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("Run: %v, want ErrFailed", err)
	}
	api, web := report.Outcomes[0], report.Outcomes[1]
	if want := filepath.Join(dir, "api.log"); api.LogFile != want {
		t.Errorf("api log file = %q, want %q", api.LogFile, want)
	}
	if want := filepath.Join(dir, "web_v2.log"); web.LogFile != want {
		t.Errorf("web/v2 log file = %q, want %q", web.LogFile, want)
	}
	if len(report.Warnings) != 0 {
		t.Errorf("warnings = %q, want none", report.Warnings)
	}
	var wantTail []string
	for i := 4; i <= 12; i++ {
		wantTail = append(wantTail, fmt.Sprintf("#5 step line %d", i))
	}
	wantTail = append(wantTail, "#5 ERROR: exit code 2")
	if diff := cmp.Diff(wantTail, api.LogTail); diff != "" {
		t.Errorf("api log tail (-want +got):\n%s", diff)
	}

	got, err := os.ReadFile(api.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	want.WriteString("orch: attempt 1 started\n")
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&want, "#5 step line %d\r\n", i)
	}
	want.WriteString("#5 ERROR: exit code 2orch: attempt 1 failed: step RUN make: exit code: 2\n" +
		"orch: failed after 0s: step RUN make: exit code: 2\n")
	if diff := cmp.Diff(want.String(), string(got)); diff != "" {
		t.Errorf("api.log (-want +got):\n%s", diff)
	}
	got, err = os.ReadFile(web.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := "orch: skipped: dependency api failed\n"; string(got) != want {
		t.Errorf("web_v2.log = %q, want %q", got, want)
	}
}

func TestRunLogDirErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), newPlan(t, "a"), &FakeSolver{}, Options{LogDir: filepath.Join(file, "logs")})
	want := fmt.Sprintf("create log directory: mkdir %s: not a directory", file)
	if got := errText(err); got != want {
		t.Errorf("error = %q, want %q", got, want)
	}

	// A log file that cannot be created is a warning, not a failure.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "a.log"), 0o755); err != nil {
		t.Fatal(err)
	}
	report, err := Run(context.Background(), newPlan(t, "a"), &FakeSolver{}, Options{LogDir: dir})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	wantWarn := []string{fmt.Sprintf("target a: create log file: open %s: is a directory", filepath.Join(dir, "a.log"))}
	if diff := cmp.Diff(wantWarn, report.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestLogFileName(t *testing.T) {
	for name, want := range map[string]string{
		"api":         "api.log",
		"app-1.2_x":   "app-1.2_x.log",
		"../../etc":   ".._.._etc.log",
		"..":          "_...log",
		"":            "_.log",
		"db:postgres": "db_postgres.log",
		"ünï":         "_n_.log",
	} {
		if got := logFileName(name); got != want {
			t.Errorf("logFileName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestNodeLogTail(t *testing.T) {
	l, err := openNodeLog("", "x")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(l, "one\ntw")
	fmt.Fprint(l, "o\n\nthree")
	l.Write([]byte(strings.Repeat("y", 2*maxLineSize)))
	l.Write([]byte("z")) // the line is full already
	tail, err := l.close()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"one", "two", "", "three" + strings.Repeat("y", maxLineSize-len("three"))}
	if diff := cmp.Diff(want, tail); diff != "" {
		t.Errorf("tail (-want +got):\n%s", diff)
	}
	// Writes after close are dropped and do not touch the returned tail.
	fmt.Fprint(l, "late\n")
	if diff := cmp.Diff(want, tail); diff != "" {
		t.Errorf("tail after a late write (-want +got):\n%s", diff)
	}
}

// TestNodeLogWriteError: a log file that fails to take writes (a full
// disk) never fails the solve; the first error is kept for a warning. A
// file opened read-only fails every write on every system; Linux's
// /dev/full fails them the way a full disk does, and is always there.
func TestNodeLogWriteError(t *testing.T) {
	readOnly := filepath.Join(t.TempDir(), "a.log")
	if err := os.WriteFile(readOnly, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	type logCase struct {
		name string
		open func() (*os.File, error)
		want string
	}
	cases := []logCase{{
		name: "read-only file",
		open: func() (*os.File, error) { return os.Open(readOnly) },
		want: "write log file logs/a.log: write " + readOnly + ": bad file descriptor",
	}}
	if runtime.GOOS == "linux" {
		cases = append(cases, logCase{
			name: "full disk",
			open: func() (*os.File, error) { return os.OpenFile("/dev/full", os.O_WRONLY, 0) },
			want: "write log file logs/a.log: write /dev/full: no space left on device",
		})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.open()
			if err != nil {
				t.Fatal(err)
			}
			l := &nodeLog{file: f, path: "logs/a.log"}
			for range 2 {
				if n, err := fmt.Fprint(l, "line\n"); n != 5 || err != nil {
					t.Errorf("Write = %d, %v; want 5, nil", n, err)
				}
			}
			l.note("attempt %d started", 1)
			tail, err := l.close()
			if got := errText(err); got != tc.want {
				t.Errorf("error = %q, want %q (the first error only)", got, tc.want)
			}
			if diff := cmp.Diff([]string{"line", "line"}, tail); diff != "" {
				t.Errorf("tail (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNodeLogCloseError: a file that fails to close is reported, unless an
// earlier write error was: the first error is the one worth reading.
func TestNodeLogCloseError(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writes bool
		want   string
	}{
		{name: "close fails", want: "close log file logs/a.log: close %s: file already closed"},
		{name: "write failed first", writes: true, want: "write log file logs/a.log: write %s: file already closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.log")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			f.Close() // every later write and close fails
			l := &nodeLog{file: f, path: "logs/a.log"}
			if tc.writes {
				fmt.Fprint(l, "line\n")
			}
			if _, err := l.close(); errText(err) != fmt.Sprintf(tc.want, path) {
				t.Errorf("error = %q, want %q", errText(err), fmt.Sprintf(tc.want, path))
			}
		})
	}
}
