package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/orch-build/orch/internal/testbed"
)

// TestBuildScripts runs the end-to-end scripts in testdata/build/*.txtar,
// which build on the test bed's buildkitd: BUILDKIT_HOST names it and
// BUSYBOX the directory of busybox binaries (bin/busybox/ARCH/busybox)
// for FROM scratch images with RUN steps. They skip together (fail under
// CI) when the test bed is missing.
func TestBuildScripts(t *testing.T) {
	bk := testbed.StartBuildKit(t)
	busybox := testbed.Busybox(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/build",
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"exits": exitsCmd,
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("BUILDKIT_HOST", bk.Addr)
			env.Setenv("BUSYBOX", busybox)
			return nil
		},
	})
}
