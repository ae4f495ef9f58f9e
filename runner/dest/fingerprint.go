package dest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/orch-build/orch/config"
)

// How a destination records the fingerprint of the build that wrote it
// (runner/fingerprint), so that a later run can tell it holds the image of
// the same inputs by asking the destination itself:
//
//   - every image orch exports carries it as the manifest annotation
//     FingerprintKey (and as an index annotation when it has several
//     platforms), set through BuildKit's exporter attributes, so the
//     digest BuildKit reports is the digest every destination holds;
//   - an OCI layout's index.json entry carries it as an annotation of the
//     entry, written when orch merges the entry, so a check reads
//     index.json and no blob;
//   - a containerd image carries it as a label of the image record;
//   - a Podman image carries it in its manifest's annotations;
//   - a local directory, a tar archive and an OCI or docker archive
//     (which hold no place for it that survives every use) are recorded
//     in a record file under Options.RecordDir: the fingerprint and the
//     size, modification time and inode of every file the export wrote,
//     so a file that is gone or was written since means "build it".

// FingerprintKey is the annotation (and containerd label) that holds the
// fingerprint of the build that made an image.
const FingerprintKey = "org.orch-build.fingerprint"

// stamp adds the fingerprint annotations to the attributes of an exporter
// that makes an image (image, oci, docker); others are left alone.
func (e *Export) stamp(attrs map[string]string, exporter string) map[string]string {
	if e.fingerprint == "" {
		return attrs
	}
	switch exporter {
	case "image", "oci", "docker":
	default:
		return attrs
	}
	attrs["annotation-manifest."+FingerprintKey] = e.fingerprint
	// BuildKit refuses index annotations on a single-platform image,
	// which has no index.
	if len(e.target.Platforms) > 1 {
		attrs["annotation-index."+FingerprintKey] = e.fingerprint
	}
	return attrs
}

// stampEntry records fingerprint on an index.json entry; "" removes an
// older one.
func stampEntry(d *ocispec.Descriptor, fingerprint string) {
	if fingerprint == "" {
		delete(d.Annotations, FingerprintKey)
		return
	}
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[FingerprintKey] = fingerprint
}

// outputRecordVersion is the version of the record file format; a record
// of another version is ignored.
const outputRecordVersion = 1

// outputRecord is what orch keeps of a local directory or file it wrote.
type outputRecord struct {
	Version     int            `json:"version"`
	Target      string         `json:"target"`
	Dir         string         `json:"dir"`
	Dest        string         `json:"dest"`
	Fingerprint string         `json:"fingerprint"`
	Files       []recordedFile `json:"files"`
}

// recordedFile is one file an export wrote: its path relative to the
// destination ("" for the destination itself) and what tells it was not
// written since.
type recordedFile struct {
	Path  string `json:"path"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"`
	Ino   uint64 `json:"ino"`
}

// recordPath is the record of target t's output at the real path real.
func recordPath(recordDir string, t *config.Target, real string) string {
	sum := sha256.Sum256([]byte(t.Dir + "\x00" + t.Name + "\x00" + real))
	return filepath.Join(recordDir, "outputs", hex.EncodeToString(sum[:16])+".json")
}

// stagedFiles lists every file (not directory) under a staged local
// destination, relative to it.
func stagedFiles(staged string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(staged, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(staged, p)
		files = append(files, rel)
		return err
	})
	return files, err
}

// record writes the output record of a local item whose files were just
// committed. A record that cannot be written costs the next run a
// rebuild of the target, which its log says.
func (e *Export) record(it *item, files []string) {
	dir := e.run.opts.RecordDir
	if dir == "" || e.fingerprint == "" {
		return
	}
	rec := outputRecord{Version: outputRecordVersion, Target: e.target.Name, Dir: e.target.Dir, Dest: it.real, Fingerprint: e.fingerprint}
	for _, f := range files {
		rf, err := statFile(it.real, f)
		if err != nil {
			fmt.Fprintf(e.log, "record %s: %v\n", it.real, err)
			return
		}
		rec.Files = append(rec.Files, rf)
	}
	raw, err := json.Marshal(rec)
	if err == nil {
		err = writeFileAtomic(recordPath(dir, e.target, it.real), raw)
	}
	if err != nil {
		fmt.Fprintf(e.log, "record %s: %v; the next run builds %s again\n", it.real, err, e.target.Name)
	}
}

// statFile describes the file rel under dest (dest itself for "").
func statFile(dest, rel string) (recordedFile, error) {
	var st syscall.Stat_t
	p := filepath.Join(dest, rel)
	if err := syscall.Lstat(p, &st); err != nil {
		return recordedFile{}, &os.PathError{Op: "lstat", Path: p, Err: err}
	}
	return recordedFile{Path: rel, Size: st.Size, MTime: st.Mtim.Nano(), Ino: st.Ino}, nil
}

// checkRecord reports whether the local output at real of target t holds
// what a build with fingerprint wrote, and if not, what differs.
func checkRecord(recordDir string, t *config.Target, real, fingerprint string) (ok bool, why string) {
	raw, err := os.ReadFile(recordPath(recordDir, t, real))
	if err != nil {
		if _, serr := os.Lstat(real); errors.Is(serr, fs.ErrNotExist) {
			return false, "missing"
		}
		return false, "has no record of its build"
	}
	var rec outputRecord
	if json.Unmarshal(raw, &rec) != nil || rec.Version != outputRecordVersion || rec.Target != t.Name || rec.Dir != t.Dir || rec.Dest != real {
		return false, "has no record of its build"
	}
	if rec.Fingerprint != fingerprint {
		return false, "was built from other inputs"
	}
	for _, f := range rec.Files {
		now, err := statFile(real, f.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist) && f.Path == "":
			return false, "missing"
		case err != nil:
			return false, "lacks " + filepath.Join(filepath.Base(real), f.Path)
		case now != f:
			return false, "was written since it was built (" + filepath.Join(filepath.Base(real), f.Path) + ")"
		}
	}
	return true, ""
}

// writeFileAtomic writes data to a temporary file beside p and renames it
// to p, creating p's directory.
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
	}
	return err
}
