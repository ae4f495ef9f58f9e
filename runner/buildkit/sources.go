package buildkit

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/runner/fingerprint"
)

// Sources returns what the solve of t reads, in the plain terms the
// fingerprint takes: the frontend attributes it translates t to (without
// those that only name a session or a local path), the exporters'
// annotations, the Dockerfile, the local directories it sends, the
// `target:` links, the images it reads from registries and what the
// builder fetches itself. It is the translation Solve makes (newRequest),
// so the fingerprint covers exactly what reaches the builder; it needs no
// builder. The error is what the preflight reports for t.
func Sources(t *config.Target) (*fingerprint.Sources, error) {
	r, err := newRequest(t, nil)
	if err != nil {
		return nil, err
	}
	defer r.cleanup()
	annotations, err := annotationAttrs(t.Annotations)
	if err != nil {
		return nil, err
	}
	src := &fingerprint.Sources{
		Attrs:        map[string]string{},
		Named:        map[string]string{},
		Links:        maps.Clone(r.links),
		Layouts:      map[string]string{},
		SecretFiles:  slices.Clone(r.secretFiles),
		SecretIDs:    slices.Clone(r.secretIDs),
		Entitlements: slices.Clone(r.entitlements),
		Call:         r.call,
	}
	if len(t.Policy) > 0 {
		// newRequest accepts no policy but disabled=true.
		src.Policy = "disabled"
	}
	for _, id := range r.sshs {
		if id == "" {
			id = "default" // as the ssh agent provider names it
		}
		src.SSHIDs = append(src.SSHIDs, id)
	}
	images := map[string]bool{}
	for k, v := range r.attrs {
		name, isContext := strings.CutPrefix(k, "context:")
		switch {
		case k == "dockerfilekey", strings.HasPrefix(k, "local-sessionid:"):
			// Session names: the same directories get other names in
			// another checkout.
			continue
		case k == "no-cache" && v == "":
			// no-cache = true: such a target always builds anyway.
			continue
		case k == "image-resolve-mode":
			// pull = true only says to ask the registry, which the
			// fingerprint does for every image anyway.
			continue
		case k == "context" || (isContext && isRemote(v)):
			src.Remote = append(src.Remote, v)
		case isContext && strings.HasPrefix(v, "oci-layout:"):
			// The store is named after its path; the digest is the image.
			_, digest, _ := strings.Cut(v, "@")
			src.Layouts[name] = digest
			v = "oci-layout@" + digest
		case isContext && strings.HasPrefix(v, "docker-image://"):
			ref, err := normalizeImage(strings.TrimPrefix(v, "docker-image://"))
			if err != nil {
				return nil, fmt.Errorf("contexts.%s: %w", name, err)
			}
			images[ref] = true
		}
		src.Attrs[k] = v
	}
	maps.Copy(src.Attrs, annotations)
	for name, l := range r.locals {
		if name == "" {
			src.Context, src.IgnoreFile = l.dir, l.ignoreFile
		} else {
			src.Named[name] = l.dir
		}
	}

	var dockerfile []byte
	switch {
	case t.DockerfileInline != nil:
		src.DockerfileInline = t.DockerfileInline
		dockerfile = []byte(*t.DockerfileInline)
	case src.Context != "":
		src.Dockerfile = r.dockerfile
		if dockerfile, err = os.ReadFile(r.dockerfile); err != nil {
			return nil, fmt.Errorf("dockerfile: %w", err)
		}
	}
	if dockerfile != nil {
		refs, err := dockerfileImages(dockerfile, r)
		if err != nil {
			return nil, fmt.Errorf("dockerfile %s: %w", r.dockerfile, err)
		}
		for _, ref := range refs {
			images[ref] = true
		}
	}
	src.Images = slices.Sorted(maps.Keys(images))
	slices.Sort(src.Remote)
	return src, nil
}

// normalizeImage is an image reference as the frontend resolves it: the
// full name, with :latest when it has neither tag nor digest.
func normalizeImage(s string) (string, error) {
	ref, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return "", fmt.Errorf("image %q: %w", s, err)
	}
	return reference.TagNameOnly(ref).String(), nil
}

// dockerfileImages lists the images a build of the Dockerfile dt reads
// from registries, as the Dockerfile frontend decides them: the stages the
// target stage reaches (FROM, COPY --from, RUN --mount from=), with the
// ARG values before the first FROM substituted (defaults, then the build
// args, and the platform args for each platform of the build), less stage
// names, scratch and every name a named context of the request replaces;
// and the frontend of a # syntax= line. It parses with BuildKit's own
// Dockerfile parser, so it reads a Dockerfile as the frontend does.
//
// For a target without platforms, TARGETPLATFORM and its relatives are
// the platform orch runs on, which is the builder's own when it is local:
// a FROM naming them for another builder platform is fingerprinted with
// the local one.
func dockerfileImages(dt []byte, r *request) ([]string, error) {
	ast, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return nil, err
	}
	stages, metaArgs, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		return nil, err
	}
	if len(stages) == 0 {
		return nil, nil
	}
	buildArgs := map[string]string{}
	for k, v := range r.attrs {
		if name, ok := strings.CutPrefix(k, "build-arg:"); ok {
			buildArgs[name] = v
		}
	}
	target := len(stages) - 1
	if name := r.attrs["target"]; name != "" {
		target = slices.IndexFunc(stages, func(s instructions.Stage) bool { return strings.EqualFold(s.Name, name) })
		if target < 0 {
			return nil, fmt.Errorf("target stage %q could not be found", name)
		}
	}
	named := func(name string) bool {
		if _, ok := r.links[name]; ok {
			return true
		}
		for k := range r.attrs {
			if k == "context:"+name || strings.HasPrefix(k, "context:"+name+"::") {
				return true
			}
		}
		return false
	}
	var plats []ocispec.Platform
	for _, p := range strings.Split(r.attrs["platform"], ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pl, err := platforms.Parse(p)
		if err != nil {
			return nil, err
		}
		plats = append(plats, platforms.Normalize(pl))
	}
	if len(plats) == 0 {
		plats = []ocispec.Platform{platforms.DefaultSpec()}
	}

	images := map[string]bool{}
	if syntax, _, _, ok := parser.DetectSyntax(dt); ok {
		ref, err := normalizeImage(syntax)
		if err != nil {
			return nil, err
		}
		images[ref] = true
	}
	lex := shell.NewLex(ast.EscapeToken)
	for _, p := range plats {
		env, err := globalArgs(lex, metaArgs, buildArgs, p, stages[target].Name)
		if err != nil {
			return nil, err
		}
		if err := reachedImages(lex, env, stages, target, named, images); err != nil {
			return nil, err
		}
	}
	return slices.Sorted(maps.Keys(images)), nil
}

// globalArgs are the values ARGs before the first FROM have for a build
// for platform p, as the frontend computes them: the platform args, then
// each ARG in order (a build arg wins over its default, which may use the
// ARGs before it).
func globalArgs(lex *shell.Lex, metaArgs []instructions.ArgCommand, buildArgs map[string]string, p ocispec.Platform, stage string) (*argEnv, error) {
	local := platforms.DefaultSpec()
	if stage == "" {
		stage = "default"
	}
	env := &argEnv{}
	for _, kv := range [][2]string{
		{"BUILDPLATFORM", platforms.Format(local)}, {"BUILDOS", local.OS}, {"BUILDOSVERSION", local.OSVersion},
		{"BUILDARCH", local.Architecture}, {"BUILDVARIANT", local.Variant},
		{"TARGETPLATFORM", platforms.FormatAll(p)}, {"TARGETOS", p.OS}, {"TARGETOSVERSION", p.OSVersion},
		{"TARGETARCH", p.Architecture}, {"TARGETVARIANT", p.Variant}, {"TARGETSTAGE", stage},
	} {
		v := kv[1]
		if o, ok := buildArgs[kv[0]]; ok {
			v = o
		}
		env.set(kv[0], v)
	}
	for _, cmd := range metaArgs {
		for _, kv := range cmd.Args {
			if v, ok := buildArgs[kv.Key]; ok {
				env.set(kv.Key, v)
				continue
			}
			if kv.Value == nil {
				continue
			}
			res, err := lex.ProcessWordWithMatches(*kv.Value, env)
			if err != nil {
				return nil, err
			}
			env.set(kv.Key, res.Result)
		}
	}
	return env, nil
}

// reachedImages adds to images every registry image the stages reached
// from stages[target] read.
func reachedImages(lex *shell.Lex, env *argEnv, stages []instructions.Stage, target int, named func(string) bool, images map[string]bool) error {
	// stageIndex finds a stage by name, or by index where COPY --from and
	// mounts take one.
	stageIndex := func(name string, byIndex bool) int {
		if i, err := strconv.Atoi(name); err == nil && byIndex {
			if i >= 0 && i < len(stages) {
				return i
			}
			return -1
		}
		return slices.IndexFunc(stages, func(s instructions.Stage) bool { return s.Name != "" && strings.EqualFold(s.Name, name) })
	}
	// source handles a name stage self reads from: another stage (walked),
	// scratch, a named context, or an image.
	seen := make([]bool, len(stages))
	var walk func(i int) error
	source := func(name string, self int, byIndex bool) error {
		if i := stageIndex(name, byIndex); i >= 0 && i != self {
			return walk(i)
		}
		if strings.EqualFold(name, "scratch") {
			return nil
		}
		ref, err := reference.ParseNormalizedNamed(name)
		if err != nil {
			return fmt.Errorf("image %q: %w", name, err)
		}
		if named(strings.TrimSuffix(reference.FamiliarString(ref), ":latest")) {
			return nil
		}
		images[reference.TagNameOnly(ref).String()] = true
		return nil
	}
	walk = func(i int) error {
		if seen[i] {
			return nil
		}
		seen[i] = true
		st := stages[i]
		if st.Name != "" && named(st.Name) {
			// A named context replaces the whole stage.
			return nil
		}
		base, err := lex.ProcessWordWithMatches(st.BaseName, env)
		if err != nil {
			return err
		}
		if err := source(base.Result, i, false); err != nil {
			return err
		}
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.CopyCommand:
				if c.From != "" {
					if err := source(c.From, i, true); err != nil {
						return err
					}
				}
			case *instructions.RunCommand:
				for _, m := range instructions.GetMounts(c) {
					if m.From != "" {
						if err := source(m.From, i, true); err != nil {
							return err
						}
					}
				}
			}
		}
		return nil
	}
	return walk(target)
}

// argEnv is the environment ARG substitution reads, in the shape the
// shell lexer wants.
type argEnv struct {
	keys []string
	vals map[string]string
}

func (e *argEnv) set(k, v string) {
	if e.vals == nil {
		e.vals = map[string]string{}
	}
	if _, ok := e.vals[k]; !ok {
		e.keys = append(e.keys, k)
	}
	e.vals[k] = v
}

// Get returns the value of k.
func (e *argEnv) Get(k string) (string, bool) {
	v, ok := e.vals[k]
	return v, ok
}

// Keys lists the names set, in order.
func (e *argEnv) Keys() []string { return e.keys }
