package bakediff

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// This file reads bake's own Go tests (buildx's bake/*_test.go, straight
// from the module cache) and turns every call of a bake entry point with
// literal inputs into a command line for `buildx bake --print` and
// `orch print`. It is a small interpreter of the Go those tests are written
// in: string literals and Sprintf, File{Name, Data} values, table-driven
// []struct{...} cases walked by `for ... range`, t.Run subtests, t.Setenv,
// t.TempDir, os.WriteFile and os.Chdir. Anything it cannot evaluate becomes
// an unknown value, and a case whose inputs are unknown is kept, with the
// reason, as skipped: nothing is guessed.

// caseRoot stands for the directory a case is materialised in; paths the
// tests build from t.TempDir() or the working directory start with it and
// are rewritten to the real directory when the case runs.
const caseRoot = "\x00case-root"

// entryPoints are the bake functions whose inputs become cases, and how
// each maps onto the command line.
var entryPoints = map[string]bool{
	"ReadTargets":         true, // ctx, files, targets, overrides, defaults, vars, ent, opts...
	"ParseFiles":          true, // files, defaults, vars, opts...
	"ParseFile":           true, // data, name
	"ParseCompose":        true, // []composetypes.ConfigFile, envs
	"ParseComposeFiles":   true, // files, envOverrides, opts...
	"ReadLocalFiles":      true, // names, stdin, logger: bake's default file names
	"validateComposeFile": true, // data, name, envOverrides: which reader a file gets
}

// upstreamCase is one call of a bake entry point, ready to run as both
// command lines.
type upstreamCase struct {
	name    string      // the Go test name of the call; "#N" marks the Nth call in one test
	pos     string      // file:line of the call in bake's tests
	fn      string      // the bake function called
	files   []inputFile // given with -f, in order; none means bake's default file names
	disk    []inputFile // files the test wrote (os.WriteFile) before the call, root-relative
	dirs    []string    // directories the test created, root-relative
	dir     string      // working directory, root-relative
	targets []string    // target and group names, last on the command line
	args    []string    // --set and --var arguments
	env     []string    // KEY=VALUE entries, in the order the test set them
	skip    string      // why the case cannot be compared; empty when it can
}

// inputFile is a file name as the test gives it and its content.
type inputFile struct {
	name, data string
}

// Values of the interpreted Go. A value is one of: string, bool, int64,
// []value, mapValue, *structValue, nilValue, unknown, *closure, testingT,
// environ, tuple.
type (
	value any

	// unknown is a value the interpreter cannot compute, with the reason.
	unknown struct{ why string }
	// nilValue is Go's nil.
	nilValue struct{}
	// mapValue is a map literal with string keys.
	mapValue map[string]value
	// structValue is a struct literal; fields holds what the literal set
	// and fieldTypes the declared types, for the zero values of the rest.
	structValue struct {
		fields     map[string]value
		fieldTypes map[string]ast.Expr
	}
	// closure is a function literal or a package-level function.
	closure struct {
		name   string
		params *ast.FieldList
		body   *ast.BlockStmt
		scope  *scope
	}
	// testingT is a *testing.T: the subtest it belongs to.
	testingT struct{ tc *testCtx }
	// environ is os.Environ(): the process environment, which a case
	// passes on unchanged.
	environ struct{}
	// tuple holds the results of a function returning more than one.
	tuple []value
)

func (s *structValue) get(name string) value {
	if v, ok := s.fields[name]; ok {
		return v
	}
	if typ, ok := s.fieldTypes[name]; ok {
		return zeroValue(typ)
	}
	return unknown{fmt.Sprintf("field %s is not set and its type is unknown", name)}
}

// zeroValue is the zero value of a Go type expression.
func zeroValue(typ ast.Expr) value {
	switch t := typ.(type) {
	case *ast.Ident:
		switch t.Name {
		case "string":
			return ""
		case "bool":
			return false
		case "int", "int64", "int32", "uint", "uint64", "uint32", "byte":
			return int64(0)
		}
		return unknown{"zero value of " + t.Name}
	case *ast.ArrayType, *ast.MapType, *ast.StarExpr, *ast.FuncType, *ast.InterfaceType, *ast.ChanType:
		return nilValue{}
	}
	return unknown{"zero value of a type the interpreter does not know"}
}

// scope is one lexical block's variables and local types.
type scope struct {
	vars   map[string]value
	types  map[string]*ast.StructType
	parent *scope
}

func newScope(parent *scope) *scope {
	return &scope{vars: map[string]value{}, types: map[string]*ast.StructType{}, parent: parent}
}

func (s *scope) lookup(name string) (value, bool) {
	for sc := s; sc != nil; sc = sc.parent {
		if v, ok := sc.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

// assign sets the nearest variable of that name, or defines one here.
func (s *scope) assign(name string, v value) {
	for sc := s; sc != nil; sc = sc.parent {
		if _, ok := sc.vars[name]; ok {
			sc.vars[name] = v
			return
		}
	}
	s.vars[name] = v
}

func (s *scope) structType(name string) *ast.StructType {
	for sc := s; sc != nil; sc = sc.parent {
		if st, ok := sc.types[name]; ok {
			return st
		}
	}
	return nil
}

// testCtx is one test or subtest: its name, environment and working
// directory, which its subtests inherit.
type testCtx struct {
	name  string
	env   []string // KEY=VALUE in the order set
	lost  string   // why env or wd is not known (set from values the interpreter lacks), or ""
	wd    string   // starts with caseRoot
	calls int      // entry-point calls recorded so far in this test
	temps []string // t.TempDir()s, whose files go when the test ends
	subs  map[string]int
	stop  bool // t.Skip, t.Fatal or t.FailNow ran
}

func (tc *testCtx) child(name string) *testCtx {
	name = subtestName(name)
	n := tc.subs[name]
	tc.subs[name] = n + 1
	if n > 0 {
		name = fmt.Sprintf("%s#%02d", name, n)
	}
	return &testCtx{name: tc.name + "/" + name, env: slices.Clone(tc.env), lost: tc.lost, wd: tc.wd, subs: map[string]int{}}
}

func (tc *testCtx) setenv(key, val string) {
	tc.unsetenv(key)
	tc.env = append(tc.env, key+"="+val)
}

func (tc *testCtx) unsetenv(key string) {
	tc.env = slices.DeleteFunc(tc.env, func(kv string) bool { return strings.HasPrefix(kv, key+"=") })
}

// subtestName rewrites a t.Run name as the testing package does, so that
// case names match what `go test` prints for bake's own tests.
func subtestName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			b.WriteRune('_')
		case !strconv.IsPrint(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// flow is how a statement ends.
type flow int

const (
	flowNext flow = iota
	flowReturn
	flowBreak
	flowContinue
	flowStop // t.Skip or t.Fatal: the rest of the test does not run
)

// maxDepth bounds nested function calls, so recursion in a test helper
// cannot hang the extraction.
const maxDepth = 32

// extractor interprets one package's tests.
type extractor struct {
	fset     *token.FileSet
	pkg      *scope
	types    map[string]*ast.StructType // package-level struct types, test files or not
	disk     map[string]*inputFile      // files written by the running top-level test, by resolved path; nil marks a directory
	tmpN     int
	depth    int
	cases    []upstreamCase
	reached  map[token.Pos]bool
	notRun   map[token.Pos]string // why a call site's block was not executed
	testFile []*ast.File
}

// extractUpstream parses every *_test.go in dir (buildx's bake package) and
// returns one case per entry-point call the tests make, plus one skipped
// case for each call site the interpretation never reached.
func extractUpstream(dir string) ([]upstreamCase, error) {
	all, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	sort.Strings(all)
	x := &extractor{
		fset:    token.NewFileSet(),
		types:   map[string]*ast.StructType{},
		reached: map[token.Pos]bool{},
		notRun:  map[token.Pos]string{},
	}
	x.pkg = newScope(nil)
	for _, name := range all {
		f, err := parser.ParseFile(x.fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		// Struct types come from every file (File and ParseOpt are
		// declared in bake.go); functions and variables only from tests.
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
				for _, s := range g.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok {
						if st, ok := ts.Type.(*ast.StructType); ok {
							x.types[ts.Name.Name] = st
						}
					}
				}
			}
		}
		if strings.HasSuffix(name, "_test.go") {
			x.testFile = append(x.testFile, f)
		}
	}
	if len(x.testFile) == 0 {
		return nil, fmt.Errorf("no *_test.go files in %s", dir)
	}
	x.declarePackage()
	for _, f := range x.testFile {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || !isTestFunc(fd) {
				continue
			}
			x.runTest(fd)
		}
	}
	x.listUnreached()
	return x.cases, nil
}

// isTestFunc reports whether fd is func TestXxx(t *testing.T).
func isTestFunc(fd *ast.FuncDecl) bool {
	if !strings.HasPrefix(fd.Name.Name, "Test") || fd.Name.Name == "TestMain" {
		return false
	}
	return fd.Type.Params != nil && len(fd.Type.Params.List) == 1 && len(fd.Type.Params.List[0].Names) == 1
}

// declarePackage puts the tests' package-level functions, variables and
// constants into the package scope.
func (x *extractor) declarePackage() {
	for _, f := range x.testFile {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && !isTestFunc(d) {
					x.pkg.vars[d.Name.Name] = &closure{name: d.Name.Name, params: d.Type.Params, body: d.Body, scope: x.pkg}
				}
			case *ast.GenDecl:
				if d.Tok == token.VAR || d.Tok == token.CONST {
					tc := &testCtx{wd: caseRoot, subs: map[string]int{}}
					x.disk = map[string]*inputFile{}
					x.genDecl(d, x.pkg, tc)
				}
			}
		}
	}
}

// runTest interprets one top-level test function.
func (x *extractor) runTest(fd *ast.FuncDecl) {
	tc := &testCtx{name: fd.Name.Name, wd: caseRoot, subs: map[string]int{}}
	x.disk = map[string]*inputFile{}
	x.tmpN = 0
	sc := newScope(x.pkg)
	sc.vars[fd.Type.Params.List[0].Names[0].Name] = testingT{tc}
	x.block(fd.Body.List, sc, tc)
}

// listUnreached adds a skipped case for every entry-point call site the
// interpretation did not execute, so that no input of bake's tests is
// silently left out of the count.
func (x *extractor) listUnreached() {
	for _, f := range x.testFile {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				id, ok := call.Fun.(*ast.Ident)
				if !ok || !entryPoints[id.Name] || x.reached[call.Pos()] {
					return true
				}
				why := x.notRun[call.Pos()]
				if why == "" {
					why = "never executed by the interpretation of " + fd.Name.Name
				}
				p := x.fset.Position(call.Pos())
				x.cases = append(x.cases, upstreamCase{
					name: fmt.Sprintf("%s@%s:%d", fd.Name.Name, filepath.Base(p.Filename), p.Line),
					pos:  x.position(call.Pos()),
					fn:   id.Name,
					skip: why,
				})
				return true
			})
		}
	}
}

func (x *extractor) position(pos token.Pos) string {
	p := x.fset.Position(pos)
	return fmt.Sprintf("bake/%s:%d", filepath.Base(p.Filename), p.Line)
}

func (x *extractor) source(e ast.Node) string {
	p, q := x.fset.Position(e.Pos()), x.fset.Position(e.End())
	if p.Line == q.Line {
		return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
	}
	return fmt.Sprintf("%s:%d-%d", filepath.Base(p.Filename), p.Line, q.Line)
}

// skipBlock notes, for each entry-point call inside n, why it did not run.
func (x *extractor) skipBlock(n ast.Node, why string) {
	ast.Inspect(n, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if id, ok := call.Fun.(*ast.Ident); ok && entryPoints[id.Name] {
				if _, seen := x.notRun[call.Pos()]; !seen {
					x.notRun[call.Pos()] = why
				}
			}
		}
		return true
	})
}

func (x *extractor) block(stmts []ast.Stmt, sc *scope, tc *testCtx) (flow, value) {
	for _, s := range stmts {
		f, v := x.stmt(s, sc, tc)
		if tc.stop {
			return flowStop, nil
		}
		if f != flowNext {
			return f, v
		}
	}
	return flowNext, nil
}

func (x *extractor) stmt(s ast.Stmt, sc *scope, tc *testCtx) (flow, value) {
	switch s := s.(type) {
	case *ast.ExprStmt:
		x.eval(s.X, sc, tc)
	case *ast.AssignStmt:
		x.assign(s, sc, tc)
	case *ast.DeclStmt:
		if g, ok := s.Decl.(*ast.GenDecl); ok {
			x.genDecl(g, sc, tc)
		}
	case *ast.BlockStmt:
		return x.block(s.List, newScope(sc), tc)
	case *ast.IfStmt:
		inner := newScope(sc)
		if s.Init != nil {
			x.stmt(s.Init, inner, tc)
		}
		cond, ok := x.eval(s.Cond, inner, tc).(bool)
		switch {
		case !ok:
			x.skipBlock(s, fmt.Sprintf("in an if at %s whose condition cannot be evaluated statically", x.source(s.Cond)))
		case cond:
			return x.block(s.Body.List, newScope(inner), tc)
		case s.Else != nil:
			return x.stmt(s.Else, inner, tc)
		}
	case *ast.RangeStmt:
		return x.rangeStmt(s, sc, tc)
	case *ast.ReturnStmt:
		switch len(s.Results) {
		case 0:
			return flowReturn, nil
		case 1:
			return flowReturn, x.eval(s.Results[0], sc, tc)
		}
		res := make(tuple, len(s.Results))
		for i, r := range s.Results {
			res[i] = x.eval(r, sc, tc)
		}
		return flowReturn, res
	case *ast.BranchStmt:
		switch s.Tok {
		case token.BREAK:
			return flowBreak, nil
		case token.CONTINUE:
			return flowContinue, nil
		}
		x.skipBlock(s, "after a goto")
		return flowStop, nil
	case *ast.LabeledStmt:
		return x.stmt(s.Stmt, sc, tc)
	case *ast.IncDecStmt:
		if id, ok := s.X.(*ast.Ident); ok {
			if n, ok := x.eval(id, sc, tc).(int64); ok {
				if s.Tok == token.INC {
					sc.assign(id.Name, n+1)
				} else {
					sc.assign(id.Name, n-1)
				}
			}
		}
	case *ast.ForStmt:
		x.skipBlock(s, fmt.Sprintf("in a three-clause for loop at %s", x.source(s)))
	case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
		x.skipBlock(s, fmt.Sprintf("in a switch at %s", x.source(s)))
	case *ast.DeferStmt, *ast.GoStmt:
		x.skipBlock(s, fmt.Sprintf("in a deferred call or goroutine at %s", x.source(s)))
	}
	return flowNext, nil
}

func (x *extractor) assign(s *ast.AssignStmt, sc *scope, tc *testCtx) {
	var vals []value
	switch {
	case len(s.Rhs) == 1 && len(s.Lhs) > 1:
		v := x.eval(s.Rhs[0], sc, tc)
		if tup, ok := v.(tuple); ok && len(tup) == len(s.Lhs) {
			vals = tup
		} else {
			for range s.Lhs {
				vals = append(vals, unknown{fmt.Sprintf("a result of %s", x.source(s.Rhs[0]))})
			}
		}
	default:
		for _, r := range s.Rhs {
			vals = append(vals, x.eval(r, sc, tc))
		}
	}
	for i, l := range s.Lhs {
		id, ok := l.(*ast.Ident)
		if !ok || id.Name == "_" || i >= len(vals) {
			continue
		}
		v := vals[i]
		switch s.Tok {
		case token.DEFINE:
			sc.vars[id.Name] = v
		case token.ASSIGN:
			sc.assign(id.Name, v)
		case token.ADD_ASSIGN:
			old, _ := sc.lookup(id.Name)
			sc.assign(id.Name, binary(token.ADD, old, v))
		default:
			sc.assign(id.Name, unknown{"compound assignment " + s.Tok.String()})
		}
	}
}

func (x *extractor) genDecl(g *ast.GenDecl, sc *scope, tc *testCtx) {
	for _, spec := range g.Specs {
		switch spec := spec.(type) {
		case *ast.ValueSpec:
			for i, n := range spec.Names {
				var v value = unknown{"declared without a value"}
				switch {
				case i < len(spec.Values):
					v = x.eval(spec.Values[i], sc, tc)
				case spec.Type != nil:
					v = x.zero(spec.Type, sc)
				}
				sc.vars[n.Name] = v
			}
		case *ast.TypeSpec:
			if st, ok := spec.Type.(*ast.StructType); ok {
				sc.types[spec.Name.Name] = st
			}
		}
	}
}

func (x *extractor) rangeStmt(s *ast.RangeStmt, sc *scope, tc *testCtx) (flow, value) {
	var keys, vals []value
	switch over := x.eval(s.X, sc, tc).(type) {
	case []value:
		for i, v := range over {
			keys, vals = append(keys, int64(i)), append(vals, v)
		}
	case mapValue:
		for _, k := range slices.Sorted(maps.Keys(over)) {
			keys, vals = append(keys, k), append(vals, over[k])
		}
	case int64:
		for i := range min(over, 1000) {
			keys, vals = append(keys, i), append(vals, nil)
		}
	case nilValue:
	default:
		x.skipBlock(s, fmt.Sprintf("in a range at %s over a value that cannot be evaluated statically", x.source(s.X)))
		return flowNext, nil
	}
	for i := range keys {
		iter := newScope(sc)
		bind := func(e ast.Expr, v value) {
			if id, ok := e.(*ast.Ident); ok && id.Name != "_" {
				if s.Tok == token.DEFINE {
					iter.vars[id.Name] = v
				} else {
					sc.assign(id.Name, v)
				}
			}
		}
		if s.Key != nil {
			bind(s.Key, keys[i])
		}
		if s.Value != nil {
			bind(s.Value, vals[i])
		}
		f, v := x.block(s.Body.List, iter, tc)
		switch f {
		case flowBreak:
			return flowNext, nil
		case flowReturn, flowStop:
			return f, v
		}
	}
	return flowNext, nil
}

// zero is the zero value of typ, resolving struct type names.
func (x *extractor) zero(typ ast.Expr, sc *scope) value {
	if id, ok := typ.(*ast.Ident); ok {
		if st := x.structType(id.Name, sc); st != nil {
			return &structValue{fields: map[string]value{}, fieldTypes: fieldTypes(st)}
		}
	}
	return zeroValue(typ)
}

func (x *extractor) structType(name string, sc *scope) *ast.StructType {
	if st := sc.structType(name); st != nil {
		return st
	}
	return x.types[name]
}

// fieldTypes maps a struct's field names to their types, in order.
func fieldTypes(st *ast.StructType) map[string]ast.Expr {
	m := map[string]ast.Expr{}
	for _, f := range st.Fields.List {
		for _, n := range f.Names {
			m[n.Name] = f.Type
		}
	}
	return m
}

func fieldNames(st *ast.StructType) []string {
	var names []string
	for _, f := range st.Fields.List {
		for _, n := range f.Names {
			names = append(names, n.Name)
		}
	}
	return names
}

func (x *extractor) eval(e ast.Expr, sc *scope, tc *testCtx) value {
	switch e := e.(type) {
	case *ast.BasicLit:
		return basicLit(e)
	case *ast.Ident:
		return x.ident(e, sc)
	case *ast.ParenExpr:
		return x.eval(e.X, sc, tc)
	case *ast.StarExpr:
		return x.eval(e.X, sc, tc)
	case *ast.UnaryExpr:
		v := x.eval(e.X, sc, tc)
		switch e.Op {
		case token.AND:
			return v // pointers are transparent
		case token.NOT:
			if b, ok := v.(bool); ok {
				return !b
			}
		case token.SUB:
			if n, ok := v.(int64); ok {
				return -n
			}
		}
		return unknown{"unary " + e.Op.String() + " at " + x.source(e)}
	case *ast.BinaryExpr:
		l := x.eval(e.X, sc, tc)
		// && and || short-circuit as in Go.
		if b, ok := l.(bool); ok && (e.Op == token.LAND && !b || e.Op == token.LOR && b) {
			return b
		}
		return binary(e.Op, l, x.eval(e.Y, sc, tc))
	case *ast.CompositeLit:
		return x.composite(e, e.Type, sc, tc)
	case *ast.FuncLit:
		return &closure{name: "func literal at " + x.source(e), params: e.Type.Params, body: e.Body, scope: sc}
	case *ast.SelectorExpr:
		return x.selector(e, sc, tc)
	case *ast.IndexExpr:
		return index(x.eval(e.X, sc, tc), x.eval(e.Index, sc, tc))
	case *ast.SliceExpr:
		return x.slice(e, sc, tc)
	case *ast.CallExpr:
		return x.call(e, sc, tc)
	}
	return unknown{fmt.Sprintf("expression %T at %s", e, x.source(e))}
}

func basicLit(e *ast.BasicLit) value {
	switch e.Kind {
	case token.STRING:
		if s, err := strconv.Unquote(e.Value); err == nil {
			return s
		}
	case token.INT:
		if n, err := strconv.ParseInt(e.Value, 0, 64); err == nil {
			return n
		}
	case token.CHAR:
		if s, err := strconv.Unquote(e.Value); err == nil {
			return int64([]rune(s)[0])
		}
	}
	return unknown{"literal " + e.Value}
}

func (x *extractor) ident(e *ast.Ident, sc *scope) value {
	if v, ok := sc.lookup(e.Name); ok {
		return v
	}
	switch e.Name {
	case "nil":
		return nilValue{}
	case "true":
		return true
	case "false":
		return false
	}
	return unknown{"identifier " + e.Name}
}

func binary(op token.Token, l, r value) value {
	if u, ok := l.(unknown); ok {
		return u
	}
	if u, ok := r.(unknown); ok {
		return u
	}
	switch op {
	case token.EQL, token.NEQ:
		eq, ok := equal(l, r)
		if !ok {
			return unknown{"comparison of values the interpreter cannot compare"}
		}
		return eq == (op == token.EQL)
	case token.LAND, token.LOR:
		a, ok1 := l.(bool)
		b, ok2 := r.(bool)
		if ok1 && ok2 {
			if op == token.LAND {
				return a && b
			}
			return a || b
		}
	}
	if a, ok := l.(string); ok {
		if b, ok := r.(string); ok && op == token.ADD {
			return a + b
		}
	}
	a, ok1 := l.(int64)
	b, ok2 := r.(int64)
	if ok1 && ok2 {
		switch op {
		case token.ADD:
			return a + b
		case token.SUB:
			return a - b
		case token.MUL:
			return a * b
		case token.LSS:
			return a < b
		case token.GTR:
			return a > b
		case token.LEQ:
			return a <= b
		case token.GEQ:
			return a >= b
		}
	}
	return unknown{"operator " + op.String()}
}

// equal compares two values as Go's == would, for the kinds the tests
// compare (strings, booleans, integers, nil).
func equal(l, r value) (eq, ok bool) {
	_, lnil := l.(nilValue)
	_, rnil := r.(nilValue)
	switch {
	case lnil || rnil:
		lempty := lnil || isNilSlice(l)
		rempty := rnil || isNilSlice(r)
		return lempty && rempty, lnil && rnil || lnil && isNilable(r) || rnil && isNilable(l)
	}
	switch a := l.(type) {
	case string:
		b, ok := r.(string)
		return a == b, ok
	case bool:
		b, ok := r.(bool)
		return a == b, ok
	case int64:
		b, ok := r.(int64)
		return a == b, ok
	}
	return false, false
}

func isNil(v value) bool { _, ok := v.(nilValue); return ok }

func isNilSlice(v value) bool { s, ok := v.([]value); return ok && s == nil }

func isNilable(v value) bool {
	switch v.(type) {
	case []value, mapValue, *closure:
		return true
	}
	return false
}

func index(v, i value) value {
	switch c := v.(type) {
	case []value:
		if n, ok := i.(int64); ok && n >= 0 && int(n) < len(c) {
			return c[n]
		}
	case mapValue:
		if k, ok := i.(string); ok {
			if e, ok := c[k]; ok {
				return e
			}
		}
	case string:
		if n, ok := i.(int64); ok && n >= 0 && int(n) < len(c) {
			return int64(c[n])
		}
	}
	return unknown{"index into a value that cannot be evaluated statically"}
}

func (x *extractor) slice(e *ast.SliceExpr, sc *scope, tc *testCtx) value {
	v := x.eval(e.X, sc, tc)
	lo, hi := int64(0), int64(-1)
	if e.Low != nil {
		n, ok := x.eval(e.Low, sc, tc).(int64)
		if !ok {
			return unknown{"slice bound at " + x.source(e)}
		}
		lo = n
	}
	if e.High != nil {
		n, ok := x.eval(e.High, sc, tc).(int64)
		if !ok {
			return unknown{"slice bound at " + x.source(e)}
		}
		hi = n
	}
	switch c := v.(type) {
	case string:
		if hi < 0 {
			hi = int64(len(c))
		}
		if 0 <= lo && lo <= hi && int(hi) <= len(c) {
			return c[lo:hi]
		}
	case []value:
		if hi < 0 {
			hi = int64(len(c))
		}
		if 0 <= lo && lo <= hi && int(hi) <= len(c) {
			return slices.Clone(c[lo:hi])
		}
	}
	return unknown{"slice of a value that cannot be evaluated statically at " + x.source(e)}
}

// composite evaluates a composite literal of type typ (the literal's own
// type, or the element type of the enclosing literal when it is elided).
func (x *extractor) composite(e *ast.CompositeLit, typ ast.Expr, sc *scope, tc *testCtx) value {
	switch t := typ.(type) {
	case *ast.ArrayType:
		out := []value{}
		for _, el := range e.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				el = kv.Value // indexed array literals are not used in bake's tests
			}
			out = append(out, x.element(el, t.Elt, sc, tc))
		}
		return out
	case *ast.MapType:
		out := mapValue{}
		for _, el := range e.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				return unknown{"map literal element at " + x.source(el)}
			}
			k, ok := x.eval(kv.Key, sc, tc).(string)
			if !ok {
				return unknown{"map literal with a key that is not a string at " + x.source(kv)}
			}
			out[k] = x.element(kv.Value, t.Value, sc, tc)
		}
		return out
	case *ast.StarExpr:
		return x.composite(e, t.X, sc, tc)
	case *ast.StructType:
		return x.structLit(e, t, sc, tc)
	case *ast.Ident:
		if st := x.structType(t.Name, sc); st != nil {
			return x.structLit(e, st, sc, tc)
		}
	}
	// A struct of a type declared elsewhere (composetypes.ConfigFile,
	// EntitlementConf): keyed fields are enough, and a field it leaves
	// out reads as unknown.
	out := &structValue{fields: map[string]value{}}
	for _, el := range e.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			return unknown{"positional literal of a type the interpreter does not know at " + x.source(e)}
		}
		if id, ok := kv.Key.(*ast.Ident); ok {
			out.fields[id.Name] = x.element(kv.Value, nil, sc, tc)
		}
	}
	return out
}

// element evaluates one element of a composite literal whose type may be
// elided (`[]File{{Name: ...}}`).
func (x *extractor) element(el, typ ast.Expr, sc *scope, tc *testCtx) value {
	if cl, ok := el.(*ast.CompositeLit); ok && cl.Type == nil {
		if typ == nil {
			return x.composite(cl, &ast.StructType{Fields: &ast.FieldList{}}, sc, tc)
		}
		return x.composite(cl, typ, sc, tc)
	}
	if u, ok := el.(*ast.UnaryExpr); ok && u.Op == token.AND {
		if cl, ok := u.X.(*ast.CompositeLit); ok && cl.Type == nil {
			if st, ok := typ.(*ast.StarExpr); ok {
				return x.composite(cl, st.X, sc, tc)
			}
		}
	}
	return x.eval(el, sc, tc)
}

func (x *extractor) structLit(e *ast.CompositeLit, st *ast.StructType, sc *scope, tc *testCtx) value {
	types := fieldTypes(st)
	out := &structValue{fields: map[string]value{}, fieldTypes: types}
	names := fieldNames(st)
	for i, el := range e.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok {
				out.fields[id.Name] = x.element(kv.Value, types[id.Name], sc, tc)
			}
			continue
		}
		if i < len(names) {
			out.fields[names[i]] = x.element(el, types[names[i]], sc, tc)
		}
	}
	return out
}

func (x *extractor) selector(e *ast.SelectorExpr, sc *scope, tc *testCtx) value {
	if id, ok := e.X.(*ast.Ident); ok {
		if _, local := sc.lookup(id.Name); !local {
			switch id.Name + "." + e.Sel.Name {
			case "runtime.GOOS":
				return runtime.GOOS
			case "runtime.GOARCH":
				return runtime.GOARCH
			}
			return unknown{id.Name + "." + e.Sel.Name}
		}
	}
	switch v := x.eval(e.X, sc, tc).(type) {
	case *structValue:
		return v.get(e.Sel.Name)
	case unknown:
		return v
	}
	return unknown{"field " + e.Sel.Name + " at " + x.source(e)}
}

// call evaluates a function call: an entry point (recorded as a case), a
// conversion, one of the library functions the tests build inputs with, a
// testing.T method, or a function of the tests themselves. Any other call
// still has its arguments evaluated, for the effects inside them
// (require.NoError(t, os.WriteFile(...))), and yields an unknown.
func (x *extractor) call(e *ast.CallExpr, sc *scope, tc *testCtx) value {
	args := func() []value {
		out := make([]value, len(e.Args))
		for i, a := range e.Args {
			out[i] = x.eval(a, sc, tc)
		}
		return out
	}
	switch fun := e.Fun.(type) {
	case *ast.ArrayType: // []byte(s)
		if len(e.Args) == 1 {
			return x.eval(e.Args[0], sc, tc)
		}
	case *ast.Ident:
		if entryPoints[fun.Name] {
			if _, shadowed := sc.lookup(fun.Name); !shadowed {
				return x.record(e, fun.Name, args(), tc)
			}
		}
		if _, local := sc.lookup(fun.Name); !local {
			if v, ok := builtin(fun.Name, args()); ok {
				return v
			}
		}
	case *ast.SelectorExpr:
		if id, ok := fun.X.(*ast.Ident); ok {
			if _, local := sc.lookup(id.Name); !local {
				return x.library(id.Name+"."+fun.Sel.Name, args(), tc)
			}
		}
		recv := x.eval(fun.X, sc, tc)
		if t, ok := recv.(testingT); ok {
			return x.testingMethod(e, fun.Sel.Name, t.tc, sc)
		}
		if s, ok := recv.(*structValue); ok {
			if c, ok := s.get(fun.Sel.Name).(*closure); ok {
				return x.invoke(c, args())
			}
		}
		args()
		return unknown{"method " + fun.Sel.Name + " at " + x.source(e)}
	}
	callee := x.eval(e.Fun, sc, tc)
	vals := args()
	if c, ok := callee.(*closure); ok {
		return x.invoke(c, vals)
	}
	return unknown{"call at " + x.source(e)}
}

// builtin evaluates Go's conversions and built-in functions, and
// bake's sliceToMap of the environment.
func builtin(name string, args []value) (value, bool) {
	switch name {
	case "string":
		if len(args) == 1 {
			if s, ok := args[0].(string); ok {
				return s, true
			}
		}
	case "int", "int64":
		if len(args) == 1 {
			if n, ok := args[0].(int64); ok {
				return n, true
			}
		}
	case "len":
		if len(args) == 1 {
			switch v := args[0].(type) {
			case string:
				return int64(len(v)), true
			case []value:
				return int64(len(v)), true
			case mapValue:
				return int64(len(v)), true
			case nilValue:
				return int64(0), true
			}
		}
	case "append":
		if len(args) >= 1 {
			switch base := args[0].(type) {
			case []value:
				return append(slices.Clone(base), args[1:]...), true
			case nilValue:
				return append([]value{}, args[1:]...), true
			}
		}
	case "sliceToMap":
		// bake's helper; the tests pass it os.Environ().
		if len(args) == 1 {
			if _, ok := args[0].(environ); ok {
				return environ{}, true
			}
		}
	}
	return nil, false
}

// library evaluates the standard-library calls bake's tests build their
// inputs with.
func (x *extractor) library(name string, args []value, tc *testCtx) value {
	strs := func() ([]string, bool) {
		out := make([]string, len(args))
		for i, a := range args {
			s, ok := a.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	switch name {
	case "fmt.Sprintf", "fmt.Appendf", "fmt.Sprint":
		if name == "fmt.Appendf" && len(args) > 0 {
			args = args[1:]
		}
		plain := make([]any, len(args))
		for i, a := range args {
			switch a.(type) {
			case string, bool, int64:
				plain[i] = a
			default:
				return unknown{name + " of a value that cannot be evaluated statically"}
			}
		}
		if name == "fmt.Sprint" {
			return fmt.Sprint(plain...)
		}
		if len(plain) == 0 {
			break
		}
		format, ok := plain[0].(string)
		if !ok {
			break
		}
		return fmt.Sprintf(format, plain[1:]...)
	case "strings.Join":
		if len(args) == 2 {
			sep, ok := args[1].(string)
			parts, ok2 := asStrings(args[0])
			if ok && ok2 == nil {
				return strings.Join(parts, sep)
			}
		}
	case "strings.Repeat":
		if len(args) == 2 {
			s, ok := args[0].(string)
			n, ok2 := args[1].(int64)
			if ok && ok2 && n >= 0 && n < 1<<16 {
				return strings.Repeat(s, int(n))
			}
		}
	case "strings.ReplaceAll", "strings.ToUpper", "strings.ToLower", "strings.TrimSpace",
		"filepath.Join", "path.Join", "filepath.ToSlash", "filepath.FromSlash", "filepath.Clean",
		"filepath.Dir", "filepath.Base", "strconv.Quote":
		s, ok := strs()
		if !ok {
			return unknown{name + " of a value that cannot be evaluated statically"}
		}
		return pureString(name, s)
	case "strconv.Itoa":
		if len(args) == 1 {
			if n, ok := args[0].(int64); ok {
				return strconv.FormatInt(n, 10)
			}
		}
	case "os.Environ":
		return environ{}
	case "os.Setenv":
		if s, ok := strs(); ok && len(s) == 2 {
			tc.setenv(s[0], s[1])
			return nilValue{}
		}
		tc.lost = "an os.Setenv of values that cannot be evaluated statically"
	case "os.Unsetenv":
		if s, ok := strs(); ok && len(s) == 1 {
			tc.unsetenv(s[0])
			return nilValue{}
		}
		tc.lost = "an os.Unsetenv of a name that cannot be evaluated statically"
	case "os.Chdir":
		if s, ok := strs(); ok && len(s) == 1 {
			tc.wd = resolve(tc.wd, s[0])
			return nilValue{}
		}
		tc.lost = "an os.Chdir to a directory that cannot be evaluated statically"
	case "os.WriteFile":
		if len(args) == 3 {
			p, ok := args[0].(string)
			data, ok2 := args[1].(string)
			if ok && ok2 {
				x.disk[resolve(tc.wd, p)] = &inputFile{name: p, data: data}
				return nilValue{}
			}
		}
	case "os.Mkdir", "os.MkdirAll":
		if len(args) >= 1 {
			if p, ok := args[0].(string); ok {
				x.disk[resolve(tc.wd, p)] = nil
				return nilValue{}
			}
		}
	}
	return unknown{"result of " + name}
}

func pureString(name string, s []string) value {
	switch name {
	case "strings.ReplaceAll":
		if len(s) == 3 {
			return strings.ReplaceAll(s[0], s[1], s[2])
		}
	case "strings.ToUpper":
		if len(s) == 1 {
			return strings.ToUpper(s[0])
		}
	case "strings.ToLower":
		if len(s) == 1 {
			return strings.ToLower(s[0])
		}
	case "strings.TrimSpace":
		if len(s) == 1 {
			return strings.TrimSpace(s[0])
		}
	case "filepath.Join":
		return filepath.Join(s...)
	case "path.Join":
		return path.Join(s...)
	case "filepath.ToSlash":
		if len(s) == 1 {
			return filepath.ToSlash(s[0])
		}
	case "filepath.FromSlash":
		if len(s) == 1 {
			return filepath.FromSlash(s[0])
		}
	case "filepath.Clean":
		if len(s) == 1 {
			return filepath.Clean(s[0])
		}
	case "filepath.Dir":
		if len(s) == 1 {
			return filepath.Dir(s[0])
		}
	case "filepath.Base":
		if len(s) == 1 {
			return filepath.Base(s[0])
		}
	case "strconv.Quote":
		if len(s) == 1 {
			return strconv.Quote(s[0])
		}
	}
	return unknown{"call of " + name + " with unexpected arguments"}
}

// resolve is p against the working directory wd; both may start with
// caseRoot.
func resolve(wd, p string) string {
	if strings.HasPrefix(p, caseRoot) || filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(wd, p)
}

// underRoot is p, a resolved path, relative to caseRoot; ok is false when p
// is not under it (an absolute path, or one that climbs out of it).
func underRoot(p string) (rel string, ok bool) {
	if p == caseRoot {
		return ".", true
	}
	rel, ok = strings.CutPrefix(p, caseRoot+string(filepath.Separator))
	return rel, ok
}

// testingMethod evaluates a *testing.T method.
func (x *extractor) testingMethod(e *ast.CallExpr, name string, tc *testCtx, sc *scope) value {
	args := make([]value, len(e.Args))
	for i, a := range e.Args {
		if name == "Run" && i == 1 {
			break // the body runs below, as a subtest
		}
		args[i] = x.eval(a, sc, tc)
	}
	switch name {
	case "Run":
		if len(e.Args) != 2 {
			break
		}
		sub, ok := args[0].(string)
		if !ok {
			x.skipBlock(e, fmt.Sprintf("in a subtest at %s whose name cannot be evaluated statically", x.source(e)))
			return false
		}
		body, ok := x.eval(e.Args[1], sc, tc).(*closure)
		if !ok {
			x.skipBlock(e, fmt.Sprintf("in a subtest at %s whose function cannot be evaluated statically", x.source(e)))
			return false
		}
		child := tc.child(sub)
		x.invoke(body, []value{testingT{child}})
		x.removeTemps(child)
		return !child.stop
	case "Setenv":
		if k, ok := args[0].(string); ok {
			if v, ok := args[1].(string); ok {
				tc.setenv(k, v)
				return nilValue{}
			}
		}
		// The environment of everything after this is unknown.
		tc.lost = "a t.Setenv of values that cannot be evaluated statically"
	case "Chdir":
		if p, ok := args[0].(string); ok {
			tc.wd = resolve(tc.wd, p)
			return nilValue{}
		}
		tc.lost = "a t.Chdir to a directory that cannot be evaluated statically"
	case "Name":
		return tc.name
	case "TempDir":
		x.tmpN++
		dir := filepath.Join(caseRoot, fmt.Sprintf("tmp%d", x.tmpN))
		x.disk[dir] = nil
		tc.temps = append(tc.temps, dir)
		return dir
	case "Skip", "Skipf", "SkipNow", "Fatal", "Fatalf", "FailNow":
		tc.stop = true
	}
	return unknown{"result of t." + name}
}

// removeTemps forgets the files under the temporary directories of a
// subtest that has ended, as the testing package removes them.
func (x *extractor) removeTemps(tc *testCtx) {
	for _, dir := range tc.temps {
		for p := range x.disk {
			if p == dir || strings.HasPrefix(p, dir+string(filepath.Separator)) {
				delete(x.disk, p)
			}
		}
	}
}

// invoke calls a closure with args bound to its parameters.
func (x *extractor) invoke(c *closure, args []value) value {
	if x.depth >= maxDepth {
		x.skipBlock(c.body, "in a call nested deeper than the interpreter follows")
		return unknown{"call nested too deep"}
	}
	x.depth++
	defer func() { x.depth-- }()
	sc := newScope(c.scope)
	var tc *testCtx
	i := 0
	for _, f := range c.params.List {
		names := f.Names
		if len(names) == 0 {
			names = []*ast.Ident{{Name: "_"}}
		}
		for _, n := range names {
			var v value = unknown{"parameter " + n.Name + " of " + c.name}
			if i < len(args) {
				v = args[i]
			}
			if t, ok := v.(testingT); ok && tc == nil {
				tc = t.tc
			}
			sc.vars[n.Name] = v
			i++
		}
	}
	if tc == nil {
		// A helper without a *testing.T runs in the test that calls it;
		// the innermost one whose T the closure captured.
		if t, ok := findT(c.scope); ok {
			tc = t.tc
		} else {
			tc = &testCtx{wd: caseRoot, subs: map[string]int{}}
		}
	}
	_, v := x.block(c.body.List, sc, tc)
	return v
}

// findT is the innermost *testing.T visible from sc.
func findT(sc *scope) (testingT, bool) {
	for s := sc; s != nil; s = s.parent {
		for _, v := range s.vars {
			if t, ok := v.(testingT); ok {
				return t, true
			}
		}
	}
	return testingT{}, false
}

// record turns one entry-point call into a case.
func (x *extractor) record(e *ast.CallExpr, fn string, args []value, tc *testCtx) value {
	x.reached[e.Pos()] = true
	tc.calls++
	c := upstreamCase{
		name: tc.name,
		pos:  x.position(e.Pos()),
		fn:   fn,
		dir:  ".",
		env:  slices.Clone(tc.env),
	}
	if tc.calls > 1 {
		c.name += "#" + strconv.Itoa(tc.calls)
	}
	if rel, ok := underRoot(tc.wd); ok {
		c.dir = rel
	} else {
		c.skip = fmt.Sprintf("the test changes to %s, outside its own directories", tc.wd)
	}
	if e.Ellipsis.IsValid() && len(args) > 0 {
		if spread, ok := args[len(args)-1].([]value); ok {
			args = append(args[:len(args)-1:len(args)-1], spread...)
		}
	}
	if err := c.fromArgs(fn, args); err != nil && c.skip == "" {
		c.skip = err.Error()
	}
	if tc.lost != "" && c.skip == "" {
		c.skip = "the environment or working directory is unknown after " + tc.lost
	}
	for _, p := range slices.Sorted(maps.Keys(x.disk)) {
		rel, ok := underRoot(p)
		switch f := x.disk[p]; {
		case !ok:
			if c.skip == "" {
				c.skip = fmt.Sprintf("the test writes %s, outside its own directories", p)
			}
		case f != nil:
			c.disk = append(c.disk, inputFile{name: rel, data: f.data})
		default:
			c.dirs = append(c.dirs, rel)
		}
	}
	if c.skip == "" {
		c.skip = c.checkLayout()
	}
	x.cases = append(x.cases, c)
	return unknown{"result of " + fn}
}

// argError says which argument of an entry point cannot be used.
type argError struct {
	fn, arg, why string
}

func (e *argError) Error() string { return fmt.Sprintf("%s argument %s: %s", e.fn, e.arg, e.why) }

// fromArgs fills in a case from the arguments of the call, as the command
// line expresses them: files with -f, overrides with --set, vars with
// --var, environment overrides as environment, ParseOpt's
// FileRelativePaths as BUILDX_BAKE_FILE_RELATIVE_PATHS=1. Functions that
// parse without resolving targets are given "*", every target and group.
func (c *upstreamCase) fromArgs(fn string, args []value) error {
	arg := func(i int, name string) value {
		if i < len(args) {
			return args[i]
		}
		return unknown{"missing argument " + name}
	}
	var err error
	fail := func(name string, e error) {
		if err == nil && e != nil {
			err = &argError{fn: fn, arg: name, why: e.Error()}
		}
	}
	c.targets = []string{"*"}
	switch fn {
	case "ReadTargets":
		var e error
		fail("files", c.addFiles(arg(1, "files")))
		c.targets, e = asStrings(arg(2, "targets"))
		fail("targets", e)
		if e == nil && len(c.targets) == 0 {
			fail("targets", fmt.Errorf("no target names: ReadTargets resolves nothing, where the command line would resolve the default group"))
		}
		fail("overrides", c.addSets(arg(3, "overrides")))
		fail("defaults", noDefaults(arg(4, "defaults")))
		fail("vars", c.addVars(arg(5, "vars")))
		fail("opts", c.addOpts(args[min(7, len(args)):]))
	case "ParseFiles":
		fail("files", c.addFiles(arg(0, "files")))
		fail("defaults", noDefaults(arg(1, "defaults")))
		fail("vars", c.addVars(arg(2, "vars")))
		fail("opts", c.addOpts(args[min(3, len(args)):]))
	case "ParseFile", "validateComposeFile":
		data, e := asString(arg(0, "data"))
		fail("data", e)
		name, e := asString(arg(1, "name"))
		fail("name", e)
		c.files = []inputFile{{name: name, data: data}}
		if fn == "validateComposeFile" {
			fail("envOverrides", c.addVars(arg(2, "envOverrides")))
		}
	case "ParseCompose":
		fail("cfgs", c.addComposeConfigs(arg(0, "cfgs")))
		fail("envs", c.addComposeEnv(arg(1, "envs")))
	case "ParseComposeFiles":
		fail("fs", c.addFiles(arg(0, "fs")))
		fail("envOverrides", c.addVars(arg(1, "envOverrides")))
		fail("opts", c.addOpts(args[min(2, len(args)):]))
	case "ReadLocalFiles":
		names, e := asStrings(arg(0, "names"))
		fail("names", e)
		if len(names) > 0 {
			fail("names", fmt.Errorf("named files are read from disk; only bake's default file names are compared"))
		}
		if _, ok := arg(1, "stdin").(nilValue); !ok {
			fail("stdin", fmt.Errorf("reads standard input"))
		}
		// No -f and no target: both tools look for their default files
		// and resolve the default group.
		c.targets = nil
	}
	return err
}

func asString(v value) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case unknown:
		return "", fmt.Errorf("cannot be evaluated statically (%s)", v.why)
	}
	return "", fmt.Errorf("is %T, not a string", v)
}

func asStrings(v value) ([]string, error) {
	switch v := v.(type) {
	case nilValue:
		return nil, nil
	case []value:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, err := asString(e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	case unknown:
		return nil, fmt.Errorf("cannot be evaluated statically (%s)", v.why)
	}
	return nil, fmt.Errorf("is %T, not a list of strings", v)
}

// asStringMap returns KEY=VALUE entries, sorted by key.
func asStringMap(v value) ([]string, error) {
	switch v := v.(type) {
	case nilValue:
		return nil, nil
	case mapValue:
		var out []string
		for _, k := range slices.Sorted(maps.Keys(v)) {
			s, err := asString(v[k])
			if err != nil {
				return nil, fmt.Errorf("key %s %w", k, err)
			}
			out = append(out, k+"="+s)
		}
		return out, nil
	case unknown:
		return nil, fmt.Errorf("cannot be evaluated statically (%s)", v.why)
	}
	return nil, fmt.Errorf("is %T, not a map of strings", v)
}

func (c *upstreamCase) addFiles(v value) error {
	list, ok := v.([]value)
	if !ok {
		if u, isUnknown := v.(unknown); isUnknown {
			return fmt.Errorf("cannot be evaluated statically (%s)", u.why)
		}
		if _, isNil := v.(nilValue); isNil {
			return nil
		}
		return fmt.Errorf("is %T, not a list of files", v)
	}
	for i, e := range list {
		f, ok := e.(*structValue)
		if !ok {
			return fmt.Errorf("file %d cannot be evaluated statically", i)
		}
		name, err := asString(f.get("Name"))
		if err != nil {
			return fmt.Errorf("file %d Name %w", i, err)
		}
		data := ""
		if d := f.get("Data"); !isNil(d) {
			if data, err = asString(d); err != nil {
				return fmt.Errorf("file %d Data %w", i, err)
			}
		}
		c.files = append(c.files, inputFile{name: name, data: data})
	}
	return nil
}

// addComposeConfigs takes ParseCompose's []composetypes.ConfigFile; a
// config without a Filename is given one in the working directory, as
// compose-go would read it from there.
func (c *upstreamCase) addComposeConfigs(v value) error {
	list, ok := v.([]value)
	if !ok {
		return fmt.Errorf("is not a list of compose config files")
	}
	for i, e := range list {
		f, ok := e.(*structValue)
		if !ok {
			return fmt.Errorf("config %d cannot be evaluated statically", i)
		}
		name := ""
		if v, set := f.fields["Filename"]; set {
			var err error
			if name, err = asString(v); err != nil {
				return fmt.Errorf("config %d Filename %w", i, err)
			}
		}
		if name == "" {
			name = "compose.yaml"
			if i > 0 {
				name = fmt.Sprintf("compose-%d.yaml", i+1)
			}
		}
		data, err := asString(f.fields["Content"])
		if _, set := f.fields["Content"]; !set {
			data, err = "", nil
		}
		if err != nil {
			return fmt.Errorf("config %d Content %w", i, err)
		}
		if _, set := f.fields["Config"]; set {
			return fmt.Errorf("config %d is given as a parsed map, which has no file form", i)
		}
		c.files = append(c.files, inputFile{name: name, data: data})
	}
	return nil
}

// addComposeEnv takes ParseCompose's envs: os.Environ() is the process
// environment, already what both tools see; a map literal becomes
// environment variables.
func (c *upstreamCase) addComposeEnv(v value) error {
	if _, ok := v.(environ); ok {
		return nil
	}
	kvs, err := asStringMap(v)
	c.env = append(c.env, kvs...)
	return err
}

func (c *upstreamCase) addSets(v value) error {
	sets, err := asStrings(v)
	for _, s := range sets {
		c.args = append(c.args, "--set="+s)
	}
	return err
}

func (c *upstreamCase) addVars(v value) error {
	kvs, err := asStringMap(v)
	for _, kv := range kvs {
		c.args = append(c.args, "--var="+kv)
	}
	return err
}

// noDefaults accepts only empty defaults: bake's built-in variables are
// set by the command itself and have no command-line form.
func noDefaults(v value) error {
	kvs, err := asStringMap(v)
	if err != nil {
		return err
	}
	if len(kvs) > 0 {
		return fmt.Errorf("built-in variable defaults %q have no command-line form", kvs)
	}
	return nil
}

func (c *upstreamCase) addOpts(opts []value) error {
	for _, o := range opts {
		s, ok := o.(*structValue)
		if !ok {
			return fmt.Errorf("a ParseOpt cannot be evaluated statically")
		}
		for field, v := range s.fields {
			if field != "FileRelativePaths" {
				return fmt.Errorf("ParseOpt field %s has no command-line form", field)
			}
			on, ok := v.(bool)
			if !ok {
				return fmt.Errorf("ParseOpt FileRelativePaths cannot be evaluated statically")
			}
			if on {
				c.env = append(c.env, "BUILDX_BAKE_FILE_RELATIVE_PATHS=1")
			}
		}
	}
	return nil
}

// inputPath is where an input file goes, relative to the case's root.
func (c *upstreamCase) inputPath(f inputFile) (string, bool) {
	return underRoot(resolve(filepath.Join(caseRoot, c.dir), f.name))
}

// checkLayout says why the case's files cannot be laid out on disk, or "".
func (c *upstreamCase) checkLayout() string {
	onDisk := map[string]string{}
	for _, f := range c.disk {
		onDisk[f.name] = f.data
	}
	for _, f := range c.files {
		switch {
		case f.name == "":
			return "a file has no name"
		case f.name == "-":
			return "a file is read from standard input"
		case filepath.IsAbs(f.name):
			return fmt.Sprintf("file %s is outside the case directory", f.name)
		}
		p, ok := c.inputPath(f)
		if !ok {
			return fmt.Sprintf("file %s is outside the case directory", f.name)
		}
		if data, ok := onDisk[p]; ok && data != f.data {
			return fmt.Sprintf("two different files are both named %s", f.name)
		}
		onDisk[p] = f.data
	}
	return ""
}
