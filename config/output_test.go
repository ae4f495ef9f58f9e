package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewOutput(t *testing.T) {
	type facts struct {
		Dir, Push, PushByDigest, Insecure, Layout, Local, Stdout bool
		Names                                                    []string
		Err                                                      string
	}
	tests := []struct {
		name  string
		typ   string
		dest  string
		attrs map[string]string
		want  facts
	}{
		{"oci archive by default", "oci", "/o/a.tar", nil, facts{Local: true}},
		{"tar=false is a layout", "oci", "/o/a", map[string]string{"tar": "false"}, facts{Dir: true, Layout: true, Local: true}},
		{"tar=0 is a layout", "oci", "/o/a", map[string]string{"tar": "0"}, facts{Dir: true, Layout: true, Local: true}},
		{"tar=FALSE is a layout", "docker", "/o/a", map[string]string{"tar": "FALSE"}, facts{Dir: true, Layout: true, Local: true}},
		{"tar=f is a layout", "oci", "/o/a", map[string]string{"tar": "f"}, facts{Dir: true, Layout: true, Local: true}},
		{"tar= empty is an archive", "oci", "/o/a", map[string]string{"tar": ""}, facts{Local: true}},
		{"tar=1 is an archive", "oci", "/o/a", map[string]string{"tar": "1"}, facts{Local: true}},
		{"tar=maybe is refused", "oci", "/o/a", map[string]string{"tar": "maybe"}, facts{Local: true, Err: "output type=oci: tar=maybe is not a boolean (want true or false)"}},
		{"local", "local", "/o", nil, facts{Dir: true, Local: true}},
		{"stdout", "tar", "-", nil, facts{Stdout: true}},
		{"registry pushes", "registry", "", map[string]string{"name": "r/a:1, r/b:1,"}, facts{Push: true, Names: []string{"r/a:1", "r/b:1"}}},
		{"image push=true", "image", "", map[string]string{"push": "true"}, facts{Push: true}},
		{"image push= empty pushes, as BuildKit", "image", "", map[string]string{"push": ""}, facts{Push: true}},
		{"image push=0", "image", "", map[string]string{"push": "0"}, facts{}},
		{"image without push", "image", "", nil, facts{}},
		{"push-by-digest and insecure", "image", "", map[string]string{"push": "T", "push-by-digest": "1", "registry.insecure": "true"}, facts{Push: true, PushByDigest: true, Insecure: true}},
		{"bad push", "image", "", map[string]string{"push": "yes"}, facts{Push: true, Err: "output type=image: push=yes is not a boolean (want true or false)"}},
		{"unknown type", "moby", "", nil, facts{Err: `output type=moby: unknown output type "moby" (want image, registry, oci, docker, local, tar, cacheonly, containerd, podman)`}},
		{"containerd writes nothing local", "containerd", "", map[string]string{"namespace": "x"}, facts{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewOutput(tt.typ, tt.dest, tt.attrs)
			got := facts{Dir: o.Dir, Push: o.Push, PushByDigest: o.PushByDigest, Insecure: o.Insecure,
				Layout: o.Layout(), Local: o.Local(), Stdout: o.Stdout(), Names: o.Names}
			if o.Err != nil {
				got.Err = o.Err.Error()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("facts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewOutputOwnsAttrs(t *testing.T) {
	attrs := map[string]string{"name": "a"}
	o := NewOutput("image", "", attrs)
	attrs["name"] = "b"
	if o.Attrs["name"] != "a" {
		t.Errorf("Attrs shares the caller's map: name = %q", o.Attrs["name"])
	}
}

func TestImageNames(t *testing.T) {
	tg := &Target{Tags: []string{" r/a:1", "", "r/a:2"}}
	if got := tg.ImageNames(NewOutput("oci", "/o", nil)); !cmp.Equal(got, []string{"r/a:1", "r/a:2"}) {
		t.Errorf("names from tags = %q", got)
	}
	if got := tg.ImageNames(NewOutput("oci", "/o", map[string]string{"name": "x:1"})); !cmp.Equal(got, []string{"x:1"}) {
		t.Errorf("names from name= = %q", got)
	}
}
