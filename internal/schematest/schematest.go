// Package schematest checks the documents orch writes against the JSON
// Schemas it publishes (schema/*.schema.json), for tests. The validating
// is done by a maintained library, github.com/santhosh-tekuri/jsonschema;
// this package only compiles a schema file the way every test needs it
// (the draft the file declares, formats such as date-time asserted) and
// lists a document's violations one per line, each with its place in the
// document and the keyword it breaks, so a test can compare them.
//
// It does not decide what a schema means: the library does, and it refuses
// a schema that is not valid under its own $schema when compiling it.
package schematest

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Compile reads and compiles the schema file at path. Formats are
// assertions, not annotations: "yesterday" is not a date-time.
func Compile(path string) (*jsonschema.Schema, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	return c.Compile(abs)
}

// Problem is one violation of a schema by a document.
type Problem struct {
	// Path is the JSON pointer of the offending value ("/targets/0/status";
	// "" is the whole document).
	Path string
	// Keyword is the schema keyword the value breaks: "required", "enum",
	// "additionalProperties", "type", ...
	Keyword string
	// Message is the library's description of the violation.
	Message string
}

func (p Problem) String() string {
	path := p.Path
	if path == "" {
		path = "/"
	}
	return path + ": " + p.Keyword + ": " + p.Message
}

// Check validates doc, a value decoded from JSON (or built from maps,
// slices, strings, float64s and bools), against s and returns every
// violation, sorted by path and keyword. None means doc is valid. Where
// several alternatives (anyOf) all fail, each alternative's violations
// are listed.
func Check(s *jsonschema.Schema, doc any) []Problem {
	err := s.Validate(doc)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		// Not a violation but a failure to validate at all.
		return []Problem{{Keyword: "validate", Message: err.Error()}}
	}
	var out []Problem
	leaves(ve, &out)
	slices.SortFunc(out, func(a, b Problem) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		if c := strings.Compare(a.Keyword, b.Keyword); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	return slices.Compact(out)
}

// CheckJSON is Check for a document given as JSON text. The error is for
// text that is not JSON.
func CheckJSON(s *jsonschema.Schema, raw []byte) ([]Problem, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	return Check(s, doc), nil
}

// leaves collects the errors of the tree under e that have no causes:
// the others only group them ("doesn't validate with ...").
func leaves(e *jsonschema.ValidationError, out *[]Problem) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			leaves(c, out)
		}
		return
	}
	kw := strings.Join(e.ErrorKind.KeywordPath(), "/")
	if _, isFalse := e.ErrorKind.(*kind.FalseSchema); isFalse {
		// The schema false, which has no keyword.
		kw = "false"
	}
	*out = append(*out, Problem{
		Path:    pointer(e.InstanceLocation),
		Keyword: kw,
		Message: e.ErrorKind.LocalizedString(printer),
	})
}

// printer renders the library's messages, in English.
var printer = message.NewPrinter(language.English)

// pointer renders the tokens of an instance location as a JSON pointer.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return b.String()
}

// Deref follows s's $ref chain to the schema that has the keywords, for
// tests that walk a schema beside the Go types it describes. A schema
// with other keywords beside its $ref is returned as it is.
func Deref(s *jsonschema.Schema) *jsonschema.Schema {
	for s != nil && s.Ref != nil && s.Types == nil && s.Properties == nil {
		s = s.Ref
	}
	return s
}
