package config

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// writeSSHKey writes a new private key without a passphrase at path: print
// checks that an ssh path holds a key, as bake does.
func writeSSHKey(t testing.TB, path string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
}

// listenAgent opens a unix socket in dir for the test's lifetime and
// returns the SSH_AUTH_SOCK entry naming it: print checks that the agent
// socket exists, as bake does.
func listenAgent(t testing.TB, dir string) string {
	t.Helper()
	sock := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return "SSH_AUTH_SOCK=" + sock
}

// TestCheckSources shows each problem print reports about a secret or an
// ssh source, as bake's print does.
func TestCheckSources(t *testing.T) {
	dir := t.TempDir()
	agent := listenAgent(t, dir)
	writeSSHKey(t, filepath.Join(dir, "id_ed25519"))
	for name, content := range map[string]string{"npmrc": "x", "notakey": "hello", "TOKFILE": "x"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "big"), make([]byte, maxSecretSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, hcl string
		env       []string
		want      string // "" for no error
	}{
		{"secret file", `secret = ["id=npm,src=npmrc"]`, nil, ""},
		{"secret env", `secret = ["id=tok,env=TOKEN"]`, nil, ""},
		{"missing secret file", `secret = ["id=npm,src=missing"]`, nil, `secret "npm": stat ` + filepath.Join(dir, "missing") + `: no such file or directory. Create the file, or point src at an existing one.`},
		{"secret without id", `secret = [{src = "npmrc"}]`, nil, `a secret needs an id`},
		{"too big", `secret = ["id=b,src=big"]`, nil, `holds 512001 bytes; a secret holds at most 512000.`},
		{"id alone is the variable when it is set", `secret = ["id=TOKFILE2"]`, []string{"TOKFILE2=x"}, ""},
		{"id alone is the file otherwise", `secret = ["id=TOKFILE"]`, nil, ""},
		{"id alone, no file", `secret = ["id=NOPE"]`, nil, `secret "NOPE": stat`},
		{"agent", `ssh = ["default"]`, []string{agent}, ""},
		{"no agent", `ssh = ["default"]`, nil, `ssh "default": no paths are given and SSH_AUTH_SOCK is not set`},
		{"key", `ssh = ["k=id_ed25519"]`, nil, ""},
		{"missing key", `ssh = ["k=nokey"]`, nil, `ssh "k": stat ` + filepath.Join(dir, "nokey") + `: no such file or directory.`},
		{"not a key", `ssh = ["k=notakey"]`, nil, `notakey is not a private key without a passphrase`},
		{"two sockets", `ssh = ["k=agent.sock,agent.sock"]`, nil, `only one agent socket is allowed.`},
		{"socket and key", `ssh = ["k=agent.sock,id_ed25519"]`, nil, `an agent socket and key files cannot be mixed.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, "orch.hcl"), []byte("target \"app\" {\n  "+tt.hcl+"\n}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := mustLoad(t, Options{WorkDir: dir, Env: tt.env})
			_, diags := cfg.PrintJSON(printAll(cfg))
			switch {
			case tt.want == "" && diags.HasErrors():
				t.Fatalf("unexpected error: %s", diags.Error())
			case tt.want == "":
			case !diags.HasErrors():
				t.Fatalf("no error, want %q", tt.want)
			case !strings.Contains(diags.Error(), tt.want):
				t.Errorf("error %q does not contain %q", diags.Error(), tt.want)
			case diags[0].Subject == nil || diags[0].Subject.Start.Line != 2:
				t.Errorf("error at %v, want line 2", diags[0].Subject)
			}
		})
	}
}
