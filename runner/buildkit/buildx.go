package buildkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// buildx keeps every builder instance as a JSON file in its store,
// $BUILDX_CONFIG/instances/NAME, by default $DOCKER_CONFIG/buildx (and
// ~/.docker/buildx without DOCKER_CONFIG). orch reads it, and never
// writes it: `--builder NAME` builds on the instance's nodes as `docker
// buildx --builder NAME` would reach them.

// buildxInstance is a builder instance as buildx stores it.
type buildxInstance struct {
	Name    string
	Driver  string
	Nodes   []buildxNode
	Dynamic bool
}

// buildxNode is one node of an instance.
type buildxNode struct {
	Name       string
	Endpoint   string
	Platforms  []ocispec.Platform
	DriverOpts map[string]string
	Flags      []string
}

// buildxStore is the directory of buildx's store.
func buildxStore() (string, error) {
	if d := os.Getenv("BUILDX_CONFIG"); d != "" {
		return d, nil
	}
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "buildx"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("buildx builders: %w", err)
	}
	return filepath.Join(home, ".docker", "buildx"), nil
}

// BuildxBuilders lists the names of the builder instances in buildx's
// store, sorted.
func BuildxBuilders() ([]string, error) {
	dir, err := buildxStore()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(dir, "instances"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("buildx builders: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && buildxName.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// buildxNodes reads the instance name and returns its nodes, unconnected.
// A name no instance has is an error that lists the instances there are.
func buildxNodes(name string) ([]*Node, error) {
	dir, err := buildxStore()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "instances", name)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		have, lerr := BuildxBuilders()
		switch {
		case lerr != nil:
			return nil, invalidBuilder("no buildx builder named %q in %s (%v)", name, dir, lerr)
		case len(have) == 0:
			return nil, invalidBuilder("no buildx builder named %q: %s holds none; create one with `docker buildx create --name %s --driver remote ADDR`, or name a builder address (unix://, tcp://, ...)", name, dir, name)
		default:
			return nil, invalidBuilder("no buildx builder named %q in %s; the builders there are %s", name, dir, strings.Join(have, ", "))
		}
	}
	if err != nil {
		return nil, invalidBuilder("buildx builder %s: %w", name, err)
	}
	var inst buildxInstance
	if err := json.Unmarshal(raw, &inst); err != nil {
		return nil, invalidBuilder("buildx builder %s: read %s: %w", name, path, err)
	}
	if len(inst.Nodes) == 0 {
		return nil, invalidBuilder("buildx builder %s has no nodes", name)
	}
	var out []*Node
	for _, bn := range inst.Nodes {
		n, err := buildxNodeOf(&inst, bn)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// buildxNodeOf is how orch reaches one node of an instance: a remote
// driver's endpoint as it is (with its TLS files), a docker-container
// driver's container through its connection helper. The docker and
// kubernetes drivers have no address orch can reach without Docker or the
// Kubernetes API.
func buildxNodeOf(inst *buildxInstance, bn buildxNode) (*Node, error) {
	n := &Node{Name: bn.Name, Builder: inst.Name}
	for _, p := range bn.Platforms {
		n.configured = append(n.configured, platforms.Format(p))
	}
	where := fmt.Sprintf("buildx builder %s, node %s", inst.Name, bn.Name)
	switch inst.Driver {
	case "remote":
		n.Endpoint = bn.Endpoint
		o := BuilderOptions{Addr: bn.Endpoint}
		for k, v := range bn.DriverOpts {
			switch k {
			case "cacert":
				o.TLSCACert = v
			case "cert":
				o.TLSCert = v
			case "key":
				o.TLSKey = v
			case "servername":
				o.TLSServerName = v
			}
		}
		if err := o.Validate(); err != nil {
			return nil, invalidBuilder("%s: %w", where, err)
		}
		n.opts = o
	case "docker-container":
		// buildx names the node's container so (its driver.go).
		n.Endpoint = "docker-container://buildx_buildkit_" + bn.Name
		n.opts = BuilderOptions{Addr: n.Endpoint}
	case "kubernetes":
		return nil, invalidBuilder("%s: the kubernetes driver's pods are found through the Kubernetes API, which orch does not use; create a remote builder with one kube-pod://POD endpoint per pod (docker buildx create --driver remote kube-pod://POD, then --append), or name the pods with --builder kube-pod://POD", where)
	default:
		return nil, invalidBuilder("%s: the %s driver has no address orch can reach; use a builder of the remote or docker-container driver", where, inst.Driver)
	}
	return n, nil
}
