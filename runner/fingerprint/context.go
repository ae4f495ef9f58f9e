package fingerprint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	gofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tonistiigi/fsutil"
	fstypes "github.com/tonistiigi/fsutil/types"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/orch-build/orch/internal/dockerignore"
)

// Listing is one context directory as a build sends it: every file left
// after .dockerignore.
type Listing struct {
	// Digest is "sha256:HEX" of Files.
	Digest string
	// Dir is the directory walked; it is not part of Digest.
	Dir string
	// Files are sorted by Path.
	Files []File
}

// File is one entry of a Listing.
type File struct {
	// Path is slash-separated and relative to the context.
	Path string
	// Mode is the file's mode as BuildKit's file sync sends it: type and
	// permission bits.
	Mode uint32
	// Link is a symbolic link's target, or the first path of a hard link.
	Link string
	// Content is "sha256:HEX" of a regular file's bytes; "meta:sha256:HEX"
	// of a secret file's metadata; "dev:MAJOR:MINOR" for a device.
	Content string
	// Xattrs is "sha256:HEX" of the extended attributes, "" when none.
	Xattrs string
}

// line is the file as it is hashed and stored.
func (f File) line() string {
	return quote(f.Path) + "\t" + strconv.FormatUint(uint64(f.Mode), 8) + "\t" + quote(f.Link) + "\t" + f.Content + "\t" + f.Xattrs
}

// digestFiles hashes files in order.
func digestFiles(files []File) string {
	h := sha256.New()
	for _, f := range files {
		io.WriteString(h, f.line())
		h.Write([]byte{'\n'})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// racyWindow is how long after its last change a file's metadata is not
// trusted to tell a later change: the kernel stamps files from a coarse
// clock, so two writes within one tick leave the same times behind.
const racyWindow = time.Second

// hashWorkers bounds the files read at once when hashing a context.
const hashWorkers = 8

// walk lists dir as BuildKit's file sync sends it: fsutil's filter, the
// code the file sync runs, with the patterns of the ignore file
// dockerignore chooses, over a statFS of dir. Regular files are read
// unless the stat cache knows them; files in secrets are described by
// their metadata only.
func (h *Hasher) walk(ctx context.Context, dir, ignoreFile string, secrets map[string]bool) (*Listing, error) {
	patterns, err := dockerignore.Patterns(dir, ignoreFile)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(real); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	base := &statFS{root: real, keys: map[string]statKey{}}
	fs, err := fsutil.NewFilterFS(base, &fsutil.FilterOpt{ExcludePatterns: patterns})
	if err != nil {
		return nil, err
	}
	cache := h.statCacheFor(real)
	start := h.now()
	var files []File
	var todo []int // indexes of files to read
	err = fs.Walk(ctx, "", func(p string, e gofs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, ok := statOf(e)
		if !ok {
			return fmt.Errorf("%s: no file status", p)
		}
		f := File{Path: filepath.ToSlash(p), Mode: st.Mode, Link: st.Linkname}
		mode := gofs.FileMode(st.Mode)
		key, regular := base.keys[p]
		switch {
		case regular && secrets[filepath.Join(real, p)]:
			f.Content = "meta:" + digestBytes([]byte(key.String()))
		case regular:
			if e, ok := cache.get(f.Path, key); ok {
				f.Content, f.Xattrs = e.digest, e.xattrs
			} else {
				todo = append(todo, len(files))
			}
		case mode&gofs.ModeDevice != 0:
			f.Content = fmt.Sprintf("dev:%d:%d", st.Devmajor, st.Devminor)
		}
		if !regular {
			// Directories and links are few, and not cached.
			if f.Xattrs, err = xattrDigest(filepath.Join(real, p)); err != nil {
				return err
			}
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, err
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(hashWorkers)
	for _, i := range todo {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			f := &files[i]
			abs := filepath.Join(real, filepath.FromSlash(f.Path))
			key := base.keys[filepath.FromSlash(f.Path)]
			d, err := hashFile(abs)
			if err != nil {
				return err
			}
			x, err := xattrDigest(abs)
			if err != nil {
				return err
			}
			f.Content, f.Xattrs = d, x
			if !key.racy(start) {
				cache.put(f.Path, statEntry{key: key, digest: d, xattrs: x})
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return &Listing{Digest: digestFiles(files), Dir: dir, Files: files}, nil
}

// statOf returns the status fsutil's filter hands on with an entry.
func statOf(e gofs.DirEntry) (*fstypes.Stat, bool) {
	if d, ok := e.(*fsutil.DirEntryInfo); ok && d.Stat != nil {
		return d.Stat, true
	}
	fi, err := e.Info()
	if err != nil {
		return nil, false
	}
	st, ok := fi.Sys().(*fstypes.Stat)
	return st, ok
}

// statFS is the file system under fsutil's filter: the walk of
// fsutil.NewFS (filepath.WalkDir, paths relative to root) whose entries
// describe themselves as fsutil's do (mode, size, link target, the first
// path of a hard link, device numbers). It is orch's own for one reason:
// each entry is read with one lstat, whose inode and change time it keeps
// in keys for the stat cache, where fsutil's entries would need a second
// lstat and read extended attributes every time (the walk reads those of
// regular files only when the stat cache misses). Which files are sent,
// the part with rules, stays fsutil's.
type statFS struct {
	root string
	// keys holds the stat cache key of every regular file walked, by
	// path relative to root; hard links after the first are not regular.
	keys map[string]statKey
}

// Walk walks the tree under target as fsutil's local file system does.
func (s *statFS) Walk(ctx context.Context, target string, fn gofs.WalkDirFunc) error {
	seen := map[uint64]string{}
	return filepath.WalkDir(filepath.Join(s.root, target), func(p string, d gofs.DirEntry, walkErr error) (err error) {
		defer func() {
			// A file removed during the walk is not an error, as in fsutil.
			if err != nil && (errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
				err = filepath.SkipDir
			}
		}()
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var entry gofs.DirEntry
		if d != nil {
			entry = &walkEntry{fs: s, rel: rel, abs: p, d: d, seen: seen}
		}
		return fn(rel, entry, walkErr)
	})
}

// Open opens a file of the tree.
func (s *statFS) Open(p string) (io.ReadCloser, error) { return os.Open(filepath.Join(s.root, p)) }

// walkEntry is one entry of a statFS walk.
type walkEntry struct {
	fs       *statFS
	rel, abs string
	d        gofs.DirEntry
	seen     map[uint64]string
	stat     *fstypes.Stat
}

func (e *walkEntry) Name() string        { return e.d.Name() }
func (e *walkEntry) IsDir() bool         { return e.d.IsDir() }
func (e *walkEntry) Type() gofs.FileMode { return e.d.Type() }
func (e *walkEntry) Info() (gofs.FileInfo, error) {
	if e.stat == nil {
		st, err := e.lstat()
		if err != nil {
			return nil, err
		}
		e.stat = st
	}
	return &fsutil.StatInfo{Stat: e.stat}, nil
}

// lstat builds the entry's status as fsutil's mkstat does, from one
// lstat.
func (e *walkEntry) lstat() (*fstypes.Stat, error) {
	fi, err := e.d.Info()
	if err != nil {
		return nil, err
	}
	sys, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fmt.Errorf("%s: no system file status", e.abs)
	}
	st := &fstypes.Stat{Path: e.rel, Mode: uint32(fi.Mode() &^ gofs.ModeSocket), ModTime: fi.ModTime().UnixNano()}
	if fi.IsDir() {
		return st, nil
	}
	st.Size = fi.Size()
	if fi.Mode()&gofs.ModeDevice != 0 {
		st.Devmajor, st.Devminor = int64(unix.Major(sys.Rdev)), int64(unix.Minor(sys.Rdev))
	}
	if sys.Nlink > 1 {
		if first, ok := e.seen[sys.Ino]; ok {
			st.Linkname, st.Size = first, 0
			return st, nil
		}
		e.seen[sys.Ino] = e.rel
	}
	switch {
	case fi.Mode()&gofs.ModeSymlink != 0:
		if st.Linkname, err = os.Readlink(e.abs); err != nil {
			return nil, err
		}
	case fi.Mode().IsRegular():
		e.fs.keys[e.rel] = statKey{size: sys.Size, mtime: sys.Mtim.Nano(), ctime: sys.Ctim.Nano(), ino: sys.Ino}
	}
	return st, nil
}

// hashFile returns "sha256:HEX" of the file at p; tests count its calls.
var hashFile = func(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// xattrDigest hashes the extended attributes of the file at p (not
// following a link) in name order, as fsutil reads them: the com.apple.
// ones are not sent. "" when it has none or the file system keeps none.
func xattrDigest(p string) (string, error) {
	size, err := unix.Llistxattr(p, nil)
	if errors.Is(err, unix.ENOTSUP) || size == 0 {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("list extended attributes of %s: %w", p, err)
	}
	buf := make([]byte, size)
	n, err := unix.Llistxattr(p, buf)
	if err != nil {
		return "", fmt.Errorf("list extended attributes of %s: %w", p, err)
	}
	var names []string
	for _, name := range strings.Split(string(buf[:n]), "\x00") {
		if name != "" && !strings.HasPrefix(name, "com.apple.") {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "", nil
	}
	slices.Sort(names)
	h := sha256.New()
	for _, name := range names {
		v := make([]byte, 256)
		for {
			n, err := unix.Lgetxattr(p, name, v)
			if errors.Is(err, unix.ERANGE) {
				v = make([]byte, len(v)*4)
				continue
			}
			if err != nil {
				// Gone since listed, as fsutil skips it.
				v = nil
			} else {
				v = v[:n]
			}
			break
		}
		if v != nil {
			fmt.Fprintf(h, "%s\x00%x\n", name, v)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
