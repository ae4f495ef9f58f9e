package bakefuncs

import (
	"github.com/Masterminds/semver/v3"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// semverCmpFunc is semvercmp(version, constraint): whether version satisfies
// constraint. Versions are parsed leniently ("3.22" is 3.22.0, a leading "v"
// is allowed) and constraints accept comparisons, ranges, "~", "^", wildcards
// and "||". That grammar, with its rules for pre-releases, is exactly what the
// Masterminds semver library implements and what bake uses, so orch uses the
// same library rather than a look-alike that would disagree at the edges.
// (orch's go.mod holds a newer minor release than bake's, whose only changes
// are length limits on versions and constraints and quoting in messages.)
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
