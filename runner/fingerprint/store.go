package fingerprint

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/orch-build/orch/config"
)

// Dir returns orch's cache directory: $XDG_CACHE_HOME/orch, or
// ~/.cache/orch when XDG_CACHE_HOME is unset, as the XDG base directory
// specification has it.
func Dir() (string, error) {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "orch"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cache directory: %w", err)
	}
	return filepath.Join(home, ".cache", "orch"), nil
}

// recordVersion is the version of a record file; a record of another
// version is ignored.
const recordVersion = 1

// Record is what the last build of a target left in the cache.
type Record struct {
	// Fingerprint and Components are the fingerprint the build had.
	Fingerprint string            `json:"fingerprint"`
	Components  map[string]string `json:"components"`
	// Digest is the image digest the build produced; Metadata its
	// exporter metadata, as the metadata file holds it.
	Digest   string         `json:"digest,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// recordFile is a Record on disk, with what tells it is this target's.
type recordFile struct {
	Version int    `json:"version"`
	Target  string `json:"target"`
	Dir     string `json:"dir"`
	Record
}

// Store keeps the records of builds and the listings they refer to under
// a cache directory (see the package doc).
type Store struct{ dir string }

// NewStore returns the store under cacheDir.
func NewStore(cacheDir string) *Store { return &Store{dir: cacheDir} }

// recordPath is the record file of t: targets are told apart by the
// directory of the file that declares them and their name.
func (s *Store) recordPath(t *config.Target) string {
	sum := sha256.Sum256([]byte(t.Dir + "\x00" + t.Name))
	return filepath.Join(s.dir, "targets", hex.EncodeToString(sum[:16])+".json")
}

// Load returns the record of t's last build, or nil when there is none
// (or it is unreadable, corrupt or another target's).
func (s *Store) Load(t *config.Target) *Record {
	raw, err := os.ReadFile(s.recordPath(t))
	if err != nil {
		return nil
	}
	var f recordFile
	if json.Unmarshal(raw, &f) != nil || f.Version != recordVersion || f.Target != t.Name || f.Dir != t.Dir || f.Fingerprint == "" {
		return nil
	}
	return &f.Record
}

// Save records a build of t with fingerprint fp that produced the image
// digest with exporter metadata meta: first the listing of each context,
// then the record that refers to them.
func (s *Store) Save(t *config.Target, fp *Fingerprint, digest string, meta map[string]any) error {
	for _, name := range slices.Sorted(maps.Keys(fp.Listings)) {
		if err := s.saveListing(fp.Listings[name]); err != nil {
			return err
		}
	}
	raw, err := json.MarshalIndent(recordFile{
		Version: recordVersion, Target: t.Name, Dir: t.Dir,
		Record: Record{Fingerprint: fp.Digest, Components: fp.Components, Digest: digest, Metadata: meta},
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("record of %s: %w", t.Name, err)
	}
	return writeFileAtomic(s.recordPath(t), append(raw, '\n'))
}

// listingHeader starts every listing file.
const listingHeader = "orch context listing v1"

func (s *Store) listingPath(digest string) string {
	return filepath.Join(s.dir, "contexts", strings.TrimPrefix(digest, "sha256:"))
}

// saveListing writes l under its digest, unless it is there already:
// listings are content-addressed, so one that exists holds the same files.
func (s *Store) saveListing(l *Listing) error {
	p := s.listingPath(l.Digest)
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	var b bytes.Buffer
	b.WriteString(listingHeader + "\n" + l.Digest + "\n")
	for _, f := range l.Files {
		b.WriteString(f.line())
		b.WriteByte('\n')
	}
	return writeFileAtomic(p, b.Bytes())
}

// Listing returns the listing with the given digest, or nil when the
// store does not have it (or it is corrupt).
func (s *Store) Listing(digest string) *Listing {
	raw, err := os.ReadFile(s.listingPath(digest))
	if err != nil {
		return nil
	}
	l, err := parseListing(raw, digest)
	if err != nil {
		return nil
	}
	return l
}

// parseListing reads a listing file and checks it against its digest.
func parseListing(raw []byte, digest string) (*Listing, error) {
	head, rest, _ := bytes.Cut(raw, []byte("\n"))
	name, rest, _ := bytes.Cut(rest, []byte("\n"))
	if string(head) != listingHeader || string(name) != digest {
		return nil, errors.New("not a listing")
	}
	l := &Listing{Digest: digest}
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		fields := strings.Split(string(line), "\t")
		if len(fields) != 5 {
			return nil, errors.New("corrupt line")
		}
		p, err1 := unquote(fields[0])
		mode, err2 := strconv.ParseUint(fields[1], 8, 32)
		link, err3 := unquote(fields[2])
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, err
		}
		l.Files = append(l.Files, File{Path: p, Mode: uint32(mode), Link: link, Content: fields[3], Xattrs: fields[4]})
	}
	if digestFiles(l.Files) != digest {
		return nil, errors.New("listing does not match its digest")
	}
	return l, nil
}

// Prune removes every listing no record refers to. Records of targets
// that no longer exist keep theirs; deleting the cache directory removes
// everything.
func (s *Store) Prune() error {
	records, err := os.ReadDir(filepath.Join(s.dir, "targets"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	keep := map[string]bool{}
	for _, e := range records {
		raw, err := os.ReadFile(filepath.Join(s.dir, "targets", e.Name()))
		if err != nil {
			continue
		}
		var f recordFile
		if json.Unmarshal(raw, &f) != nil {
			continue
		}
		for _, d := range f.Components {
			keep[strings.TrimPrefix(d, "sha256:")] = true
		}
	}
	listings, err := os.ReadDir(filepath.Join(s.dir, "contexts"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	var errs []error
	for _, e := range listings {
		// Temporary files are another run's listings being written. A
		// listing another run wrote before its record loses only the
		// names of changed files in that target's next explanation.
		if !keep[e.Name()] && !strings.HasPrefix(e.Name(), ".") {
			if err := os.Remove(filepath.Join(s.dir, "contexts", e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
