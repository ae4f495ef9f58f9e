package graph

import (
	"encoding/json"
	"io"
)

// Document is the JSON form of a plan, printed by `orch plan --format json`
// and `orch graph --format json`. schema/plan.schema.json describes it, and
// a test keeps the two in sync: change both together.
type Document struct {
	// Version is DocumentVersion.
	Version int `json:"version"`
	// Targets lists the plan's nodes in execution order.
	Targets []DocumentTarget `json:"targets"`
	// Levels groups target names by depth; see Plan.Levels.
	Levels [][]string `json:"levels"`
	// CriticalPath lists the target names of the longest dependency
	// chain; see Plan.CriticalPath.
	CriticalPath []string `json:"critical_path"`
	// Builders are the builder nodes of a pool the plan was placed on
	// (`orch plan --builder ...`); absent otherwise. The runner fills
	// them, and each target's Placement (runner.Forecast.Annotate).
	Builders []DocumentBuilder `json:"builders,omitempty"`
}

// DocumentBuilder is one builder node of a pool.
type DocumentBuilder struct {
	Name     string   `json:"name"`
	Endpoint string   `json:"endpoint"`
	Native   []string `json:"native"`
	Emulated []string `json:"emulated"`
	// Limit is how many solves the node runs at once.
	Limit int `json:"limit"`
}

// DocumentPlacement is the builder node one platform of a target would be
// built on.
type DocumentPlacement struct {
	Platform string `json:"platform"`
	Node     string `json:"node"`
	// Emulated is set when the node builds the platform through
	// emulation.
	Emulated bool `json:"emulated,omitempty"`
}

// DocumentTransfer is a linked parent's result that crosses builder
// nodes for one platform of the child.
type DocumentTransfer struct {
	Platform string `json:"platform"`
	From     string `json:"from"`
	To       string `json:"to"`
	// Via is how: "oci-layout", exported from From and served to To.
	Via string `json:"via"`
}

// DocumentVersion is the version of the Document format. Fields may be
// added without changing it; removing or changing one bumps it.
const DocumentVersion = 1

// DocumentTarget is one node of a Document.
type DocumentTarget struct {
	Name string `json:"name"`
	// Level is the index of the node's level in Document.Levels.
	Level int `json:"level"`
	// Exported is false for a target built only as a context of others.
	Exported bool `json:"exported"`
	// Platforms is empty when the target builds for the builder's platform.
	Platforms    []string         `json:"platforms"`
	Dependencies []DocumentEdge   `json:"dependencies"`
	Outputs      []DocumentOutput `json:"outputs"`
	Reasons      []string         `json:"reasons"`
	// File and Line say where the target is declared, when known.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Placement is, for a plan placed on a pool, the node of each
	// platform; PlacementError says why no node can build the target.
	Placement      []DocumentPlacement `json:"placement,omitempty"`
	PlacementError string              `json:"placement_error,omitempty"`
	// Incremental is the node's Freshness, absent when it was not checked.
	Incremental *DocumentFreshness `json:"incremental,omitempty"`
}

// DocumentFreshness is a node's Freshness in a Document.
type DocumentFreshness struct {
	// State is "up-to-date" or "build".
	State       string `json:"state"`
	Fingerprint string `json:"fingerprint,omitempty"`
	// Changes say why the target builds; empty when it is up to date.
	Changes []string `json:"changes"`
	// Digest is the image an up-to-date target's destinations hold.
	Digest string `json:"digest,omitempty"`
}

// DocumentEdge is one dependency of a DocumentTarget.
type DocumentEdge struct {
	// Target names the target depended on.
	Target string `json:"target"`
	// Kind is "data" for a `target:` context, "order" for depends_on.
	Kind string `json:"kind"`
	// Key is the context name of a data edge.
	Key string `json:"key,omitempty"`
	// Transfers are, for a plan placed on a pool, the platforms whose
	// result of the target depended on crosses builder nodes.
	Transfers []DocumentTransfer `json:"transfers,omitempty"`
}

// DocumentOutput is one output of a DocumentTarget, as configured.
type DocumentOutput struct {
	Type  string            `json:"type"`
	Attrs map[string]string `json:"attrs"`
	// Destination describes the output in a few characters, e.g.
	// "oci-layout:/w/out/app" or "registry:localhost:5000/app:1".
	Destination string `json:"destination"`
}

// Document returns the JSON form of the plan. Slices are never nil, so
// empty lists print as [] and consumers need no null checks.
func (p *Plan) Document() *Document {
	level := p.levelOf()
	d := &Document{Version: DocumentVersion, Targets: make([]DocumentTarget, len(p.Nodes)), Levels: [][]string{}, CriticalPath: []string{}}
	for _, l := range p.Levels() {
		names := make([]string, len(l))
		for i, n := range l {
			names[i] = n.Name
		}
		d.Levels = append(d.Levels, names)
	}
	for _, n := range p.CriticalPath() {
		d.CriticalPath = append(d.CriticalPath, n.Name)
	}
	for i, n := range p.Nodes {
		t := DocumentTarget{
			Name:         n.Name,
			Level:        level[i],
			Exported:     n.Export,
			Platforms:    append([]string{}, n.Target.Platforms...),
			Dependencies: make([]DocumentEdge, len(n.Deps)),
			Outputs:      make([]DocumentOutput, len(n.Target.Outputs)),
			Reasons:      append([]string{}, n.Reasons...),
			File:         n.Target.DefRange.Filename,
			Line:         n.Target.DefRange.Start.Line,
		}
		for j, e := range n.Deps {
			t.Dependencies[j] = DocumentEdge{Target: p.Nodes[e.To].Name, Kind: e.Kind.String(), Key: e.Key}
		}
		if f := n.Freshness; f != nil {
			t.Incremental = &DocumentFreshness{State: f.State(), Fingerprint: f.Fingerprint, Changes: append([]string{}, f.Changes...), Digest: f.Digest}
		}
		for j, o := range n.Target.Outputs {
			attrs := make(map[string]string, len(o.Attrs)+1)
			for k, v := range o.Attrs {
				attrs[k] = v
			}
			if o.Dest != "" {
				attrs["dest"] = o.Dest
			}
			t.Outputs[j] = DocumentOutput{Type: o.Type, Attrs: attrs, Destination: describeOutput(o, n.Target.Tags, RenderOptions{})}
		}
		d.Targets[i] = t
	}
	return d
}

// WriteJSON writes the plan's Document as indented JSON.
func (p *Plan) WriteJSON(w io.Writer) error { return p.Document().Write(w) }

// Write writes the document as indented JSON.
func (d *Document) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}
