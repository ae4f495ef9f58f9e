// Package buildkit is orch's only BuildKit adapter. It turns an evaluated
// target into a BuildKit solve (the dockerfile.v0 frontend, local contexts,
// named contexts, `target:` links as frontend inputs, secrets, ssh, cache and
// attestations), writes every result to its destinations, connects to
// builders and manages the local buildkitd that orch starts when no builder
// is named. It implements runner.Solver; it does no scheduling.
package buildkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/containerd/log"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/connhelper"
	"github.com/sirupsen/logrus"

	// Connection helpers for builders on other machines and in clusters.
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer"
	_ "github.com/moby/buildkit/client/connhelper/kubepod"
	_ "github.com/moby/buildkit/client/connhelper/podmancontainer"
	_ "github.com/moby/buildkit/client/connhelper/ssh"
)

// QuietLogs silences the process-wide loggers that BuildKit's client code
// writes to: the content store under an OCI layout export logs warnings
// (such as "failed check for fsverity support") through containerd's
// logger, and the HTTP/2 server under a BuildKit session logs a closed
// connection through the standard logger. orch reports problems itself;
// the command line calls this unless asked for debug output. A library
// does not change process-wide state on its own, so nothing here calls it.
func QuietLogs() {
	log.L.Logger.SetLevel(logrus.ErrorLevel)
	stdlog.SetOutput(io.Discard)
}

// ErrInvalidBuilder marks builder options no connection can use: an
// address that is not a URL, an unknown scheme, TLS files without a tcp://
// address. The user has to change the command.
var ErrInvalidBuilder = errors.New("invalid builder options")

// builderError is an error that wraps ErrInvalidBuilder without saying so
// in its text: the user reads what is wrong, callers branch with errors.Is.
type builderError struct{ err error }

func (e *builderError) Error() string        { return e.err.Error() }
func (e *builderError) Unwrap() error        { return e.err }
func (e *builderError) Is(target error) bool { return target == ErrInvalidBuilder }

// invalidBuilder formats an error that wraps ErrInvalidBuilder.
func invalidBuilder(format string, args ...any) error {
	return &builderError{err: fmt.Errorf(format, args...)}
}

// BuilderOptions name a builder and how to reach it.
type BuilderOptions struct {
	// Addr is the builder address: unix://, tcp://, or a connection helper
	// such as docker-container://NAME or kube-pod://NAME. Empty selects the
	// managed local buildkitd. It is one node (BUILDKIT_HOST); Builders,
	// when set, are used instead.
	Addr string
	// Builders are the --builder values, each a NodeSpec: an address (as
	// Addr) or a buildx builder's name, with ,max=N and ,name=NAME. Each
	// is one node, a buildx builder each of its nodes; together they are
	// the run's pool. The TLS files apply to every tcp:// address here.
	Builders []string
	// TLS files for a tcp:// builder.
	TLSCACert, TLSCert, TLSKey string
	// TLSServerName overrides the server name checked in the builder's
	// certificate; empty uses the address's host.
	TLSServerName string
}

// ClientVersion is the version of the BuildKit client library linked into
// orch.
func ClientVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, dep := range info.Deps {
		if dep.Path == "github.com/moby/buildkit" {
			if dep.Replace != nil {
				return dep.Replace.Version
			}
			return dep.Version
		}
	}
	return "unknown"
}

// Connect opens a client to the builder at opts.Addr and checks that it
// answers. It does not start anything; see Managed for the local default.
func Connect(ctx context.Context, opts BuilderOptions) (*client.Client, error) {
	if opts.Addr == "" {
		return nil, invalidBuilder("no builder address")
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	var copts []client.ClientOpt
	if opts.TLSCACert != "" || opts.TLSCert != "" || opts.TLSKey != "" {
		u, _ := url.Parse(opts.Addr)
		name := opts.TLSServerName
		if name == "" {
			name = u.Hostname()
		}
		if opts.TLSCACert != "" {
			copts = append(copts, client.WithServerConfig(name, opts.TLSCACert))
		} else {
			copts = append(copts, client.WithServerConfigSystem(name))
		}
		if opts.TLSCert != "" {
			copts = append(copts, client.WithCredentials(opts.TLSCert, opts.TLSKey))
		}
	}
	c, err := client.New(ctx, opts.Addr, copts...)
	if err != nil {
		return nil, fmt.Errorf("connect to builder %s: %w", opts.Addr, err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := c.ListWorkers(pingCtx); err != nil {
		c.Close()
		return nil, fmt.Errorf("builder %s does not answer: %w", opts.Addr, unwrapGRPC(err))
	}
	return c, nil
}

// unwrapGRPC shortens the text of a gRPC transport error to its cause.
func unwrapGRPC(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "desc = "); i >= 0 {
		return errors.New(msg[i+len("desc = "):])
	}
	return err
}

// Validate checks opts without contacting anything: the address is a URL
// with a scheme orch can reach (empty means the managed buildkitd), TLS
// files go with a tcp:// address, a client certificate with its key, and
// each named file exists. Its errors wrap ErrInvalidBuilder.
func (opts BuilderOptions) Validate() error {
	if len(opts.Builders) > 0 {
		// Each address is checked as Addr; a buildx name by reading
		// buildx's store, so a builder that does not exist is a usage
		// error before anything is loaded.
		_, err := opts.nodes()
		return err
	}
	tls := opts.TLSCACert != "" || opts.TLSCert != "" || opts.TLSKey != ""
	if opts.Addr == "" {
		if tls {
			return invalidBuilder("TLS options need a tcp:// builder address (--builder tcp://HOST:PORT)")
		}
		return nil
	}
	u, err := url.Parse(opts.Addr)
	if err != nil || u.Scheme == "" || !strings.Contains(opts.Addr, "://") {
		return invalidBuilder("builder address %q: want a URL such as unix:///run/buildkit/buildkitd.sock, tcp://host:1234 or docker-container://name", opts.Addr)
	}
	switch u.Scheme {
	case "unix", "tcp":
	default:
		if h, _ := connhelper.GetConnectionHelper(opts.Addr); h == nil {
			return invalidBuilder("builder address %q: unknown scheme %q (want unix, tcp, docker-container, kube-pod, podman-container or ssh)", opts.Addr, u.Scheme)
		}
	}
	if !tls {
		return nil
	}
	if u.Scheme != "tcp" {
		return invalidBuilder("builder address %q: TLS options need a tcp:// address", opts.Addr)
	}
	if (opts.TLSCert == "") != (opts.TLSKey == "") {
		return invalidBuilder("--tlscert and --tlskey must be given together")
	}
	for _, f := range []string{opts.TLSCACert, opts.TLSCert, opts.TLSKey} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return invalidBuilder("builder TLS: %w", err)
		}
	}
	return nil
}

// Open connects to the builder opts name, or to the managed local buildkitd
// (started when needed) when opts.Addr is empty.
func Open(ctx context.Context, opts BuilderOptions) (*client.Client, error) {
	if opts.Addr != "" {
		return Connect(ctx, opts)
	}
	m, err := DefaultManaged()
	if err != nil {
		return nil, err
	}
	return m.Ensure(ctx)
}
