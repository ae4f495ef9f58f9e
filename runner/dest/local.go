package dest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// mergeDir moves the staged tree into the directory dest the way
// BuildKit's local exporter writes into a destination, and keeps what is
// there: each file the build wrote replaces the file of the same name (a
// rename, so every file is either the old or the new one at any moment),
// directories are merged, every other file stays, and existing
// directories keep their mode. A missing dest is the staged directory
// renamed into place.
//
// Before anything moves, the whole tree is compared with dest: where the
// build writes a directory and dest has a file or a symbolic link (which
// could lead outside dest), or the other way round, nothing is written.
func mergeDir(staged, dest string) error {
	if _, err := os.Lstat(dest); errors.Is(err, fs.ErrNotExist) {
		return os.Rename(staged, dest)
	}
	if err := mergeConflicts(staged, dest); err != nil {
		return err
	}
	if err := moveInto(staged, dest); err != nil {
		return err
	}
	return os.RemoveAll(staged)
}

// mergeConflicts walks the staged tree and reports the first place where
// dest holds something of another kind.
func mergeConflicts(staged, dest string) error {
	return filepath.WalkDir(staged, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(staged, p)
		target := filepath.Join(dest, rel)
		fi, err := os.Lstat(target)
		if errors.Is(err, fs.ErrNotExist) {
			if d.IsDir() {
				return filepath.SkipDir // moved as a whole
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && !fi.IsDir():
			return fmt.Errorf("%s is a file or link where the build writes a directory; nothing was written; remove it or choose another dest", target)
		case !d.IsDir() && fi.IsDir():
			return fmt.Errorf("%s is a directory where the build writes a file; nothing was written; remove it or choose another dest", target)
		}
		return nil
	})
}

// moveInto renames every entry of the staged directory src into dst,
// recursing into directories that exist on both sides.
func moveInto(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		from, to := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		if e.IsDir() {
			if fi, err := os.Lstat(to); err == nil && fi.IsDir() {
				if err := moveInto(from, to); err != nil {
					return err
				}
				continue
			}
		}
		if err := os.Rename(from, to); err != nil {
			return err
		}
	}
	return nil
}
