package dest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distribution/reference"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/graph"
)

// Destinations is what a solver needs of a run's destinations: where the
// builder writes one attempt at a target's outputs, and what happens once
// the attempt succeeded. A *Run writes everything at once; an *Atomic
// around it holds everything back until the whole run succeeded.
type Destinations interface {
	// Stage prepares one attempt at writing t's outputs; log receives
	// the messages of the attempt (push retries). fingerprint, when not
	// "", is the digest of the target's inputs (runner/fingerprint),
	// which the destinations record with the image (see Holds). The
	// caller runs the export's Writes, then calls Commit, or Abort when
	// they failed.
	Stage(t *config.Target, fingerprint string, log io.Writer) (*Export, error)
	// Commit makes a finished export visible, or holds it back, and
	// returns the destinations written, for the report. It always
	// leaves nothing of e staged unless it holds e back.
	Commit(ctx context.Context, e *Export) ([]string, error)
}

// Options tune a Run.
type Options struct {
	// Stdout receives outputs with dest=-; nil means os.Stdout.
	Stdout io.Writer
	// RegistryJobs bounds the pushes to one registry host that run at
	// once, across all targets; 0 means no bound.
	RegistryJobs int
	// RecordDir is where the fingerprints of local directories and files
	// are recorded (see Holds); "" records none.
	RecordDir string
}

// Run is the destinations of one orch run: the locks of the OCI layouts it
// writes, the registry push budget, and the removal of staging that dead
// runs left beside the destinations it touches. It implements
// Destinations, committing each export as soon as it is done.
type Run struct {
	opts    Options
	layouts *layouts
	budget  *budget
	sweeper sweeper
}

// Open prepares the destinations of the exported nodes of plan: it takes
// the lock of every OCI layout directory they write (by real path), so
// that a concurrent run is refused before anything is built with
// ErrLayoutBusy, and removes what dead runs left beside every local
// destination. Call Close when the run is over.
func Open(plan *graph.Plan, opts Options) (*Run, error) {
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	r := &Run{opts: opts, budget: newBudget(opts.RegistryJobs)}
	var dirs []string
	for _, n := range plan.Nodes {
		if !n.Export || n.Target == nil {
			continue
		}
		for _, o := range n.Target.Outputs {
			if !o.Local() {
				continue
			}
			if o.Layout() {
				dirs = append(dirs, o.Dest)
			}
			r.sweeper.sweep(filepath.Dir(RealPath(o.Dest)))
		}
	}
	slices.Sort(dirs)
	ls, err := lockLayouts(slices.Compact(dirs))
	if err != nil {
		return nil, err
	}
	r.layouts = ls
	return r, nil
}

// Close releases the layout locks. It may be called more than once.
func (r *Run) Close() {
	if r != nil && r.layouts != nil {
		r.layouts.close()
	}
}

// Write is one thing the builder writes for an export: the exporter to
// run with its attributes, and the staging directory or file it writes.
type Write struct {
	// Exporter is BuildKit's exporter: local, tar, oci, docker or image.
	Exporter string
	// Attrs are the exporter's attributes: the output's own, without
	// those orch reads itself (push, address, namespace, platform...),
	// with name= set from the target's tags when the output has none.
	Attrs map[string]string
	// Dir is the directory the exporter writes into (local, an OCI
	// layout); File is the file it writes (tar, an archive). Neither is
	// set for an image the builder keeps (type=image without push).
	Dir, File string
}

// kind is what an output is to the destinations.
type kind int

const (
	kindBuilder    kind = iota // type=image without push: the builder keeps it
	kindDir                    // type=local
	kindFile                   // type=tar, an oci or docker archive
	kindStdout                 // dest=-
	kindLayout                 // an OCI layout directory
	kindRegistry               // a push
	kindContainerd             // containerd's image store
	kindPodman                 // Podman's image store
)

// item is one output of an export.
type item struct {
	out  config.Output
	kind kind
	// real is the destination's real path; stage is what the builder
	// writes (for registries and image stores, a shared OCI archive).
	real, stage string
	layout      *layout
	// names are the image's normalized names; shown as written.
	names, shown []string
	containerd   *containerdStore
	podman       *podmanStore
	done         bool
}

// Export is one attempt at writing one target's outputs: the Writes the
// builder runs, staged beside each final path (or, for registries, image
// stores and standard output, in a private file), and what Commit does
// with them.
type Export struct {
	// Target is the target's name.
	Target string
	// Writes are the builder's exports, in the order of the outputs.
	Writes []Write

	run      *Run
	log      io.Writer
	items    []*item
	dirs     dirMaker
	archives map[string]*archive
	// target and fingerprint are what the destinations record.
	target      *config.Target
	fingerprint string
	// parts are the private files of a split export's parts (Split).
	parts []string
}

// Stage checks t's outputs again (see Check) and creates where the builder
// writes each of them.
func (r *Run) Stage(t *config.Target, fingerprint string, log io.Writer) (_ *Export, err error) {
	if log == nil {
		log = io.Discard
	}
	e := &Export{Target: t.Name, run: r, log: log, archives: map[string]*archive{}, target: t, fingerprint: fingerprint}
	defer func() {
		if err != nil {
			e.Abort()
		}
	}()
	shared := map[string]string{} // exporter attributes → staged archive
	for _, o := range t.Outputs {
		// The file system now, not as a pass over the file saw it.
		if err := Check(t, o, nil); err != nil {
			return nil, err
		}
		it := &item{out: o}
		switch {
		case o.Type == "cacheonly":
			continue
		case o.Type == "image" && !o.Push:
			it.kind = kindBuilder
			e.Writes = append(e.Writes, Write{Exporter: "image", Attrs: e.stamp(exporterAttrs(t, o), "image")})
		case o.Push || o.Type == "containerd" || o.Type == "podman":
			it.kind = kindRegistry
			switch o.Type {
			case "containerd":
				it.kind = kindContainerd
				it.containerd, _ = newContainerdStore(o)
			case "podman":
				it.kind = kindPodman
				it.podman, _ = newPodmanStore(o)
			}
			it.names, _ = imageNames(t, o, it.kind != kindRegistry)
			it.shown = t.ImageNames(o)
			// One archive serves every push and store with the same
			// exporter attributes: the builder sends the image once.
			attrs := e.stamp(exporterAttrs(t, o, "push", "push-by-digest", "registry.insecure", "address", "namespace", "platform"), "oci")
			attrs["tar"] = "true"
			key := attrsKey(attrs)
			if it.stage = shared[key]; it.stage == "" {
				if it.stage, err = r.privateFile(); err != nil {
					return nil, err
				}
				shared[key] = it.stage
				e.Writes = append(e.Writes, Write{Exporter: "oci", Attrs: attrs, File: it.stage})
			}
		case o.Stdout():
			it.kind = kindStdout
			if it.stage, err = r.privateFile(); err != nil {
				return nil, err
			}
			e.Writes = append(e.Writes, Write{Exporter: o.Type, Attrs: e.stamp(exporterAttrs(t, o), o.Type), File: it.stage})
		default:
			if err := e.stageLocal(t, it); err != nil {
				return nil, err
			}
		}
		e.items = append(e.items, it)
	}
	return e, nil
}

// stageLocal creates the staging of a local destination beside its real
// path, after removing what dead runs left there.
func (e *Export) stageLocal(t *config.Target, it *item) error {
	o := it.out
	it.real = RealPath(o.Dest)
	dir, err := stagingDir(it.real)
	if err != nil {
		return fmt.Errorf("output type=%s,dest=%s: %w", o.Type, o.Dest, err)
	}
	if err := e.dirs.mkdirAll(dir); err != nil {
		return fmt.Errorf("output type=%s,dest=%s: %w", o.Type, o.Dest, err)
	}
	e.run.sweeper.sweep(dir)
	it.stage = stagePath(dir, it.real)
	w := Write{Exporter: o.Type, Attrs: e.stamp(exporterAttrs(t, o), o.Type)}
	switch {
	case o.Layout():
		it.kind = kindLayout
		it.layout = e.run.layouts.get(it.real)
		w.Attrs["tar"] = "false"
		w.Dir = it.stage
		err = os.Mkdir(it.stage, 0o755)
	case o.Dir:
		// BuildKit's own local exporter creates a missing dest so.
		it.kind = kindDir
		w.Dir = it.stage
		err = os.Mkdir(it.stage, 0o700)
	default:
		it.kind = kindFile
		w.File = it.stage
		var f *os.File
		if f, err = os.OpenFile(it.stage, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644); err == nil {
			err = f.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("output type=%s,dest=%s: stage: %w", o.Type, o.Dest, err)
	}
	e.Writes = append(e.Writes, w)
	return nil
}

// privateFile creates a staging file in the temporary directory, for what
// has no local destination: archives for registries and image stores, and
// standard output.
func (r *Run) privateFile() (string, error) {
	dir := os.TempDir()
	r.sweeper.sweep(dir)
	p := stagePath(dir, "orch-export")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("stage an export: %w", err)
	}
	return p, f.Close()
}

// exporterAttrs are the builder's attributes of output o: its own, less
// drop, and name= from the target's tags for the image exporters.
func exporterAttrs(t *config.Target, o config.Output, drop ...string) map[string]string {
	attrs := maps.Clone(o.Attrs)
	if attrs == nil {
		attrs = map[string]string{}
	}
	for _, k := range drop {
		delete(attrs, k)
	}
	if o.Type != "local" && o.Type != "tar" && attrs["name"] == "" {
		if names := t.ImageNames(o); len(names) > 0 {
			attrs["name"] = strings.Join(names, ",")
		}
	}
	return attrs
}

// attrsKey is a map of attributes as one comparable string.
func attrsKey(attrs map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		fmt.Fprintf(&b, "%q=%q,", k, attrs[k])
	}
	return b.String()
}

// Commit pushes every image to its registries and moves its tags, then
// writes the local destinations and image stores. A target whose push
// failed writes nothing locally: a failed target creates no destination.
func (r *Run) Commit(ctx context.Context, e *Export) ([]string, error) {
	defer e.Abort()
	dests, err := e.push(ctx)
	if err != nil {
		return dests, err
	}
	local, err := e.commitLocal(ctx)
	return append(dests, local...), err
}

// Abort removes everything the export still has staged and the parent
// directories made for it. It may be called more than once.
func (e *Export) Abort() {
	for _, a := range e.archives {
		a.Close()
	}
	e.archives = map[string]*archive{}
	for _, it := range e.items {
		if it.stage != "" {
			_ = os.RemoveAll(it.stage)
		}
	}
	for _, p := range e.parts {
		_ = os.Remove(p)
	}
	e.parts = nil
	e.dirs.removeCreated()
}

// archive opens the staged archive of a registry or image store item.
func (e *Export) archive(it *item) (*archive, error) {
	if a := e.archives[it.stage]; a != nil {
		return a, nil
	}
	a, err := openArchive(it.stage)
	if err != nil {
		return nil, err
	}
	e.archives[it.stage] = a
	return a, nil
}

// registryItems are the export's pushes.
func (e *Export) registryItems() []*item {
	var out []*item
	for _, it := range e.items {
		if it.kind == kindRegistry {
			out = append(out, it)
		}
	}
	return out
}

// push pushes every registry output: the image by digest to each
// repository, then each tag (none for push-by-digest).
func (e *Export) push(ctx context.Context) ([]string, error) {
	var dests []string
	for _, it := range e.registryItems() {
		repos, err := e.pushContent(ctx, it)
		if err != nil {
			return dests, err
		}
		if it.out.PushByDigest {
			dests = append(dests, repos...)
			continue
		}
		for i, name := range it.names {
			if err := e.moveTag(ctx, it, name); err != nil {
				return dests, err
			}
			dests = append(dests, "registry:"+it.shown[i])
		}
	}
	return dests, nil
}

// pushContent uploads the image of a registry item to every repository it
// names, by digest, and returns the destinations ("registry:REPO@DIGEST").
func (e *Export) pushContent(ctx context.Context, it *item) ([]string, error) {
	a, err := e.archive(it)
	if err != nil {
		return nil, fmt.Errorf("output type=%s: %w", it.out.Type, err)
	}
	root := a.root()
	var dests []string
	for _, repo := range repositories(it.names) {
		// A client of its own per repository: the registry client
		// remembers what it pushed, and another repository lacks it.
		reg, err := newRegistry(it.out.Insecure)
		if err != nil {
			return dests, err
		}
		err = e.withHost(ctx, repo, func() error {
			return retry(ctx, e.log, "push", func() error { return reg.pushImage(ctx, repo, root, a) })
		})
		if err != nil {
			return dests, err
		}
		dests = append(dests, "registry:"+repo+"@"+root.Digest.String())
	}
	return dests, nil
}

// moveTag points the tag name of a registry item at its image, which
// pushContent uploaded.
func (e *Export) moveTag(ctx context.Context, it *item, name string) error {
	m, err := e.rootManifest(it)
	if err != nil {
		return err
	}
	reg, err := newRegistry(it.out.Insecure)
	if err != nil {
		return err
	}
	return e.withHost(ctx, name, func() error {
		return retry(ctx, e.log, "tag", func() error { return reg.putTag(ctx, name, m) })
	})
}

// rootManifest is the image of a registry item as a tag points at it.
func (e *Export) rootManifest(it *item) (*manifest, error) {
	a, err := e.archive(it)
	if err != nil {
		return nil, err
	}
	root := a.root()
	raw, err := a.read(root)
	if err != nil {
		return nil, err
	}
	return &manifest{desc: root, raw: raw}, nil
}

// withHost runs fn holding the push budget of name's registry host.
func (e *Export) withHost(ctx context.Context, name string, fn func() error) error {
	release, err := e.run.budget.acquire(ctx, []string{hostOf(name)})
	if err != nil {
		return err
	}
	defer release()
	return fn()
}

// hostOf is the registry host of a normalized name or repository.
func hostOf(name string) string {
	if r, err := reference.ParseNormalizedNamed(name); err == nil {
		return reference.Domain(r)
	}
	return name
}

// repositories lists the distinct repositories of normalized names, in
// order.
func repositories(names []string) []string {
	var out []string
	for _, n := range names {
		r, err := reference.ParseNormalizedNamed(n)
		if err != nil {
			continue
		}
		if !slices.Contains(out, r.Name()) {
			out = append(out, r.Name())
		}
	}
	return out
}

// commitLocal writes every local destination and image store, in the
// order of the outputs, and returns the destinations written. A failure
// does not stop the others.
func (e *Export) commitLocal(ctx context.Context) ([]string, error) {
	var dests []string
	var errs []error
	for _, it := range e.items {
		if it.kind == kindRegistry || it.kind == kindBuilder || it.done {
			continue
		}
		d, err := e.commitItem(ctx, it)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		it.done = true
		dests = append(dests, d...)
	}
	return dests, errors.Join(errs...)
}

// commitItem writes one local destination or image store.
func (e *Export) commitItem(ctx context.Context, it *item) ([]string, error) {
	o := it.out
	where := fmt.Sprintf("output type=%s,dest=%s", o.Type, o.Dest)
	shown := []string{o.Type + ":" + filepath.Clean(o.Dest)}
	var err error
	switch it.kind {
	case kindStdout:
		err = copyFile(e.run.opts.Stdout, it.stage)
	case kindLayout:
		err = it.layout.merge(it.stage, e.Target, e.fingerprint)
	case kindDir:
		var files []string
		if files, err = stagedFiles(it.stage); err == nil {
			if err = mergeDir(it.stage, it.real); err == nil {
				e.record(it, files)
			}
		}
	case kindFile:
		if err = os.Rename(it.stage, it.real); err == nil {
			e.record(it, []string{""})
		}
	case kindContainerd:
		where = "output type=containerd (" + it.containerd.where() + ")"
		shown = it.containerd.destinations(it.names)
		err = retry(ctx, e.log, "import", func() error { return it.containerd.load(ctx, it.stage, it.names, e.fingerprint) })
	case kindPodman:
		where = "output type=podman (" + it.podman.where() + ")"
		shown = it.podman.destinations(it.names)
		var a *archive
		if a, err = e.archive(it); err == nil {
			err = retry(ctx, e.log, "load", func() error { return it.podman.load(ctx, a, it.names) })
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return shown, nil
}

// copyFile copies the file at p to w.
func copyFile(w io.Writer, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
