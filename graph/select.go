package graph

import (
	"errors"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/orch-build/orch/config"
)

// Names with a meaning of their own in a selection.
const (
	// AllName selects every target whose name does not start with "_"
	// (those are templates for inherits, not images).
	AllName = "all"
	// DefaultName is what an empty selection means, as in bake.
	DefaultName = "default"
)

// Selection is what the names a user typed stand for: the one reading of
// a selection that print, ls, plan and build share.
type Selection struct {
	// Names are the names as typed, with globs and "all" expanded into
	// the names they match, without repeats: the members of the
	// "default" group bake prints.
	Names []string
	// Groups are the groups the selection went through, nested ones
	// included, sorted.
	Groups []string
	// Targets are the selected targets, sorted.
	Targets []string
	// reasons maps each selected target to its "selected ..." reasons.
	reasons map[string][]string
}

// Reasons says why a target is selected ("selected", "selected by group
// ci", ...), sorted; nil when it is not.
func (s *Selection) Reasons(target string) []string { return s.reasons[target] }

// Select resolves names against cfg: target names, group names (a group
// wins over a target of the same name, as in bake), globs (`app-*`, which
// match templates only when they start with "_" themselves) and "all"
// (every target that is not a template, unless the files declare a target
// or group of that name). An empty selection means "default". A "." in a
// name reads as "_", as bake reads it.
//
// The error, when not nil, is an UnknownNameError, a PatternError or a
// NoDefaultError, or several of them joined.
func Select(cfg *config.Config, names []string) (*Selection, error) {
	if cfg == nil {
		cfg = &config.Config{}
	}
	s := &selector{cfg: cfg, reasons: map[string][]string{}, expanding: map[string]bool{}, groups: map[string]bool{}}
	if len(names) == 0 {
		if !s.isGroup(DefaultName) && !s.isTarget(DefaultName) {
			return nil, &NoDefaultError{}
		}
		names = []string{DefaultName}
	}
	seen := map[string]bool{}
	for _, name := range names {
		s.top = s.top[:0]
		s.resolve(s.sanitize(name), "", "", nil)
		for _, n := range s.top {
			if !seen[n] {
				seen[n] = true
				s.sel.Names = append(s.sel.Names, n)
			}
		}
	}
	if len(s.errs) > 0 {
		return nil, errors.Join(s.errs...)
	}
	for name, rs := range s.reasons {
		sort.Strings(rs)
		s.reasons[name] = slices.Compact(rs)
		s.sel.Targets = append(s.sel.Targets, name)
	}
	sort.Strings(s.sel.Targets)
	for g := range s.groups {
		s.sel.Groups = append(s.sel.Groups, g)
	}
	sort.Strings(s.sel.Groups)
	s.sel.reasons = s.reasons
	return &s.sel, nil
}

// sanitize reads "." as "_", as bake does (compose service names may hold
// dots, target names cannot); a name that still names nothing is kept as
// typed, so an error shows what the user wrote.
func (s *selector) sanitize(name string) string {
	if !strings.Contains(name, ".") {
		return name
	}
	if n := strings.ReplaceAll(name, ".", "_"); isPattern(n) || s.isGroup(n) || s.isTarget(n) {
		return n
	}
	return name
}

// AllTargets returns the targets "all" stands for, sorted: every target
// but templates, the targets whose name starts with "_" (they exist to be
// inherited, not built).
func AllTargets(cfg *config.Config) []string {
	names := make([]string, 0, len(cfg.Targets))
	for name, t := range cfg.Targets {
		if t != nil && !isTemplate(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// isTemplate reports whether a target name is a template's.
func isTemplate(name string) bool { return strings.HasPrefix(name, "_") }

// selector resolves the names a user typed into the set of targets they
// stand for, remembering for each target why it was selected.
type selector struct {
	cfg *config.Config
	sel Selection
	// reasons maps each selected target to its "selected ..." reasons.
	reasons map[string][]string
	// groups holds every group gone through.
	groups map[string]bool
	// top collects the names one typed name stands for at the top level.
	top []string
	// expanding holds the groups being expanded, the ancestors of the
	// name being resolved, to end loops.
	expanding map[string]bool
	errs      []error
	// candidates is every target and group name, sorted, built on the
	// first unknown name only.
	candidates []string
}

// resolve adds the targets that name stands for. reason is the reason to
// record, empty to derive it from name (a name typed by the user);
// referrer and rng say where the name was written when it comes from a
// group.
func (s *selector) resolve(name, reason, referrer string, rng *hcl.Range) {
	// A name typed by the user (no reason yet) stands for itself at the
	// top level, unless it expands into others (all, globs).
	top := reason == ""
	switch {
	case s.isGroup(name):
		if top {
			s.top = append(s.top, name)
		}
		s.groups[name] = true
		// A group wins over a target of the same name, as in bake.
		if reason == "" {
			reason = "selected by group " + name
		}
		if s.expanding[name] {
			// A group that lists its own name means the target of that
			// name, as bake resolves it: a matrix whose label is also
			// one of its names. Without such a target the loop adds
			// nothing.
			if s.isTarget(name) {
				s.reasons[name] = append(s.reasons[name], reason)
			}
			return
		}
		s.expanding[name] = true
		g := s.cfg.Groups[name]
		for _, member := range g.Targets {
			s.resolve(member, reason, "group "+strconv.Quote(name), &g.DefRange)
		}
		s.expanding[name] = false
	case s.isTarget(name):
		if top {
			s.top = append(s.top, name)
			reason = "selected"
		}
		s.reasons[name] = append(s.reasons[name], reason)
	case name == AllName:
		if reason == "" {
			reason = "selected by " + AllName
		}
		for _, t := range AllTargets(s.cfg) {
			if top {
				s.top = append(s.top, t)
			}
			s.reasons[t] = append(s.reasons[t], reason)
		}
	case isPattern(name):
		if reason == "" {
			reason = "selected by pattern " + name
		}
		s.glob(name, reason, top)
	default:
		e := &UnknownNameError{Name: name, Referrer: referrer, Range: rng}
		if s.candidates == nil {
			s.candidates = append(s.allNames(), AllName)
		}
		e.Suggestion = suggest(name, s.candidates)
		s.errs = append(s.errs, e)
	}
}

// glob selects the groups and targets that pattern matches. Names starting
// with "_" match only a pattern that starts with "_" too, the way a shell
// glob skips dot files: `*` should not build templates.
// top is set when the pattern was typed by the user: its matches are then
// names of the selection.
func (s *selector) glob(pattern, reason string, top bool) {
	if _, err := path.Match(pattern, ""); err != nil {
		s.errs = append(s.errs, &PatternError{Pattern: pattern, Err: err})
		return
	}
	hidden := isTemplate(pattern)
	matched := false
	for _, name := range s.declaredNames() {
		if isTemplate(name) && !hidden {
			continue
		}
		if ok, _ := path.Match(pattern, name); ok {
			matched = true
			if top {
				s.top = append(s.top, name)
			}
			s.resolve(name, reason, "", nil)
		}
	}
	if !matched {
		s.errs = append(s.errs, &PatternError{Pattern: pattern})
	}
}

func (s *selector) isGroup(name string) bool {
	g, ok := s.cfg.Groups[name]
	return ok && g != nil
}

func (s *selector) isTarget(name string) bool {
	t, ok := s.cfg.Targets[name]
	return ok && t != nil
}

// declaredNames lists every group name, then every target name, in the
// order the files declare them (config.Config.GroupNames and TargetNames),
// without repeats: a glob lists its matches in that order, as bake does.
// It matters for one thing bake does: a target named "default" matched
// after another name is left out of the "default" group print shows.
// A Config without that order (made by hand) gives its names sorted.
func (s *selector) declaredNames() []string {
	if len(s.cfg.GroupNames)+len(s.cfg.TargetNames) == 0 {
		return s.allNames()
	}
	names := make([]string, 0, len(s.cfg.GroupNames)+len(s.cfg.TargetNames))
	seen := make(map[string]bool, cap(names))
	for _, list := range [][]string{s.cfg.GroupNames, s.cfg.TargetNames} {
		for _, name := range list {
			if !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		}
	}
	return names
}

// allNames lists every group and target name, sorted and without repeats.
func (s *selector) allNames() []string {
	names := make([]string, 0, len(s.cfg.Groups)+len(s.cfg.Targets))
	for name := range s.cfg.Groups {
		names = append(names, name)
	}
	for name := range s.cfg.Targets {
		names = append(names, name)
	}
	sort.Strings(names)
	return slices.Compact(names)
}

// isPattern reports whether name uses glob syntax, the test bake applies.
func isPattern(name string) bool {
	return strings.ContainsAny(name, "*?[]")
}
