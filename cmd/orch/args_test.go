package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOrderArgs: orderArgs puts every flag ahead of the positional
// arguments, under its own command, by the flag definitions of orch's
// real commands.
func TestOrderArgs(t *testing.T) {
	for _, tt := range []struct {
		name string
		line string // after "orch", split at spaces
		want string
	}{
		{name: "nothing", line: "", want: ""},
		{name: "flags after a target", line: "build all --progress plain", want: "build --progress=plain -- all"},
		{name: "flags before a target", line: "build --progress plain all", want: "build --progress=plain -- all"},
		{name: "flags between targets", line: "build app -j 3 web -k", want: "build --jobs=3 --keep-going -- app web"},
		{name: "print with files after the target", line: "print app --set app.tags=x -f f.hcl", want: "print --set=app.tags=x --file=f.hcl -- app"},
		{name: "a target named like the value before it", line: "build --progress plain plain", want: "build --progress=plain -- plain"},
		{name: "a file named like a target", line: "build -f app app", want: "build --file=app -- app"},
		{name: "a boolean flag takes no value", line: "build --push app", want: "build --push -- app"},
		{name: "a boolean flag with its value", line: "build app --no-cache=false --pull=true", want: "build --no-cache=false --pull=true -- app"},
		{name: "a boolean flag leaves a word after it", line: "build --push false", want: "build --push -- false"},
		{name: "standard input as a file", line: "print app -f -", want: "print --file=- -- app"},
		{name: "a target named -", line: "print -", want: "print -- -"},
		{name: "a value with = and ,", line: "build app --set app.output=type=local,dest=out --var L=a,b", want: "build --set=app.output=type=local,dest=out --var=L=a,b -- app"},
		{name: "an attached value with =", line: "build --set=app.args.X=1=2 app", want: "build --set=app.args.X=1=2 -- app"},
		{name: "an attached empty value", line: "build app --jobs=", want: "build --jobs= -- app"},
		{name: "a value that looks like a flag", line: "build -f --push app", want: "build --file=--push -- app"},
		{name: "-- ends the flags", line: "build app -- --push -x", want: "build -- app --push -x"},
		{name: "-- after --", line: "build -- app -- x", want: "build -- app -- x"},
		{name: "flags before --", line: "build app --progress plain web -- -x", want: "build --progress=plain -- app web -x"},
		{name: "repeated flags keep their order", line: "build -f a.hcl app --file b.hcl -f c.hcl --set a.x=1 --set a.x=2", want: "build --file=a.hcl --file=b.hcl --file=c.hcl --set=a.x=1 --set=a.x=2 -- app"},
		{name: "one name per flag", line: "-D build --debug -k --keep-going", want: "--debug --debug build --keep-going --keep-going"},
		{name: "single dash long names", line: "build -jobs 3 -push", want: "build --jobs=3 --push"},
		{name: "attached short value", line: "build -j=3", want: "build --jobs=3"},
		{name: "-j3 is not -j 3", line: "build -j3 app", want: "build -j3 -- app"},
		{name: "short flags do not combine", line: "build -kj 3", want: "build -kj -- 3"},
		{name: "an unknown flag takes no value", line: "build app --nope x", want: "build --nope -- app x"},
		{name: "an unknown flag stays with its command", line: "--bogus build --progres plain", want: "--bogus build --progres -- plain"},
		{name: "three dashes are no flag of orch", line: "build ---push", want: "build ---push"},
		{name: "-D after the command goes to the root", line: "build app -D", want: "--debug build -- app"},
		{name: "-D of a subcommand goes to the root", line: "builder status -D", want: "--debug builder status"},
		{name: "--version is the root's alone", line: "build --version", want: "build --version"},
		{name: "--version after a word", line: "x --version", want: "--version -- x"},
		{name: "a target named like a command", line: "build plan", want: "build -- plan"},
		{name: "a word after a positional names no command", line: "biuld build", want: "-- biuld build"},
		{name: "an unknown subcommand", line: "builder nope", want: "builder -- nope"},
		{name: "a target named help", line: "build help h", want: "build -- help h"},
		{name: "a missing value ends the line", line: "build app web --jobs", want: "build --jobs"},
		{name: "a missing short value stays as written", line: "build --push app -f", want: "build --push -f"},
		{name: "help of a command leaves out the targets", line: "build app --help", want: "build --help"},
		{name: "short help", line: "build app -h", want: "build --help"},
		{name: "help with false is no help", line: "build app --help=false", want: "build --help=false -- app"},
		{name: "help of the root names a command", line: "--help build", want: "--help build"},
		{name: "help of builder names a subcommand", line: "builder -h status x", want: "builder --help status -- x"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := (&app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}).command(nil)
			args := append([]string{"orch"}, strings.Fields(tt.line)...)
			in := slices.Clone(args)
			got := orderArgs(root, globalFlags(), args)
			want := append([]string{"orch"}, strings.Fields(tt.want)...)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("orderArgs(%q) (-want +got):\n%s", tt.line, diff)
			}
			if !slices.Equal(in, args) {
				t.Errorf("orderArgs changed its argument: %q", args)
			}
		})
	}
}
