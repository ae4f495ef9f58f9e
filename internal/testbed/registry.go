package testbed

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/orch-build/orch/internal/logtail"
	"golang.org/x/crypto/bcrypt"
)

// Registry is a distribution v2 registry on 127.0.0.1 started for one test.
type Registry struct {
	// Host is "127.0.0.1:PORT", the registry part of an image name.
	Host string
	// User and Password are set for a registry that requires basic auth.
	User, Password string
	// Dir holds the registry's storage, config and log.
	Dir string

	// argv starts the registry; launches counts the starts, for log
	// names. proc is the running registry process.
	argv     []string
	launches int
	mu       sync.Mutex
	proc     *process
}

// StartRegistry starts a registry that needs no credentials. It is stopped
// when the test ends.
func StartRegistry(tb testing.TB) *Registry {
	tb.Helper()
	return startRegistry(tb, "", "")
}

// StartAuthRegistry starts a registry that requires HTTP basic auth with the
// given user and password (an htpasswd file, as docker-registry supports).
func StartAuthRegistry(tb testing.TB, user, password string) *Registry {
	tb.Helper()
	return startRegistry(tb, user, password)
}

func startRegistry(tb testing.TB, user, password string) *Registry {
	tb.Helper()
	bin, err := Binary("docker-registry")
	if err != nil {
		Unavailable(tb, "%v", err)
	}
	port, err := takePort()
	if err != nil {
		tb.Fatalf("testbed: %v", err)
	}
	dir, err := os.MkdirTemp("", "orch-reg-")
	if err != nil {
		tb.Fatal(err)
	}
	r := &Registry{Host: fmt.Sprintf("127.0.0.1:%d", port), User: user, Password: password, Dir: dir}
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "data"), r.Host)
	if user != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			tb.Fatal(err)
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
			tb.Fatal(err)
		}
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: orch-test\n    path: %s\n", htpasswd)
	}
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		tb.Fatal(err)
	}
	r.argv = []string{bin, "serve", cfgPath}
	tb.Cleanup(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.proc != nil {
			r.proc.stop()
		}
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintf(os.Stderr, "testbed: remove %s: %v\n", dir, err)
		}
		releasePort(port)
	})
	r.launch(tb)
	return r
}

// launch starts the registry process and waits until it answers.
func (r *Registry) launch(tb testing.TB) {
	tb.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.launches++
	logPath := filepath.Join(r.Dir, fmt.Sprintf("registry.%d.log", r.launches))
	// The directory is removed by the test's cleanup, not when a
	// killed process is reaped.
	p, err := startProcess("docker-registry", "", logPath, r.argv...)
	if err != nil {
		tb.Fatalf("testbed: %v", err)
	}
	r.proc = p
	err = waitFor(p, 30*time.Second, func() error {
		resp, err := http.Get("http://" + r.Host + "/v2/")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized {
			return fmt.Errorf("GET /v2/: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("testbed: %v\n%s", err, logtail.Tail(logPath, 4000))
	}
}

// Kill ends the registry process at once with SIGKILL, by pid, as a crash
// would, and waits until it is gone. Its storage stays; Restart starts it
// again on the same port.
func (r *Registry) Kill(tb testing.TB) {
	tb.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc == nil || r.proc.exited() {
		return
	}
	if err := r.proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		tb.Fatalf("testbed: kill registry pid %d: %v", r.proc.cmd.Process.Pid, err)
	}
	<-r.proc.done
}

// Restart starts a killed registry again on the same port with the same
// storage and configuration, and waits until it answers.
func (r *Registry) Restart(tb testing.TB) {
	tb.Helper()
	r.mu.Lock()
	running := r.proc != nil && !r.proc.exited()
	r.mu.Unlock()
	if running {
		tb.Fatalf("testbed: registry %s is still running; Kill it first", r.Host)
	}
	r.launch(tb)
}

// releasePort gives a registry port back once its registry stopped.
func releasePort(p int) {
	portsMu.Lock()
	freePorts = append(freePorts, p)
	portsMu.Unlock()
}

// Manifest media types the registry is asked for, most specific first.
var manifestAccept = strings.Join([]string{
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
}, ", ")

// Get performs an authenticated GET of a registry API path ("/v2/...") and
// returns the status code, the Content-Type and the body.
func (r *Registry) Get(tb testing.TB, path string) (int, string, []byte) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+r.Host+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Accept", manifestAccept)
	if r.User != "" {
		req.SetBasicAuth(r.User, r.Password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("registry GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("registry GET %s: %v", path, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// Manifest fetches a manifest or index by tag or digest and fails the test
// when it is missing. It returns the media type and the raw document.
func (r *Registry) Manifest(tb testing.TB, repo, ref string) (string, []byte) {
	tb.Helper()
	code, ctype, body := r.Get(tb, "/v2/"+repo+"/manifests/"+ref)
	if code != http.StatusOK {
		tb.Fatalf("registry: manifest %s:%s: HTTP %d: %s", repo, ref, code, body)
	}
	return ctype, body
}

// Blob fetches a blob by digest and fails the test when it is missing.
func (r *Registry) Blob(tb testing.TB, repo, digest string) []byte {
	tb.Helper()
	code, _, body := r.Get(tb, "/v2/"+repo+"/blobs/"+digest)
	if code != http.StatusOK {
		tb.Fatalf("registry: blob %s@%s: HTTP %d", repo, digest, code)
	}
	return body
}

// Tags lists a repository's tags; a repository that does not exist has none.
func (r *Registry) Tags(tb testing.TB, repo string) []string {
	tb.Helper()
	code, _, body := r.Get(tb, "/v2/"+repo+"/tags/list")
	if code == http.StatusNotFound {
		return nil
	}
	if code != http.StatusOK {
		tb.Fatalf("registry: tags of %s: HTTP %d: %s", repo, code, body)
	}
	var list struct {
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		tb.Fatalf("registry: tags of %s: %v", repo, err)
	}
	return list.Tags
}

// BlobFunc returns a BlobFunc reading blobs of repo from this registry.
func (r *Registry) BlobFunc(repo string) BlobFunc {
	return func(tb testing.TB, d digest.Digest) []byte {
		tb.Helper()
		raw := r.Blob(tb, repo, d.String())
		if got := digest.FromBytes(raw); got != d {
			tb.Fatalf("registry: blob %s@%s has digest %s", repo, d, got)
		}
		return raw
	}
}

// Images resolves repo:ref (a tag or digest) down to its platform images.
func (r *Registry) Images(tb testing.TB, repo, ref string) []Image {
	tb.Helper()
	mediaType, raw := r.Manifest(tb, repo, ref)
	d := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(raw), Size: int64(len(raw))}
	blobs := r.BlobFunc(repo)
	// The root document came from the manifests endpoint, not the blobs
	// one: serve it from memory and everything below it from blobs.
	return Walk(tb, func(tb testing.TB, dg digest.Digest) []byte {
		if dg == d.Digest {
			return raw
		}
		if dg.String() != "" {
			if code, _, body := r.Get(tb, "/v2/"+repo+"/manifests/"+dg.String()); code == http.StatusOK {
				return body
			}
		}
		return blobs(tb, dg)
	}, d)
}
