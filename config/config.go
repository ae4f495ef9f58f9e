// Package config loads orch and docker-bake files (HCL native syntax and HCL
// JSON) and evaluates them, with bake's semantics, into plain Go values that
// keep their source ranges. It does nothing after evaluation: planning,
// building and exporting belong to graph and runner.
//
// # Two views of a target
//
// Every target is kept twice. Config.Targets holds what orch builds: bake's
// values with local paths (context, local named contexts, local output
// dest, secret src, ssh paths, local cache src/dest) resolved against the
// directory of the file that set them, or against Options.WorkDir for
// values from --set and for "cwd://" paths. Config.WritePrintJSON renders
// the other view, bake's own: the same values with paths exactly as written,
// so `orch print` prints the document `docker buildx bake --print` prints
// for the same files. Both come from one evaluation; only the last step,
// path resolution, differs.
//
// # Differences from bake
//
// orch reads every bake file bake reads and resolves it to the same
// targets, with these deliberate differences, all of them errors or
// warnings bake would not report: inherits and group cycles, references
// to undeclared targets in inherits, and a user function shadowing a
// built-in (a warning; the built-in is used, as in bake). What bake
// ignores (an unknown attribute or block in a target, group or variable
// block, an unknown top-level block, an unknown key of a secret or ssh
// object) orch ignores too, with a warning that names it, its location
// and the likely intended name. Matrix expansion takes the keys in sorted order, so its result
// is always the same and always one of the orders bake can produce.
// Compose files are read as bake reads them, through compose-go
// (compose.go). bake's resources and policy attributes
// are read and printed as bake does; applying them to a build is the
// adapter's (which refuses them so far).
//
// What a selection of names means, and whether the links between targets
// (contexts "target:" links, depends_on) are valid, is the planner's to
// decide (package graph), for print as for every other command; config
// renders what graph selects (PrintSet). Its one difference from bake: a
// glob matches templates (names starting with "_") only when it starts
// with "_" itself, so `orch print '*'` shows what `orch build '*'` builds.
package config

import "github.com/hashicorp/hcl/v2"

// Config is the result of loading and evaluating a set of files.
type Config struct {
	// Targets holds every target by name, after matrix expansion.
	Targets map[string]*Target
	// Groups holds every group by name, including the groups that matrix
	// expansion creates from a target's original label.
	Groups map[string]*Group
	// TargetNames and GroupNames list the names of Targets and Groups in
	// the order bake keeps them: by first declaration, across files in
	// the order given, with the groups a matrix or name creates after
	// the declared ones. A glob lists its matches in this order, groups
	// first, as bake does.
	TargetNames, GroupNames []string
	// Variables lists the declared variables in declaration order.
	Variables []*Variable
	// Files lists the files read, in the order given ("<stdin>" for -).
	Files []string
	// Sources holds the content of every file read, by the name in Files,
	// so diagnostics can be rendered with source snippets.
	Sources map[string][]byte

	// print keeps bake's unresolved view of every target for PrintJSON.
	print *printData
}

// Variable is a declared variable with its final value.
type Variable struct {
	Name        string
	Type        string // the type constraint as written, e.g. "list(string)"; empty when untyped
	Description string
	// Value is the evaluated value rendered as JSON.
	Value    string
	DefRange hcl.Range
}
