package main

import (
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// orch takes flags anywhere on the command line, before and after target
// names, as bake does: `orch build all --progress plain`. urfave/cli v2
// reads a command's flags only up to its first positional argument, so
// orderArgs rewrites the line before v2 parses it: every flag goes in
// front of the positional arguments, under the command it belongs to.

// commandLine is a command line as orch reads it: the commands it names,
// every flag in the order written, and the positional arguments of the
// last command named.
type commandLine struct {
	path       []*cli.Command // the commands named after the program, outermost first
	flags      []lineFlag
	positional []string
}

// lineFlag is one flag of a command line.
type lineFlag struct {
	depth    int      // the command it belongs to: 0 the root, n path[n-1]
	def      cli.Flag // its definition; nil when its command has no such flag
	arg      string   // the argument it was written as, with its dashes
	name     string   // the name written, without dashes and value
	value    string   // written after "=", or the argument after a flag that takes a value
	hasValue bool
}

// takesValue reports whether f reads a value (--jobs N); a boolean flag
// does not (--push), and neither does a flag orch does not know.
func takesValue(f cli.Flag) bool {
	d, ok := f.(cli.DocGenerationFlag)
	return ok && d.TakesValue()
}

// missingValue reports whether f wants a value and the line ends before it.
func (f lineFlag) missingValue() bool {
	return f.def != nil && takesValue(f.def) && !f.hasValue
}

// isHelp reports whether f asks for help (-h, --help).
func (f lineFlag) isHelp() bool {
	if f.def == nil || f.def != cli.HelpFlag {
		return false
	}
	on, _ := strconv.ParseBool(f.value)
	return !f.hasValue || on
}

// canonical is f as one argument, by its long name and with its value
// attached: "-f x" becomes "--file=x". One name per flag keeps v2 from
// refusing a flag given by two of its names (-f a --file b); an attached
// value cannot be mistaken for a positional argument. A flag orch does
// not know, or that misses its value, stays as written, for v2 to report.
func (f lineFlag) canonical() string {
	switch {
	case f.def == nil || f.missingValue():
		return f.arg
	case f.hasValue:
		return "--" + f.def.Names()[0] + "=" + f.value
	default:
		return "--" + f.def.Names()[0]
	}
}

// readArgs reads args (args[0] is the program) against the commands of
// app. A flag belongs to the last command named before it; one that
// command lacks but global has belongs to the root. A flag that takes a
// value takes the next argument whatever it is (-f - reads standard
// input, -f --push names a file "--push"), as v2 does; a flag orch does
// not know takes none. A word names a command only while no positional
// argument came before it; "--" ends the flags.
func readArgs(app *cli.App, global []cli.Flag, args []string) commandLine {
	var line commandLine
	flags, commands := app.Flags, app.Commands
	for i := 1; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			line.positional = append(line.positional, args[i+1:]...)
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			if c := findCommand(commands, arg); c != nil && len(line.positional) == 0 {
				line.path = append(line.path, c)
				flags, commands = c.Flags, c.Subcommands
			} else {
				line.positional = append(line.positional, arg)
			}
			continue
		}
		f := lineFlag{depth: len(line.path), arg: arg}
		f.name, f.value, f.hasValue = strings.Cut(strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-"), "=")
		// v2 adds its help flag to each command when it runs it.
		f.def = findFlag(f.name, flags, []cli.Flag{cli.HelpFlag})
		if f.def == nil && f.depth > 0 {
			if f.def = findFlag(f.name, global); f.def != nil {
				f.depth = 0
			}
		}
		if f.def != nil && takesValue(f.def) && !f.hasValue && i+1 < len(args) {
			i++
			f.value, f.hasValue = args[i], true
		}
		line.flags = append(line.flags, f)
	}
	return line
}

// orderArgs returns args as v2 reads them: the program, the root's flags,
// then each command named followed by its flags, then "--" and the
// positional arguments. Flags keep their order, so repeated flags (-f,
// --set) keep theirs. With help asked of the last command the positional
// arguments are left out, since v2 would read the first as the name of a
// help topic (orch build app --help shows the help of build). A flag that
// misses its value ends the line after the flags of its command, the one
// place where v2 reports it.
func orderArgs(app *cli.App, global []cli.Flag, args []string) []string {
	if len(args) == 0 {
		return args
	}
	line := readArgs(app, global, args)
	sections := make([][]string, len(line.path)+1)
	help := false
	for _, f := range line.flags {
		sections[f.depth] = append(sections[f.depth], f.canonical())
		if f.missingValue() {
			sections = sections[:f.depth+1]
			line.positional = nil
			break
		}
		help = help || (f.isHelp() && f.depth == len(line.path))
	}
	out := []string{args[0]}
	for depth, flags := range sections {
		if depth > 0 {
			out = append(out, line.path[depth-1].Name)
		}
		out = append(out, flags...)
	}
	if len(line.positional) > 0 && !help {
		out = append(append(out, "--"), line.positional...)
	}
	return out
}

// findCommand returns the command of commands called name, or nil.
func findCommand(commands []*cli.Command, name string) *cli.Command {
	for _, c := range commands {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// findFlag returns the first flag of the lists that has name, or nil.
func findFlag(name string, lists ...[]cli.Flag) cli.Flag {
	for _, list := range lists {
		for _, f := range list {
			if f != nil && slices.Contains(f.Names(), name) {
				return f
			}
		}
	}
	return nil
}
