// Package realpath resolves a path to the place on the file system it
// names, for comparing destinations: two spellings that reach one
// directory (through a symlink, `..` or `.`) resolve to one string. The
// planner's conflict checks (through graph.WithCanonicalizer) and the
// destinations' locks compare paths through Resolve, so that what one
// allows the other does not refuse.
//
// It does not create, lock or change anything.
package realpath

import (
	"os"
	"path/filepath"
	"strings"
)

// Resolve returns path as an absolute, cleaned path with every symlink of
// its longest existing prefix resolved; the part that does not exist yet
// (a destination a build will create) is appended, cleaned. A dangling
// symlink is followed too, since writing through it creates its target. A
// component that cannot be resolved (not a directory, unreadable, a
// symlink loop) ends the existing prefix there. A relative path is taken
// from the working directory; Resolve never fails, because a path it
// cannot read is still best compared as written.
func Resolve(path string) string {
	if !filepath.IsAbs(path) {
		wd, err := os.Getwd()
		if err != nil {
			return filepath.Clean(path)
		}
		// Not filepath.Join: cleaning first would read `link/..` as
		// written, while the file system reads it through the link.
		path = wd + sep + path
	}
	return resolve(path, 0)
}

const sep = string(filepath.Separator)

// maxLinks bounds the dangling symlinks followed, as the kernel bounds a
// lookup (ELOOP).
const maxLinks = 40

func resolve(path string, links int) string {
	var rest []string
	for p := path; ; {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(append([]string{real}, rest...)...)
		}
		trimmed := strings.TrimRight(p, sep)
		i := strings.LastIndex(trimmed, sep)
		if i < 0 {
			// Not reached for an absolute path: the root exists.
			return filepath.Clean(path)
		}
		parent := trimmed[:i]
		if parent == "" {
			parent = sep
		}
		if fi, err := os.Lstat(trimmed); err == nil && fi.Mode()&os.ModeSymlink != 0 && links < maxLinks {
			if to, err := os.Readlink(trimmed); err == nil {
				if !filepath.IsAbs(to) {
					to = parent + sep + to
				}
				return resolve(strings.Join(append([]string{to}, rest...), sep), links+1)
			}
		}
		rest = append([]string{trimmed[i+1:]}, rest...)
		p = parent
	}
}
