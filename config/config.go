// Package config loads orch and docker-bake files (HCL native syntax and HCL
// JSON) and evaluates them, with bake's semantics, into plain Go values that
// keep their source ranges. It does nothing after evaluation: planning,
// building and exporting belong to graph and runner.
package config

import "github.com/hashicorp/hcl/v2"

// Config is the result of loading and evaluating a set of files.
type Config struct {
	// Targets holds every target by name, after matrix expansion.
	Targets map[string]*Target
	// Groups holds every group by name, including the groups that matrix
	// expansion creates from a target's original label.
	Groups map[string]*Group
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
