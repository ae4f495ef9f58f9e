package runner

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Bounds on what the runner keeps of each target's log in memory.
const (
	tailLines   = 10
	maxLineSize = 4096 // longer lines are cut; progress lines are short
)

// nodeLog is the Job.Log of one node: it keeps the last lines for the
// summary and copies everything into the target's log file when there is
// one. Solvers write to it from several goroutines.
type nodeLog struct {
	mu      sync.Mutex
	file    *os.File
	path    string
	err     error // first write error, reported as a warning
	partial []byte
	tail    []string
	closed  bool // writes after the solve returned are dropped
}

// openNodeLog creates the log of target name under dir; with an empty dir
// the log only keeps its tail.
func openNodeLog(dir, name string) (*nodeLog, error) {
	l := &nodeLog{}
	if dir == "" {
		return l, nil
	}
	l.path = filepath.Join(dir, logFileName(name))
	f, err := os.Create(l.path)
	if err != nil {
		return nil, fmt.Errorf("create log file: %w", err)
	}
	l.file = f
	return l, nil
}

// logFileName maps a target name to a file name: characters outside
// [A-Za-z0-9._-] become '_' so that no name escapes the directory.
func logFileName(name string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		default:
			return '_'
		}
	}, name)
	if clean == "" || strings.Trim(clean, ".") == "" {
		clean = "_" + clean
	}
	return clean + ".log"
}

// Write implements io.Writer; it never fails, so that a full disk cannot
// fail a build, and records the first file error instead.
func (l *nodeLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.keepTail(p)
		l.writeFile(p)
	}
	return len(p), nil
}

// note writes a runner line (attempts, the verdict) to the file only: the
// tail is for what the solver said.
func (l *nodeLog) note(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file == nil {
		return // not worth formatting
	}
	l.writeFile([]byte("orch: " + fmt.Sprintf(format, args...) + "\n"))
}

func (l *nodeLog) writeFile(p []byte) {
	if l.file == nil || l.err != nil {
		return
	}
	if _, err := l.file.Write(p); err != nil {
		l.err = fmt.Errorf("write log file %s: %w", l.path, err)
	}
}

func (l *nodeLog) keepTail(p []byte) {
	for {
		line, rest, complete := bytes.Cut(p, []byte{'\n'})
		l.partial = appendCapped(l.partial, line)
		if !complete {
			return
		}
		l.pushLine()
		p = rest
	}
}

// appendCapped appends as much of p to dst as keeps it within maxLineSize.
func appendCapped(dst, p []byte) []byte {
	room := max(maxLineSize-len(dst), 0)
	return append(dst, p[:min(len(p), room)]...)
}

func (l *nodeLog) pushLine() {
	line := strings.TrimRight(string(l.partial), "\r")
	l.partial = l.partial[:0]
	if len(l.tail) == tailLines {
		copy(l.tail, l.tail[1:])
		l.tail = l.tail[:tailLines-1]
	}
	l.tail = append(l.tail, line)
}

// close flushes a last unterminated line into the tail, closes the file and
// returns the tail and the first error met.
func (l *nodeLog) close() ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, nil
	}
	l.closed = true
	if len(l.partial) > 0 {
		l.pushLine()
	}
	if l.file != nil {
		if err := l.file.Close(); err != nil && l.err == nil {
			l.err = fmt.Errorf("close log file %s: %w", l.path, err)
		}
		l.file = nil
	}
	return l.tail, l.err // no write can touch l.tail any more
}
