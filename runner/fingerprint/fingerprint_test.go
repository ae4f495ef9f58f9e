package fingerprint

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/config"
)

// project writes files under a new directory and returns it.
func project(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// reads counts the files hashFile reads while a test runs.
func reads(t *testing.T) *readCounter {
	t.Helper()
	rc := &readCounter{}
	orig := hashFile
	hashFile = func(p string) (string, error) {
		rc.mu.Lock()
		rc.paths = append(rc.paths, filepath.Base(p))
		rc.mu.Unlock()
		return orig(p)
	}
	t.Cleanup(func() { hashFile = orig })
	return rc
}

type readCounter struct {
	mu    sync.Mutex
	paths []string
}

func (r *readCounter) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.paths
	r.paths = nil
	slices.Sort(out)
	return out
}

// fingerprintDir fingerprints a target whose context is dir, with the
// stat cache under cache ("" for none), as one run does.
func fingerprintDir(t *testing.T, cache, dir string, src *Sources) *Fingerprint {
	t.Helper()
	if src == nil {
		src = &Sources{}
	}
	if src.Context == "" {
		src.Context = dir
	}
	return fingerprintOnce(t, cache, &config.Target{Name: "app", Dir: filepath.Dir(dir)}, src)
}

// TestContextChanges: what changes a context's fingerprint is what the
// build sends: content, mode, a link's target, a new directory, an
// ignore file's effect; an ignored file, a modification time or the place
// of the checkout change nothing.
func TestContextChanges(t *testing.T) {
	files := map[string]string{
		"ctx/Dockerfile":    "FROM scratch\nCOPY . /\n",
		"ctx/a.txt":         "a\n",
		"ctx/sub/b.txt":     "b\n",
		"ctx/.dockerignore": "ignored*\n",
		"ctx/ignored.txt":   "x\n",
	}
	base := fingerprintDir(t, "", filepath.Join(project(t, files), "ctx"), nil).Digest
	for _, tc := range []struct {
		name    string
		edit    func(t *testing.T, ctx string)
		changed bool
	}{
		{"nothing", func(*testing.T, string) {}, false},
		{"content", func(t *testing.T, ctx string) { write(t, ctx, "a.txt", "A\n") }, true},
		{"new file", func(t *testing.T, ctx string) { write(t, ctx, "c.txt", "") }, true},
		{"removed file", func(t *testing.T, ctx string) { must(t, os.Remove(filepath.Join(ctx, "sub", "b.txt"))) }, true},
		{"mode", func(t *testing.T, ctx string) { must(t, os.Chmod(filepath.Join(ctx, "a.txt"), 0o755)) }, true},
		{"empty directory", func(t *testing.T, ctx string) { must(t, os.Mkdir(filepath.Join(ctx, "empty"), 0o755)) }, true},
		{"symlink", func(t *testing.T, ctx string) { must(t, os.Symlink("a.txt", filepath.Join(ctx, "l"))) }, true},
		{"ignored file", func(t *testing.T, ctx string) { write(t, ctx, "ignored.txt", "y\n") }, false},
		{"new ignored file", func(t *testing.T, ctx string) { write(t, ctx, "ignored2.txt", "y\n") }, false},
		{"modification time", func(t *testing.T, ctx string) {
			old := time.Now().Add(-time.Hour)
			must(t, os.Chtimes(filepath.Join(ctx, "a.txt"), old, old))
		}, false},
		{"ignore file lets a file in", func(t *testing.T, ctx string) { write(t, ctx, ".dockerignore", "nothing\n") }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := filepath.Join(project(t, files), "ctx")
			tc.edit(t, ctx)
			got := fingerprintDir(t, "", ctx, nil).Digest
			if (got != base) != tc.changed {
				t.Errorf("fingerprint changed: %v, want %v", got != base, tc.changed)
			}
		})
	}
}

// TestDefinitionCanonical: the fingerprint of a target does not depend on
// the order of its attributes or on where the project is, and every
// attribute that reaches the solve is in it.
func TestDefinitionCanonical(t *testing.T) {
	files := map[string]string{"ctx/Dockerfile": "FROM scratch\n", "ctx/f": "f"}
	attrs := map[string]string{"build-arg:A": "1", "build-arg:B": "2", "label:L": "x", "target": "final", "platform": "linux/amd64"}
	src := func(a map[string]string) *Sources { return &Sources{Attrs: a, SecretIDs: []string{"b", "a"}} }
	one := fingerprintDir(t, "", filepath.Join(project(t, files), "ctx"), src(attrs))
	two := fingerprintDir(t, "", filepath.Join(project(t, files), "ctx"), src(maps.Clone(attrs)))
	if one.Digest != two.Digest {
		t.Errorf("the same target in two directories has fingerprints %s and %s", one.Digest, two.Digest)
	}
	swapped := fingerprintDir(t, "", filepath.Join(project(t, files), "ctx"), &Sources{Attrs: attrs, SecretIDs: []string{"a", "b", "a"}})
	if swapped.Digest != one.Digest {
		t.Errorf("the order of secret ids changed the fingerprint")
	}
	for k := range attrs {
		changed := maps.Clone(attrs)
		changed[k] += "-changed"
		if fingerprintDir(t, "", filepath.Join(project(t, files), "ctx"), src(changed)).Digest == one.Digest {
			t.Errorf("changing attribute %s left the fingerprint alone", k)
		}
	}
	want := []string{"arg A", "arg B", "context", "label L", "platform", "secret ids", "target"}
	var got []string
	for k := range one.Components {
		got = append(got, k)
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("components (-want +got):\n%s", diff)
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(t, os.WriteFile(p, []byte(content), 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestStatCache: a warm run reads no file; a changed file is read again,
// also when its size and modification time were put back; a file changed
// within the racy window is not cached.
func TestStatCache(t *testing.T) {
	dir := filepath.Join(project(t, map[string]string{"ctx/a.txt": "aaaa", "ctx/b.txt": "bbbb"}), "ctx")
	cache := t.TempDir()
	rc := reads(t)
	first := fingerprintDir(t, cache, dir, nil)
	if got := rc.take(); !slices.Equal(got, []string{"a.txt", "b.txt"}) {
		t.Errorf("cold run read %v", got)
	}
	if fingerprintDir(t, cache, dir, nil).Digest != first.Digest || len(rc.take()) != 0 {
		t.Errorf("warm run read files or changed the fingerprint")
	}

	// Same size, same modification time: the change time tells.
	fi, err := os.Stat(filepath.Join(dir, "a.txt"))
	must(t, err)
	write(t, dir, "a.txt", "AAAA")
	must(t, os.Chtimes(filepath.Join(dir, "a.txt"), fi.ModTime(), fi.ModTime()))
	second := fingerprintDir(t, cache, dir, nil)
	if got := rc.take(); !slices.Equal(got, []string{"a.txt"}) || second.Digest == first.Digest {
		t.Errorf("after rewriting a.txt with its old size and time: read %v, fingerprint changed %v", got, second.Digest != first.Digest)
	}

	// Racy: a Hasher whose clock is now does not cache what just changed.
	write(t, dir, "b.txt", "BBBB")
	h := NewHasher(cache)
	if _, err := h.Target(t.Context(), &config.Target{Name: "app"}, &Sources{Context: dir}, Inputs{}); err != nil {
		t.Fatal(err)
	}
	must(t, h.Close())
	rc.take()
	fingerprintDir(t, cache, dir, nil)
	if got := rc.take(); !slices.Equal(got, []string{"b.txt"}) {
		t.Errorf("a file hashed within the racy window was cached: the next run read %v, want b.txt", got)
	}
}

// TestStatCacheSafeToBreak: a corrupt, foreign or truncated stat cache is
// ignored and written again; an unwritable cache directory only costs
// reading.
func TestStatCacheSafeToBreak(t *testing.T) {
	dir := filepath.Join(project(t, map[string]string{"ctx/a.txt": "a"}), "ctx")
	real, err := filepath.EvalSymlinks(dir)
	must(t, err)
	for name, content := range map[string]string{
		"corrupt":   statCacheHeader + "\n" + real + "\na.txt\tnot numbers\n",
		"foreign":   "something else entirely\n",
		"other dir": statCacheHeader + "\n/elsewhere\n",
		"truncated": statCacheHeader + "\n" + real + "\na.txt\t1\t2",
	} {
		t.Run(name, func(t *testing.T) {
			cache := t.TempDir()
			want := fingerprintDir(t, "", dir, nil).Digest
			file := statCacheFile(cache, real)
			must(t, os.MkdirAll(filepath.Dir(file), 0o755))
			must(t, os.WriteFile(file, []byte(content), 0o644))
			rc := reads(t)
			if got := fingerprintDir(t, cache, dir, nil).Digest; got != want {
				t.Errorf("fingerprint %s with a %s cache, want %s", got, name, want)
			}
			if got := rc.take(); len(got) != 1 {
				t.Errorf("read %v, want a.txt read again", got)
			}
			raw, err := os.ReadFile(file)
			must(t, err)
			if !strings.HasPrefix(string(raw), statCacheHeader+"\n"+real+"\na.txt\t") {
				t.Errorf("the cache was not written again:\n%s", raw)
			}
		})
	}
	t.Run("unwritable", func(t *testing.T) {
		blocker := filepath.Join(t.TempDir(), "file")
		must(t, os.WriteFile(blocker, nil, 0o644))
		h := NewHasher(blocker) // a file where the directory should be
		h.now = func() time.Time { return time.Now().Add(2 * racyWindow) }
		if _, err := h.Target(t.Context(), &config.Target{Name: "app"}, &Sources{Context: dir}, Inputs{}); err != nil {
			t.Fatal(err)
		}
		if err := h.Close(); err == nil || !strings.Contains(err.Error(), "stat cache") {
			t.Errorf("Close: %v, want the stat cache's error", err)
		}
	})
}

// TestSecretFileInContext: a secret's file inside the context is never
// read nor cached; its metadata still rebuilds when it changes.
func TestSecretFileInContext(t *testing.T) {
	dir := filepath.Join(project(t, map[string]string{"ctx/.npmrc": "token-1", "ctx/a": "a"}), "ctx")
	cache := t.TempDir()
	src := func() *Sources { return &Sources{SecretFiles: []string{filepath.Join(dir, ".npmrc")}} }
	rc := reads(t)
	first := fingerprintDir(t, cache, dir, src())
	if got := rc.take(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("read %v, want a only", got)
	}
	write(t, dir, ".npmrc", "token-2")
	if fingerprintDir(t, cache, dir, src()).Digest == first.Digest {
		t.Errorf("editing the secret file left the fingerprint alone")
	}
	raw, err := filepathRead(filepath.Join(cache, "stat"))
	must(t, err)
	if strings.Contains(raw, ".npmrc") || strings.Contains(raw, "token") {
		t.Errorf("the stat cache mentions the secret file:\n%s", raw)
	}
}

// filepathRead concatenates every file under dir.
func filepathRead(dir string) (string, error) {
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(p)
		b.Write(raw)
		return err
	})
	return b.String(), err
}

// TestUnknownInputs: what orch cannot fingerprint makes the fingerprint
// Unknown, with the reason.
func TestUnknownInputs(t *testing.T) {
	dir := filepath.Join(project(t, map[string]string{"ctx/a": "a"}), "ctx")
	lib := fingerprintDir(t, "", dir, nil)
	for _, tc := range []struct {
		name string
		src  Sources
		in   Inputs
		want []string
	}{
		{"remote context", Sources{Remote: []string{"https://github.com/x/y.git"}}, Inputs{},
			[]string{"remote context https://github.com/x/y.git is fetched by the builder"}},
		{"unresolved image", Sources{Images: []string{"docker.io/library/alpine:3.20"}}, Inputs{Unresolved: map[string]string{"docker.io/library/alpine:3.20": "resolve: refused"}},
			[]string{"image docker.io/library/alpine:3.20: resolve: refused"}},
		{"parent without fingerprint", Sources{Links: map[string]string{"base": "lib"}}, Inputs{}, []string{"parent lib has no fingerprint"}},
		{"known", Sources{Links: map[string]string{"base": "lib"}, Images: []string{"docker.io/library/alpine:3.20"}},
			Inputs{Parents: map[string]*Fingerprint{"lib": lib}, Images: map[string]string{"docker.io/library/alpine:3.20": "sha256:1"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src
			src.Context = dir
			h := NewHasher("")
			fp, err := h.Target(t.Context(), &config.Target{Name: "app"}, &src, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, fp.Unknown); diff != "" {
				t.Errorf("unknown (-want +got):\n%s", diff)
			}
		})
	}
}

// TestChanges: the phrases orch plan shows for each kind of change.
func TestChanges(t *testing.T) {
	root := project(t, map[string]string{"svc42/f.txt": "1", "svc42/g.txt": "g", "svc42/Dockerfile": "FROM base\n"})
	ctx := filepath.Join(root, "svc42")
	store := NewStore(t.TempDir())
	target := &config.Target{Name: "svc42", Dir: root}
	lib := &Fingerprint{Digest: "sha256:lib1"}
	src := func(v string) *Sources {
		return &Sources{Context: ctx, Dockerfile: filepath.Join(ctx, "Dockerfile"), Attrs: map[string]string{"build-arg:V": v}, Links: map[string]string{"base": "lib3"}, Images: []string{"docker.io/library/alpine:3.20"}}
	}
	in := func(img string, parent *Fingerprint) Inputs {
		return Inputs{Parents: map[string]*Fingerprint{"lib3": parent}, Images: map[string]string{"docker.io/library/alpine:3.20": img}}
	}
	h := NewHasher("")
	before, err := h.Target(t.Context(), target, src("1"), in("sha256:a", lib))
	must(t, err)
	must(t, store.Save(target, before, "sha256:img", map[string]any{"containerimage.digest": "sha256:img"}))
	rec := store.Load(target)
	if rec == nil || rec.Fingerprint != before.Digest || rec.Digest != "sha256:img" {
		t.Fatalf("record %+v", rec)
	}

	write(t, ctx, "f.txt", "2")
	write(t, ctx, "Dockerfile", "FROM base\nRUN true\n")
	after, err := NewHasher("").Target(t.Context(), target, src("2"), in("sha256:b", &Fingerprint{Digest: "sha256:lib2"}))
	must(t, err)
	// The Dockerfile is in the context, which sends it too.
	want := []string{"Dockerfile", "arg V", "context file svc42/Dockerfile", "context file svc42/f.txt", "base image alpine:3.20 moved to sha256:b", "parent lib3"}
	if diff := cmp.Diff(want, Changes(rec, after, store.Listing)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if got := Changes(rec, before, store.Listing); got != nil {
		t.Errorf("no change reads as %v", got)
	}
	// Without the old listing, the context is named as a whole.
	if got := Changes(rec, after, func(string) *Listing { return nil }); !slices.Contains(got, "context") {
		t.Errorf("without listings: %v", got)
	}
	// Many files: three named, the rest counted.
	for _, f := range []string{"h", "i", "j", "k"} {
		write(t, ctx, f, f)
	}
	many, err := NewHasher("").Target(t.Context(), target, src("1"), in("sha256:a", lib))
	must(t, err)
	if diff := cmp.Diff([]string{"Dockerfile", "context file svc42/Dockerfile", "context file svc42/f.txt", "context file svc42/h", "3 more context files"}, Changes(rec, many, store.Listing)); diff != "" {
		t.Errorf("many changes (-want +got):\n%s", diff)
	}
}

// TestStore: records are the target's own; Prune keeps the listings
// records refer to and files being written.
func TestStore(t *testing.T) {
	cache := t.TempDir()
	store := NewStore(cache)
	dir := project(t, map[string]string{"a/x": "1", "b/y": "2"})
	ta, tb := &config.Target{Name: "a", Dir: dir}, &config.Target{Name: "b", Dir: dir}
	fa := fingerprintDir(t, "", filepath.Join(dir, "a"), nil)
	fb := fingerprintDir(t, "", filepath.Join(dir, "b"), nil)
	must(t, store.Save(ta, fa, "", nil))
	must(t, store.Save(tb, fb, "", nil))
	if store.Load(&config.Target{Name: "a", Dir: "/elsewhere"}) != nil {
		t.Errorf("a record was loaded for a target of another directory")
	}
	// b's inputs change: its old listing is orphaned.
	write(t, filepath.Join(dir, "b"), "y", "3")
	fb2 := fingerprintDir(t, "", filepath.Join(dir, "b"), nil)
	must(t, store.Save(tb, fb2, "", nil))
	tmp := filepath.Join(cache, "contexts", ".tmp-123")
	must(t, os.WriteFile(tmp, nil, 0o600))
	must(t, store.Prune())
	for l, want := range map[string]bool{fa.Listings["context"].Digest: true, fb2.Listings["context"].Digest: true, fb.Listings["context"].Digest: false} {
		if got := store.Listing(l) != nil; got != want {
			t.Errorf("listing %s kept %v, want %v", l, got, want)
		}
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Errorf("Prune removed a listing being written: %v", err)
	}
	// A corrupt listing is no listing.
	must(t, os.WriteFile(store.listingPath(fa.Listings["context"].Digest), []byte(listingHeader+"\n"+fa.Listings["context"].Digest+"\nx\t644\t\tsha256:0\t\n"), 0o600))
	if store.Listing(fa.Listings["context"].Digest) != nil {
		t.Errorf("a listing that does not match its digest was read")
	}
}

// TestHasherSharesWalks: targets with one context walk it once per run.
func TestHasherSharesWalks(t *testing.T) {
	dir := filepath.Join(project(t, map[string]string{"ctx/a": "a"}), "ctx")
	rc := reads(t)
	h := NewHasher("")
	var wg sync.WaitGroup
	var errs atomic.Int32
	for i := range 8 {
		wg.Go(func() {
			if _, err := h.Target(t.Context(), &config.Target{Name: string(rune('a' + i))}, &Sources{Context: dir}, Inputs{}); err != nil {
				errs.Add(1)
			}
		})
	}
	wg.Wait()
	if errs.Load() != 0 || len(rc.take()) != 1 {
		t.Errorf("eight targets of one context: %d errors, the file read more than once", errs.Load())
	}
}
