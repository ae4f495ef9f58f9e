package bakefuncs

import (
	"errors"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"runtime"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// This file holds the helpers bake adds on top of go-cty's library that are
// about paths, names and lists. Time helpers are in time.go.

// basenameFunc is basename(path): the last element of a slash-separated path.
// Paths in bake files are slash-separated on every OS, hence package path and
// not path/filepath.
var basenameFunc = function.New(&function.Spec{
	Description: "Returns the last element of a path.",
	Params:      []function.Parameter{{Name: "path", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(path.Base(args[0].AsString())), nil
	},
})

// dirnameFunc is dirname(path): everything but the last element of a path.
var dirnameFunc = function.New(&function.Spec{
	Description: "Returns the directory of a path.",
	Params:      []function.Parameter{{Name: "path", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(path.Dir(args[0].AsString())), nil
	},
})

// sanitizeFunc is sanitize(name): name with every character that may not
// appear in a target name ([a-zA-Z0-9_-]) replaced by an underscore, one
// underscore per character (not per byte), as bake does.
var sanitizeFunc = function.New(&function.Spec{
	Description: "Replaces every character that is not valid in a target name with an underscore.",
	Params:      []function.Parameter{{Name: "name", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		in := []rune(args[0].AsString())
		for i, r := range in {
			if !isNameRune(r) {
				in[i] = '_'
			}
		}
		return cty.StringVal(string(in)), nil
	},
})

func isNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

// newHomedirFunc builds homedir(): the current user's home directory. It is a
// constructor because the answer depends on the environment at call time.
func newHomedirFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Returns the current user's home directory.",
		Params:      []function.Parameter{},
		Type:        function.StaticReturnType(cty.String),
		Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
			return cty.StringVal(homeDir()), nil
		},
	})
}

// homeDir falls back the way bake does when $HOME is unset: the user database,
// then the parent of the Docker configuration directory, so the function
// never fails.
func homeDir() string {
	if home, err := os.UserHomeDir(); err == nil {
		return home
	}
	if runtime.GOOS != "windows" {
		if u, err := user.Current(); err == nil && u.HomeDir != "" {
			return u.HomeDir
		}
	}
	if dir := os.Getenv("DOCKER_CONFIG"); dir != "" {
		return filepath.Dir(dir)
	}
	// Without a home, Docker's configuration directory is the relative
	// ".docker", whose parent is the working directory.
	return "."
}

// indexOfFunc is indexof(list, value): the index of the first element of a
// list or tuple equal to value. Unlike go-cty's index, it accepts tuples of
// mixed types and fails when the value is absent.
var indexOfFunc = function.New(&function.Spec{
	Description: "Finds the element index for a given value in a list.",
	Params: []function.Parameter{
		{Name: "list", Type: cty.DynamicPseudoType},
		{Name: "value", Type: cty.DynamicPseudoType},
	},
	Type: function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		list, value := args[0], args[1]
		if ty := list.Type(); !ty.IsListType() && !ty.IsTupleType() {
			return cty.NilVal, errors.New("argument must be a list or tuple")
		}
		if !list.IsKnown() {
			return cty.UnknownVal(cty.Number), nil
		}
		if list.LengthInt() == 0 {
			return cty.NilVal, errors.New("cannot search an empty list")
		}
		for it := list.ElementIterator(); it.Next(); {
			i, v := it.Element()
			eq, err := stdlib.Equal(v, value)
			if err != nil {
				return cty.NilVal, err
			}
			if !eq.IsKnown() {
				return cty.UnknownVal(cty.Number), nil
			}
			if eq.True() {
				return i, nil
			}
		}
		return cty.NilVal, errors.New("item not found")
	},
})
