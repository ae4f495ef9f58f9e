package buildkit

import (
	"encoding/base64"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDecodeExporterResponse: the metadata file holds what buildx writes:
// base64 JSON objects and lists decoded, result.json (a called method's
// answer) read as JSON without base64, anything else as its text.
func TestDecodeExporterResponse(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	resp := map[string]string{
		"containerimage.descriptor": b64(`{"mediaType":"m","size":3}`),
		"containerimage.list":       b64(`[{"a":"b"}]`),
		"containerimage.empty":      b64(`{}`),
		"containerimage.digest":     "sha256:abc",
		"result.json":               `{"warnings":[]}`,
		"result.txt":                "Check complete, no warnings found.",
		"result.statuscode":         "1",
		"result.bad":                b64(`not json`),
	}
	want := map[string]any{
		"containerimage.descriptor": map[string]any{"mediaType": "m", "size": float64(3)},
		"containerimage.list":       []map[string]any{{"a": "b"}},
		"containerimage.empty":      b64(`{}`),
		"containerimage.digest":     "sha256:abc",
		"result.json":               map[string]any{"warnings": []any{}},
		"result.txt":                "Check complete, no warnings found.",
		"result.statuscode":         "1",
		"result.bad":                b64(`not json`),
	}
	if diff := cmp.Diff(want, decodeExporterResponse(resp)); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
}
