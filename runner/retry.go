package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"syscall"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// This file is orch's one retry policy: which failures are worth another
// try (IsTransient) and when to try again (RetryPolicy). Run applies it to
// every Solve; whatever else orch retries (the adapter moving a tag, a
// destination talking to a registry) goes through RetryPolicy.Do, so that
// --retries and its backoff mean one thing everywhere. Errors are told
// apart by their type and code, never by their message: a message changes
// with a library's version, a code does not.

// Transient marks err as a transient failure that a retry may fix, for an
// error IsTransient would not recognise by its type (a builder that
// answered in a way only the adapter understands). Transient(nil) is nil.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &transientError{err: err}
}

// transientError carries the transient mark through wrapping.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// HTTPStatusError is an HTTP answer that made an operation fail, such as a
// registry refusing a push with 503. The adapter and the destinations wrap
// a server's answer in it (or in any error with an HTTPStatus() int method)
// so that IsTransient can tell "try again" (503, 429) from "never" (401,
// 404) by the status code rather than by the message.
type HTTPStatusError struct {
	// Status is the HTTP status code, e.g. 503.
	Status int
	// Err is the underlying error; its message is this error's message.
	// When nil, the message is the status and its standard text.
	Err error
}

// Error returns Err's message, or e.g. "HTTP 503 Service Unavailable".
func (e HTTPStatusError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	return e.Err.Error()
}

// Unwrap returns Err.
func (e HTTPStatusError) Unwrap() error { return e.Err }

// HTTPStatus returns Status; IsTransient looks for this method.
func (e HTTPStatusError) HTTPStatus() int { return e.Status }

// IsTransient reports whether err may succeed when the same operation is
// tried again. It is the only such check in orch. An error is transient
// when some error in its chain (following Unwrap, errors.Join included):
//
//   - was marked with Transient;
//   - is a system error of a peer that went away or never answered:
//     connection refused, reset or aborted, broken pipe, timed out;
//   - is io.EOF or io.ErrUnexpectedEOF inside a network operation
//     (*net.OpError, or *url.Error from an HTTP request): the connection
//     closed mid-stream. A bare EOF, e.g. from a truncated file, is not;
//   - says so itself through a Timeout() or Temporary() method returning
//     true, as net errors and the standard library's deadline errors do;
//   - carries gRPC status code Unavailable (through a GRPCStatus() method):
//     the builder is down, restarting or unreachable;
//   - carries an HTTP status (through an HTTPStatus() int method, see
//     HTTPStatusError) of 408 Request Timeout, 429 Too Many Requests or
//     5xx, except 501 and 505, with which a server says it will never
//     handle the request.
//
// A *StepError anywhere in the chain makes err permanent whatever else it
// wraps: a build step that failed fails again, so it is never retried. nil
// is not transient.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var step *StepError
	if errors.As(err, &step) {
		return false
	}
	return anyInChain(err, transientLink)
}

// transientLink applies IsTransient's rules to one error of a chain.
func transientLink(err error) bool {
	if _, ok := err.(*transientError); ok {
		return true
	}
	if errno, ok := err.(syscall.Errno); ok && slices.Contains(connectionErrors, errno) {
		return true
	}
	switch err.(type) {
	case *net.OpError, *url.Error:
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return true
		}
	}
	if e, ok := err.(interface{ Timeout() bool }); ok && e.Timeout() {
		return true
	}
	if e, ok := err.(interface{ Temporary() bool }); ok && e.Temporary() {
		return true
	}
	if e, ok := err.(interface{ GRPCStatus() *status.Status }); ok && e.GRPCStatus().Code() == codes.Unavailable {
		return true
	}
	if e, ok := err.(interface{ HTTPStatus() int }); ok && transientHTTPStatus(e.HTTPStatus()) {
		return true
	}
	return false
}

// connectionErrors are the system errors of a peer that went away. The
// standard library does not call all of them temporary, but for a build
// client they mean the same thing: the next connection may well work.
var connectionErrors = []syscall.Errno{
	syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE, syscall.ETIMEDOUT,
}

// transientHTTPStatus is IsTransient's rule for an HTTP status code.
func transientHTTPStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests:
		return true
	case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported:
		return false
	}
	return code >= 500 && code <= 599
}

// anyInChain reports whether match holds for err or for any error it
// wraps, following both Unwrap() error and Unwrap() []error. errors.As
// would stop at the first error of a type; a chain can hold two errors
// with a GRPCStatus method, the outer one not Unavailable.
func anyInChain(err error, match func(error) bool) bool {
	for err != nil {
		if match(err) {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			return slices.ContainsFunc(u.Unwrap(), func(e error) bool { return anyInChain(e, match) })
		default:
			return false
		}
	}
	return false
}

// RetryPolicy says how often, and after which waits, an operation that
// failed with a transient error (IsTransient) is tried again. Run applies
// the policy of its Options (Options.RetryPolicy) to every Solve; code that
// retries anything else calls Do with the same policy.
type RetryPolicy struct {
	// Retries is how many times an operation is tried again after its
	// first attempt; 0 (or less) never retries.
	Retries int
	// Delay is the wait before the first retry, doubled for each later one
	// up to MaxDelay. Zero values select DefaultRetryDelay and
	// DefaultMaxRetryDelay (or Delay, when that is longer).
	Delay, MaxDelay time.Duration
	// Sleep waits for d, returning ctx.Err() early when ctx is cancelled;
	// nil selects the real clock. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnRetry, when set, is told by Do of every retry before its wait:
	// the attempt that failed (1-based), the wait and the error, so a
	// caller can log what it retries without deciding it a second time.
	OnRetry func(attempt int, wait time.Duration, err error)
}

// withDefaults fills p's zero fields.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Delay <= 0 {
		p.Delay = DefaultRetryDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = max(DefaultMaxRetryDelay, p.Delay)
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	return p
}

// Backoff is the wait after the given failed attempt (1-based): Delay
// doubled for every earlier retry, capped at MaxDelay.
func (p RetryPolicy) Backoff(attempt int) time.Duration {
	p = p.withDefaults()
	d := min(p.Delay, p.MaxDelay)
	for range attempt - 1 {
		d = min(2*d, p.MaxDelay) // capped every time: no overflow
	}
	return d
}

// next decides what follows a failed attempt (1-based): whether to try
// again and after how long. It is the policy's one decision, shared by Run
// and Do.
func (p RetryPolicy) next(attempt int, transient bool) (time.Duration, bool) {
	if !transient || attempt > p.Retries {
		return 0, false
	}
	return p.Backoff(attempt), true
}

// Do calls fn with attempt numbers from 1 until it succeeds, fails with an
// error that is not transient, has been retried p.Retries times, or ctx is
// done, waiting p.Backoff between attempts (after telling p.OnRetry). It returns fn's last error
// (nil on success); a cancelled wait returns the error of the attempt
// before it, which is what the caller has to report.
func (p RetryPolicy) Do(ctx context.Context, fn func(ctx context.Context, attempt int) error) error {
	p = p.withDefaults()
	for attempt := 1; ; attempt++ {
		err := fn(ctx, attempt)
		if err == nil || ctx.Err() != nil {
			return err
		}
		wait, again := p.next(attempt, IsTransient(err))
		if !again {
			return err
		}
		if p.OnRetry != nil {
			p.OnRetry(attempt, wait, err)
		}
		if p.Sleep(ctx, wait) != nil {
			return err
		}
	}
}

// sleep waits for d or until ctx is cancelled.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
