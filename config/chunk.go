package config

import (
	"bytes"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// The HCL parser tokenizes a whole file before parsing it, and the token
// slice of a large file (10,000 targets is about a megabyte) costs several
// times the size of the syntax tree. parseLarge cuts a large file at
// top-level item boundaries, parses the pieces one by one, and joins their
// bodies, so only one piece's tokens are alive at a time. It is purely an
// optimization: whenever a piece does not parse cleanly, the file is parsed
// whole, so diagnostics are exactly those of a single parse.

// chunkSize is the approximate size of a piece; tests lower it.
var chunkSize = 64 << 10

// parseHCL parses native syntax, in pieces when the file is large.
func parseHCL(data []byte, name string) (*hcl.File, hcl.Diagnostics) {
	if len(data) > 2*chunkSize {
		if f, ok := parseLarge(data, name); ok {
			return f, nil
		}
	}
	return hclsyntax.ParseConfig(data, name, hcl.InitialPos)
}

func parseLarge(data []byte, name string) (*hcl.File, bool) {
	cuts := topLevelCuts(data, chunkSize)
	if cuts == nil {
		return nil, false
	}
	body := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}}
	start := hcl.InitialPos
	prev := 0
	for _, cut := range append(cuts, len(data)) {
		piece := data[prev:cut]
		f, diags := hclsyntax.ParseConfig(piece, name, start)
		if diags.HasErrors() {
			return nil, false
		}
		b := f.Body.(*hclsyntax.Body)
		for k, a := range b.Attributes {
			if _, dup := body.Attributes[k]; dup {
				// Let the whole-file parse report it.
				return nil, false
			}
			body.Attributes[k] = a
		}
		body.Blocks = append(body.Blocks, b.Blocks...)
		start.Byte += len(piece)
		start.Line += bytes.Count(piece, []byte{'\n'})
		prev = cut
	}
	body.SrcRange = hcl.Range{Filename: name, Start: hcl.InitialPos, End: start}
	body.EndRange = hcl.Range{Filename: name, Start: start, End: start}
	return &hcl.File{Body: body, Bytes: data}, true
}

// topLevelCuts returns byte offsets, each just after a newline that ends a
// top-level item, about every size bytes. It tracks brackets, strings with
// template interpolations, heredocs and comments; it returns nil when the
// file does not scan cleanly.
func topLevelCuts(src []byte, size int) []int {
	var cuts []int
	// stack holds the open contexts: '{', '[', '(' for brackets, '"' for
	// a quoted template, and 'i' for an interpolation inside a template.
	var stack []byte
	last := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		top := byte(0)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top == '"' {
			switch {
			case c == '\\':
				i++
			case c == '"':
				stack = stack[:len(stack)-1]
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				stack = append(stack, 'i')
				i++
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == c:
				i++ // "$$" or "%%" escapes the next brace
			case c == '\n':
				return nil
			}
			continue
		}
		switch c {
		case '"':
			stack = append(stack, '"')
		case '{', '[', '(':
			stack = append(stack, c)
		case '}':
			if top != '{' && top != 'i' {
				return nil
			}
			stack = stack[:len(stack)-1]
		case ']', ')':
			if (c == ']' && top != '[') || (c == ')' && top != '(') {
				return nil
			}
			stack = stack[:len(stack)-1]
		case '#':
			i = skipLine(src, i)
			if i < len(src) && len(stack) == 0 && i+1-last >= size {
				cuts = append(cuts, i+1)
				last = i + 1
			}
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				i = skipLine(src, i)
				if i < len(src) && len(stack) == 0 && i+1-last >= size {
					cuts = append(cuts, i+1)
					last = i + 1
				}
			} else if i+1 < len(src) && src[i+1] == '*' {
				end := bytes.Index(src[i+2:], []byte("*/"))
				if end < 0 {
					return nil
				}
				i += 2 + end + 1
			}
		case '<':
			if i+1 < len(src) && src[i+1] == '<' {
				end, ok := skipHeredoc(src, i)
				if !ok {
					return nil
				}
				i = end
			}
		case '\n':
			if len(stack) == 0 && i+1-last >= size {
				cuts = append(cuts, i+1)
				last = i + 1
			}
		}
	}
	if len(stack) != 0 {
		return nil
	}
	if len(cuts) > 0 && cuts[len(cuts)-1] == len(src) {
		cuts = cuts[:len(cuts)-1]
	}
	return cuts
}

// skipLine returns the index of the newline ending the line at i, or
// len(src).
func skipLine(src []byte, i int) int {
	if j := bytes.IndexByte(src[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(src)
}

// skipHeredoc skips "<<EOT" or "<<-EOT" and its body, returning the index
// of the newline after the closing marker.
func skipHeredoc(src []byte, i int) (int, bool) {
	j := i + 2
	if j < len(src) && src[j] == '-' {
		j++
	}
	k := j
	for k < len(src) && (src[k] == '_' || src[k] >= 'a' && src[k] <= 'z' || src[k] >= 'A' && src[k] <= 'Z' || src[k] >= '0' && src[k] <= '9') {
		k++
	}
	marker := src[j:k]
	if len(marker) == 0 || k >= len(src) || src[k] != '\n' {
		return 0, false
	}
	pos := k + 1
	for pos < len(src) {
		end := skipLine(src, pos)
		if bytes.Equal(bytes.TrimSpace(src[pos:end]), marker) {
			// The marker line ends the heredoc; its newline belongs to
			// the attribute, so stop before it.
			return end - 1, true
		}
		pos = end + 1
	}
	return 0, false
}
