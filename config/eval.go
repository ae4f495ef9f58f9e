package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/orch-build/orch/internal/bakefuncs"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Evaluation happens in explicit phases, each collecting every problem it
// finds before the next starts:
//
//  1. collect: split every file into variable, function, target and group
//     blocks and top-level attributes, rejecting unknown names;
//  2. functions: build user functions on top of the bake library;
//  3. values: resolve variables and top-level attributes, lazily and in
//     dependency order, then check validation rules;
//  4. expand: give every target block its names (matrix expansion);
//  5. evaluate: evaluate every attribute of every block, resolving
//     `target.NAME.ATTR` and `group.NAME.ATTR` references on demand;
//     4 and 5 run block by block, so a large file is never held as a whole
//     syntax tree (stream.go), except when a reference needs every name;
//  6. resolve: merge same-name blocks, apply inherits and --set overrides,
//     and derive the final Targets (resolve.go).
//
// Values are resolved on demand rather than in a fixed order because a
// variable's default, a function's result and a target attribute may all
// depend on each other; each lookup checks for cycles.

// relativePathsEnv is the variable with which bake (v0.38) rebases
// contexts onto the directory of the file that sets them.
const relativePathsEnv = "BUILDX_BAKE_FILE_RELATIVE_PATHS"

// builtinVars are variables bake defines itself; files cannot redefine them.
var builtinVarNames = []string{"BAKE_CMD_CONTEXT", "BAKE_LOCAL_PLATFORM"}

// state of a lazily resolved value.
type state int8

const (
	unresolved state = iota
	inProgress
	resolved
	failed
)

type varDecl struct {
	name        string
	block       *hcl.Block
	typeExpr    hcl.Expression
	def         *hcl.Attribute
	description string
	validations []validation
	ty          cty.Type
	typed       bool
}

type validation struct {
	condition, message hcl.Expression
}

type funcDecl struct {
	name     string
	block    *hcl.Block
	params   []string
	variadic string
	result   hcl.Expression
	// ready is set once the values the result uses are resolved: they
	// are the same at every call, which then skips the walk.
	ready bool
}

// maxAttrs bounds the attributes a block kind has; attrIndex gives each
// attribute name its slot in instance.states.
const maxAttrs = 40

var attrIndex = func() map[string]int {
	m := map[string]int{}
	for _, table := range [][]Attribute{TargetAttributes, GroupAttributes} {
		for _, a := range table {
			if _, ok := m[a.Name]; !ok {
				m[a.Name] = len(m)
			}
		}
	}
	if len(m) > maxAttrs {
		panic("config: raise maxAttrs")
	}
	return m
}()

// rawBlock is a target or group block as collected. block and attrs are
// dropped after evaluation; the ranges later phases report stay.
type rawBlock struct {
	// insts are the targets (or the group) the block expands to.
	insts   []*instance
	kind    string
	label   string // the block's label, kept after block is released
	block   *hcl.Block
	file    *file
	attrs   hcl.Attributes
	pending int // instances not evaluated yet; at 0 the syntax goes
	// compose marks the targets and the default group of compose files:
	// made whole from the project, never evaluated (compose.go).
	compose      bool
	defRange     hcl.Range
	targetsRange *hcl.Range // a group's targets expression
}

// instance is one target or group a block produces: a plain block gives one,
// a matrix one per combination.
type instance struct {
	raw  *rawBlock
	name string
	ectx *hcl.EvalContext
	// vals caches evaluated attributes; states guards against cycles.
	states [maxAttrs]state
	bake   *bakeTarget
	group  *Group
	ok     bool
}

type loader struct {
	opts    Options
	workDir string
	files   []*file
	cfg     *Config
	diags   hcl.Diagnostics

	env    map[string]string
	useEnv bool
	// relative is BUILDX_BAKE_FILE_RELATIVE_PATHS: print shows contexts
	// rebased onto the file that set them, as bake does.
	relative bool
	builtins map[string]string

	ectx      *hcl.EvalContext
	vars      map[string]*varDecl
	varOrder  []string
	attrs     map[string]*hcl.Attribute
	funcs     map[string]*funcDecl
	valStates map[string]state
	valStack  []string
	calling   map[string]bool

	// compose decides which files are compose files and holds their
	// environment (compose.go).
	compose *composeClassifier

	// units are the target and group blocks of every file, in order,
	// parsed, expanded and evaluated one after the other (stream.go).
	units []*unit
	// syntaxFailed is set when a unit cut from a large file did not
	// parse: Load then parses the files whole and reports that.
	syntaxFailed bool
	// ahead holds a token for each unit parsed ahead and not yet taken.
	ahead       chan struct{}
	blocks      []*rawBlock
	targets     map[string][]*instance
	targetNames []string
	groups      map[string][]*instance
	groupNames  []string
	renamed     map[string][]string
	renameOrder []string

	own       map[string]*bakeTarget
	ranges    map[string][2]map[string]hcl.Range
	resolved  map[string]*bakeTarget
	resolving map[string]bool
	overrides map[string][]*override
}

func newLoader(opts Options, workDir string, files []*file, cfg *Config) *loader {
	l := &loader{
		opts: opts, workDir: workDir, files: files, cfg: cfg,
		env:       envMap(opts.Env),
		vars:      map[string]*varDecl{},
		attrs:     map[string]*hcl.Attribute{},
		funcs:     map[string]*funcDecl{},
		valStates: map[string]state{},
		calling:   map[string]bool{},
		targets:   map[string][]*instance{},
		groups:    map[string][]*instance{},
		renamed:   map[string][]string{},
		own:       map[string]*bakeTarget{},
		ranges:    map[string][2]map[string]hcl.Range{},
		resolved:  map[string]*bakeTarget{},
		resolving: map[string]bool{},
	}
	if v := strings.TrimSpace(l.env[relativePathsEnv]); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			l.add(errorDiag("Invalid "+relativePathsEnv, fmt.Sprintf("%s=%q is not a bool; set it to 1 (or true) to rebase contexts onto the file that sets them, as bake does, or unset it.", relativePathsEnv, v), nil))
		}
		l.relative = b
	}
	l.useEnv = envLookup(opts.Env)
	platform := opts.LocalPlatform
	if platform == "" {
		platform = defaultLocalPlatform()
	}
	cmdContext := opts.CmdContext
	if cmdContext == "" {
		cmdContext = "cwd://"
	}
	l.builtins = map[string]string{"BAKE_CMD_CONTEXT": cmdContext, "BAKE_LOCAL_PLATFORM": platform}
	funcs := map[string]function.Function{}
	for k, f := range bakefuncs.Stdlib() {
		funcs[k] = f
	}
	l.ectx = &hcl.EvalContext{Variables: map[string]cty.Value{}, Functions: funcs}
	for k, v := range l.builtins {
		l.ectx.Variables[k] = cty.StringVal(v)
		l.valStates[k] = resolved
	}
	return l
}

// envMap turns os.Environ-style pairs into a map; later pairs win.
func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if k != "" {
			m[k] = v
		}
	}
	return m
}

// lookupVar finds an override for a variable: --var first, then the
// environment.
func (l *loader) lookupVar(name string) (string, bool) {
	if v, ok := l.opts.Vars[name]; ok {
		return v, true
	}
	if l.useEnv {
		v, ok := l.env[name]
		return v, ok
	}
	return "", false
}

func (l *loader) add(d ...*hcl.Diagnostic) { l.diags = append(l.diags, d...) }

// run executes every phase and fills l.cfg.
func (l *loader) run() hcl.Diagnostics {
	l.collectCompose()
	l.collect()
	l.buildFunctions()
	l.resolveValues()
	// Expansion and evaluation run even after errors: failed values are
	// marked and never reported twice, so every independent problem of
	// the files shows up in one run. Merging and inherits need complete
	// targets and wait for a clean evaluation.
	l.evaluate()
	if l.syntaxFailed {
		return nil
	}
	if !l.diags.HasErrors() {
		l.finish()
	}
	return sortDiags(dropReported(l.diags), l.cfg.Files)
}

// sortDiags orders diagnostics by file (in the order given), line and
// column; diagnostics without a location come first.
func sortDiags(diags hcl.Diagnostics, files []string) hcl.Diagnostics {
	rank := map[string]int{}
	for i, f := range files {
		rank[f] = i + 1
	}
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return rank[a.Filename] < rank[b.Filename]
		case a.Start.Line != b.Start.Line:
			return a.Start.Line < b.Start.Line
		}
		return a.Start.Column < b.Start.Column
	})
	return diags
}

var topSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "target", LabelNames: []string{"name"}},
	{Type: "group", LabelNames: []string{"name"}},
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "function", LabelNames: []string{"name"}},
}}

// orchTopSchema is topSchema with the include blocks of an orch file.
var orchTopSchema = &hcl.BodySchema{Blocks: append(append([]hcl.BlockHeaderSchema(nil), topSchema.Blocks...), includeSchema.Blocks...)}

func schemaFor(attrs []Attribute, blocks ...string) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, a := range attrs {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a.Name})
	}
	for _, b := range blocks {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: b})
	}
	return s
}

var (
	targetSchema     = schemaFor(TargetAttributes)
	groupSchema      = schemaFor(GroupAttributes)
	variableSchema   = schemaFor(VariableAttributes, "validation")
	validationSchema = schemaFor(ValidationAttributes)
	functionSchema   = schemaFor(FunctionAttributes)
)

// refused lists, per block kind, the attributes bake refuses although it
// ignores other unknown ones, with the reason.
var refused = map[string]map[string]string{
	"group": {
		"name":   "name renames the targets a matrix expands to, and groups have no matrix. Remove it.",
		"matrix": "a matrix expands targets only. Move it to a target block.",
	},
}

// content decodes body against schema and reports every attribute or block
// the schema does not know, with a suggestion. what names the block kind
// ("target", "variable", ...) in messages. bake ignores what it does not
// know in target, group and variable blocks, so there (lenient) orch
// reads the file as bake does and warns; function and validation blocks,
// which bake decodes strictly, get errors.
func (l *loader) content(body hcl.Body, schema *hcl.BodySchema, what string, lenient bool) *hcl.BodyContent {
	content, rest, diags := body.PartialContent(schema)
	l.add(diags...)
	var known []string
	for _, a := range schema.Attributes {
		known = append(known, a.Name)
	}
	var knownBlocks []string
	for _, b := range schema.Blocks {
		knownBlocks = append(knownBlocks, b.Type)
	}
	report, ignored := errorDiag, ""
	if lenient {
		report, ignored = warnDiag, " It is ignored, as bake ignores it."
	}
	unknownAttr := func(name string, rng hcl.Range) {
		if why, ok := refused[what][name]; ok {
			l.add(errorDiag(fmt.Sprintf("Invalid %s attribute", what), fmt.Sprintf("A %s block cannot set %s: %s", what, name, why), &rng))
			return
		}
		l.add(report(fmt.Sprintf("Unknown %s attribute", what),
			fmt.Sprintf("Unknown %s attribute %q;%s%s", what, name, suggestionOr(name, known, fmt.Sprintf(" a %s block accepts %s.", what, quotedList(known))), ignored), &rng))
	}
	if sb, ok := body.(*hclsyntax.Body); ok {
		for _, name := range sortedKeys(sb.Attributes) {
			if !contains(known, name) {
				unknownAttr(name, sb.Attributes[name].NameRange)
			}
		}
		for _, b := range sb.Blocks {
			if contains(knownBlocks, b.Type) {
				continue
			}
			detail := fmt.Sprintf("A %s block cannot contain a %q block.", what, b.Type)
			if contains(known, b.Type) {
				detail += fmt.Sprintf(" Write it as an attribute: %s = ...", b.Type)
			} else if s := suggest(b.Type, knownBlocks); s != "" {
				detail += fmt.Sprintf(" Did you mean %q?", s)
			}
			l.add(report("Unexpected block", detail+ignored, b.TypeRange.Ptr()))
		}
		return content
	}
	attrs, _ := rest.JustAttributes()
	for _, name := range sortedKeys(attrs) {
		unknownAttr(name, attrs[name].NameRange)
	}
	return content
}

// suggestionOr returns " did you mean X?" for name, or fallback.
func suggestionOr(name string, candidates []string, fallback string) string {
	if s := suggest(name, candidates); s != "" {
		return fmt.Sprintf(" did you mean %q?", s)
	}
	return fallback
}

func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// collect is phase 1.
func (l *loader) collect() {
	reserved := append([]string{"target", "group", "variable", "function"}, builtinVarNames...)
	for _, f := range l.files {
		if f.compose {
			continue // collectCompose
		}
		schema := topSchema
		if f.orch {
			schema = orchTopSchema // include blocks were read by includeFiles
		}
		content, rest, diags := f.hcl.Body.PartialContent(schema)
		l.add(diags...)
		var attrs hcl.Attributes
		if sb, ok := f.hcl.Body.(*hclsyntax.Body); ok {
			attrs = hcl.Attributes{}
			for name, a := range sb.Attributes {
				attrs[name] = a.AsHCLAttribute()
			}
			for _, b := range sb.Blocks {
				if contains(BlockTypes, b.Type) || (f.orch && b.Type == IncludeBlockType) {
					continue
				}
				// bake ignores a block it does not know; orch warns.
				hint := suggestionOr(b.Type, BlockTypes, " a file holds target, group, variable and function blocks and top-level attributes.")
				if b.Type == IncludeBlockType {
					hint = " only orch files (orch.hcl, orch.json, NAME.orch.hcl, NAME.orch.json) include other files; rename this file to include them."
				}
				l.add(warnDiag("Unknown block type",
					fmt.Sprintf("Unknown block type %q;%s It is ignored, as bake ignores it.", b.Type, hint),
					b.TypeRange.Ptr()))
			}
		} else {
			var adiags hcl.Diagnostics
			attrs, adiags = rest.JustAttributes()
			l.add(adiags...)
		}
		for _, name := range sortedKeys(attrs) {
			a := attrs[name]
			if contains(reserved, name) {
				l.add(errorDiag("Reserved name", fmt.Sprintf("%q is reserved and cannot be set as a top-level attribute.", name), a.NameRange.Ptr()))
				continue
			}
			l.attrs[name] = a
		}
		// The blocks collected below keep what they need; the file's
		// syntax tree as a whole is not needed again.
		f.hcl = nil
		var blocks []*hcl.Block
		for _, b := range content.Blocks {
			if len(b.Labels) != 1 {
				continue // reported by PartialContent
			}
			switch b.Type {
			case "variable":
				l.collectVariable(b, reserved)
			case "function":
				l.collectFunction(b)
			case "target", "group":
				blocks = append(blocks, b)
			}
		}
		// A file parsed whole is one unit of target and group blocks,
		// before the units a large file was cut into (stream.go).
		if len(blocks) > 0 {
			f.units = append([]*unit{{file: f, blocks: blocks}}, f.units...)
		}
		l.units = append(l.units, f.units...)
		f.units = nil
	}
}

// collectBlocks turns the target and group blocks of a unit into raw
// blocks, reporting invalid names and unknown attributes.
func (l *loader) collectBlocks(u *unit) {
	for _, b := range u.blocks {
		if label := b.Labels[0]; !namePattern.MatchString(label) {
			l.add(errorDiag("Invalid name", fmt.Sprintf("%s name %q is invalid: only letters, digits, \"_\" and \"-\" are allowed.", capitalize(b.Type), label), b.LabelRanges[0].Ptr()))
			continue
		}
		schema := targetSchema
		if b.Type == "group" {
			schema = groupSchema
		}
		c := l.content(b.Body, schema, b.Type, true)
		rb := &rawBlock{kind: b.Type, label: b.Labels[0], block: b, file: u.file, attrs: c.Attributes, defRange: b.DefRange}
		if a, ok := c.Attributes["targets"]; ok && b.Type == "group" {
			rb.targetsRange = a.Expr.Range().Ptr()
		}
		u.raw = append(u.raw, rb)
		l.blocks = append(l.blocks, rb)
	}
	u.blocks = nil
}

func (l *loader) collectVariable(b *hcl.Block, reserved []string) {
	name := b.Labels[0]
	if !hclsyntax.ValidIdentifier(name) {
		l.add(errorDiag("Invalid variable name", fmt.Sprintf("Variable name %q is not a valid identifier: use letters, digits, \"_\" and \"-\", starting with a letter or \"_\".", name), b.LabelRanges[0].Ptr()))
		return
	}
	if contains(reserved, name) {
		l.add(errorDiag("Reserved name", fmt.Sprintf("%q is built in and cannot be declared as a variable.", name), b.LabelRanges[0].Ptr()))
		return
	}
	c := l.content(b.Body, variableSchema, "variable", true)
	v := &varDecl{name: name, block: b, ty: cty.DynamicPseudoType}
	if a, ok := c.Attributes["type"]; ok {
		v.typeExpr = a.Expr
		ty, diags := typeexpr.TypeConstraint(a.Expr)
		if diags.HasErrors() {
			// A null type is the same as no type.
			if val, err := a.Expr.Value(nil); err == nil && val.IsNull() {
				v.typeExpr = nil
			} else {
				l.add(diags...)
			}
		} else {
			v.ty = ty
			v.typed = !ty.Equals(cty.DynamicPseudoType) || hcl.ExprAsKeyword(a.Expr) == "any"
		}
	}
	if a, ok := c.Attributes["default"]; ok {
		v.def = a
	}
	if a, ok := c.Attributes["description"]; ok {
		val, diags := a.Expr.Value(nil)
		l.add(diags...)
		if !diags.HasErrors() {
			if s, ok, err := decodeString(val); err != nil {
				l.add(errorDiag("Invalid description", "The description must be a string.", a.Expr.Range().Ptr()))
			} else if ok {
				v.description = s
			}
		}
	}
	for _, vb := range c.Blocks {
		vc := l.content(vb.Body, validationSchema, "validation", false)
		cond, okc := vc.Attributes["condition"]
		msg, okm := vc.Attributes["error_message"]
		if !okc || !okm {
			l.add(errorDiag("Incomplete validation", "A validation block needs both condition and error_message.", vb.DefRange.Ptr()))
			continue
		}
		v.validations = append(v.validations, validation{condition: cond.Expr, message: msg.Expr})
	}
	if _, seen := l.vars[name]; !seen {
		l.varOrder = append(l.varOrder, name)
	}
	// As in bake, a later declaration replaces an earlier one entirely.
	l.vars[name] = v
}

func (l *loader) collectFunction(b *hcl.Block) {
	name := b.Labels[0]
	c := l.content(b.Body, functionSchema, "function", false)
	f := &funcDecl{name: name, block: b}
	ok := true
	if a, has := c.Attributes["params"]; !has {
		l.add(errorDiag("Missing params", fmt.Sprintf("Function %q needs params, a list of parameter names (params = [] for none).", name), b.DefRange.Ptr()))
		ok = false
	} else {
		exprs, diags := hcl.ExprList(a.Expr)
		l.add(diags...)
		for _, e := range exprs {
			p := hcl.ExprAsKeyword(e)
			if p == "" {
				l.add(errorDiag("Invalid param element", "Each parameter name must be an identifier.", e.Range().Ptr()))
				ok = false
			}
			f.params = append(f.params, p)
		}
	}
	if a, has := c.Attributes["variadic_params"]; has {
		f.variadic = hcl.ExprAsKeyword(a.Expr)
		if f.variadic == "" {
			l.add(errorDiag("Invalid variadic_params", "The variadic parameter name must be an identifier.", a.Expr.Range().Ptr()))
			ok = false
		}
	}
	if a, has := c.Attributes["result"]; !has {
		l.add(errorDiag("Missing result", fmt.Sprintf("Function %q needs result, the expression it returns.", name), b.DefRange.Ptr()))
		ok = false
	} else {
		f.result = a.Expr
	}
	if !ok {
		return
	}
	if contains(builtinVarNames, name) || name == "target" || name == "group" {
		return
	}
	l.funcs[name] = f
}

// buildFunctions is phase 2. A user function never replaces a library
// function of the same name (bake keeps the library one), so orch warns.
func (l *loader) buildFunctions() {
	for _, name := range sortedKeys(l.funcs) {
		f := l.funcs[name]
		if _, builtin := l.ectx.Functions[name]; builtin {
			l.add(warnDiag("Function shadows a built-in", fmt.Sprintf("A built-in function is named %q; calls use the built-in, not this definition. Rename the function.", name), f.block.LabelRanges[0].Ptr()))
			continue
		}
		l.ectx.Functions[name] = l.userFunction(f)
	}
	l.checkFunctionCycles()
}

// userFunction builds the callable for f. Its result is evaluated in the
// global context at call time, after resolving the variables it uses.
func (l *loader) userFunction(f *funcDecl) function.Function {
	spec := &function.Spec{Type: function.StaticReturnType(cty.DynamicPseudoType)}
	for _, p := range f.params {
		spec.Params = append(spec.Params, function.Parameter{Name: p, Type: cty.DynamicPseudoType, AllowNull: true})
	}
	if f.variadic != "" {
		spec.VarParam = &function.Parameter{Name: f.variadic, Type: cty.DynamicPseudoType, AllowNull: true}
	}
	spec.Impl = func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if l.calling[f.name] {
			return cty.DynamicVal, fmt.Errorf("function %q calls itself, directly or through other functions", f.name)
		}
		l.calling[f.name] = true
		defer delete(l.calling, f.name)
		ctx := l.ectx.NewChild()
		ctx.Variables = make(map[string]cty.Value, len(args))
		for i, p := range f.params {
			ctx.Variables[p] = args[i]
		}
		if f.variadic != "" {
			ctx.Variables[f.variadic] = cty.TupleVal(args[len(f.params):])
		}
		if !f.ready {
			if diags := l.deps(ctx, f.result, nil); diags.HasErrors() {
				return cty.DynamicVal, diags
			}
			f.ready = true
		}
		v, diags := f.result.Value(ctx)
		if diags.HasErrors() {
			return cty.DynamicVal, l.explain(diags, ctx)
		}
		return v, nil
	}
	return function.New(spec)
}

// checkFunctionCycles reports functions whose results call themselves,
// directly or through others, as bake refuses them up front.
func (l *loader) checkFunctionCycles() {
	calls := map[string][]string{}
	for name, f := range l.funcs {
		calls[name] = funcCalls(f.result)
	}
	color := map[string]int{}
	var visit func(n string, path []string) bool
	visit = func(n string, path []string) bool {
		if _, user := l.funcs[n]; !user {
			return false
		}
		switch color[n] {
		case 1:
			f := l.funcs[path[0]]
			l.add(errorDiag("Function cycle", fmt.Sprintf("Function %q calls itself: %s.", path[0], strings.Join(append(path, n), " → ")), f.result.Range().Ptr()))
			return true
		case 2:
			return false
		}
		color[n] = 1
		for _, c := range calls[n] {
			if visit(c, append(path, n)) {
				color[n] = 2
				return true
			}
		}
		color[n] = 2
		return false
	}
	for _, name := range sortedKeys(l.funcs) {
		if visit(name, nil) {
			delete(l.ectx.Functions, name)
		}
	}
}

// funcCalls lists the functions an expression calls (native syntax only;
// JSON expressions are checked when called).
func funcCalls(expr hcl.Expression) []string {
	node, ok := expr.(hclsyntax.Node)
	if !ok {
		return nil
	}
	var names []string
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		if fc, ok := n.(*hclsyntax.FunctionCallExpr); ok {
			names = append(names, fc.Name)
		}
		return nil
	})
	return names
}

// local reports whether name is defined by ctx or a parent below the global
// context (a matrix value or a function parameter).
func (l *loader) local(ctx *hcl.EvalContext, name string) bool {
	for c := ctx; c != nil && c != l.ectx; c = c.Parent() {
		if _, ok := c.Variables[name]; ok {
			return true
		}
	}
	return false
}

// localNames lists the names defined below the global context.
func (l *loader) localNames(ctx *hcl.EvalContext) []string {
	var names []string
	for c := ctx; c != nil && c != l.ectx; c = c.Parent() {
		for k := range c.Variables {
			names = append(names, k)
		}
	}
	return names
}

// valueNames lists every variable, attribute and built-in name.
func (l *loader) valueNames() []string {
	names := append([]string(nil), builtinVarNames...)
	for k := range l.vars {
		names = append(names, k)
	}
	for k := range l.attrs {
		if _, ok := l.vars[k]; !ok {
			names = append(names, k)
		}
	}
	return names
}

// blockRef is a `target.NAME...` or `group.NAME...` reference found in an
// expression.
type blockRef struct {
	kind, name string
	attr       string // "" for the whole block
	rng        hcl.Range
}

// deps resolves everything expr refers to so it can be evaluated in ctx:
// variables and attributes are resolved, and when refs is not nil,
// block references are collected into it (otherwise they are errors).
func (l *loader) deps(ctx *hcl.EvalContext, expr hcl.Expression, refs *[]blockRef) hcl.Diagnostics {
	if static(expr) {
		return nil
	}
	var diags hcl.Diagnostics
	for _, tr := range expr.Variables() {
		root := tr.RootName()
		rng := tr.SourceRange()
		if l.local(ctx, root) {
			continue
		}
		if root == "target" || root == "group" {
			if refs == nil {
				diags = append(diags, errorDiag("Invalid reference",
					fmt.Sprintf("%s.NAME references can only be used inside target and group blocks and in top-level attributes.", root), &rng))
				continue
			}
			ref, d := parseBlockRef(root, tr)
			if d != nil {
				diags = append(diags, d)
				continue
			}
			*refs = append(*refs, ref)
			continue
		}
		if _, ok := l.valStates[root]; ok || l.vars[root] != nil || l.attrs[root] != nil {
			diags = append(diags, l.resolveValue(root, rng)...)
			continue
		}
		// Anything else is left to evaluation, which reports unknown
		// names (see explain): some names are not variables at all, such
		// as the type in convert(x, number).
	}
	return diags
}

// static reports whether a native-syntax expression refers to nothing:
// literals, and templates, lists and objects made of them, which most
// attributes are. Finding that out without hclsyntax.Variables, which
// walks (and allocates for) every expression, is a large part of loading
// big files quickly.
func static(expr hcl.Expression) bool {
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		return true
	case *hclsyntax.TemplateExpr:
		for _, p := range e.Parts {
			if !static(p) {
				return false
			}
		}
		return true
	case *hclsyntax.TemplateWrapExpr:
		return static(e.Wrapped)
	case *hclsyntax.TupleConsExpr:
		for _, x := range e.Exprs {
			if !static(x) {
				return false
			}
		}
		return true
	case *hclsyntax.ObjectConsExpr:
		for _, item := range e.Items {
			if !static(item.ValueExpr) {
				return false
			}
			k, ok := item.KeyExpr.(*hclsyntax.ObjectConsKeyExpr)
			if !ok {
				return false
			}
			// A bare key is a name, not a reference; anything else must
			// be static itself.
			if t, bare := k.Wrapped.(*hclsyntax.ScopeTraversalExpr); !bare || len(t.Traversal) != 1 || k.ForceNonLiteral {
				if !static(k.Wrapped) {
					return false
				}
			}
		}
		return true
	}
	return false
}

// explain adds a suggestion to the "Unknown variable" diagnostics HCL
// reports when evaluating in ctx.
func (l *loader) explain(diags hcl.Diagnostics, ctx *hcl.EvalContext) hcl.Diagnostics {
	for _, d := range diags {
		if d.Summary != "Unknown variable" {
			continue
		}
		_, rest, ok := strings.Cut(d.Detail, "There is no variable named ")
		if !ok {
			continue
		}
		name, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(rest), "."))
		if err != nil {
			continue
		}
		candidates := append(l.valueNames(), l.localNames(ctx)...)
		d.Detail = fmt.Sprintf("There is no variable named %q.%s Declare it with a variable block, or set it with --var.", name, didYouMean(name, candidates))
	}
	return diags
}

// parseBlockRef checks the shape of a block reference.
func parseBlockRef(kind string, tr hcl.Traversal) (blockRef, *hcl.Diagnostic) {
	rng := tr.SourceRange()
	rel := tr.SimpleSplit().Rel
	if len(rel) == 0 {
		return blockRef{}, errorDiag("Invalid reference", fmt.Sprintf("%q alone is not a value; write %s.NAME.ATTRIBUTE.", kind, kind), &rng)
	}
	var name string
	switch step := rel[0].(type) {
	case hcl.TraverseAttr:
		name = step.Name
	case hcl.TraverseIndex:
		if step.Key.Type() == cty.String && step.Key.IsKnown() && !step.Key.IsNull() {
			name = step.Key.AsString()
		}
	}
	if name == "" {
		return blockRef{}, errorDiag("Invalid reference", fmt.Sprintf("A %s reference needs a name: %s.NAME.ATTRIBUTE.", kind, kind), &rng)
	}
	ref := blockRef{kind: kind, name: name, rng: rng}
	if len(rel) > 1 {
		if a, ok := rel[1].(hcl.TraverseAttr); ok {
			ref.attr = a.Name
		}
	}
	return ref, nil
}

// resolveValue makes sure the variable or top-level attribute name has a
// value in the global context.
func (l *loader) resolveValue(name string, from hcl.Range) hcl.Diagnostics {
	switch l.valStates[name] {
	case resolved:
		return nil
	case failed:
		// Already reported; report nothing more for the same cause.
		return hcl.Diagnostics{&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid variable", Detail: "(reported above)", Extra: reportedAbove{}}}
	case inProgress:
		i := 0
		for j, n := range l.valStack {
			if n == name {
				i = j
			}
		}
		cycle := append(append([]string(nil), l.valStack[i:]...), name)
		return hcl.Diagnostics{errorDiag("Variable cycle", fmt.Sprintf("Variable %q refers to itself: %s. Break the cycle by giving one of them a literal value.", name, strings.Join(cycle, " → ")), &from)}
	}
	l.valStates[name] = inProgress
	l.valStack = append(l.valStack, name)
	v, diags := l.computeValue(name)
	l.valStack = l.valStack[:len(l.valStack)-1]
	if diags.HasErrors() {
		l.valStates[name] = failed
		l.add(diags...)
		return hcl.Diagnostics{&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid variable", Detail: "(reported above)", Extra: reportedAbove{}}}
	}
	l.ectx.Variables[name] = v
	l.valStates[name] = resolved
	return nil
}

// reportedAbove marks a diagnostic that only signals an error already
// reported; such diagnostics are dropped before returning.
type reportedAbove struct{}

// computeValue evaluates a variable or attribute following bake: a
// top-level attribute replaces a variable's default; an override (from
// --var or the environment) applies to declared variables only and is
// parsed according to the type.
func (l *loader) computeValue(name string) (cty.Value, hcl.Diagnostics) {
	v := l.vars[name]
	def := l.attrs[name]
	ty, typed := cty.DynamicPseudoType, false
	if def == nil && v != nil {
		def, ty, typed = v.def, v.ty, v.typed
	}
	var val cty.Value
	if def == nil {
		if _, has, _ := l.override(name, false); !has {
			if typed {
				return cty.NullVal(ty), nil
			}
			return cty.StringVal(""), nil
		}
	} else {
		// A top-level attribute may refer to blocks (x =
		// target.app.dockerfile), as in bake; a variable's default may
		// not.
		var refs []blockRef
		refsp := &refs
		if def != l.attrs[name] {
			refsp = nil
		}
		if diags := l.deps(l.ectx, def.Expr, refsp); diags.HasErrors() {
			return cty.NilVal, diags
		}
		ctx := l.ectx
		if len(refs) > 0 {
			var ok bool
			if ctx, ok = l.refContext(nil, l.ectx, refs); !ok {
				return cty.NilVal, hcl.Diagnostics{&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid reference", Detail: "(reported above)", Extra: reportedAbove{}}}
			}
		}
		var diags hcl.Diagnostics
		val, diags = def.Expr.Value(ctx)
		if diags.HasErrors() {
			return cty.NilVal, l.explain(diags, ctx)
		}
		conv, err := convertValue(val, ty)
		if err != nil {
			return cty.NilVal, hcl.Diagnostics{errorDiag("Invalid default value",
				fmt.Sprintf("The default of variable %q does not match its type %s: %v.", name, typeexpr.TypeString(ty), err), def.Expr.Range().Ptr())}
		}
		val = conv
	}
	if v == nil {
		return val, nil
	}
	raw, has, isJSON := l.override(name, typed)
	if !has {
		return val, nil
	}
	out, err := parseOverride(name, raw, isJSON, typed, ty, def == nil, val)
	if err != nil {
		return cty.NilVal, hcl.Diagnostics{errorDiag("Invalid variable value",
			fmt.Sprintf("The value given for variable %q (from --var or the environment) is invalid: %v.", name, err), v.block.DefRange.Ptr())}
	}
	return out, nil
}

// override returns an override for a declared variable: NAME, or NAME_JSON
// when NAME is not set or the variable is typed (JSON wins then).
func (l *loader) override(name string, favorJSON bool) (string, bool, bool) {
	val, has := l.lookupVar(name)
	isJSON := false
	if !has || favorJSON {
		jsonName := name + "_JSON"
		if _, declared := l.vars[jsonName]; !declared && !contains(builtinVarNames, jsonName) {
			if j, ok := l.lookupVar(jsonName); ok {
				val, has, isJSON = j, true, true
			}
		}
	}
	return val, has, isJSON
}

// resolveValues is phase 3.
func (l *loader) resolveValues() {
	for _, name := range l.varOrder {
		v := l.vars[name]
		_ = l.resolveValue(name, v.block.DefRange)
	}
	for _, name := range sortedKeys(l.attrs) {
		_ = l.resolveValue(name, l.attrs[name].Range)
	}
	for _, name := range l.varOrder {
		decl := l.vars[name]
		out := &Variable{Name: name, Description: decl.description, DefRange: decl.block.DefRange}
		if decl.typed {
			out.Type = typeexpr.TypeString(decl.ty)
		}
		if val, ok := l.ectx.Variables[name]; ok {
			out.Value = jsonValue(val)
		}
		l.cfg.Variables = append(l.cfg.Variables, out)
	}
	for _, name := range l.varOrder {
		if l.valStates[name] == resolved {
			l.validate(l.vars[name])
		}
	}
}

// validate checks a variable's validation rules.
func (l *loader) validate(v *varDecl) {
	for _, rule := range v.validations {
		if diags := l.deps(l.ectx, rule.condition, nil); diags.HasErrors() {
			l.add(diags...)
			continue
		}
		res, diags := rule.condition.Value(l.ectx)
		if diags.HasErrors() {
			l.add(l.explain(diags, l.ectx)...)
			continue
		}
		if res.IsNull() {
			l.add(errorDiag("Invalid condition result", "The condition must be true or false, not null.", rule.condition.Range().Ptr()))
			continue
		}
		b, err := convertValue(res, cty.Bool)
		if err != nil {
			l.add(errorDiag("Invalid condition result", fmt.Sprintf("The condition must be true or false: %v.", err), rule.condition.Range().Ptr()))
			continue
		}
		if b.True() {
			continue
		}
		msg := "This check failed, but has an invalid error message."
		if diags := l.deps(l.ectx, rule.message, nil); !diags.HasErrors() {
			if m, d := rule.message.Value(l.ectx); !d.HasErrors() {
				if s, ok, err := decodeString(m); err == nil && ok {
					msg = s
				}
			}
		}
		l.add(errorDiag("Validation failed", fmt.Sprintf("Variable %q: %s", v.name, msg), rule.condition.Range().Ptr()))
	}
}

// dropReported removes placeholder diagnostics.
func dropReported(diags hcl.Diagnostics) hcl.Diagnostics {
	out := diags[:0]
	for _, d := range diags {
		if _, ok := d.Extra.(reportedAbove); ok {
			continue
		}
		out = append(out, d)
	}
	return out
}
