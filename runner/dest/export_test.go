package dest

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestStageWrites: what Stage asks the builder to write for each kind of
// output: the exporter, its attributes (the output's own, less what orch
// reads itself, with name= from the tags where the exporter names an
// image) and whether it writes a directory or a file.
func TestStageWrites(t *testing.T) {
	tags := []string{"example.com/app:1", "app:dev"}
	tests := []struct {
		name   string
		tags   []string
		output string
		want   Write // Dir and File stand for "set": "dir", "file"
	}{
		{"oci archive named by the tags", tags, "type=oci,dest=out/app.tar,compression=zstd",
			Write{Exporter: "oci", Attrs: map[string]string{"compression": "zstd", "name": "example.com/app:1,app:dev"}, File: "file"}},
		{"oci archive without a name", nil, "type=oci,dest=out/app.tar",
			Write{Exporter: "oci", Attrs: map[string]string{}, File: "file"}},
		{"the output's name wins", tags, "type=docker,dest=out/app.tar,name=other:2",
			Write{Exporter: "docker", Attrs: map[string]string{"name": "other:2"}, File: "file"}},
		{"layout", tags, "type=oci,tar=false,dest=out/layout,oci-mediatypes=true",
			Write{Exporter: "oci", Attrs: map[string]string{"tar": "false", "oci-mediatypes": "true", "name": "example.com/app:1,app:dev"}, Dir: "dir"}},
		{"local files are not named", tags, "type=local,dest=out/files,platform-split=false",
			Write{Exporter: "local", Attrs: map[string]string{"platform-split": "false"}, Dir: "dir"}},
		{"tarball of files is not named", tags, "type=tar,dest=out/files.tar",
			Write{Exporter: "tar", Attrs: map[string]string{}, File: "file"}},
		{"to standard output", tags, "type=tar,dest=-",
			Write{Exporter: "tar", Attrs: map[string]string{}, File: "file"}},
		{"image the builder keeps", tags, "type=image,unpack=true",
			Write{Exporter: "image", Attrs: map[string]string{"unpack": "true", "name": "example.com/app:1,app:dev"}}},
		{"push: an archive, without what orch pushes with", tags, "type=registry,registry.insecure=true,compression=gzip",
			Write{Exporter: "oci", Attrs: map[string]string{"compression": "gzip", "tar": "true", "name": "example.com/app:1,app:dev"}, File: "file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := target(t.TempDir(), "app", tt.tags, tt.output)
			r := openRun(t, tg)
			e, err := r.Stage(tg, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Abort()
			if len(e.Writes) != 1 {
				t.Fatalf("writes %+v, want one", e.Writes)
			}
			got := e.Writes[0]
			if got.Dir != "" {
				got.Dir = "dir"
			}
			if got.File != "" {
				got.File = "file"
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("write (-want +got):\n%s", diff)
			}
			if tt.want.Attrs != nil && got.Attrs == nil {
				t.Error("attributes nil, want a map the caller can add to")
			}
		})
	}
}

// TestStdoutGoesToOptionsStdout: an output with dest=- is written to the
// run's Stdout when Commit runs, and to nothing before.
func TestStdoutGoesToOptionsStdout(t *testing.T) {
	tg := target(t.TempDir(), "app", nil, "type=tar,dest=-")
	var stdout bytes.Buffer
	r, err := Open(planOf(tg), Options{Stdout: &stdout})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	files := map[string]string{"hello.txt": "hello"}
	e := stageBuilt(t, r, tg, nil, files, nil)
	if stdout.Len() != 0 {
		t.Fatalf("%d bytes on standard output before Commit", stdout.Len())
	}
	dests, err := r.Commit(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stdout.Bytes(), tarOf(t, files)) {
		t.Errorf("standard output holds %d bytes, want the %d of the tarball", stdout.Len(), len(tarOf(t, files)))
	}
	if want := []string{"tar:-"}; !cmp.Equal(dests, want) {
		t.Errorf("destinations %v, want %v", dests, want)
	}
}

// TestStageNameTooLong: a destination whose staging name would be longer
// than a file name may be fails with the system's error, not another.
func TestStageNameTooLong(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("a", 240) + ".tar"
	tg := target(dir, "app", nil, "type=tar,dest="+long)
	r := openRun(t, tg)
	_, err := r.Stage(tg, "", nil)
	if !errors.Is(err, syscall.ENAMETOOLONG) {
		t.Fatalf("error %v, want one that wraps ENAMETOOLONG", err)
	}
	if want := "output type=tar,dest=" + filepath.Join(dir, long) + ": stage: open "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start with %q", err, want)
	}
	assertNoStaging(t, dir)
}

// TestHostOf: the registry host of a normalized name or a repository, as
// the push budget counts them; what is not a name stays as it is.
func TestHostOf(t *testing.T) {
	for name, want := range map[string]string{
		"docker.io/library/app:1":                              "docker.io",
		"registry.example:5000/team/app":                       "registry.example:5000",
		"127.0.0.1:5000/app@sha256:" + strings.Repeat("0", 64): "127.0.0.1:5000",
		"Not A Name": "Not A Name",
	} {
		if got := hostOf(name); got != want {
			t.Errorf("hostOf(%q) = %q, want %q", name, got, want)
		}
	}
}
