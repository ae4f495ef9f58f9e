package config

import (
	"bytes"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// A large file's syntax tree is many times the size of the file (10,000
// targets: 2 MB of text, 56 MB of tree), and holding it whole while the
// targets are evaluated was most of the memory `orch print` needed. So the
// loader cuts a large HCL file at its top-level items: variables,
// functions and attributes, which every block may use, are parsed first;
// target and group blocks are grouped into units that are parsed,
// expanded and evaluated one after the other, each unit's syntax released
// once its targets are evaluated. A reference to another block
// (`target.NAME.ATTR`) needs every name, so it makes the loader parse and
// expand every unit first, as for a file parsed whole.
//
// It is purely an optimization: when the file cannot be cut cleanly, or a
// unit does not parse, the file is parsed whole, so diagnostics are
// exactly those of a single parse.

// unitSize is the approximate size of a unit. Small units keep the
// parser's token lists short: the lexer appends tokens to a slice, and
// beyond a few hundred tokens each growth copies it by a quarter more, so
// a 64 KB piece allocated five times its tokens. Tests lower it.
var unitSize = 4 << 10

// unit is a run of target and group blocks of one file.
type unit struct {
	file *file
	// src and start are the unit's text and where it starts in the file,
	// until it is parsed.
	src   []byte
	start hcl.Pos
	// ready delivers the unit parsed ahead by the parser goroutine.
	ready chan parsedUnit
	// blocks are the parsed blocks, until they are collected into raw.
	blocks []*hcl.Block
	raw    []*rawBlock
	// expanded is set once raw is collected and expanded.
	expanded bool
}

// parsedUnit is the result of parsing a unit.
type parsedUnit struct {
	blocks []*hcl.Block
	ok     bool
}

// parseAhead is how many units the parser goroutine may parse before the
// loader takes them: enough to keep both busy, few enough that their
// syntax trees stay small.
const parseAhead = 16

// startParsing parses the loader's units in order on a goroutine of its
// own while the loader evaluates the units before them: parsing is about
// half of loading a large file, and it needs nothing from evaluation. The
// returned function stops the goroutine.
func (l *loader) startParsing() (stop func()) {
	var units []*unit
	for _, u := range l.units {
		if u != nil && u.src != nil {
			u.ready = make(chan parsedUnit, 1)
			units = append(units, u)
		}
	}
	done := make(chan struct{})
	l.ahead = make(chan struct{}, parseAhead)
	go func() {
		for _, u := range units {
			select {
			case l.ahead <- struct{}{}:
			case <-done:
				return
			}
			blocks, ok := parseUnit(u)
			u.ready <- parsedUnit{blocks, ok}
		}
	}()
	return func() { close(done) }
}

// prepare parses, collects and expands unit i if that is not done yet. It
// reports false when the unit does not parse; the loader then stops and
// Load parses the files whole.
func (l *loader) prepare(i int) bool {
	u := l.units[i]
	if u == nil || u.expanded {
		return !l.syntaxFailed
	}
	if u.src != nil {
		var p parsedUnit
		if u.ready != nil {
			p = <-u.ready
			<-l.ahead
		} else {
			p.blocks, p.ok = parseUnit(u)
		}
		if !p.ok {
			l.syntaxFailed = true
			return false
		}
		u.blocks, u.src, u.ready = p.blocks, nil, nil
	}
	l.collectBlocks(u)
	l.expand(u)
	u.expanded = true
	return true
}

// prepareAll prepares every unit, for a reference that needs every name.
func (l *loader) prepareAll() bool {
	for i := range l.units {
		if !l.prepare(i) {
			return false
		}
	}
	return true
}

// parseUnit parses a unit; it must hold target and group blocks only.
func parseUnit(u *unit) ([]*hcl.Block, bool) {
	f, diags := hclsyntax.ParseConfig(u.src, u.file.name, u.start)
	if diags.HasErrors() {
		return nil, false
	}
	body := f.Body.(*hclsyntax.Body)
	if len(body.Attributes) > 0 {
		return nil, false
	}
	content, _, diags := body.PartialContent(topSchema)
	if diags.HasErrors() || len(content.Blocks) != len(body.Blocks) {
		return nil, false
	}
	var blocks []*hcl.Block
	for _, b := range content.Blocks {
		if (b.Type != "target" && b.Type != "group") || len(b.Labels) != 1 {
			return nil, false
		}
		blocks = append(blocks, b)
	}
	return blocks, true
}

// splitFile cuts a large HCL file: it returns the syntax of everything but
// its target and group blocks, and those blocks as units of about
// unitSize bytes, in order. ok is false when the file cannot be cut
// cleanly.
func splitFile(data []byte, f *file) (*hcl.File, bool) {
	cuts := topLevelCuts(data, 1)
	if cuts == nil {
		return nil, false
	}
	body := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}}
	pos := hcl.InitialPos
	// run is the pending run of items of one kind: [runStart, runEnd).
	runStart, runPos, runBlocks := 0, pos, false
	flush := func(end int) bool {
		if end == runStart {
			return true
		}
		piece := data[runStart:end]
		if runBlocks {
			f.units = append(f.units, &unit{file: f, src: piece, start: runPos})
			return true
		}
		pf, diags := hclsyntax.ParseConfig(piece, f.name, runPos)
		if diags.HasErrors() {
			return false
		}
		pb := pf.Body.(*hclsyntax.Body)
		for k, a := range pb.Attributes {
			if _, dup := body.Attributes[k]; dup {
				return false // let the whole-file parse report it
			}
			body.Attributes[k] = a
		}
		for _, b := range pb.Blocks {
			if b.Type == "target" || b.Type == "group" {
				return false
			}
		}
		body.Blocks = append(body.Blocks, pb.Blocks...)
		return true
	}
	prev := 0
	for _, cut := range append(cuts, len(data)) {
		item := data[prev:cut]
		isBlock, blank := itemKind(item)
		if !blank && (isBlock != runBlocks || prev-runStart >= unitSize) {
			if !flush(prev) {
				return nil, false
			}
			runStart, runPos, runBlocks = prev, pos, isBlock
		}
		pos.Byte += len(item)
		pos.Line += bytes.Count(item, []byte{'\n'})
		prev = cut
	}
	if !flush(len(data)) {
		return nil, false
	}
	body.SrcRange = hcl.Range{Filename: f.name, Start: hcl.InitialPos, End: pos}
	body.EndRange = hcl.Range{Filename: f.name, Start: pos, End: pos}
	return &hcl.File{Body: body, Bytes: data}, true
}

// itemKind reports whether a top-level item is a target or group block
// (its first word is "target" or "group" followed by a quoted label), or
// holds only blanks and comments.
func itemKind(item []byte) (block, blank bool) {
	i := 0
	for i < len(item) {
		switch c := item[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '#' || (c == '/' && i+1 < len(item) && item[i+1] == '/'):
			i = skipLine(item, i)
		case c == '/' && i+1 < len(item) && item[i+1] == '*':
			end := bytes.Index(item[i+2:], []byte("*/"))
			if end < 0 {
				return false, false
			}
			i += end + 4
		default:
			rest := item[i:]
			for _, kw := range []string{"target", "group"} {
				if after, ok := bytes.CutPrefix(rest, []byte(kw)); ok {
					after = bytes.TrimLeft(after, " \t")
					return len(after) > 0 && after[0] == '"', false
				}
			}
			return false, false
		}
	}
	return false, true
}
