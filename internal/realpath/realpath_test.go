package realpath

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolve(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mk := func(p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	mk("real/layout")
	mk("a/b")
	link("real/layout", "to-layout")
	link("real", "to-real")
	link("a/b", "to-b")
	link("loop", "loop")
	link("real/later", "dangling")
	if err := os.WriteFile(filepath.Join(root, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct{ path, want string }{
		{"real/layout", "real/layout"},
		{"./real/./layout/", "real/layout"},
		{"real/../real/layout", "real/layout"},
		{"to-layout", "real/layout"},
		{"to-real/layout", "real/layout"},
		// Not yet there: the existing prefix is resolved, the rest kept.
		{"to-real/new/img", "real/new/img"},
		{"to-layout/new/../img", "real/layout/img"},
		// `..` after a link goes up from where the link leads, as the
		// file system reads it: to-b is a/b, so to-b/.. is a.
		{"to-b/../x", "a/x"},
		{"file/inside", "file/inside"},
		{"loop/x", "loop/x"},
		// Writing through a dangling link creates its target.
		{"dangling/img", "real/later/img"},
		{"dangling", "real/later"},
	}
	// A Cache answers as Resolve does, the second time from memory.
	var c Cache
	for _, tt := range tests {
		path := filepath.Join(root, "") + "/" + tt.path
		want := filepath.Join(root, tt.want)
		if got := Resolve(path); got != want {
			t.Errorf("Resolve(%q) = %q, want %q", tt.path, got, want)
		}
		for range 2 {
			if got := c.Resolve(path); got != want {
				t.Errorf("Cache.Resolve(%q) = %q, want %q", tt.path, got, want)
			}
		}
	}
}

// TestCacheRemembers: a Cache keeps the view of the file system it first
// read, so one pass compares every path against one state of it.
func TestCacheRemembers(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	var c Cache
	if got, want := c.Resolve(filepath.Join(root, "link/x")), filepath.Join(root, "link/x"); got != want {
		t.Fatalf("before the link: %q, want %q", got, want)
	}
	if err := os.Symlink("real", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Resolve(filepath.Join(root, "link/x")), filepath.Join(root, "link/x"); got != want {
		t.Errorf("the cache read the file system again: %q, want %q", got, want)
	}
	if got, want := Resolve(filepath.Join(root, "link/x")), filepath.Join(root, "real/x"); got != want {
		t.Errorf("Resolve after the link: %q, want %q", got, want)
	}
}

func TestResolveRelative(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	if got, want := Resolve("link/out"), filepath.Join(root, "real/out"); got != want {
		t.Errorf("Resolve(link/out) = %q, want %q", got, want)
	}
	if got := Resolve("/"); got != "/" {
		t.Errorf("Resolve(/) = %q", got)
	}
}
