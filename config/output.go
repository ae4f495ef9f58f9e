package config

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
)

// Output is one `output` entry of a target, parsed once so that every later
// phase (the planner's conflict checks, the preflight, the BuildKit
// adapter, the destinations) reads the same facts. Booleans are read the
// way BuildKit's exporters read them (strconv.ParseBool; an empty push= or
// tar= means true), so `tar=0`, `tar=false` and `tar=FALSE` mean one thing
// everywhere.
type Output struct {
	// Type is the exporter as written: image, registry, oci, docker,
	// local, tar, cacheonly, or one of orch's image stores, containerd
	// and podman.
	Type string
	// Dest is where a local exporter writes, resolved against the
	// directory of the declaring file; "-" is standard output and "" means
	// the output writes nothing on the local file system.
	Dest string
	// Attrs holds every other attribute as written (not type, not dest).
	Attrs map[string]string

	// Dir is set when the output writes a directory: local, or oci and
	// docker with tar=false (an OCI layout).
	Dir bool
	// Push is set for registry outputs and image outputs with push=true.
	Push bool
	// PushByDigest is image's push-by-digest=true.
	PushByDigest bool
	// Insecure is registry.insecure=true: the registry speaks plain HTTP
	// or has an untrusted certificate.
	Insecure bool
	// Names are the image names of the name= attribute, split at commas,
	// trimmed, empty ones dropped. Empty when name= is not set; see
	// Target.ImageNames for the names the image actually gets.
	Names []string

	// Err says why BuildKit or orch would refuse the output (an unknown
	// type, a boolean that is not one); nil when it is valid. Loading
	// never fails on it, because `orch print` shows such outputs as bake
	// does; the checks before a build report it at the output's line.
	Err error
}

// Output types orch knows. Registry is image with push=true.
var outputTypes = []string{"image", "registry", "oci", "docker", "local", "tar", "cacheonly", "containerd", "podman"}

// NewOutput parses one output from its type, resolved destination and
// remaining attributes.
func NewOutput(typ, dest string, attrs map[string]string) Output {
	o := Output{Type: typ, Dest: dest, Attrs: maps.Clone(attrs)}
	if o.Attrs == nil {
		o.Attrs = map[string]string{}
	}
	var errs []string
	flag := func(key string, emptyIs bool) bool {
		v, ok := o.Attrs[key]
		if !ok {
			return false
		}
		if v == "" {
			return emptyIs
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			// Read as buildx does for tar (an archive); the error
			// stops the build anyway.
			errs = append(errs, fmt.Sprintf("%s=%s is not a boolean (want true or false)", key, v))
			return emptyIs
		}
		return b
	}
	switch typ {
	case "oci", "docker":
		tar := true
		if _, ok := o.Attrs["tar"]; ok {
			tar = flag("tar", true)
		}
		o.Dir = !tar
	case "local":
		o.Dir = true
	case "registry":
		o.Push = true
	case "image":
		o.Push = flag("push", true)
	case "tar", "cacheonly", "containerd", "podman":
	default:
		errs = append(errs, fmt.Sprintf("unknown output type %q (want %s)", typ, strings.Join(outputTypes, ", ")))
	}
	if typ == "image" || typ == "registry" {
		o.PushByDigest = flag("push-by-digest", true)
		o.Insecure = flag("registry.insecure", true)
	}
	for n := range strings.SplitSeq(o.Attrs["name"], ",") {
		if n = strings.TrimSpace(n); n != "" {
			o.Names = append(o.Names, n)
		}
	}
	if len(errs) > 0 {
		o.Err = fmt.Errorf("output type=%s: %s", typ, strings.Join(errs, "; "))
	}
	return o
}

// Layout reports whether the output is an OCI layout directory (oci or
// docker with tar=false), which orch owns as a whole and merges images into.
func (o Output) Layout() bool { return o.Dir && (o.Type == "oci" || o.Type == "docker") }

// Stdout reports whether the output streams to standard output (dest=-).
func (o Output) Stdout() bool { return o.Dest == "-" }

// Local reports whether the output writes a path on the local file system:
// a local directory, a tar archive or an OCI/docker layout or archive with
// a dest other than "-".
func (o Output) Local() bool {
	switch o.Type {
	case "local", "tar", "oci", "docker":
		return o.Dest != "" && o.Dest != "-"
	}
	return false
}

// ImageNames returns the names the output's image gets: the output's name=
// attribute, else the target's tags, as BuildKit names it.
func (t *Target) ImageNames(o Output) []string {
	if len(o.Names) > 0 {
		return o.Names
	}
	var out []string
	for _, tag := range t.Tags {
		if tag = strings.TrimSpace(tag); tag != "" {
			out = append(out, tag)
		}
	}
	return out
}
