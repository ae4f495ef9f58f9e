package runner

import (
	"errors"
	"fmt"
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
