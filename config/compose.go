package config

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/consts"
	"github.com/compose-spec/compose-go/v2/dotenv"
	composeloader "github.com/compose-spec/compose-go/v2/loader"
	composeschema "github.com/compose-spec/compose-go/v2/schema"
	composetypes "github.com/compose-spec/compose-go/v2/types"
	units "github.com/docker/go-units"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"go.yaml.in/yaml/v3"
)

// Compose files are read as bake reads them: through compose-go (the
// library and version bake v0.38 uses), loaded, filtered and validated
// with bake's options, and mapped onto targets by bake's rules (bake's
// compose.go), service by service:
//
//   - a service without build is no target; a service name's dots become
//     "_" (a target name cannot hold one);
//   - build.context, dockerfile, dockerfile_inline, target, network,
//     platforms, tags (or the service's image when there is none),
//     labels, cache_from, cache_to, additional_contexts ("service:NAME"
//     and "target:NAME" link the target NAME), ssh (sorted by id),
//     secrets (the top-level secret's file or environment; an external
//     secret is an error), shm_size (printed as Docker sizes print, e.g.
//     "128MiB"), ulimits ("nofile=SOFT:HARD"), extra_hosts (addresses
//     joined by ","), sbom and provenance (attestations), no_cache and
//     pull (only when true) become the bake attributes of those names;
//   - build.args without a value take the service's environment, then
//     the project's (the process environment, .env, --var);
//   - the x-bake extension of build adds tags, cache-from, cache-to,
//     secret, ssh, platforms, output, no-cache-filter and contexts, and
//     sets pull and no-cache;
//   - every other key (depends_on, ports, volumes, entitlements,
//     no_cache_filter, ...) is ignored, as bake ignores it.
//
// depends_on, in particular, is no edge: bake ignores it, and an order
// edge of orch's would make `orch build` build services bake builds
// unordered... which prints the same, but makes selecting one service
// build others. So orch ignores it too; depends_on of an HCL target is
// the way to order.
//
// The targets of every compose file come first, in the order bake merges
// them: all compose files as one project, then the HCL and JSON files'
// targets of the same names merged on top. The project's directory is
// that of the first compose file: orch resolves the paths compose gives
// (relative to it, as compose means them) against it.
//
// compose-go resolves the files a compose file names (include, env_file)
// against the process's working directory, as it does for bake: orch's
// command line always runs with Options.WorkDir as that directory.

// composeProjectName is the project name bake gives compose-go unless
// COMPOSE_PROJECT_NAME sets one.
const composeProjectName = "bake"

// composeClassifier decides, for each input file, whether it is a compose
// file as bake decides it, computing the compose environment once.
type composeClassifier struct {
	opts    Options
	workDir string
	env     map[string]string
	envErr  error
	envDone bool
}

// environment is what compose files interpolate, as bake builds it: the
// process environment (unless BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP), the
// .env of the working directory for the names it does not set, then the
// --var values.
func (c *composeClassifier) environment() (map[string]string, error) {
	if c.envDone {
		return c.env, c.envErr
	}
	c.envDone = true
	env := map[string]string{}
	if envLookup(c.opts.Env) {
		env = envMap(c.opts.Env)
	}
	path := filepath.Join(c.workDir, ".env")
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		data, err := os.ReadFile(path)
		if err != nil {
			c.envErr = err
			return nil, err
		}
		dot, err := dotenv.UnmarshalBytesWithLookup(data, func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		})
		if err != nil {
			c.envErr = fmt.Errorf("read %s: %w", path, err)
			return nil, c.envErr
		}
		for k, v := range dot {
			if _, set := env[k]; !set {
				env[k] = v
			}
		}
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		c.envErr = err
		return nil, err
	}
	maps.Copy(env, c.opts.Vars)
	c.env = env
	return env, nil
}

// isCompose applies bake's rule (validateComposeFile): a .yml or .yaml
// name is a compose file, and its validation error is reported; a .json
// or .hcl name is not; any other file is one when it validates as one.
func (c *composeClassifier) isCompose(data []byte, name string) (bool, error) {
	lower := strings.ToLower(name)
	byName := strings.HasSuffix(lower, ".yml") || strings.HasSuffix(lower, ".yaml")
	if !byName && (strings.HasSuffix(lower, ".json") || strings.HasSuffix(lower, ".hcl")) {
		return false, nil
	}
	env, err := c.environment()
	if err == nil {
		_, err = loadComposeProject([]composetypes.ConfigFile{{Content: data}}, env, func(o *composeloader.Options) {
			// Consistency is checked once every compose file is merged.
			o.SkipConsistencyCheck = true
		})
	}
	if byName {
		return true, err
	}
	return err == nil, nil
}

// envLookup reports whether variables may read the environment, as bake
// decides it (BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP).
func envLookup(env []string) bool {
	if v, ok := envMap(env)["BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP"]; ok {
		if b, err := strconv.ParseBool(v); err == nil && b {
			return false
		}
	}
	return true
}

// loadComposeProject loads compose files with bake's options: the model
// loaded without normalization or validation, filtered to what builds
// (each service's image, build, environment and env_file; the secrets),
// validated against the compose schema, and made a project of every
// profile.
func loadComposeProject(cfgs []composetypes.ConfigFile, env map[string]string, options ...func(*composeloader.Options)) (*composetypes.Project, error) {
	details := composetypes.ConfigDetails{ConfigFiles: cfgs, Environment: env}
	name := composeProjectName
	if v := env[consts.ComposeProjectName]; v != "" {
		name = v
	}
	raw, err := composeloader.LoadModelWithContext(context.Background(), details, append([]func(*composeloader.Options){func(o *composeloader.Options) {
		o.SetProjectName(name, false)
		o.SkipNormalization = true
		o.SkipValidation = true
	}}, options...)...)
	if err != nil {
		return nil, err
	}
	filtered := map[string]any{}
	if services, ok := raw["services"].(map[string]any); ok {
		kept := map[string]any{}
		for svcName, svc := range services {
			if svc == nil {
				kept[svcName] = map[string]any{}
				continue
			}
			m, ok := svc.(map[string]any)
			if !ok {
				continue
			}
			fields := map[string]any{}
			for _, field := range []string{"image", "build", "environment", "env_file"} {
				if v, ok := m[field]; ok {
					fields[field] = v
				}
			}
			kept[svcName] = fields
		}
		filtered["services"] = kept
	}
	if v, ok := raw["secrets"]; ok {
		filtered["secrets"] = v
	}
	if len(filtered) == 0 {
		return nil, errors.New("empty compose file")
	}
	if err := composeschema.Validate(filtered); err != nil {
		return nil, err
	}
	return composeloader.ModelToProject(filtered, composeloader.ToOptions(&details, append([]func(*composeloader.Options){func(o *composeloader.Options) {
		o.SkipNormalization = true
		o.Profiles = []string{"*"}
	}}, options...)), details)
}

// composeService is the target a service builds.
type composeService struct {
	name string // the target name: the service's, dots made "_"
	bake *bakeTarget
	rng  hcl.Range // where the service is declared
}

// loadCompose reads the compose files as one project and returns the
// targets of its services that build, sorted by name, and whether the
// project has any service (bake then makes a "default" group of them).
func loadCompose(files []*file, sources map[string][]byte, env map[string]string) ([]composeService, bool, hcl.Diagnostics) {
	var cfgs []composetypes.ConfigFile
	var names []string
	for _, f := range files {
		cfgs = append(cfgs, composetypes.ConfigFile{Filename: f.name, Content: sources[f.name]})
		names = append(names, f.name)
	}
	fail := func(err error) ([]composeService, bool, hcl.Diagnostics) {
		return nil, false, hcl.Diagnostics{errorDiag("Invalid compose file",
			fmt.Sprintf("Reading %s as a compose file (as bake does): %v.", strings.Join(names, ", "), err), nil)}
	}
	project, err := loadComposeProject(cfgs, env)
	if err != nil {
		return fail(err)
	}
	// bake rebases compose contexts onto the first compose file's
	// directory; orch resolves them against it.
	at := origin{dir: files[0].dir, base: files[0].base}
	hasBase := files[0].name != stdinDisplayName
	var out []composeService
	for _, svcName := range slices.Sorted(maps.Keys(project.Services)) {
		s := project.Services[svcName]
		if s.Build == nil {
			continue
		}
		name := strings.ReplaceAll(s.Name, ".", "_")
		if !namePattern.MatchString(name) {
			return fail(fmt.Errorf("invalid service name %q: only letters, digits, \"_\" and \"-\" are allowed", name))
		}
		bt, err := composeTarget(name, s, project, at)
		if err != nil {
			return fail(fmt.Errorf("service %q: %w", s.Name, err))
		}
		bt.base, bt.hasBase = at.base, hasBase
		out = append(out, composeService{name: name, bake: bt, rng: yamlRange(files, sources, "services", svcName)})
	}
	return out, len(project.Services) > 0, nil
}

// composeTarget maps one service onto a target by bake's rules (see the
// top of this file). The values are written as an HCL block would give
// them and decoded by the attribute table, so they take the same form.
func composeTarget(name string, s composetypes.ServiceConfig, p *composetypes.Project, at origin) (*bakeTarget, error) {
	b := s.Build
	vals := map[string]cty.Value{}
	str := func(attr, v string) {
		if v != "" {
			vals[attr] = cty.StringVal(v)
		}
	}
	str("context", b.Context)
	str("dockerfile", b.Dockerfile)
	str("dockerfile-inline", b.DockerfileInline)
	str("network", b.Network)
	str("target", b.Target)
	if b.ShmSize > 0 {
		// bake prints the size as Docker's MemBytes does.
		vals["shm-size"] = cty.StringVal(units.BytesSize(float64(b.ShmSize)))
	}
	contexts := namedContexts(b.AdditionalContexts)
	args := map[string]string{}
	for k, v := range b.Args.Resolve(func(key string) (string, bool) {
		if v, ok := s.Environment[key]; ok && v != nil {
			return *v, true
		}
		v, ok := p.Environment[key]
		return v, ok
	}) {
		if v != nil {
			args[k] = *v
		}
	}
	if len(args) > 0 {
		vals["args"] = stringMapValue(args)
	}
	if len(b.Labels) > 0 {
		vals["labels"] = stringMapValue(b.Labels)
	}
	hosts := map[string]string{}
	for k, v := range b.ExtraHosts {
		hosts[k] = strings.Join(v, ",")
	}
	if len(hosts) > 0 {
		vals["extra-hosts"] = stringMapValue(hosts)
	}
	var ulimits []string
	for _, n := range slices.Sorted(maps.Keys(b.Ulimits)) {
		u := b.Ulimits[n]
		ul, err := units.ParseUlimit(fmt.Sprintf("%s=%d:%d", n, u.Soft, u.Hard))
		if err != nil {
			return nil, err
		}
		ulimits = append(ulimits, ul.String())
	}
	var secrets []cty.Value
	for _, bs := range b.Secrets {
		ps := p.Secrets[bs.Source]
		if ps.External {
			return nil, fmt.Errorf("secret %s is external, which a build cannot read; give it a file or an environment variable", bs.Source)
		}
		secrets = append(secrets, cty.ObjectVal(map[string]cty.Value{
			"id": cty.StringVal(bs.Source), "src": cty.StringVal(ps.File), "env": cty.StringVal(ps.Environment),
		}))
	}
	var attests []string
	for _, a := range [][2]string{{"sbom", b.SBOM}, {"provenance", b.Provenance}} {
		if a[1] == "" {
			continue
		}
		if v, err := strconv.ParseBool(a[1]); err == nil {
			attests = append(attests, fmt.Sprintf("type=%s,disabled=%t", a[0], !v))
		} else {
			attests = append(attests, fmt.Sprintf("type=%s,%s", a[0], a[1]))
		}
	}
	if b.NoCache {
		vals["no-cache"] = cty.True
	}
	if b.Pull {
		vals["pull"] = cty.True
	}
	tags := slices.Clone([]string(b.Tags))
	platforms := slices.Clone([]string(b.Platforms))
	cacheFrom, cacheTo := slices.Clone([]string(b.CacheFrom)), slices.Clone([]string(b.CacheTo))
	ssh := composeSSH(b.SSH)
	slices.SortStableFunc(ssh, compareSSH)
	var outputs, noCacheFilter []string

	xb, err := readXBake(b.Extensions)
	if err != nil {
		return nil, err
	}
	if xb != nil {
		tags = dedupStrings(append(tags, xb.Tags...))
		cacheFrom = append(cacheFrom, xb.CacheFrom...)
		cacheTo = append(cacheTo, xb.CacheTo...)
		for _, s := range xb.Secrets {
			if s != "" {
				secrets = append(secrets, cty.StringVal(s))
			}
		}
		for _, s := range xb.SSH {
			if s != "" {
				e := parseSSH(s, "")
				ssh = append(ssh, sshKey{id: e.ID, paths: e.Paths})
			}
		}
		platforms = dedupStrings(append(platforms, xb.Platforms...))
		outputs = xb.Outputs
		if xb.Pull != nil {
			vals["pull"] = cty.BoolVal(*xb.Pull)
		}
		if xb.NoCache != nil {
			vals["no-cache"] = cty.BoolVal(*xb.NoCache)
		}
		noCacheFilter = dedupStrings(xb.NoCacheFilter)
		for k, v := range namedContexts(xb.Contexts) {
			// The service's own additional_contexts win.
			if _, ok := contexts[k]; !ok {
				if contexts == nil {
					contexts = map[string]string{}
				}
				contexts[k] = v
			}
		}
	}
	if len(tags) == 0 && s.Image != "" {
		tags = []string{s.Image}
	}
	if len(contexts) > 0 {
		vals["contexts"] = stringMapValue(contexts)
	}
	for attr, list := range map[string][]string{"tags": tags, "platforms": platforms, "cache-from": cacheFrom, "cache-to": cacheTo,
		"output": outputs, "no-cache-filter": noCacheFilter, "ulimits": ulimits, "attest": attests} {
		if len(list) > 0 {
			vals[attr] = listVal(list)
		}
	}
	if len(secrets) > 0 {
		vals["secret"] = cty.TupleVal(secrets)
	}
	if ssh = sortSSH(ssh); len(ssh) > 0 {
		items := make([]cty.Value, len(ssh))
		for i, k := range ssh {
			items[i] = cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(k.id), "paths": listVal(k.paths)})
		}
		vals["ssh"] = cty.TupleVal(items)
	}

	bt := newBakeTarget(name)
	for attr, v := range vals {
		a := attributeNamed(attr)
		d, err := a.ops.decode(v, at)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", attr, err)
		}
		bt.vals[a.index] = d
	}
	return bt, nil
}

// namedContexts is bake's reading of additional_contexts (and x-bake
// contexts): "service:NAME" and "target:NAME" link the target NAME.
func namedContexts(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		for _, prefix := range []string{"service:", "target:"} {
			if rest, ok := strings.CutPrefix(v, prefix); ok {
				v = "target:" + strings.ReplaceAll(rest, ".", "_")
				break
			}
		}
		out[k] = v
	}
	return out
}

func stringMapValue(m map[string]string) cty.Value {
	return cty.ObjectVal(stringMapVals(m))
}

// sshKey is one ssh entry of a service before it is decoded.
type sshKey struct {
	id    string
	paths []string
}

func composeSSH(cfg composetypes.SSHConfig) []sshKey {
	var out []sshKey
	for _, k := range cfg {
		e := sshKey{id: k.ID}
		if k.Path != "" {
			e.paths = []string{k.Path}
		}
		out = append(out, e)
	}
	return out
}

// sortSSH gives a service's ssh entries bake's order: one per id, the
// last given for it (x-bake's come after the service's own, which bake
// sorts first), sorted by id.
func sortSSH(keys []sshKey) []sshKey {
	last := map[string]int{}
	for i, k := range keys {
		last[k.id] = i
	}
	var out []sshKey
	for i, k := range keys {
		if last[k.id] == i {
			out = append(out, k)
		}
	}
	slices.SortStableFunc(out, compareSSH)
	return out
}

func compareSSH(a, b sshKey) int {
	if c := strings.Compare(a.id, b.id); c != 0 {
		return c
	}
	return slices.Compare(a.paths, b.paths)
}

// xbake is the x-bake extension of a service's build: the fields bake
// reads from it (bake's compose.go).
type xbake struct {
	Tags          stringArray       `yaml:"tags,omitempty"`
	CacheFrom     stringArray       `yaml:"cache-from,omitempty"`
	CacheTo       stringArray       `yaml:"cache-to,omitempty"`
	Secrets       stringArray       `yaml:"secret,omitempty"`
	SSH           stringArray       `yaml:"ssh,omitempty"`
	Platforms     stringArray       `yaml:"platforms,omitempty"`
	Outputs       stringArray       `yaml:"output,omitempty"`
	Pull          *bool             `yaml:"pull,omitempty"`
	NoCache       *bool             `yaml:"no-cache,omitempty"`
	NoCacheFilter stringArray       `yaml:"no-cache-filter,omitempty"`
	Contexts      map[string]string `yaml:"contexts,omitempty"`
}

// stringArray is a list of strings, or one string of space-separated
// items, as bake reads x-bake values.
type stringArray []string

// UnmarshalYAML reads a list, or a string split at spaces.
func (sa *stringArray) UnmarshalYAML(n *yaml.Node) error {
	var multi []string
	if err := n.Decode(&multi); err == nil {
		*sa = multi
		return nil
	}
	var single string
	if err := n.Decode(&single); err != nil {
		return err
	}
	*sa = strings.Fields(single)
	return nil
}

// readXBake reads the x-bake extension, as bake does: through YAML, so
// values convert as YAML converts them.
func readXBake(exts map[string]any) (*xbake, error) {
	ext, ok := exts["x-bake"]
	if !ok || ext == nil {
		return nil, nil
	}
	data, err := yaml.Marshal(ext)
	if err != nil {
		return nil, fmt.Errorf("x-bake: %w", err)
	}
	var xb xbake
	if err := yaml.Unmarshal(data, &xb); err != nil {
		return nil, fmt.Errorf("x-bake: %w", err)
	}
	return &xb, nil
}

// yamlRange finds where a key of a compose file is, for messages: the
// key at path (e.g. services, NAME) in the first compose file that has
// it, else the start of the first file.
func yamlRange(files []*file, sources map[string][]byte, path ...string) hcl.Range {
	for _, f := range files {
		var doc yaml.Node
		if yaml.Unmarshal(sources[f.name], &doc) != nil || len(doc.Content) == 0 {
			continue
		}
		node, key := doc.Content[0], (*yaml.Node)(nil)
		for _, p := range path {
			if key = mappingKey(node, p); key == nil {
				break
			}
			node = mappingValue(node, p)
		}
		if key != nil {
			pos := hcl.Pos{Line: key.Line, Column: key.Column}
			end := hcl.Pos{Line: key.Line, Column: key.Column + len(key.Value)}
			return hcl.Range{Filename: f.name, Start: pos, End: end}
		}
	}
	start := hcl.Pos{Line: 1, Column: 1}
	return hcl.Range{Filename: files[0].name, Start: start, End: start}
}

// mappingKey returns the key node named key of a YAML mapping, or nil.
func mappingKey(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return nil
}

// mappingValue returns the value node of key in a YAML mapping, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// collectCompose reads the compose files, if any, as one project, before
// any HCL block: their targets and their "default" group come first, and
// the blocks of HCL and JSON files merge on top, as in bake.
func (l *loader) collectCompose() {
	var files []*file
	for _, f := range l.files {
		if f.compose {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return
	}
	// classify read the environment first, and stopped Load when it
	// could not.
	env, err := l.compose.environment()
	if err != nil {
		l.add(errorDiag("Invalid compose file", fmt.Sprintf("Reading %s as a compose file: %v.", files[0].name, err), nil))
		return
	}
	services, hasServices, diags := loadCompose(files, l.cfg.Sources, env)
	l.add(diags...)
	if diags.HasErrors() {
		return
	}
	var names []string // nil without a target: bake prints null
	for _, s := range services {
		rb := &rawBlock{kind: "target", file: files[0], defRange: s.rng, compose: true}
		// Every attribute points at the service, for messages and for
		// `target.NAME.ATTR` references from HCL files.
		s.bake.ranges = map[string]hcl.Range{}
		for i, v := range s.bake.vals {
			if v != nil {
				s.bake.ranges[TargetAttributes[i].Name] = s.rng
			}
		}
		if contexts, _ := s.bake.vals[contextsAttr.index].(map[string]pathValue); len(contexts) > 0 {
			s.bake.contextRanges = map[string]hcl.Range{}
			for k := range contexts {
				s.bake.contextRanges[k] = s.rng
			}
		}
		l.addInstance(&instance{raw: rb, name: s.name, bake: s.bake, ok: true})
		l.blocks = append(l.blocks, rb)
		names = append(names, s.name)
	}
	if !hasServices {
		return
	}
	rng := yamlRange(files, l.cfg.Sources, "services")
	rb := &rawBlock{kind: "group", file: files[0], defRange: rng, compose: true}
	l.addInstance(&instance{raw: rb, name: "default", group: &Group{Name: "default", Targets: names, DefRange: rng}, ok: true})
	l.blocks = append(l.blocks, rb)
}
