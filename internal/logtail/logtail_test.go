package logtail

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTail(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(p, []byte("first line\nlast line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Tail(p, 10); got != "last line\n" {
		t.Errorf("Tail(10) = %q", got)
	}
	if got := Tail(p, 1000); got != "first line\nlast line\n" {
		t.Errorf("Tail(1000) = %q", got)
	}
	if got := Tail(filepath.Join(t.TempDir(), "missing"), 10); got != "" {
		t.Errorf("Tail of a missing file = %q", got)
	}
}
