package dest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/runner"
)

// Defaults of a containerd destination, as containerd itself has them.
const (
	defaultContainerdAddress   = "/run/containerd/containerd.sock"
	defaultContainerdNamespace = "default"
)

// containerdStore is an output `type=containerd,namespace=NS,address=SOCK`:
// the image goes into a running containerd's image store, every platform
// and every name. BuildKit writes it as an OCI archive, which orch imports
// through the containerd client when the export is committed.
type containerdStore struct {
	address, namespace string
}

// newContainerdStore reads the output's own attributes.
func newContainerdStore(o config.Output) (*containerdStore, error) {
	d := &containerdStore{address: defaultContainerdAddress, namespace: defaultContainerdNamespace}
	if v, ok := o.Attrs["address"]; ok {
		d.address = strings.TrimPrefix(v, "unix://")
	}
	if v, ok := o.Attrs["namespace"]; ok {
		d.namespace = v
	}
	if d.namespace == "" || d.address == "" {
		return nil, errors.New("output type=containerd: namespace= and address= must not be empty")
	}
	return d, nil
}

// where names the store in messages.
func (d *containerdStore) where() string {
	return "containerd " + d.address + " namespace " + d.namespace
}

// destinations are the report's names of what the import creates.
func (d *containerdStore) destinations(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "containerd:" + d.namespace + "/" + n
	}
	return out
}

// load imports the OCI archive at path into the namespace: all content
// first, then one image per name, each pointing at the whole
// multi-platform index (or the single manifest) the build produced. names
// are the normalized names the archive's index holds. Each image is
// labelled with fingerprint, when it is not "".
func (d *containerdStore) load(ctx context.Context, path string, names []string, fingerprint string) error {
	ctx = quiet(ctx)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	c, err := containerd.New(d.address, containerd.WithDefaultNamespace(d.namespace))
	if err != nil {
		return storeError(fmt.Errorf("connect to containerd: %w", err))
	}
	defer c.Close()
	imgs, err := c.Import(ctx, f, containerd.WithAllPlatforms(true))
	if err != nil {
		return storeError(fmt.Errorf("import into containerd namespace %s: %w", d.namespace, err))
	}
	var got []string
	for _, img := range imgs {
		got = append(got, img.Name)
	}
	for _, want := range names {
		if !slices.Contains(got, want) {
			return fmt.Errorf("import into containerd namespace %s: image %s was not created (got %v)", d.namespace, want, got)
		}
		if fingerprint == "" {
			continue
		}
		img := images.Image{Name: want, Labels: map[string]string{FingerprintKey: fingerprint}}
		if _, err := c.ImageService().Update(ctx, img, "labels."+FingerprintKey); err != nil {
			return storeError(fmt.Errorf("label image %s in containerd namespace %s: %w", want, d.namespace, err))
		}
	}
	return nil
}

// fingerprint returns the fingerprint label of the image name and the
// image's target: "" without an image or a label, a *brokenError when its
// root content is gone.
func (d *containerdStore) fingerprint(ctx context.Context, name string) (string, ocispec.Descriptor, error) {
	ctx = quiet(ctx)
	c, err := containerd.New(d.address, containerd.WithDefaultNamespace(d.namespace))
	if err != nil {
		return "", ocispec.Descriptor{}, storeError(fmt.Errorf("connect to containerd: %w", err))
	}
	defer c.Close()
	img, err := c.ImageService().Get(ctx, name)
	if errdefs.IsNotFound(err) {
		return "", ocispec.Descriptor{}, nil
	}
	if err != nil {
		return "", ocispec.Descriptor{}, storeError(err)
	}
	if _, err := c.ContentStore().Info(ctx, img.Target.Digest); err != nil {
		if errdefs.IsNotFound(err) {
			return "", img.Target, &brokenError{what: "lacks its content " + img.Target.Digest.String()}
		}
		return "", img.Target, storeError(err)
	}
	return img.Labels[FingerprintKey], img.Target, nil
}

// storeError marks an image store that could not be reached (gRPC
// Unavailable, as containerd's errdefs maps it) as transient.
func storeError(err error) error {
	if errdefs.IsUnavailable(err) {
		return runner.Transient(err)
	}
	return err
}
