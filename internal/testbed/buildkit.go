package testbed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orch-build/orch/internal/logtail"
)

// registryPorts is how many loopback ports are set aside for test
// registries. buildkitd only speaks plain HTTP to registries its config
// names, so the ports are chosen before buildkitd starts and every registry
// a test starts later takes one of them.
const registryPorts = 24

// BuildKit is the buildkitd shared by every test of one test binary.
type BuildKit struct {
	// Addr is the daemon's address, "unix:///tmp/.../buildkitd.sock".
	Addr string
	// Root is its state directory.
	Root string
	// LogPath is the file holding the daemon's output.
	LogPath string

	proc *process
}

var (
	bkOnce sync.Once
	bk     *BuildKit
	bkErr  error
	// bkMissing is set when the error is a missing binary rather than a
	// daemon that failed to start.
	bkMissing bool

	portsOnce sync.Once
	portsMu   sync.Mutex
	reserved  []int // every port set aside, taken or not
	freePorts []int // the ones no registry has taken yet
	portsErr  error
)

// reservePorts picks the registry ports once per test binary.
func reservePorts() error {
	portsOnce.Do(func() {
		seen := map[int]bool{}
		for len(reserved) < registryPorts {
			p, err := freePort()
			if err != nil {
				portsErr = fmt.Errorf("find a free loopback port: %w", err)
				return
			}
			if !seen[p] {
				seen[p] = true
				reserved = append(reserved, p)
			}
		}
		freePorts = append([]int(nil), reserved...)
	})
	return portsErr
}

// takePort hands out one of the reserved registry ports.
func takePort() (int, error) {
	if err := reservePorts(); err != nil {
		return 0, err
	}
	portsMu.Lock()
	defer portsMu.Unlock()
	if len(freePorts) == 0 {
		return 0, fmt.Errorf("all %d reserved registry ports are in use", registryPorts)
	}
	p := freePorts[0]
	freePorts = freePorts[1:]
	return p, nil
}

// StartBuildKit returns the test binary's buildkitd, starting it on first use.
// It needs root, runc and the pinned buildkitd that setup builds into bin/.
func StartBuildKit(tb testing.TB) *BuildKit {
	tb.Helper()
	bkOnce.Do(func() { bk, bkErr = startBuildKit() })
	if bkErr != nil {
		if bkMissing {
			Unavailable(tb, "%v", bkErr)
		}
		tb.Fatalf("testbed: %v", bkErr)
	}
	return bk
}

// StartExtraBuildKit starts a buildkitd of the test's own that listens on
// addr (a unix or tcp address; empty picks a unix socket) with extra flags
// such as TLS files. It is stopped when the test ends.
func StartExtraBuildKit(tb testing.TB, addr string, extra ...string) *BuildKit {
	tb.Helper()
	return StartExtraBuildKitEnv(tb, nil, addr, extra...)
}

// StartExtraBuildKitEnv is StartExtraBuildKit with env ("KEY=VALUE")
// added to the daemon's environment, such as the OTEL_* variables that
// make it export its spans.
func StartExtraBuildKitEnv(tb testing.TB, env []string, addr string, extra ...string) *BuildKit {
	tb.Helper()
	StartBuildKit(tb) // the same checks and skips
	b, err := launchBuildKit(addr, env, extra...)
	if err != nil {
		tb.Fatalf("testbed: %v", err)
	}
	tb.Cleanup(func() { b.proc.stop() })
	return b
}

func startBuildKit() (*BuildKit, error) {
	if _, err := Binary("buildkitd"); err != nil {
		bkMissing = true
		return nil, err
	}
	if _, err := Binary("runc"); err != nil {
		bkMissing = true
		return nil, err
	}
	if os.Geteuid() != 0 {
		bkMissing = true
		return nil, fmt.Errorf("buildkitd with the OCI worker needs root")
	}
	return launchBuildKit("", nil)
}

// launchBuildKit starts a buildkitd on addr (default: a unix socket in its
// directory) and waits until it accepts connections.
func launchBuildKit(addr string, env []string, extra ...string) (*BuildKit, error) {
	bin, err := Binary("buildkitd")
	if err != nil {
		return nil, err
	}
	if err := reservePorts(); err != nil {
		return nil, err
	}
	// A short directory: the socket path must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "orch-bk-")
	if err != nil {
		return nil, err
	}
	var cfg strings.Builder
	cfg.WriteString("[worker.oci]\n  enabled = true\n  gc = false\n[worker.containerd]\n  enabled = false\n")
	for _, p := range reserved {
		fmt.Fprintf(&cfg, "[registry.\"127.0.0.1:%d\"]\n  http = true\n  insecure = true\n", p)
	}
	cfgPath := filepath.Join(dir, "buildkitd.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
		return nil, err
	}
	if addr == "" {
		addr = "unix://" + filepath.Join(dir, "buildkitd.sock")
	}
	b := &BuildKit{
		Addr:    addr,
		Root:    filepath.Join(dir, "root"),
		LogPath: filepath.Join(dir, "buildkitd.log"),
	}
	args := append([]string{bin,
		"--config", cfgPath, "--root", b.Root, "--addr", b.Addr,
		"--allow-insecure-entitlement=network.host", "--allow-insecure-entitlement=security.insecure"}, extra...)
	cmd := exec.Command(args[0], args[1:]...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	p, err := startCommand("buildkitd", dir, b.LogPath, cmd)
	if err != nil {
		return nil, err
	}
	b.proc = p
	network, address, _ := strings.Cut(b.Addr, "://")
	err = waitFor(p, 60*time.Second, func() error {
		c, err := net.Dial(network, address)
		if err != nil {
			return err
		}
		return c.Close()
	})
	if err != nil {
		return nil, fmt.Errorf("buildkitd: %w\n%s", err, logtail.Tail(b.LogPath, 4000))
	}
	return b, nil
}

// RegistryHosts returns the host:port of every port set aside for test
// registries; a managed buildkitd started by a test must treat them as
// plain-HTTP registries too.
func RegistryHosts() ([]string, error) {
	if err := reservePorts(); err != nil {
		return nil, err
	}
	hosts := make([]string, 0, registryPorts)
	for _, p := range reserved {
		hosts = append(hosts, fmt.Sprintf("127.0.0.1:%d", p))
	}
	return hosts, nil
}

// Kill ends a daemon started with StartExtraBuildKit at once, as a crash
// would, for tests of a builder that goes away.
func (b *BuildKit) Kill() {
	_ = b.proc.cmd.Process.Kill()
	<-b.proc.done
}

// StartPlatformBuildKit starts a buildkitd of the test's own whose worker
// has platform as its native one (--oci-worker-platform), as a node of a
// builder pool; QEMU, registered by setup, lets it emulate the rest. It
// is stopped when the test ends.
func StartPlatformBuildKit(tb testing.TB, platform string) *BuildKit {
	tb.Helper()
	return StartExtraBuildKit(tb, "", "--oci-worker-platform", platform)
}

// PID is the daemon's process id, for a test that kills it by pid.
func (b *BuildKit) PID() int { return b.proc.cmd.Process.Pid }

// History is one build record of a daemon: one client.Build (or solve)
// that reached it.
type History struct {
	Ref string
	// FrontendAttrs are the build's frontend options: "platform" is the
	// platforms it was asked for, when it named any.
	FrontendAttrs map[string]string
	// Exporters are the types of its exports ("oci", "image", ...).
	Exporters []string
	// Platforms are the platforms the build's result was for, from its
	// frontend's refs.platforms (empty when it did not say).
	Platforms []string
	// Architecture is the image config's architecture, when the result
	// was an image of one platform.
	Architecture string
	// CreatedAt and CompletedAt bound the build on the daemon's clock;
	// CompletedAt is zero for a build still running.
	CreatedAt, CompletedAt time.Time
}

// Histories lists the daemon's build records, with `buildctl debug
// histories` (BuildKit's ListenBuildHistory; the daemon keeps its last 50
// by default).
func (b *BuildKit) Histories(tb testing.TB) []History {
	tb.Helper()
	bin, err := Binary("buildctl")
	if err != nil {
		Unavailable(tb, "%v", err)
	}
	out, err := exec.Command(bin, "--addr", b.Addr, "debug", "histories", "--format", "{{json .}}").Output()
	if err != nil {
		tb.Fatalf("buildctl debug histories: %v", err)
	}
	// timestamp is a protobuf Timestamp as encoding/json writes it.
	type timestamp struct{ Seconds, Nanos int64 }
	at := func(ts *timestamp) time.Time {
		if ts == nil {
			return time.Time{}
		}
		return time.Unix(ts.Seconds, ts.Nanos)
	}
	var hs []History
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var ev struct {
			Record struct {
				Ref              string
				FrontendAttrs    map[string]string
				Exporters        []struct{ Type string }
				ExporterResponse map[string]string
				CreatedAt        *timestamp
				CompletedAt      *timestamp
			} `json:"record"`
		}
		if err := dec.Decode(&ev); err != nil {
			tb.Fatalf("buildctl debug histories: %v\n%s", err, out)
		}
		r := ev.Record
		h := History{Ref: r.Ref, FrontendAttrs: r.FrontendAttrs, CreatedAt: at(r.CreatedAt), CompletedAt: at(r.CompletedAt)}
		for _, e := range r.Exporters {
			h.Exporters = append(h.Exporters, e.Type)
		}
		var plats struct{ Platforms []struct{ ID string } }
		if raw := r.ExporterResponse["refs.platforms"]; raw != "" && json.Unmarshal([]byte(raw), &plats) == nil {
			for _, p := range plats.Platforms {
				h.Platforms = append(h.Platforms, p.ID)
			}
		}
		var cfg struct{ Architecture string }
		if raw := r.ExporterResponse["containerimage.config"]; raw != "" && json.Unmarshal([]byte(raw), &cfg) == nil {
			h.Architecture = cfg.Architecture
		}
		hs = append(hs, h)
	}
	return hs
}

// MaxConcurrent is the most builds of hs that ran at one time on the
// daemon, by their CreatedAt and CompletedAt.
func MaxConcurrent(hs []History) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, h := range hs {
		end := h.CompletedAt
		if end.IsZero() {
			end = time.Now()
		}
		edges = append(edges, edge{h.CreatedAt, 1}, edge{end, -1})
	}
	// An end at the same instant as a start comes first: the two did not
	// overlap.
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta
	})
	most, now := 0, 0
	for _, e := range edges {
		now += e.delta
		most = max(most, now)
	}
	return most
}
