package config

import (
	"encoding/json"
	"sort"
)

// jsonWriter writes JSON exactly as encoding/json's MarshalIndent with a
// two-space indent does, so `orch print` is byte for byte what bake prints,
// but without reflection: the printer knows the shape of every value, and
// printing thousands of targets through reflection and intermediate maps
// was most of print's cost. Objects and arrays are written with begin,
// the members, then end; an object or array without members is written
// as {} or [], as MarshalIndent writes empty ones.
type jsonWriter struct {
	buf []byte
	// open holds, per open object or array, whether it has a member yet.
	open []bool
	// base is the indentation the document starts at.
	base int
}

func (w *jsonWriter) newline() {
	w.buf = append(w.buf, '\n')
	for range w.base + len(w.open) {
		w.buf = append(w.buf, ' ', ' ')
	}
}

// member starts a value inside the innermost object or array.
func (w *jsonWriter) member() {
	if len(w.open) == 0 {
		return
	}
	top := len(w.open) - 1
	if w.open[top] {
		w.buf = append(w.buf, ',')
	}
	w.open[top] = true
	w.newline()
}

// key starts the member name of an object.
func (w *jsonWriter) key(k string) {
	w.member()
	w.buf = appendJSONString(w.buf, k)
	w.buf = append(w.buf, ':', ' ')
}

func (w *jsonWriter) begin(c byte) {
	w.buf = append(w.buf, c)
	w.open = append(w.open, false)
}

func (w *jsonWriter) end(c byte) {
	top := len(w.open) - 1
	had := w.open[top]
	w.open = w.open[:top]
	if had {
		w.newline()
	}
	w.buf = append(w.buf, c)
}

func (w *jsonWriter) beginObject() { w.begin('{') }
func (w *jsonWriter) endObject()   { w.end('}') }
func (w *jsonWriter) beginArray()  { w.begin('[') }
func (w *jsonWriter) endArray()    { w.end(']') }

// item starts an array element.
func (w *jsonWriter) item() { w.member() }

func (w *jsonWriter) str(s string) { w.buf = appendJSONString(w.buf, s) }

func (w *jsonWriter) boolean(b bool) {
	if b {
		w.buf = append(w.buf, "true"...)
	} else {
		w.buf = append(w.buf, "false"...)
	}
}

func (w *jsonWriter) null() { w.buf = append(w.buf, "null"...) }

// strings writes a list of strings, escaped by esc when it is not nil.
func (w *jsonWriter) strings(list []string, esc func(string) string) {
	w.beginArray()
	for _, s := range list {
		w.item()
		if esc != nil {
			s = esc(s)
		}
		w.str(s)
	}
	w.endArray()
}

// stringMap writes an object of strings with sorted keys, as
// encoding/json orders map keys.
func (w *jsonWriter) stringMap(m map[string]string) {
	w.beginObject()
	for _, k := range sortedKeys(m) {
		w.key(k)
		w.str(m[k])
	}
	w.endObject()
}

// appendJSONString appends s as a JSON string the way encoding/json
// escapes it (HTML characters, control characters, U+2028 and U+2029,
// invalid UTF-8). Plain ASCII, nearly every string in a bake file, is
// copied directly; anything else goes through encoding/json itself, so the
// escaping rules are never re-implemented.
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always marshals
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// sortedStrings returns a sorted copy of s.
func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
