package bakefuncs

import (
	"github.com/Masterminds/semver/v3"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// semverCmpFunc is semvercmp(version, constraint): whether version satisfies
// constraint. It is bake's own function, so it is written here, but only as
// glue: the grammar (lenient versions such as "3.22" or "v1.2", comparisons,
// ranges, "~", "^", wildcards, "||", and the rules for pre-releases) is the
// Masterminds semver library's, the one bake calls, so results match bake's.
var semverCmpFunc = function.New(&function.Spec{
	Description: "Returns true if version satisfies a constraint.",
	Params: []function.Parameter{
		{Name: "version", Type: cty.String},
		{Name: "constraint", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		version, err := semver.NewVersion(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.Bool), function.NewArgErrorf(0, "parse version %q: %s", args[0].AsString(), err)
		}
		constraint, err := semver.NewConstraint(args[1].AsString())
		if err != nil {
			return cty.UnknownVal(cty.Bool), function.NewArgErrorf(1, "parse constraint %q: %s", args[1].AsString(), err)
		}
		return cty.BoolVal(constraint.Check(version)), nil
	},
})
