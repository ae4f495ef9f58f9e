// Package bakediff holds orch's differential test against `docker buildx
// bake --print`: every bake file under testdata is resolved by the real
// buildx (built by tools/bakediff/build.sh into bin/buildx) and by
// `orch print` with the same arguments and environment, and the two JSON
// documents must be identical.
//
// The package has no code of its own; it exists for its test. buildx's
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
package bakediff
