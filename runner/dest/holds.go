package dest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/orch-build/orch/config"
)

// Holding is what Holds found at a target's destinations.
type Holding struct {
	// Digest is the image the destinations hold, when one says.
	Digest string
	// Destinations are the destinations as a run report names them
	// ("oci:/w/out/app", "registry:localhost:5000/app:1").
	Destinations []string
	// Problems say why the target must build although its inputs may not
	// have changed: a destination that is missing, lacks a blob or cannot
	// be read ("destination out/svc9 missing"), or an output orch cannot
	// check at all ("cacheonly output").
	Problems []string
	// Others name the destinations that hold an image of other inputs
	// ("destination out/app holds an image of other inputs"): there, what
	// changed is in the inputs.
	Others []string
}

// Holds reports whether every output of t holds the image of fingerprint,
// checked at each destination (see FingerprintKey): an OCI layout's entries
// and their blobs, a registry tag's image, a containerd or Podman image;
// local directories and files by their records under recordDir. It
// never fails: a destination it cannot read is a Problem, so the target
// builds.
func Holds(ctx context.Context, t *config.Target, fingerprint, recordDir string) *Holding {
	h := &Holding{}
	if fingerprint == "" {
		h.Problems = append(h.Problems, "not all of its inputs could be fingerprinted")
	}
	if len(t.Outputs) == 0 {
		h.Problems = append(h.Problems, "no output to hold its image")
	}
	for _, o := range t.Outputs {
		h.check(ctx, t, o, fingerprint, recordDir)
	}
	return h
}

// where shows a local destination relative to the directory of the file
// that declared t, as users wrote it.
func where(t *config.Target, p string) string {
	if rel, err := filepath.Rel(t.Dir, p); err == nil && t.Dir != "" && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return p
}

// held records what one destination holds.
func (h *Holding) held(digest string, dests ...string) {
	if h.Digest == "" {
		h.Digest = digest
	}
	h.Destinations = append(h.Destinations, dests...)
}

// check checks one output.
func (h *Holding) check(ctx context.Context, t *config.Target, o config.Output, fingerprint, recordDir string) {
	problem := func(format string, args ...any) { h.Problems = append(h.Problems, fmt.Sprintf(format, args...)) }
	switch {
	case o.Err != nil:
		problem("output type=%s is invalid", o.Type)
	case o.Type == "cacheonly":
		problem("cacheonly output")
	case o.Stdout():
		problem("output type=%s to standard output (dest=-)", o.Type)
	case o.Type == "image" && !o.Push:
		problem("output type=image without push: the builder keeps the image")
	case o.PushByDigest:
		problem("output pushed by digest: no tag to check")
	case o.Push:
		names, err := imageNames(t, o, false)
		if err != nil {
			problem("%v", err)
			return
		}
		shown := t.ImageNames(o)
		reg, err := newRegistry(o.Insecure)
		if err != nil {
			problem("destination registry: %v", err)
			return
		}
		for i, name := range names {
			got, digest, err := reg.fingerprint(ctx, name)
			h.judge("registry "+shown[i], got, fingerprint, err, digest, "registry:"+shown[i])
		}
	case o.Type == "containerd":
		store, err := newContainerdStore(o)
		names, nerr := imageNames(t, o, true)
		if err = errors.Join(err, nerr); err != nil {
			problem("%v", err)
			return
		}
		for i, name := range names {
			got, target, err := store.fingerprint(ctx, name)
			h.judge("containerd "+store.namespace+"/"+name, got, fingerprint, err, target.Digest.String(), store.destinations(names)[i])
		}
	case o.Type == "podman":
		store, err := newPodmanStore(o)
		names, nerr := imageNames(t, o, true)
		if err = errors.Join(err, nerr); err != nil {
			problem("%v", err)
			return
		}
		for i, name := range names {
			got, digest, err := store.fingerprint(ctx, name)
			h.judge("podman "+name, got, fingerprint, err, digest, store.destinations(names)[i])
		}
	case o.Layout():
		real := RealPath(o.Dest)
		got, digest, err := layoutFingerprint(t, o, real)
		h.judge(where(t, o.Dest), got, fingerprint, err, digest, o.Type+":"+filepath.Clean(o.Dest))
	case o.Local():
		real := RealPath(o.Dest)
		ok, why := checkRecord(recordDir, t, real, fingerprint)
		switch {
		case ok:
			h.held("", o.Type+":"+filepath.Clean(o.Dest))
		case why == "was built from other inputs":
			h.Others = append(h.Others, "destination "+where(t, o.Dest)+" holds a build of other inputs")
		default:
			problem("destination %s %s", where(t, o.Dest), why)
		}
	default:
		problem("output type=%s cannot be checked", o.Type)
	}
}

// errMissing says a destination does not hold the image at all.
var errMissing = errors.New("missing")

// brokenError says a destination holds part of an image: what it lacks.
type brokenError struct{ what string }

func (e *brokenError) Error() string { return e.what }

// judge records the verdict on one destination, shown as name, that holds
// fingerprint got (or failed to say, err).
func (h *Holding) judge(name, got, want string, err error, digest, dest string) {
	var broken *brokenError
	switch {
	case errors.Is(err, errMissing) || (err == nil && got == "" && digest == ""):
		h.Problems = append(h.Problems, "destination "+name+" missing")
	case errors.As(err, &broken):
		h.Problems = append(h.Problems, "destination "+name+" "+broken.what)
	case err != nil:
		h.Problems = append(h.Problems, "destination "+name+" cannot be read: "+err.Error())
	case got != want:
		h.Others = append(h.Others, "destination "+name+" holds an image of other inputs")
	default:
		h.held(digest, dest)
	}
}

// layoutFingerprint returns the fingerprint recorded on the entries of
// target t in the OCI layout at real and the digest they name; an error
// when an entry is missing, disagrees with the others or lacks a blob.
func layoutFingerprint(t *config.Target, o config.Output, real string) (fingerprint, digest string, err error) {
	idx, err := readIndex(real)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", errMissing
	}
	if err != nil {
		return "", "", err
	}
	// The entries a merge of t writes: one per image name, or the one
	// named after the target when the image has none (see nameEntry).
	var keys []string
	for _, n := range t.ImageNames(o) {
		norm, err := config.NormalizeImageName(n)
		if err != nil {
			return "", "", err
		}
		keys = append(keys, norm)
	}
	var found []ocispec.Descriptor
	for _, d := range idx.Manifests {
		name := d.Annotations[imageNameAnnotation]
		if n, err := config.NormalizeImageName(name); err == nil && name != "" {
			name = n
		}
		switch {
		case len(keys) == 0 && name == "" && d.Annotations[ocispec.AnnotationRefName] == t.Name:
			found = append(found, d)
		case len(keys) > 0 && name != "" && slices.Contains(keys, name):
			found = append(found, d)
		}
	}
	if len(found) == 0 || (len(keys) > 0 && len(found) < len(keys)) {
		return "", "", errMissing
	}
	fingerprint, digest = found[0].Annotations[FingerprintKey], found[0].Digest.String()
	for _, d := range found {
		if d.Annotations[FingerprintKey] != fingerprint || d.Digest.String() != digest {
			return "", digest, nil // its names hold different images
		}
	}
	if missing := missingBlob(real, found[0], map[string]bool{}); missing != "" {
		return "", digest, &brokenError{what: "lacks blob " + missing}
	}
	return fingerprint, digest, nil
}

// missingBlob returns the first blob the descriptor d leads to that the
// layout at dir lacks (or holds with another size), "" when it has all.
func missingBlob(dir string, d ocispec.Descriptor, seen map[string]bool) string {
	if d.Digest.Validate() != nil {
		return d.Digest.String()
	}
	if seen[d.Digest.String()] {
		return ""
	}
	seen[d.Digest.String()] = true
	p := blobPath(dir, d.Digest)
	fi, err := os.Stat(p)
	if err != nil || fi.Size() != d.Size {
		return d.Digest.String()
	}
	if !isManifestType(d.MediaType) {
		return ""
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		return d.Digest.String()
	}
	var doc struct {
		Manifests []ocispec.Descriptor `json:"manifests"`
		Config    *ocispec.Descriptor  `json:"config"`
		Layers    []ocispec.Descriptor `json:"layers"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return d.Digest.String()
	}
	children := append(doc.Manifests, doc.Layers...)
	if doc.Config != nil {
		children = append(children, *doc.Config)
	}
	for _, c := range children {
		if m := missingBlob(dir, c, seen); m != "" {
			return m
		}
	}
	return ""
}

// fingerprint returns the fingerprint the image the tag ref points at
// carries (see FingerprintKey) and its digest; errMissing when the tag
// does not exist. An index without the annotation of its own is read
// through its first platform manifest.
func (r *registry) fingerprint(ctx context.Context, ref string) (string, string, error) {
	m, err := r.getTag(ctx, ref)
	if err != nil {
		return "", "", err
	}
	if m == nil {
		return "", "", errMissing
	}
	digest := m.desc.Digest.String()
	var doc struct {
		Annotations map[string]string    `json:"annotations"`
		Manifests   []ocispec.Descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(m.raw, &doc); err != nil {
		return "", digest, fmt.Errorf("manifest of %s: %w", ref, err)
	}
	if fp := doc.Annotations[FingerprintKey]; fp != "" || len(doc.Manifests) == 0 {
		return fp, digest, nil
	}
	for _, d := range doc.Manifests {
		if d.Platform != nil && d.Platform.OS == "unknown" {
			continue // an attestation
		}
		raw, err := r.fetch(ctx, ref, d)
		if err != nil {
			return "", digest, err
		}
		var man struct {
			Annotations map[string]string `json:"annotations"`
		}
		if err := json.Unmarshal(raw, &man); err != nil {
			return "", digest, fmt.Errorf("manifest %s of %s: %w", d.Digest, ref, err)
		}
		return man.Annotations[FingerprintKey], digest, nil
	}
	return "", digest, nil
}

// fetch reads the manifest d of the repository of ref.
func (r *registry) fetch(ctx context.Context, ref string, d ocispec.Descriptor) ([]byte, error) {
	ctx = quiet(ctx)
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return nil, err
	}
	fetcher, err := r.resolver.Fetcher(ctx, named.Name()+"@"+d.Digest.String())
	if err != nil {
		return nil, err
	}
	rc, err := fetcher.Fetch(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("fetch %s@%s: %w", named.Name(), d.Digest, registryError(err))
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 4<<20))
}

// ResolveImage returns the digest the registry resolves the image
// reference ref to now, with the credentials of the docker config file
// (plain HTTP for a loopback registry, as pushes speak to it). A reference
// with a digest is its digest.
func ResolveImage(ctx context.Context, ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", err
	}
	if d, ok := named.(reference.Digested); ok {
		return d.Digest().String(), nil
	}
	reg, err := newRegistry(false)
	if err != nil {
		return "", err
	}
	_, desc, err := reg.resolver.Resolve(quiet(ctx), reference.TagNameOnly(named).String())
	if errdefs.IsNotFound(err) {
		return "", fmt.Errorf("resolve %s: not found", ref)
	}
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", ref, registryError(err))
	}
	return desc.Digest.String(), nil
}

// fingerprint returns the fingerprint annotation of the Podman image name
// and its digest; errMissing when Podman has no such image.
func (p *podmanStore) fingerprint(ctx context.Context, name string) (string, string, error) {
	c := p.client()
	defer c.CloseIdleConnections()
	var img struct {
		Digest      string            `json:"Digest"`
		Annotations map[string]string `json:"Annotations"`
	}
	err := p.call(ctx, c, http.MethodGet, "/images/"+url.PathEscape(name)+"/json", nil, &img)
	var status *StatusError
	if errors.As(err, &status) && status.Code == http.StatusNotFound {
		return "", "", errMissing
	}
	if err != nil {
		return "", "", err
	}
	return img.Annotations[FingerprintKey], img.Digest, nil
}
