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
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Resolve returns path as an absolute, cleaned path with every symlink of
// its longest existing prefix resolved; the part that does not exist yet
// (a destination a build will create) is appended, cleaned. A dangling
// symlink is followed too, since writing through it creates its target. A
// component that cannot be resolved (not a directory, unreadable, a
// symlink loop) ends the existing prefix there. A relative path is taken
// from the working directory; Resolve never fails, because a path it
// cannot read is still best compared as written.
func Resolve(path string) string { return resolve(path, nil) }

// Cache resolves as Resolve does and remembers what it read of the file
// system: one check of thousands of targets whose destinations share
// their parent directories reads each directory once. A Cache is for one
// pass over a configuration, the file system taken as it was when the
// pass began; it is safe for concurrent use. The zero value is ready.
type Cache struct {
	mu      sync.Mutex
	entries map[string]entry
}

// Resolve is Resolve, with c's memory of the file system.
func (c *Cache) Resolve(path string) string { return resolve(path, c) }

// entry is what one Lstat said about a real path: whether it is there, a
// directory, or a symlink (and to what).
type entry struct {
	exists, dir bool
	link        string
	linkErr     bool
}

// look reads p's entry, from c when it holds one.
func (c *Cache) look(p string) entry {
	if c != nil {
		c.mu.Lock()
		e, ok := c.entries[p]
		c.mu.Unlock()
		if ok {
			return e
		}
	}
	var e entry
	if fi, err := os.Lstat(p); err == nil {
		e.exists, e.dir = true, fi.IsDir()
		if fi.Mode()&fs.ModeSymlink != 0 {
			to, err := os.Readlink(p)
			e.link, e.linkErr = to, err != nil
		}
	}
	if c != nil {
		c.mu.Lock()
		if c.entries == nil {
			c.entries = map[string]entry{}
		}
		c.entries[p] = e
		c.mu.Unlock()
	}
	return e
}

const sep = string(filepath.Separator)

// maxLinks bounds the symlinks followed, as the kernel bounds a lookup
// (ELOOP).
const maxLinks = 40

// resolve walks path one component at a time from the root, as the
// kernel does: `.` stays, `..` goes up from where the walk is (so through
// a link it goes up from the link's target), a symlink's target is walked
// in its place. Once a component is missing, not a directory, or a link
// that cannot be followed, the rest is appended as written, cleaned.
func resolve(path string, c *Cache) string {
	if !filepath.IsAbs(path) {
		wd, err := os.Getwd()
		if err != nil {
			return filepath.Clean(path)
		}
		// Not filepath.Join: cleaning first would read `link/..` as
		// written, while the file system reads it through the link.
		path = wd + sep + path
	}
	real := sep
	there := true // real exists and is a directory
	links := 0
	todo := strings.Split(path, sep)
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			real = filepath.Dir(real)
			continue
		}
		next := real + sep + name
		if real == sep {
			next = sep + name
		}
		if !there {
			real = next
			continue
		}
		e := c.look(next)
		switch {
		case !e.exists:
			there = false
		case e.link != "" && links < maxLinks:
			links++
			to := e.link
			if filepath.IsAbs(to) {
				real = sep
			}
			todo = append(strings.Split(to, sep), todo...)
			continue
		case e.link != "" || e.linkErr:
			// A loop, or a link that cannot be read: the walk ends
			// here, as a lookup through it would fail.
			there = false
		case !e.dir:
			there = false
		}
		real = next
	}
	return real
}
