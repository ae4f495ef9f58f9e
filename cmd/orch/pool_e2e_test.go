package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/orch-build/orch/internal/testbed"
)

// The builder pool on the test bed: buildkitd daemons of the test's own,
// two with linux/amd64 as their native platform and one with linux/arm64
// (which QEMU runs on this machine). Each test starts the nodes it needs;
// the daemons' build histories say what reached each node.

// poolNode is one daemon of a test's pool and the --builder value naming it.
type poolNode struct {
	name string
	bk   *testbed.BuildKit
}

// arg is the --builder value of n with its limit.
func (n poolNode) arg(max int) string {
	return fmt.Sprintf("%s,name=%s,max=%d", n.bk.Addr, n.name, max)
}

// startPoolNode starts a node whose native platform is platform.
func startPoolNode(t *testing.T, name, platform string) poolNode {
	t.Helper()
	return poolNode{name: name, bk: testbed.StartPlatformBuildKit(t, platform)}
}

// poolReport is the part of a --report the pool tests read.
type poolReport struct {
	Status  string `json:"status"`
	Targets []struct {
		Name     string `json:"name"`
		Status   string `json:"status"`
		Attempts []struct {
			Node      string `json:"node"`
			Transient bool   `json:"transient"`
			Error     string `json:"error"`
			Placement []struct {
				Platform string `json:"platform"`
				Node     string `json:"node"`
			} `json:"placement"`
		} `json:"attempts"`
		Placement []struct {
			Platform string `json:"platform"`
			Node     string `json:"node"`
		} `json:"placement"`
	} `json:"targets"`
}

func readPoolReport(t *testing.T, path string) poolReport {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkReportSchema(t, raw)
	var rep poolReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// writeProject writes files (name → content) into a new directory.
func writeProject(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// orchExpect runs orch with args and fails the test on an exit code other
// than want.
func orchExpect(t *testing.T, want int, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"orch"}, args...), &stdout, &stderr); code != want {
		t.Fatalf("orch %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, &stdout, &stderr)
	}
	return stdout.String() + stderr.String()
}

// independentTargets is n targets of buildDockerfile, each with a RUN of
// its own (no two share a cache key), exported as OCI layouts.
func independentTargets(n int, cmd string) string {
	var b strings.Builder
	b.WriteString("variable \"BUSYBOX\" {}\n")
	for i := range n {
		fmt.Fprintf(&b, "target \"t%02d\" {\n  contexts = { busybox = BUSYBOX }\n  args = { CMD = \"echo %d > /n; %s\" }\n  output = [\"type=oci,tar=false,dest=out/t%02d\"]\n}\n", i, i, cmd, i)
	}
	b.WriteString("group \"default\" {\n  targets = [")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "\"t%02d\"", i)
	}
	b.WriteString("]\n}\n")
	return b.String()
}

// TestPoolFairShare: 24 independent RUN targets over two amd64 nodes with
// a limit of 3 each: both nodes run a fair share of the solves, as their
// build histories count them, the report names the same node for each,
// and no node ever ran more than its limit at once.
func TestPoolFairShare(t *testing.T) {
	a, b := startPoolNode(t, "a", "linux/amd64"), startPoolNode(t, "b", "linux/amd64")
	bb := testbed.Busybox(t)
	dir := writeProject(t, map[string]string{"orch.hcl": independentTargets(24, "sleep 1"), "Dockerfile": buildDockerfile})
	orchExpect(t, exitOK, "build", "-f", filepath.Join(dir, "orch.hcl"), "--var", "BUSYBOX="+bb, "--progress", "quiet",
		"--builder", a.arg(3), "--builder", b.arg(3), "--jobs", "12", "--report", filepath.Join(dir, "report.json"))

	rep := readPoolReport(t, filepath.Join(dir, "report.json"))
	byReport := map[string]int{}
	for _, tg := range rep.Targets {
		if tg.Status != "built" || len(tg.Attempts) != 1 {
			t.Fatalf("target %s: status %s after %d attempts", tg.Name, tg.Status, len(tg.Attempts))
		}
		byReport[tg.Attempts[0].Node]++
	}
	total := 0
	for _, n := range []poolNode{a, b} {
		hs := n.bk.Histories(t)
		total += len(hs)
		t.Logf("node %s: %d solves, at most %d at once", n.name, len(hs), testbed.MaxConcurrent(hs))
		if len(hs) < 8 {
			t.Errorf("node %s ran %d of the 24 solves, want a fair share (at least 8)", n.name, len(hs))
		}
		if len(hs) != byReport[n.name] {
			t.Errorf("node %s: %d solves in its history, the report places %d there", n.name, len(hs), byReport[n.name])
		}
		if most := testbed.MaxConcurrent(hs); most > 3 {
			t.Errorf("node %s ran %d solves at once, above its limit of 3", n.name, most)
		}
	}
	if total != 24 {
		t.Errorf("the nodes ran %d solves, want 24", total)
	}
}

// multiPlatformDockerfile records the architecture its RUN saw.
const multiPlatformDockerfile = `FROM scratch
ARG TARGETARCH
COPY --from=busybox ${TARGETARCH}/busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox uname -m > /arch"]
`

// TestPoolMultiPlatformNative: a linux/amd64,linux/arm64 target with a
// registry and an OCI layout output over an amd64 node and an arm64 node
// (each can emulate the other): each platform is built on the node where
// it is native, as their histories show; each destination holds one
// index of both platforms, and the arm64 image's RUN saw aarch64.
func TestPoolMultiPlatformNative(t *testing.T) {
	amd, arm := startPoolNode(t, "amd", "linux/amd64"), startPoolNode(t, "arm", "linux/arm64")
	reg := testbed.StartRegistry(t)
	bb := testbed.Busybox(t)
	ref := reg.Host + "/pool/app:1"
	hcl := fmt.Sprintf(`variable "BUSYBOX" {}
target "app" {
  contexts  = { busybox = BUSYBOX }
  platforms = ["linux/amd64", "linux/arm64"]
  output    = ["type=oci,tar=false,dest=out/app", "type=image,name=%s,push=true"]
}
`, ref)
	dir := writeProject(t, map[string]string{"orch.hcl": hcl, "Dockerfile": multiPlatformDockerfile})
	orchExpect(t, exitOK, "build", "-f", filepath.Join(dir, "orch.hcl"), "--var", "BUSYBOX="+bb, "--progress", "quiet",
		"--builder", amd.arg(2), "--builder", arm.arg(2), "--report", filepath.Join(dir, "report.json"), "app")

	for _, n := range []struct {
		node poolNode
		want string
	}{{amd, "linux/amd64"}, {arm, "linux/arm64"}} {
		var asked []string
		for _, h := range n.node.bk.Histories(t) {
			asked = append(asked, h.FrontendAttrs["platform"])
		}
		if !slices.Equal(asked, []string{n.want}) {
			t.Errorf("node %s built for platforms %q, want one build for %s", n.node.name, asked, n.want)
		}
	}
	rep := readPoolReport(t, filepath.Join(dir, "report.json"))
	var placed []string
	for _, p := range rep.Targets[0].Placement {
		placed = append(placed, p.Platform+"@"+p.Node)
	}
	slices.Sort(placed)
	if want := []string{"linux/amd64@amd", "linux/arm64@arm"}; !slices.Equal(placed, want) {
		t.Errorf("report placement %q, want %q", placed, want)
	}

	want := map[string]string{"linux/amd64": "x86_64\n", "linux/arm64": "aarch64\n"}
	checkArch := func(where string, blob testbed.BlobFunc, images []testbed.Image) {
		t.Helper()
		got := map[string]string{}
		for _, img := range images {
			data, ok := testbed.File(t, blob, img, "arch")
			if !ok {
				t.Errorf("%s: the %s image has no /arch", where, img.Platform())
			}
			got[img.Platform()] = string(data)
		}
		if len(got) != len(want) {
			t.Errorf("%s: images %v, want one per platform of %v", where, got, want)
		}
		for p, arch := range want {
			if got[p] != arch {
				t.Errorf("%s: the %s image's RUN saw %q, want %q", where, p, got[p], arch)
			}
		}
	}
	layout := testbed.OpenLayout(t, filepath.Join(dir, "out", "app"))
	if len(layout.Index.Manifests) != 1 {
		t.Fatalf("the layout's index.json lists %d entries, want one index", len(layout.Index.Manifests))
	}
	checkArch("layout", layout.Blob, layout.Images(t))
	if mt, _ := reg.Manifest(t, "pool/app", "1"); !strings.Contains(mt, "index") {
		t.Errorf("the registry's pool/app:1 is a %s, want an image index", mt)
	}
	checkArch("registry", reg.BlobFunc("pool/app"), reg.Images(t, "pool/app", "1"))
}

// TestPoolLinkedChildOtherNode: a child linked with target: whose
// platform is native on another node than its parent's gets the parent's
// result there: the parent's RUN ran on the arm64 node, the child built
// on the amd64 node copies what it wrote, and the plan says the result
// crosses nodes.
func TestPoolLinkedChildOtherNode(t *testing.T) {
	amd, arm := startPoolNode(t, "amd", "linux/amd64"), startPoolNode(t, "arm", "linux/arm64")
	bb := testbed.Busybox(t)
	hcl := `variable "BUSYBOX" {}
target "parent" {
  contexts  = { busybox = BUSYBOX }
  platforms = ["linux/arm64"]
}
target "child" {
  contexts          = { parent = "target:parent" }
  platforms         = ["linux/amd64"]
  dockerfile-inline = "FROM scratch\nCOPY --from=parent /arch /parent-arch\n"
  output            = ["type=oci,tar=false,dest=out/child"]
}
`
	dir := writeProject(t, map[string]string{"orch.hcl": hcl, "Dockerfile": multiPlatformDockerfile})
	pool := []string{"--builder", amd.arg(2), "--builder", arm.arg(2)}
	base := append([]string{"-f", filepath.Join(dir, "orch.hcl"), "--var", "BUSYBOX=" + bb}, pool...)

	plan := orchExpect(t, exitOK, append(append([]string{"plan"}, base...), "--format", "json", "child")...)
	var doc struct {
		Targets []struct {
			Name         string `json:"name"`
			Dependencies []struct {
				Target    string                                     `json:"target"`
				Transfers []struct{ Platform, From, To, Via string } `json:"transfers"`
			} `json:"dependencies"`
		} `json:"targets"`
	}
	if err := json.Unmarshal([]byte(plan), &doc); err != nil {
		t.Fatalf("plan: %v\n%s", err, plan)
	}
	var transfers []string
	for _, tg := range doc.Targets {
		for _, d := range tg.Dependencies {
			for _, x := range d.Transfers {
				transfers = append(transfers, fmt.Sprintf("%s<-%s %s %s->%s via %s", tg.Name, d.Target, x.Platform, x.From, x.To, x.Via))
			}
		}
	}
	if want := []string{"child<-parent linux/amd64 arm->amd via oci-layout"}; !slices.Equal(transfers, want) {
		t.Errorf("plan transfers %q, want %q\n%s", transfers, want, plan)
	}

	table := orchExpect(t, exitOK, append(append([]string{"plan"}, base...), "child")...)
	if !regexp.MustCompile(`(?m)^child +linux/amd64 +amd +gets parent from arm as an OCI layout \(context parent\)$`).MatchString(table) {
		t.Errorf("the plan's table does not show the transfer:\n%s", table)
	}

	orchExpect(t, exitOK, append(append([]string{"build"}, base...), "--progress", "quiet", "--report", filepath.Join(dir, "report.json"), "child")...)
	rep := readPoolReport(t, filepath.Join(dir, "report.json"))
	nodes := map[string]string{}
	for _, tg := range rep.Targets {
		nodes[tg.Name] = tg.Attempts[len(tg.Attempts)-1].Node
	}
	if nodes["parent"] != "arm" || nodes["child"] != "amd" {
		t.Errorf("report: parent on %q, child on %q; want parent on arm, child on amd", nodes["parent"], nodes["child"])
	}
	// The parent's Dockerfile (it has the busybox context) is solved on
	// the arm64 node alone, the child's (it has the parent's) on the amd64
	// node alone: the parent's result crossed, it was not built again.
	solved := func(n poolNode, context string) (count int) {
		for _, h := range n.bk.Histories(t) {
			if h.FrontendAttrs["context:"+context] != "" {
				count++
			}
		}
		return count
	}
	if p, c := solved(arm, "busybox"), solved(arm, "parent"); p == 0 || c != 0 {
		t.Errorf("arm64 node: %d solves of the parent, %d of the child; want the parent alone", p, c)
	}
	if p, c := solved(amd, "busybox"), solved(amd, "parent"); p != 0 || c == 0 {
		t.Errorf("amd64 node: %d solves of the parent, %d of the child; want the child alone", p, c)
	}
	layout := testbed.OpenLayout(t, filepath.Join(dir, "out", "child"))
	imgs := layout.Images(t)
	if len(imgs) != 1 {
		t.Fatalf("child layout: %d images, want 1", len(imgs))
	}
	if data, _ := testbed.File(t, layout.Blob, imgs[0], "parent-arch"); string(data) != "aarch64\n" {
		t.Errorf("the child's copy of the parent's /arch is %q, want the arm64 parent's aarch64", data)
	}
}

// holdServer accepts the connections of RUN steps on the test bed's
// loopback and answers none until release is closed; later connections
// are answered at once. arrived gets a value per connection.
type holdServer struct {
	addr    string
	arrived chan struct{}
	release chan struct{}
}

func startHoldServer(t *testing.T) *holdServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &holdServer{addr: ln.Addr().String(), arrived: make(chan struct{}, 64), release: make(chan struct{})}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				// The step's line arrives first, then it waits for ours.
				_, _ = bufio.NewReader(c).ReadString('\n')
				s.arrived <- struct{}{}
				<-s.release
				_, _ = c.Write([]byte("go\n"))
			})
		}
	})
	return s
}

// TestPoolLostNode: a node killed by its pid while it runs solves: the run
// exits 0, every target is built, and the report shows each of the lost
// node's solves retried on the other node.
func TestPoolLostNode(t *testing.T) {
	a, b := startPoolNode(t, "a", "linux/amd64"), startPoolNode(t, "b", "linux/amd64")
	bb := testbed.Busybox(t)
	srv := startHoldServer(t)
	host, port, _ := strings.Cut(srv.addr, ":")
	// Each RUN reports to the test and waits for its answer; with both
	// nodes at their limit of 2, four solves are in flight at once.
	var hcl strings.Builder
	hcl.WriteString("variable \"BUSYBOX\" {}\n")
	for i := range 6 {
		fmt.Fprintf(&hcl, `target "t%d" {
  contexts     = { busybox = BUSYBOX }
  network      = "host"
  entitlements = ["network.host"]
  args         = { CMD = "echo t%d | nc %s %s > /reply; grep -q go /reply" }
  output       = ["type=oci,tar=false,dest=out/t%d"]
}
`, i, i, host, port, i)
	}
	hcl.WriteString(`group "default" { targets = ["t0", "t1", "t2", "t3", "t4", "t5"] }` + "\n")
	dir := writeProject(t, map[string]string{"orch.hcl": hcl.String(), "Dockerfile": buildDockerfile})

	done := make(chan string, 1)
	go func() {
		var stdout, stderr bytes.Buffer
		code := run([]string{"orch", "build", "-f", filepath.Join(dir, "orch.hcl"), "--var", "BUSYBOX=" + bb, "--progress", "quiet",
			"--builder", a.arg(2), "--builder", b.arg(2), "--jobs", "6", "--retries", "2", "--allow", "network.host",
			"--report", filepath.Join(dir, "report.json")}, &stdout, &stderr)
		done <- fmt.Sprintf("exit %d\n%s%s", code, &stdout, &stderr)
	}()
	for range 4 {
		select {
		case <-srv.arrived:
		case out := <-done:
			t.Fatalf("the run ended before four solves were in flight: %s", out)
		}
	}
	// Both nodes are full: a has two solves in flight.
	a.bk.Kill()
	close(srv.release)
	out := <-done
	if !strings.HasPrefix(out, "exit 0\n") {
		t.Fatalf("orch build: %s", out)
	}

	rep := readPoolReport(t, filepath.Join(dir, "report.json"))
	retried := 0
	for _, tg := range rep.Targets {
		if tg.Status != "built" {
			t.Errorf("target %s: %s", tg.Name, tg.Status)
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "out", tg.Name, "index.json")); err != nil {
			t.Errorf("target %s: %v", tg.Name, err)
		}
		last := tg.Attempts[len(tg.Attempts)-1]
		if last.Node != "b" {
			t.Errorf("target %s: built on %q, want b (a was lost)", tg.Name, last.Node)
		}
		if len(tg.Attempts) > 1 {
			retried++
			first := tg.Attempts[0]
			if first.Node != "a" || !first.Transient || first.Error == "" {
				t.Errorf("target %s: first attempt on %q, transient %v, error %q; want a lost-node error on a", tg.Name, first.Node, first.Transient, first.Error)
			}
		}
	}
	if retried != 2 {
		t.Errorf("%d targets were retried, want the 2 that were in flight on a", retried)
	}
}

// TestPoolBuildxBuilder: a buildx builder instance of two remote nodes,
// created with the real buildx in a store of the test's own, is used
// through --builder NAME: both nodes build, and the report names them as
// buildx does. A name no builder has is an error that lists the builders.
func TestPoolBuildxBuilder(t *testing.T) {
	buildx, err := testbed.Binary("buildx")
	if err != nil {
		testbed.Unavailable(t, "%v", err)
	}
	a, b := startPoolNode(t, "a", "linux/amd64"), startPoolNode(t, "b", "linux/amd64")
	bb := testbed.Busybox(t)
	store := t.TempDir()
	t.Setenv("BUILDX_CONFIG", store)
	for _, args := range [][]string{
		{"create", "--name", "pooltest", "--node", "pooltest0", "--driver", "remote", a.bk.Addr},
		{"create", "--append", "--name", "pooltest", "--node", "pooltest1", "--driver", "remote", b.bk.Addr},
		// A node that does not answer is left out of the run.
		{"create", "--append", "--name", "pooltest", "--node", "pooltest2", "--driver", "remote", "unix://" + filepath.Join(store, "gone.sock")},
	} {
		cmd := exec.Command(buildx, args...)
		cmd.Env = append(os.Environ(), "BUILDX_CONFIG="+store)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("buildx %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	dir := writeProject(t, map[string]string{"orch.hcl": independentTargets(6, "true"), "Dockerfile": buildDockerfile})
	out := orchExpect(t, exitOK, "build", "-f", filepath.Join(dir, "orch.hcl"), "--var", "BUSYBOX="+bb, "--progress", "quiet",
		"--builder", "pooltest,max=1", "--report", filepath.Join(dir, "report.json"))
	if !strings.Contains(out, "node pooltest2 is not used") {
		t.Errorf("no warning about the buildx node that does not answer:\n%s", out)
	}
	rep := readPoolReport(t, filepath.Join(dir, "report.json"))
	byReport := map[string]int{}
	for _, tg := range rep.Targets {
		byReport[tg.Attempts[len(tg.Attempts)-1].Node]++
	}
	for _, n := range []struct {
		name string
		bk   *testbed.BuildKit
	}{{"pooltest0", a.bk}, {"pooltest1", b.bk}} {
		hs := n.bk.Histories(t)
		if len(hs) == 0 || len(hs) != byReport[n.name] {
			t.Errorf("buildx node %s: %d solves in its history, %d in the report; want the same, more than none", n.name, len(hs), byReport[n.name])
		}
	}

	// orch builder ls: every node, its endpoint, status, platforms and
	// how many solves of the report ran there.
	ls := orchExpect(t, exitOK, "builder", "ls", "--builder", "pooltest", "--report", filepath.Join(dir, "report.json"))
	t.Logf("orch builder ls:\n%s", ls)
	for _, want := range []string{
		fmt.Sprintf(`(?m)^pooltest0 +%s +running +linux/amd64 +\S*linux/arm64\S* +\d+ +%d$`, regexp.QuoteMeta(a.bk.Addr), byReport["pooltest0"]),
		fmt.Sprintf(`(?m)^pooltest1 +%s +running +linux/amd64 +\S*linux/arm64\S* +\d+ +%d$`, regexp.QuoteMeta(b.bk.Addr), byReport["pooltest1"]),
		`(?m)^pooltest2 +unix://\S+gone.sock +unreachable +- +- +- +0$`,
		`(?m)^pooltest2: builder unix://\S+gone.sock does not answer: .*no such file or directory`,
	} {
		if !regexp.MustCompile(want).MatchString(ls) {
			t.Errorf("orch builder ls has no line matching %s:\n%s", want, ls)
		}
	}

	out = orchExpect(t, exitUsage, "build", "-f", filepath.Join(dir, "orch.hcl"), "--var", "BUSYBOX="+bb, "--builder", "nosuch")
	if !strings.Contains(out, "nosuch") || !strings.Contains(out, "pooltest") {
		t.Errorf("an unknown builder's error names neither it nor the builders there are:\n%s", out)
	}
}
