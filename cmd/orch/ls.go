package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/runner/build"
)

func (a *app) lsCommand() *cli.Command {
	return &cli.Command{
		Name:  "ls",
		Usage: "list targets, groups and variables",
		Description: "Lists targets with their descriptions, groups with their members and\n" +
			"variables with type, value and description. Targets whose name starts with \"_\"\n" +
			"are templates for inherits and are not listed.",
		Flags: append(fileFlags(), formatFlag("table", "json"), affectedFlag()),
		Action: func(c *cli.Context) error {
			format, err := outputFormat(c, "table", "json")
			if err != nil {
				return err
			}
			ch, err := a.loadChecked(c)
			if err != nil {
				return err
			}
			l := newListing(ch.Config)
			if ch.Affected != nil {
				l.Targets = slices.DeleteFunc(l.Targets, func(t listTarget) bool { return !slices.Contains(ch.Affected, t.Name) })
			}
			if format == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(l)
			}
			return l.writeTable(a.stdout)
		},
	}
}

// load loads the files the file flags of c name, and nothing else:
// overrides do not change what ls and --list show, as in bake. The
// diagnostics are rendered once.
func (a *app) load(c *cli.Context) (*config.Config, error) {
	ch, err := a.loadChecked(c)
	if err != nil {
		return nil, err
	}
	return ch.Config, nil
}

// loadChecked is load returning all Load found (with --affected-since,
// the targets affected).
func (a *app) loadChecked(c *cli.Context) (*build.Checked, error) {
	opts, err := loadOptions(c)
	if err != nil {
		return nil, err
	}
	opts.Config.Sets = nil
	ch, err := a.lib.load(opts)
	writeDiagnostics(a.stderr, ch.Diagnostics, ch.Config.Sources)
	if err != nil {
		return nil, &reportedError{err}
	}
	return ch, nil
}

// listing is what ls shows; its JSON form is the --format json output.
type listing struct {
	Targets   []listTarget   `json:"targets"`
	Groups    []listGroup    `json:"groups"`
	Variables []listVariable `json:"variables"`
}

type listTarget struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type listGroup struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Targets     []string `json:"targets"`
}

type listVariable struct {
	Name        string          `json:"name"`
	Type        string          `json:"type,omitempty"`
	Value       json.RawMessage `json:"value"`
	Description string          `json:"description,omitempty"`
}

func newListing(cfg *config.Config) listing {
	l := listing{Targets: []listTarget{}, Groups: []listGroup{}, Variables: []listVariable{}}
	// The targets all builds: templates are not listed.
	for _, name := range graph.AllTargets(cfg) {
		l.Targets = append(l.Targets, listTarget{Name: name, Description: cfg.Targets[name].Description})
	}
	for _, name := range sortedNames(cfg.Groups) {
		g := cfg.Groups[name]
		l.Groups = append(l.Groups, listGroup{Name: name, Description: g.Description, Targets: append([]string{}, g.Targets...)})
	}
	vars := append([]*config.Variable(nil), cfg.Variables...)
	sort.Slice(vars, func(i, j int) bool { return vars[i].Name < vars[j].Name })
	for _, v := range vars {
		l.Variables = append(l.Variables, listVariable{Name: v.Name, Type: v.Type, Value: json.RawMessage(v.Value), Description: v.Description})
	}
	return l
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// writeTable prints the three sections as aligned tables; string values
// are shown without JSON quotes.
func (l listing) writeTable(w interface{ Write([]byte) (int, error) }) error {
	tw := tabwriter.NewWriter(w, 1, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tDESCRIPTION")
	for _, t := range l.Targets {
		fmt.Fprintf(tw, "%s\t%s\n", t.Name, t.Description)
	}
	if len(l.Groups) > 0 {
		fmt.Fprintln(tw, "\nGROUP\tTARGETS\tDESCRIPTION")
		for _, g := range l.Groups {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", g.Name, strings.Join(g.Targets, ", "), g.Description)
		}
	}
	if len(l.Variables) > 0 {
		fmt.Fprintln(tw, "\nVARIABLE\tTYPE\tVALUE\tDESCRIPTION")
		for _, v := range l.Variables {
			value := string(v.Value)
			if s, err := strconv.Unquote(value); err == nil && strings.HasPrefix(value, "\"") {
				value = s
			}
			typ := v.Type
			if typ == "" {
				typ = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Name, typ, value, v.Description)
		}
	}
	return tw.Flush()
}
