package dest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orch-build/orch/config"
)

// output parses "type=T,k=v,..." as the loader does, with dest resolved
// against dir.
func output(dir, spec string) config.Output {
	attrs := map[string]string{}
	typ, dest := "", ""
	for kv := range strings.SplitSeq(spec, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "type":
			typ = v
		case "dest":
			dest = v
			if v != "-" && !filepath.IsAbs(v) {
				dest = filepath.Join(dir, v)
			}
		default:
			attrs[k] = v
		}
	}
	return config.NewOutput(typ, dest, attrs)
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "file"), "x")
	mustWrite(t, filepath.Join(dir, "notes", "mine.txt"), "mine")
	if err := os.MkdirAll(filepath.Join(dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "file"), filepath.Join(dir, "link-to-file")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		tags   []string
		output string
		want   string // "" for no error; DIR stands for the test's directory
	}{
		{"containerd without a name", nil, "type=containerd,namespace=x", "output type=containerd: the image has no name; set tags or name="},
		{"containerd empty namespace", []string{"a:1"}, "type=containerd,namespace=", "output type=containerd: namespace= and address= must not be empty"},
		{"containerd bad name", []string{"A B"}, "type=containerd", `output type=containerd: image name "A B": invalid reference format: repository name (library/A B) must be lowercase`},
		{"podman without a name", nil, "type=podman", "output type=podman: the image has no name; set tags or name="},
		{"podman bad platform", []string{"a:1"}, "type=podman,platform=linux/", `output type=podman: platform=linux/: "" is an invalid component of "linux/": platform specifier component must match "^[A-Za-z0-9_.-]+$": invalid argument`},
		{"podman empty address", []string{"a:1"}, "type=podman,address=", "output type=podman: address= must not be empty"},
		{"podman", []string{"a:1"}, "type=podman,platform=linux/arm64", ""},
		{"registry without a name", nil, "type=registry", "output type=registry: the image has no name; set tags or name="},
		{"push without a name", nil, "type=image,push=true", "output type=image,push=true: the image has no name; set tags or name="},
		{"image kept by the builder", nil, "type=image", ""},
		{"push to a name with a digest", nil, "type=registry,name=example.com/app@" + zeroDigest, `output type=registry: image name "example.com/app@` + zeroDigest + `" holds a digest, which cannot be a tag; name the repository and a tag`},
		{"push by digest to a name with a digest", nil, "type=registry,push-by-digest=true,name=example.com/app@" + zeroDigest, ""},
		{"store a name with a digest", nil, "type=containerd,push-by-digest=true,name=example.com/app@" + zeroDigest, `output type=containerd: image name "example.com/app@` + zeroDigest + `" holds a digest, which cannot be a tag; name the repository and a tag`},
		{"local without dest", nil, "type=local", "output type=local needs dest=PATH (or dest=- for standard output)"},
		{"docker without a name", nil, "type=docker,dest=out/a.tar", "output type=docker: the image has no name; set tags or name="},
		{"local to stdout", nil, "type=local,dest=-", "output type=local: a directory cannot go to standard output"},
		{"tar to stdout", nil, "type=tar,dest=-", ""},
		{"local into a file", nil, "type=local,dest=file", "output type=local,dest=DIR/file: DIR/file is a file, and this output writes a directory; remove it or choose another dest"},
		{"local into a link to a file", nil, "type=local,dest=link-to-file", "output type=local,dest=DIR/link-to-file: DIR/link-to-file (DIR/file) is a file, and this output writes a directory; remove it or choose another dest"},
		{"layout into a file", nil, "type=oci,tar=false,dest=file", "output type=oci,dest=DIR/file: DIR/file is a file, and this output writes a directory; remove it or choose another dest"},
		{"layout into another directory", nil, "type=oci,tar=false,dest=notes", "output type=oci,dest=DIR/notes: DIR/notes exists and is not an OCI image layout (no oci-layout); remove it or choose another dest"},
		{"layout into an empty directory", nil, "type=oci,tar=false,dest=out", ""},
		{"tar onto a directory", nil, "type=tar,dest=out", "output type=tar,dest=DIR/out: DIR/out is a directory, and this output writes a file; remove it or choose another dest"},
		{"archive onto a directory", []string{"a:1"}, "type=oci,dest=out", "output type=oci,dest=DIR/out: DIR/out is a directory, and this output writes a file; remove it or choose another dest"},
		{"below a file", nil, "type=local,dest=file/sub/dir", "output type=local,dest=DIR/file/sub/dir: cannot create DIR/file/sub/dir: DIR/file is a file; remove it or choose another dest"},
		{"a new directory", nil, "type=local,dest=new/deeper", ""},
		{"local into a directory with files", nil, "type=local,dest=notes", ""},
		{"the root", nil, "type=local,dest=/", "output type=local,dest=/: orch does not write into the file system root; choose a directory below it"},
		{"beside the root", nil, "type=tar,dest=/out.tar", "output type=tar,dest=/out.tar: orch writes a destination beside its final path first, and the parent of /out.tar is the file system root; choose a path at least two levels deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := &config.Target{Name: "app", Tags: tt.tags, Outputs: []config.Output{output(dir, tt.output)}}
			err := Check(tg, tg.Outputs[0], nil)
			want := strings.ReplaceAll(tt.want, "DIR", dir)
			switch {
			case want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case want != "" && (err == nil || err.Error() != want):
				t.Errorf("error\n%v\nwant\n%s", err, want)
			}
		})
	}
}

// zeroDigest is a well-formed digest of nothing built.
var zeroDigest = "sha256:" + strings.Repeat("0", 64)

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
