// Package fserr words the file system errors a user fixes outside orch:
// a full disk, an exhausted quota, a read-only file system. Each becomes an
// *Error that names the path and the cause in plain words, and still
// matches errors.Is(err, syscall.ENOSPC) and the like. Classification is by
// the errno in the error chain, never by message text.
//
// The BuildKit adapter and the destinations (locks, staging, commits) call
// Explain where they write; the CLI treats an *Error as a failed run (exit
// 1), not as a configuration mistake: the files were right, the disk was
// not.
package fserr

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Error is a write refused because of the file system holding Path.
type Error struct {
	// Path is the file or directory being written.
	Path string
	// Errno is the cause: syscall.ENOSPC, syscall.EDQUOT or syscall.EROFS.
	Errno syscall.Errno
	// Err is the error as the system call reported it.
	Err error
}

// Error says what happened to which path, e.g. "disk full writing
// /out/app.tar" or "read-only file system: /out".
func (e *Error) Error() string {
	switch e.Errno {
	case syscall.EROFS:
		return "read-only file system: " + e.Path
	case syscall.EDQUOT:
		return "disk quota exceeded writing " + e.Path
	default:
		return "disk full writing " + e.Path
	}
}

// Unwrap returns the underlying error, so errors.Is(err, syscall.ENOSPC)
// still holds.
func (e *Error) Unwrap() error { return e.Err }

// causes are the errnos Explain words.
var causes = []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS}

// Explain returns err as an *Error when its chain holds one of the causes
// above, naming the path of the innermost *fs.PathError or *os.LinkError
// (the file the system call wrote), else path. Any other error, and one
// that already holds an *Error, comes back unchanged; nil stays nil.
//
// The *Error replaces the text of err: callers wrap it with what they were
// doing ("oci layout out: lock: read-only file system: out/.lock").
func Explain(path string, err error) error {
	if err == nil {
		return nil
	}
	var done *Error
	if errors.As(err, &done) {
		return err
	}
	for _, errno := range causes {
		if !errors.Is(err, errno) {
			continue
		}
		var pe *fs.PathError
		var le *os.LinkError
		switch {
		case errors.As(err, &pe):
			path = pe.Path
		case errors.As(err, &le):
			path = le.New
		}
		return &Error{Path: path, Errno: errno, Err: err}
	}
	return err
}

// minFree is the free space below which Full calls a file system full:
// less than one write of a layer or a file could still need.
const minFree = 1 << 20

// Full returns an *Error (ENOSPC) naming path when the file system holding
// path, or its nearest existing parent, has less than 1 MiB available to
// this process; nil when it has more or cannot be asked. It explains a
// write that failed where the error itself lost its errno (BuildKit reports
// a write its client could not finish as the stream ending), and is asked
// only after such a failure: on its own, little free space is no error.
func Full(path string) error {
	dir := path
	for {
		var st syscall.Statfs_t
		err := syscall.Statfs(dir, &st)
		if err == nil {
			free := st.Bavail
			if os.Geteuid() == 0 {
				// Root may use the blocks reserved for it.
				free = st.Bfree
			}
			if free*uint64(st.Bsize) >= minFree {
				return nil
			}
			return &Error{Path: path, Errno: syscall.ENOSPC, Err: &fs.PathError{Op: "statfs", Path: dir, Err: syscall.ENOSPC}}
		}
		parent := filepath.Dir(dir)
		if !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ENOTDIR) || parent == dir {
			return nil
		}
		dir = parent
	}
}
