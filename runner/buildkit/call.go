package buildkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/pb"
	"google.golang.org/protobuf/proto"

	"github.com/orch-build/orch/runner"
)

// A target may call a frontend method other than build, as bake's `call`
// attribute and --call do: the Dockerfile frontend's subrequests lint
// (bake's "check"), outline and targets. The solve runs the frontend with
// requestid=frontend.METHOD and exports nothing; the answer is the result's
// metadata (result.json, result.txt, result.statuscode, version), which
// BuildKit's own printers render as buildx prints them.

// Call is a parsed --call (or `call`) value: the method, and how bake's
// --call prints its answer.
type Call struct {
	// Method is the frontend's name for it: lint (bake's check), outline
	// or targets.
	Method string
	// Format is "" for text or "json".
	Format string
	// IgnoreStatus makes a check with warnings exit 0, as bake's
	// ignorestatus=true.
	IgnoreStatus bool
}

// ParseCall parses s as buildx does ("check", "outline,format=json",
// "check,ignorestatus=true"); "" and "build" mean a build (nil). The
// error says what is wrong with s, quoted, for the caller to prefix with
// the option or attribute.
func ParseCall(s string) (*Call, error) {
	if s == "" {
		return nil, nil
	}
	c := &Call{}
	for _, field := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(field, "=")
		switch {
		case !ok && c.Method == "":
			c.Method = field
		case !ok:
			return nil, fmt.Errorf("%q: one method only, with format=FORMAT or ignorestatus=BOOL", s)
		case k == "format":
			c.Format = v
		case k == "ignorestatus":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("%q: ignorestatus=%q: want true or false", s, v)
			}
			c.IgnoreStatus = b
		default:
			return nil, fmt.Errorf("%q: unknown option %q: want format or ignorestatus", s, k)
		}
	}
	switch c.Method {
	case "check":
		// buildx's name for the frontend's lint.
		c.Method = "lint"
	case "build":
		return nil, nil
	case "lint", "outline", "targets":
	default:
		return nil, fmt.Errorf("%q: want build, check, outline or targets", s)
	}
	switch c.Format {
	case "", "json":
	default:
		return nil, fmt.Errorf("%q: format %q: want json", s, c.Format)
	}
	return c, nil
}

// Name is the method as bake prints it: check for lint.
func (c *Call) Name() string {
	if c.Method == "lint" {
		return "check"
	}
	return c.Method
}

// subrequestCaps is the capability buildx announces with every call.
const subrequestCaps = "moby.buildkit.frontend.subrequests+forward"

// call runs the target's frontend method (req.call) and returns its answer
// and the metadata buildx writes for it to a --metadata-file. Nothing is
// exported and no cache is written: only the answer matters.
func (s *Solver) call(ctx context.Context, req *request, prog *progress) (*runner.CallResult, map[string]any, error) {
	freq := frontendRequest(req)
	if caps := freq.FrontendOpt["frontend.caps"]; caps != "" {
		freq.FrontendOpt["frontend.caps"] = caps + "," + subrequestCaps
	} else {
		freq.FrontendOpt["frontend.caps"] = subrequestCaps
	}
	freq.FrontendOpt["requestid"] = "frontend." + req.call
	opt := s.solveOpt(req, nil)
	opt.CacheExports = nil
	var meta map[string][]byte
	build, refused := capsChecked(req, func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		res, err := c.Solve(ctx, freq)
		if err != nil {
			return nil, err
		}
		meta = res.Metadata
		return res, nil
	})
	_, err := req.node.c.Build(ctx, opt, "orch", build, prog.channel())
	if err = refused(err); err != nil {
		return nil, nil, prog.stepError(req, err)
	}
	res, err := callResult(req.call, meta, shownPath(req.dockerfile))
	resp := make(map[string]string, len(meta))
	for k, v := range meta {
		resp[k] = string(v)
	}
	return res, decodeExporterResponse(resp), err
}

// callResult renders the answer of method as buildx's printResult does,
// text and JSON alike, with the Dockerfile shown as dockerfile.
func callResult(method string, meta map[string][]byte, dockerfile string) (*runner.CallResult, error) {
	res := &runner.CallResult{Method: (&Call{Method: method}).Name(), JSON: bytes.TrimSpace(meta["result.json"])}
	if v, ok := meta["result.statuscode"]; ok {
		if n, err := strconv.Atoi(string(v)); err == nil {
			res.Status = n
		}
	}
	var text bytes.Buffer
	var known string
	var print func([]byte, *bytes.Buffer) error
	switch method {
	case "outline":
		known = outline.SubrequestsOutlineDefinition.Version
		print = func(dt []byte, w *bytes.Buffer) error { return outline.PrintOutline(dt, w) }
	case "targets":
		known = targets.SubrequestsTargetsDefinition.Version
		print = func(dt []byte, w *bytes.Buffer) error { return targets.PrintTargets(dt, w) }
	case "lint":
		return lintResult(res, meta, dockerfile)
	default:
		return nil, fmt.Errorf("call %q: want lint, outline or targets", method)
	}
	if txt := meta["result.txt"]; len(txt) > 0 && newerVersion(known, string(meta["version"])) {
		// An answer newer than this client knows how to print: the
		// frontend's own rendering, as buildx falls back to.
		res.Text = string(txt)
		return res, nil
	}
	if err := print(meta["result.json"], &text); err != nil {
		return nil, fmt.Errorf("%s: %w", res.Method, err)
	}
	res.Text = text.String()
	return res, nil
}

// lintResult renders a lint answer as buildx does: the count of warnings,
// each warning with its rule, URL and the Dockerfile lines it is about, or
// that there were none; a Dockerfile the frontend could not read is the
// result's Error.
func lintResult(res *runner.CallResult, meta map[string][]byte, dockerfile string) (*runner.CallResult, error) {
	var lr lint.LintResults
	if dt, ok := meta["result.json"]; ok {
		if err := json.Unmarshal(dt, &lr); err != nil {
			return nil, fmt.Errorf("check: %w", err)
		}
	}
	// The frontend names its source after the filename attribute; bake
	// shows the Dockerfile as the definition names it.
	rename := func(si *pb.SourceInfo) *pb.SourceInfo {
		if si == nil {
			return nil
		}
		si = proto.Clone(si).(*pb.SourceInfo)
		si.Filename = dockerfile
		return si
	}
	var w bytes.Buffer
	switch n := len(lr.Warnings); n {
	case 0:
	case 1:
		w.WriteString("Check complete, 1 warning has been found!\n")
	default:
		fmt.Fprintf(&w, "Check complete, %d warnings have been found!\n", n)
	}
	if err := lr.PrintTo(&w, rename); err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	switch {
	case lr.Error != nil:
		if len(lr.Warnings) > 0 {
			w.WriteString("\n")
		}
		var e bytes.Buffer
		lr.PrintErrorTo(&e, rename)
		res.Error = e.String()
	case len(lr.Warnings) == 0:
		w.WriteString("Check complete, no warnings found.\n")
	}
	res.Text = w.String()
	return res, nil
}

// newerVersion reports whether version got is newer than known, the
// version of the answer this client's printer reads.
func newerVersion(known, got string) bool {
	if got == "" {
		return false
	}
	k, err1 := semver.NewVersion(known)
	g, err2 := semver.NewVersion(got)
	return err1 == nil && err2 == nil && k.LessThan(g)
}

// shownPath is how bake shows a local Dockerfile: relative to the working
// directory when it lies below it.
func shownPath(p string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}
