package dest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/distribution/reference"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/internal/realpath"
)

// Check reports why output o of target t cannot be written, before
// anything is built: an output orch or BuildKit refuses (o.Err), an image
// without a name where one is needed, a bad image store attribute, and a
// local destination of the wrong kind: a regular file where the output
// writes a directory or the other way round, a directory that is not an
// OCI layout where a layout goes, a parent that is a file, or a path whose
// staging would land in the file system root. Stage checks the same again
// when the export starts.
func Check(t *config.Target, o config.Output, paths *realpath.Cache) error {
	if o.Err != nil {
		return o.Err
	}
	switch {
	case o.Type == "cacheonly", o.Type == "image" && !o.Push:
		return nil
	case o.Push:
		_, err := imageNames(t, o, false)
		return err
	case o.Type == "containerd":
		if _, err := newContainerdStore(o); err != nil {
			return err
		}
		_, err := imageNames(t, o, true)
		return err
	case o.Type == "podman":
		if _, err := newPodmanStore(o); err != nil {
			return err
		}
		_, err := imageNames(t, o, true)
		return err
	}
	if o.Dest == "" {
		return fmt.Errorf("output type=%s needs dest=PATH (or dest=- for standard output)", o.Type)
	}
	if o.Type == "docker" && len(t.ImageNames(o)) == 0 {
		return errors.New("output type=docker: the image has no name; set tags or name=")
	}
	if o.Stdout() {
		if o.Dir {
			return fmt.Errorf("output type=%s: a directory cannot go to standard output", o.Type)
		}
		return nil
	}
	return checkPath(o, paths)
}

// imageNames returns the normalized names of o's image, which a push and
// an image store need. With tags set, a name may not carry a digest.
func imageNames(t *config.Target, o config.Output, store bool) ([]string, error) {
	typ := o.Type
	if o.Push && typ == "image" {
		typ = "image,push=true"
	}
	written := t.ImageNames(o)
	if len(written) == 0 {
		return nil, fmt.Errorf("output type=%s: the image has no name; set tags or name=", typ)
	}
	var out []string
	for _, n := range written {
		norm, err := config.NormalizeImageName(n)
		if err != nil {
			return nil, fmt.Errorf("output type=%s: %w", typ, err)
		}
		if r, _ := reference.ParseNormalizedNamed(norm); r != nil {
			if _, ok := r.(reference.Digested); ok && (store || !o.PushByDigest) {
				return nil, fmt.Errorf("output type=%s: image name %q holds a digest, which cannot be a tag; name the repository and a tag", typ, n)
			}
		}
		out = append(out, norm)
	}
	return out, nil
}

// checkPath checks the local destination of o against what is there,
// resolving it through paths (nil: the file system as it is now).
func checkPath(o config.Output, paths *realpath.Cache) error {
	real := paths.Resolve(o.Dest)
	where := o.Dest
	if real != filepath.Clean(o.Dest) {
		where = fmt.Sprintf("%s (%s)", o.Dest, real)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("output type=%s,dest=%s: %s", o.Type, o.Dest, fmt.Sprintf(format, args...))
	}
	if _, err := stagingDir(real); err != nil {
		return fail("%v", err)
	}
	fi, err := os.Stat(real)
	switch {
	case err == nil && o.Dir && !fi.IsDir():
		return fail("%s is a file, and this output writes a directory; remove it or choose another dest", where)
	case err == nil && !o.Dir && fi.IsDir():
		return fail("%s is a directory, and this output writes a file; remove it or choose another dest", where)
	case err == nil && o.Layout():
		if err := checkLayoutDir(real); err != nil {
			return fail("%v", err)
		}
		return nil
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
		return fail("%v", err)
	}
	// Missing: the nearest existing parent must be a directory.
	for d := filepath.Dir(real); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				return fail("cannot create %s: %s is a file; remove it or choose another dest", real, d)
			}
			return nil
		}
		if filepath.Dir(d) == d {
			return nil
		}
	}
}
