package buildkit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	containerd "github.com/containerd/containerd/v2/client"
)

// Defaults of a containerd destination, as containerd itself has them.
const (
	defaultContainerdAddress   = "/run/containerd/containerd.sock"
	defaultContainerdNamespace = "default"
)

// containerdDest is an output `type=containerd,namespace=NS,address=SOCK`:
// the image goes into a running containerd's image store, every platform
// and every name. BuildKit writes it as an OCI archive, which orch imports
// through the containerd client once the target succeeded (or, with
// --atomic, once every target did).
type containerdDest struct {
	address, namespace string
	// imageNames are the full names the images get.
	imageNames []string
	// exportAttrs are the attributes of the OCI archive export.
	exportAttrs map[string]string
}

// newContainerdDest reads the output's attributes: address and namespace
// are orch's, the rest (name, annotations, compression...) go to the OCI
// exporter.
func newContainerdDest(attrs map[string]string) (*containerdDest, error) {
	d := &containerdDest{address: defaultContainerdAddress, namespace: defaultContainerdNamespace, exportAttrs: map[string]string{}}
	for k, v := range attrs {
		switch k {
		case "address":
			d.address = strings.TrimPrefix(v, "unix://")
		case "namespace":
			d.namespace = v
		default:
			d.exportAttrs[k] = v
		}
	}
	if d.namespace == "" || d.address == "" {
		return nil, errors.New("output type=containerd: namespace= and address= must not be empty")
	}
	if attrs["name"] == "" {
		return nil, errors.New("output type=containerd: the image has no name; set tags or name=")
	}
	refs, err := parseNames(attrs["name"])
	if err != nil {
		return nil, fmt.Errorf("output type=containerd: %w", err)
	}
	for _, r := range refs {
		d.imageNames = append(d.imageNames, r.String())
	}
	// The archive is read by orch only: no tar header names needed, and
	// the images keep their names through the index annotations.
	d.exportAttrs["tar"] = "true"
	return d, nil
}

// names are the destinations for the report.
func (d *containerdDest) names() []string {
	out := make([]string, len(d.imageNames))
	for i, n := range d.imageNames {
		out[i] = "containerd:" + d.namespace + "/" + n
	}
	return out
}

// importArchive imports the OCI archive at path into the namespace: all
// content first, then one image per name, each pointing at the whole
// multi-platform index (or the single manifest) the build produced.
func (d *containerdDest) importArchive(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	c, err := containerd.New(d.address, containerd.WithDefaultNamespace(d.namespace))
	if err != nil {
		return fmt.Errorf("connect to containerd: %w", err)
	}
	defer c.Close()
	imgs, err := c.Import(ctx, f, containerd.WithAllPlatforms(true))
	if err != nil {
		return fmt.Errorf("import into containerd namespace %s: %w", d.namespace, err)
	}
	var got []string
	for _, img := range imgs {
		got = append(got, img.Name)
	}
	for _, want := range d.imageNames {
		if !slices.Contains(got, want) {
			return fmt.Errorf("import into containerd namespace %s: image %s was not created (got %v)", d.namespace, want, got)
		}
	}
	return nil
}
