package bakefuncs

import (
	"errors"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// This file holds the functions about paths, names and lists that bake
// writes itself rather than taking from a library, so no library has them
// with bake's behaviour. Time functions are in time.go, semvercmp in
// semver.go.

// basenameFunc is basename(path): the last element of a path. Written here
// because go-cty-funcs' filesystem.BasenameFunc splits on the OS separator,
// and bake splits on "/" on every OS (bake file paths are slash-separated).
var basenameFunc = function.New(&function.Spec{
	Description: "Returns the last element of a path.",
	Params:      []function.Parameter{{Name: "path", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(path.Base(args[0].AsString())), nil
	},
})

// dirnameFunc is dirname(path): everything but the last element of a path.
// Written here for the same reason as basename: "/" is the separator on
// every OS.
var dirnameFunc = function.New(&function.Spec{
	Description: "Returns the directory of a path.",
	Params:      []function.Parameter{{Name: "path", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(path.Dir(args[0].AsString())), nil
	},
})

// sanitizeFunc is sanitize(name): name with each character that may not
// appear in a bake target name replaced by one underscore. It is bake's own
// function, tied to bake's rule for target names ([a-zA-Z0-9_-]), so no
// library has it. The replacement is per character, not per byte: "🍕" is
// one underscore.
var sanitizeFunc = function.New(&function.Spec{
	Description: "Replaces every character that is not valid in a target name with an underscore.",
	Params:      []function.Parameter{{Name: "name", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(strings.Map(nameRuneOrUnderscore, args[0].AsString())), nil
	},
})

// nameRuneOrUnderscore keeps r when a target name may contain it and turns
// it into '_' otherwise.
func nameRuneOrUnderscore(r rune) rune {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '_', r == '-':
		return r
	}
	return '_'
}

// homedirFunc is homedir(): the current user's home directory. It is bake's
// own function, and its fallbacks (below) are bake's, so it is written here.
var homedirFunc = function.New(&function.Spec{
	Description: "Returns the current user's home directory.",
	Params:      []function.Parameter{},
	Type:        function.StaticReturnType(cty.String),
	Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
		return cty.StringVal(homeDir()), nil
	},
})

// homeDir answers as bake does, so that the function never fails: $HOME (or
// its Windows equivalent); without it, the user database outside Windows,
// whatever directory that records; and without that, the parent of the
// Docker configuration directory ($DOCKER_CONFIG, else the relative ".docker"
// whose parent is ".").
func homeDir() string {
	if home, err := os.UserHomeDir(); err == nil {
		return home
	}
	if runtime.GOOS != "windows" {
		if u, err := user.Current(); err == nil {
			return u.HomeDir
		}
	}
	if dir := os.Getenv("DOCKER_CONFIG"); dir != "" {
		return filepath.Dir(dir)
	}
	return "."
}

// indexOfFunc is indexof(list, value): the position of the first element of
// a list or tuple that equals value. It is bake's own function: go-cty's
// index (stdlib.IndexFunc) looks an element up by key instead, and no library
// searches a tuple of mixed types. A missing value is an error, not -1.
var indexOfFunc = function.New(&function.Spec{
	Description: "Finds the element index for a given value in a list.",
	Params: []function.Parameter{
		{Name: "list", Type: cty.DynamicPseudoType},
		{Name: "value", Type: cty.DynamicPseudoType},
	},
	Type: function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		haystack, needle := args[0], args[1]
		if t := haystack.Type(); !t.IsListType() && !t.IsTupleType() {
			return cty.NilVal, errors.New("argument must be a list or tuple")
		}
		switch {
		case !haystack.IsKnown():
			return cty.UnknownVal(cty.Number), nil
		case haystack.LengthInt() == 0:
			return cty.NilVal, errors.New("cannot search an empty list")
		}
		for i, elem := range haystack.Elements() {
			same, err := stdlib.Equal(elem, needle)
			if err != nil {
				return cty.NilVal, err
			}
			// An unknown comparison leaves the position unknown too:
			// an earlier element may yet turn out to match.
			if !same.IsKnown() {
				return cty.UnknownVal(cty.Number), nil
			}
			if same.True() {
				return i, nil
			}
		}
		return cty.NilVal, errors.New("item not found")
	},
})
