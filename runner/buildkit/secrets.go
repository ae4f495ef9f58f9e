package buildkit

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	units "github.com/docker/go-units"
	"github.com/moby/buildkit/session/secrets"
	"github.com/moby/buildkit/session/secrets/secretsprovider"

	"github.com/orch-build/orch/config"
)

// maxSecretSize is the largest secret orch serves: BuildKit's own limit
// (500 KiB), which its session refuses above anyway. The check before the
// build names the secret instead of failing the step that mounts it.
const maxSecretSize = secretsprovider.MaxSecretSize

// secretSource is one secret of a target: a file, or an environment
// variable.
type secretSource struct {
	id, file, env string
}

// setSecrets attaches a secret provider for the target's secrets: files or
// environment variables, read by orch and served through the session. The
// values never appear in the image or in any output orch prints. It
// returns one error per secret that cannot be served, each naming the
// secret's id and source.
func (r *request) setSecrets(t *config.Target) []error {
	if len(t.Secrets) == 0 {
		return nil
	}
	store := secretStore{}
	var errs []error
	for _, s := range t.Secrets {
		src := secretSource{id: s.Attrs["id"], env: s.Attrs["env"]}
		file := s.Attrs["src"]
		if file == "" {
			file = s.Attrs["source"]
		}
		if file != "" {
			src.file = localPath(t, file)
		}
		if typ := s.Attrs["type"]; typ == "env" && src.env == "" {
			src.env, src.file = file, ""
			if src.env == "" {
				src.env = src.id
			}
		}
		if src.id == "" {
			errs = append(errs, fmt.Errorf("secret %v: set id", s.Attrs))
			continue
		}
		if src.file == "" && src.env == "" {
			// As with buildx: an id alone names an environment variable.
			src.env = src.id
		}
		if err := src.check(); err != nil {
			errs = append(errs, err)
			continue
		}
		store[src.id] = src
		r.secretIDs = append(r.secretIDs, src.id)
		if src.file != "" {
			r.secretFiles = append(r.secretFiles, src.file)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	r.session = append(r.session, secretsprovider.NewSecretProvider(store))
	return nil
}

// check tells whether the secret can be served, without reading it: a
// file must be a regular file of at most maxSecretSize bytes (os.Stat
// opens nothing, so a FIFO cannot block it and /dev/zero is never read),
// an environment variable must be set and not longer.
func (s secretSource) check() error {
	if s.file == "" {
		v, ok := os.LookupEnv(s.env)
		if !ok {
			return fmt.Errorf("secret %s: environment variable %s is not set", s.id, s.env)
		}
		if len(v) > maxSecretSize {
			return fmt.Errorf("secret %s: environment variable %s holds %s, more than the %s a secret may have", s.id, s.env, size(int64(len(v))), size(maxSecretSize))
		}
		return nil
	}
	fi, err := os.Stat(s.file)
	if err != nil {
		return fmt.Errorf("secret %s: %w", s.id, err)
	}
	return checkSecretFile(s.id, s.file, fi)
}

// checkSecretFile is the rule for a secret's file, both before the build
// and when BuildKit asks for it.
func checkSecretFile(id, path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("secret %s: %s is %s, not a regular file; point src at a file that holds the secret", id, path, fileKind(fi.Mode()))
	}
	if fi.Size() > maxSecretSize {
		return fmt.Errorf("secret %s: %s is %s, more than the %s a secret may have", id, path, size(fi.Size()), size(maxSecretSize))
	}
	return nil
}

// fileKind names what a non-regular file is, for messages.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	default:
		return "not a file"
	}
}

// size renders n bytes the way the messages give limits ("500KiB").
func size(n int64) string { return units.BytesSize(float64(n)) }

// secretStore serves a target's secrets to BuildKit's session. It stands
// in for secretsprovider's file store, which reads a file whole with
// os.ReadFile when the build asks: a FIFO put in the file's place after
// the check would block the build, /dev/zero would fill memory. Here a
// file is opened without blocking, checked as an open file and read no
// further than the limit.
type secretStore map[string]secretSource

// GetSecret returns the value of secret id.
func (s secretStore) GetSecret(_ context.Context, id string) ([]byte, error) {
	src, ok := s[id]
	if !ok {
		return nil, fmt.Errorf("secret %s: %w", id, secrets.ErrNotFound)
	}
	if src.file == "" {
		if err := src.check(); err != nil {
			return nil, err
		}
		return []byte(os.Getenv(src.env)), nil
	}
	f, err := os.OpenFile(src.file, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", id, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", id, err)
	}
	if err := checkSecretFile(id, src.file, fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSecretSize+1))
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", id, err)
	}
	if len(data) > maxSecretSize {
		// The file grew after the stat.
		return nil, fmt.Errorf("secret %s: %s is more than the %s a secret may have", id, src.file, size(maxSecretSize))
	}
	return data, nil
}
