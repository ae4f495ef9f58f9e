package fserr

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/orch-build/orch/internal/testbed"
)

func TestExplain(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string // "" for nil
	}{
		{"full, the path of the failed call", fmt.Errorf("commit: %w", &fs.PathError{Op: "write", Path: "/o/.app.tar.orch-1", Err: syscall.ENOSPC}), "disk full writing /o/.app.tar.orch-1"},
		{"read-only", &fs.PathError{Op: "open", Path: "/ro/.l.orch-lock", Err: syscall.EROFS}, "read-only file system: /ro/.l.orch-lock"},
		{"quota", &fs.PathError{Op: "write", Path: "/q/f", Err: syscall.EDQUOT}, "disk quota exceeded writing /q/f"},
		{"a rename names its new path", &os.LinkError{Op: "rename", Old: "/o/.x.orch-1", New: "/o/x", Err: syscall.EROFS}, "read-only file system: /o/x"},
		{"no path in the chain: the one given", fmt.Errorf("sync: %w", syscall.ENOSPC), "disk full writing /fallback"},
		{"other errors unchanged", &fs.PathError{Op: "open", Path: "/x", Err: syscall.EACCES}, "open /x: permission denied"},
		{"nil", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Explain("/fallback", tt.err)
			if text := errText(got); text != tt.want {
				t.Errorf("Explain = %q, want %q", text, tt.want)
			}
			if tt.err != nil && !errors.Is(got, tt.err) {
				t.Errorf("Explain(%v) does not wrap the original", tt.err)
			}
		})
	}
	// Explaining twice keeps the context added in between.
	once := fmt.Errorf("oci layout /ro: %w", Explain("", &fs.PathError{Op: "open", Path: "/ro/.lock", Err: syscall.EROFS}))
	if got := Explain("", once); got != once {
		t.Errorf("Explain of an explained error = %v, want it unchanged", got)
	}
}

// TestExplainReadOnlyMount writes into a read-only tmpfs, which root can
// mount: the real EROFS from the kernel comes out worded.
func TestExplainReadOnlyMount(t *testing.T) {
	dir := t.TempDir()
	testbed.Tmpfs(t, dir, "ro,size=64k")
	p := filepath.Join(dir, "x")
	err := Explain("", os.WriteFile(p, nil, 0o644))
	var fe *Error
	if !errors.As(err, &fe) || err.Error() != "read-only file system: "+p {
		t.Fatalf("got %v, want read-only file system: %s", err, p)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestFull fills a small tmpfs: Full names the path once less than 1 MiB
// is left, for the directory and for a path inside it that does not exist.
func TestFull(t *testing.T) {
	dir := t.TempDir()
	testbed.Tmpfs(t, dir, "size=4m")
	dest := filepath.Join(dir, "out/app")
	if err := Full(dest); err != nil {
		t.Fatalf("an empty 4 MiB file system: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "filler"), make([]byte, 3<<20+512<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Full(dest)
	if !errors.Is(err, syscall.ENOSPC) || err.Error() != "disk full writing "+dest {
		t.Errorf("Full with 512 KiB left = %v, want disk full writing %s", err, dest)
	}
}
