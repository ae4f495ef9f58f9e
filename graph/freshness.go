package graph

// Freshness is what the incremental check (runner/build) found about a
// node before anything was built: whether every destination of the node
// already holds the image of its current inputs, and if not, why it
// builds. The runner reads it to skip what is up to date; the plan's
// renderings show it. It is nil when nothing was checked (orch graph, a
// plan built by hand), and then every node builds.
type Freshness struct {
	// Fingerprint is the digest of the node's inputs (see
	// runner/fingerprint), "" when they could not all be fingerprinted.
	Fingerprint string
	// UpToDate is set when every destination of the node holds the image
	// of Fingerprint (for a node that is not exported: when its last build
	// had the same inputs). Such a node is not built; when a dependent
	// that does build needs its result, it is solved again, from the
	// builder's cache, and its outputs are not written.
	UpToDate bool
	// Changes say why a node that is not up to date builds, e.g.
	// "context file svc42/f.txt", "Dockerfile", "arg V", "parent lib3",
	// "base image alpine:3.20 moved to sha256:…", "destination out/svc9
	// missing", "--force".
	Changes []string
	// Digest, Destinations and Metadata are what the destinations of an
	// up-to-date node hold: the image digest, the destinations as a run
	// report names them ("oci:out/app") and the exporter metadata of the
	// build that wrote them, for the report and the metadata file.
	Digest       string
	Destinations []string
	Metadata     map[string]any
}

// State is the one-word verdict the renderings show: "up-to-date" or
// "build".
func (f *Freshness) State() string {
	if f.UpToDate {
		return "up-to-date"
	}
	return "build"
}
