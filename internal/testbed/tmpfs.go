package testbed

import (
	"os"
	"os/exec"
	"testing"
)

// Tmpfs mounts a tmpfs with mount options opts ("size=4m", "ro,size=64k")
// on dir, creating dir, and unmounts it when the test ends. Tests of a
// full disk or a read-only file system use it: the kernel's own ENOSPC and
// EROFS, not a fake. Mounting needs root, as the test bed's buildkitd
// does; without it the test is Unavailable. The unmount is lazy, so a file
// BuildKit's client left open does not keep the test's directory busy.
func Tmpfs(tb testing.TB, dir, opts string) {
	tb.Helper()
	if os.Geteuid() != 0 {
		Unavailable(tb, "mounting a tmpfs needs root")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		Unavailable(tb, "mount a tmpfs on %s: %v: %s", dir, err, out)
	}
	tb.Cleanup(func() {
		if out, err := exec.Command("umount", "--lazy", dir).CombinedOutput(); err != nil {
			tb.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}
