package buildkit

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/orch-build/orch/internal/testbed"
	"github.com/orch-build/orch/runner"
)

// TestDockerfileAttributes covers the attributes that shape a Dockerfile
// solve: .dockerignore, dockerfile path and inline Dockerfiles, args,
// labels, the target stage, extra hosts, shm-size, ulimits and annotations.
func TestDockerfileAttributes(t *testing.T) {
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
target "file" {
  context    = "app"
  dockerfile = "build/App.dockerfile"
  contexts   = { busybox = BUSYBOX }
  target     = "final"
  args       = { GREETING = "hello" }
  labels     = { "org.example.team" = "builds" }
  extra-hosts = { "db.internal" = "10.1.2.3" }
  shm-size   = "96m"
  ulimits    = ["nofile=1024:2048"]
  annotations = ["org.example.note=annotated", "manifest-descriptor:org.example.scope=descriptor"]
  output     = ["type=oci,tar=false,dest=out/file"]
}
target "inline" {
  context  = "app"
  contexts = { busybox = BUSYBOX }
  dockerfile-inline = <<-EOT
    FROM scratch
    COPY included.txt /included.txt
  EOT
  output = ["type=oci,tar=false,dest=out/inline"]
}`,
		"app/.dockerignore": "secret.txt\n",
		"app/included.txt":  "in\n",
		"app/secret.txt":    "must not be sent\n",
		"app/build/App.dockerfile": busyboxDockerfile + `
FROM scratch AS unused
COPY secret.txt /nothing
FROM scratch AS final
COPY --from=0 / /
ARG GREETING
COPY included.txt /included.txt
RUN echo "$GREETING" > /greeting && \
    (ls / > /root-list) && \
    grep db.internal /etc/hosts > /hosts && \
    df -k /dev/shm | tail -1 | awk '{print $2}' > /shm && \
    ulimit -n > /nofile
`,
	})
	p.mustBuild(buildOpts{})

	l, img := singleImage(t, p.path("out/file"))
	checks := map[string]string{
		"/greeting":     "hello",
		"/included.txt": "in",
		"/shm":          "98304",
		"/nofile":       "1024",
	}
	for f, want := range checks {
		if got := fileIn(t, l, img, f); got != want {
			t.Errorf("%s = %q, want %q", f, got, want)
		}
	}
	if got := fileIn(t, l, img, "/hosts"); !strings.Contains(got, "10.1.2.3") {
		t.Errorf("/etc/hosts line %q, want 10.1.2.3 db.internal", got)
	}
	if _, ok := testbed.File(t, l.Blob, img, "/nothing"); ok {
		t.Errorf("the unused stage was built into the final image")
	}
	if v := img.Config.Config.Labels["org.example.team"]; v != "builds" {
		t.Errorf("label org.example.team = %q", v)
	}
	if v := img.Manifest.Annotations["org.example.note"]; v != "annotated" {
		t.Errorf("manifest annotation org.example.note = %q (annotations %v)", v, img.Manifest.Annotations)
	}

	l2, img2 := singleImage(t, p.path("out/inline"))
	if got := fileIn(t, l2, img2, "/included.txt"); got != "in" {
		t.Errorf("inline: /included.txt = %q", got)
	}
}

// TestDockerignoreKeepsFilesOut checks that an ignored file is never sent to
// the builder: COPY . copies everything that was sent.
func TestDockerignoreKeepsFilesOut(t *testing.T) {
	p := newProject(t, map[string]string{
		"orch.hcl": `
target "app" {
  output = ["type=local,dest=out"]
}`,
		".dockerignore": "ignored/\n*.log\n",
		"Dockerfile":    "FROM scratch\nCOPY . /src/\n",
		"keep.txt":      "keep\n",
		"debug.log":     "noise\n",
		"ignored/a.txt": "no\n",
	})
	p.mustBuild(buildOpts{})
	for _, f := range []string{"out/src/debug.log", "out/src/ignored"} {
		if _, err := os.Stat(p.path(f)); err == nil {
			t.Errorf("%s was sent despite .dockerignore", f)
		}
	}
	if _, err := os.Stat(p.path("out/src/keep.txt")); err != nil {
		t.Errorf("keep.txt: %v", err)
	}
}

// TestNamedContextsFromLayoutAndRegistry builds a base image, then uses it
// as a named context both from its OCI layout and from a registry.
func TestNamedContextsFromLayoutAndRegistry(t *testing.T) {
	reg := testbed.StartRegistry(t)
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
variable "REGISTRY" {}
target "base" {
  context  = "base"
  contexts = { busybox = BUSYBOX }
  tags     = ["${REGISTRY}/ctx/base:1"]
  output   = ["type=oci,tar=false,dest=out/base", "type=registry"]
}
target "from-layout" {
  context  = "child"
  contexts = { base = "oci-layout://out/base:1" }
  output   = ["type=oci,tar=false,dest=out/from-layout"]
}
target "from-registry" {
  context  = "child"
  contexts = { base = "docker-image://${REGISTRY}/ctx/base:1" }
  pull     = true
  output   = ["type=oci,tar=false,dest=out/from-registry"]
}`,
		"base/Dockerfile":  busyboxDockerfile + "RUN echo base > /base.txt\n",
		"child/Dockerfile": "FROM base\nRUN cat /base.txt > /child.txt\n",
	})
	vars := map[string]string{"REGISTRY": reg.Host}
	p.mustBuild(buildOpts{selection: []string{"base"}, vars: vars})
	p.mustBuild(buildOpts{selection: []string{"from-layout", "from-registry"}, vars: vars})
	for _, d := range []string{"out/from-layout", "out/from-registry"} {
		l, img := singleImage(t, p.path(d))
		if got := fileIn(t, l, img, "/child.txt"); got != "base" {
			t.Errorf("%s: /child.txt = %q", d, got)
		}
	}
}

// TestCacheExportAndImport writes a local cache on one daemon and builds
// from it on a fresh one, whose own cache is empty: the RUN step, which
// writes a random stamp, comes from the imported cache, so the second
// image has the first one's stamp.
func TestCacheExportAndImport(t *testing.T) {
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
variable "OUT" {}
target "app" {
  contexts   = { busybox = BUSYBOX }
  cache-to   = ["type=local,dest=cache,mode=max"]
  cache-from = ["type=local,src=cache"]
  output     = ["type=local,dest=${OUT}"]
}`,
		"Dockerfile": busyboxDockerfile + "RUN cat /proc/sys/kernel/random/uuid > /stamp\n",
	})
	p.mustBuild(buildOpts{vars: map[string]string{"OUT": "first"}})
	raw, err := os.ReadFile(p.path("cache/index.json"))
	if err != nil {
		t.Fatalf("cache-to wrote no cache: %v", err)
	}
	if !bytes.Contains(raw, []byte("manifests")) {
		t.Errorf("cache index.json: %s", raw)
	}
	p.bk = testbed.StartExtraBuildKit(t, "")
	rep := p.mustBuild(buildOpts{vars: map[string]string{"OUT": "second"}})
	assertFromImportedCache(t, p, rep)
}

// assertFromImportedCache checks that the build of app into second/ on a
// fresh daemon took its steps from the cache the build into first/ wrote:
// steps are reported cached and the random stamp is the first build's.
func assertFromImportedCache(t *testing.T, p *project, rep *runner.Report) {
	t.Helper()
	if o := outcome(t, rep, "app"); o.Result.Cached == 0 {
		t.Errorf("build on a fresh daemon: %d of %d steps cached, want the RUN step from the imported cache", o.Result.Cached, o.Result.Total)
	}
	first, err := os.ReadFile(p.path("first/stamp"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := os.ReadFile(p.path("second/stamp"))
	if err != nil {
		t.Fatal(err)
	}
	if len(first) == 0 || !bytes.Equal(first, second) {
		t.Errorf("/stamp %q on the fresh daemon, %q on the first: the RUN step ran again instead of coming from the cache", second, first)
	}
}

// TestNoCacheRebuilds checks no-cache and no-cache-filter.
func TestNoCacheRebuilds(t *testing.T) {
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
variable "NOCACHE" { default = false }
target "app" {
  contexts = { busybox = BUSYBOX }
  no-cache = NOCACHE
  output   = ["type=local,dest=out"]
}`,
		"Dockerfile": strings.Replace(busyboxDockerfile, "FROM scratch", "FROM scratch AS build", 1) + "RUN cat /proc/sys/kernel/random/uuid > /stamp\n",
	})
	p.mustBuild(buildOpts{})
	first, _ := os.ReadFile(p.path("out/stamp"))
	p.mustBuild(buildOpts{})
	second, _ := os.ReadFile(p.path("out/stamp"))
	if !bytes.Equal(first, second) || len(first) == 0 {
		t.Fatalf("a cached rebuild changed /stamp: %q then %q", first, second)
	}
	p.mustBuild(buildOpts{vars: map[string]string{"NOCACHE": "true"}})
	third, _ := os.ReadFile(p.path("out/stamp"))
	if bytes.Equal(second, third) {
		t.Errorf("no-cache = true reused the cached RUN step")
	}
	p.mustBuild(buildOpts{sets: []string{"app.no-cache-filter=build"}})
	fourth, _ := os.ReadFile(p.path("out/stamp"))
	if bytes.Equal(third, fourth) {
		t.Errorf("no-cache-filter = [build] reused the cached RUN step")
	}
}

// TestNetworkModes: network=none cuts the RUN step off; host needs the
// network.host entitlement.
func TestNetworkModes(t *testing.T) {
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
target "none" {
  contexts = { busybox = BUSYBOX }
  network  = "none"
  output   = ["type=local,dest=out/none"]
}
target "host" {
  contexts     = { busybox = BUSYBOX }
  network      = "host"
  entitlements = ["network.host"]
  output       = ["type=local,dest=out/host"]
}`,
		"Dockerfile": busyboxDockerfile + "RUN ls /sys/class/net > /ifaces\n",
	})
	p.mustBuild(buildOpts{})
	none, _ := os.ReadFile(p.path("out/none/ifaces"))
	host, _ := os.ReadFile(p.path("out/host/ifaces"))
	if strings.TrimSpace(string(none)) != "lo" {
		t.Errorf("network=none sees interfaces %q, want only lo", none)
	}
	if len(strings.Fields(string(host))) < 2 {
		t.Errorf("network=host sees interfaces %q, want the host's", host)
	}
}

// TestProvenanceAndSBOM: provenance attestations work offline; an SBOM needs
// a scanner image that cannot be pulled here and the error names it.
func TestProvenanceAndSBOM(t *testing.T) {
	p := newProject(t, map[string]string{
		"orch.hcl": `
target "prov" {
  attest = ["type=provenance,mode=max"]
  output = ["type=oci,tar=false,dest=out/prov"]
}
target "sbom" {
  attest = [{ type = "sbom" }]
  output = ["type=oci,tar=false,dest=out/sbom"]
}`,
		"Dockerfile": "FROM scratch\nCOPY Dockerfile /\n",
	})
	p.mustBuild(buildOpts{selection: []string{"prov"}})
	l := testbed.OpenLayout(t, p.path("out/prov"))
	var idx struct {
		Manifests []struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(l.Blob(t, l.Index.Manifests[0].Digest), &idx); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range idx.Manifests {
		if m.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			found = true
		}
	}
	if !found {
		t.Errorf("no attestation manifest in the image index")
	}

	rep, err := p.build(buildOpts{selection: []string{"sbom"}})
	if !errors.Is(err, runner.ErrFailed) {
		t.Fatalf("sbom build: err %v, want a failure (no scanner image offline)", err)
	}
	msg := outcome(t, rep, "sbom").Err.Error()
	if !strings.Contains(msg, "docker/buildkit-syft-scanner") {
		t.Errorf("sbom error %q does not name the scanner image", msg)
	}
	if _, err := os.Stat(p.path("out/sbom")); err == nil {
		t.Errorf("a failed sbom build created out/sbom")
	}
}

// TestPushByDigestAndStdout: push-by-digest leaves no tag; dest=- writes the
// tarball to standard output.
func TestPushByDigestAndStdout(t *testing.T) {
	reg := testbed.StartRegistry(t)
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "REGISTRY" {}
target "app" {
  output = [
    "type=image,name=${REGISTRY}/bydigest/app,push-by-digest=true,push=true",
    "type=tar,dest=-",
  ]
}`,
		"Dockerfile": "FROM scratch\nCOPY Dockerfile /recipe\n",
	})
	stdout := &syncBuffer{}
	rep := p.mustBuild(buildOpts{vars: map[string]string{"REGISTRY": reg.Host}, stdout: stdout})
	o := outcome(t, rep, "app")
	if tags := reg.Tags(t, "bydigest/app"); len(tags) != 0 {
		t.Errorf("push-by-digest left tags %v", tags)
	}
	if o.Result.Digest == "" {
		t.Fatal("no digest reported")
	}
	reg.Manifest(t, "bydigest/app", o.Result.Digest)

	tr := tar.NewReader(strings.NewReader(stdout.String()))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("stdout is not a tar stream: %v", err)
		}
		names = append(names, h.Name)
	}
	if !slices.Contains(names, "recipe") {
		t.Errorf("stdout tar holds %v, want recipe", names)
	}
}

// TestDockerTarball checks type=docker writes a loadable archive.
func TestDockerTarball(t *testing.T) {
	p := newProject(t, map[string]string{
		"orch.hcl": `
target "app" {
  tags   = ["example/app:1"]
  output = ["type=docker,dest=out/app.tar"]
}`,
		"Dockerfile": "FROM scratch\nCOPY Dockerfile /recipe\n",
	})
	p.mustBuild(buildOpts{})
	f, err := os.Open(p.path("out/app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var manifest []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "manifest.json" {
			manifest, _ = io.ReadAll(tr)
		}
	}
	if !bytes.Contains(manifest, []byte("example/app:1")) {
		t.Errorf("manifest.json %s does not tag example/app:1", manifest)
	}
}

// TestLinkedParentExportsItsCache: a parent built only for a target: child
// still writes its cache-to, once its hold ends.
func TestLinkedParentExportsItsCache(t *testing.T) {
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
target "base" {
  context  = "base"
  contexts = { busybox = BUSYBOX }
  cache-to = ["type=local,dest=cache,mode=max"]
}
target "app" {
  context  = "app"
  contexts = { base = "target:base" }
  output   = ["type=local,dest=out"]
}`,
		"base/Dockerfile": busyboxDockerfile + "RUN echo base > /base\n",
		"app/Dockerfile":  "FROM base\nRUN cp /base /app\n",
	})
	rep := p.mustBuild(buildOpts{selection: []string{"app"}})
	if o := outcome(t, rep, "base"); o.Exported {
		t.Fatalf("base was exported; want a linked-only build")
	}
	if _, err := os.Stat(p.path("cache/index.json")); err != nil {
		t.Errorf("the linked parent's cache-to wrote nothing: %v", err)
	}
	if raw, err := os.ReadFile(p.path("out/app")); err != nil || strings.TrimSpace(string(raw)) != "base" {
		t.Errorf("out/app = %q, %v", raw, err)
	}
}
