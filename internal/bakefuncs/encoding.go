package bakefuncs

import (
	"encoding/base64"
	"net/url"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// base64EncodeFunc is base64encode(str): the standard, padded base64 encoding
// of str's UTF-8 bytes.
var base64EncodeFunc = function.New(&function.Spec{
	Description: "Encodes a string to a base64 sequence.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(base64.StdEncoding.EncodeToString([]byte(args[0].AsString()))), nil
	},
})

// base64DecodeFunc is base64decode(str): the inverse of base64encode. The
// decoded bytes must be UTF-8 because HCL strings can hold nothing else.
var base64DecodeFunc = function.New(&function.Spec{
	Description: "Decodes a string containing a base64 sequence.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		s := args[0].AsString()
		dec, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "failed to decode base64 data %q", s)
		}
		if !utf8.Valid(dec) {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "the result of decoding the provided string is not valid UTF-8")
		}
		return cty.StringVal(string(dec)), nil
	},
})

// urlEncodeFunc is urlencode(str): str escaped for use in a URL query, with
// spaces as "+".
var urlEncodeFunc = function.New(&function.Spec{
	Description: "Applies URL encoding to a given string.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(url.QueryEscape(args[0].AsString())), nil
	},
})
