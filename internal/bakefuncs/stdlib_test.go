package bakefuncs

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"golang.org/x/crypto/bcrypt"
)

// ctyEqual compares cty values with go-cmp; RawEquals also tells a list from
// a tuple and a known value from an unknown one, which matters for results.
var ctyEqual = cmp.Comparer(func(a, b cty.Value) bool { return a.RawEquals(b) })

// bakeNames is the function set of `docker buildx bake` v0.38, written out so
// that a function added or dropped by mistake fails the test.
var bakeNames = []string{
	"absolute", "add", "and", "base64decode", "base64encode", "basename", "bcrypt",
	"byteslen", "bytesslice", "can", "ceil", "chomp", "chunklist", "cidrhost",
	"cidrnetmask", "cidrsubnet", "cidrsubnets", "coalesce", "coalescelist", "compact",
	"concat", "contains", "convert", "csvdecode", "dirname", "distinct", "divide",
	"element", "equal", "flatten", "floor", "format", "formatdate", "formattimestamp",
	"formatlist", "greaterthan", "greaterthanorequalto", "hasindex", "homedir",
	"indent", "index", "indexof", "int", "join", "jsondecode", "jsonencode", "keys",
	"length", "lessthan", "lessthanorequalto", "log", "lookup", "lower", "max", "md5",
	"merge", "min", "modulo", "multiply", "negate", "not", "notequal", "or",
	"parseint", "pow", "range", "regex_replace", "regex", "regexall", "replace",
	"reverse", "reverselist", "rsadecrypt", "sanitize", "semvercmp", "sethaselement",
	"setintersection", "setproduct", "setsubtract", "setsymmetricdifference",
	"setunion", "sha1", "sha256", "sha512", "signum", "slice", "sort", "split",
	"strlen", "substr", "subtract", "timeadd", "timestamp", "title", "trim",
	"trimprefix", "trimspace", "trimsuffix", "try", "unixtimestampparse", "upper",
	"urlencode", "uuidv4", "uuidv5", "values", "zipmap",
}

func TestStdlibNames(t *testing.T) {
	var got []string
	for name := range Stdlib() {
		got = append(got, name)
	}
	sort.Strings(got)
	want := slices.Clone(bakeNames)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("function names differ from bake's (-bake +orch):\n%s", diff)
	}
}

// TestStdlibFreshMap checks that callers can add their own functions to one
// map without the addition leaking into the next.
func TestStdlibFreshMap(t *testing.T) {
	first := Stdlib()
	delete(first, "upper")
	if _, ok := Stdlib()["upper"]; !ok {
		t.Fatal("deleting from one Stdlib map removed the function from the next")
	}
}

// evalExpr evaluates an HCL expression the way a bake file would, with the
// library and the given variables in scope, and returns the value and the
// diagnostics flattened to one string.
func evalExpr(t *testing.T, src string, vars map[string]cty.Value) (cty.Value, string) {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse %s: %s", src, diags.Error())
	}
	v, diags := expr.Value(&hcl.EvalContext{Functions: Stdlib(), Variables: vars})
	if diags.HasErrors() {
		return v, diags.Error()
	}
	return v, ""
}

type fnCase struct {
	expr string    // an HCL expression calling the function under test
	want cty.Value // the result when the call succeeds
	err  string    // a substring of the diagnostics when it must fail
}

func str(s string) cty.Value { return cty.StringVal(s) }
func num(n int64) cty.Value  { return cty.NumberIntVal(n) }
func strs(s ...string) cty.Value {
	vals := make([]cty.Value, len(s))
	for i, v := range s {
		vals[i] = str(v)
	}
	return cty.ListVal(vals)
}
func tuple(v ...cty.Value) cty.Value { return cty.TupleVal(v) }

// fnCases hold at least one successful call for every function whose result
// does not depend on time, randomness or the environment (those have tests of
// their own below), which shows each name is wired to a working function, and
// the errors of the functions written in this package. How library functions
// fail is their libraries' business; that bake fails the same way is checked
// by the differential test in internal/bakediff.
var fnCases = []fnCase{
	{expr: `absolute(-3)`, want: num(3)},
	{expr: `add(1, 2)`, want: num(3)},
	{expr: `and(true, false)`, want: cty.False},
	{expr: `base64encode("hello")`, want: str("aGVsbG8=")},
	{expr: `base64decode("aGVsbG8=")`, want: str("hello")},
	{expr: `basename("")`, want: str(".")},
	{expr: `basename("/")`, want: str("/")},
	{expr: `basename("/foo/bar")`, want: str("bar")},
	{expr: `basename("foo/bar...")`, want: str("bar...")},
	{expr: `can(1 + "a")`, want: cty.False},
	{expr: `can(upper("a"))`, want: cty.True},
	{expr: `ceil(1.2)`, want: num(2)},
	{expr: `chomp("hi\n\n")`, want: str("hi")},
	{expr: `chunklist(["a", "b", "c"], 2)`, want: cty.ListVal([]cty.Value{strs("a", "b"), strs("c")})},
	{expr: `cidrhost("192.168.1.0/24", 5)`, want: str("192.168.1.5")},
	{expr: `cidrhost("192.168.1.0/24", -5)`, want: str("192.168.1.251")},
	{expr: `cidrhost("192.168.1.0/24", -256)`, want: str("192.168.1.0")},
	{expr: `cidrhost("fd00::/64", 10)`, want: str("fd00::a")},
	{expr: `cidrnetmask("192.168.1.0/24")`, want: str("255.255.255.0")},
	{expr: `cidrnetmask("0.0.0.0/0")`, want: str("0.0.0.0")},
	{expr: `cidrnetmask("1::/64")`, want: str("ffff:ffff:ffff:ffff::")},
	{expr: `cidrsubnet("192.168.2.0/20", 4, 6)`, want: str("192.168.6.0/24")},
	{expr: `cidrsubnet("10.1.2.0/24", 4, 15)`, want: str("10.1.2.240/28")},
	{expr: `cidrsubnet("fe80::/48", 16, 6)`, want: str("fe80:0:0:6::/64")},
	{expr: `cidrsubnet("10.0.0.0/16", -1, 1)`, want: str("10.2.0.0/15")},
	{expr: `cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)`, want: strs("10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20")},
	{expr: `cidrsubnets("fd00:fd12:3456:7890::/56", 16, 16, 16, 32)`, want: strs("fd00:fd12:3456:7800::/72", "fd00:fd12:3456:7800:100::/72", "fd00:fd12:3456:7800:200::/72", "fd00:fd12:3456:7800:300::/88")},
	{expr: `cidrsubnets("10.0.0.0/8")`, want: cty.ListValEmpty(cty.String)},
	{expr: `coalesce(null, "a", "b")`, want: str("a")},
	{expr: `coalesce("", "a")`, want: str("")},
	{expr: `coalescelist([], ["a"])`, want: tuple(str("a"))},
	{expr: `compact(["a", "", "b"])`, want: strs("a", "b")},
	{expr: `concat(["a"], ["b"])`, want: tuple(str("a"), str("b"))},
	{expr: `contains(["a", "b"], "b")`, want: cty.True},
	{expr: `convert("1", number)`, want: num(1)},
	{expr: `convert(["b", "a", "b"], set(string))`, want: cty.SetVal([]cty.Value{str("a"), str("b")})},
	{expr: `csvdecode("a,b\n1,2\n")`, want: cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"a": str("1"), "b": str("2")})})},
	{expr: `dirname("")`, want: str(".")},
	{expr: `dirname("/")`, want: str("/")},
	{expr: `dirname("/foo/bar")`, want: str("/foo")},
	{expr: `dirname("foo/bar")`, want: str("foo")},
	{expr: `distinct(["a", "b", "a"])`, want: strs("a", "b")},
	{expr: `divide(10, 4)`, want: cty.NumberFloatVal(2.5)},
	{expr: `element(["a", "b"], 3)`, want: str("b")},
	{expr: `equal(1, 1)`, want: cty.True},
	{expr: `flatten([["a"], ["b", ["c"]]])`, want: tuple(str("a"), str("b"), str("c"))},
	{expr: `floor(1.7)`, want: num(1)},
	{expr: `format("%s-%03d", "x", 7)`, want: str("x-007")},
	{expr: `formatdate("YYYY-MM-DD hh:mm", "2024-02-29T10:05:00Z")`, want: str("2024-02-29 10:05")},
	{expr: `formatlist("%s!", ["a", "b"])`, want: strs("a!", "b!")},
	{expr: `formattimestamp("X", "2015-10-21T00:00:00Z")`, want: str("1445385600")},
	{expr: `formattimestamp("X", 1445385600)`, want: str("1445385600")},
	{expr: `formattimestamp("YYYY-MM-DD", "2025-09-16T12:00:00Z")`, want: str("2025-09-16")},
	{expr: `formattimestamp("YYYY-MM-DD'T'hh:mm:ssZ", 1690328596)`, want: str("2023-07-25T23:43:16Z")},
	{expr: `formattimestamp("YYYY-MM-DD'T'hh:mm:ssZ", -1)`, want: str("1969-12-31T23:59:59Z")},
	{expr: `formattimestamp("YYYY-MM-DD", 1.2)`, err: `unix timestamp must be an integer`},
	{expr: `formattimestamp("YYYY-MM-DD", "0")`, err: `not a valid RFC3339 timestamp`},
	{expr: `formattimestamp("X", "0")`, err: `timestamp string must be RFC3339`},
	{expr: `formattimestamp("X", true)`, err: `must be a string timestamp or a unix timestamp number`},
	{expr: `greaterthan(2, 1)`, want: cty.True},
	{expr: `greaterthanorequalto(1, 1)`, want: cty.True},
	{expr: `hasindex(["a"], 0)`, want: cty.True},
	{expr: `indent(2, "a\nb")`, want: str("a\n  b")},
	{expr: `index(["a", "b"], 1)`, want: str("b")},
	{expr: `indexof(["one", 2, 3, "four"], "one")`, want: num(0)},
	{expr: `indexof(["one", 2, 3, "four"], "four")`, want: num(3)},
	{expr: `indexof(["one", 2, 3, "four"], "3")`, err: `item not found`},
	{expr: `indexof([], "x")`, err: `cannot search an empty list`},
	{expr: `indexof("abc", "a")`, err: `argument must be a list or tuple`},
	{expr: `int(3.9)`, want: num(3)},
	{expr: `join("-", ["a", "b"])`, want: str("a-b")},
	{expr: `jsondecode("{\"a\":1}")`, want: cty.ObjectVal(map[string]cty.Value{"a": num(1)})},
	{expr: `jsonencode({a = 1})`, want: str(`{"a":1}`)},
	{expr: `keys({b = 1, a = 2})`, want: tuple(str("a"), str("b"))},
	{expr: `length([1, 2])`, want: num(2)},
	{expr: `lessthan(1, 2)`, want: cty.True},
	{expr: `lessthanorequalto(3, 2)`, want: cty.False},
	{expr: `log(8, 2)`, want: num(3)},
	{expr: `lookup({a = "x"}, "b", "d")`, want: str("d")},
	{expr: `lower("AbC")`, want: str("abc")},
	{expr: `max(1, 5, 3)`, want: num(5)},
	{expr: `md5("hello")`, want: str("5d41402abc4b2a76b9719d911017c592")},
	{expr: `merge({a = 1}, {b = 2})`, want: cty.ObjectVal(map[string]cty.Value{"a": num(1), "b": num(2)})},
	{expr: `min(4, 2, 3)`, want: num(2)},
	{expr: `modulo(7, 3)`, want: num(1)},
	{expr: `multiply(2, 3)`, want: num(6)},
	{expr: `negate(1)`, want: num(-1)},
	{expr: `not(true)`, want: cty.False},
	{expr: `notequal(1, 2)`, want: cty.True},
	{expr: `or(false, true)`, want: cty.True},
	{expr: `parseint("ff", 16)`, want: num(255)},
	{expr: `pow(2, 10)`, want: num(1024)},
	{expr: `range(3)`, want: cty.ListVal([]cty.Value{num(0), num(1), num(2)})},
	{expr: `regex("[0-9]+", "ab123")`, want: str("123")},
	{expr: `regex_replace("a1b2", "[0-9]", "_")`, want: str("a_b_")},
	{expr: `regexall("[0-9]", "a1b2")`, want: strs("1", "2")},
	{expr: `replace("hello", "l", "L")`, want: str("heLLo")},
	{expr: `reverse("abc")`, want: str("cba")},
	{expr: `reverselist(["a", "b"])`, want: tuple(str("b"), str("a"))},
	{expr: `rsadecrypt(ciphertext, key)`, want: str("secret message")},
	{expr: `sanitize("")`, want: str("")},
	{expr: `sanitize("foo/bar..")`, want: str("foo_bar__")},
	{expr: `sanitize("foo/🍕bar")`, want: str("foo__bar")},
	{expr: `sanitize("foo/bar!@(ba+z)")`, want: str("foo_bar___ba_z_")},
	{expr: `sanitize("Keep_this-1")`, want: str("Keep_this-1")},
	{expr: `semvercmp("1.2.3", ">= 1.0.0")`, want: cty.True},
	{expr: `semvercmp("2.1.0", "< 2.0.0")`, want: cty.False},
	{expr: `semvercmp("3.22", ">= 3.20")`, want: cty.True},
	{expr: `semvercmp("v1.4.0", "^1.2 || ~0.9")`, want: cty.True},
	{expr: `semvercmp("1.3.0-rc.1", ">= 1.2")`, want: cty.False},
	{expr: `semvercmp("not-a-version", ">= 1.0.0")`, err: `parse version "not-a-version"`},
	{expr: `semvercmp("", ">= 1.0.0")`, err: `Invalid value for "version" parameter`},
	{expr: `semvercmp("1.2.3", "not-a-constraint")`, err: `parse constraint "not-a-constraint"`},
	{expr: `semvercmp("1.2.3", "")`, err: `Invalid value for "constraint" parameter`},
	{expr: `sethaselement(["a"], "a")`, want: cty.True},
	{expr: `setintersection(["a", "b"], ["b"])`, want: cty.SetVal([]cty.Value{str("b")})},
	{expr: `setproduct(["a"], ["b", "c"])`, want: cty.ListVal([]cty.Value{tuple(str("a"), str("b")), tuple(str("a"), str("c"))})},
	{expr: `setsubtract(["a", "b"], ["a"])`, want: cty.SetVal([]cty.Value{str("b")})},
	{expr: `setsymmetricdifference(["a", "b"], ["b", "c"])`, want: cty.SetVal([]cty.Value{str("a"), str("c")})},
	{expr: `setunion(["a"], ["b"])`, want: cty.SetVal([]cty.Value{str("a"), str("b")})},
	{expr: `sha1("hello")`, want: str("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d")},
	{expr: `sha256("hello")`, want: str("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")},
	{expr: `sha512("hello")`, want: str("9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043")},
	{expr: `signum(-5)`, want: num(-1)},
	{expr: `slice(["a", "b", "c"], 1, 2)`, want: tuple(str("b"))},
	{expr: `sort(["b", "a"])`, want: strs("a", "b")},
	{expr: `split(",", "a,b")`, want: strs("a", "b")},
	{expr: `strlen("héllo")`, want: num(5)},
	{expr: `substr("hello", 1, 3)`, want: str("ell")},
	{expr: `subtract(5, 3)`, want: num(2)},
	{expr: `timeadd("2024-01-01T00:00:00Z", "1h30m")`, want: str("2024-01-01T01:30:00Z")},
	{expr: `title("hello world")`, want: str("Hello World")},
	{expr: `trim("xxhixx", "x")`, want: str("hi")},
	{expr: `trimprefix("foobar", "foo")`, want: str("bar")},
	{expr: `trimspace("  hi \n")`, want: str("hi")},
	{expr: `trimsuffix("foobar", "bar")`, want: str("foo")},
	{expr: `try(1 + "a", "fallback")`, want: str("fallback")},
	{expr: `unixtimestampparse(1690328596)`, want: cty.ObjectVal(map[string]cty.Value{
		"year": num(2023), "year_day": num(206), "day": num(25), "month": num(7),
		"month_name": str("July"), "weekday": num(2), "weekday_name": str("Tuesday"),
		"hour": num(23), "minute": num(43), "second": num(16),
		"rfc3339": str("2023-07-25T23:43:16Z"), "iso_year": num(2023), "iso_week": num(30),
	})},
	{expr: `unixtimestampparse(-1).rfc3339`, want: str("1969-12-31T23:59:59Z")},
	{expr: `unixtimestampparse(-1).iso_year`, want: num(1970)},
	{expr: `unixtimestampparse(0).weekday_name`, want: str("Thursday")},
	{expr: `unixtimestampparse(1.2)`, err: `unix timestamp must be an integer`},
	{expr: `unixtimestampparse("abc")`, err: `a number is required`},
	{expr: `upper("abc")`, want: str("ABC")},
	{expr: `urlencode("a b&c/é")`, want: str("a+b%26c%2F%C3%A9")},
	{expr: `uuidv5("dns", "www.terraform.io")`, want: str("a5008fae-b28c-5ba5-96cd-82b4c53552d6")},
	{expr: `uuidv5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", "https://orch.example/x")`, want: str("4b6e5fa8-2397-5a20-9de8-f4f98380ff64")},
	{expr: `values({a = 1, b = 2})`, want: tuple(num(1), num(2))},
	{expr: `zipmap(["a", "b"], [1, 2])`, want: cty.ObjectVal(map[string]cty.Value{"a": num(1), "b": num(2)})},
}

func TestFunctions(t *testing.T) {
	vars := rsaFixture(t)
	for _, tc := range fnCases {
		t.Run(tc.expr, func(t *testing.T) {
			got, errText := evalExpr(t, tc.expr, vars)
			if tc.err != "" {
				if !strings.Contains(errText, tc.err) {
					t.Fatalf("error = %q, want it to contain %q (value %#v)", errText, tc.err, got)
				}
				return
			}
			if errText != "" {
				t.Fatalf("unexpected error: %s", errText)
			}
			if diff := cmp.Diff(tc.want, got, ctyEqual); diff != "" {
				t.Errorf("result differs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEveryFunctionHasACase keeps fnCases complete: every library function
// needs a case that succeeds, except those whose results are tested on their
// own and the bytes functions, which no bake expression can call successfully
// because HCL has no way to write a bytes value.
func TestEveryFunctionHasACase(t *testing.T) {
	testedElsewhere := map[string]bool{
		"bcrypt": true, "homedir": true, "timestamp": true, "uuidv4": true,
		"byteslen": true, "bytesslice": true,
	}
	call := regexp.MustCompile(`^([a-z_0-9]+)\(`)
	covered := map[string]bool{}
	for _, tc := range fnCases {
		if m := call.FindStringSubmatch(tc.expr); m != nil && tc.err == "" {
			covered[m[1]] = true
		}
	}
	for name := range Stdlib() {
		if !covered[name] && !testedElsewhere[name] {
			t.Errorf("function %q has no successful case in fnCases", name)
		}
	}
}

// rsaFixture makes a key pair and a ciphertext for the rsadecrypt cases; a
// key made per run keeps private keys out of the repository.
func rsaFixture(t *testing.T) map[string]cty.Value {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ciphertext, err := rsa.EncryptPKCS1v15(rand.Reader, &key.PublicKey, []byte("secret message"))
	if err != nil {
		t.Fatal(err)
	}
	plain := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return map[string]cty.Value{
		"ciphertext": str(base64.StdEncoding.EncodeToString(ciphertext)),
		"key":        str(string(plain)),
	}
}

func TestTimestamp(t *testing.T) {
	fixed := time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("X", 3600))
	old := now
	now = func() time.Time { return fixed }
	t.Cleanup(func() { now = old })

	got, errText := evalExpr(t, `timestamp()`, nil)
	if errText != "" {
		t.Fatal(errText)
	}
	// The result is in UTC whatever the local zone.
	if diff := cmp.Diff(str("2024-05-06T06:08:09Z"), got, ctyEqual); diff != "" {
		t.Errorf("timestamp() differs (-want +got):\n%s", diff)
	}
}

func TestHomedir(t *testing.T) {
	tests := []struct {
		name string
		home string
		want func(string) bool
	}{
		{name: "from HOME", home: "/home/someone", want: func(s string) bool { return s == "/home/someone" }},
		// Without HOME the user database answers, which always yields an
		// absolute directory here.
		{name: "without HOME", home: "", want: func(s string) bool { return strings.HasPrefix(s, "/") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HOME", tc.home)
			got, errText := evalExpr(t, `homedir()`, nil)
			if errText != "" {
				t.Fatal(errText)
			}
			if !tc.want(got.AsString()) {
				t.Errorf("homedir() = %q", got.AsString())
			}
		})
	}
}

func TestUUIDv4(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, errText := evalExpr(t, `uuidv4()`, nil)
	if errText != "" {
		t.Fatal(errText)
	}
	b, _ := evalExpr(t, `uuidv4()`, nil)
	if !shape.MatchString(a.AsString()) {
		t.Errorf("uuidv4() = %q, not a version 4 UUID", a.AsString())
	}
	if a.RawEquals(b) {
		t.Errorf("two uuidv4() calls both returned %q", a.AsString())
	}
}

func TestBcrypt(t *testing.T) {
	tests := []struct {
		expr     string
		wantCost int
	}{
		{expr: `bcrypt("pw")`, wantCost: 10},
		{expr: `bcrypt("pw", 5)`, wantCost: 5},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			got, errText := evalExpr(t, tc.expr, nil)
			if errText != "" {
				t.Fatal(errText)
			}
			hash := []byte(got.AsString())
			if err := bcrypt.CompareHashAndPassword(hash, []byte("pw")); err != nil {
				t.Errorf("hash %q does not match the password: %v", hash, err)
			}
			if cost, err := bcrypt.Cost(hash); err != nil || cost != tc.wantCost {
				t.Errorf("cost = %d, %v; want %d", cost, err, tc.wantCost)
			}
		})
	}
}

// panicky is a function that crashes in its type check or its
// implementation, like a library function handed arguments it never expected.
func panicky(inType bool) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "s", Type: cty.String}},
		Type: func(args []cty.Value) (cty.Type, error) {
			if inType {
				panic("boom in type")
			}
			return cty.String, nil
		},
		Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
			panic(fmt.Errorf("boom in impl"))
		},
	})
}

// TestGuardedPanics checks that a crash inside a function reaches the user
// as one line naming what the panic said, never as a Go stack trace.
func TestGuardedPanics(t *testing.T) {
	tests := []struct {
		name string
		fn   function.Function
		want string
	}{
		{name: "type", fn: guarded(panicky(true)), want: "these arguments are outside what the function handles: boom in type"},
		{name: "impl", fn: guarded(panicky(false)), want: "these arguments are outside what the function handles: boom in impl"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.fn.Call([]cty.Value{str("x")})
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestLibraryCrashHasNoStack calls a library function on arguments it panics
// on (go-cidr shrinking a /8 prefix by 9 bits; bake fails on them too) and
// checks the diagnostic a user sees.
func TestLibraryCrashHasNoStack(t *testing.T) {
	_, errText := evalExpr(t, `cidrsubnet("10.0.0.0/8", -9, 1)`, nil)
	if !strings.Contains(errText, `Call to function "cidrsubnet" failed: these arguments are outside what the function handles: runtime error: index out of range [-1]`) {
		t.Errorf("error = %q, want the panic's message", errText)
	}
	if strings.Contains(errText, "goroutine") || strings.Contains(errText, ".go:") {
		t.Errorf("error carries a stack trace: %q", errText)
	}
}

// TestGuardedKeepsSignature checks that the guard changes nothing else about
// a function: argument errors still point at the argument, variadic and
// null-accepting parameters still work, and unknown arguments still give an
// unknown result of the right type.
func TestGuardedKeepsSignature(t *testing.T) {
	// cidrsubnets reports a bad new-bits count against that argument, which
	// HCL turns into an "Invalid function argument" on its range.
	src := `cidrsubnets("10.0.0.0/8", 4, 0)`
	expr, diags := hclsyntax.ParseExpression([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	_, diags = expr.Value(&hcl.EvalContext{Functions: Stdlib()})
	if len(diags) != 1 || diags[0].Summary != "Invalid function argument" {
		t.Fatalf("diagnostics = %v, want one Invalid function argument", diags)
	}
	if r := diags[0].Subject; r == nil || src[r.Start.Byte:r.End.Byte] != "0" {
		t.Errorf("diagnostic subject = %v, want the range of the third argument", diags[0].Subject)
	}

	got, errText := evalExpr(t, `coalesce(null, "a")`, nil)
	if errText != "" || !got.RawEquals(str("a")) {
		t.Errorf(`coalesce(null, "a") = %#v, %s`, got, errText)
	}
	got, errText = evalExpr(t, `upper(v)`, map[string]cty.Value{"v": cty.UnknownVal(cty.String)})
	if errText != "" || got.IsKnown() || !got.Type().Equals(cty.String) {
		t.Errorf("upper(unknown) = %#v, %s; want an unknown string", got, errText)
	}
}
