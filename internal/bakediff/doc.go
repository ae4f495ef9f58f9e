// Package bakediff holds orch's differential test against `docker buildx
// bake --print`: every bake file under testdata is resolved by the real
// buildx (built by tools/bakediff/build.sh into bin/buildx) and by
// `orch print` with the same arguments and environment, and the two JSON
// documents must be identical.
//
// The package has no code of its own; it exists for its tests. buildx's
// outputs are kept as golden files (testdata/*.bake.json, or *.bake.err when
// bake rejects the file) so that `orch print` can be checked against them on
// a machine without buildx.
//
// A case is testdata/NAME.hcl or testdata/NAME.json. An optional
// testdata/NAME.args adds to the command line and environment, one item per
// line:
//
//	# a comment
//	env NAME=VALUE            (an environment variable for both tools)
//	unordered group.g.targets (an array bake fills in random order; compared as a set)
//	--set=t.args.X=1          (anything else is one command-line argument)
//
// Arguments follow `-f NAME.hcl` in order, so further -f files (kept under
// testdata/extra) come first and target names last.
//
// TestUpstreamBakeCases takes its cases from bake itself: it finds buildx's
// sources at the version tools/bakediff/go.mod pins, in the Go module cache
// (downloading them there if needed), parses bake/*_test.go with go/ast and
// interprets enough of them to recover the inputs of every ReadTargets,
// ParseFile(s), ParseCompose(Files), ReadLocalFiles and validateComposeFile
// call: the files, target names, --set overrides, --var values, t.Setenv
// environment, BUILDX_BAKE_FILE_RELATIVE_PATHS and working directory. Table
// tests are expanded case by case. Nothing of buildx is copied into this
// repository, so a new buildx pin brings its new tests with it. Functions
// that parse without resolving (ParseFile and the like) are printed with the
// target pattern "*", every target and group. A call whose inputs cannot be
// recovered statically is counted as skipped, with the reason.
//
// testdata/upstream-known.txt lists the cases where orch still differs, one
// line each (`NAME: KIND — REASON`, KIND from missKinds). The test fails on a
// difference that is not listed and on a listed case that now matches, so
// the list can only shrink. It logs the counts ("N/M identical") and, with
// -v, prints that line to stdout.
package bakediff
