package dest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteserrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	"github.com/distribution/reference"
	dockerconfig "github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/credentials"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sirupsen/logrus"

	"github.com/orch-build/orch/runner"
)

// orch pushes images itself, from the OCI archive BuildKit wrote, rather
// than letting BuildKit push: BuildKit reports a registry's answer only as
// text, while orch's own requests give the HTTP status and the system
// error, which decide what is retried, and let an atomic run push every
// image by digest and move each tag when it chooses.

// StatusError is a registry (or image store) answer that was not a
// success. Its HTTPStatus is what runner.IsTransient reads to tell "try
// again" (408, 429, 5xx but 501 and 505) from "never": the rule lives
// there alone.
type StatusError struct {
	// Code is the HTTP status code.
	Code int
	// Err is the error the client returned, with method, URL and status.
	Err error
}

func (e *StatusError) Error() string { return e.Err.Error() }
func (e *StatusError) Unwrap() error { return e.Err }

// HTTPStatus returns the status code, for classifiers that read it.
func (e *StatusError) HTTPStatus() int { return e.Code }

// registryError types the failure of a registry request: an HTTP answer
// becomes a *StatusError; an end of file (the registry closed the
// connection before it answered, or cut a stream short) is transient;
// system errors (a refused or reset connection) stay as they are, and
// runner.IsTransient knows them.
func registryError(err error) error {
	if err == nil {
		return nil
	}
	var status remoteserrors.ErrUnexpectedStatus
	if errors.As(err, &status) {
		return &StatusError{Code: status.StatusCode, Err: err}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return runner.Transient(err)
	}
	return err
}

// DockerConfig reads the docker config file with its credential helpers,
// where registry credentials come from. DOCKER_CONFIG is read on every
// call (the docker CLI library reads it once per process), so each call
// sees the current setting.
func DockerConfig() (*configfile.ConfigFile, error) {
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("registry credentials: %w", err)
		}
		dir = filepath.Join(home, ".docker")
	}
	cfg, err := dockerconfig.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("registry credentials: read %s: %w", filepath.Join(dir, "config.json"), err)
	}
	if !cfg.ContainsAuth() {
		cfg.CredentialsStore = credentials.DetectDefaultStore(cfg.CredentialsStore)
	}
	return cfg, nil
}

// quietLogger takes what containerd's registry and content code log
// (such as "fetch failed after status: 404" for a tag that does not exist
// yet): orch reports failures itself. It is given to each call through
// its context, so no process-wide logger changes.
var quietLogger = func() *log.Entry {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return logrus.NewEntry(l)
}()

// quiet returns ctx with containerd's logging discarded.
func quiet(ctx context.Context) context.Context { return log.WithLogger(ctx, quietLogger) }

// transport carries every registry request; tests wrap it to see or
// interrupt a push.
var transport http.RoundTripper = http.DefaultTransport

// registry talks to one registry host for one output.
type registry struct {
	hosts    docker.RegistryHosts
	resolver remotes.Resolver
}

// newRegistry returns a client with the credentials of the docker config
// file, speaking plain HTTP to loopback registries and, with plainHTTP,
// to every registry (registry.insecure=true).
func newRegistry(plainHTTP bool) (*registry, error) {
	cfg, err := DockerConfig()
	if err != nil {
		return nil, err
	}
	creds := func(host string) (string, string, error) {
		if host == "registry-1.docker.io" {
			host = "https://index.docker.io/v1/"
		}
		ac, err := cfg.GetAuthConfig(host)
		if err != nil {
			return "", "", err
		}
		if ac.IdentityToken != "" {
			return "", ac.IdentityToken, nil
		}
		return ac.Username, ac.Password, nil
	}
	hosts := docker.ConfigureDefaultRegistries(
		docker.WithAuthorizer(docker.NewDockerAuthorizer(docker.WithAuthCreds(creds))),
		docker.WithPlainHTTP(func(host string) (bool, error) {
			if plainHTTP {
				return true, nil
			}
			return docker.MatchLocalhost(host)
		}),
		docker.WithClient(&http.Client{Transport: transport}),
	)
	return &registry{hosts: hosts, resolver: docker.NewResolver(docker.ResolverOptions{Hosts: hosts})}, nil
}

// pushImage uploads the image root and everything it references (every
// platform's manifest, config and layers, attestations too) to the
// repository repo, the root by digest: no tag changes.
func (r *registry) pushImage(ctx context.Context, repo string, root ocispec.Descriptor, provider content.Provider) error {
	ctx = quiet(ctx)
	ref := repo + "@" + root.Digest.String()
	pusher, err := r.resolver.Pusher(ctx, ref)
	if err != nil {
		return err
	}
	if err := remotes.PushContent(ctx, pusher, root, provider, nil, nil, nil); err != nil {
		return fmt.Errorf("push %s: %w", ref, registryError(err))
	}
	return nil
}

// manifest is a root document and its descriptor, as a tag points at it.
type manifest struct {
	desc ocispec.Descriptor
	raw  []byte
}

// getTag returns what the tag ref ("repo:tag") points at, or nil when the
// tag does not exist.
func (r *registry) getTag(ctx context.Context, ref string) (*manifest, error) {
	ctx = quiet(ctx)
	name, desc, err := r.resolver.Resolve(ctx, ref)
	if errdefs.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", ref, registryError(err))
	}
	fetcher, err := r.resolver.Fetcher(ctx, name)
	if err != nil {
		return nil, err
	}
	rc, err := fetcher.Fetch(ctx, desc)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", ref, registryError(err))
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", ref, registryError(err))
	}
	return &manifest{desc: ocispec.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size}, raw: raw}, nil
}

// putTag points the tag ref ("repo:tag") at m, whose referenced content
// is in the repository already. A tag that points there already is left
// alone.
func (r *registry) putTag(ctx context.Context, ref string, m *manifest) error {
	ctx = quiet(ctx)
	pusher, err := r.resolver.Pusher(ctx, ref+"@"+m.desc.Digest.String())
	if err != nil {
		return err
	}
	w, err := pusher.Push(ctx, m.desc)
	if errdefs.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tag %s: %w", ref, registryError(err))
	}
	defer w.Close()
	// Copy starts over when the client retried the upload by itself.
	if err := content.Copy(ctx, w, bytes.NewReader(m.raw), m.desc.Size, m.desc.Digest); err != nil && !errdefs.IsAlreadyExists(err) {
		return fmt.Errorf("tag %s: %w", ref, registryError(err))
	}
	return nil
}

// deleteTag removes the tag ref ("repo:tag") and nothing else. The OCI
// distribution spec lets registries refuse it (distribution v2 deletes
// manifests by digest only, which would drop every other tag of the same
// image); a refusal is a *StatusError the caller reports.
func (r *registry) deleteTag(ctx context.Context, ref string) error {
	ctx = quiet(ctx)
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return err
	}
	tagged, ok := named.(reference.Tagged)
	if !ok {
		return fmt.Errorf("%s has no tag", ref)
	}
	hosts, err := r.hosts(reference.Domain(named))
	if err != nil || len(hosts) == 0 {
		return fmt.Errorf("delete %s: no host for %s: %w", ref, reference.Domain(named), err)
	}
	h := hosts[0]
	url := h.Scheme + "://" + h.Host + h.Path + "/" + reference.Path(named) + "/manifests/" + tagged.Tag()
	ctx = docker.WithScope(ctx, "repository:"+reference.Path(named)+":pull,push,delete")
	var resp *http.Response
	for try := 0; try < 2; try++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodDelete, url, nil)
		if err != nil {
			return err
		}
		if h.Authorizer != nil {
			if err := h.Authorizer.Authorize(ctx, req); err != nil {
				return fmt.Errorf("delete %s: %w", ref, registryError(err))
			}
		}
		resp, err = h.Client.Do(req)
		if err != nil {
			return fmt.Errorf("delete %s: %w", ref, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || h.Authorizer == nil || try > 0 {
			break
		}
		// The first answer names the authentication the registry wants.
		if err := h.Authorizer.AddResponses(ctx, []*http.Response{resp}); err != nil {
			break
		}
	}
	switch resp.StatusCode {
	case http.StatusAccepted, http.StatusOK, http.StatusNoContent, http.StatusNotFound:
		return nil
	}
	return fmt.Errorf("delete %s: %w", ref, registryError(remoteserrors.NewUnexpectedStatusErr(resp)))
}
