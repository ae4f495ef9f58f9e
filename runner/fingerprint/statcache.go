package fingerprint

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// statCacheHeader starts every stat cache file; a file that does not
// start so is someone else's, or an older format, and is ignored.
const statCacheHeader = "orch stat cache v1"

// statKey is what a file's content digest is trusted by: size,
// modification time, change time and inode. A change of content changes
// the modification time; touching the times back leaves the change time;
// replacing the file by another leaves the inode.
type statKey struct {
	size, mtime, ctime int64
	ino                uint64
}

func (k statKey) String() string {
	return fmt.Sprintf("%d\t%d\t%d\t%d", k.size, k.mtime, k.ctime, k.ino)
}

// racy reports whether the file changed so shortly before start that a
// later change might not show in its metadata.
func (k statKey) racy(start time.Time) bool {
	limit := start.Add(-racyWindow).UnixNano()
	return k.mtime >= limit || k.ctime >= limit
}

// statEntry is what the stat cache knows of a file: its content digest
// and the digest of its extended attributes ("" for none), which change
// the file's change time too.
type statEntry struct {
	key            statKey
	digest, xattrs string
}

// statCache is the stat cache of one context directory: the entries read
// from its file (old) and those seen in this run (now), which save writes
// back when they differ.
type statCache struct {
	// file is where the cache lives, "" when there is no cache directory.
	file string
	dir  string

	mu      sync.Mutex
	old     map[string]statEntry
	now     map[string]statEntry
	changed bool
}

// statCacheFile is the stat cache file of dir under the cache directory.
func statCacheFile(cacheDir, dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join(cacheDir, "stat", hex.EncodeToString(sum[:16]))
}

// loadStatCache reads the stat cache of dir. A missing, unreadable,
// corrupt or foreign file gives an empty cache, which save replaces.
func loadStatCache(cacheDir, dir string) *statCache {
	c := &statCache{dir: dir, old: map[string]statEntry{}, now: map[string]statEntry{}}
	if cacheDir == "" {
		return c
	}
	c.file = statCacheFile(cacheDir, dir)
	raw, err := os.ReadFile(c.file)
	if err != nil {
		return c
	}
	old, err := parseStatCache(raw, dir)
	if err != nil {
		// Written again by save: the run sees no entry, so it differs.
		return c
	}
	c.old = old
	return c
}

// parseStatCache reads the entries of a stat cache file for dir.
func parseStatCache(raw []byte, dir string) (map[string]statEntry, error) {
	head, rest, _ := bytes.Cut(raw, []byte("\n"))
	if string(head) != statCacheHeader {
		return nil, errors.New("not a stat cache")
	}
	name, rest, _ := bytes.Cut(rest, []byte("\n"))
	if string(name) != dir {
		return nil, errors.New("the stat cache of another directory")
	}
	out := make(map[string]statEntry, bytes.Count(rest, []byte("\n")))
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		fields := strings.Split(string(line), "\t")
		if len(fields) != 7 {
			return nil, errors.New("corrupt line")
		}
		p, err := unquote(fields[0])
		if err != nil {
			return nil, err
		}
		var k statKey
		var errs [4]error
		k.size, errs[0] = strconv.ParseInt(fields[1], 10, 64)
		k.mtime, errs[1] = strconv.ParseInt(fields[2], 10, 64)
		k.ctime, errs[2] = strconv.ParseInt(fields[3], 10, 64)
		k.ino, errs[3] = strconv.ParseUint(fields[4], 10, 64)
		if err := errors.Join(errs[:]...); err != nil {
			return nil, err
		}
		e := statEntry{key: k, digest: "sha256:" + fields[5]}
		if x := fields[6]; x != "-" {
			e.xattrs = "sha256:" + x
		}
		if len(fields[5]) != 64 || (len(fields[6]) != 64 && fields[6] != "-") {
			return nil, errors.New("corrupt digest")
		}
		out[p] = e
	}
	return out, nil
}

// get returns what the cache holds for path p when its metadata is key,
// and keeps the entry for the next run.
func (c *statCache) get(p string, key statKey) (statEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.now[p]; ok && e.key == key {
		return e, true
	}
	e, ok := c.old[p]
	if !ok || e.key != key {
		return statEntry{}, false
	}
	c.now[p] = e
	return e, true
}

// put records what was read of path p.
func (c *statCache) put(p string, e statEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now[p] = e
	c.changed = true
}

// save writes the entries seen in this run when they differ from the
// file's: new digests, or files gone or no longer cached.
func (c *statCache) save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.file == "" || (!c.changed && len(c.now) == len(c.old)) {
		return nil
	}
	var b bytes.Buffer
	b.Grow(len(c.now) * 100)
	b.WriteString(statCacheHeader + "\n" + c.dir + "\n")
	for _, p := range slices.Sorted(maps.Keys(c.now)) {
		e := c.now[p]
		x := strings.TrimPrefix(e.xattrs, "sha256:")
		if x == "" {
			x = "-"
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", quote(p), e.key, strings.TrimPrefix(e.digest, "sha256:"), x)
	}
	if err := writeFileAtomic(c.file, b.Bytes()); err != nil {
		return err
	}
	c.old, c.now, c.changed = c.now, map[string]statEntry{}, false
	return nil
}

// writeFileAtomic writes data to a temporary file beside p and renames it
// to p, so a reader sees the old file or the new one, never a part.
func writeFileAtomic(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// quote writes a path or link target so that it fits in one tab-separated
// field: as is, unless it holds a tab, a newline or a backslash, or starts
// with a quote, which strconv.Quote escapes.
func quote(s string) string {
	if strings.ContainsAny(s, "\t\n\r\\") || strings.HasPrefix(s, `"`) {
		return strconv.Quote(s)
	}
	return s
}

func unquote(s string) (string, error) {
	if strings.HasPrefix(s, `"`) {
		return strconv.Unquote(s)
	}
	return s, nil
}
