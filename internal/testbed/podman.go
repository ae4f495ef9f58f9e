package testbed

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orch-build/orch/internal/logtail"
)

// podmanAPI is the libpod REST API version the helpers speak. Debian's
// Podman 4.3 serves it; "/v4.0.0/libpod/..." is the oldest prefix it takes.
const podmanAPI = "/v4.0.0/libpod"

// Podman is a Podman REST API service (`podman system service`) started for
// one test, with storage of its own in a temporary directory, so tests see
// only the images they loaded.
type Podman struct {
	// Socket is the path of the service's unix socket.
	Socket string
	// Address is "unix://" + Socket, the form a destination's address= takes.
	Address string
	// Dir holds the storage, the service's temporary files and its log.
	Dir string
	// LogPath is the file holding the service's output.
	LogPath string

	client *http.Client
	proc   *process
}

// PodmanImage is what Podman reports about one image in its store.
type PodmanImage struct {
	// ID is the image ID (the config digest, without "sha256:").
	ID string `json:"Id"`
	// RepoTags are the image's names, fully qualified as Podman stores them
	// ("example.com/app:1", "docker.io/library/app:1", "localhost/app:1").
	RepoTags []string
	// RepoDigests are name@digest for the digests the image was loaded as:
	// the manifest's and, when it came from an index, the index's.
	RepoDigests []string
	// Digest is the digest of what was loaded: the manifest, or the index
	// Podman chose the manifest from.
	Digest       string
	Architecture string
	OS           string `json:"Os"`
	Variant      string
	Labels       map[string]string
}

// Platform returns "os/arch[/variant]" of the image.
func (img PodmanImage) Platform() string {
	p := img.OS + "/" + img.Architecture
	if img.Variant != "" {
		p += "/" + img.Variant
	}
	return p
}

// StartPodman starts Debian's podman as a REST API service on a temporary
// unix socket, with the vfs storage driver and every path it writes (storage,
// run root, libpod's temporary state, upload staging) in a temporary
// directory. It needs root. The service is stopped, by pid, when the test
// ends.
func StartPodman(tb testing.TB) *Podman {
	tb.Helper()
	bin, err := Binary("podman")
	if err != nil {
		Unavailable(tb, "%v", err)
	}
	if os.Geteuid() != 0 {
		// Rootless Podman needs subordinate ids and a user session; the
		// test bed runs as root, like CI.
		Unavailable(tb, "the test bed's podman service needs root")
	}
	// A short directory: the socket path must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "orch-pm-")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Podman{Socket: filepath.Join(dir, "podman.sock"), Dir: dir, LogPath: filepath.Join(dir, "podman.log")}
	p.Address = "unix://" + p.Socket
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin,
		"--storage-driver", "vfs",
		"--root", filepath.Join(dir, "root"),
		"--runroot", filepath.Join(dir, "runroot"),
		// Without these, libpod keeps its state in /run/libpod and its
		// networks and volumes under /etc and /var, which services of
		// other test binaries share.
		"--tmpdir", tmp,
		"--network-config-dir", filepath.Join(dir, "networks"),
		"--volumepath", filepath.Join(dir, "volumes"),
		"--events-backend", "none",
		"--cgroup-manager", "cgroupfs",
		"system", "service", "--time=0", p.Address)
	// An uploaded archive is staged under TMPDIR (default /var/tmp).
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	p.client = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", p.Socket)
		},
	}}
	proc, err := startCommand("podman", dir, p.LogPath, cmd)
	if err != nil {
		tb.Fatalf("testbed: %v", err)
	}
	p.proc = proc
	tb.Cleanup(proc.stop)
	err = waitFor(proc, 30*time.Second, func() error {
		code, body, err := p.do(http.MethodGet, podmanAPI+"/_ping", nil)
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("GET %s/_ping: HTTP %d: %s", podmanAPI, code, body)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("testbed: %v\n%s", err, logtail.Tail(p.LogPath, 4000))
	}
	return p
}

// do sends one request to the service. Bodies go out as
// application/x-tar: Podman reads a form-encoded body (curl's default) as a
// form and then finds no archive in it.
func (p *Podman) do(method, path string, body io.Reader) (int, []byte, error) {
	req, err := http.NewRequest(method, "http://podman"+path, body)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-tar")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// Request sends method path (a path under the API root, such as
// "/v4.0.0/libpod/images/json") with an optional body and returns the status
// code and the response body. It fails the test only when the service cannot
// be reached.
func (p *Podman) Request(tb testing.TB, method, path string, body io.Reader) (int, []byte) {
	tb.Helper()
	code, raw, err := p.do(method, path, body)
	if err != nil {
		tb.Fatalf("podman %s %s: %v", method, path, err)
	}
	return code, raw
}

// Load loads an image archive (OCI or docker, optionally gzip-compressed)
// with POST /libpod/images/load and returns the names Podman reports.
//
// What Podman 4.3 does with an OCI archive (checked on this machine): it
// names the image by the io.containerd.image.name annotation, else by
// org.opencontainers.image.ref.name (which it reads as a reference: a bare
// "tagonly" became "localhost/tagonly:latest"); a name without a registry gets
// "localhost/". An index.json with more than one entry is refused ("more
// than one image in oci"), so several tags take one load and then
// POST /libpod/images/NAME/tag, or a docker archive whose manifest.json
// lists them all in RepoTags. From a multi-platform index it loads only
// the host's platform, and refuses an index without it; an archive whose
// index.json names one platform manifest directly loads that platform.
// Tar entries must not start with "./".
func (p *Podman) Load(tb testing.TB, archive io.Reader) []string {
	tb.Helper()
	code, raw := p.Request(tb, http.MethodPost, podmanAPI+"/images/load", archive)
	if code != http.StatusOK {
		tb.Fatalf("podman: load: HTTP %d: %s", code, raw)
	}
	var resp struct{ Names []string }
	if err := json.Unmarshal(raw, &resp); err != nil {
		tb.Fatalf("podman: load: %v: %s", err, raw)
	}
	return resp.Names
}

// Image inspects one image by name or ID (GET /libpod/images/NAME/json) and
// reports whether Podman has it.
func (p *Podman) Image(tb testing.TB, name string) (PodmanImage, bool) {
	tb.Helper()
	code, raw := p.Request(tb, http.MethodGet, podmanAPI+"/images/"+url.PathEscape(name)+"/json", nil)
	if code == http.StatusNotFound {
		return PodmanImage{}, false
	}
	if code != http.StatusOK {
		tb.Fatalf("podman: inspect %s: HTTP %d: %s", name, code, raw)
	}
	var img PodmanImage
	if err := json.Unmarshal(raw, &img); err != nil {
		tb.Fatalf("podman: inspect %s: %v", name, err)
	}
	return img, true
}

// Images lists every image in the store (GET /libpod/images/json), each
// inspected for its platform, which Podman 4.3's list leaves empty. They are
// sorted by ID.
func (p *Podman) Images(tb testing.TB) []PodmanImage {
	tb.Helper()
	code, raw := p.Request(tb, http.MethodGet, podmanAPI+"/images/json", nil)
	if code != http.StatusOK {
		tb.Fatalf("podman: list images: HTTP %d: %s", code, raw)
	}
	var list []struct {
		ID string `json:"Id"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		tb.Fatalf("podman: list images: %v", err)
	}
	out := make([]PodmanImage, 0, len(list))
	for _, entry := range list {
		img, ok := p.Image(tb, entry.ID)
		if !ok {
			tb.Fatalf("podman: image %s is listed but cannot be inspected", entry.ID)
		}
		out = append(out, img)
	}
	slices.SortFunc(out, func(a, b PodmanImage) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Tags returns every name of every image in the store, sorted.
func (p *Podman) Tags(tb testing.TB) []string {
	tb.Helper()
	var tags []string
	for _, img := range p.Images(tb) {
		tags = append(tags, img.RepoTags...)
	}
	slices.Sort(tags)
	return tags
}
