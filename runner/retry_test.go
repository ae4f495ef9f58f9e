package runner

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

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
// have made their first Solve call, which only a free slot allows. In a
// synctest bubble, a backoff that held the slot deadlocks at once: the
// bubble's clock jumps to runWithin's limit.
func TestRunRetryReleasesSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		bothCalled := make(chan struct{})
		solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
			if calls.Add(1) == 2 {
				close(bothCalled)
			}
			if job.Attempt == 1 {
				return nil, Transient(errors.New("429 too many requests"))
			}
			return &Result{}, nil
		}}
		sleep := func(ctx context.Context, d time.Duration) error {
			select {
			case <-bothCalled:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		report, err := runWithin(t, 20*time.Second, context.Background(), newPlan(t, "one", "two"), solver,
			Options{Jobs: 1, Retries: 1, Sleep: sleep})
		if err != nil {
			t.Fatalf("Run: %v (outcomes %+v)", err, verdicts(report))
		}
		if got := calls.Load(); got != 4 {
			t.Errorf("solve calls = %d, want 4", got)
		}
	})
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
	if got := errText(report.Outcomes[0].Err); got != "connection reset by peer" {
		t.Errorf("outcome error = %q, want the last attempt's", got)
	}
}

func TestRetryPolicyBackoff(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy RetryPolicy
		want   []time.Duration // after attempts 1, 2, ...
	}{
		{name: "defaults", policy: RetryPolicy{},
			want: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}},
		{name: "capped", policy: RetryPolicy{Delay: 2 * time.Second, MaxDelay: 5 * time.Second},
			want: []time.Duration{2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}},
		{name: "cap at a power of two", policy: RetryPolicy{Delay: time.Second, MaxDelay: 4 * time.Second},
			want: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}},
		{name: "delay above the default cap", policy: RetryPolicy{Delay: 40 * time.Second},
			want: []time.Duration{40 * time.Second, 40 * time.Second}},
		{name: "delay above its cap", policy: RetryPolicy{Delay: 10 * time.Second, MaxDelay: 3 * time.Second},
			want: []time.Duration{3 * time.Second, 3 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []time.Duration
			for attempt := 1; attempt <= len(tc.want); attempt++ {
				got = append(got, tc.policy.Backoff(attempt))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Backoff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOptionsRetryPolicy(t *testing.T) {
	sleep := func(context.Context, time.Duration) error { return nil }
	opts := Options{Retries: 3, RetryDelay: 2 * time.Second, MaxRetryDelay: 9 * time.Second, Sleep: sleep}
	p := opts.RetryPolicy()
	if p.Retries != 3 || p.Delay != 2*time.Second || p.MaxDelay != 9*time.Second || p.Sleep == nil {
		t.Errorf("RetryPolicy() = %+v, want the options' retries, delays and sleep", p)
	}
	filled, err := Options{Retries: 1}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if filled.RetryDelay != DefaultRetryDelay || filled.MaxRetryDelay != DefaultMaxRetryDelay || filled.Sleep == nil || filled.Now == nil {
		t.Errorf("defaults: delay %s, max %s, sleep set %v, now set %v; want %s, %s, true, true",
			filled.RetryDelay, filled.MaxRetryDelay, filled.Sleep != nil, filled.Now != nil, DefaultRetryDelay, DefaultMaxRetryDelay)
	}
}

func TestRetryPolicyDo(t *testing.T) {
	transient := func(attempt int) error { return Transient(fmt.Errorf("attempt %d: 503", attempt)) }
	permanent := errors.New("manifest unknown")
	for _, tc := range []struct {
		name       string
		retries    int
		errs       []error // per attempt; attempts past the list succeed
		wantCalls  int
		wantErr    string
		wantSleeps []time.Duration
	}{
		{name: "first try", retries: 3, wantCalls: 1},
		{name: "transient twice", retries: 3, errs: []error{transient(1), transient(2)}, wantCalls: 3,
			wantSleeps: []time.Duration{time.Second, 2 * time.Second}},
		{name: "permanent", retries: 3, errs: []error{permanent}, wantCalls: 1, wantErr: "manifest unknown"},
		{name: "transient then permanent", retries: 3, errs: []error{transient(1), permanent}, wantCalls: 2,
			wantErr: "manifest unknown", wantSleeps: []time.Duration{time.Second}},
		{name: "exhausted", retries: 2, errs: []error{transient(1), transient(2), transient(3), transient(4)}, wantCalls: 3,
			wantErr: "attempt 3: 503", wantSleeps: []time.Duration{time.Second, 2 * time.Second}},
		{name: "no retries", errs: []error{transient(1)}, wantCalls: 1, wantErr: "attempt 1: 503"},
		{name: "a step is never retried", retries: 3, errs: []error{Transient(&StepError{Step: "RUN x"})}, wantCalls: 1,
			wantErr: "step RUN x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			var attempts []int
			// OnRetry hears of every retry, with the wait that follows
			// and the failed attempt's error, before the wait.
			var told []time.Duration
			onRetry := func(attempt int, wait time.Duration, err error) {
				if attempt != len(attempts) || err != tc.errs[attempt-1] || len(clock.Sleeps()) != len(told) {
					t.Errorf("OnRetry(%d, %s, %v) after %d attempts and %d waits", attempt, wait, err, len(attempts), len(clock.Sleeps()))
				}
				told = append(told, wait)
			}
			err := RetryPolicy{Retries: tc.retries, Sleep: clock.Sleep, OnRetry: onRetry}.Do(context.Background(), func(ctx context.Context, attempt int) error {
				attempts = append(attempts, attempt)
				if attempt <= len(tc.errs) {
					return tc.errs[attempt-1]
				}
				return nil
			})
			if got := errText(err); got != tc.wantErr {
				t.Errorf("error = %q, want %q", got, tc.wantErr)
			}
			if len(attempts) != tc.wantCalls {
				t.Errorf("fn called %d times, want %d", len(attempts), tc.wantCalls)
			}
			for k, n := range attempts {
				if n != k+1 {
					t.Errorf("call %d got attempt %d", k+1, n)
				}
			}
			if diff := cmp.Diff(tc.wantSleeps, clock.Sleeps()); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantSleeps, told); diff != "" {
				t.Errorf("OnRetry waits (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRetryPolicyDoCancelled: a cancelled context ends Do without another
// attempt, returning the last attempt's error.
func TestRetryPolicyDoCancelled(t *testing.T) {
	t.Run("during the wait", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls := 0
		sleep := func(ctx context.Context, d time.Duration) error {
			cancel()
			return ctx.Err()
		}
		err := RetryPolicy{Retries: 5, Sleep: sleep}.Do(ctx, func(context.Context, int) error {
			calls++
			return Transient(errors.New("connection reset"))
		})
		if calls != 1 || errText(err) != "connection reset" {
			t.Errorf("calls = %d, err = %v; want 1 call and the attempt's error", calls, err)
		}
	})
	t.Run("by the attempt", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls, slept := 0, false
		sleep := func(context.Context, time.Duration) error { slept = true; return nil }
		err := RetryPolicy{Retries: 5, Sleep: sleep}.Do(ctx, func(ctx context.Context, _ int) error {
			calls++
			cancel()
			return Transient(ctx.Err())
		})
		if calls != 1 || slept || !errors.Is(err, context.Canceled) {
			t.Errorf("calls = %d, slept = %v, err = %v; want 1 call, no wait, context.Canceled", calls, slept, err)
		}
	})
}

// TestSleep: the real clock's wait returns early, with the context's
// error, once ctx is done, so a cancelled run does not wait out a backoff.
func TestSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleep on a cancelled context = %v, want context.Canceled", err)
	}
	if err := sleep(context.Background(), time.Nanosecond); err != nil {
		t.Errorf("sleep(1ns) = %v, want nil", err)
	}
}
