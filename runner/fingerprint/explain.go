package fingerprint

import (
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distribution/reference"
)

// maxFiles is how many changed files of one context Changes names before
// it counts the rest.
const maxFiles = 3

// Changes says what differs between the inputs of a target's last build,
// old, and its inputs now, fp, one phrase per input as `orch plan` shows
// them: "Dockerfile", "arg V", "context file svc42/f.txt", "parent lib3",
// "base image alpine:3.20 moved to sha256:…". listing looks up the
// listing of an old context by digest (Store.Listing); without it, or when
// it is gone, a changed context is named as a whole. Nothing is returned
// when the two fingerprints are equal.
func Changes(old *Record, fp *Fingerprint, listing func(digest string) *Listing) []string {
	if old.Fingerprint == fp.Digest {
		return nil
	}
	names := map[string]bool{}
	for k := range old.Components {
		names[k] = true
	}
	for k := range fp.Components {
		names[k] = true
	}
	var out []string
	for _, name := range slices.Sorted(maps.Keys(names)) {
		was, wasThere := old.Components[name]
		now, isThere := fp.Components[name]
		if was == now {
			continue
		}
		switch {
		case name == "context" || strings.HasPrefix(name, "context "):
			out = append(out, contextChanges(name, was, fp, listing)...)
		case strings.HasPrefix(name, "image "):
			ref := familiar(strings.TrimPrefix(name, "image "))
			switch {
			case !wasThere:
				out = append(out, "base image "+ref+" added")
			case !isThere:
				out = append(out, "base image "+ref+" removed")
			default:
				out = append(out, "base image "+ref+" moved to "+now)
			}
		case strings.HasPrefix(name, "oci-layout "):
			out = append(out, "context "+strings.TrimPrefix(name, "oci-layout ")+" (oci-layout) moved to "+now)
		default:
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		// The components agree but the digests do not: another Version.
		out = append(out, "orch's fingerprint format")
	}
	return out
}

// contextChanges names the files of the context component name that
// differ from its old listing, was.
func contextChanges(name, was string, fp *Fingerprint, listing func(string) *Listing) []string {
	cur := fp.Listings[name]
	var prev *Listing
	if was != "" && listing != nil {
		prev = listing(was)
	}
	if cur == nil || prev == nil {
		return []string{name}
	}
	changed := diffFiles(prev.Files, cur.Files)
	if len(changed) == 0 {
		return []string{name}
	}
	base := cur.Dir
	if fp.Base != "" {
		if rel, err := filepath.Rel(fp.Base, cur.Dir); err == nil && !strings.HasPrefix(rel, "..") {
			base = filepath.ToSlash(rel)
		}
	}
	var out []string
	for _, p := range changed[:min(len(changed), maxFiles)] {
		out = append(out, "context file "+path.Join(base, p))
	}
	if n := len(changed) - maxFiles; n > 0 {
		out = append(out, fmt.Sprintf("%d more context files", n))
	}
	return out
}

// diffFiles returns the paths added, removed or changed between two
// sorted file lists, in path order.
func diffFiles(a, b []File) []string {
	var out []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].Path < b[j].Path):
			out = append(out, a[i].Path)
			i++
		case i == len(a) || b[j].Path < a[i].Path:
			out = append(out, b[j].Path)
			j++
		default:
			if a[i] != b[j] {
				out = append(out, a[i].Path)
			}
			i++
			j++
		}
	}
	return out
}

// familiar shows an image reference as people write it ("alpine:3.20").
func familiar(ref string) string {
	if r, err := reference.ParseNormalizedNamed(ref); err == nil {
		return reference.FamiliarString(r)
	}
	return ref
}
