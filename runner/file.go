package runner

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile writes a report file atomically: write renders into a
// temporary file next to path, which replaces path only once complete, so
// an interrupted run never leaves half a report for CI to parse. Typical
// use: runner.WriteFile(path, report.WriteJSON).
func WriteFile(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
