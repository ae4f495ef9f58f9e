package buildkit

import (
	"context"
	"fmt"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/filesync"
	"github.com/moby/buildkit/solver/pb"
	"github.com/tonistiigi/fsutil"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/orch-build/orch/internal/dockerignore"
)

// contextSession serves every local context directory of a run from one
// BuildKit session that lives as long as the run. Each directory is a
// local source named after its path; targets that share a directory
// therefore produce the same LLB vertex, which BuildKit solves, and so
// uploads, once. The session's fixed shared key lets a later run send only
// what changed.
//
// Contexts reach the Dockerfile frontend as frontend inputs, so the
// frontend does not apply .dockerignore itself: contextSession reads it
// and passes the patterns as the local source's excludes.
type contextSession struct {
	s      *session.Session
	mu     sync.Mutex
	dirs   map[string]fsutil.FS
	cancel context.CancelFunc
	done   chan error
}

// contextSessionKey is the shared key of the context session; BuildKit
// keys its copy of a transferred directory by it.
const contextSessionKey = "orch-contexts"

func newContextSession(ctx context.Context, c *client.Client) (*contextSession, error) {
	s, err := session.NewSession(ctx, contextSessionKey)
	if err != nil {
		return nil, fmt.Errorf("context session: %w", err)
	}
	cs := &contextSession{s: s, dirs: map[string]fsutil.FS{}, done: make(chan error, 1)}
	s.Allow(filesync.NewFSSyncProvider(cs))
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	cs.cancel = cancel
	go func() { cs.done <- s.Run(runCtx, c.Dialer()) }()
	return cs, nil
}

// LookupDir serves a registered directory to BuildKit.
func (cs *contextSession) LookupDir(name string) (fsutil.FS, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	fs, ok := cs.dirs[name]
	return fs, ok
}

// close ends the session.
func (cs *contextSession) close() {
	cs.s.Close()
	cs.cancel()
	<-cs.done
}

// local registers dir and returns its definition as a local source with
// the .dockerignore patterns that apply: ignoreFile when it exists (a
// Dockerfile-specific ignore file), else dir/.dockerignore.
//
// A nil contextSession only reads the ignore file, the caller having
// found dir to be a directory, and returns a nil definition (see
// CheckTargets).
func (cs *contextSession) local(dir, ignoreFile, displayName string) (*pb.Definition, error) {
	excludes, err := dockerignore.Patterns(dir, ignoreFile)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return nil, nil
	}
	fs, err := fsutil.NewFS(dir)
	if err != nil {
		return nil, err
	}
	name := localName("dir", dir)
	if err := cs.add(name, fs); err != nil {
		return nil, err
	}
	opts := []llb.LocalOption{
		llb.SessionID(cs.s.ID()),
		llb.SharedKeyHint(name),
		llb.WithCustomName("[internal] load " + displayName),
	}
	if len(excludes) > 0 {
		opts = append(opts, llb.ExcludePatterns(excludes))
	}
	def, err := llb.Local(name, opts...).Marshal(context.Background())
	if err != nil {
		return nil, err
	}
	return def.ToPB(), nil
}

// serve registers the directory fs under name, for the Dockerfile
// frontend to read through the session whose ID it returns (the frontend
// attribute local-sessionid:NAME selects it). Every target whose Dockerfile
// lives in one directory then loads it through the same vertex, once. A
// nil contextSession returns "".
func (cs *contextSession) serve(name string, fs fsutil.FS) (string, error) {
	if cs == nil {
		return "", nil
	}
	if err := cs.add(name, fs); err != nil {
		return "", err
	}
	return cs.s.ID(), nil
}

// add registers fs under name. Its files go out owned by root, as the
// BuildKit client sends the directories of a build's own session (and as
// bake does): an image must not depend on who owns the files on the
// machine that runs orch.
func (cs *contextSession) add(name string, fs fsutil.FS) error {
	fs, err := fsutil.NewFilterFS(fs, &fsutil.FilterOpt{Map: func(_ string, st *fstypes.Stat) fsutil.MapResult {
		st.Uid, st.Gid = 0, 0
		return fsutil.MapResultKeep
	}})
	if err != nil {
		return err
	}
	cs.mu.Lock()
	cs.dirs[name] = fs
	cs.mu.Unlock()
	return nil
}
