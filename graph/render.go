package graph

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/orch-build/orch/config"
)

// String returns "data" or "order", the names the JSON form uses.
func (k EdgeKind) String() string {
	if k == OrderEdge {
		return "order"
	}
	return "data"
}

// RenderOptions adjusts the human-readable renderings (table, DOT,
// Mermaid). The JSON form always shows paths exactly as configured.
type RenderOptions struct {
	// Dir, when set, shows destination paths under it relative to it;
	// the CLI passes the working directory.
	Dir string
}

// rel shows path relative to o.Dir when it lies under it.
func (o RenderOptions) rel(path string) string {
	if o.Dir == "" || !filepath.IsAbs(path) {
		return path
	}
	r, err := filepath.Rel(o.Dir, path)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return path
	}
	return r
}

// WriteTable writes the plan as a table in execution order: each target,
// what it waits for, its platforms, where its outputs go and why it is in
// the plan; when the incremental check ran, a last column says whether
// the target is up to date or what changed.
func (p *Plan) WriteTable(w io.Writer, opts RenderOptions) error {
	checked := false
	for _, n := range p.Nodes {
		checked = checked || n.Freshness != nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := "TARGET\tWAITS FOR\tPLATFORMS\tDESTINATIONS\tWHY"
	if checked {
		head += "\tSTATE"
	}
	fmt.Fprintln(tw, head)
	for _, n := range p.Nodes {
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", n.Name, p.waitsFor(n), platformList(n.Target),
			strings.Join(destinations(n, opts), ", "), strings.Join(n.Reasons, "; "))
		if checked {
			row += "\t" + stateCell(n.Freshness)
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

// stateCell is the STATE column: "up-to-date", or "build: " and what
// changed.
func stateCell(f *Freshness) string {
	switch {
	case f == nil:
		return "-"
	case f.UpToDate || len(f.Changes) == 0:
		return f.State()
	default:
		return f.State() + ": " + strings.Join(f.Changes, "; ")
	}
}

// waitsFor lists n's dependencies for the table: "base" for a context of
// the same name, "img as base" for another context name, "db (order only)"
// for depends_on.
func (p *Plan) waitsFor(n *Node) string {
	if len(n.Deps) == 0 {
		return "-"
	}
	parts := make([]string, len(n.Deps))
	for i, e := range n.Deps {
		name := p.Nodes[e.To].Name
		switch {
		case e.Kind == OrderEdge:
			parts[i] = name + " (order only)"
		case e.Key == name:
			parts[i] = name
		default:
			parts[i] = name + " as " + e.Key
		}
	}
	return strings.Join(parts, ", ")
}

// platformList lists t's platforms, or "native" when it builds for the
// builder's own platform.
func platformList(t *config.Target) string {
	if len(t.Platforms) == 0 {
		return "native"
	}
	return strings.Join(t.Platforms, ",")
}

// destinations describes where n's outputs go, one string per output.
func destinations(n *Node, opts RenderOptions) []string {
	if !n.Export {
		return []string{"(not exported)"}
	}
	if len(n.Target.Outputs) == 0 {
		return []string{"-"}
	}
	out := make([]string, len(n.Target.Outputs))
	for i, e := range n.Target.Outputs {
		out[i] = describeOutput(e, n.Target.Tags, opts)
	}
	return out
}

// destination describes output o with paths as configured, for errors.
func destination(o config.Output) string {
	return describeOutput(o, nil, RenderOptions{})
}

// describeOutput says in a few characters where output o goes:
// "oci:out/app.tar" (an archive), "oci-layout:out/app" (a directory),
// "registry:localhost:5000/app:1" (a push), "image:app" (kept in the
// builder), "cacheonly". An image output without a name uses the target's
// tags, as BuildKit does; several names give "registry:a, registry:b".
func describeOutput(o config.Output, tags []string, opts RenderOptions) string {
	if o.Stdout() {
		return o.Type + ":stdout"
	}
	switch o.Type {
	case "oci", "docker":
		if o.Dest == "" {
			return o.Type
		}
		if o.Dir {
			return o.Type + "-layout:" + opts.rel(o.Dest)
		}
		return o.Type + ":" + opts.rel(o.Dest)
	case "image", "registry":
		names := o.Names
		if len(names) == 0 {
			names = tags
		}
		kind := "image"
		if o.Push {
			kind = "registry"
		}
		if len(names) == 0 {
			return kind
		}
		// One destination per name, so several tags read as a list.
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = kind + ":" + strings.TrimSpace(n)
		}
		return strings.Join(parts, ", ")
	}
	if o.Dest != "" {
		return o.Type + ":" + opts.rel(o.Dest)
	}
	return o.Type
}

// WriteDOT writes the plan as a Graphviz digraph. Arrows point from a
// target to the targets that wait for it, the way results flow: solid and
// labelled with the context name for `target:` links, dashed for
// depends_on. Targets built only as contexts (not exported) have a dashed
// border.
func (p *Plan) WriteDOT(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "digraph plan {")
	fmt.Fprintln(bw, "  rankdir=LR;")
	fmt.Fprintln(bw, "  node [shape=box];")
	for _, n := range p.Nodes {
		if n.Export {
			fmt.Fprintf(bw, "  %s;\n", dotQuote(n.Name))
		} else {
			fmt.Fprintf(bw, "  %s [style=dashed, label=%s];\n", dotQuote(n.Name), dotQuote(n.Name+"\n(context only)"))
		}
	}
	for _, n := range p.Nodes {
		for _, e := range n.Deps {
			from, to := dotQuote(p.Nodes[e.To].Name), dotQuote(n.Name)
			if e.Kind == OrderEdge {
				fmt.Fprintf(bw, "  %s -> %s [style=dashed];\n", from, to)
			} else {
				fmt.Fprintf(bw, "  %s -> %s [label=%s];\n", from, to, dotQuote(e.Key))
			}
		}
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}

// dotQuote quotes s as a DOT string: backslashes and quotes escaped,
// newlines as DOT's centred line break.
func dotQuote(s string) string {
	return `"` + dotEscaper.Replace(s) + `"`
}

var dotEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// WriteMermaid writes the plan as a Mermaid flowchart, drawn like
// WriteDOT: solid labelled arrows for `target:` links, dotted arrows for
// depends_on, and a dashed border (class "contextonly") on targets that are
// not exported. Node ids are n0, n1, ... in plan order, since target names
// may hold characters Mermaid ids cannot.
func (p *Plan) WriteMermaid(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "flowchart LR")
	for i, n := range p.Nodes {
		if n.Export {
			fmt.Fprintf(bw, "  n%d[%s]\n", i, mermaidQuote(n.Name))
		} else {
			fmt.Fprintf(bw, "  n%d[%s]:::contextonly\n", i, mermaidQuote(n.Name+"<br/>(context only)"))
		}
	}
	for i, n := range p.Nodes {
		for _, e := range n.Deps {
			if e.Kind == OrderEdge {
				fmt.Fprintf(bw, "  n%d -.-> n%d\n", e.To, i)
			} else {
				fmt.Fprintf(bw, "  n%d -->|%s| n%d\n", e.To, mermaidQuote(e.Key), i)
			}
		}
	}
	fmt.Fprintln(bw, "  classDef contextonly stroke-dasharray: 5 5")
	return bw.Flush()
}

// mermaidQuote quotes s as a Mermaid label; a double quote inside one is
// written as the entity #quot;.
func mermaidQuote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, "#quot;") + `"`
}
