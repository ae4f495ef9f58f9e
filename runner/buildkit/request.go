package buildkit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/containerd/v2/core/content"
	contentlocal "github.com/containerd/containerd/v2/plugins/content/local"
	units "github.com/docker/go-units"
	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/entitlements"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/tonistiigi/fsutil"

	"github.com/orch-build/orch/config"
)

// request is a target translated into what a BuildKit solve takes, minus the
// exports (see exports.go) and the `target:` inputs, which are only known
// once the parents have been built.
type request struct {
	attrs        map[string]string
	mounts       map[string]fsutil.FS
	ociStores    map[string]content.Store
	session      []session.Attachable
	auth         session.Attachable
	cacheImports []client.CacheOptionsEntry
	cacheExports []client.CacheOptionsEntry
	entitlements []string
	// links maps a named context to the target it is linked to; inputs
	// holds the linked parents' results once they are known.
	links  map[string]string
	inputs map[string]*pb.Definition
	// dockerfile is the Dockerfile's path, for error locations;
	// localDockerfile is set too when it is a file on this machine.
	dockerfile, localDockerfile string
	// call is the frontend method the target calls instead of building
	// (lint, outline, targets; see call.go), "" for a build.
	call string
	// resources are the cgroup limits of RUN steps, set as frontend
	// attributes; the builder must support them (checkCaps).
	resources bool
	// locals are the local directories the solve sends, by context name
	// ("" for the build context), and the secret files and the secret and
	// ssh ids it asks for: what Sources reports for the fingerprint.
	locals                       map[string]localSource
	secretFiles, secretIDs, sshs []string
	// cleanup removes temporary files (an inline Dockerfile).
	cleanup func()
	// streams holds what went wrong writing the export streams.
	streams streamFaults
	// node is the builder node the request is solved on; platforms are
	// the canonical platforms it builds there, nil without a placement.
	node      *node
	platforms []string
}

// attrError is a problem with one attribute of a target, found while
// translating it; CheckTargets reports it at the attribute's source range.
type attrError struct {
	attr string // the attribute, as in config.Target.AttrRanges
	key  string // the contexts entry, for attr "contexts"
	err  error
}

func (e *attrError) Error() string { return e.err.Error() }
func (e *attrError) Unwrap() error { return e.err }

// isRemote reports whether a context is a URL BuildKit fetches itself
// rather than a local directory.
func isRemote(s string) bool {
	for _, p := range []string{"https://", "http://", "git://", "git@", "ssh://", "github.com/"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// localPath resolves p against the directory of the file that declared the
// target; config normally has done it already.
func localPath(t *config.Target, p string) string {
	if p == "" || filepath.IsAbs(p) || t.Dir == "" {
		return p
	}
	return filepath.Join(t.Dir, p)
}

// localName names a local directory (or OCI store) by its path, so every
// target that uses one directory refers to it by the same name and BuildKit
// transfers it once.
func localName(prefix, dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return prefix + "-" + hex.EncodeToString(sum[:6])
}

// newRequest translates t. It reports every problem it finds in the
// target, each as an *attrError for the attribute it concerns, joined with
// errors.Join; only a context directory that cannot be used stops the
// checks that depend on it (the Dockerfile's).
func newRequest(t *config.Target, contexts *contextSession) (_ *request, err error) {
	r := &request{
		attrs:     map[string]string{},
		mounts:    map[string]fsutil.FS{},
		ociStores: map[string]content.Store{},
		links:     map[string]string{},
		inputs:    map[string]*pb.Definition{},
		locals:    map[string]localSource{},
		cleanup:   func() {},
	}
	defer func() {
		if err != nil {
			r.cleanup()
		}
	}()
	errs := []error{r.setContext(t, contexts), r.setResources(t)}
	errs = append(errs, checkPolicy(t, r.localDockerfile))
	for _, k := range slices.Sorted(maps.Keys(t.Contexts)) {
		if err := r.setNamedContext(t, contexts, k, t.Contexts[k]); err != nil {
			errs = append(errs, &attrError{attr: "contexts", key: k, err: fmt.Errorf("contexts.%s: %w", k, err)})
		}
	}
	for k, v := range t.Args {
		if v != nil {
			r.attrs["build-arg:"+k] = *v
		}
	}
	for k, v := range t.Labels {
		if v != nil {
			r.attrs["label:"+k] = *v
		}
	}
	if t.Target != nil && *t.Target != "" {
		r.attrs["target"] = *t.Target
	}
	if len(t.Platforms) > 0 {
		r.attrs["platform"] = strings.Join(t.Platforms, ",")
		if len(t.Platforms) > 1 {
			r.attrs["multi-platform"] = "true"
		}
	}
	if t.Pull != nil && *t.Pull {
		r.attrs["image-resolve-mode"] = "pull"
	}
	switch {
	case t.NoCache != nil && *t.NoCache:
		r.attrs["no-cache"] = ""
	case len(t.NoCacheFilter) > 0:
		r.attrs["no-cache"] = strings.Join(t.NoCacheFilter, ",")
	}
	if len(t.ExtraHosts) > 0 {
		var hosts []string
		for _, h := range slices.Sorted(maps.Keys(t.ExtraHosts)) {
			if ip := t.ExtraHosts[h]; ip != nil {
				hosts = append(hosts, h+"="+*ip)
			}
		}
		r.attrs["add-hosts"] = strings.Join(hosts, ",")
	}
	errs = append(errs, r.setNetwork(t), r.setShmSize(t))
	errs = append(errs, r.setUlimits(t)...)
	errs = append(errs, r.setEntitlements(t)...)
	if t.Call != nil {
		// Only the method counts here; how --call prints is the run's.
		c, err := ParseCall(*t.Call)
		if err != nil {
			errs = append(errs, &attrError{attr: "call", err: fmt.Errorf("call %w", err)})
		} else if c != nil {
			r.call = c.Method
		}
	}
	for _, a := range t.Attest {
		if err := r.setAttest(a); err != nil {
			errs = append(errs, &attrError{attr: "attest", err: err})
		}
	}
	for _, err := range r.setSecrets(t) {
		errs = append(errs, &attrError{attr: "secret", err: err})
	}
	if err := r.setSSH(t); err != nil {
		errs = append(errs, &attrError{attr: "ssh", err: err})
	}
	r.cacheImports = cacheEntries(t, t.CacheFrom, "src")
	r.cacheExports = cacheEntries(t, t.CacheTo, "dest")
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// setResources passes bake's resources (cgroup limits for RUN steps) to
// the Dockerfile frontend as buildx does: as frontend attributes, memory
// sizes in bytes, only the values that are set and not zero (a negative
// memory-swap, -1, is unlimited swap). The frontend applies them to every
// RUN step when the builder supports them; checkCaps refuses a builder
// that does not, which would otherwise drop them silently.
func (r *request) setResources(t *config.Target) error {
	res := t.Resources
	if res == nil {
		return nil
	}
	var errs []error
	size := func(key, attr string, v *string, swap bool) {
		if v == nil || *v == "" {
			return
		}
		var n int64
		var err error
		if swap && *v == "-1" {
			n = -1
		} else {
			n, err = units.RAMInBytes(*v)
		}
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("resources.%s %q: %w", key, *v, err))
		case n > 0 || (swap && n != 0):
			r.attrs[attr] = strconv.FormatInt(n, 10)
		}
	}
	size("memory", "memory", res.Memory, false)
	size("memory-swap", "memswap", res.MemorySwap, true)
	for _, f := range []struct {
		attr string
		v    *int64
	}{{"cpushares", res.CPUShares}, {"cpuperiod", res.CPUPeriod}, {"cpuquota", res.CPUQuota}} {
		if f.v != nil && *f.v > 0 {
			r.attrs[f.attr] = strconv.FormatInt(*f.v, 10)
		}
	}
	if res.CPUSetCPUs != nil && *res.CPUSetCPUs != "" {
		r.attrs["cpusetcpus"] = *res.CPUSetCPUs
	}
	if res.CPUSetMems != nil && *res.CPUSetMems != "" {
		r.attrs["cpusetmems"] = *res.CPUSetMems
	}
	for _, k := range []string{"memory", "memswap", "cpushares", "cpuperiod", "cpuquota", "cpusetcpus", "cpusetmems"} {
		if _, ok := r.attrs[k]; ok {
			r.resources = true
		}
	}
	if err := errors.Join(errs...); err != nil {
		return &attrError{attr: "resources", err: err}
	}
	return nil
}

// checkCaps refuses a solve that needs what the builder cannot do: the
// Dockerfile frontend drops resource limits without a word on a builder
// whose LLB lacks exec.meta.linux.resources.
func checkCaps(opts gateway.BuildOpts, req *request) error {
	if req.resources && opts.LLBCaps.Supports(pb.CapExecMetaLinuxResources) != nil {
		return &attrError{attr: "resources", err: errors.New("resources: this builder cannot limit the resources of RUN steps (it lacks BuildKit's exec.meta.linux.resources capability); use a newer BuildKit, or remove resources")}
	}
	return nil
}

// capsChecked wraps a build function so that it first checks what req
// needs of the builder (checkCaps). The build's own error carries a
// refusal from inside the function only as text; refused returns it with
// its type in place of the build's error.
func capsChecked(req *request, fn gateway.BuildFunc) (_ gateway.BuildFunc, refused func(error) error) {
	var capsErr error
	wrapped := func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		if capsErr = checkCaps(c.BuildOpts(), req); capsErr != nil {
			return nil, capsErr
		}
		return fn(ctx, c)
	}
	return wrapped, func(err error) error {
		if err != nil && capsErr != nil {
			return capsErr
		}
		return err
	}
}

// checkPolicy refuses what would need source policies: bake v0.38's
// policy is read and printed as bake does, but orch does not evaluate
// policies (buildx evaluates Rego files with OPA in the client and answers
// BuildKit's source policy session), so a build would run without them.
// That is true also of the policy buildx applies without being asked: a
// DOCKERFILE.rego beside a local Dockerfile. Only disabling policies
// (policy = ["disabled=true"], --policy disabled=true) asks for nothing
// orch lacks, and it lets a Dockerfile with a .rego file build.
// dockerfile is the local Dockerfile, "" for none.
func checkPolicy(t *config.Target, dockerfile string) error {
	disabled := false
	for _, p := range t.Policy {
		if len(p.Files) > 0 || p.Reset || p.Strict != nil || p.LogLevel != "" || !p.Disabled {
			return &attrError{attr: "policy", err: errors.New("policy: orch does not evaluate source policies yet; only disabled=true is accepted")}
		}
		disabled = true
	}
	if disabled || dockerfile == "" {
		// An inline Dockerfile has no policy beside it; a remote
		// context's is not on this machine.
		return nil
	}
	rego := dockerfile + ".rego"
	if _, err := os.Stat(rego); err != nil {
		return nil
	}
	return &attrError{attr: "dockerfile", err: fmt.Errorf("source policy %s: buildx applies the policy beside a Dockerfile to its build, and orch does not evaluate source policies yet; "+
		"set policy = [\"disabled=true\"] (or pass --policy disabled=true) to build without it, or remove the file", rego)}
}

// setNetwork reads network: default, none or host (which needs the
// network.host entitlement).
func (r *request) setNetwork(t *config.Target) error {
	if t.NetworkMode == nil {
		return nil
	}
	switch n := *t.NetworkMode; n {
	case "", "default":
	case "none", "host":
		r.attrs["force-network-mode"] = n
		if n == "host" {
			r.entitlements = append(r.entitlements, string(entitlements.EntitlementNetworkHost))
		}
	default:
		return &attrError{attr: "network", err: fmt.Errorf("network %q: want default, none or host", n)}
	}
	return nil
}

// setShmSize reads shm-size as docker does ("64m", "1g", bytes).
func (r *request) setShmSize(t *config.Target) error {
	if t.ShmSize == nil || *t.ShmSize == "" {
		return nil
	}
	n, err := units.RAMInBytes(*t.ShmSize)
	if err != nil {
		return &attrError{attr: "shm-size", err: fmt.Errorf("shm-size %q: %w", *t.ShmSize, err)}
	}
	r.attrs["shm-size"] = strconv.FormatInt(n, 10)
	return nil
}

// setUlimits checks every ulimit ("nofile=1024:2048") and passes them on.
func (r *request) setUlimits(t *config.Target) []error {
	if len(t.Ulimits) == 0 {
		return nil
	}
	var errs []error
	for _, u := range t.Ulimits {
		if _, err := units.ParseUlimit(u); err != nil {
			errs = append(errs, &attrError{attr: "ulimits", err: fmt.Errorf("ulimits: %w", err)})
		}
	}
	r.attrs["ulimit"] = strings.Join(t.Ulimits, ",")
	return errs
}

// setEntitlements allows the entitlements orch passes to BuildKit.
func (r *request) setEntitlements(t *config.Target) []error {
	var errs []error
	for _, e := range t.Entitlements {
		switch e {
		case "network.host", "security.insecure", "device":
			r.entitlements = append(r.entitlements, e)
		default:
			errs = append(errs, &attrError{attr: "entitlements", err: fmt.Errorf("entitlement %q: orch supports network.host, security.insecure and device", e)})
		}
	}
	return errs
}

// setContext sets the main build context and the Dockerfile. A local
// context goes through the run's context session (see contextSession).
func (r *request) setContext(t *config.Target, contexts *contextSession) error {
	ctxPath := "."
	if t.Context != nil && *t.Context != "" {
		ctxPath = *t.Context
	}
	dockerfile := "Dockerfile"
	if t.Dockerfile != nil && *t.Dockerfile != "" {
		dockerfile = *t.Dockerfile
	}
	if isRemote(ctxPath) {
		r.attrs["context"] = ctxPath
		r.attrs["filename"] = dockerfile
		r.dockerfile = dockerfile
		if t.DockerfileInline == nil {
			return nil
		}
	} else {
		dir := localPath(t, ctxPath)
		st, err := os.Stat(dir)
		if err != nil {
			return &attrError{attr: "context", err: fmt.Errorf("context: %w", err)}
		}
		if !st.IsDir() {
			return &attrError{attr: "context", err: fmt.Errorf("context %s is not a directory", dir)}
		}
		df := dockerfile
		if !filepath.IsAbs(df) {
			// bake resolves dockerfile against the context directory.
			df = filepath.Join(dir, df)
		}
		ignore := ""
		if t.DockerfileInline == nil {
			ignore = df + ".dockerignore"
		}
		def, err := contexts.local(dir, ignore, "build context")
		if err != nil {
			return &attrError{attr: "context", err: fmt.Errorf("context: %w", err)}
		}
		r.inputs["context"] = def
		r.locals[""] = localSource{dir: dir, ignoreFile: ignore}
		if t.DockerfileInline == nil && contexts == nil {
			// Preflight needs the Dockerfile to be a file, not where it is.
			if err := checkDockerfile(df); err != nil {
				return &attrError{attr: "dockerfile", err: err}
			}
			r.dockerfile = df
			r.localDockerfile = df
			return nil
		}
		if t.DockerfileInline == nil {
			real, err := dockerfilePath(df)
			if err != nil {
				return &attrError{attr: "dockerfile", err: err}
			}
			dfDir := filepath.Dir(real)
			dfName := localName("dockerfile", dfDir)
			dfs, err := fsutil.NewFS(dfDir)
			if err != nil {
				return &attrError{attr: "dockerfile", err: fmt.Errorf("dockerfile: %w", err)}
			}
			// The Dockerfile's directory goes through the run's context
			// session too, so targets sharing a Dockerfile load it once.
			id, err := contexts.serve(dfName, dfs)
			if err != nil {
				return &attrError{attr: "dockerfile", err: fmt.Errorf("dockerfile: %w", err)}
			}
			r.attrs["local-sessionid:"+dfName] = id
			r.attrs["dockerfilekey"] = dfName
			r.attrs["filename"] = filepath.Base(real)
			r.dockerfile = df
			r.localDockerfile = df
			return nil
		}
	}
	// An inline Dockerfile is written to a directory of its own.
	tmp, err := os.MkdirTemp("", "orch-dockerfile-")
	if err != nil {
		return err
	}
	r.cleanup = func() { os.RemoveAll(tmp) }
	if err := os.WriteFile(filepath.Join(tmp, "Dockerfile"), []byte(*t.DockerfileInline), 0o644); err != nil {
		return err
	}
	dfs, err := fsutil.NewFS(tmp)
	if err != nil {
		return err
	}
	name := "dockerfile-inline-" + t.Name
	r.mounts[name] = dfs
	r.attrs["dockerfilekey"] = name
	r.attrs["filename"] = "Dockerfile"
	// bake's name for it in messages.
	r.dockerfile = "inline"
	return nil
}

// checkDockerfile is dockerfilePath's check without the path: one stat
// when df is a regular file, for checking thousands of targets.
func checkDockerfile(df string) error {
	if fi, err := os.Stat(df); err == nil && fi.Mode().IsRegular() {
		return nil
	}
	_, err := dockerfilePath(df)
	return err
}

// dockerfilePath returns the file the Dockerfile path df names: df itself
// or, when df is a symlink or passes through one, the file it leads to. It
// must be a regular file. The Dockerfile reaches BuildKit through a mount
// of its own directory, so the file a link leads to may lie outside the
// context, as a `dockerfile` path outside the context may (bake allows
// both); only the Dockerfile and its .dockerignore are read from that
// directory.
func dockerfilePath(df string) (string, error) {
	real, err := filepath.EvalSymlinks(df)
	if err != nil {
		if fi, lerr := os.Lstat(df); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
			to, _ := os.Readlink(df)
			return "", fmt.Errorf("dockerfile %s is a symlink to %s, which does not exist", df, to)
		}
		if _, serr := os.Stat(df); serr != nil {
			err = serr
		}
		return "", fmt.Errorf("dockerfile: %w", err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("dockerfile: %w", err)
	}
	if !fi.Mode().IsRegular() {
		if real != filepath.Clean(df) {
			return "", fmt.Errorf("dockerfile %s leads to %s, which is %s, not a file", df, real, fileKind(fi.Mode()))
		}
		return "", fmt.Errorf("dockerfile %s is %s, not a file", df, fileKind(fi.Mode()))
	}
	return real, nil
}

// setNamedContext handles one entry of `contexts`.
func (r *request) setNamedContext(t *config.Target, contexts *contextSession, name, v string) error {
	switch {
	case strings.HasPrefix(v, "target:"):
		r.links[name] = strings.TrimPrefix(v, "target:")
	case strings.HasPrefix(v, "docker-image://"), isRemote(v):
		r.attrs["context:"+name] = v
	case strings.HasPrefix(v, "oci-layout://"):
		ref, err := ociLayoutContext(t, strings.TrimPrefix(v, "oci-layout://"))
		if err != nil {
			return err
		}
		store, err := contentlocal.NewStore(ref.dir)
		if err != nil {
			return fmt.Errorf("oci layout %s: %w", ref.dir, err)
		}
		storeID := localName("oci", ref.dir)
		r.ociStores[storeID] = store
		r.attrs["context:"+name] = "oci-layout:" + storeID + "@" + ref.digest
	default:
		dir := localPath(t, v)
		st, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		def, err := contexts.local(dir, "", "context "+name)
		if err != nil {
			return err
		}
		r.locals[name] = localSource{dir: dir}
		key := "named-" + name
		r.inputs[key] = def
		r.attrs["context:"+name] = "input:" + key
	}
	return nil
}

// localSource is a local directory a solve sends, with the
// Dockerfile-specific ignore file that wins over its .dockerignore.
type localSource struct{ dir, ignoreFile string }

type ociRef struct{ dir, digest string }

// ociLayoutContext resolves "path[:tag][@digest]" to a layout directory and
// a manifest digest, reading index.json for a tag (default "latest").
func ociLayoutContext(t *config.Target, s string) (ociRef, error) {
	ref := ociRef{}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		s, ref.digest = s[:i], s[i+1:]
	}
	tag := "latest"
	if i := strings.LastIndex(s, ":"); i >= 0 && !strings.Contains(s[i:], "/") {
		s, tag = s[:i], s[i+1:]
	}
	ref.dir = localPath(t, s)
	if ref.digest != "" {
		return ref, nil
	}
	raw, err := os.ReadFile(filepath.Join(ref.dir, "index.json"))
	if err != nil {
		return ref, fmt.Errorf("oci layout: %w", err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return ref, fmt.Errorf("oci layout %s: index.json: %w", ref.dir, err)
	}
	for _, m := range idx.Manifests {
		name := m.Annotations[ocispec.AnnotationRefName]
		// BuildKit's OCI exporter records the full image name; match its tag.
		if name == tag || strings.HasSuffix(name, ":"+tag) {
			ref.digest = m.Digest.String()
			return ref, nil
		}
	}
	if len(idx.Manifests) == 1 && tag == "latest" {
		ref.digest = idx.Manifests[0].Digest.String()
		return ref, nil
	}
	return ref, fmt.Errorf("oci layout %s has no image tagged %q", ref.dir, tag)
}

// setAttest turns one attest entry into a frontend attribute.
func (r *request) setAttest(a config.Entry) error {
	switch a.Type {
	case "provenance", "sbom":
	default:
		return fmt.Errorf("attest type %q: want provenance or sbom", a.Type)
	}
	if v, ok := a.Attrs["disabled"]; ok && v == "true" {
		delete(r.attrs, "attest:"+a.Type)
		return nil
	}
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(a.Attrs)) {
		if k != "disabled" {
			kv = append(kv, k+"="+a.Attrs[k])
		}
	}
	r.attrs["attest:"+a.Type] = strings.Join(kv, ",")
	return nil
}

// setSSH attaches an ssh agent provider: key files, or the agent socket
// from SSH_AUTH_SOCK when no paths are given.
func (r *request) setSSH(t *config.Target) error {
	if len(t.SSH) == 0 {
		return nil
	}
	var confs []sshprovider.AgentConfig
	for _, s := range t.SSH {
		c := sshprovider.AgentConfig{ID: s.Attrs["id"]}
		r.sshs = append(r.sshs, c.ID)
		if p := s.Attrs["paths"]; p != "" {
			for _, path := range strings.Split(p, ",") {
				c.Paths = append(c.Paths, localPath(t, path))
			}
		} else if os.Getenv("SSH_AUTH_SOCK") == "" {
			id := c.ID
			if id == "" {
				id = "default"
			}
			return fmt.Errorf("ssh %s: no key paths given and SSH_AUTH_SOCK is not set; start an ssh agent or list key files in paths", id)
		}
		confs = append(confs, c)
	}
	sp, err := sshprovider.NewSSHAgentProvider(confs)
	if err != nil {
		return fmt.Errorf("ssh: %w", err)
	}
	r.session = append(r.session, sp)
	return nil
}

// cacheEntries converts cache-from or cache-to entries, resolving a local
// cache's directory (pathKey: src for imports, dest for exports).
func cacheEntries(t *config.Target, entries []config.Entry, pathKey string) []client.CacheOptionsEntry {
	var out []client.CacheOptionsEntry
	for _, e := range entries {
		if e.Type == "" || e.Type == "disabled" {
			continue
		}
		attrs := maps.Clone(e.Attrs)
		if attrs == nil {
			attrs = map[string]string{}
		}
		if e.Type == "local" && attrs[pathKey] != "" {
			attrs[pathKey] = localPath(t, attrs[pathKey])
		}
		out = append(out, client.CacheOptionsEntry{Type: e.Type, Attrs: attrs})
	}
	return out
}
