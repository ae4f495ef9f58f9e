package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// temporaryError has the Temporary method that net errors have.
type temporaryError struct{ temp bool }

func (e temporaryError) Error() string   { return fmt.Sprintf("temporary=%v", e.temp) }
func (e temporaryError) Temporary() bool { return e.temp }

func TestIsTransient(t *testing.T) {
	plain := errors.New("pull access denied")
	step := &StepError{Step: "RUN make", Err: errors.New("exit code: 2")}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{name: "nil", err: nil, want: false},
		{name: "plain", err: plain, want: false},
		{name: "marked", err: Transient(plain), want: true},
		{name: "marked then wrapped", err: fmt.Errorf("push: %w", Transient(plain)), want: true},
		{name: "in a join", err: errors.Join(plain, Transient(io.ErrUnexpectedEOF)), want: true},
		{name: "step error", err: step, want: false},
		{name: "step error marked transient", err: Transient(step), want: false},
		{name: "transient inside a step error", err: &StepError{Err: Transient(plain)}, want: false},
		{name: "temporary", err: fmt.Errorf("registry: %w", temporaryError{temp: true}), want: true},
		{name: "not temporary", err: temporaryError{temp: false}, want: false},
		{name: "connection reset", err: &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, want: true},
		{name: "connection refused", err: fmt.Errorf("dial builder: %w", syscall.ECONNREFUSED), want: true},
		{name: "broken pipe", err: syscall.EPIPE, want: true},
		{name: "no such file", err: syscall.ENOENT, want: false},
		{name: "context canceled", err: context.Canceled, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsTransient(tc.err); got != tc.want {
				t.Errorf("IsTransient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
	if Transient(nil) != nil {
		t.Error("Transient(nil) != nil")
	}
	if got, want := Transient(plain).Error(), plain.Error(); got != want {
		t.Errorf("Transient keeps the message: got %q, want %q", got, want)
	}
}

func TestStepErrorMessage(t *testing.T) {
	exit := errors.New("exit code: 2")
	for _, tc := range []struct {
		err  *StepError
		want string
	}{
		{err: &StepError{Step: "[api 3/5] RUN make", File: "api/Dockerfile", Line: 12, Err: exit},
			want: "step [api 3/5] RUN make (api/Dockerfile:12): exit code: 2"},
		{err: &StepError{Step: "RUN make", File: "Dockerfile", Err: exit}, want: "step RUN make (Dockerfile): exit code: 2"},
		{err: &StepError{Err: exit}, want: "build step: exit code: 2"},
		{err: &StepError{Step: "COPY . ."}, want: "step COPY . ."},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

// attemptView is an Attempt with the error as text, for cmp.
type attemptView struct {
	Number     int
	Started    time.Duration // since the clock's start
	Duration   time.Duration
	Err        string
	Transient  bool
	RetryAfter time.Duration
}

func TestRunRetries(t *testing.T) {
	transient := Transient(errors.New("registry answered 503"))
	permanent := errors.New("dockerfile parse error")
	step := Transient(&StepError{Step: "RUN flaky", Err: errors.New("exit code: 1")})
	const solveTime = 500 * time.Millisecond
	for _, tc := range []struct {
		name       string
		opts       Options
		errs       []error // per attempt; attempts past the list succeed
		wantStatus Status
		want       []attemptView
		wantSleeps []time.Duration
	}{
		{
			name: "transient twice then success",
			opts: Options{Retries: 3},
			errs: []error{transient, transient},
			want: []attemptView{
				{Number: 1, Started: 0, Duration: solveTime, Err: "registry answered 503", Transient: true, RetryAfter: time.Second},
				{Number: 2, Started: 1500 * time.Millisecond, Duration: solveTime, Err: "registry answered 503", Transient: true, RetryAfter: 2 * time.Second},
				{Number: 3, Started: 4 * time.Second, Duration: solveTime},
			},
			wantStatus: StatusBuilt,
			wantSleeps: []time.Duration{time.Second, 2 * time.Second},
		},
		{
			name:       "permanent error is not retried",
			opts:       Options{Retries: 3},
			errs:       []error{permanent},
			want:       []attemptView{{Number: 1, Duration: solveTime, Err: "dockerfile parse error"}},
			wantStatus: StatusFailed,
		},
		{
			name:       "failing step is not retried even when marked",
			opts:       Options{Retries: 3},
			errs:       []error{step},
			want:       []attemptView{{Number: 1, Duration: solveTime, Err: "step RUN flaky: exit code: 1"}},
			wantStatus: StatusFailed,
		},
		{
			name: "retries exhausted",
			opts: Options{Retries: 2},
			errs: []error{transient, transient, transient, transient},
			want: []attemptView{
				{Number: 1, Started: 0, Duration: solveTime, Err: "registry answered 503", Transient: true, RetryAfter: time.Second},
				{Number: 2, Started: 1500 * time.Millisecond, Duration: solveTime, Err: "registry answered 503", Transient: true, RetryAfter: 2 * time.Second},
				{Number: 3, Started: 4 * time.Second, Duration: solveTime, Err: "registry answered 503", Transient: true},
			},
			wantStatus: StatusFailed,
			wantSleeps: []time.Duration{time.Second, 2 * time.Second},
		},
		{
			name:       "no retries by default",
			errs:       []error{transient},
			want:       []attemptView{{Number: 1, Duration: solveTime, Err: "registry answered 503", Transient: true}},
			wantStatus: StatusFailed,
		},
		{
			name: "backoff capped",
			opts: Options{Retries: 4, RetryDelay: 2 * time.Second, MaxRetryDelay: 5 * time.Second},
			errs: []error{transient, transient, transient, transient},
			want: []attemptView{
				{Number: 1, Started: 0, Duration: solveTime, Err: "registry answered 503", Transient: true, RetryAfter: 2 * time.Second},
				{Number: 2, Started: 2500 * time.Millisecond, Duration: solveTime, Err: "registry answered 503", Transient: true, RetryAfter: 4 * time.Second},
				{Number: 3, Started: 7 * time.Second, Duration: solveTime, Err: "registry answered 503", Transient: true, RetryAfter: 5 * time.Second},
				{Number: 4, Started: 12500 * time.Millisecond, Duration: solveTime, Err: "registry answered 503", Transient: true, RetryAfter: 5 * time.Second},
				{Number: 5, Started: 18 * time.Second, Duration: solveTime},
			},
			wantStatus: StatusBuilt,
			wantSleeps: []time.Duration{2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			start := clock.Now()
			var gotAttempts []int
			solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
				gotAttempts = append(gotAttempts, job.Attempt)
				clock.Advance(solveTime)
				if job.Attempt <= len(tc.errs) {
					return nil, tc.errs[job.Attempt-1]
				}
				return &Result{Total: 1}, nil
			}}
			opts := tc.opts
			opts.Now, opts.Sleep = clock.Now, clock.Sleep
			report, _ := Run(context.Background(), newPlan(t, "app"), solver, opts)
			o := report.Outcomes[0]
			var got []attemptView
			for _, a := range o.Attempts {
				got = append(got, attemptView{
					Number: a.Number, Started: a.Started.Sub(start), Duration: a.Duration,
					Err: errText(a.Err), Transient: a.Transient, RetryAfter: a.RetryAfter,
				})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantSleeps, clock.Sleeps()); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			for k, n := range gotAttempts {
				if n != k+1 {
					t.Errorf("Job.Attempt of call %d = %d, want %d", k+1, n, k+1)
				}
			}
			if o.Status != tc.wantStatus {
				t.Errorf("status = %s, want %s", o.Status, tc.wantStatus)
			}
			last := tc.want[len(tc.want)-1]
			if want := last.Started + last.Duration; o.Duration != want {
				t.Errorf("outcome duration = %s, want %s (first attempt to end of last)", o.Duration, want)
			}
		})
	}
}

// TestRunRetryReleasesSlot: a target waiting out its backoff does not hold
// a slot. With one job, both targets fail once; a backoff lasts until both
// have made their first Solve call, which only a free slot allows.
func TestRunRetryReleasesSlot(t *testing.T) {
	var calls atomic.Int32
	solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
		calls.Add(1)
		if job.Attempt == 1 {
			return nil, Transient(errors.New("429 too many requests"))
		}
		return &Result{}, nil
	}}
	sleep := func(ctx context.Context, d time.Duration) error {
		for deadline := time.Now().Add(5 * time.Second); calls.Load() < 2; {
			if time.Now().After(deadline) {
				return errors.New("the other target never ran during the backoff")
			}
			time.Sleep(time.Millisecond)
		}
		return nil
	}
	report, err := runWithin(t, 20*time.Second, context.Background(), newPlan(t, "one", "two"), solver,
		Options{Jobs: 1, Retries: 1, Sleep: sleep})
	if err != nil {
		t.Fatalf("Run: %v (outcomes %+v)", err, verdicts(report))
	}
	if got := calls.Load(); got != 4 {
		t.Errorf("solve calls = %d, want 4", got)
	}
}

// TestRunCancelDuringBackoff: cancelling while a target waits to retry
// ends it as cancelled without another attempt.
func TestRunCancelDuringBackoff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	solver := &FakeSolver{SolveFunc: func(context.Context, Job) (*Result, error) {
		calls++
		return nil, Transient(errors.New("connection reset by peer"))
	}}
	sleep := func(ctx context.Context, d time.Duration) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	report, err := runWithin(t, 10*time.Second, ctx, newPlan(t, "app"), solver, Options{Retries: 5, Sleep: sleep})
	want := map[string]verdict{"app": {Status: StatusCancelled, Reason: "interrupted", Attempts: 1}}
	if diff := cmp.Diff(want, verdicts(report)); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	if calls != 1 || !errors.Is(err, ErrInterrupted) {
		t.Errorf("calls = %d, err = %v; want 1 call and ErrInterrupted", calls, err)
	}
}
