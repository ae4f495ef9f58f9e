package config

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/crypto/ssh"
)

// bake's --print builds every printed target's build options before
// printing, and that opens the sources of secrets and ssh keys: a secret
// file that does not exist, or an ssh key that is not a key, fails the
// print. orch's print checks the same sources with the same rules
// (BuildKit's secretsprovider.NewStore and sshprovider's agent configs),
// at the paths orch reads them from: relative to the declaring file, or
// to the working directory for --set values, which for a file in the
// working directory is where bake reads them.

// maxSecretSize is BuildKit's limit on a secret (secretsprovider).
const maxSecretSize = 500 * 1024

// checkSources reports every secret and ssh source of t that a build
// could not read, as bake's print does; env is the environment.
func checkSources(t *Target, env map[string]string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	at := func(attr string) *hcl.Range {
		if r, ok := t.AttrRanges[attr]; ok {
			return &r
		}
		return nil
	}
	for _, s := range t.Secrets {
		if msg := checkSecret(s, t.Dir, env); msg != "" {
			diags = append(diags, errorDiag("Invalid secret", fmt.Sprintf("Target %q: %s", t.Name, msg), at("secret")))
		}
	}
	// Entries of one id were merged when the target was resolved.
	for _, s := range t.SSH {
		id := s.Attrs["id"]
		if id == "" {
			id = "default"
		}
		if msg := checkSSH(id, s.Attrs["paths"], env); msg != "" {
			diags = append(diags, errorDiag("Invalid ssh", fmt.Sprintf("Target %q: %s", t.Name, msg), at("ssh")))
		}
	}
	return diags
}

// checkSecret applies BuildKit's rule: an id is required; a secret with
// neither src nor env is the environment variable of its id when that is
// set, the file of its id otherwise; a file must exist and hold at most
// 500 KB.
func checkSecret(s Entry, dir string, env map[string]string) string {
	id, src := s.Attrs["id"], s.Attrs["src"]
	if id == "" {
		return "a secret needs an id, e.g. id=npm,src=.npmrc."
	}
	if src == "" && s.Attrs["env"] == "" {
		if _, ok := env[id]; ok {
			return ""
		}
		src = resolvePath(dir, id)
	}
	if src == "" {
		return ""
	}
	st, err := os.Stat(src)
	switch {
	case err != nil:
		return fmt.Sprintf("secret %q: %v. Create the file, or point src at an existing one.", id, err)
	case st.Size() > maxSecretSize:
		return fmt.Sprintf("secret %q: %s holds %d bytes; a secret holds at most %d.", id, src, st.Size(), maxSecretSize)
	}
	return ""
}

// checkSSH applies sshprovider's rule to one ssh entry: without paths it
// is the agent socket SSH_AUTH_SOCK names; every path must exist, and a
// path that is not a socket must hold a private key; one socket at most,
// and sockets and keys are not mixed.
func checkSSH(id, joined string, env map[string]string) string {
	var paths []string
	if joined != "" {
		paths = strings.Split(joined, ",")
	}
	if len(paths) == 0 || (len(paths) == 1 && paths[0] == "") {
		sock := env["SSH_AUTH_SOCK"]
		if sock == "" {
			return fmt.Sprintf("ssh %q: no paths are given and SSH_AUTH_SOCK is not set; start an ssh agent, or list key files in paths.", id)
		}
		paths = []string{sock}
	}
	sockets, keys := 0, 0
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Sprintf("ssh %q: %v.", id, err)
		}
		if st.Mode()&os.ModeSocket != 0 {
			sockets++
			continue
		}
		if msg := checkKey(p); msg != "" {
			return fmt.Sprintf("ssh %q: %s", id, msg)
		}
		keys++
	}
	switch {
	case sockets > 1:
		return fmt.Sprintf("ssh %q: only one agent socket is allowed.", id)
	case sockets > 0 && keys > 0:
		return fmt.Sprintf("ssh %q: an agent socket and key files cannot be mixed.", id)
	}
	return ""
}

// checkKey reports whether p holds a private key without a passphrase,
// reading at most 100 KB as sshprovider does.
func checkKey(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return err.Error() + "."
	}
	defer f.Close()
	dt, err := io.ReadAll(io.LimitReader(f, 100*1024))
	if err != nil {
		return fmt.Sprintf("read %s: %v.", p, err)
	}
	if _, err := ssh.ParseRawPrivateKey(dt); err != nil {
		return fmt.Sprintf("%s is not a private key without a passphrase (%v); name a key file, or an agent socket.", p, err)
	}
	return ""
}
