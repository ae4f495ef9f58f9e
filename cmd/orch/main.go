// Command orch builds many container images from one declarative file. Every
// subcommand turns flags into options, makes one library call and prints the
// result; exit codes are decided here, in exitCode, and nowhere else.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Exit codes, shared by every command.
const (
	exitOK          = 0
	exitFailed      = 1 // a target failed to build, or validate found problems
	exitUsage       = 2 // bad flags, bad arguments or a config error
	exitInterrupted = 130
)

// Sentinel errors that commands wrap to choose an exit code.
var (
	// errUsage marks a usage or configuration error.
	errUsage = errors.New("usage error")
	// errFailed marks a run that completed but found failures.
	errFailed = errors.New("failed")
	// errInterrupted marks a run stopped by SIGINT or SIGTERM.
	errInterrupted = errors.New("interrupted")
)

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// run executes the app with args and returns the process exit code. Tests
// call it directly.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signalContext(context.Background(), stderr)
	defer stop()
	app := newApp(stdout, stderr)
	err := app.RunContext(ctx, args)
	if err != nil && !errors.Is(err, errReported) {
		fmt.Fprintf(stderr, "orch: %v\n", err)
	}
	return exitCode(ctx, err)
}

// errReported wraps an error whose details a command already printed, so
// run does not print it again.
var errReported = errors.New("reported")

// exitCode maps an error returned by a command to the process exit code.
func exitCode(ctx context.Context, err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errInterrupted), ctx.Err() != nil:
		return exitInterrupted
	case errors.Is(err, errFailed):
		return exitFailed
	default:
		// Flag parsing errors from urfave/cli and config errors alike are
		// usage errors: the user has to change the command or the file.
		return exitUsage
	}
}

// signalContext returns a context cancelled on the first SIGINT or SIGTERM.
// A second signal exits at once with exitInterrupted.
func signalContext(parent context.Context, stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "orch: interrupted, cancelling (press Ctrl-C again to exit now)")
		cancel()
		select {
		case <-sigs:
			os.Exit(exitInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

// newApp builds the command tree. Each command lives in a file of its own.
func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:  "orch",
		Usage: "build many container images from one declarative file, straight on BuildKit",
		Description: "orch reads orch.hcl (or an existing docker-bake.hcl), plans a dependency graph\n" +
			"of the selected targets and runs parallel BuildKit solves that write each result\n" +
			"to OCI image layouts, registries and the other destinations BuildKit supports.",
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		// Errors are printed once, by run.
		ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{
			versionCommand(),
			printCommand(),
			buildCommand(),
			builderCommand(),
			lsCommand(),
			validateCommand(),
			schemaCommand(),
			planCommand(),
			graphCommand(),
		},
	}
}
