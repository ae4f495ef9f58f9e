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

// selector resolves the names a user typed into the set of targets they
// stand for, remembering for each target why it was selected.
type selector struct {
	cfg *config.Config
	// reasons maps each selected target to its "selected ..." reasons.
	reasons map[string][]string
	// expanding guards against groups that contain themselves: bake
	// tolerates such loops and so does orch, the loop adds nothing.
	expanding map[string]bool
	errs      []error
	// candidates is every target and group name, sorted, built on the
	// first unknown name only.
	candidates []string
}

// selectTargets resolves selection against cfg. An empty selection means
// "default". The result maps each selected target name to its reasons.
func selectTargets(cfg *config.Config, selection []string) (map[string][]string, error) {
	s := &selector{cfg: cfg, reasons: map[string][]string{}, expanding: map[string]bool{}}
	if len(selection) == 0 {
		if !s.isGroup(DefaultName) && !s.isTarget(DefaultName) {
			return nil, &NoDefaultError{}
		}
		s.resolve(DefaultName, "", "", nil)
	}
	for _, name := range selection {
		s.resolve(name, "", "", nil)
	}
	if len(s.errs) > 0 {
		return nil, errors.Join(s.errs...)
	}
	for name, rs := range s.reasons {
		sort.Strings(rs)
		s.reasons[name] = slices.Compact(rs)
	}
	return s.reasons, nil
}

// resolve adds the targets that name stands for. reason is the reason to
// record, empty to derive it from name (a name typed by the user);
// referrer and rng say where the name was written when it comes from a
// group.
func (s *selector) resolve(name, reason, referrer string, rng *hcl.Range) {
	switch {
	case s.isGroup(name):
		// A group wins over a target of the same name, as in bake.
		if reason == "" {
			reason = "selected by group " + name
		}
		if s.expanding[name] {
			return
		}
		s.expanding[name] = true
		g := s.cfg.Groups[name]
		for _, member := range g.Targets {
			s.resolve(member, reason, "group "+strconv.Quote(name), &g.DefRange)
		}
		s.expanding[name] = false
	case s.isTarget(name):
		if reason == "" {
			reason = "selected"
		}
		s.reasons[name] = append(s.reasons[name], reason)
	case name == AllName:
		if reason == "" {
			reason = "selected by " + AllName
		}
		for t := range s.cfg.Targets {
			if !strings.HasPrefix(t, "_") {
				s.reasons[t] = append(s.reasons[t], reason)
			}
		}
	case isPattern(name):
		if reason == "" {
			reason = "selected by pattern " + name
		}
		s.glob(name, reason)
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
func (s *selector) glob(pattern, reason string) {
	if _, err := path.Match(pattern, ""); err != nil {
		s.errs = append(s.errs, &PatternError{Pattern: pattern, Err: err})
		return
	}
	hidden := strings.HasPrefix(pattern, "_")
	matched := false
	for _, name := range s.allNames() {
		if strings.HasPrefix(name, "_") && !hidden {
			continue
		}
		if ok, _ := path.Match(pattern, name); ok {
			matched = true
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
