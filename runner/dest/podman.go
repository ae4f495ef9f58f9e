package dest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/orch-build/orch/config"
)

// podmanAPI is the version prefix of the libpod REST API orch speaks; 4.0
// is the oldest Podman with every call used here.
const podmanAPI = "/v4.0.0/libpod"

// podmanStore is an output `type=podman,address=SOCK,platform=P`: the
// image, with all its names, goes into a running Podman through its REST
// API socket. Podman stores one platform per image and loads only OCI
// archives with a single index entry (it refuses BuildKit's archive of
// one image under several names: "more than one image in oci"), so orch
// loads an archive of the one platform under the first name and adds the
// others with the tag call.
type podmanStore struct {
	address string
	// platform is the one platform= names; nil means the platform the
	// Podman host runs.
	platform *ocispec.Platform
}

// defaultPodmanAddress is where Podman's own service listens: the root
// socket for root, else the user's rootless one.
func defaultPodmanAddress() string {
	if os.Geteuid() == 0 {
		return "/run/podman/podman.sock"
	}
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = filepath.Join("/run/user", strconv.Itoa(os.Geteuid()))
	}
	return filepath.Join(dir, "podman", "podman.sock")
}

// newPodmanStore reads the output's own attributes.
func newPodmanStore(o config.Output) (*podmanStore, error) {
	p := &podmanStore{address: defaultPodmanAddress()}
	if v, ok := o.Attrs["address"]; ok {
		p.address = strings.TrimPrefix(v, "unix://")
		if p.address == "" {
			return nil, errors.New("output type=podman: address= must not be empty")
		}
	}
	if v := o.Attrs["platform"]; v != "" {
		pl, err := platforms.Parse(v)
		if err != nil {
			return nil, fmt.Errorf("output type=podman: platform=%s: %w", v, err)
		}
		pl = platforms.Normalize(pl)
		p.platform = &pl
	}
	return p, nil
}

func (p *podmanStore) where() string { return "podman " + p.address }

// destinations are the report's names of what the load creates.
func (p *podmanStore) destinations(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "podman:" + n
	}
	return out
}

// client speaks HTTP over the Podman socket.
func (p *podmanStore) client() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", p.address)
		},
	}}
}

// call sends one request and decodes a JSON answer into out (when not
// nil). An answer other than 2xx is a *StatusError with Podman's message.
func (p *podmanStore) call(ctx context.Context, c *http.Client, method, path string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, "http://podman"+podmanAPI+path, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-tar")
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", p.where(), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s: %s %s: %w", p.where(), method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Message string `json:"message"`
		}
		msg := strings.TrimSpace(string(raw))
		if json.Unmarshal(raw, &e) == nil && e.Message != "" {
			msg = e.Message
		}
		return &StatusError{Code: resp.StatusCode, Err: fmt.Errorf("%s: %s %s: %s: %s", p.where(), method, path, resp.Status, msg)}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s: %s %s: %w", p.where(), method, path, err)
		}
	}
	return nil
}

// hostPlatform asks Podman which platform its host runs.
func (p *podmanStore) hostPlatform(ctx context.Context, c *http.Client) (ocispec.Platform, error) {
	var info struct {
		Host struct {
			OS      string `json:"os"`
			Arch    string `json:"arch"`
			Variant string `json:"variant"`
		} `json:"host"`
	}
	if err := p.call(ctx, c, http.MethodGet, "/info", nil, &info); err != nil {
		return ocispec.Platform{}, err
	}
	if info.Host.OS == "" || info.Host.Arch == "" {
		return ocispec.Platform{}, fmt.Errorf("%s: /info names no host platform", p.where())
	}
	return platforms.Normalize(ocispec.Platform{OS: info.Host.OS, Architecture: info.Host.Arch, Variant: info.Host.Variant}), nil
}

// load loads the image of the archive a, one platform, under every name
// in names (normalized).
func (p *podmanStore) load(ctx context.Context, a *archive, names []string) error {
	c := p.client()
	defer c.CloseIdleConnections()
	plat := p.platform
	if plat == nil {
		host, err := p.hostPlatform(ctx, c)
		if err != nil {
			return err
		}
		plat = &host
	}
	m, err := a.platformImage(*plat, p.platform != nil)
	if err != nil {
		return fmt.Errorf("%s: %w", p.where(), err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(a.writeSingle(pw, m, names[0])) }()
	var loaded struct {
		Names []string `json:"Names"`
	}
	err = p.call(ctx, c, http.MethodPost, "/images/load", pr, &loaded)
	pr.Close()
	if err != nil {
		return err
	}
	if !slices.Contains(loaded.Names, names[0]) {
		return fmt.Errorf("%s: load created %v, not %s", p.where(), loaded.Names, names[0])
	}
	for _, name := range names[1:] {
		r, err := reference.ParseNormalizedNamed(name)
		if err != nil {
			return err
		}
		q := url.Values{"repo": {r.Name()}}
		if t, ok := r.(reference.Tagged); ok {
			q.Set("tag", t.Tag())
		}
		if err := p.call(ctx, c, http.MethodPost, "/images/"+url.PathEscape(names[0])+"/tag?"+q.Encode(), nil, nil); err != nil {
			return err
		}
	}
	return nil
}
