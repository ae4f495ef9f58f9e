package buildkit

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestParseNodeSpec reads --builder values: an address or a buildx name
// with max= and name=, and every mistake with its text.
func TestParseNodeSpec(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want NodeSpec
		err  string
	}{
		{in: "tcp://10.0.0.5:1234,max=8,name=big", want: NodeSpec{Addr: "tcp://10.0.0.5:1234", Max: 8, Name: "big"}},
		{in: "MyBuilder,max=4", want: NodeSpec{Buildx: "mybuilder", Max: 4}},
		{in: "kube-pod://buildkitd-0?namespace=ci", want: NodeSpec{Addr: "kube-pod://buildkitd-0?namespace=ci"}},
		{in: "/run/bk.sock", err: `builder "/run/bk.sock": want a URL such as unix:///run/buildkit/buildkitd.sock, tcp://host:1234 or docker-container://name, or the name of a buildx builder`},
		{in: "b,max=0", err: `builder "b,max=0": max="0": want a whole number of at least 1`},
		{in: "b,name=", err: `builder "b,name=": name= is empty`},
		{in: "b,colour=red", err: `builder "b,colour=red": unknown option "colour=red": want max=N or name=NAME`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseNodeSpec(tc.in)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err || !errors.Is(err, ErrInvalidBuilder) {
					t.Fatalf("error %v, want %q wrapping ErrInvalidBuilder", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBuildxStore reads builder instances as buildx writes them: a remote
// node with its TLS files and configured platforms, a docker-container
// node through its container; a kubernetes builder, an unknown name and
// two nodes of one name are errors that say what to do.
func TestBuildxStore(t *testing.T) {
	store := t.TempDir()
	t.Setenv("BUILDX_CONFIG", store)
	ca := filepath.Join(store, "ca.pem")
	files := map[string]string{
		"ca.pem": "not checked here",
		"instances/farm": `{"Name":"farm","Driver":"remote","Nodes":[
			{"Name":"farm0","Endpoint":"tcp://10.0.0.5:1234","Platforms":[{"architecture":"arm64","os":"linux","variant":"v8"}],"DriverOpts":{"cacert":"` + ca + `"}},
			{"Name":"farm1","Endpoint":"unix:///run/bk.sock"}]}`,
		"instances/local": `{"Name":"local","Driver":"docker-container","Nodes":[{"Name":"local0","Endpoint":"unix:///var/run/docker.sock"}]}`,
		"instances/kube":  `{"Name":"kube","Driver":"kubernetes","Nodes":[{"Name":"kube0"}]}`,
	}
	for name, content := range files {
		path := filepath.Join(store, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	nodes, err := BuilderOptions{Builders: []string{"farm,max=2", "local"}}.nodes()
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		Name, Endpoint, Builder string
		Configured              []string
		Max                     int
		CACert                  string
	}
	var got []view
	for _, n := range nodes {
		got = append(got, view{n.Name, n.Endpoint, n.Builder, n.configured, n.max, n.opts.TLSCACert})
	}
	want := []view{
		{"farm0", "tcp://10.0.0.5:1234", "farm", []string{"linux/arm64/v8"}, 2, ca},
		{"farm1", "unix:///run/bk.sock", "farm", nil, 2, ""},
		{"local0", "docker-container://buildx_buildkit_local0", "local", nil, 0, ""},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		builders []string
		err      string
	}{
		{[]string{"nosuch"}, `no buildx builder named "nosuch" in ` + store + `; the builders there are farm, kube, local`},
		{[]string{"kube"}, "buildx builder kube, node kube0: the kubernetes driver's pods are found through the Kubernetes API, which orch does not use; create a remote builder with one kube-pod://POD endpoint per pod (docker buildx create --driver remote kube-pod://POD, then --append), or name the pods with --builder kube-pod://POD"},
		{[]string{"farm", "unix:///run/bk.sock,name=farm1"}, "two builder nodes are named farm1; give one a name=NAME"},
	} {
		_, err := BuilderOptions{Builders: tc.builders}.nodes()
		if err == nil || err.Error() != tc.err || !errors.Is(err, ErrInvalidBuilder) {
			t.Errorf("%q: error %v, want %q wrapping ErrInvalidBuilder", tc.builders, err, tc.err)
		}
	}
}
