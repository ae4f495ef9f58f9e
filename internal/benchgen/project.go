package benchgen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LinkedProject returns the files of the incremental-build benchmarks'
// monorepo (issue 13), by path: a bake file with a target "base", libs
// libraries on it and services services spread over the libraries
// through `target:` contexts, each target with a context of its own
// (a Dockerfile that COPYs it and one small file) and an OCI layout
// output under out/; a default group names them all.
func LinkedProject(libs, services int) map[string]string {
	p := &project{files: map[string]string{}}
	p.target("base", "scratch", "")
	for i := range libs {
		p.target(fmt.Sprintf("lib%d", i), "base", "base")
	}
	for i := range services {
		p.target(fmt.Sprintf("svc%02d", i), "lib", fmt.Sprintf("lib%d", i%max(libs, 1)))
	}
	return p.done()
}

// BigContext returns the files of a project with one target, "big",
// whose context holds n small files, 100 per directory.
func BigContext(n int) map[string]string {
	p := &project{files: map[string]string{}}
	p.target("big", "scratch", "")
	for i := range n {
		p.files[fmt.Sprintf("big/d%03d/f%05d.txt", i/100, i)] = fmt.Sprintf("file %d\n", i)
	}
	return p.done()
}

// Write writes files (by path relative to dir) under dir.
func Write(dir string, files map[string]string) error {
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// project collects the files of a generated project and its bake file.
type project struct {
	files map[string]string
	bake  strings.Builder
	names []string
}

// target adds a target name with its own context, built FROM from (a
// `target:` link to link when link is set).
func (p *project) target(name, from, link string) {
	p.names = append(p.names, fmt.Sprintf("%q", name))
	fmt.Fprintf(&p.bake, "target %q {\n  context = %q\n", name, name)
	if link != "" {
		fmt.Fprintf(&p.bake, "  contexts = { %s = \"target:%s\" }\n", from, link)
	}
	fmt.Fprintf(&p.bake, "  output = [\"type=oci,tar=false,dest=out/%s\"]\n}\n", name)
	p.files[name+"/Dockerfile"] = fmt.Sprintf("FROM %s\nCOPY . /%s/\n", from, name)
	p.files[name+"/f.txt"] = name + "\n"
}

// done adds the default group and the bake file, docker-bake.hcl.
func (p *project) done() map[string]string {
	fmt.Fprintf(&p.bake, "group \"default\" {\n  targets = [%s]\n}\n", strings.Join(p.names, ", "))
	p.files["docker-bake.hcl"] = p.bake.String()
	return p.files
}
