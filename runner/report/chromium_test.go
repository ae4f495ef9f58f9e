package report

import (
	"flag"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/orch-build/orch/internal/testbed"
	"github.com/orch-build/orch/runner"
)

// docsScreenshot rewrites the README's screenshot of the report from the
// test-bed run's page.
var docsScreenshot = flag.Bool("docs-screenshot", false, "write docs/report-html.png from the test-bed run's report")

// artifactDir is where a test keeps what a person may want to look at
// afterwards: $ORCH_ARTIFACTS/TEST when set, else a temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("ORCH_ARTIFACTS")
	if root == "" {
		return t.TempDir()
	}
	dir := filepath.Join(root, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkPage loads the HTML report at file in headless Chromium and checks
// the live DOM: the script ran under the page's policy, the page made no
// network request, and every target of rep is there with its status in
// the timeline, the graph and the table, and each failure with its step's
// location. It returns the DOM.
func checkPage(t *testing.T, file string, rep *runner.Report) string {
	t.Helper()
	dom, requests := testbed.DumpDOMRequests(t, "file://"+file)
	if len(requests) > 0 {
		t.Errorf("the page made network requests: %q", requests)
	}
	// The script sets the attribute once the page is laid out: it ran.
	m := regexp.MustCompile(`<html lang="en" data-render-ms="(\d+)">`).FindStringSubmatch(dom)
	if m == nil {
		t.Errorf("the page's script did not run (no data-render-ms on <html>): %.300s", dom)
	} else {
		t.Logf("%s: rendered in %s ms by the page's own clock", filepath.Base(file), m[1])
	}
	for i := range rep.Outcomes {
		o := &rep.Outcomes[i]
		row := `<g class="row" data-i="` + itoa(i) + `" data-target="` + o.Name + `" data-status="` + string(o.Status) + `">`
		tr := `<tr id="t-` + itoa(i) + `" data-i="` + itoa(i) + `" data-target="` + o.Name + `" data-status="` + string(o.Status) + `">`
		node := `<g class="node" data-i="` + itoa(i) + `">`
		if !strings.Contains(dom, row) || !strings.Contains(dom, tr) || !(strings.Contains(dom, node) || strings.Contains(dom, strings.Replace(node, `node"`, `node crit"`, 1))) {
			t.Errorf("%s (%s): missing from the timeline, the graph or the table", o.Name, o.Status)
		}
	}
	for _, o := range rep.Failed() {
		if step := o.StepError(); step != nil && step.Location() != "" {
			if want := `<span class="loc">` + step.Location() + `</span>`; !strings.Contains(dom, want) {
				t.Errorf("%s: the failure does not show %s", o.Name, step.Location())
			}
		}
	}
	return dom
}

// checkScreenshot takes a screenshot of the page and checks that it shows
// the report: mostly not background, with the colours of the statuses
// rep has (a failed run's red, a built target's green). It returns the
// PNG's path, under artifactDir.
func checkScreenshot(t *testing.T, file string, rep *runner.Report, width, height int) string {
	t.Helper()
	shot := filepath.Join(artifactDir(t), "report.png")
	testbed.Screenshot(t, "file://"+file, shot, width, height)
	t.Logf("screenshot of the HTML report: %s", shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	colours := map[runner.Status]color.NRGBA{
		runner.StatusBuilt:  {0x2e, 0x9e, 0x4f, 0xff},
		runner.StatusFailed: {0xd2, 0x37, 0x2c, 0xff},
	}
	found := map[runner.Status]int{}
	other := 0
	b := img.Bounds()
	bg := color.NRGBAModel.Convert(img.At(b.Max.X-1, b.Max.Y-1)).(color.NRGBA)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if c != bg {
				other++
			}
			for s, want := range colours {
				if near(c, want) {
					found[s]++
				}
			}
		}
	}
	if other < b.Dx()*b.Dy()/20 {
		t.Errorf("screenshot %s is nearly blank: %d of %d pixels differ from the background", shot, other, b.Dx()*b.Dy())
	}
	for s := range colours {
		if rep.Count(s) > 0 && found[s] < 50 {
			t.Errorf("screenshot %s: %d pixels of the %s colour, but the run has %d %s targets", shot, found[s], s, rep.Count(s), s)
		}
	}
	return shot
}

func near(a, b color.NRGBA) bool {
	d := func(x, y uint8) int { return max(int(x), int(y)) - min(int(x), int(y)) }
	return d(a.R, b.R) < 8 && d(a.G, b.G) < 8 && d(a.B, b.B) < 8
}

// TestHTMLInChromium: the fixture's page in a real browser.
func TestHTMLInChromium(t *testing.T) {
	rep := fixtureReport(t)
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, []byte(renderHTML(t, rep, HTMLOptions{})), 0o644); err != nil {
		t.Fatal(err)
	}
	checkPage(t, file, rep)
	checkScreenshot(t, file, rep, 1200, 800)
}
