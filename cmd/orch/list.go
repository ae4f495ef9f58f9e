package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/orch-build/orch/config"
)

// list is `orch build --list TYPE[,format=FORMAT]`: bake's listing of
// targets (with groups) or variables, in bake's table or JSON form.
func (a *app) list(c *cli.Context, spec string) error {
	typ, format, err := parseList(spec)
	if err != nil {
		return err
	}
	cfg, err := a.load(c)
	if err != nil {
		return err
	}
	if typ == "variables" {
		return writeVariableList(a.stdout, format, cfg.Variables)
	}
	return writeTargetList(a.stdout, format, cfg)
}

// parseList reads --list as bake does: "targets", or "type=targets,format=json".
func parseList(spec string) (typ, format string, err error) {
	format = "table"
	if !strings.Contains(spec, "=") {
		typ = spec
	} else {
		for _, field := range strings.Split(spec, ",") {
			k, v, ok := strings.Cut(field, "=")
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "type":
				typ = v
			case "format":
				format = v
			default:
				if !ok {
					return "", "", usageErrorf("--list %q: %q: want KEY=VALUE", spec, field)
				}
				return "", "", usageErrorf("--list %q: unknown key %q: want type or format", spec, k)
			}
		}
	}
	if typ != "targets" && typ != "variables" {
		return "", "", usageErrorf("--list %q: type %q: want targets or variables", spec, typ)
	}
	if format != "table" && format != "json" {
		return "", "", usageErrorf("--list %q: format %q: want table or json", spec, format)
	}
	return typ, format, nil
}

// listEntry is one line of bake's target list: a target, or a group with
// its members in its description.
type listEntry struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Group       bool   `json:"group,omitempty"`
}

// writeTargetList prints targets and groups by name, without templates
// ("_" names); a group's description ends with its sorted members.
func writeTargetList(w io.Writer, format string, cfg *config.Config) error {
	var entries []listEntry
	for name, t := range cfg.Targets {
		entries = append(entries, listEntry{Name: name, Description: t.Description})
	}
	for name, g := range cfg.Groups {
		desc := g.Description
		if len(g.Targets) > 0 {
			members := strings.Join(slices.Sorted(slices.Values(g.Targets)), ", ")
			if desc != "" {
				desc += " (" + members + ")"
			} else {
				desc = members
			}
		}
		entries = append(entries, listEntry{Name: name, Description: desc, Group: true})
	}
	slices.SortStableFunc(entries, func(x, y listEntry) int { return strings.Compare(x.Name, y.Name) })
	entries = slices.DeleteFunc(entries, func(e listEntry) bool { return strings.HasPrefix(e.Name, "_") })
	if format == "json" {
		return writeJSON(w, entries)
	}
	tw := tabwriter.NewWriter(w, 1, 8, 1, '\t', 0)
	fmt.Fprintln(tw, "TARGET\tDESCRIPTION")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\n", e.Name, e.Description)
	}
	return tw.Flush()
}

// bakeVariable is one variable as bake lists it: its value as text,
// strings unquoted, absent when null.
type bakeVariable struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Type        string  `json:"type,omitempty"`
	Value       *string `json:"value,omitempty"`
}

func writeVariableList(w io.Writer, format string, vars []*config.Variable) error {
	list := make([]bakeVariable, len(vars))
	for i, v := range vars {
		list[i] = bakeVariable{Name: v.Name, Description: v.Description, Type: v.Type}
		if v.Value != "null" {
			text := v.Value
			if s, err := strconv.Unquote(text); err == nil && strings.HasPrefix(text, `"`) {
				text = s
			}
			list[i].Value = &text
		}
	}
	slices.SortFunc(list, func(x, y bakeVariable) int { return strings.Compare(x.Name, y.Name) })
	if format == "json" {
		return writeJSON(w, list)
	}
	tw := tabwriter.NewWriter(w, 1, 8, 1, '\t', 0)
	fmt.Fprintln(tw, "VARIABLE\tTYPE\tVALUE\tDESCRIPTION")
	for _, v := range list {
		value := "<null>"
		if v.Value != nil {
			value = *v.Value
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Name, v.Type, value, v.Description)
	}
	return tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
