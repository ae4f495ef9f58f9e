package dest

import (
	"cmp"
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
	"sync"
	"syscall"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/internal/fserr"
)

// ErrLayoutBusy is returned when another orch run holds the lock of an OCI
// layout directory that this run would write.
var ErrLayoutBusy = errors.New("another orch run is writing it")

// imageNameAnnotation is where BuildKit and containerd keep an image's full
// name in an index; org.opencontainers.image.ref.name holds its tag.
const imageNameAnnotation = "io.containerd.image.name"

// layouts owns every OCI layout directory one run writes, by real path.
// Each target exports into a private staging layout; merging it into the
// destination is the only write, serialized per directory inside the run
// and guarded by a lock file against other orch runs for the whole run.
type layouts struct {
	mu     sync.Mutex
	byPath map[string]*layout
}

// layout is one destination directory.
type layout struct {
	// path is the directory's real path (see RealPath).
	path string
	// mu makes this run's merges into the directory one at a time.
	mu   sync.Mutex
	lock *os.File
	// dirs are the parents made for the lock file, removed when empty.
	dirs dirMaker
}

// lockPath is the lock file of the layout directory dir: beside it, so the
// layout itself holds only oci-layout, index.json and blobs/.
func lockPath(dir string) string {
	return filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".orch-lock")
}

// lockLayouts takes the lock of every directory in dirs, for the whole run.
// Names of one directory (a symbolic link and its target) are one lock. A
// directory another run holds is refused at once, before anything is
// built, with ErrLayoutBusy.
func lockLayouts(dirs []string) (*layouts, error) {
	ls := &layouts{byPath: map[string]*layout{}}
	for _, dir := range dirs {
		real := RealPath(dir)
		if ls.byPath[real] != nil {
			continue
		}
		l := &layout{path: real}
		if err := l.acquire(); err != nil {
			ls.close()
			if real != filepath.Clean(dir) {
				return nil, fmt.Errorf("oci layout %s (%s): %w", dir, real, err)
			}
			return nil, fmt.Errorf("oci layout %s: %w", dir, err)
		}
		ls.byPath[real] = l
	}
	return ls, nil
}

// get returns the layout whose real path is real. A layout the run did
// not lock (a single solve outside a planned run) is added unlocked, so
// that merges into it are still one at a time.
func (ls *layouts) get(real string) *layout {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l := ls.byPath[real]
	if l == nil {
		l = &layout{path: real}
		ls.byPath[real] = l
	}
	return l
}

// close releases every lock. It may be called more than once.
func (ls *layouts) close() {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for _, l := range ls.byPath {
		l.release()
	}
	ls.byPath = map[string]*layout{}
}

// acquire takes the directory's lock file with flock, which the kernel
// drops when the process ends, so a crashed run never leaves a stale lock.
func (l *layout) acquire() error {
	if err := l.dirs.mkdirAll(filepath.Dir(l.path)); err != nil {
		return fserr.Explain(filepath.Dir(l.path), err)
	}
	p := lockPath(l.path)
	for {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			l.dirs.removeCreated()
			// A read-only or full file system is the machine's
			// problem, not the file's: fserr words it, and the CLI
			// exits 1 for it.
			return fmt.Errorf("lock: %w", fserr.Explain(p, err))
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			raw, _ := os.ReadFile(p)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				holder := ""
				if pid, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil {
					holder = fmt.Sprintf(" (pid %d)", pid)
				}
				l.dirs.removeCreated()
				return fmt.Errorf("%w%s; lock file %s; wait for it to finish or choose another dest", ErrLayoutBusy, holder, p)
			}
			return fmt.Errorf("lock %s: %w", p, err)
		}
		// The holder before us removes the file before unlocking; when
		// the path no longer names the file we locked, lock the new one.
		var held, now syscall.Stat_t
		if syscall.Fstat(int(f.Fd()), &held) == nil && syscall.Stat(p, &now) == nil && held.Ino == now.Ino && held.Dev == now.Dev {
			_ = f.Truncate(0)
			_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
			l.lock = f
			return nil
		}
		f.Close()
	}
}

// release removes the lock file, then unlocks it.
func (l *layout) release() {
	if l.lock == nil {
		return
	}
	_ = os.Remove(lockPath(l.path))
	_ = l.lock.Close()
	l.lock = nil
	l.dirs.removeCreated()
}

// merge moves the images of the staged layout dir into the destination: a
// new destination is the staged directory renamed into place; an existing
// one gains the staged blobs it lacks (shared blobs are stored once), then
// an index.json in which each staged image replaces the entry of the same
// name, written to a temporary file and renamed. Blobs that only replaced
// entries referenced are removed last. At every step the destination is a
// valid layout, so an interruption loses nothing.
//
// target names the images BuildKit leaves without a name (it calls them
// "latest"), so several tag-less targets can share one layout.
// fingerprint, when not "", is recorded on each of the target's entries
// as the FingerprintKey annotation, which Holds reads.
func (l *layout) merge(staged, target, fingerprint string) error {
	idx, err := readIndex(staged)
	if err != nil {
		return err
	}
	for i := range idx.Manifests {
		nameEntry(&idx.Manifests[i], target)
		stampEntry(&idx.Manifests[i], fingerprint)
	}
	// BuildKit's content store keeps its scratch space in ingest/.
	if err := os.RemoveAll(filepath.Join(staged, "ingest")); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// An index.json being replaced when a run was killed.
	removeDeadStaging(l.path)

	if empty, err := isEmptyOrMissing(l.path); err != nil {
		return err
	} else if empty {
		if err := writeIndex(staged, idx); err != nil {
			return err
		}
		_ = os.Remove(l.path)
		return os.Rename(staged, l.path)
	}
	if err := checkLayoutDir(l.path); err != nil {
		return err
	}
	old, err := readIndex(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		old, err = &ocispec.Index{Versioned: idx.Versioned, MediaType: ocispec.MediaTypeImageIndex}, nil
	}
	if err != nil {
		return err
	}
	if err := moveBlobs(staged, l.path); err != nil {
		return err
	}
	merged := mergeIndex(old, idx)
	before := reachable(l.path, old.Manifests)
	after := reachable(l.path, merged.Manifests)
	if err := writeIndex(l.path, merged); err != nil {
		return err
	}
	var errs []error
	for d := range before {
		if !after[d] {
			if err := os.Remove(blobPath(l.path, d)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	errs = append(errs, os.RemoveAll(staged))
	return errors.Join(errs...)
}

// nameEntry gives a tag-less image its target's name as ref name.
func nameEntry(d *ocispec.Descriptor, target string) {
	if d.Annotations[imageNameAnnotation] != "" || target == "" {
		return
	}
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	if ref := d.Annotations[ocispec.AnnotationRefName]; ref == "" || ref == "latest" {
		d.Annotations[ocispec.AnnotationRefName] = target
	}
}

// entryKey is what makes two index entries the same image slot, as
// BuildKit's own index writer decides: the ref name and the full name,
// the full name in normalized form, so that an entry another tool wrote
// as app:1 is the slot BuildKit calls docker.io/library/app:1.
func entryKey(d ocispec.Descriptor) string {
	name := d.Annotations[imageNameAnnotation]
	if n, err := config.NormalizeImageName(name); err == nil && name != "" {
		name = n
	}
	return d.Annotations[ocispec.AnnotationRefName] + "\x00" + name
}

// mergeIndex returns old with every entry of add, each replacing the old
// entries of the same key. An entry whose image did not change keeps its
// old descriptor, creation time included, so an unchanged re-run leaves
// index.json as it was. Entries are sorted by name so the file does not
// depend on the order targets finished in.
func mergeIndex(old, add *ocispec.Index) *ocispec.Index {
	replaced := map[string]bool{}
	for _, d := range add.Manifests {
		replaced[entryKey(d)] = true
	}
	out := *old
	out.Manifests = nil
	kept := map[string]ocispec.Descriptor{}
	for _, d := range old.Manifests {
		if !replaced[entryKey(d)] {
			out.Manifests = append(out.Manifests, d)
		} else {
			kept[entryKey(d)] = d
		}
	}
	for _, d := range add.Manifests {
		if prev, ok := kept[entryKey(d)]; ok && prev.Digest == d.Digest {
			fingerprint := d.Annotations[FingerprintKey]
			d = prev
			d.Annotations = maps.Clone(prev.Annotations)
			stampEntry(&d, fingerprint)
		}
		out.Manifests = append(out.Manifests, d)
	}
	sortEntries(out.Manifests)
	if out.SchemaVersion == 0 {
		out.SchemaVersion = 2
	}
	if out.MediaType == "" {
		out.MediaType = ocispec.MediaTypeImageIndex
	}
	return &out
}

func sortEntries(ds []ocispec.Descriptor) {
	slices.SortStableFunc(ds, func(a, b ocispec.Descriptor) int {
		return cmp.Or(
			cmp.Compare(a.Annotations[imageNameAnnotation], b.Annotations[imageNameAnnotation]),
			cmp.Compare(a.Annotations[ocispec.AnnotationRefName], b.Annotations[ocispec.AnnotationRefName]),
			cmp.Compare(a.Digest, b.Digest),
		)
	})
}

func isEmptyOrMissing(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return len(entries) == 0, nil
}

func readIndex(dir string) (*ocispec.Index, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ocispec.ImageIndexFile))
	if err != nil {
		return nil, err
	}
	var idx ocispec.Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, ocispec.ImageIndexFile), err)
	}
	return &idx, nil
}

// writeIndex replaces dir/index.json atomically.
func writeIndex(dir string, idx *ocispec.Index) error {
	raw, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(stagePath(dir, ocispec.ImageIndexFile), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("write index.json: %w", err)
	}
	_, err = f.Write(raw)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, ocispec.ImageIndexFile))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write index.json: %w", err)
	}
	return nil
}

func blobPath(dir string, d digest.Digest) string {
	return filepath.Join(dir, ocispec.ImageBlobsDir, d.Algorithm().String(), d.Encoded())
}

// moveBlobs renames every blob of src that dst lacks into dst. Blobs are
// named by digest, so one that exists already holds the same bytes.
func moveBlobs(src, dst string) error {
	root := filepath.Join(src, ocispec.ImageBlobsDir)
	algs, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	for _, alg := range algs {
		if !alg.IsDir() {
			continue
		}
		blobs, err := os.ReadDir(filepath.Join(root, alg.Name()))
		if err != nil {
			return err
		}
		dir := filepath.Join(dst, ocispec.ImageBlobsDir, alg.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for _, b := range blobs {
			to := filepath.Join(dir, b.Name())
			if _, err := os.Lstat(to); err == nil {
				continue
			}
			if err := os.Rename(filepath.Join(root, alg.Name(), b.Name()), to); err != nil {
				return err
			}
		}
	}
	return nil
}

// reachable returns every blob the descriptors lead to in the layout at
// dir: indexes, manifests, configs and layers. Blobs that are missing or
// not JSON end the walk on their branch; the result only ever decides
// which blobs may go, so missing ones matter not.
func reachable(dir string, roots []ocispec.Descriptor) map[digest.Digest]bool {
	seen := map[digest.Digest]bool{}
	var walk func(d ocispec.Descriptor)
	walk = func(d ocispec.Descriptor) {
		if d.Digest.Validate() != nil || seen[d.Digest] {
			return
		}
		seen[d.Digest] = true
		if !isManifestType(d.MediaType) {
			return
		}
		raw, err := os.ReadFile(blobPath(dir, d.Digest))
		if err != nil {
			return
		}
		var doc struct {
			Manifests []ocispec.Descriptor `json:"manifests"`
			Config    *ocispec.Descriptor  `json:"config"`
			Layers    []ocispec.Descriptor `json:"layers"`
			Blobs     []ocispec.Descriptor `json:"blobs"`
		}
		if json.Unmarshal(raw, &doc) != nil {
			return
		}
		if doc.Config != nil {
			walk(*doc.Config)
		}
		for _, group := range [][]ocispec.Descriptor{doc.Manifests, doc.Layers, doc.Blobs} {
			for _, c := range group {
				walk(c)
			}
		}
	}
	for _, d := range roots {
		walk(d)
	}
	return seen
}

func isManifestType(mt string) bool {
	switch mt {
	case ocispec.MediaTypeImageIndex, ocispec.MediaTypeImageManifest,
		"application/vnd.docker.distribution.manifest.list.v2+json",
		"application/vnd.docker.distribution.manifest.v2+json":
		return true
	}
	return false
}

// checkLayoutDir refuses a directory that holds something other than an
// OCI layout: orch merges into layouts and never into anything else.
func checkLayoutDir(dir string) error {
	if empty, err := isEmptyOrMissing(dir); err != nil || empty {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, ocispec.ImageLayoutFile)); err != nil {
		return fmt.Errorf("%s exists and is not an OCI image layout (no %s); remove it or choose another dest", dir, ocispec.ImageLayoutFile)
	}
	return nil
}
