package testbed_test

import (
	"fmt"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/orch-build/orch/internal/testbed"
)

// page is a white page with a red block in its top left corner and a
// paragraph that only its script adds; the paragraph's markup appears
// nowhere in the source, so finding it proves the DOM is the live one.
const page = `<!doctype html>
<html><head><style>
body { margin: 0; background: #fff; }
#block { width: 200px; height: 100px; background: #f00; }
</style></head>
<body><div id="block"></div>
<script>
const p = document.createElement("p");
p.id = "added";
p.textContent = ["added", "by", "script"].join(" ");
document.body.appendChild(p);
</script>
</body></html>
`

func TestChromiumHeadless(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "page.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + file

	// The DOM after the script ran, not the file's source.
	if dom := testbed.DumpDOM(t, url); !strings.Contains(dom, `<p id="added">added by script</p>`) {
		t.Errorf("the dumped DOM lacks the paragraph the script added:\n%s", dom)
	}

	shot := filepath.Join(dir, "page.png")
	testbed.Screenshot(t, url, shot, 400, 300)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 400 || b.Dy() != 300 {
		t.Errorf("screenshot is %dx%d, want 400x300", b.Dx(), b.Dy())
	}
	// The block and the background where the page puts them: the picture
	// is the page, not a blank or uniform image.
	for _, c := range []struct {
		x, y int
		want color.NRGBA
	}{
		{100, 50, color.NRGBA{R: 0xff, A: 0xff}},
		{350, 250, color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}},
	} {
		if got := color.NRGBAModel.Convert(img.At(c.x, c.y)).(color.NRGBA); got != c.want {
			t.Errorf("pixel (%d,%d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
}

// TestDumpDOMRequests: the network log sees a page's request to a local
// server (which sees it too), and a page that loads nothing has none.
func TestDumpDOMRequests(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	leaky := filepath.Join(dir, "leaky.html")
	quiet := filepath.Join(dir, "quiet.html")
	img := srv.URL + "/pixel.png"
	if err := os.WriteFile(leaky, []byte(fmt.Sprintf(`<!doctype html><p>hi</p><img src="%s">`, img)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(quiet, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	_, reqs := testbed.DumpDOMRequests(t, "file://"+leaky)
	if !slices.Contains(reqs, img) || hits.Load() == 0 {
		t.Errorf("requests %q (server saw %d), want %s among them", reqs, hits.Load(), img)
	}
	if dom, reqs := testbed.DumpDOMRequests(t, "file://"+quiet); len(reqs) != 0 || !strings.Contains(dom, "added by script") {
		t.Errorf("a page that loads nothing made requests %q (DOM %d bytes)", reqs, len(dom))
	}
}
