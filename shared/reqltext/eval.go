package reqltext

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/photondb-io/photondb/shared/ql2"
)

// The evaluator runs the parsed expression the way JavaScript would run it
// against the official driver: plain JavaScript values (numbers, arrays,
// object literals, function literals) stay plain until a driver function
// converts them, and the conversions (r.expr, funcWrap, translateOptargs,
// util.aropt/varar/ar) follow ast.js step by step, so that variable
// numbers, option detection and errors come out the same.

type vkind uint8

const (
	vNull vkind = iota
	vBool
	vNum
	vStr
	vArr
	vObj
	vFunc // a function literal, not yet converted
	vTerm
	vR // the r namespace itself
)

// value is a JavaScript value during evaluation.
type value struct {
	kind vkind
	pos  pos
	b    bool
	n    float64
	s    string
	arr  []value
	obj  []objEntry
	fn   *node
	sc   *scope
	term Term
}

type objEntry struct {
	key string
	val value
}

// scope binds function parameters to variable numbers.
type scope struct {
	name   string
	id     int
	parent *scope
}

func (s *scope) lookup(name string) (int, bool) {
	for ; s != nil; s = s.parent {
		if s.name == name {
			return s.id, true
		}
	}
	return 0, false
}

// names lists the visible parameter names, innermost first.
func (s *scope) names() []string {
	var ns []string
	seen := map[string]bool{}
	for ; s != nil; s = s.parent {
		if !seen[s.name] {
			seen[s.name] = true
			ns = append(ns, s.name)
		}
	}
	return ns
}

// defaultNesting is the JS driver's r.expr nesting depth limit.
const defaultNesting = 20

type evaluator struct {
	// nextVar mirrors Func.nextVarId of the JS driver (fresh process: 0).
	nextVar int
}

func (e *evaluator) eval(n *node, sc *scope) (value, error) {
	switch n.kind {
	case nNum:
		return value{kind: vNum, pos: n.pos, n: n.num}, nil
	case nStr:
		return value{kind: vStr, pos: n.pos, s: n.str}, nil
	case nBool:
		return value{kind: vBool, pos: n.pos, b: n.b}, nil
	case nNull:
		return value{kind: vNull, pos: n.pos}, nil
	case nArray:
		v := value{kind: vArr, pos: n.pos, arr: make([]value, 0, len(n.elems))}
		for _, el := range n.elems {
			ev, err := e.eval(el, sc)
			if err != nil {
				return value{}, err
			}
			v.arr = append(v.arr, ev)
		}
		return v, nil
	case nObject:
		v := value{kind: vObj, pos: n.pos}
		seen := make(map[string]int, len(n.props))
		for _, pr := range n.props {
			pv, err := e.eval(pr.value, sc)
			if err != nil {
				return value{}, err
			}
			if pr.proto {
				// `__proto__: v` sets the prototype; no own property.
				continue
			}
			// A repeated key keeps its first place and takes the new value.
			if i, ok := seen[pr.key]; ok {
				v.obj[i].val = pv
				continue
			}
			seen[pr.key] = len(v.obj)
			v.obj = append(v.obj, objEntry{pr.key, pv})
		}
		sortJSOrder(v.obj, func(e *objEntry) string { return e.key })
		return v, nil
	case nFunc:
		return value{kind: vFunc, pos: n.pos, fn: n, sc: sc}, nil
	case nIdent:
		if id, ok := sc.lookup(n.str); ok {
			return value{kind: vTerm, pos: n.pos, term: varTerm(id)}, nil
		}
		if n.str == "r" {
			return value{kind: vR, pos: n.pos}, nil
		}
		msg := "unknown identifier '" + clip(n.str) + "'"
		names := sc.names()
		if s := suggest(n.str, names); s != "" {
			msg += " (did you mean '" + s + "'?)"
		} else if n.str == "R" || n.str == "rethinkdb" {
			msg += " (did you mean 'r'?)"
		} else if len(names) > 0 {
			if len(names) > 8 {
				names = append(names[:8], "...")
			}
			for i := range names {
				names[i] = clip(names[i])
			}
			msg += " (in scope: " + strings.Join(names, ", ") + ", r)"
		} else {
			msg += ": queries start with r, e.g. r.table('users')"
		}
		return value{}, errAt(n.pos, "%s", msg)
	case nMember:
		return e.evalMember(n, sc)
	case nCall:
		return e.evalCall(n, sc)
	}
	return value{}, errAt(n.pos, "internal error: unknown node")
}

// evalMember evaluates a property access that is not called: r.row,
// r.minval and the other term-valued properties of r.
func (e *evaluator) evalMember(n *node, sc *scope) (value, error) {
	obj, err := e.eval(n.obj, sc)
	if err != nil {
		return value{}, err
	}
	switch obj.kind {
	case vR:
		if tt, ok := ql2.JSConstant(n.str); ok {
			return value{kind: vTerm, pos: n.pos, term: OpTerm(tt, nil, nil)}, nil
		}
		if _, ok := functionSpecs[n.str]; ok {
			return value{}, errAt(n.pos, "r.%s is a function: call it, e.g. r.%s(...)", n.str, n.str)
		}
		return value{}, e.unknownFunction(n)
	case vTerm:
		if _, ok := methodSpecs[n.str]; ok {
			return value{}, errAt(n.pos, ".%s is a method: call it, e.g. .%s(...)", n.str, n.str)
		}
		return value{}, e.unknownMethod(n)
	}
	return value{}, errAt(n.pos, "property access on a plain JavaScript %s is not supported; wrap it in r.expr(...) to use ReQL methods", obj.kindName())
}

func (v value) kindName() string {
	switch v.kind {
	case vNull:
		return "null"
	case vBool:
		return "boolean"
	case vNum:
		return "number"
	case vStr:
		return "string"
	case vArr:
		return "array"
	case vObj:
		return "object"
	case vFunc:
		return "function"
	case vTerm:
		return "ReQL term"
	}
	return "value"
}

func article(s string) string {
	if strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

func (e *evaluator) unknownFunction(n *node) error {
	if _, ok := methodSpecs[n.str]; ok {
		return errAt(n.pos, "unknown function 'r.%s': %s is a method, call it on a term, e.g. r.table('t').%s(...)", n.str, n.str, n.str)
	}
	names := make([]string, 0, len(functionSpecs)+22)
	for k := range functionSpecs {
		names = append(names, k)
	}
	names = append(names, ql2.JSConstantNames()...)
	if s := suggest(n.str, names); s != "" {
		return errAt(n.pos, "unknown function 'r.%s' (did you mean 'r.%s'?)", n.str, s)
	}
	if n.str == "run" {
		return errAt(n.pos, ".run(...) must follow a query, e.g. r.table('t').run(conn)")
	}
	return errAt(n.pos, "unknown function 'r.%s'", clip(n.str))
}

func (e *evaluator) unknownMethod(n *node) error {
	switch n.str {
	case "run":
		return errAt(n.pos, ".run(...) is only allowed at the end of the whole query")
	case "toString", "build", "compose", "then", "catch":
		return errAt(n.pos, "'%s' is JS driver plumbing, not part of a query", n.str)
	}
	if _, ok := functionSpecs[n.str]; ok && n.str != "expr" {
		return errAt(n.pos, "unknown method '%s': %s is a top-level function, call it as r.%s(...)", n.str, n.str, n.str)
	}
	if _, ok := ql2.JSConstant(n.str); ok {
		return errAt(n.pos, "unknown method '%s': use r.%s", n.str, n.str)
	}
	names := make([]string, 0, len(methodSpecs))
	for k := range methodSpecs {
		names = append(names, k)
	}
	if s := suggest(n.str, names); s != "" {
		return errAt(n.pos, "unknown method '%s' (did you mean '%s'?)", n.str, s)
	}
	return errAt(n.pos, "unknown method '%s'", clip(n.str))
}

func (e *evaluator) evalArgs(nodes []*node, sc *scope) ([]value, error) {
	args := make([]value, 0, len(nodes))
	for _, a := range nodes {
		v, err := e.eval(a, sc)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	return args, nil
}

func (e *evaluator) evalCall(n *node, sc *scope) (value, error) {
	callee := n.obj
	if callee.kind == nMember {
		obj, err := e.eval(callee.obj, sc)
		if err != nil {
			return value{}, err
		}
		switch obj.kind {
		case vR:
			if _, ok := ql2.JSConstant(callee.str); ok {
				break // r.row('a'): a term called as a function
			}
			sp, ok := functionSpecs[callee.str]
			if !ok {
				return value{}, e.unknownFunction(callee)
			}
			args, err := e.evalArgs(n.elems, sc)
			if err != nil {
				return value{}, err
			}
			t, err := e.apply(sp, "r."+callee.str, nil, args, callee.pos)
			return value{kind: vTerm, pos: callee.pos, term: t}, err
		case vTerm:
			sp, ok := methodSpecs[callee.str]
			if !ok {
				return value{}, e.unknownMethod(callee)
			}
			args, err := e.evalArgs(n.elems, sc)
			if err != nil {
				return value{}, err
			}
			this := obj.term
			t, err := e.apply(sp, "."+callee.str, &this, args, callee.pos)
			return value{kind: vTerm, pos: callee.pos, term: t}, err
		default:
			name := clip(callee.str)
			return value{}, errAt(callee.pos, "cannot call .%s on a plain JavaScript %s; wrap it first: r.expr(...).%s(...)", name, obj.kindName(), name)
		}
	}
	fn, err := e.eval(callee, sc)
	if err != nil {
		return value{}, err
	}
	args, err := e.evalArgs(n.elems, sc)
	if err != nil {
		return value{}, err
	}
	switch fn.kind {
	case vR:
		t, err := e.apply(functionSpecs["expr"], "r", nil, args, n.pos)
		return value{kind: vTerm, pos: n.pos, term: t}, err
	case vTerm:
		// Terms are functions in the JS driver: t(x) is util.ar(1) around
		// t.bracket(x).
		if len(args) != 1 {
			return value{}, driverErr(n.pos, "", arMsg(1, len(args)))
		}
		this := fn.term
		t, err := e.apply(plain(ql2.TermBracket), "", &this, args, n.pos)
		return value{kind: vTerm, pos: n.pos, term: t}, err
	case vFunc:
		return value{}, errAt(n.pos, "calling a function literal is not supported")
	}
	return value{}, errAt(n.pos, "a plain JavaScript %s cannot be called; to read a field use r.expr(...)('field')", fn.kindName())
}

// jsToNumber is JavaScript's ToNumber for the values a query can hold
// (NaN for objects, functions and terms).
func jsToNumber(v value) float64 {
	switch v.kind {
	case vNum:
		return v.n
	case vNull:
		return 0
	case vBool:
		if v.b {
			return 1
		}
		return 0
	case vStr:
		return jsStringToNumber(v.s)
	case vArr:
		if s, ok := jsArrayString(v); ok {
			return jsStringToNumber(s)
		}
	}
	return math.NaN()
}

// jsArrayString is String(array) for arrays of primitives.
func jsArrayString(v value) (string, bool) {
	parts := make([]string, len(v.arr))
	for i, el := range v.arr {
		switch el.kind {
		case vNull:
		case vBool:
			parts[i] = strconv.FormatBool(el.b)
		case vNum:
			s, err := jsNumberString(el.n)
			if err != nil {
				return "", false
			}
			parts[i] = s
		case vStr:
			parts[i] = el.s
		case vArr:
			s, ok := jsArrayString(el)
			if !ok {
				return "", false
			}
			parts[i] = s
		default:
			return "", false
		}
	}
	return strings.Join(parts, ","), true
}

var jsDecimal = regexp.MustCompile(`^[+-]?(Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)$`)

// jsStringToNumber is JavaScript's ToNumber for strings.
func jsStringToNumber(s string) float64 {
	s = strings.TrimFunc(s, func(r rune) bool { return isSpace(r) || isLineTerminator(r) })
	if s == "" {
		return 0
	}
	if len(s) > 2 && s[0] == '0' && strings.ContainsRune("xXoObB", rune(s[1])) {
		base := map[byte]int{'x': 16, 'X': 16, 'o': 8, 'O': 8, 'b': 2, 'B': 2}[s[1]]
		n, ok := new(big.Int).SetString(s[2:], base)
		if !ok || n.Sign() < 0 || strings.ContainsAny(s[2:], "+-_") {
			return math.NaN()
		}
		f, _ := new(big.Float).SetInt(n).Float64()
		return f
	}
	if !jsDecimal.MatchString(s) {
		return math.NaN()
	}
	switch strings.TrimLeft(s, "+-") {
	case "Infinity":
		if s[0] == '-' {
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// driverErr reports an error the JS driver raises, prefixed with the
// function it comes from.
func driverErr(at pos, fn, msg string) error {
	if fn != "" {
		msg = fn + ": " + msg
	}
	return errAt(at, "%s", msg)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// arMsg is util.ar's message.
func arMsg(want, got int) string {
	return "Expected " + itoa(want) + " argument" + plural(want) + " but found " + itoa(got) + "."
}

// vararMsg is util.varar's message (max < 0 means no maximum).
func vararMsg(min, max, got int) string {
	if max < 0 {
		return "Expected " + itoa(min) + " or more arguments but found " + itoa(got) + "."
	}
	return "Expected between " + itoa(min) + " and " + itoa(max) + " arguments but found " + itoa(got) + "."
}

func itoa(n int) string { return strconv.Itoa(n) }

// isOptDict mirrors Object.prototype.toString.call(v) === '[object
// Object]': true only for object literals (terms are functions in the JS
// driver).
func isOptDict(v value) bool { return v.kind == vObj }

// slot is an argument of the term being built: either already converted
// (by funcWrap or r.expr in the driver's argument list) or a raw value
// that RDBOp's constructor converts later.
type slot struct {
	v         value
	t         Term
	done      bool
	undefined bool
}

func raw(v value) slot { return slot{v: v} }
func conv(t Term) slot { return slot{t: t, done: true} }

// apply calls the method (this != nil) or r-function described by sp.
func (e *evaluator) apply(sp spec, name string, this *Term, args []value, at pos) (Term, error) {
	var slots []slot
	if this != nil {
		slots = append(slots, conv(*this))
	}
	var opts *value
	fail := func(msg string) (Term, error) { return Term{}, driverErr(at, name, msg) }

	switch sp.conv {
	case cvPlain:
		for _, a := range args {
			slots = append(slots, raw(a))
		}
	case cvPlainFW:
		for _, a := range args {
			t, err := e.funcWrap(a)
			if err != nil {
				return Term{}, err
			}
			slots = append(slots, conv(t))
		}
	case cvAropt:
		expected := sp.pos
		if len(args) > expected && isOptDict(args[expected]) {
			opts = &args[expected]
		}
		numPos := len(args)
		if opts != nil {
			numPos--
		}
		if numPos != expected {
			s := "s"
			if expected == 1 {
				s = ""
			}
			return fail("Expected " + itoa(expected) + " argument" + s + " (not including options) but found " + itoa(numPos) + ".")
		}
		base := len(slots)
		for _, a := range args[:expected] {
			slots = append(slots, raw(a))
		}
		for i := 0; i < expected; i++ {
			if sp.fw&(1<<i) != 0 {
				t, err := e.funcWrap(args[i])
				if err != nil {
					return Term{}, err
				}
				slots[base+i] = conv(t)
			}
		}
	case cvMap:
		if len(args) < 1 {
			return fail(vararMsg(1, -1, len(args)))
		}
		last, err := e.funcWrap(args[len(args)-1])
		if err != nil {
			return Term{}, err
		}
		for _, a := range args[:len(args)-1] {
			slots = append(slots, raw(a))
		}
		slots = append(slots, conv(last))
	case cvDo:
		if this == nil && len(args) < 1 {
			return fail(vararMsg(1, -1, len(args)))
		}
		var fn slot
		if len(args) == 0 {
			fn = slot{undefined: true} // funcWrap(undefined) is undefined
		} else {
			t, err := e.funcWrap(args[len(args)-1])
			if err != nil {
				return Term{}, err
			}
			fn = conv(t)
			args = args[:len(args)-1]
		}
		slots = append([]slot{fn}, slots...)
		for _, a := range args {
			slots = append(slots, raw(a))
		}
	case cvSlice:
		if len(args) < 1 || len(args) > 3 {
			return fail(vararMsg(1, 3, len(args)))
		}
		switch {
		case len(args) == 3 && args[2].kind != vNull:
			opts = &args[2]
			slots = append(slots, raw(args[0]), raw(args[1]))
		case len(args) >= 2 && isOptDict(args[1]):
			opts = &args[1]
			slots = append(slots, raw(args[0]))
		case len(args) >= 2:
			slots = append(slots, raw(args[0]), raw(args[1]))
		default:
			slots = append(slots, raw(args[0]))
		}
	case cvIndexCreate:
		if len(args) < 1 || len(args) > 3 {
			return fail(vararMsg(1, 3, len(args)))
		}
		switch {
		case len(args) == 3 && args[2].kind != vNull:
			opts = &args[2]
			t, err := e.funcWrap(args[1])
			if err != nil {
				return Term{}, err
			}
			slots = append(slots, raw(args[0]), conv(t))
		case len(args) >= 2 && args[1].kind != vNull:
			if isOptDict(args[1]) {
				opts = &args[1]
				slots = append(slots, raw(args[0]))
			} else {
				t, err := e.funcWrap(args[1])
				if err != nil {
					return Term{}, err
				}
				slots = append(slots, raw(args[0]), conv(t))
			}
		default:
			slots = append(slots, raw(args[0]))
		}
	case cvOrderBy, cvGroup, cvGetAll, cvMinMax, cvRandom:
		rest := args
		switch {
		case sp.conv == cvGetAll && len(args) > 1,
			sp.conv == cvMinMax && len(args) == 1,
			(sp.conv == cvOrderBy || sp.conv == cvGroup || sp.conv == cvRandom) && len(args) > 0:
			if last := args[len(args)-1]; isOptDict(last) {
				opts = &args[len(args)-1]
				rest = args[:len(args)-1]
			}
		}
		for _, a := range rest {
			keep := sp.conv == cvGetAll || sp.conv == cvRandom ||
				(sp.conv == cvOrderBy && a.kind == vTerm && a.term.Kind == KindOp &&
					(a.term.Type == ql2.TermAsc || a.term.Type == ql2.TermDesc))
			if keep {
				slots = append(slots, raw(a))
				continue
			}
			t, err := e.funcWrap(a)
			if err != nil {
				return Term{}, err
			}
			slots = append(slots, conv(t))
		}
	case cvNoArgs:
		// The driver's function takes no parameters: arguments are ignored.
	case cvReconfigure:
		if len(args) > 0 {
			opts = &args[0]
		}
	case cvExpr:
		if len(args) < 1 || len(args) > 2 {
			return fail(vararMsg(1, 2, len(args)))
		}
		depth := float64(defaultNesting)
		if len(args) == 2 {
			switch args[1].kind {
			case vNum:
				depth = args[1].n
			case vNull:
				// null, like undefined, means the default depth.
			default:
				// The driver compares nestingDepth <= 0 (with JavaScript's
				// number conversion) before it checks the type.
				if n := jsToNumber(args[1]); n <= 0 {
					return Term{}, driverErr(args[0].pos, "", "Nesting depth limit exceeded.")
				}
				return fail("Second argument to `r.expr` must be a number or undefined.")
			}
		}
		return e.toTerm(args[0], depth)
	case cvBinary:
		if len(args) != 1 {
			return fail(arMsg(1, len(args)))
		}
		if args[0].kind != vTerm {
			return fail("Parameter to `r.binary` must be a Buffer object or RQL query.")
		}
		slots = append(slots, raw(args[0]))
	}
	return e.build(sp.tt, name, slots, opts, at)
}

// build mirrors the RDBOp constructor: the remaining raw arguments are
// converted with r.expr in order, then the options with translateOptargs.
func (e *evaluator) build(tt ql2.TermType, name string, slots []slot, opts *value, at pos) (Term, error) {
	args := make([]Term, len(slots))
	for i, s := range slots {
		switch {
		case s.undefined:
			st := strings.TrimPrefix(strings.TrimPrefix(name, "r."), ".")
			return Term{}, driverErr(at, "", "Argument "+itoa(i)+" to "+st+" may not be `undefined`.")
		case s.done:
			args[i] = s.t
		default:
			t, err := e.toTerm(s.v, defaultNesting)
			if err != nil {
				return Term{}, err
			}
			args[i] = t
		}
	}
	optargs, err := e.translateOptargs(opts, name)
	if err != nil {
		return Term{}, err
	}
	return OpTerm(tt, args, optargs), nil
}

// translateOptargs converts an options object: camelCase keys become
// snake_case (util.fromCamelCase) and values go through r.expr.
func (e *evaluator) translateOptargs(opts *value, name string) ([]Field, error) {
	if opts == nil {
		return nil, nil
	}
	switch opts.kind {
	case vObj:
	case vNull, vBool, vNum, vFunc:
		// for (key in opts) finds no own properties: no options.
		return nil, nil
	default:
		return nil, driverErr(opts.pos, name, "options must be an object literal, found "+article(opts.kindName()))
	}
	var fields []Field
	seen := make(map[string]int, len(opts.obj))
	for _, en := range opts.obj {
		t, err := e.toTerm(en.val, defaultNesting)
		if err != nil {
			return nil, err
		}
		// readMode and read_mode both become read_mode: the later wins.
		key := fromCamelCase(en.key)
		if i, ok := seen[key]; ok {
			fields[i].Value = t
			continue
		}
		seen[key] = len(fields)
		fields = append(fields, Field{Name: key, Value: t})
	}
	sortJSOrder(fields, func(f *Field) string { return f.Name })
	return fields, nil
}

// fromCamelCase is util.fromCamelCase: every A-Z becomes '_' + a-z.
func fromCamelCase(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			sb.WriteByte('_')
			sb.WriteByte(c + 'a' - 'A')
		} else {
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// toCamelCase is util.toCamelCase: every '_' + a-z becomes A-Z.
func toCamelCase(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '_' && i+1 < len(s) && s[i+1] >= 'a' && s[i+1] <= 'z' {
			sb.WriteByte(s[i+1] - 'a' + 'A')
			i++
			continue
		}
		sb.WriteByte(s[i])
	}
	return sb.String()
}

// funcWrap mirrors the driver's funcWrap: r.expr the value, and if the
// result mentions r.row anywhere, wrap it in a one-argument function.
func (e *evaluator) funcWrap(v value) (Term, error) {
	t, err := e.toTerm(v, defaultNesting)
	if err != nil {
		return Term{}, err
	}
	if !t.implicit {
		return t, nil
	}
	id := e.nextVar
	e.nextVar++
	return funcTerm([]int{id}, t), nil
}

func varTerm(id int) Term {
	return OpTerm(ql2.TermVar, []Term{DatumTerm(float64(id))}, nil)
}

func funcTerm(ids []int, body Term) Term {
	vars := make([]Term, len(ids))
	for i, id := range ids {
		vars[i] = DatumTerm(float64(id))
	}
	return OpTerm(ql2.TermFunc, []Term{OpTerm(ql2.TermMakeArray, vars, nil), body}, nil)
}

// toTerm mirrors r.expr(value, nestingDepth).
func (e *evaluator) toTerm(v value, depth float64) (Term, error) {
	if depth <= 0 {
		return Term{}, driverErr(v.pos, "", "Nesting depth limit exceeded.")
	}
	switch v.kind {
	case vTerm:
		return v.term, nil
	case vNull:
		return DatumTerm(nil), nil
	case vBool:
		return DatumTerm(v.b), nil
	case vStr:
		return DatumTerm(v.s), nil
	case vNum:
		if math.IsInf(v.n, 0) || math.IsNaN(v.n) {
			s := "Infinity"
			if v.n < 0 {
				s = "-Infinity"
			}
			return Term{}, driverErr(v.pos, "", "Illegal non-finite number `"+s+"`.")
		}
		if v.n == 0 {
			return DatumTerm(0.0), nil // JSON.stringify(-0) is "0"
		}
		return DatumTerm(v.n), nil
	case vArr:
		elems := make([]Term, len(v.arr))
		for i, el := range v.arr {
			t, err := e.toTerm(el, depth-1)
			if err != nil {
				return Term{}, err
			}
			elems[i] = t
		}
		return OpTerm(ql2.TermMakeArray, elems, nil), nil
	case vObj:
		fields := make([]Field, 0, len(v.obj))
		for _, en := range v.obj {
			t, err := e.toTerm(en.val, depth-1)
			if err != nil {
				return Term{}, err
			}
			fields = append(fields, Field{Name: en.key, Value: t})
		}
		return ObjectTerm(fields), nil
	case vFunc:
		return e.makeFunc(v)
	case vR:
		return Term{}, errAt(v.pos, "r cannot be used as a value; did you mean r.row or r.expr(...)?")
	}
	return Term{}, errAt(v.pos, "internal error: unknown value")
}

// makeFunc mirrors new Func({}, f): number the parameters, run the body
// with them bound to VAR terms, and r.expr the result.
func (e *evaluator) makeFunc(v value) (Term, error) {
	fn := v.fn
	sc := v.sc
	ids := make([]int, len(fn.params))
	for i, p := range fn.params {
		ids[i] = e.nextVar
		e.nextVar++
		sc = &scope{name: p, id: ids[i], parent: sc}
	}
	if fn.body == nil {
		return Term{}, driverErr(fn.pos, "", "Anonymous function returned `undefined`. Did you forget a `return`?")
	}
	bv, err := e.eval(fn.body, sc)
	if err != nil {
		return Term{}, err
	}
	body, err := e.toTerm(bv, defaultNesting)
	if err != nil {
		return Term{}, err
	}
	return funcTerm(ids, body), nil
}
