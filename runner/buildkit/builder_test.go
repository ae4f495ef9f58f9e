package buildkit

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client/connhelper"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/internal/testbed"
	"github.com/orch-build/orch/runner"
)

func TestTCPBuilderWithTLS(t *testing.T) {
	bk, f := testbed.StartTLSBuildKit(t)
	addr := bk.Addr
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	c, err := Connect(ctx, BuilderOptions{Addr: addr, TLSCACert: f.CA, TLSCert: f.ClientCert, TLSKey: f.ClientKey})
	if err != nil {
		t.Fatalf("connect with TLS: %v", err)
	}
	c.Close()

	// Without a client certificate the daemon refuses the connection.
	if c, err := Connect(ctx, BuilderOptions{Addr: addr, TLSCACert: f.CA}); err == nil {
		c.Close()
		t.Errorf("connect without a client certificate succeeded")
	}
}

func TestBuilderAddressErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		opts BuilderOptions
		want string
	}{
		{"no scheme", BuilderOptions{Addr: "localhost:1234"}, "want a URL such as unix://"},
		{"unknown scheme", BuilderOptions{Addr: "ftp://host"}, `unknown scheme "ftp"`},
		{"tls on unix", BuilderOptions{Addr: "unix:///tmp/x.sock", TLSCACert: "ca.pem"}, "TLS options need a tcp:// address"},
		{"cert without key", BuilderOptions{Addr: "tcp://127.0.0.1:1", TLSCert: "c.pem"}, "--tlscert and --tlskey must be given together"},
		{"missing ca file", BuilderOptions{Addr: "tcp://127.0.0.1:1", TLSCACert: "/nonexistent/ca.pem"}, "no such file"},
		{"nothing listening", BuilderOptions{Addr: "unix:///nonexistent/buildkitd.sock"}, "does not answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			c, err := Connect(ctx, tt.opts)
			if err == nil {
				c.Close()
				t.Fatalf("Connect(%+v) succeeded", tt.opts)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestConnectionHelpersRegistered(t *testing.T) {
	for _, addr := range []string{"docker-container://builder", "kube-pod://buildkitd", "podman-container://builder", "ssh://user@host"} {
		h, err := connhelper.GetConnectionHelper(addr)
		if err != nil || h == nil {
			t.Errorf("%s: no connection helper (%v)", addr, err)
		}
	}
}

func TestManagedReportsMissingBinaries(t *testing.T) {
	empty := t.TempDir()
	t.Setenv("PATH", empty)
	t.Setenv("ORCH_BUILDKITD", "")
	m := &Managed{StateDir: t.TempDir(), RunDir: t.TempDir()}
	if _, err := m.findBinary(); err == nil || !strings.Contains(err.Error(), "buildkitd not found") || !strings.Contains(err.Error(), "go tool task setup") {
		t.Errorf("missing buildkitd: %v", err)
	}
	fake := filepath.Join(empty, "buildkitd")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	m.Binary = fake
	if err := m.start(); err == nil || !strings.Contains(err.Error(), "runc not found") || !strings.Contains(err.Error(), "apt-get install runc") {
		t.Errorf("missing runc: %v", err)
	}
}

func TestSSHForwarding(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "orch test")
	if err != nil {
		t.Fatal(err)
	}
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
target "app" {
  contexts = { busybox = BUSYBOX }
  ssh      = ["default=keys/id_ed25519"]
  output   = ["type=local,dest=out"]
}`,
		"keys/id_ed25519": string(pem.EncodeToMemory(block)),
		"Dockerfile": busyboxDockerfile + `
RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo forwarded > /ssh
`,
	})
	p.mustBuild(buildOpts{})
	raw, err := os.ReadFile(p.path("out/ssh"))
	if err != nil || strings.TrimSpace(string(raw)) != "forwarded" {
		t.Errorf("ssh agent socket not forwarded into RUN: %q, %v", raw, err)
	}
}

// TestSSHAgentSocket forwards a running ssh agent (SSH_AUTH_SOCK) when the
// ssh entry names no key files.
func TestSSHAgentSocket(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "orch-agent-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = agent.ServeAgent(keyring, c)
			}()
		}
	}()
	t.Setenv("SSH_AUTH_SOCK", sock)
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
target "app" {
  contexts = { busybox = BUSYBOX }
  ssh      = ["default"]
  output   = ["type=local,dest=out"]
}`,
		"Dockerfile": busyboxDockerfile + `
RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo agent > /ssh
`,
	})
	p.mustBuild(buildOpts{})
	raw, err := os.ReadFile(p.path("out/ssh"))
	if err != nil || strings.TrimSpace(string(raw)) != "agent" {
		t.Errorf("ssh agent not forwarded into RUN: %q, %v", raw, err)
	}
}

// TestSolveAgainstStoppedBuilder: a solve on a builder that has gone away
// fails with an error the runner retries.
func TestSolveAgainstStoppedBuilder(t *testing.T) {
	dir, err := os.MkdirTemp("", "orch-gone-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	addr := "unix://" + filepath.Join(dir, "buildkitd.sock")
	bk := testbed.StartExtraBuildKit(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Connect(ctx, BuilderOptions{Addr: bk.Addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := newProject(t, map[string]string{
		"orch.hcl":   `target "app" {}`,
		"Dockerfile": "FROM scratch\nCOPY Dockerfile /\n",
	})
	cfgTarget := loadTarget(t, p, "app")
	s, err := NewSolver(ctx, c, &graph.Plan{Nodes: []*graph.Node{{Name: "app", Target: cfgTarget, Export: true}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	bk.Kill()
	_, err = s.Solve(ctx, runner.Job{Node: &graph.Node{Name: "app", Target: cfgTarget, Export: true}, Attempt: 1, Log: io.Discard})
	if err == nil {
		t.Fatal("solve on a stopped builder succeeded")
	}
	if !runner.IsTransient(err) {
		t.Errorf("error %v is not transient; --retries would not retry a builder that went away", err)
	}
	_ = s.Close()
}
