// Package build is orch's entry point for a build: the library call behind
// `orch validate`, `orch plan` and `orch build`, which other Go programs can
// make the same way. Check loads the definition files, plans the selection
// and checks every selected target, collecting every problem at its line;
// Run does the same and then builds the plan on a BuildKit builder, writes
// the report files and returns the run's report.
//
// It prints nothing and changes no process-wide state: diagnostics, the
// summary and errors are handed to the caller, which renders them.
package build

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/buildkit"
)

// Options are the inputs of Load, Check, Plan and Run. Load and Check read
// Config, Targets, Overrides and AffectedSince only, Plan Force too; Run
// reads everything. The zero value
// loads the default files of the working directory and builds their
// default group on the managed buildkitd, quietly, fail-fast.
type Options struct {
	// Config names the definition files, the --var values, the --set
	// overrides and the environment. Overrides are appended to its Sets.
	Config config.Options
	// Targets selects targets, groups, globs and `all`; empty means the
	// default group, as in bake.
	Targets []string
	// Overrides are bake's shorthand flags for --set overrides.
	Overrides Overrides
	// AffectedSince, when set, narrows the selection to the targets whose
	// inputs changed between this git revision and the working tree, and
	// every target that depends on them (see affected.go).
	AffectedSince string
	// Force builds every selected target, also those whose destinations
	// hold the image of their current inputs (bake's behaviour); without
	// it such targets are up to date and not built (see incremental.go).
	Force bool
	// Allow grants entitlements, as bake's --allow: a target that asks for
	// network.host, security.insecure or device is refused unless Allow
	// lists it. Values use bake's syntax (network.host, security.insecure,
	// device[=NAME], fs[.read|.write]=PATH, ssh, image[.push|.load]=REF).
	Allow []string

	// Builder names the BuildKit daemon; the zero value is orch's managed
	// local buildkitd.
	Builder buildkit.BuilderOptions
	// Progress is the display mode, one of ProgressModes; "" is quiet.
	Progress string
	// ProgressOut is where the display draws; nil means os.Stderr.
	ProgressOut *os.File
	// Stdout receives outputs with dest=-; nil means os.Stdout.
	Stdout io.Writer

	// Jobs bounds concurrent solves; 0 is runner.DefaultJobs().
	Jobs int
	// KeepGoing finishes every target that does not depend on a failure.
	KeepGoing bool
	// Retries is how many times a transient failure is tried again.
	Retries int
	// Atomic publishes only when every target built: images are pushed by
	// digest while building, tags, local outputs and containerd images
	// are written at the end.
	Atomic bool
	// RegistryJobs bounds the pushes to one registry host at once, across
	// all targets; 0 means no bound.
	RegistryJobs int
	// LogDir receives one plain log per target; created when missing.
	LogDir string
	// Report, JUnit and MetadataFile name the report files Run writes
	// (JSON run report, JUnit XML, buildx's metadata); ReportHTML and
	// Trace the views of the run (a self-contained HTML page, a Chrome
	// trace-event file; see runner/report). Empty writes none. Missing
	// parent directories are created before the build starts.
	Report, JUnit, MetadataFile string
	ReportHTML, Trace           string
	// Observer receives the runner's events, for displays and tests.
	Observer runner.Observer
	// OnCheck, when set, is called by Run once the check is done and
	// before any builder is contacted, also when the check failed, so the
	// caller can show its diagnostics before the build's own output.
	OnCheck func(*Checked)
}

// ProgressModes are the display modes Options.Progress takes: BuildKit's
// own, and bake's "none", which is "quiet".
var ProgressModes = append(append([]string(nil), buildkit.ProgressModes...), "none")

// Overrides are bake's shorthand flags. Each becomes a --set override for
// every target ("*.push=true", ...), appended after Config.Sets in bake's
// order, so they win over the user's own --set of the same key as in bake.
type Overrides struct {
	// Push pushes every image output (bake's --push: "*.push=true").
	Push bool
	// Load loads every image into the local image store (--load:
	// "*.load=true").
	Load bool
	// NoCache and Pull, when set, become "*.no-cache=BOOL" and
	// "*.pull=BOOL" (bake's --no-cache and --pull; nil leaves the files'
	// values alone).
	NoCache, Pull *bool
	// SBOM and Provenance become "*.attest=type=sbom,..." and
	// "*.attest=type=provenance,...": a boolean enables or disables the
	// attestation, anything else is its options ("mode=max").
	SBOM, Provenance string
	// Call is bake's --call: build (the default), check, outline or
	// targets, optionally with ",format=json" and ",ignorestatus=true".
	Call string
	// Policy is bake's --policy; orch evaluates no source policies yet, so
	// only "disabled=true" is accepted. As in bake it replaces every
	// target's policy (a build then ignores a DOCKERFILE.rego beside the
	// Dockerfile, as buildx does).
	Policy []string
}

// Errors that Load, Check and Run wrap, for callers to branch on with
// errors.Is. Each says what the user has to change.
var (
	// ErrConfig marks definition files (or overrides) with errors; the
	// errors themselves are the Checked's diagnostics.
	ErrConfig = errors.New("configuration error")
	// ErrInvalidOptions marks Options no build can use: a bad progress
	// mode, a negative count, an unknown entitlement.
	ErrInvalidOptions = errors.New("invalid options")
	// ErrNotSupported marks an option orch accepts for bake's sake but
	// cannot honour yet.
	ErrNotSupported = errors.New("not supported yet")
)

// optionError is an error that wraps a sentinel without saying so in its
// text, so a message reads as the problem and its fix only.
type optionError struct {
	sentinel error
	err      error
}

func (e *optionError) Error() string        { return e.err.Error() }
func (e *optionError) Unwrap() error        { return e.err }
func (e *optionError) Is(target error) bool { return target == e.sentinel }

func invalid(format string, args ...any) error {
	return &optionError{sentinel: ErrInvalidOptions, err: fmt.Errorf(format, args...)}
}

func notSupported(format string, args ...any) error {
	return &optionError{sentinel: ErrNotSupported, err: fmt.Errorf(format, args...)}
}

// parseCall parses Overrides.Call as buildx parses --call (see
// buildkit.ParseCall); nil means build.
func parseCall(s string) (*buildkit.Call, error) {
	c, err := buildkit.ParseCall(s)
	if err != nil {
		return nil, invalid("--call %w", err)
	}
	return c, nil
}

// canonicalAttest turns --sbom/--provenance into an attest entry as buildx
// does: a boolean enables or disables it, anything else is its options.
func canonicalAttest(kind, v string) string {
	if b, err := strconv.ParseBool(v); err == nil {
		return fmt.Sprintf("type=%s,disabled=%t", kind, !b)
	}
	return fmt.Sprintf("type=%s,%s", kind, v)
}

// Sets returns the --set overrides o stands for, in bake's order.
func (o Overrides) Sets() ([]string, error) {
	var sets []string
	if o.Push {
		sets = append(sets, "*.push=true")
	}
	if o.Load {
		sets = append(sets, "*.load=true")
	}
	call, err := parseCall(o.Call)
	if err != nil {
		return nil, err
	}
	if call != nil {
		sets = append(sets, "*.call="+call.Method)
	}
	if o.NoCache != nil {
		sets = append(sets, fmt.Sprintf("*.no-cache=%t", *o.NoCache))
	}
	if o.Pull != nil {
		sets = append(sets, fmt.Sprintf("*.pull=%t", *o.Pull))
	}
	if o.SBOM != "" {
		sets = append(sets, "*.attest="+canonicalAttest("sbom", o.SBOM))
	}
	if o.Provenance != "" {
		sets = append(sets, "*.attest="+canonicalAttest("provenance", o.Provenance))
	}
	if err := checkPolicy(o.Policy); err != nil {
		return nil, err
	}
	if len(o.Policy) > 0 {
		// bake sets every target's policy to this one entry once the
		// targets are resolved: the last override has that effect.
		sets = append(sets, "*.policy=disabled=true")
	}
	return sets, nil
}

// checkPolicy applies bake's rules for --policy values and refuses what
// orch cannot do: it evaluates no source policies, so disabling them is
// all a run can ask for.
func checkPolicy(values []string) error {
	for _, v := range values {
		disabled, other := false, false
		for _, field := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(field, "=")
			switch k {
			case "filename":
				return invalid("--policy %q: --policy does not accept filename; define policy files in the bake definition", v)
			case "reset":
				return invalid("--policy %q: --policy does not accept reset; define policy composition in the bake definition", v)
			case "disabled":
				b, err := strconv.ParseBool(val)
				if err != nil {
					return invalid("--policy %q: disabled=%q: want true or false", v, val)
				}
				disabled = b
			case "strict", "log-level":
				other = true
			default:
				return invalid("--policy %q: unknown key %q: want disabled, strict or log-level", v, k)
			}
		}
		switch {
		case disabled && (other || len(values) > 1):
			return invalid("--policy %q: disabled policy cannot be combined with other policy flags", v)
		case !disabled:
			return notSupported("--policy %q: orch does not evaluate source policies yet; only --policy disabled=true is accepted", v)
		}
	}
	return nil
}

// configOptions returns o.Config with the overrides appended to its Sets.
func (o Options) configOptions() (config.Options, error) {
	sets, err := o.Overrides.Sets()
	if err != nil {
		return o.Config, err
	}
	c := o.Config
	c.Sets = append(append([]string(nil), o.Config.Sets...), sets...)
	return c, nil
}

// entitlementKeys are the keys --allow takes, as bake's ParseEntitlements.
var entitlementKeys = map[string]bool{
	"network.host": false, "security.insecure": false, "ssh": false, "buildx.local-delete": false,
	"device": true, "fs": true, "fs.read": true, "fs.write": true,
	"image": true, "image.push": true, "image.load": true,
}

// validate checks the options Run reads beyond the selection, before
// anything is loaded or any builder contacted (without a builder address
// that would start the managed buildkitd just to fail).
func (o Options) validate() error {
	var errs []error
	if !slices.Contains(ProgressModes, o.Progress) && o.Progress != "" {
		errs = append(errs, invalid("--progress %q: want one of %s", o.Progress, strings.Join(ProgressModes, ", ")))
	}
	if o.Jobs < 0 {
		errs = append(errs, invalid("--jobs %d: want 1 or more, or 0 for the default (%d)", o.Jobs, runner.DefaultJobs()))
	}
	if o.Retries < 0 {
		errs = append(errs, invalid("--retries %d: want 0 or more", o.Retries))
	}
	if o.RegistryJobs < 0 {
		errs = append(errs, invalid("--registry-jobs %d: want 1 or more, or 0 for no limit", o.RegistryJobs))
	}
	for _, a := range o.Allow {
		k, v, hasValue := strings.Cut(a, "=")
		takesValue, known := entitlementKeys[k]
		switch {
		case !known:
			errs = append(errs, invalid("--allow %q: unknown entitlement; want network.host, security.insecure, device, fs, fs.read, fs.write, ssh or image", a))
		case hasValue && !takesValue:
			errs = append(errs, invalid("--allow %q: %s does not take a value", a, k))
		case takesValue && v == "" && k != "device":
			errs = append(errs, invalid("--allow %q: %s needs a value, %s=PATH or %s=REF", a, k, k, k))
		}
	}
	if err := o.Builder.Validate(); err != nil {
		errs = append(errs, &optionError{sentinel: ErrInvalidOptions, err: err})
	}
	if err := prepareFileDirs(o); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// prepareFileDirs creates the log directory and the directory of every
// report file, so a run never builds only to find it cannot write them.
func prepareFileDirs(o Options) error {
	var errs []error
	if o.LogDir != "" {
		if err := os.MkdirAll(o.LogDir, 0o755); err != nil {
			errs = append(errs, invalid("--log-dir: %w", err))
		}
	}
	for _, f := range reportFiles {
		p := f.path(o)
		if p == "" {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			errs = append(errs, invalid("%s: %w", f.option, err))
		}
	}
	return errors.Join(errs...)
}
