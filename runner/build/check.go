package build

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/internal/realpath"
	"github.com/orch-build/orch/runner/buildkit"
	"github.com/orch-build/orch/runner/dest"
)

// Checked is what Load or Check found.
type Checked struct {
	// Config is the evaluated configuration; never nil, possibly
	// incomplete when Diagnostics has errors. Its Sources hold every file
	// read, for rendering the diagnostics with snippets.
	Config *config.Config
	// Plan is the plan of the selection; nil after Load, and when loading
	// or planning failed.
	Plan *graph.Plan
	// Diagnostics are every warning and error, in phase order: loading
	// (with unknown --var names), planning, then the targets' own checks.
	Diagnostics hcl.Diagnostics

	// Affected names, after Load with AffectedSince, every target whose
	// inputs changed since that revision or that depends on such a
	// target; nil without AffectedSince.
	Affected []string

	// targets are the targets checked: the plan's, or the selection's when
	// planning failed.
	targets []*config.Target
}

// Load reads and evaluates the files opts.Config names, with the
// overrides applied, as Check does, and plans nothing: `orch print` and
// `orch ls` show what it returns. The error wraps ErrConfig when the
// diagnostics have errors, ErrInvalidOptions when the overrides are
// unusable; the Checked is never nil.
func Load(opts Options) (*Checked, error) {
	ch := &Checked{Config: &config.Config{Sources: map[string][]byte{}}}
	copts, err := opts.configOptions()
	if err != nil {
		return ch, err
	}
	ch.Config, ch.Diagnostics = config.Load(copts)
	ch.Diagnostics = append(ch.Diagnostics, unknownVars(ch.Config, copts.Vars)...)
	if err := ch.err(); err != nil || opts.AffectedSince == "" {
		return ch, err
	}
	all, err := graph.New(ch.Config, []string{"all"})
	if err != nil {
		ch.Diagnostics = append(ch.Diagnostics, graph.Diagnostics(err)...)
		return ch, ch.err()
	}
	ch.Affected, err = affectedNames(ch.Config, all, opts)
	return ch, err
}

// affectedNames is affected for the definition files opts names, with
// the changes git reports since opts.AffectedSince, never nil.
func affectedNames(cfg *config.Config, plan *graph.Plan, opts Options) ([]string, error) {
	files := definitionFiles(cfg, opts.Config.WorkDir)
	dir := opts.Config.WorkDir
	if len(files) > 0 {
		dir = filepath.Dir(files[0])
	} else if dir == "" {
		dir = "."
	}
	changed, err := changedFiles(dir, opts.AffectedSince)
	if err != nil {
		return nil, err
	}
	return append([]string{}, affected(plan, files, changed)...), nil
}

// Check is the one check of `orch validate`, `orch plan` and `orch build`:
// it loads the files as Load does, plans opts.Targets and checks every
// target of the selection as a build would translate it (context
// directories, Dockerfiles, secrets, network, shm-size, entitlements,
// outputs, ...), without a builder. Every problem of every target comes as
// a diagnostic at its line, in one run: the targets are checked also when
// the plan has a cycle or a destination conflict; only files that do not
// load, or a selection naming nothing, stop it early. The error wraps
// ErrConfig when the diagnostics have errors.
func Check(opts Options) (*Checked, error) {
	// The changes since AffectedSince narrow the selection below.
	load := opts
	load.AffectedSince = ""
	ch, err := Load(load)
	if err != nil {
		return ch, err
	}
	// Destinations are compared as the file system resolves them, so a
	// layout reached through a symlink is the layout itself; one Cache
	// reads each directory they share once.
	var paths realpath.Cache
	plan, perr := graph.New(ch.Config, opts.Targets, graph.WithCanonicalizer(paths.Resolve))
	if perr == nil && opts.AffectedSince != "" {
		// The plan of the targets affected: their parents join it as
		// contexts only, unless they are affected too.
		names, err := affectedNames(ch.Config, plan, opts)
		if err != nil {
			return ch, err
		}
		ch.Affected = names
		if len(names) == 0 {
			plan = &graph.Plan{}
		} else {
			plan, perr = graph.New(ch.Config, names, graph.WithCanonicalizer(paths.Resolve))
		}
	}
	if perr == nil {
		ch.Plan = plan
		ch.targets = make([]*config.Target, len(plan.Nodes))
		for i, n := range plan.Nodes {
			ch.targets[i] = n.Target
		}
	} else {
		ch.Diagnostics = append(ch.Diagnostics, graph.Diagnostics(perr)...)
		// The selection holds, only the plan failed: its targets can
		// still be checked one by one.
		ch.targets, _ = graph.Targets(ch.Config, opts.Targets)
	}
	ch.Diagnostics = append(ch.Diagnostics, resolveLoads(ch.exported())...)
	ch.Diagnostics = append(ch.Diagnostics, buildkit.CheckTargets(ch.targets, &paths)...)
	return ch, ch.err()
}

// resolveLoads carries out bake's "load into the local image store" (an
// output type=docker without dest, which --load and `load = true` add):
// without a Docker engine, the image goes into the containerd or Podman
// that dest.LocalStore finds, looked up once for the whole selection. The
// targets' outputs are replaced, so the plan, the check and the build all
// see the store. With no store reachable, every target that loads is an
// error at its output, naming the sockets tried.
func resolveLoads(targets []*config.Target) hcl.Diagnostics {
	var (
		store    config.Output
		storeErr error
		looked   bool
		diags    hcl.Diagnostics
	)
	for _, t := range targets {
		for i, o := range t.Outputs {
			if !dest.IsLoad(o) {
				continue
			}
			if !looked {
				store, storeErr = dest.LocalStore()
				looked = true
			}
			if storeErr != nil {
				diags = append(diags, loadDiagnostic(t, storeErr))
				// The target is refused for this reason alone, not
				// again by the output checks.
				t.Outputs = slices.DeleteFunc(t.Outputs, dest.IsLoad)
				break
			}
			t.Outputs[i] = dest.LoadInto(o, store)
		}
	}
	return diags
}

// loadDiagnostic reports a target whose image has no store to load into,
// at its output.
func loadDiagnostic(t *config.Target, err error) *hcl.Diagnostic {
	d := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "No image store to load into",
		Detail:   fmt.Sprintf("Target %q: --load (an output type=docker without dest) puts the image into the local image store: %v.", t.Name, err),
	}
	rng, ok := t.AttrRanges["output"]
	if !ok {
		rng = t.DefRange
	}
	if rng.Filename != "" {
		d.Subject = &rng
	}
	return d
}

// err returns the error for c's diagnostics: nil without errors.
func (c *Checked) err() error {
	n := 0
	for _, d := range c.Diagnostics {
		if d.Severity == hcl.DiagError {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	word := "errors"
	if n == 1 {
		word = "error"
	}
	return fmt.Errorf("%w: %d %s", ErrConfig, n, word)
}

// unknownVars warns about every --var that names no declared variable:
// bake ignores such a value silently, so a typo would go unnoticed.
func unknownVars(cfg *config.Config, vars map[string]string) hcl.Diagnostics {
	declared := make([]string, len(cfg.Variables))
	for i, v := range cfg.Variables {
		declared[i] = v.Name
	}
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		base, isJSON := strings.CutSuffix(name, "_JSON")
		if slices.Contains(declared, name) || (isJSON && slices.Contains(declared, base)) {
			continue
		}
		detail := fmt.Sprintf("--var %s=... sets a variable no definition file declares; the value is not used.", name)
		if s := config.Suggest(name, declared); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		} else {
			detail += " Declare it with a variable block, or check its spelling."
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Unknown variable", Detail: detail})
	}
	return diags
}
