package dest

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"strings"
	"time"

	"github.com/orch-build/orch/config"
)

// ErrNoLocalStore is returned by LocalStore when no image store answers.
var ErrNoLocalStore = errors.New("no local image store (containerd or Podman) is reachable")

// LocalStore finds the image store of this machine, for a `--load` that
// puts every image there: containerd at $CONTAINERD_ADDRESS (or, when that
// is unset, its default socket), else Podman at $CONTAINER_HOST (or its
// root or rootless socket), the first that accepts a connection. A
// variable that is set replaces the default, as it does for ctr and
// podman, so a machine's own daemon never stands in for the one named. It
// returns the output to add to each target; the error wraps
// ErrNoLocalStore and names every socket tried.
func LocalStore() (config.Output, error) {
	var cs []storeSocket
	if a := os.Getenv("CONTAINERD_ADDRESS"); a != "" {
		cs = append(cs, storeSocket{"containerd", strings.TrimPrefix(a, "unix://"), "CONTAINERD_ADDRESS"})
	} else {
		cs = append(cs, storeSocket{"containerd", defaultContainerdAddress, ""})
	}
	if a := os.Getenv("CONTAINER_HOST"); a != "" {
		cs = append(cs, storeSocket{"podman", strings.TrimPrefix(a, "unix://"), "CONTAINER_HOST"})
	} else {
		cs = append(cs, storeSocket{"podman", defaultPodmanAddress(), ""})
	}
	return firstStore(cs)
}

// storeSocket is where an image store may listen, and the environment
// variable that named it ("" for the default).
type storeSocket struct{ typ, address, env string }

// firstStore returns the output of the first store that accepts a
// connection.
func firstStore(cs []storeSocket) (config.Output, error) {
	var tried []string
	for _, c := range cs {
		where := c.address
		if c.env != "" {
			where = fmt.Sprintf("%s (%s)", c.address, c.env)
		}
		if strings.Contains(c.address, "://") {
			tried = append(tried, fmt.Sprintf("%s at %s: only unix sockets are supported", c.typ, where))
			continue
		}
		conn, err := net.DialTimeout("unix", c.address, time.Second)
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s at %s: %v", c.typ, where, err))
			continue
		}
		conn.Close()
		return config.NewOutput(c.typ, "", map[string]string{"address": c.address}), nil
	}
	return config.Output{}, fmt.Errorf("%w (%s); start one (CONTAINERD_ADDRESS and CONTAINER_HOST name their sockets), or name one with --set '*.output=type=containerd,address=SOCK' or type=podman",
		ErrNoLocalStore, strings.Join(tried, "; "))
}

// IsLoad reports whether o is bake's "load into the local image store":
// an output type=docker without dest, which --load and `load = true` add
// (with a Docker engine, buildx loads it there; orch has none and loads
// it into containerd or Podman, see LoadInto).
func IsLoad(o config.Output) bool {
	return o.Type == "docker" && o.Dest == ""
}

// LoadInto returns the output that carries out the load output o in
// store, an output LocalStore returned: the store's type and address with
// o's own attributes (name=, compression, ...).
func LoadInto(o, store config.Output) config.Output {
	attrs := maps.Clone(o.Attrs)
	if attrs == nil {
		attrs = map[string]string{}
	}
	maps.Copy(attrs, store.Attrs)
	return config.NewOutput(store.Type, "", attrs)
}
