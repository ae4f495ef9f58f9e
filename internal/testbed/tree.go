package testbed

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Tree records every entry under dir, by path relative to dir ("." for
// dir itself): "dir MODE" for a directory, "link TARGET" for a symbolic
// link, "MODE CONTENT" for anything else. Two trees compare equal when
// nothing under dir was added, removed, changed or changed mode.
func Tree(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			to, _ := os.Readlink(p)
			out[rel] = "link " + to
		case fi.IsDir():
			out[rel] = "dir " + fi.Mode().String()
		default:
			raw, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = fi.Mode().String() + " " + string(raw)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
