package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/runner"
)

func renderHTML(t testing.TB, rep *runner.Report, opts HTMLOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, rep, opts); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestHTMLSelfContained: the page's policy forbids loading anything and
// allows exactly its own style and script; no element refers to anything
// outside the page; build output is shown as text.
func TestHTMLSelfContained(t *testing.T) {
	page := renderHTML(t, fixtureReport(t), HTMLOptions{})
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(page)
	if csp == nil {
		t.Fatal("no Content-Security-Policy meta tag")
	}
	policy := html.UnescapeString(csp[1])
	if !strings.HasPrefix(policy, "default-src 'none';") {
		t.Errorf("policy %q does not start with default-src 'none'", policy)
	}
	for _, tag := range []string{"style", "script"} {
		blocks := regexp.MustCompile(`(?s)<`+tag+`>(.*?)</`+tag+`>`).FindAllStringSubmatch(page, -1)
		if len(blocks) != 1 {
			t.Fatalf("%d inline <%s> blocks, want 1", len(blocks), tag)
		}
		sum := sha256.Sum256([]byte(blocks[0][1]))
		if want := tag + "-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(policy, want) {
			t.Errorf("policy %q does not allow the page's <%s> (%s)", policy, tag, want)
		}
	}
	// src, href and url() never name another place; links are relative.
	for _, m := range regexp.MustCompile(`(?i)(src|href|action)\s*=\s*"([^"]*)"|url\(`).FindAllStringSubmatch(page, -1) {
		if m[0] == "url(" || strings.Contains(m[2], ":") {
			t.Errorf("the page refers to %q", m[0])
		}
	}
	if strings.Contains(page, "<img") {
		t.Error("a line of build output became markup")
	}
	if !strings.Contains(page, "&lt;/pre&gt;&lt;img") {
		t.Error("the failing step's output line with markup is not shown as text")
	}
}

// TestHTMLFromJSON: the page of a report read back from its JSON is the
// page of the live report, byte for byte.
func TestHTMLFromJSON(t *testing.T) {
	rep := fixtureReport(t)
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	back, err := runner.ReadReport(&js)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(renderHTML(t, rep, HTMLOptions{}), renderHTML(t, back, HTMLOptions{})); diff != "" {
		t.Errorf("page from the JSON (-live +json):\n%s", diff)
	}
}

// TestHTMLContent: the header, the failure with its skipped targets, the
// timeline and graph rows of every target, links and order edges apart,
// and log links relative to the page.
func TestHTMLContent(t *testing.T) {
	rep := fixtureReport(t)
	rep.Outcomes[3].LogFile = "/work/logs/broken.log"
	rep.Warnings = []string{"target base: after its dependents were built: cache export failed"}
	page := renderHTML(t, rep, HTMLOptions{Dir: "/work/reports"})
	for _, want := range []string{
		`<span class="badge failed" id="run-status">failed</span>`,
		`<span class="count" data-status="built"><span class="dot st-built"></span><b>3</b> built</span>`,
		`<span class="count" data-status="skipped"><span class="dot st-skipped"></span><b>2</b> skipped</span>`,
		`<div class="failure" id="failure-broken">`,
		`<span class="loc">broken/Dockerfile:7</span>`,
		`<code class="step">[broken 2/2] RUN make</code>`,
		`skipped because of it: <span class="skipped-target">web</span>, <span class="skipped-target">e2e</span>`,
		`<a href="../logs/broken.log">log file</a>`,
		`<li>target base: after its dependents were built: cache export failed</li>`,
		`<title>app builds on base</title>`,
		`<path class="edge order" `,
		`<title>web ordered after broken</title>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, o := range rep.Outcomes {
		for _, want := range []string{
			`<g class="row" data-i="` + itoa(o.Index) + `" data-target="` + o.Name + `" data-status="` + string(o.Status) + `">`,
			`<tr id="t-` + itoa(o.Index) + `" data-i="` + itoa(o.Index) + `" data-target="` + o.Name + `" data-status="` + string(o.Status) + `">`,
			`<g class="node`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the page lacks %s", o.Name, want)
			}
		}
	}
	// flaky was retried: its failed attempt and backoff are drawn.
	if !strings.Contains(page, "flaky: retry backoff") || !strings.Contains(page, `class="ph-failed"`) {
		t.Error("the retried target's failed attempt or backoff is not drawn")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
