package main

import (
	"bytes"
	"slices"
	"testing"

	"github.com/orch-build/orch/internal/testbed"
)

// TestBuildPush: --push pushes every image output, as bake's --push does:
// an image output without push=true is pushed, and a target with no output
// gets a registry push.
func TestBuildPush(t *testing.T) {
	reg := testbed.StartRegistry(t)
	p := newBuildProject(t, `
variable "BUSYBOX" {}
variable "REGISTRY" {}
target "_base" {
  contexts = { busybox = BUSYBOX }
  args     = { CMD = "echo pushed > /p" }
}
target "image" {
  inherits = ["_base"]
  tags     = ["${REGISTRY}/push/image:1"]
  output   = ["type=image"]
}
target "plain" {
  inherits = ["_base"]
  tags     = ["${REGISTRY}/push/plain:1"]
}
`)
	args := append([]string{"orch"}, p.args("--var", "REGISTRY="+reg.Host, "--progress", "quiet")...)

	var stdout, stderr bytes.Buffer
	if code := run(append(args, "image", "plain"), &stdout, &stderr); code != exitOK {
		t.Fatalf("build without --push: exit %d\n%s", code, stderr.String())
	}
	for _, repo := range []string{"push/image", "push/plain"} {
		if tags := reg.Tags(t, repo); len(tags) != 0 {
			t.Errorf("%s has tags %v before --push", repo, tags)
		}
	}

	stderr.Reset()
	if code := run(append(args, "--push", "image", "plain"), &stdout, &stderr); code != exitOK {
		t.Fatalf("build --push: exit %d\n%s", code, stderr.String())
	}
	for _, repo := range []string{"push/image", "push/plain"} {
		if tags := reg.Tags(t, repo); !slices.Equal(tags, []string{"1"}) {
			t.Errorf("%s tags %v after --push, want [1]", repo, tags)
		}
	}
}
