package graph

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/config"
)

func TestDestinationConflicts(t *testing.T) {
	tests := []struct {
		name      string
		targets   []*config.Target
		selection []string
		want      string // "" when the plan is valid
	}{
		{
			name: "several targets into one OCI layout directory, each under its own name",
			targets: targets(
				target("a", 1, outputs(out("oci", "/w/out/images", "tar", "false"))),
				target("b", 10, tags("r/b:1", "r/b:latest"), outputs(out("oci", "/w/out/images", "tar", "false"))),
				target("c", 20, tags("r/b:2"), outputs(out("docker", "/w/out/./images/", "tar", "false"))),
				target("d", 30, tags("r/b:1"), outputs(out("oci", "/w/out/images", "tar", "false", "name", "r/d:1"))),
			),
		},
		{
			name: "two targets into one OCI layout directory under one name",
			targets: targets(
				target("a", 1, tags("r/app:1"), outputs(out("oci", "/w/out/images", "tar", "false"))),
				target("b", 10, outputs(out("oci", "/w/out/images", "tar", "false", "name", "r/x:1, r/app:1"))),
				target("c", 20, tags("r/c:1"), outputs(out("oci", "/w/out/images", "tar", "false"))),
			),
			want: lines(
				`destination conflict: /w/out/images is written by 3 outputs`,
				`  orch.hcl:5: target "a" output 1 (oci-layout:/w/out/images)`,
				`  orch.hcl:14: target "b" output 1 (oci-layout:/w/out/images)`,
				`  orch.hcl:24: target "c" output 1 (oci-layout:/w/out/images)`,
			),
		},
		{
			name: "a target named like another target's tag-less image",
			targets: targets(
				target("a", 1, outputs(out("oci", "/w/l", "tar", "false"))),
				target("b", 10, outputs(out("oci", "/w/l", "tar", "false", "name", "a"))),
			),
			want: lines(
				`destination conflict: /w/l is written by 2 outputs`,
				`  orch.hcl:5: target "a" output 1 (oci-layout:/w/l)`,
				`  orch.hcl:14: target "b" output 1 (oci-layout:/w/l)`,
			),
		},
		{
			name: "an OCI layout directory and an archive at one path",
			targets: targets(
				target("a", 1, outputs(out("oci", "/w/l", "tar", "false"))),
				target("b", 10, outputs(out("oci", "/w/l"))),
			),
			want: lines(
				`destination conflict: /w/l is written by 2 outputs`,
				`  orch.hcl:5: target "a" output 1 (oci-layout:/w/l)`,
				`  orch.hcl:14: target "b" output 1 (oci:/w/l)`,
			),
		},
		{
			name: "one target into one OCI layout directory twice",
			targets: targets(
				target("a", 1, outputs(out("oci", "/w/l", "tar", "false", "name", "r/a:1"), out("oci", "/w/l", "tar", "false", "name", "r/a:2"))),
			),
			want: lines(
				`destination conflict: /w/l is written by 2 outputs`,
				`  orch.hcl:5: target "a" output 1 (oci-layout:/w/l)`,
				`  orch.hcl:5: target "a" output 2 (oci-layout:/w/l)`,
			),
		},
		{
			name: "an OCI archive and a local directory at one path, spelled differently",
			targets: targets(
				target("a", 1, outputs(out("oci", "/w/out/app"))),
				target("b", 10, outputs(out("local", "/w/out/./app/"))),
			),
			want: lines(
				`destination conflict: /w/out/app is written by 2 outputs`,
				`  orch.hcl:5: target "a" output 1 (oci:/w/out/app)`,
				`  orch.hcl:14: target "b" output 1 (local:/w/out/./app/)`,
			),
		},
		{
			name: "two outputs of one target",
			targets: targets(
				target("a", 1, outputs(out("image", "", "name", "r/a", "push", "true"), out("tar", "/w/a.tar"), out("docker", "/w/a.tar"))),
			),
			want: lines(
				`destination conflict: /w/a.tar is written by 2 outputs`,
				`  orch.hcl:5: target "a" output 2 (tar:/w/a.tar)`,
				`  orch.hcl:5: target "a" output 3 (docker:/w/a.tar)`,
			),
		},
		{
			name: "stdout twice",
			targets: targets(
				target("a", 1, outputs(out("oci", "-"))),
				target("b", 10, outputs(out("tar", "-"))),
				target("c", 20, outputs(out("docker", "-"))),
			),
			selection: []string{"a", "b", "c"},
			want: lines(
				`destination conflict: stdout (dest=-) is written by 3 outputs`,
				`  orch.hcl:5: target "a" output 1 (oci:stdout)`,
				`  orch.hcl:14: target "b" output 1 (tar:stdout)`,
				`  orch.hcl:24: target "c" output 1 (docker:stdout)`,
			),
		},
		{
			name: "every conflicting path is reported, sorted",
			targets: targets(
				target("a", 1, outputs(out("local", "/w/z"), out("local", "/w/y"))),
				target("b", 10, outputs(out("local", "/w/y"), out("local", "/w/z"))),
			),
			want: lines(
				`destination conflict: /w/y is written by 2 outputs`,
				`  orch.hcl:5: target "a" output 2 (local:/w/y)`,
				`  orch.hcl:14: target "b" output 1 (local:/w/y)`,
				`destination conflict: /w/z is written by 2 outputs`,
				`  orch.hcl:5: target "a" output 1 (local:/w/z)`,
				`  orch.hcl:14: target "b" output 2 (local:/w/z)`,
			),
		},
		{
			name: "a target built only as a context writes nothing",
			targets: targets(
				target("base", 1, outputs(out("oci", "/w/out/app", "tar", "false"))),
				target("app", 10, contexts("base", "target:base"), outputs(out("oci", "/w/out/app", "tar", "false"))),
			),
			selection: []string{"app"},
		},
		{
			name: "a target ordered before another writes its outputs",
			targets: targets(
				target("base", 1, outputs(out("local", "/w/out"))),
				target("app", 10, dependsOn("base"), outputs(out("local", "/w/out"))),
			),
			selection: []string{"app"},
			want: lines(
				`destination conflict: /w/out is written by 2 outputs`,
				`  orch.hcl:14: target "app" output 1 (local:/w/out)`,
				`  orch.hcl:5: target "base" output 1 (local:/w/out)`,
			),
		},
		{
			name: "registry pushes, image stores and cache-only outputs write nothing local",
			targets: targets(
				target("a", 1, tags("r/app:1"), outputs(out("image", "", "push", "true"), out("cacheonly", ""), out("registry", "", "name", "r/x"))),
				target("b", 10, tags("r/app:1"), outputs(out("image", "", "push", "true"), out("cacheonly", ""), out("registry", "", "name", "r/x"))),
			),
		},
		{
			name: "different paths side by side, one name a prefix of another",
			targets: targets(
				target("a", 1, outputs(out("oci", "/w/out/a", "tar", "false"), out("tar", "/w/out/a.tar"))),
				target("b", 10, outputs(out("local", "/w/out-b"), out("local", "/w/out/ab"))),
			),
		},
		{
			name: "one image under two spellings of its name in one layout",
			targets: targets(
				target("a", 1, tags("app:1"), outputs(out("oci", "/w/l", "tar", "false"))),
				target("b", 10, tags("docker.io/library/app:1"), outputs(out("oci", "/w/l", "tar", "false"))),
			),
			want: lines(
				`destination conflict: /w/l is written by 2 outputs`,
				`  orch.hcl:5: target "a" output 1 (oci-layout:/w/l)`,
				`  orch.hcl:14: target "b" output 1 (oci-layout:/w/l)`,
			),
		},
		{
			name: "an untagged name is the latest tag",
			targets: targets(
				target("a", 1, outputs(out("oci", "/w/l", "tar", "false", "name", "r/app"))),
				target("b", 10, outputs(out("oci", "/w/l", "tar", "false", "name", "docker.io/r/app:latest"))),
			),
			want: lines(
				`destination conflict: /w/l is written by 2 outputs`,
				`  orch.hcl:5: target "a" output 1 (oci-layout:/w/l)`,
				`  orch.hcl:14: target "b" output 1 (oci-layout:/w/l)`,
			),
		},
		{
			name: "tar=0 is a layout: two targets under one name in it",
			targets: targets(
				target("a", 1, tags("r/app:1"), outputs(out("oci", "/w/out", "tar", "0"))),
				target("b", 10, tags("r/app:1"), outputs(out("oci", "/w/out", "tar", "0"))),
			),
			want: lines(
				`destination conflict: /w/out is written by 2 outputs`,
				`  orch.hcl:5: target "a" output 1 (oci-layout:/w/out)`,
				`  orch.hcl:14: target "b" output 1 (oci-layout:/w/out)`,
			),
		},
		{
			name: "a layout inside a local destination",
			targets: targets(
				target("a", 1, outputs(out("local", "/w/out2"))),
				target("b", 10, outputs(out("oci", "/w/out2/img", "tar", "false"))),
			),
			want: lines(
				`destination conflict: /w/out2/img is inside /w/out2`,
				`  orch.hcl:14: target "b" output 1 (oci-layout:/w/out2/img)`,
				`  orch.hcl:5: target "a" output 1 (local:/w/out2)`,
			),
		},
		{
			name: "files inside a shared layout, and inside a file, each under the nearest",
			targets: targets(
				target("a", 1, outputs(out("oci", "/w/l", "tar", "false", "name", "r/a"))),
				target("b", 10, outputs(out("oci", "/w/l", "tar", "false", "name", "r/b"), out("tar", "/w/l/sub/b.tar"))),
				target("c", 20, outputs(out("local", "/w/l/sub/b.tar/x"), out("tar", "/w/l/c.tar"))),
			),
			want: lines(
				`destination conflict: /w/l/c.tar is inside /w/l`,
				`  orch.hcl:24: target "c" output 2 (tar:/w/l/c.tar)`,
				`  orch.hcl:5: target "a" output 1 (oci-layout:/w/l)`,
				`  orch.hcl:14: target "b" output 1 (oci-layout:/w/l)`,
				`destination conflict: /w/l/sub/b.tar is inside /w/l`,
				`  orch.hcl:14: target "b" output 2 (tar:/w/l/sub/b.tar)`,
				`  orch.hcl:5: target "a" output 1 (oci-layout:/w/l)`,
				`  orch.hcl:14: target "b" output 1 (oci-layout:/w/l)`,
				`destination conflict: /w/l/sub/b.tar/x is inside /w/l/sub/b.tar`,
				`  orch.hcl:24: target "c" output 1 (local:/w/l/sub/b.tar/x)`,
				`  orch.hcl:14: target "b" output 2 (tar:/w/l/sub/b.tar)`,
			),
		},
		{
			name: "a layout inside the root",
			targets: targets(
				target("a", 1, outputs(out("local", "/"), out("oci", "/l", "tar", "false"))),
			),
			want: lines(
				`destination conflict: /l is inside /`,
				`  orch.hcl:5: target "a" output 2 (oci-layout:/l)`,
				`  orch.hcl:5: target "a" output 1 (local:/)`,
			),
		},
		{
			name: "directories and files inside a local directory, which keeps what is there",
			targets: targets(
				target("bin", 1, outputs(out("local", "/w/project"))),
				target("docs", 10, outputs(out("local", "/w/project/docs"), out("tar", "/w/project/dist/app.tar"))),
				target("deep", 20, outputs(out("local", "/w/project/docs/api"))),
			),
		},
		{
			name: "a layout inside a local directory inside a local directory, against the nearest",
			targets: targets(
				target("bin", 1, outputs(out("local", "/w/project"))),
				target("docs", 10, outputs(out("local", "/w/project/docs"))),
				target("img", 20, outputs(out("oci", "/w/project/docs/img", "tar", "false"))),
			),
			want: lines(
				`destination conflict: /w/project/docs/img is inside /w/project/docs`,
				`  orch.hcl:24: target "img" output 1 (oci-layout:/w/project/docs/img)`,
				`  orch.hcl:14: target "docs" output 1 (local:/w/project/docs)`,
			),
		},
		{
			name: "targets outside the plan are not checked",
			targets: targets(
				target("a", 1, outputs(out("local", "/w/out"))),
				target("b", 10, outputs(out("local", "/w/out"))),
				target("c", 20, outputs(out("local", "/w/out"))),
			),
			selection: []string{"c"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel := tt.selection
			if sel == nil {
				sel = []string{"all"}
			}
			p, err := New(conf(tt.targets), sel)
			if (p == nil) == (err == nil) {
				t.Errorf("New returned plan %v and error %v: want exactly one", p != nil, err)
			}
			if diff := cmp.Diff(tt.want, errText(err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConflictErrorType(t *testing.T) {
	_, err := New(conf(targets(
		target("a", 1, tags("r/a:1"), outputs(out("oci", "/w/l", "tar", "0"))),
		target("b", 10, tags("r/a:1"), outputs(out("oci", "/w/l", "tar", "false"))),
	)), []string{"all"})
	var conflict *ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("want a ConflictError, got %v", err)
	}
	want := &ConflictError{Path: "/w/l", Writers: []Writer{
		{Target: "a", Output: 0, Dest: "oci-layout:/w/l", Range: at(5)},
		{Target: "b", Output: 0, Dest: "oci-layout:/w/l", Range: at(14)},
	}}
	if diff := cmp.Diff(want, conflict); diff != "" {
		t.Errorf("conflict (-want +got):\n%s", diff)
	}
}

func TestLocalDest(t *testing.T) {
	tests := []struct {
		name     string
		entry    config.Output
		wantPath string
		wantKind destKind
		wantOK   bool
	}{
		{"oci archive", out("oci", "/w/a.tar"), "/w/a.tar", tarFile, true},
		{"oci layout", out("oci", "/w/a", "tar", "false"), "/w/a", layoutDir, true},
		{"oci with tar=true", out("oci", "/w/a", "tar", "true"), "/w/a", tarFile, true},
		{"docker layout", out("docker", "/w/d", "tar", "false"), "/w/d", layoutDir, true},
		{"tar", out("tar", "/w/t.tar"), "/w/t.tar", tarFile, true},
		{"local", out("local", "/w/dir/"), "/w/dir", localDir, true},
		{"stdout", out("tar", "-"), "-", stdout, true},
		{"docker load", out("docker", ""), "", 0, false},
		{"image push", out("image", "", "name", "r/a", "push", "true"), "", 0, false},
		{"cacheonly", out("cacheonly", ""), "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, kind, ok := localDest(tt.entry)
			if path != tt.wantPath || kind != tt.wantKind || ok != tt.wantOK {
				t.Errorf("localDest = %q, %v, %v; want %q, %v, %v", path, kind, ok, tt.wantPath, tt.wantKind, tt.wantOK)
			}
		})
	}
}

// TestDestinationsCompareCanonically plans with a canonicalizer that maps
// /w/link to /w/real, as a symlink would: paths are compared in the form it
// gives, for equality and nesting, and the errors show both spellings.
func TestDestinationsCompareCanonically(t *testing.T) {
	var asked []string
	canonical := func(p string) string {
		asked = append(asked, p)
		if rest, ok := strings.CutPrefix(p, "/w/link"); ok {
			return "/w/real" + rest
		}
		return p
	}
	tests := []struct {
		name    string
		targets []*config.Target
		want    string
	}{
		{
			name: "a local directory and its symlink",
			targets: targets(
				target("a", 1, outputs(out("local", "/w/real/out"))),
				target("b", 10, outputs(out("local", "/w/link/out"))),
			),
			want: lines(
				`destination conflict: /w/real/out is written by 2 outputs`,
				`  orch.hcl:5: target "a" output 1 (local:/w/real/out)`,
				`  orch.hcl:14: target "b" output 1 (local:/w/link/out → /w/real/out)`,
			),
		},
		{
			name: "one layout through a symlink, one name twice",
			targets: targets(
				target("a", 1, tags("r/app:1"), outputs(out("oci", "/w/real", "tar", "false"))),
				target("b", 10, tags("r/app:1"), outputs(out("oci", "/w/link", "tar", "false"))),
			),
			want: lines(
				`destination conflict: /w/real is written by 2 outputs`,
				`  orch.hcl:5: target "a" output 1 (oci-layout:/w/real)`,
				`  orch.hcl:14: target "b" output 1 (oci-layout:/w/link → /w/real)`,
			),
		},
		{
			name: "one layout through a symlink, each image under its own name",
			targets: targets(
				target("a", 1, tags("r/a:1"), outputs(out("oci", "/w/real", "tar", "false"))),
				target("b", 10, tags("r/b:1"), outputs(out("oci", "/w/link/", "tar", "false"))),
			),
		},
		{
			name: "a layout inside a local directory reached through a symlink",
			targets: targets(
				target("a", 1, outputs(out("local", "/w/real"))),
				target("b", 10, outputs(out("oci", "/w/link/img", "tar", "false"))),
			),
			want: lines(
				`destination conflict: /w/real/img is inside /w/real`,
				`  orch.hcl:14: target "b" output 1 (oci-layout:/w/link/img → /w/real/img)`,
				`  orch.hcl:5: target "a" output 1 (local:/w/real)`,
			),
		},
		{
			name: "stdout is not a path",
			targets: targets(
				target("a", 1, outputs(out("tar", "-"))),
				target("b", 10, outputs(out("local", "/w/x"))),
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(conf(tt.targets), []string{"all"}, WithCanonicalizer(canonical))
			if diff := cmp.Diff(tt.want, errText(err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
	if slices.Contains(asked, "-") {
		t.Errorf("the canonicalizer was asked about stdout: %q", asked)
	}
}

func TestNestingDiagnostic(t *testing.T) {
	_, err := New(conf(targets(
		target("a", 1, outputs(out("local", "/w/out2"))),
		target("b", 10, outputs(out("oci", "/w/out2/img", "tar", "false"))),
	)), []string{"all"})
	diags := Diagnostics(err)
	if len(diags) != 1 {
		t.Fatalf("want one diagnostic, got %v", diags)
	}
	d := diags[0]
	want := lines(
		`/w/out2/img is inside /w/out2, which another output writes:`,
		`  orch.hcl:14: target "b" output 1 (oci-layout:/w/out2/img)`,
		`  orch.hcl:5: target "a" output 1 (local:/w/out2)`,
		`Writing the outer destination would mix with or remove what the inner one holds; give each output a path outside the other's.`,
	)
	if d.Summary != "Nested destinations" || d.Detail != want {
		t.Errorf("diagnostic %q:\n%s\nwant %q:\n%s", d.Summary, d.Detail, "Nested destinations", want)
	}
	if d.Subject == nil || d.Subject.Start.Line != 14 {
		t.Errorf("subject %v: want the inner output's line, 14", d.Subject)
	}
}
