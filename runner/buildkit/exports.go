package buildkit

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client"

	"github.com/orch-build/orch/config"
)

// exportSet is the exports of one solve. Local destinations are written
// beside their final path under a temporary name and renamed into place
// only after the solve succeeded (commit); a failed or interrupted solve
// removes them (abort), so a destination is never left half-written and a
// failed target creates none.
type exportSet struct {
	entries []client.ExportEntry
	// names describe each destination for the report, e.g. "oci:/out/app".
	names  []string
	staged []staged
	// createdDirs are parent directories made for staging, removed again on
	// abort when they are empty.
	createdDirs []string
	// pushes records which entries push to a registry, for retries.
	pushes bool
}

// staged is one local destination being written.
type staged struct {
	tmp, dest string
	dir       bool
	stdout    bool
	oci       bool
}

// newExports translates a target's outputs. tags name the image for image,
// oci and docker exports that do not set name.
func newExports(t *config.Target, annotations map[string]string) (_ *exportSet, err error) {
	s := &exportSet{}
	defer func() {
		if err != nil {
			s.abort()
		}
	}()
	storeUsed := false
	for _, o := range t.Outputs {
		typ := o.Type
		attrs := maps.Clone(o.Attrs)
		if attrs == nil {
			attrs = map[string]string{}
		}
		dest := attrs["dest"]
		delete(attrs, "dest")
		if typ == "" {
			if dest == "" {
				return nil, fmt.Errorf("output %v: set type", o.Attrs)
			}
			typ = "local"
		}
		if typ == "registry" {
			typ = "image"
			attrs["push"] = "true"
		}
		switch typ {
		case "image", "oci", "docker":
			if attrs["name"] == "" && len(t.Tags) > 0 {
				attrs["name"] = strings.Join(t.Tags, ",")
			}
			maps.Copy(attrs, annotations)
		}
		switch typ {
		case "cacheonly":
			continue
		case "image", "moby":
			if attrs["push"] == "true" {
				s.pushes = true
				if attrs["name"] == "" {
					return nil, fmt.Errorf("output type=%s,push=true: the image has no name; set tags or name=", typ)
				}
			}
			s.entries = append(s.entries, client.ExportEntry{Type: typ, Attrs: attrs})
			s.names = append(s.names, "registry:"+attrs["name"])
			continue
		case "oci", "docker", "tar", "local":
		default:
			return nil, fmt.Errorf("output type %q: want image, registry, oci, docker, local, tar or cacheonly", typ)
		}
		if dest == "" {
			return nil, fmt.Errorf("output type=%s needs dest=PATH (or dest=- for standard output)", typ)
		}
		if typ == "docker" && attrs["name"] == "" {
			return nil, errors.New("output type=docker: the image has no name; set tags or name=")
		}
		isDir := typ == "local" || ((typ == "oci" || typ == "docker") && attrs["tar"] == "false")
		if dest == "-" {
			if isDir {
				return nil, fmt.Errorf("output type=%s: a directory cannot go to standard output", typ)
			}
		} else {
			dest = localPath(t, dest)
		}
		if isDir && typ != "local" {
			if storeUsed {
				return nil, errors.New("outputs: BuildKit writes at most one OCI or docker layout directory per target; use one such output and copy it")
			}
			storeUsed = true
		}
		st, err := s.stage(dest, isDir)
		if err != nil {
			return nil, err
		}
		st.oci = isDir && typ != "local"
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
	return s, nil
}

// stage picks the temporary path for a destination and creates missing
// parent directories.
func (s *exportSet) stage(dest string, dir bool) (*staged, error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	st := staged{dest: dest, dir: dir}
	if dest == "-" {
		f, err := os.CreateTemp("", "orch-stdout-")
		if err != nil {
			return nil, err
		}
		f.Close()
		st.tmp, st.stdout = f.Name(), true
	} else {
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
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	s.createdDirs = append(s.createdDirs, missing...)
	return nil
}

// commit moves every staged destination into place. A directory that
// already exists is swapped out and removed only after the new one is in
// place.
func (s *exportSet) commit(stdout io.Writer) error {
	var errs []error
	for _, st := range s.staged {
		if err := st.commit(stdout); err != nil {
			errs = append(errs, fmt.Errorf("output %s: %w", st.dest, err))
		}
	}
	s.staged = nil
	return errors.Join(errs...)
}

func (st staged) commit(stdout io.Writer) error {
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
	if st.oci {
		// BuildKit's local content store keeps its scratch space in
		// ingest/; an image layout holds only oci-layout, index.json and
		// blobs/.
		if err := os.RemoveAll(filepath.Join(st.tmp, "ingest")); err != nil {
			return err
		}
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
