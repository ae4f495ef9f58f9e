// Package bakefuncs is the function library that HCL expressions in orch and
// bake files can call: the same names, backed by the same implementations, as
// the library of `docker buildx bake`, so a bake file evaluates to the same
// values in orch.
//
// It holds functions only. Evaluation contexts, user-defined `function` blocks
// and variables belong to the config package, which merges its own functions
// over this library.
//
// Every function bake takes from a library is taken from that library here:
// go-cty's stdlib, HCL's tryfunc and typeexpr extensions, and hashicorp's
// go-cty-funcs for the cidr, crypto, encoding and uuid families. Only the
// functions bake writes itself are written in this package (bake.go,
// semver.go, time.go), each saying why. Every function is wrapped so that a
// crash inside a library reaches the user as an error message, not a Go
// stack trace (guard.go).
//
// Known differences from bake v0.38 all come from orch's go.mod holding newer
// releases of two of those libraries than bake builds with, and all are on
// unusual inputs. go-cty v1.20 (HCL v2.25 needs at least v1.19; bake has
// v1.17): signum accepts numbers beyond the range of int64, contains accepts
// a typed null element, and merge of typed null objects returns {}; bake
// rejects the first two and crashes on the third. Masterminds semver v3.5
// (orch's task runner needs it; bake has v3.4): semvercmp rejects versions
// over 256 bytes and constraints over 512 bytes, which bake accepts.
package bakefuncs

import (
	"maps"

	"github.com/hashicorp/go-cty-funcs/cidr"
	"github.com/hashicorp/go-cty-funcs/crypto"
	"github.com/hashicorp/go-cty-funcs/encoding"
	"github.com/hashicorp/go-cty-funcs/uuid"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// library maps every function to the name HCL expressions call it by. The
// set, the names and the implementation behind each name are bake's; keep it
// sorted so a missing or extra name is easy to spot in review.
var library = []struct {
	name string
	fn   function.Function
}{
	{"absolute", stdlib.AbsoluteFunc},
	{"add", stdlib.AddFunc},
	{"and", stdlib.AndFunc},
	{"base64decode", encoding.Base64DecodeFunc},
	{"base64encode", encoding.Base64EncodeFunc},
	{"basename", basenameFunc},
	{"bcrypt", crypto.BcryptFunc},
	{"byteslen", stdlib.BytesLenFunc},
	{"bytesslice", stdlib.BytesSliceFunc},
	{"can", tryfunc.CanFunc},
	{"ceil", stdlib.CeilFunc},
	{"chomp", stdlib.ChompFunc},
	{"chunklist", stdlib.ChunklistFunc},
	{"cidrhost", cidr.HostFunc},
	{"cidrnetmask", cidr.NetmaskFunc},
	{"cidrsubnet", cidr.SubnetFunc},
	{"cidrsubnets", cidr.SubnetsFunc},
	{"coalesce", stdlib.CoalesceFunc},
	{"coalescelist", stdlib.CoalesceListFunc},
	{"compact", stdlib.CompactFunc},
	{"concat", stdlib.ConcatFunc},
	{"contains", stdlib.ContainsFunc},
	{"convert", typeexpr.ConvertFunc},
	{"csvdecode", stdlib.CSVDecodeFunc},
	{"dirname", dirnameFunc},
	{"distinct", stdlib.DistinctFunc},
	{"divide", stdlib.DivideFunc},
	{"element", stdlib.ElementFunc},
	{"equal", stdlib.EqualFunc},
	{"flatten", stdlib.FlattenFunc},
	{"floor", stdlib.FloorFunc},
	{"format", stdlib.FormatFunc},
	{"formatdate", stdlib.FormatDateFunc},
	{"formatlist", stdlib.FormatListFunc},
	{"formattimestamp", formatTimestampFunc},
	{"greaterthan", stdlib.GreaterThanFunc},
	{"greaterthanorequalto", stdlib.GreaterThanOrEqualToFunc},
	{"hasindex", stdlib.HasIndexFunc},
	{"homedir", homedirFunc},
	{"indent", stdlib.IndentFunc},
	{"index", stdlib.IndexFunc},
	{"indexof", indexOfFunc},
	{"int", stdlib.IntFunc},
	{"join", stdlib.JoinFunc},
	{"jsondecode", stdlib.JSONDecodeFunc},
	{"jsonencode", stdlib.JSONEncodeFunc},
	{"keys", stdlib.KeysFunc},
	{"length", stdlib.LengthFunc},
	{"lessthan", stdlib.LessThanFunc},
	{"lessthanorequalto", stdlib.LessThanOrEqualToFunc},
	{"log", stdlib.LogFunc},
	{"lookup", stdlib.LookupFunc},
	{"lower", stdlib.LowerFunc},
	{"max", stdlib.MaxFunc},
	{"md5", crypto.Md5Func},
	{"merge", stdlib.MergeFunc},
	{"min", stdlib.MinFunc},
	{"modulo", stdlib.ModuloFunc},
	{"multiply", stdlib.MultiplyFunc},
	{"negate", stdlib.NegateFunc},
	{"not", stdlib.NotFunc},
	{"notequal", stdlib.NotEqualFunc},
	{"or", stdlib.OrFunc},
	{"parseint", stdlib.ParseIntFunc},
	{"pow", stdlib.PowFunc},
	{"range", stdlib.RangeFunc},
	{"regex", stdlib.RegexFunc},
	{"regex_replace", stdlib.RegexReplaceFunc},
	{"regexall", stdlib.RegexAllFunc},
	{"replace", stdlib.ReplaceFunc},
	{"reverse", stdlib.ReverseFunc},
	{"reverselist", stdlib.ReverseListFunc},
	{"rsadecrypt", crypto.RsaDecryptFunc},
	{"sanitize", sanitizeFunc},
	{"semvercmp", semverCmpFunc},
	{"sethaselement", stdlib.SetHasElementFunc},
	{"setintersection", stdlib.SetIntersectionFunc},
	{"setproduct", stdlib.SetProductFunc},
	{"setsubtract", stdlib.SetSubtractFunc},
	{"setsymmetricdifference", stdlib.SetSymmetricDifferenceFunc},
	{"setunion", stdlib.SetUnionFunc},
	{"sha1", crypto.Sha1Func},
	{"sha256", crypto.Sha256Func},
	{"sha512", crypto.Sha512Func},
	{"signum", stdlib.SignumFunc},
	{"slice", stdlib.SliceFunc},
	{"sort", stdlib.SortFunc},
	{"split", stdlib.SplitFunc},
	{"strlen", stdlib.StrlenFunc},
	{"substr", stdlib.SubstrFunc},
	{"subtract", stdlib.SubtractFunc},
	{"timeadd", stdlib.TimeAddFunc},
	{"timestamp", timestampFunc},
	{"title", stdlib.TitleFunc},
	{"trim", stdlib.TrimFunc},
	{"trimprefix", stdlib.TrimPrefixFunc},
	{"trimspace", stdlib.TrimSpaceFunc},
	{"trimsuffix", stdlib.TrimSuffixFunc},
	{"try", tryfunc.TryFunc},
	{"unixtimestampparse", unixTimestampParseFunc},
	{"upper", stdlib.UpperFunc},
	{"urlencode", encoding.URLEncodeFunc},
	{"uuidv4", uuid.V4Func},
	{"uuidv5", uuid.V5Func},
	{"values", stdlib.ValuesFunc},
	{"zipmap", stdlib.ZipmapFunc},
}

// guardedLibrary is library with every function guarded against panics,
// built once: a function.Function is immutable, so one value can sit in
// every map Stdlib returns.
var guardedLibrary = func() map[string]function.Function {
	funcs := make(map[string]function.Function, len(library))
	for _, e := range library {
		funcs[e.name] = guarded(e.fn)
	}
	return funcs
}()

// Stdlib returns a new map from function name to function holding exactly the
// library bake offers. Callers may add their own functions (user `function`
// blocks) to the returned map; each call returns a fresh map.
func Stdlib() map[string]function.Function {
	return maps.Clone(guardedLibrary)
}
