// Package bakefuncs is the function library that HCL expressions in orch and
// bake files can call: the same names with the same behaviour as the library
// of `docker buildx bake`, so a bake file evaluates to the same values in orch.
//
// It holds functions only. Evaluation contexts, user-defined `function` blocks
// and variables belong to the config package, which merges its own functions
// over this library.
//
// Where go-cty or HCL's extensions already implement a function, the library
// uses that implementation so results match bake's exactly; the rest (bake's
// own helpers and the cidr, crypto, encoding and uuid families) are written
// here on the standard library.
//
// Known differences from bake v0.38, all on inputs bake rejects or mishandles:
// orch's go-cty is newer (signum accepts numbers beyond int64, contains
// accepts a null element, merge of null objects no longer panics);
// Masterminds semver is newer (versions over 256 bytes and constraints over
// 512 bytes are rejected); cidrsubnet refuses a negative subnet number or a
// prefix shortened below zero bits, where bake prints a garbled address or
// "<nil>"; cidrsubnets accepts IPv4-mapped IPv6 prefixes, which bake rejects.
package bakefuncs

import (
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// entry is one library function. Functions that carry state of their own (a
// clock, the environment) are built by a constructor so that each Stdlib map
// is independent; the rest are shared values, which go-cty allows because a
// function.Function is immutable.
type entry struct {
	name string
	fn   function.Function
	make func() function.Function
}

// library lists every function by the name HCL expressions call it by. The
// set and the names are bake's; keep it sorted so a missing or extra name is
// easy to spot in review.
var library = []entry{
	{name: "absolute", fn: stdlib.AbsoluteFunc},
	{name: "add", fn: stdlib.AddFunc},
	{name: "and", fn: stdlib.AndFunc},
	{name: "base64decode", fn: base64DecodeFunc},
	{name: "base64encode", fn: base64EncodeFunc},
	{name: "basename", fn: basenameFunc},
	{name: "bcrypt", fn: bcryptFunc},
	{name: "byteslen", fn: stdlib.BytesLenFunc},
	{name: "bytesslice", fn: stdlib.BytesSliceFunc},
	{name: "can", fn: tryfunc.CanFunc},
	{name: "ceil", fn: stdlib.CeilFunc},
	{name: "chomp", fn: stdlib.ChompFunc},
	{name: "chunklist", fn: stdlib.ChunklistFunc},
	{name: "cidrhost", fn: cidrHostFunc},
	{name: "cidrnetmask", fn: cidrNetmaskFunc},
	{name: "cidrsubnet", fn: cidrSubnetFunc},
	{name: "cidrsubnets", fn: cidrSubnetsFunc},
	{name: "coalesce", fn: stdlib.CoalesceFunc},
	{name: "coalescelist", fn: stdlib.CoalesceListFunc},
	{name: "compact", fn: stdlib.CompactFunc},
	{name: "concat", fn: stdlib.ConcatFunc},
	{name: "contains", fn: stdlib.ContainsFunc},
	{name: "convert", fn: typeexpr.ConvertFunc},
	{name: "csvdecode", fn: stdlib.CSVDecodeFunc},
	{name: "dirname", fn: dirnameFunc},
	{name: "distinct", fn: stdlib.DistinctFunc},
	{name: "divide", fn: stdlib.DivideFunc},
	{name: "element", fn: stdlib.ElementFunc},
	{name: "equal", fn: stdlib.EqualFunc},
	{name: "flatten", fn: stdlib.FlattenFunc},
	{name: "floor", fn: stdlib.FloorFunc},
	{name: "format", fn: stdlib.FormatFunc},
	{name: "formatdate", fn: stdlib.FormatDateFunc},
	{name: "formatlist", fn: stdlib.FormatListFunc},
	{name: "formattimestamp", fn: formatTimestampFunc},
	{name: "greaterthan", fn: stdlib.GreaterThanFunc},
	{name: "greaterthanorequalto", fn: stdlib.GreaterThanOrEqualToFunc},
	{name: "hasindex", fn: stdlib.HasIndexFunc},
	{name: "homedir", make: newHomedirFunc},
	{name: "indent", fn: stdlib.IndentFunc},
	{name: "index", fn: stdlib.IndexFunc},
	{name: "indexof", fn: indexOfFunc},
	{name: "int", fn: stdlib.IntFunc},
	{name: "join", fn: stdlib.JoinFunc},
	{name: "jsondecode", fn: stdlib.JSONDecodeFunc},
	{name: "jsonencode", fn: stdlib.JSONEncodeFunc},
	{name: "keys", fn: stdlib.KeysFunc},
	{name: "length", fn: stdlib.LengthFunc},
	{name: "lessthan", fn: stdlib.LessThanFunc},
	{name: "lessthanorequalto", fn: stdlib.LessThanOrEqualToFunc},
	{name: "log", fn: stdlib.LogFunc},
	{name: "lookup", fn: stdlib.LookupFunc},
	{name: "lower", fn: stdlib.LowerFunc},
	{name: "max", fn: stdlib.MaxFunc},
	{name: "md5", fn: md5Func},
	{name: "merge", fn: stdlib.MergeFunc},
	{name: "min", fn: stdlib.MinFunc},
	{name: "modulo", fn: stdlib.ModuloFunc},
	{name: "multiply", fn: stdlib.MultiplyFunc},
	{name: "negate", fn: stdlib.NegateFunc},
	{name: "not", fn: stdlib.NotFunc},
	{name: "notequal", fn: stdlib.NotEqualFunc},
	{name: "or", fn: stdlib.OrFunc},
	{name: "parseint", fn: stdlib.ParseIntFunc},
	{name: "pow", fn: stdlib.PowFunc},
	{name: "range", fn: stdlib.RangeFunc},
	{name: "regex", fn: stdlib.RegexFunc},
	{name: "regex_replace", fn: stdlib.RegexReplaceFunc},
	{name: "regexall", fn: stdlib.RegexAllFunc},
	{name: "replace", fn: stdlib.ReplaceFunc},
	{name: "reverse", fn: stdlib.ReverseFunc},
	{name: "reverselist", fn: stdlib.ReverseListFunc},
	{name: "rsadecrypt", fn: rsaDecryptFunc},
	{name: "sanitize", fn: sanitizeFunc},
	{name: "semvercmp", fn: semverCmpFunc},
	{name: "sethaselement", fn: stdlib.SetHasElementFunc},
	{name: "setintersection", fn: stdlib.SetIntersectionFunc},
	{name: "setproduct", fn: stdlib.SetProductFunc},
	{name: "setsubtract", fn: stdlib.SetSubtractFunc},
	{name: "setsymmetricdifference", fn: stdlib.SetSymmetricDifferenceFunc},
	{name: "setunion", fn: stdlib.SetUnionFunc},
	{name: "sha1", fn: sha1Func},
	{name: "sha256", fn: sha256Func},
	{name: "sha512", fn: sha512Func},
	{name: "signum", fn: stdlib.SignumFunc},
	{name: "slice", fn: stdlib.SliceFunc},
	{name: "sort", fn: stdlib.SortFunc},
	{name: "split", fn: stdlib.SplitFunc},
	{name: "strlen", fn: stdlib.StrlenFunc},
	{name: "substr", fn: stdlib.SubstrFunc},
	{name: "subtract", fn: stdlib.SubtractFunc},
	{name: "timeadd", fn: stdlib.TimeAddFunc},
	{name: "timestamp", make: newTimestampFunc},
	{name: "title", fn: stdlib.TitleFunc},
	{name: "trim", fn: stdlib.TrimFunc},
	{name: "trimprefix", fn: stdlib.TrimPrefixFunc},
	{name: "trimspace", fn: stdlib.TrimSpaceFunc},
	{name: "trimsuffix", fn: stdlib.TrimSuffixFunc},
	{name: "try", fn: tryfunc.TryFunc},
	{name: "unixtimestampparse", fn: unixTimestampParseFunc},
	{name: "upper", fn: stdlib.UpperFunc},
	{name: "urlencode", fn: urlEncodeFunc},
	{name: "uuidv4", fn: uuidV4Func},
	{name: "uuidv5", fn: uuidV5Func},
	{name: "values", fn: stdlib.ValuesFunc},
	{name: "zipmap", fn: stdlib.ZipmapFunc},
}

// Stdlib returns a new map from function name to function holding exactly the
// library bake offers. Callers may add their own functions (user `function`
// blocks) to the returned map; each call returns a fresh map.
func Stdlib() map[string]function.Function {
	funcs := make(map[string]function.Function, len(library))
	for _, e := range library {
		if e.make != nil {
			funcs[e.name] = e.make()
			continue
		}
		funcs[e.name] = e.fn
	}
	return funcs
}
