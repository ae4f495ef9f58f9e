package config

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	composecli "github.com/compose-spec/compose-go/v2/cli"
	"github.com/hashicorp/hcl/v2"
	hcljson "github.com/hashicorp/hcl/v2/json"
)

// StdinName is the file name that reads the definition from Options.Stdin.
const StdinName = "-"

// stdinDisplayName names standard input in diagnostics.
const stdinDisplayName = "<stdin>"

// DefaultFiles are the names looked up, in this order, when Options.Files is
// empty: orch's own names first; when none of them exists, every bake
// default name that exists is read, in bake's order.
var DefaultFiles = []string{"orch.hcl", "orch.json"}

// bakeDefaultFiles are bake's default names, in bake's order: compose's
// default names (compose-go's, as bake takes them), then bake's own.
var bakeDefaultFiles = append(slices.Clone(composecli.DefaultFileNames),
	"docker-bake.json",
	"docker-bake.hcl",
	"docker-bake.override.json",
	"docker-bake.override.hcl",
)

// Options are the inputs of Load. The zero value loads the default files of
// the current directory with no overrides and no environment.
type Options struct {
	// Files are the files to read, merged in order; "-" reads Stdin.
	// Empty means the default files of WorkDir (see DefaultFiles).
	Files []string
	// Stdin is read when Files contains "-".
	Stdin io.Reader
	// Vars are variable values from --var NAME=VALUE; they take
	// precedence over the environment.
	Vars map[string]string
	// Sets are --set overrides, "PATTERN.KEY[.SUB]=VALUE" or
	// "PATTERN.KEY+=VALUE", applied in order.
	Sets []string
	// Env is the environment as os.Environ returns it. Variables read
	// their overrides from it (unless it sets
	// BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP), and print reads
	// SOURCE_DATE_EPOCH from it.
	Env []string
	// WorkDir is the directory relative paths given on the command line
	// and default file names are relative to; "" is the process's
	// working directory.
	WorkDir string
	// LocalPlatform is the value of BAKE_LOCAL_PLATFORM; "" means the
	// platform orch runs on, e.g. "linux/amd64".
	LocalPlatform string
	// CmdContext is the value of BAKE_CMD_CONTEXT; "" means "cwd://".
	CmdContext string
}

// file is one parsed input file.
type file struct {
	name string // as given, or <stdin>
	dir  string // absolute directory paths in it are relative to
	// base is bake's base for its contexts: the directory of the name as
	// given, "" for standard input (see origin).
	base string
	// hcl is the file's syntax: all of it, or, for a large file cut into
	// units, everything but its target and group blocks.
	hcl *hcl.File
	// units are the target and group blocks of a large file, still to be
	// parsed (stream.go).
	units []*unit
	// compose marks a compose file (compose.go): it has no HCL syntax.
	compose bool
	// orch marks an orch file (orch.hcl, ...), whose include blocks orch
	// reads (include.go); path is its absolute path, "" for stdin.
	orch bool
	path string
}

// Load reads, merges and evaluates the files opts names. It returns every
// problem found as diagnostics (errors and warnings); when they contain an
// error the Config may be incomplete, but it is never nil and its Sources
// always hold the files read, so callers can render the diagnostics with
// source snippets.
func Load(opts Options) (*Config, hcl.Diagnostics) {
	cfg := &Config{Targets: map[string]*Target{}, Groups: map[string]*Group{}, Sources: map[string][]byte{}}
	workDir, err := absWorkDir(opts.WorkDir)
	if err != nil {
		return cfg, hcl.Diagnostics{errorDiag("Cannot resolve the working directory", err.Error(), nil)}
	}
	files, diags := readFiles(opts, workDir, cfg)
	if diags.HasErrors() {
		return cfg, diags
	}
	cc := &composeClassifier{opts: opts, workDir: workDir}
	if diags := classify(cfg, files, cc); diags.HasErrors() {
		return cfg, diags
	}
	files, diags = parseFiles(cfg, files, true)
	if diags.HasErrors() {
		return cfg, diags
	}
	files, idiags := includeFiles(cfg, files, cc, workDir)
	diags = append(diags, idiags...)
	if diags.HasErrors() {
		return cfg, diags
	}
	l := newLoader(opts, workDir, files, cfg)
	l.compose = cc
	ldiags := l.run()
	if l.syntaxFailed {
		// A unit of a large file did not parse: parse every file whole,
		// which reports the syntax errors as a single parse does.
		fresh := &Config{Targets: map[string]*Target{}, Groups: map[string]*Group{}, Files: cfg.Files, Sources: cfg.Sources}
		again := make([]*file, len(files))
		for i, f := range files {
			again[i] = &file{name: f.name, dir: f.dir, base: f.base, compose: f.compose, orch: f.orch}
		}
		again, pdiags := parseFiles(fresh, again, false)
		if pdiags.HasErrors() {
			return fresh, pdiags
		}
		l = newLoader(opts, workDir, again, fresh)
		l.compose = cc
		return fresh, append(append(diags, pdiags...), l.run()...)
	}
	return cfg, append(diags, ldiags...)
}

func absWorkDir(dir string) (string, error) {
	if dir == "" {
		return os.Getwd()
	}
	return filepath.Abs(dir)
}

// readFiles reads every input file into cfg (Files and Sources) and
// returns a file for each, not parsed yet, collecting every problem before
// giving up.
func readFiles(opts Options, workDir string, cfg *Config) ([]*file, hcl.Diagnostics) {
	names := opts.Files
	if len(names) == 0 {
		names = defaultFiles(workDir)
		if len(names) == 0 {
			return nil, hcl.Diagnostics{errorDiag("No definition file found",
				fmt.Sprintf("None of %s exists in %s. Create orch.hcl, or name a file with -f.",
					strings.Join(append(append([]string(nil), DefaultFiles...), bakeDefaultFiles...), ", "), workDir), nil)}
		}
	}
	var diags hcl.Diagnostics
	var files []*file
	stdinRead := false
	for _, name := range names {
		var data []byte
		var err error
		f := &file{name: name, dir: workDir}
		if name == StdinName {
			f.name = stdinDisplayName
			if stdinRead {
				diags = append(diags, errorDiag("Standard input named twice", "\"-f -\" can be given once: standard input can only be read once.", nil))
				continue
			}
			stdinRead = true
			if opts.Stdin != nil {
				data, err = io.ReadAll(opts.Stdin)
			}
		} else {
			path := name
			if !filepath.IsAbs(path) {
				path = filepath.Join(workDir, path)
			}
			f.dir, f.base, f.orch, f.path = filepath.Dir(path), filepath.Dir(name), isOrchFile(name), path
			data, err = os.ReadFile(path)
		}
		if err != nil {
			diags = append(diags, errorDiag("Cannot read definition file", fmt.Sprintf("Reading %s: %v.", name, err), nil))
			continue
		}
		cfg.Files = append(cfg.Files, f.name)
		cfg.Sources[f.name] = data
		files = append(files, f)
	}
	return files, diags
}

// classify tells, for each file read, whether it is a compose file, as
// bake tells (compose.go); a file named .yml or .yaml that compose-go
// rejects is an error.
func classify(cfg *Config, files []*file, cc *composeClassifier) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, f := range files {
		ok, err := cc.isCompose(cfg.Sources[f.name], f.name)
		if ok && err != nil {
			diags = append(diags, errorDiag("Invalid compose file", fmt.Sprintf("Reading %s as a compose file (as bake does, by its name): %v.", f.name, err), nil))
		}
		f.compose = ok
	}
	return diags
}

// parseFiles parses files but compose files, collecting the syntax errors
// of all of them, and returns the files that parsed. With stream, large
// HCL files are cut into units parsed later (stream.go).
func parseFiles(cfg *Config, files []*file, stream bool) ([]*file, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := make([]*file, 0, len(files))
	for _, f := range files {
		fdiags := parseOne(f, cfg.Sources[f.name], stream)
		diags = append(diags, fdiags...)
		if f.compose || f.hcl != nil {
			out = append(out, f)
		}
	}
	return out, diags
}

// parseOne parses one file, unless it is a compose file.
func parseOne(f *file, data []byte, stream bool) hcl.Diagnostics {
	if f.compose {
		return nil
	}
	if stream && strings.HasSuffix(f.name, ".hcl") && len(data) > 2*chunkSize {
		if h, ok := splitFile(data, f); ok {
			f.hcl = h
			return nil
		}
		f.units = nil
	}
	h, diags := parseFile(data, f.name)
	f.hcl = h
	return diags
}

// defaultFiles returns the default files present in dir.
func defaultFiles(dir string) []string {
	var found []string
	for _, group := range [][]string{DefaultFiles, bakeDefaultFiles} {
		for _, n := range group {
			if st, err := os.Stat(filepath.Join(dir, n)); err == nil && !st.IsDir() {
				found = append(found, n)
			}
		}
		if len(found) > 0 {
			return found
		}
	}
	return nil
}

// parseFile parses HCL native syntax or HCL JSON: by extension, and for
// other names (stdin included) HCL first, then JSON, as bake does.
func parseFile(data []byte, name string) (*hcl.File, hcl.Diagnostics) {
	switch {
	case strings.HasSuffix(name, ".json"):
		return hcljson.Parse(data, name)
	case strings.HasSuffix(name, ".hcl"):
		return parseHCL(data, name)
	}
	f, diags := parseHCL(data, name)
	if !diags.HasErrors() {
		return f, diags
	}
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && (trimmed[0] == '{') {
		if jf, jdiags := hcljson.Parse(data, name); !jdiags.HasErrors() {
			return jf, jdiags
		}
	}
	return nil, diags
}

// defaultLocalPlatform is the platform orch runs on in the form bake gives
// BAKE_LOCAL_PLATFORM.
func defaultLocalPlatform() string {
	p := runtime.GOOS + "/" + runtime.GOARCH
	if runtime.GOARCH == "arm" {
		p += "/v7"
	}
	return p
}

// errorDiag builds an error diagnostic.
func errorDiag(summary, detail string, subject *hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: subject}
}

// warnDiag builds a warning diagnostic.
func warnDiag(summary, detail string, subject *hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: detail, Subject: subject}
}
