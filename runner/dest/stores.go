package dest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/orch-build/orch/config"
)

// ErrNoLocalStore is returned by LocalStore when no image store answers.
var ErrNoLocalStore = errors.New("no local image store (containerd or Podman) is reachable")

// LocalStore finds the image store of this machine, for a `--load` that
// puts every image there: containerd at $CONTAINERD_ADDRESS or its
// default socket, else Podman at its root or rootless socket, the first
// that accepts a connection. It returns the output to add to each
// target.
func LocalStore() (config.Output, error) {
	var cs []storeSocket
	if a := os.Getenv("CONTAINERD_ADDRESS"); a != "" {
		cs = append(cs, storeSocket{"containerd", strings.TrimPrefix(a, "unix://")})
	}
	cs = append(cs, storeSocket{"containerd", defaultContainerdAddress}, storeSocket{"podman", defaultPodmanAddress()})
	return firstStore(cs)
}

// storeSocket is where an image store may listen.
type storeSocket struct{ typ, address string }

// firstStore returns the output of the first store that accepts a
// connection.
func firstStore(cs []storeSocket) (config.Output, error) {
	var tried []string
	for _, c := range cs {
		conn, err := net.DialTimeout("unix", c.address, time.Second)
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s at %s: %v", c.typ, c.address, err))
			continue
		}
		conn.Close()
		return config.NewOutput(c.typ, "", map[string]string{"address": c.address}), nil
	}
	return config.Output{}, fmt.Errorf("%w (%s); start one, or name one with --set '*.output=type=containerd,address=SOCK' or type=podman", ErrNoLocalStore, strings.Join(tried, "; "))
}
