package main

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/urfave/cli/v2"
)

// writtenFiles are the files `orch build` writes besides its outputs, each
// by the flag that names it and the name the leak test gives it. A new
// flag that writes a file is one more line here; TestWrittenFilesTable
// fails until it is added.
var writtenFiles = []struct {
	flag string
	name string // a file, or a directory for --log-dir
}{
	{"--report", "report.json"},
	{"--junit", "junit.xml"},
	{"--metadata-file", "metadata.json"},
	{"--log-dir", "logs"},
	{"--report-html", "report.html"},
	{"--trace", "trace.json"},
}

// readFlags are the flags of `orch build` that name a file orch reads, not
// one it writes.
var readFlags = map[string]bool{"file": true, "tlscacert": true, "tlscert": true, "tlskey": true}

// TestWrittenFilesTable: every flag of `orch build` that takes a file and
// is not one orch reads is in writtenFiles, so the leak test writes it.
func TestWrittenFilesTable(t *testing.T) {
	inTable := map[string]bool{}
	for _, f := range writtenFiles {
		inTable[f.flag] = true
	}
	a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, lib: (&recorder{}).library()}
	cmd := a.command(nil).Command("build")
	found := 0
	for _, f := range cmd.Flags {
		sf, ok := f.(*cli.StringFlag)
		if !ok || !sf.TakesFile || readFlags[sf.Name] {
			continue
		}
		found++
		if !inTable["--"+f.Names()[0]] {
			t.Errorf("orch build --%s writes a file that writtenFiles does not list: the secret leak test does not look at it", f.Names()[0])
		}
	}
	if found != len(writtenFiles) {
		t.Errorf("orch build has %d flags that write files, writtenFiles lists %d", found, len(writtenFiles))
	}
}

// secretDockerfile mounts both secrets in one RUN step, writes their hash
// into the image and prints only their sizes.
const secretDockerfile = `FROM scratch
ARG TARGETARCH
COPY --from=busybox ${TARGETARCH}/busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PATH=/bin
RUN --mount=type=secret,id=file --mount=type=secret,id=env \
    cat /run/secrets/file /run/secrets/env | md5sum > /secret.md5 && \
    echo "file=$(wc -c < /run/secrets/file) env=$(wc -c < /run/secrets/env)"
`

// TestSecretsLeakIntoNoFile builds a target that uses a file secret and an
// environment secret, with provenance, writing every file of writtenFiles
// and an OCI layout, and progress in plain text. The RUN step sees both
// secrets (their hash is in a layer); no file orch wrote, no layer of the
// image and nothing on standard output or error holds either value.
func TestSecretsLeakIntoNoFile(t *testing.T) {
	const fileSecret, envSecret = "file-secret-7f3a9c", "env-secret-51be02"
	t.Setenv("ORCH_TEST_TOKEN", envSecret)
	p := newBuildProject(t, `
variable "BUSYBOX" {}
target "app" {
  contexts   = { busybox = BUSYBOX }
  dockerfile = "secret.Dockerfile"
  secret     = ["id=file,src=token.txt", "id=env,env=ORCH_TEST_TOKEN"]
  attest     = ["type=provenance,mode=max"]
  no-cache   = true
  output     = ["type=oci,tar=false,dest=out/app"]
}`)
	for name, content := range map[string]string{"secret.Dockerfile": secretDockerfile, "token.txt": fileSecret} {
		if err := os.WriteFile(p.path(name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := p.args("app", "--progress", "plain")
	for _, f := range writtenFiles {
		args = append(args, f.flag, p.path(f.name))
	}
	stderr, err := os.Create(p.path("stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	var stdout bytes.Buffer
	code := run(append([]string{"orch"}, args...), &stdout, stderr)
	raw, err := os.ReadFile(stderr.Name())
	if err != nil {
		t.Fatal(err)
	}
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, raw)
	}

	// scanned holds what each place contains, decompressed.
	scanned := map[string][]byte{"standard output": stdout.Bytes(), "standard error": raw}
	for _, f := range writtenFiles {
		n := readTree(t, p.path(f.name), scanned)
		if n == 0 {
			t.Errorf("%s %s: orch wrote nothing there", f.flag, f.name)
		}
	}
	if readTree(t, p.path("out/app"), scanned) == 0 {
		t.Fatal("no OCI layout written")
	}
	var all bytes.Buffer
	for place, data := range scanned {
		all.Write(data)
		for _, s := range []string{fileSecret, envSecret} {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("secret %q leaked into %s", s, place)
			}
		}
	}
	// The scan sees what the step did: its output in the log and its
	// hash of both secrets in a decompressed layer.
	if logs := scanned[filepath.Join(p.path("logs"), "app.log")]; !bytes.Contains(logs, []byte("file=18 env=17")) {
		t.Errorf("the log does not show the step's output:\n%s", logs)
	}
	// The views of the run name the step that used the secrets.
	for _, name := range []string{"report.html", "trace.json"} {
		if !bytes.Contains(scanned[p.path(name)], []byte("--mount=type=secret,id=env")) {
			t.Errorf("%s does not show the step that used the secrets; the scan of it proves nothing", name)
		}
	}
	sum := md5.Sum([]byte(fileSecret + envSecret))
	if !bytes.Contains(all.Bytes(), []byte(hex.EncodeToString(sum[:]))) {
		t.Error("no layer holds the hash of both secrets: the RUN step did not see them, or the layers were not read")
	}
}

// readTree reads the file at path, or every file under the directory at
// path, into scanned by file name, gzip blobs decompressed, and returns
// how many bytes it read. Any error fails the test.
func readTree(t *testing.T, path string, scanned map[string][]byte) int {
	t.Helper()
	total := 0
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				return err
			}
			if data, err = io.ReadAll(zr); err != nil {
				return err
			}
		}
		scanned[p] = data
		total += len(data)
		return nil
	})
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return total
}
