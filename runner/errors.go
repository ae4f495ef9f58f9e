package runner

import (
	"errors"
	"fmt"
	"syscall"
)

// Sentinel errors Run wraps so that callers can choose an exit code with
// errors.Is.
var (
	// ErrFailed marks a run in which at least one target failed.
	ErrFailed = errors.New("build failed")
	// ErrInterrupted marks a run whose context was cancelled before every
	// target finished. The error also wraps the context's cause
	// (context.Canceled or context.DeadlineExceeded).
	ErrInterrupted = errors.New("build interrupted")
	// ErrInvalidOptions marks Options that Run refuses, such as a negative
	// job count: the user has to change the command.
	ErrInvalidOptions = errors.New("invalid runner options")
)

// Transient marks err as a transient failure that a retry may fix: a
// registry answering 5xx or 429, a reset connection, a builder that went
// away. Run retries such errors up to Options.Retries times; it never
// retries anything else. Transient(nil) is nil.
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

// IsTransient reports whether err may succeed when retried: some error in
// its chain was marked with Transient, is a connection-level system error
// (reset, aborted, refused, broken pipe, timed out: the builder or registry
// went away) or has a Temporary() method returning true. A *StepError
// anywhere in the chain makes it permanent: a build step that failed fails
// again, so it is never retried.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var step *StepError
	if errors.As(err, &step) {
		return false
	}
	var marked *transientError
	if errors.As(err, &marked) {
		return true
	}
	for _, errno := range connectionErrors {
		if errors.Is(err, errno) {
			return true
		}
	}
	var temp interface{ Temporary() bool }
	return errors.As(err, &temp) && temp.Temporary()
}

// connectionErrors are the system errors of a peer that went away. The
// standard library does not call all of them temporary, but for a build
// client they mean the same thing: the next connection may well work.
var connectionErrors = []error{
	syscall.ECONNRESET, syscall.ECONNABORTED, syscall.ECONNREFUSED, syscall.EPIPE, syscall.ETIMEDOUT,
}

// StepError is a build step that failed. The adapter fills it so that the
// summary and the reports can point at the Dockerfile line and show the
// step's last output lines.
type StepError struct {
	// Step names the failing step as the progress display shows it,
	// e.g. "[api 3/5] RUN make".
	Step string
	// File is the Dockerfile the step comes from; Line is its 1-based line,
	// 0 when unknown.
	File string
	Line int
	// LogTail holds the last lines of the step's output, oldest first.
	LogTail []string
	// Err is the underlying error, e.g. the non-zero exit status.
	Err error
}

// Error says which step failed, where, and why.
func (e *StepError) Error() string {
	msg := "step " + e.Step
	if e.Step == "" {
		msg = "build step"
	}
	if loc := e.Location(); loc != "" {
		msg += " (" + loc + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *StepError) Unwrap() error { return e.Err }

// Location renders File and Line as "file:line", "file" or "".
func (e *StepError) Location() string {
	switch {
	case e.File == "":
		return ""
	case e.Line > 0:
		return fmt.Sprintf("%s:%d", e.File, e.Line)
	default:
		return e.File
	}
}
