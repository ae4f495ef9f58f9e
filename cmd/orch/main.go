// Command orch builds many container images from one declarative file. Every
// subcommand turns flags into options, makes one library call (mostly to
// runner/build) and prints the result; exit codes are decided here, in
// exitCode, and nowhere else.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/build"
	"github.com/orch-build/orch/runner/buildkit"
)

// Exit codes, shared by every command (README.md, "Using orch").
const (
	exitOK          = 0
	exitFailed      = 1 // a target failed, the builder could not be reached, a report was not written
	exitUsage       = 2 // bad flags or arguments, or a configuration error
	exitInterrupted = 130
)

// usageError is a mistake in the command line: exit 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// reportedError wraps an error whose details a command has already
// printed (diagnostics, the summary), so run does not print it again; the
// exit code still comes from what it wraps.
type reportedError struct{ err error }

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// run executes the app with args and returns the process exit code. Tests
// call it directly, or runWith with a library of their own.
func run(args []string, stdout, stderr io.Writer) int {
	return runWith(args, stdout, stderr, defaultLibrary)
}

// library is what the commands call: runner/build's entry points. Tests
// replace it to see the options a command line turns into.
type library struct {
	load  func(build.Options) (*build.Checked, error)
	check func(build.Options) (*build.Checked, error)
	plan  func(context.Context, build.Options) (*build.Checked, error)
	run   func(context.Context, build.Options) (*build.Result, error)
}

var defaultLibrary = library{load: build.Load, check: build.Check, plan: build.Plan, run: build.Run}

func runWith(args []string, stdout, stderr io.Writer, lib library) int {
	ctx, stop := signalContext(context.Background(), stderr)
	defer stop()
	debug := hasDebugFlag(args)
	a := &app{stdout: stdout, stderr: stderr, lib: lib, debug: debug}
	if !debug {
		// The CLI decides about process-wide state: BuildKit's client code
		// logs through global loggers, which orch's own output replaces.
		buildkit.QuietLogs()
	}
	root := a.command(args)
	err := root.RunContext(ctx, orderArgs(root, globalFlags(), args))
	var reported *reportedError
	if err != nil && !errors.As(err, &reported) {
		writeError(stderr, err, debug)
	}
	return exitCode(ctx, err)
}

// hasDebugFlag reports whether -D or --debug comes before any "--". It is
// read before the flags are parsed so that loggers stay on for parsing too.
func hasDebugFlag(args []string) bool {
	for _, a := range args[1:] {
		switch a {
		case "--":
			return false
		case "-D", "--debug", "-debug", "--debug=true", "-D=true":
			return true
		}
	}
	return false
}

// writeError prints err, one line per joined error; with debug, each one
// is followed by its chain of wrapped errors and their Go types.
func writeError(w io.Writer, err error, debug bool) {
	for _, e := range flatten(err) {
		fmt.Fprintf(w, "orch: %v\n", e)
		if debug {
			writeChain(w, e, "  ")
		}
	}
}

// flatten splits joined errors into their parts, depth first.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// writeChain prints the errors err wraps, with their types: what -D adds.
func writeChain(w io.Writer, err error, indent string) {
	for e := err; e != nil; {
		fmt.Fprintf(w, "%s%T: %v\n", indent, e, e)
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				writeChain(w, inner, indent+"  ")
			}
			return
		case interface{ Unwrap() error }:
			e = u.Unwrap()
		default:
			return
		}
	}
}

// exitCode maps an error returned by a command to the process exit code.
func exitCode(ctx context.Context, err error) int {
	var usage *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, runner.ErrInterrupted), ctx.Err() != nil:
		return exitInterrupted
	case errors.As(err, &usage), errors.Is(err, build.ErrConfig),
		errors.Is(err, build.ErrInvalidOptions), errors.Is(err, build.ErrNotSupported):
		return exitUsage
	default:
		// A failed target, an unreachable builder, a report not written:
		// the command was right, the run was not.
		return exitFailed
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

// app holds what every command writes to and calls.
type app struct {
	stdout, stderr io.Writer
	lib            library
	// debug is -D: errors are printed with their chains.
	debug bool
}

// globalFlags are the root's flags that every command accepts too, before
// or after its name (orch build app -D); the help of each command lists
// them. --version is the root's alone.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		boolFlag("debug", "print each error's chain of causes and keep BuildKit's own log messages", "D"),
	}
}

// command builds the command tree for args (the process arguments, which
// the usage error handler reads). Each command lives in a file of its own.
func (a *app) command(args []string) *cli.App {
	global := globalFlags()
	root := &cli.App{
		Name:  "orch",
		Usage: "build many container images from one declarative file, straight on BuildKit",
		Description: "orch reads orch.hcl (or an existing docker-bake.hcl), plans a dependency graph\n" +
			"of the selected targets and runs parallel BuildKit solves that write each result\n" +
			"to OCI image layouts, registries and the other destinations BuildKit supports.\n" +
			"Flags may come before or after target names. Exit codes: 0 success, 1 a target\n" +
			"failed (or the builder could not be reached), 2 a usage or configuration error,\n" +
			"130 interrupted.",
		Writer:                a.stdout,
		ErrWriter:             a.stderr,
		HideHelpCommand:       true,
		HideVersion:           true,
		CustomAppHelpTemplate: rootHelpTemplate,
		// v2 would end the process itself for some errors; the exit code is
		// exitCode's to decide.
		ExitErrHandler: func(*cli.Context, error) {},
		Flags: append(global,
			boolFlag("version", "print the orch, Go and BuildKit client versions"),
		),
		Commands: []*cli.Command{
			a.buildCommand(),
			a.printCommand(),
			a.lsCommand(),
			a.validateCommand(),
			a.planCommand(),
			a.graphCommand(),
			a.builderCommand(),
			a.schemaCommand(),
			a.reportCommand(),
			a.versionCommand(),
		},
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				return a.writeVersion()
			}
			return commandsAction(c)
		},
	}
	// On every command a usage error is one line with a hint, not the
	// whole help; every command's help ends with the global flags.
	onUsageError := func(c *cli.Context, err error, _ bool) error {
		return usageHint(c, global, args, err)
	}
	root.OnUsageError = onUsageError
	help := commandHelpTemplate(global)
	var setup func([]*cli.Command)
	setup = func(commands []*cli.Command) {
		for _, c := range commands {
			c.OnUsageError = onUsageError
			c.HideHelpCommand = true // "help" is a target name like any other
			c.CustomHelpTemplate = help
			setup(c.Subcommands)
		}
	}
	setup(root.Commands)
	return root
}

// commandsAction runs for a command that holds commands (the root,
// builder) when none is named: it shows the help, or names the unknown
// command.
func commandsAction(c *cli.Context) error {
	if !c.Args().Present() {
		return cli.ShowSubcommandHelp(c)
	}
	var names []string
	for _, sub := range c.Command.Subcommands {
		names = append(names, sub.Name)
	}
	name := c.Args().First()
	return usageErrorf("unknown command %q%s; run '%s --help' for the commands", name, didYouMean(name, names), c.Command.HelpName)
}

// usageHint turns a flag parsing error of the command of c into one line:
// the first flag of that command that it does not have, that misses its
// value or gives a boolean flag a value that is not one, with a
// suggestion, and where to read the flags. A --help before the mistake
// shows the help instead. c holds no parsed flags here.
func usageHint(c *cli.Context, global []cli.Flag, args []string, err error) error {
	line := readArgs(c.App, global, args)
	depth := slices.Index(line.path, c.Command) + 1 // the root is in no path
	help := fmt.Sprintf("'%s --help' lists the flags", c.Command.HelpName)
	for _, f := range line.flags {
		if f.depth != depth {
			continue
		}
		switch {
		case f.isHelp():
			return cli.ShowSubcommandHelp(c)
		case f.def == nil:
			name := "--" + f.name
			candidates := flagNames(c.Command.Flags)
			if depth > 0 {
				candidates = append(candidates, flagNames(global)...)
			}
			return usageErrorf("unknown flag %s%s; %s", name, didYouMean(name, candidates), help)
		case f.missingValue():
			return usageErrorf("flag needs an argument: %s; %s", f.arg, help)
		case !takesValue(f.def) && f.hasValue:
			if _, err := strconv.ParseBool(f.value); err != nil {
				return usageErrorf("--%s=%s: want true or false; %s", f.name, f.value, help)
			}
		}
	}
	return usageErrorf("%v; %s", err, help)
}

// flagNames lists the long names of flags, as "--name", for suggestions.
func flagNames(flags []cli.Flag) []string {
	var names []string
	for _, f := range flags {
		names = append(names, "--"+f.Names()[0])
	}
	return names
}

// didYouMean is " (did you mean X?)" when a candidate is close to name.
func didYouMean(name string, candidates []string) string {
	if s := config.Suggest(name, candidates); s != "" {
		return fmt.Sprintf(" (did you mean %s?)", s)
	}
	return ""
}

// The help texts, in the layout of the rest of orch's output: the usage
// line, the description, the commands, the flags with their placeholders
// and defaults, and on every command the global flags.
const (
	rootHelpTemplate = `NAME:
   {{template "helpNameTemplate" .}}

USAGE:
   {{.HelpName}} [global options] [command [command options]]{{if .Description}}

DESCRIPTION:
   {{template "descriptionTemplate" .}}{{end}}{{if .VisibleCommands}}

COMMANDS:{{template "visibleCommandTemplate" .}}{{end}}{{if .VisibleFlags}}

GLOBAL OPTIONS:{{template "visibleFlagTemplate" .}}{{end}}
`
	commandHelpHead = `NAME:
   {{template "helpNameTemplate" .}}

USAGE:
   {{.HelpName}} {{if .VisibleCommands}}[command [command options]]{{else}}[options]{{if .ArgsUsage}} {{.ArgsUsage}}{{end}}{{end}}{{if .Description}}

DESCRIPTION:
   {{template "descriptionTemplate" .}}{{end}}{{if .VisibleCommands}}

COMMANDS:{{template "visibleCommandTemplate" .}}{{end}}{{if .VisibleFlags}}

OPTIONS:{{template "visibleFlagTemplate" .}}{{end}}`
)

// commandHelpTemplate is the help of a command, with the global flags
// written into it: v2 renders a command's help from the command alone.
func commandHelpTemplate(global []cli.Flag) string {
	var text strings.Builder
	for _, f := range global {
		text.WriteString("\n   " + f.String())
	}
	return commandHelpHead + "\n\nGLOBAL OPTIONS:{{" + strconv.Quote(text.String()) + "}}\n"
}
