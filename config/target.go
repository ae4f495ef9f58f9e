package config

import "github.com/hashicorp/hcl/v2"

// Target is one fully evaluated build target: every variable, function,
// inherits chain, matrix expansion and override has been applied. Field names
// follow `docker buildx bake`; optional scalars are pointers so that "unset"
// and "set to the zero value" stay distinct, as bake's --print shows them.
type Target struct {
	Name        string
	Description string
	Inherits    []string

	Annotations      []string
	Attest           []Entry
	Context          *string
	Contexts         map[string]string
	Dockerfile       *string
	DockerfileInline *string
	Args             map[string]*string
	Labels           map[string]*string
	Tags             []string
	CacheFrom        []Entry
	CacheTo          []Entry
	Target           *string
	Secrets          []Entry
	SSH              []Entry
	Platforms        []string
	Outputs          []Output
	Pull             *bool
	NoCache          *bool
	NetworkMode      *string
	NoCacheFilter    []string
	ShmSize          *string
	Ulimits          []string
	Resources        *Resources
	Call             *string
	Entitlements     []string
	ExtraHosts       map[string]*string
	Policy           []Policy

	// DependsOn lists targets that must finish before this one starts
	// (an orch addition: an order-only edge, no data passes).
	DependsOn []string
	// Incremental set to false builds the target on every run, never
	// skipping it as up to date (an orch addition, for builds that fetch
	// from the network); unset means true.
	Incremental *bool

	// Dir is the directory of the file that declared the target; relative
	// paths (context, local contexts, local output dest) resolve against it.
	Dir string

	// DefRange is where the target block (or its first block, when
	// several files declare it) starts.
	DefRange hcl.Range
	// AttrRanges maps an attribute name ("contexts", "depends_on",
	// "output", ...) to the range of the expression that set it last, so
	// later phases can point at the exact line.
	AttrRanges map[string]hcl.Range
	// ContextRanges maps each contexts key to the range of the value that
	// set it, so a `target:` link can be reported at its own line.
	ContextRanges map[string]hcl.Range
}

// Entry is one item of a list attribute that bake accepts either as a CSV
// string ("type=local,src=dir") or as an object: cache-from, cache-to,
// secret, ssh and attest (outputs are parsed further, into Output). Type
// holds the "type" key where the attribute has one (for secret and ssh it
// is empty); Attrs holds every other key. Local paths in Attrs (secret src,
// ssh paths, local cache src/dest) are already resolved against Target.Dir.
type Entry struct {
	Type  string
	Attrs map[string]string
}

// Group names a set of targets and groups.
type Group struct {
	Name        string
	Description string
	Targets     []string
	DefRange    hcl.Range
}
