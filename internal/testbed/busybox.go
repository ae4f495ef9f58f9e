package testbed

import (
	"os"
	"path/filepath"
	"testing"
)

// Busybox returns the directory setup lays out with a static busybox per
// architecture (bin/busybox/amd64/busybox, ...), for FROM scratch images
// that need a userland; it reports the test bed unavailable without it.
func Busybox(tb testing.TB) string {
	tb.Helper()
	bin, err := BinDir()
	if err != nil {
		tb.Fatal(err)
	}
	dir := filepath.Join(bin, "busybox")
	if _, err := os.Stat(filepath.Join(dir, "amd64", "busybox")); err != nil {
		Unavailable(tb, "busybox is missing: %v", err)
	}
	return dir
}
