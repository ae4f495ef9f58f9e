package buildkit

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"strings"

	"github.com/moby/buildkit/client"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/runner/dest"
)

// exportEntries translates the writes of a staged export (see
// runner/dest: every output is written into staging that dest chose, and
// dest moves, merges, pushes or loads it) into BuildKit's export entries.
// Annotations go to the exporters that make an image.
func exportEntries(writes []dest.Write, annotations map[string]string) []client.ExportEntry {
	entries := make([]client.ExportEntry, 0, len(writes))
	for _, w := range writes {
		attrs := maps.Clone(w.Attrs)
		switch w.Exporter {
		case client.ExporterImage, client.ExporterOCI, client.ExporterDocker:
			maps.Copy(attrs, annotations)
		}
		entry := client.ExportEntry{Type: w.Exporter, Attrs: attrs, OutputDir: w.Dir}
		if file := w.File; file != "" {
			entry.Output = func(map[string]string) (io.WriteCloser, error) {
				return os.OpenFile(file, os.O_WRONLY|os.O_TRUNC, 0)
			}
		}
		entries = append(entries, entry)
	}
	return entries
}

// checkLayouts refuses a target with more than one OCI layout directory:
// BuildKit's client serves one local content store per solve.
func checkLayouts(t *config.Target) error {
	n := 0
	for _, o := range t.Outputs {
		if o.Layout() && o.Local() {
			n++
		}
	}
	if n > 1 {
		return errors.New("outputs: BuildKit writes at most one OCI or docker layout directory per target; use one such output and copy it")
	}
	return nil
}

// annotationAttrs turns bake annotations ("key=value", "manifest:key=value",
// "index:key=value", "manifest[linux/amd64]:key=value") into exporter
// attributes.
func annotationAttrs(annotations []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range annotations {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("annotation %q: want KEY=VALUE, optionally prefixed with manifest:, index:, manifest-descriptor: or index-descriptor:", a)
		}
		prefix := "annotation"
		if typ, key, found := strings.Cut(k, ":"); found && !strings.Contains(typ, ".") {
			switch base, _, _ := strings.Cut(typ, "["); base {
			case "manifest", "index", "manifest-descriptor", "index-descriptor":
				prefix = "annotation-" + typ
				k = key
			default:
				return nil, fmt.Errorf("annotation %q: unknown level %q (want manifest, index, manifest-descriptor or index-descriptor)", a, typ)
			}
		}
		out[prefix+"."+k] = v
	}
	return out, nil
}
