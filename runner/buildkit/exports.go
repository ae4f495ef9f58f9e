package buildkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/graph"
)

// exportSet is the exports of one solve. Local destinations are written
// beside their final path under a temporary name and moved into place only
// after the solve succeeded (commit); a failed or interrupted solve removes
// them (abort), so a destination is never left half-written and a failed
// target creates none. An OCI layout directory is merged into its
// destination rather than swapped, so several targets can share one; a
// containerd destination is an OCI archive imported at commit.
//
// With atomic set, registry pushes go by digest only and commit is left to
// the publish phase, which also moves the tags (see publish.go).
type exportSet struct {
	target  string
	entries []client.ExportEntry
	// names describe each destination for the report, e.g. "oci:/out/app".
	names  []string
	staged []staged
	// createdDirs are parent directories made for staging, removed again on
	// abort when they are empty.
	createdDirs []string
	// pushes records whether an entry pushes to a registry, for retries;
	// pushHosts are the registries pushed to, sorted, for the budget.
	pushes    bool
	pushHosts []string
	// tags are the references an atomic run moves at publish, and
	// plainHTTP the registries an output marked registry.insecure.
	tags      []string
	pushRepos []string
	plainHTTP map[string]bool
	// check is set when the set only validates outputs (see exportEnv).
	check bool
}

// staged is one local destination being written.
type staged struct {
	tmp, dest string
	dir       bool
	stdout    bool
	// layout is set for an OCI layout directory: tmp is merged into it.
	layout *layout
	// containerd is set for an image store: tmp is an OCI archive.
	containerd *containerdDest
}

// exportEnv is what the run tells newExports.
type exportEnv struct {
	atomic  bool
	layouts *layouts
	// check only validates the outputs: nothing is staged on disk.
	check bool
}

// newExports translates a target's outputs. tags name the image for image,
// oci and docker exports that do not set name.
func newExports(t *config.Target, annotations map[string]string, env exportEnv) (_ *exportSet, err error) {
	s := &exportSet{target: t.Name, plainHTTP: map[string]bool{}, check: env.check}
	defer func() {
		if err != nil {
			s.abort()
		}
	}()
	storeUsed := false
	hosts := map[string]bool{}
	for _, o := range t.Outputs {
		if o.Err != nil {
			return nil, o.Err
		}
		typ := o.Type
		attrs := maps.Clone(o.Attrs)
		if attrs == nil {
			attrs = map[string]string{}
		}
		dest := o.Dest
		if typ == "registry" {
			typ = "image"
			attrs["push"] = "true"
		}
		switch typ {
		case "image", "oci", "docker", "containerd":
			if attrs["name"] == "" && len(t.Tags) > 0 {
				attrs["name"] = strings.Join(t.Tags, ",")
			}
			maps.Copy(attrs, annotations)
		}
		switch typ {
		case "cacheonly":
			continue
		case "containerd":
			cd, err := newContainerdDest(attrs)
			if err != nil {
				return nil, err
			}
			st, err := s.stage("", false)
			if err != nil {
				return nil, err
			}
			st.containerd = cd
			tmp := st.tmp
			s.entries = append(s.entries, client.ExportEntry{Type: client.ExporterOCI, Attrs: cd.exportAttrs, Output: func(map[string]string) (io.WriteCloser, error) {
				return os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
			}})
			s.names = append(s.names, cd.names()...)
			continue
		case "image", "moby":
			if o.Push {
				s.pushes = true
				if attrs["name"] == "" {
					return nil, fmt.Errorf("output type=%s,push=true: the image has no name; set tags or name=", typ)
				}
				refs, err := parseNames(attrs["name"])
				if err != nil {
					return nil, fmt.Errorf("output type=%s: %w", typ, err)
				}
				for _, r := range refs {
					hosts[reference.Domain(r)] = true
					if o.Insecure {
						s.plainHTTP[reference.Domain(r)] = true
					}
				}
				if env.atomic {
					// Blobs and manifests now, tags once every target
					// succeeded.
					repos := repositories(refs)
					attrs["name"] = strings.Join(repos, ",")
					attrs["push-by-digest"] = "true"
					s.pushRepos = append(s.pushRepos, repos...)
					for _, r := range refs {
						s.tags = append(s.tags, r.String())
					}
					s.entries = append(s.entries, client.ExportEntry{Type: typ, Attrs: attrs})
					continue
				}
			}
			s.entries = append(s.entries, client.ExportEntry{Type: typ, Attrs: attrs})
			s.names = append(s.names, "registry:"+attrs["name"])
			continue
		case "oci", "docker", "tar", "local":
		default:
			return nil, fmt.Errorf("output type %q: want image, registry, oci, docker, containerd, local, tar or cacheonly", typ)
		}
		if dest == "" {
			return nil, fmt.Errorf("output type=%s needs dest=PATH (or dest=- for standard output)", typ)
		}
		if typ == "docker" && attrs["name"] == "" {
			return nil, errors.New("output type=docker: the image has no name; set tags or name=")
		}
		isDir := o.Dir
		if dest == "-" {
			if isDir {
				return nil, fmt.Errorf("output type=%s: a directory cannot go to standard output", typ)
			}
		} else {
			dest = filepath.Clean(localPath(t, dest))
		}
		isLayout := o.Layout()
		if isLayout {
			if storeUsed {
				return nil, errors.New("outputs: BuildKit writes at most one OCI or docker layout directory per target; use one such output and copy it")
			}
			storeUsed = true
		}
		st, err := s.stage(dest, isDir)
		if err != nil {
			return nil, err
		}
		if isLayout {
			if st.layout = env.layouts.get(dest); st.layout == nil {
				// A solver made without the plan's locks (tests of
				// single solves) still merges, without a lock.
				st.layout = &layout{path: dest}
			}
		}
		e := client.ExportEntry{Type: typ, Attrs: attrs}
		if isDir {
			e.OutputDir = st.tmp
		} else {
			tmp := st.tmp
			e.Output = func(map[string]string) (io.WriteCloser, error) {
				return os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			}
		}
		s.entries = append(s.entries, e)
		s.names = append(s.names, typ+":"+dest)
	}
	s.pushHosts = slices.Sorted(maps.Keys(hosts))
	return s, nil
}

// parseNames parses a comma-separated list of image references.
func parseNames(list string) ([]reference.Named, error) {
	var out []reference.Named
	for n := range strings.SplitSeq(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		r, err := reference.ParseNormalizedNamed(n)
		if err != nil {
			return nil, fmt.Errorf("image name %q: %w", n, err)
		}
		out = append(out, reference.TagNameOnly(r))
	}
	return out, nil
}

// repositories lists the distinct repositories of refs, in order.
func repositories(refs []reference.Named) []string {
	var out []string
	for _, r := range refs {
		if name := r.Name(); !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// layoutDirs lists the OCI layout directories the exported nodes of plan
// write, for the run's locks.
func layoutDirs(plan *graph.Plan) []string {
	var dirs []string
	for _, n := range plan.Nodes {
		if !n.Export || n.Target == nil {
			continue
		}
		for _, o := range n.Target.Outputs {
			if o.Layout() && o.Local() {
				dirs = append(dirs, filepath.Clean(localPath(n.Target, o.Dest)))
			}
		}
	}
	return dirs
}

// stage picks the temporary path for a destination and creates missing
// parent directories. An empty dest is a private temporary file.
func (s *exportSet) stage(dest string, dir bool) (*staged, error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	st := staged{dest: dest, dir: dir}
	switch {
	case s.check:
	case dest == "-" || dest == "":
		f, err := os.CreateTemp("", "orch-export-")
		if err != nil {
			return nil, err
		}
		f.Close()
		st.tmp, st.stdout = f.Name(), dest == "-"
	default:
		parent := filepath.Dir(dest)
		if err := s.mkdirAll(parent); err != nil {
			return nil, fmt.Errorf("output %s: %w", dest, err)
		}
		st.tmp = filepath.Join(parent, "."+filepath.Base(dest)+".orch-"+suffix)
	}
	s.staged = append(s.staged, st)
	return &s.staged[len(s.staged)-1], nil
}

// mkdirAll creates dir and its missing parents, remembering which it made.
func (s *exportSet) mkdirAll(dir string) error {
	missing := missingDirs(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	s.createdDirs = append(s.createdDirs, missing...)
	return nil
}

// commit moves every staged destination into place and returns the
// destinations written. A directory that already exists is swapped out and
// removed only after the new one is in place; an OCI layout is merged.
func (s *exportSet) commit(ctx context.Context, stdout io.Writer) error {
	var errs []error
	for _, st := range s.staged {
		if err := st.commit(ctx, s.target, stdout); err != nil {
			where := st.dest
			if st.containerd != nil {
				where = "containerd " + st.containerd.address
			}
			errs = append(errs, fmt.Errorf("output %s: %w", where, err))
		}
	}
	s.staged = nil
	s.createdDirs = nil
	return errors.Join(errs...)
}

func (st staged) commit(ctx context.Context, target string, stdout io.Writer) error {
	if st.stdout {
		defer os.Remove(st.tmp)
		f, err := os.Open(st.tmp)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(stdout, f)
		return err
	}
	if st.containerd != nil {
		defer os.Remove(st.tmp)
		return st.containerd.importArchive(ctx, st.tmp)
	}
	if st.layout != nil {
		return st.layout.merge(st.tmp, target)
	}
	if !st.dir {
		return os.Rename(st.tmp, st.dest)
	}
	old := ""
	if _, err := os.Lstat(st.dest); err == nil {
		old = st.tmp + ".old"
		if err := os.Rename(st.dest, old); err != nil {
			return err
		}
	}
	if err := os.Rename(st.tmp, st.dest); err != nil {
		if old != "" {
			_ = os.Rename(old, st.dest)
		}
		return err
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// abort removes everything staged and the directories made for it.
func (s *exportSet) abort() {
	for _, st := range s.staged {
		os.RemoveAll(st.tmp)
	}
	s.staged = nil
	for _, d := range s.createdDirs {
		// Only empty directories go: another target may have written there.
		_ = os.Remove(d)
	}
	s.createdDirs = nil
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
