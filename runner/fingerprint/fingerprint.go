package fingerprint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/internal/dockerignore"
)

// Version is the version of the fingerprint's inputs and encoding. It is
// hashed into every fingerprint, so a change of what goes in invalidates
// every fingerprint written before: those targets rebuild once.
const Version = "orch-fingerprint-v1"

// Sources is what a target's solve reads, as the BuildKit adapter
// translates the target (buildkit.Sources): plain values, so that this
// package needs no builder.
type Sources struct {
	// Attrs are the attributes of the solve that decide the image's
	// content: the frontend's (build-arg:NAME, label:NAME, target,
	// platform, attest:TYPE, ...) and the exporters' annotations, without
	// those that only name a session or a local path.
	Attrs map[string]string
	// Dockerfile is the Dockerfile's path; DockerfileInline holds the text
	// of an inline Dockerfile, when Dockerfile is "".
	Dockerfile       string
	DockerfileInline *string
	// Context is the local build context, "" when it is remote.
	// IgnoreFile is the Dockerfile-specific ignore file that wins over
	// Context/.dockerignore when it exists.
	Context, IgnoreFile string
	// Named maps each local named context to its directory.
	Named map[string]string
	// Links maps each `target:` context to the parent target's name.
	Links map[string]string
	// Images lists, normalized and sorted, every image the build reads
	// from a registry.
	Images []string
	// Layouts maps each oci-layout:// context to its image's digest.
	Layouts map[string]string
	// Remote lists what the builder fetches itself (git and HTTP
	// contexts), which orch cannot fingerprint.
	Remote []string
	// SecretFiles are the absolute paths secrets are read from.
	SecretFiles []string
	// Entitlements, SecretIDs and SSHIDs are what the target asks for.
	Entitlements, SecretIDs, SSHIDs []string
	// Policy is the source policy the solve runs under: "" for none,
	// "disabled" when policy = ["disabled=true"] turns it off (the only
	// policy orch accepts today; see buildkit's checkPolicy).
	Policy string
	// Call is the frontend method the target calls instead of building
	// ("lint" for bake's check, "outline", "targets"), "" for a build. A
	// call makes no image: it is never up to date and leaves no record.
	Call string
}

// Inputs are what the fingerprint of a target needs from outside: the
// fingerprints of its parents and the digests its images resolve to.
type Inputs struct {
	// Parents maps a parent target's name to its fingerprint; a parent
	// missing here makes the fingerprint Unknown.
	Parents map[string]*Fingerprint
	// Images maps a normalized image reference to its digest; Unresolved
	// maps it to why it could not be resolved.
	Images     map[string]string
	Unresolved map[string]string
}

// Fingerprint is the digest of one target and the digests of its parts.
type Fingerprint struct {
	// Digest is "sha256:HEX" of Version and every component.
	Digest string
	// Components maps each input to its digest, named as `orch plan`
	// shows a change: "Dockerfile", "arg V", "label L", "context",
	// "context NAME", "parent lib3", "image docker.io/library/alpine:3.20",
	// "oci-layout NAME", "entitlements", "secret ids", ...
	Components map[string]string
	// Listings holds the file listing of each context component, for
	// naming the files that changed.
	Listings map[string]*Listing
	// Unknown says why the fingerprint does not capture every input (a
	// remote context, an image that could not be resolved, a parent
	// without a fingerprint); such a target is never up to date.
	Unknown []string
	// Base is the directory context paths are shown relative to: the
	// directory of the file that declared the target.
	Base string
}

// Hasher fingerprints the targets of one run. Contexts that several
// targets share are walked once; every context directory's stat cache is
// read once and written back by Close. It is safe for concurrent use.
type Hasher struct {
	dir string
	// now is the clock the racy check reads; tests move it.
	now func() time.Time

	mu       sync.Mutex
	listings map[listingKey]*onceListing
	stats    map[string]*statCache
}

type listingKey struct{ dir, ignore, secrets string }

type onceListing struct {
	once sync.Once
	l    *Listing
	err  error
}

// NewHasher returns a Hasher keeping its stat caches under cacheDir (see
// Dir); an empty cacheDir keeps none, and every file is read.
func NewHasher(cacheDir string) *Hasher {
	return &Hasher{dir: cacheDir, now: time.Now, listings: map[listingKey]*onceListing{}, stats: map[string]*statCache{}}
}

// Close writes every stat cache that changed. A cache that cannot be
// written only costs the next run the reading of its files, so the error
// is for warnings.
func (h *Hasher) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var errs []string
	for _, c := range h.stats {
		if err := c.save(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return fmt.Errorf("stat cache: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Target fingerprints target t from what its solve reads (src) and its
// inputs. An error means a context or the Dockerfile could not be read;
// the target then cannot be up to date.
func (h *Hasher) Target(ctx context.Context, t *config.Target, src *Sources, in Inputs) (*Fingerprint, error) {
	fp := &Fingerprint{Components: map[string]string{}, Listings: map[string]*Listing{}, Base: t.Dir}
	add := func(name string, v any) { fp.Components[name] = digestJSON(v) }

	for k, v := range src.Attrs {
		add(attrComponent(k), v)
	}
	if len(src.Entitlements) > 0 {
		add("entitlements", sortedSet(src.Entitlements))
	}
	if len(src.SecretIDs) > 0 {
		add("secret ids", sortedSet(src.SecretIDs))
	}
	if len(src.SSHIDs) > 0 {
		add("ssh ids", sortedSet(src.SSHIDs))
	}
	if src.Policy != "" {
		add("policy", src.Policy)
	}

	switch {
	case src.DockerfileInline != nil:
		fp.Components["Dockerfile"] = digestBytes([]byte(*src.DockerfileInline))
	case src.Dockerfile != "":
		dt, err := os.ReadFile(src.Dockerfile)
		if err != nil {
			return nil, fmt.Errorf("dockerfile: %w", err)
		}
		fp.Components["Dockerfile"] = digestBytes(dt)
	}

	secrets := secretSet(src.SecretFiles)
	if src.Context != "" {
		l, err := h.listing(ctx, src.Context, src.IgnoreFile, secrets)
		if err != nil {
			return nil, fmt.Errorf("context: %w", err)
		}
		fp.Components["context"], fp.Listings["context"] = l.Digest, l
	}
	for _, k := range slices.Sorted(maps.Keys(src.Named)) {
		l, err := h.listing(ctx, src.Named[k], "", secrets)
		if err != nil {
			return nil, fmt.Errorf("contexts.%s: %w", k, err)
		}
		name := "context " + k
		fp.Components[name], fp.Listings[name] = l.Digest, l
	}
	for _, k := range slices.Sorted(maps.Keys(src.Links)) {
		parent := src.Links[k]
		p := in.Parents[parent]
		switch {
		case p == nil:
			fp.Unknown = append(fp.Unknown, "parent "+parent+" has no fingerprint")
		case len(p.Unknown) > 0:
			fp.Unknown = append(fp.Unknown, "parent "+parent+": "+p.Unknown[0])
		}
		if p != nil {
			// The key is part of the attributes (context:KEY); the
			// component is named after the parent, as users read it.
			fp.Components["parent "+parent] = p.Digest
		}
	}
	for _, ref := range src.Images {
		if d, ok := in.Images[ref]; ok {
			fp.Components["image "+ref] = d
			continue
		}
		why := in.Unresolved[ref]
		if why == "" {
			why = "not resolved"
		}
		fp.Unknown = append(fp.Unknown, "image "+ref+": "+why)
	}
	for _, k := range slices.Sorted(maps.Keys(src.Layouts)) {
		fp.Components["oci-layout "+k] = src.Layouts[k]
	}
	for _, r := range src.Remote {
		fp.Unknown = append(fp.Unknown, "remote context "+r+" is fetched by the builder")
	}
	fp.Digest = combine(fp.Components)
	return fp, nil
}

// attrComponent names the component of a solve attribute as users read
// it: build-arg:V is "arg V", label:L is "label L"; others keep their key.
func attrComponent(key string) string {
	if name, ok := strings.CutPrefix(key, "build-arg:"); ok {
		return "arg " + name
	}
	if name, ok := strings.CutPrefix(key, "label:"); ok {
		return "label " + name
	}
	if key == "no-cache" {
		return "no-cache-filter" // the only no-cache a fingerprint sees
	}
	return key
}

// combine is the fingerprint of a set of components: Version, then every
// component's name and digest, in name order.
func combine(components map[string]string) string {
	h := sha256.New()
	h.Write([]byte(Version + "\n"))
	for _, k := range slices.Sorted(maps.Keys(components)) {
		fmt.Fprintf(h, "%s\x00%s\n", k, components[k])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// digestJSON hashes v as canonical JSON: encoding/json sorts map keys
// and writes no insignificant space.
func digestJSON(v any) string {
	// Only strings and lists of strings are hashed, which always marshal.
	dt, _ := json.Marshal(v)
	return digestBytes(dt)
}

func digestBytes(dt []byte) string {
	sum := sha256.Sum256(dt)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// sortedSet returns the distinct values of s, sorted.
func sortedSet(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// secretSet is the set of secret source files, by real path, so a link
// into a context and the file it names are one file.
func secretSet(files []string) map[string]bool {
	set := map[string]bool{}
	for _, f := range files {
		if real, err := filepath.EvalSymlinks(f); err == nil {
			f = real
		}
		set[filepath.Clean(f)] = true
	}
	return set
}

// listing returns the listing of the context dir, walking it once per
// run for each ignore file and set of secret files.
func (h *Hasher) listing(ctx context.Context, dir, ignoreFile string, secrets map[string]bool) (*Listing, error) {
	ignore, err := dockerignore.File(dir, ignoreFile)
	if err != nil {
		return nil, err
	}
	key := listingKey{dir: dir, ignore: ignore, secrets: strings.Join(slices.Sorted(maps.Keys(secrets)), "\x00")}
	h.mu.Lock()
	o := h.listings[key]
	if o == nil {
		o = &onceListing{}
		h.listings[key] = o
	}
	h.mu.Unlock()
	o.once.Do(func() { o.l, o.err = h.walk(ctx, dir, ignoreFile, secrets) })
	return o.l, o.err
}

// statCacheFor returns the stat cache of the real directory dir, loading
// it on first use.
func (h *Hasher) statCacheFor(dir string) *statCache {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.stats[dir]
	if c == nil {
		c = loadStatCache(h.dir, dir)
		h.stats[dir] = c
	}
	return c
}
