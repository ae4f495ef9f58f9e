// Package dockerignore is orch's one reader of .dockerignore files: which
// ignore file applies to a build context and the patterns it holds. The
// BuildKit adapter passes the patterns to BuildKit as the local source's
// excludes; the fingerprint of a target filters its context with the same
// patterns, so both agree on which files a build sends.
//
// It reads files only; matching paths against the patterns is
// github.com/tonistiigi/fsutil's (the walker BuildKit's file sync uses).
package dockerignore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/moby/patternmatcher/ignorefile"
)

// File returns the ignore file that applies to the context directory dir:
// ignoreFile when it is set and exists (a Dockerfile-specific ignore file,
// "Dockerfile.dockerignore"), else dir/.dockerignore when that exists,
// else "". A file that exists but cannot be read is an error.
func File(dir, ignoreFile string) (string, error) {
	for _, p := range []string{ignoreFile, filepath.Join(dir, ".dockerignore")} {
		if p == "" {
			continue
		}
		_, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return p, nil
	}
	return "", nil
}

// Patterns returns the exclude patterns for the context directory dir,
// read from the ignore file File chooses; none when there is no ignore
// file.
func Patterns(dir, ignoreFile string) ([]string, error) {
	p, err := File(dir, ignoreFile)
	if err != nil || p == "" {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return patterns, nil
}
