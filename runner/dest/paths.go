package dest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/orch-build/orch/internal/realpath"
)

// stageMarker is in the name of everything orch writes beside a
// destination before moving it into place. The owner's pid and start time
// follow it, so a later run can tell a live run's staging from a dead
// one's: .NAME.orch-stage-PID-START-RAND.
const stageMarker = ".orch-stage-"

// RealPath resolves every symbolic link of path, also when the path (or a
// link's target) does not exist yet: the longest prefix that exists is
// resolved and the rest is taken as written. Two names of one directory
// thus have one real path, which is what the OCI layout locks, the
// merges and the staging location key on. It is internal/realpath.Resolve,
// the function the planner compares destinations with, so that what the
// plan allows the locks do not refuse.
func RealPath(path string) string { return realpath.Resolve(path) }

// self is this process as staging names record it.
var self = sync.OnceValue(func() string {
	return strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(startTime(os.Getpid()), 10)
})

// stagePath returns a new staging name for dest, in dir: hidden, marked,
// owned by this process.
func stagePath(dir, dest string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return filepath.Join(dir, "."+filepath.Base(dest)+stageMarker+self()+"-"+hex.EncodeToString(b[:]))
}

// stageOwner reads the owner of a staging name: ok is false for names
// that are not orch staging.
func stageOwner(name string) (pid int, start uint64, ok bool) {
	i := strings.LastIndex(name, stageMarker)
	if i < 0 || !strings.HasPrefix(name, ".") {
		return 0, 0, false
	}
	fields := strings.Split(name[i+len(stageMarker):], "-")
	if len(fields) != 3 {
		return 0, 0, false
	}
	pid, err1 := strconv.Atoi(fields[0])
	start, err2 := strconv.ParseUint(fields[1], 10, 64)
	if err1 != nil || err2 != nil || pid <= 0 {
		return 0, 0, false
	}
	return pid, start, true
}

// alive reports whether the process that wrote a staging name still runs:
// a process with that pid exists and started at the recorded time (a pid
// the kernel gave to another process since is not the owner). Where the
// start time cannot be read the pid alone decides, erring on alive.
func alive(pid int, start uint64) bool {
	if st := startTime(pid); st != 0 {
		return st == start
	}
	if _, err := os.Stat("/proc/self/stat"); err == nil {
		return false // /proc works and has no such process
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// startTime returns a process's start time in clock ticks after boot, from
// /proc/PID/stat, or 0 when it cannot be read.
func startTime(pid int) uint64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name is in parentheses and may hold spaces; the fields
	// after it start with the state, field 3, so start time (22) is 19th.
	i := strings.LastIndexByte(string(raw), ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(raw[i+1:]))
	if len(fields) < 20 {
		return 0
	}
	st, _ := strconv.ParseUint(fields[19], 10, 64)
	return st
}

// sweeper removes the staging that dead runs left, once per directory per
// run.
type sweeper struct {
	mu   sync.Mutex
	done map[string]bool
}

// sweep removes every staging entry in dir whose owner no longer runs. It
// never touches a name without orch's marker, nor a live run's staging.
func (s *sweeper) sweep(dir string) {
	s.mu.Lock()
	if s.done == nil {
		s.done = map[string]bool{}
	}
	if s.done[dir] {
		s.mu.Unlock()
		return
	}
	s.done[dir] = true
	s.mu.Unlock()
	removeDeadStaging(dir)
}

// removeDeadStaging removes the dead runs' staging entries of dir.
func removeDeadStaging(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if pid, start, ok := stageOwner(e.Name()); ok && !alive(pid, start) {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// dirMaker creates missing parent directories and remembers which it
// made, so that an export that fails removes them again.
type dirMaker struct {
	created []string
}

// mkdirAll creates dir and its missing parents.
func (m *dirMaker) mkdirAll(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	m.created = append(m.created, missing...)
	return nil
}

// removeCreated removes the directories mkdirAll made, deepest first,
// each only while it is empty: another target may have written there.
func (m *dirMaker) removeCreated() {
	for _, d := range m.created {
		_ = os.Remove(d)
	}
	m.created = nil
}

// stagingDir returns the directory staging for dest goes into: the parent
// of its real path. Staging never goes into the file system root, where a
// leftover would sit beside the system's own directories.
func stagingDir(real string) (string, error) {
	parent := filepath.Dir(real)
	if real == "/" {
		return "", errors.New("orch does not write into the file system root; choose a directory below it")
	}
	if parent == "/" {
		return "", fmt.Errorf("orch writes a destination beside its final path first, and the parent of %s is the file system root; choose a path at least two levels deep", real)
	}
	return parent, nil
}
