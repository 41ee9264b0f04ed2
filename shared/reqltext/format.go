package reqltext

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/photondb-io/photondb/shared/ql2"
)

// Format renders wire JSON of a term as JavaScript driver syntax, e.g.
// [39,[[15,["users"]],[69,[[2,[0]],[21,[[170,[[10,[0]],"age"]],18]]]]]]
// becomes
// r.table("users").filter(function(var_0) { return var_0("age").gt(18); }).
//
// For any term produced by Parse, Parse(Format(term)) builds the same
// term again (up to variable numbering). Terms the JS driver cannot
// express (e.g. options on a term that takes none) are still rendered
// readably, but may not parse back.
func Format(term json.RawMessage) (string, error) {
	var t Term
	if err := t.UnmarshalJSON(term); err != nil {
		return "", err
	}
	return FormatTerm(t)
}

// FormatTerm is Format for a decoded Term.
func FormatTerm(t Term) (string, error) {
	var f formatter
	f.term(t, false, 0)
	if f.err != nil {
		return "", f.err
	}
	return f.buf.String(), nil
}

// printName is how a term type is written: as a method on its first
// argument and/or as an r-function.
type printName struct {
	method, function string
	mspec, fspec     spec
}

var printNames = func() map[ql2.TermType]printName {
	m := map[ql2.TermType]printName{}
	// Aliases that are never printed.
	skip := map[string]bool{"toJSON": true, "expr": true}
	for _, name := range sortedNames(methodSpecs) {
		sp := methodSpecs[name]
		if skip[name] {
			continue
		}
		pn := m[sp.tt]
		pn.method, pn.mspec = name, sp
		m[sp.tt] = pn
	}
	for _, name := range sortedNames(functionSpecs) {
		sp := functionSpecs[name]
		if skip[name] {
			continue
		}
		pn := m[sp.tt]
		pn.function, pn.fspec = name, sp
		m[sp.tt] = pn
	}
	return m
}()

// constantNames maps MINVAL, MONDAY, ... back to r.minval, r.monday, ...
var constantNames = func() map[ql2.TermType]string {
	m := map[ql2.TermType]string{}
	for _, name := range ql2.JSConstantNames() {
		tt, _ := ql2.JSConstant(name)
		m[tt] = name
	}
	return m
}()

func sortedNames(m map[string]spec) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

type formatter struct {
	buf bytes.Buffer
	err error
	// lit counts enclosing array and object literals: r.expr allows only
	// 20 levels of them, so deeper ones are restarted with r.expr(...).
	lit int
}

// maxLiteralNesting is where Format restarts literal nesting.
const maxLiteralNesting = 16

// literal writes an array or object literal through write, keeping lit.
func (f *formatter) literal(write func()) {
	if f.lit >= maxLiteralNesting {
		saved := f.lit
		f.lit = 0
		f.buf.WriteString("r.expr(")
		f.literal(write)
		f.buf.WriteByte(')')
		f.lit = saved
		return
	}
	f.lit++
	write()
	f.lit--
}

func (f *formatter) fail(format string, args ...any) {
	if f.err == nil {
		f.err = fmt.Errorf("reqltext: format: "+format, args...)
	}
}

func isPlain(t Term) bool {
	return t.Kind == KindDatum || t.Kind == KindObject || (t.Kind == KindOp && t.Type == ql2.TermMakeArray)
}

// term writes t. fw is set when t is an argument the driver passes
// through funcWrap: there an r.row function wrapper is written as its
// body, since parsing wraps it again.
func (f *formatter) term(t Term, fw bool, depth int) {
	if f.err != nil {
		return
	}
	if depth > 3*MaxDepth {
		f.fail("term nested too deeply")
		return
	}
	switch t.Kind {
	case KindDatum:
		f.datum(t.Datum)
		return
	case KindObject:
		f.literal(func() { f.object(t.Fields, depth) })
		return
	case KindOp:
	default:
		f.fail("invalid term kind %d", t.Kind)
		return
	}
	if t.Type == ql2.TermMakeObj && len(t.Args) == 0 {
		f.literal(func() { f.object(t.Fields, depth) })
		return
	}
	if t.Type == ql2.TermMakeArray && len(t.Fields) == 0 {
		f.literal(func() {
			f.buf.WriteByte('[')
			f.list(t.Args, nil, false, depth)
			f.buf.WriteByte(']')
		})
		return
	}
	// The arguments of any other term start a fresh r.expr nesting count.
	saved := f.lit
	f.lit = 0
	defer func() { f.lit = saved }()
	switch t.Type {
	case ql2.TermImplicitVar:
		if len(t.Args) == 0 && len(t.Fields) == 0 {
			f.buf.WriteString("r.row")
			return
		}
	case ql2.TermVar:
		if id, ok := varID(t); ok {
			fmt.Fprintf(&f.buf, "var_%d", id)
			return
		}
	case ql2.TermFunc:
		f.funcLiteral(t, fw, depth)
		return
	case ql2.TermFuncall:
		if len(t.Args) >= 1 && len(t.Fields) == 0 {
			// r.do(args..., func)
			fws := make([]bool, len(t.Args))
			fws[len(t.Args)-1] = true
			f.buf.WriteString("r.do(")
			f.list(append(append([]Term(nil), t.Args[1:]...), t.Args[0]), fws, false, depth)
			f.buf.WriteByte(')')
			return
		}
	case ql2.TermBracket:
		if len(t.Args) == 2 && len(t.Fields) == 0 {
			f.receiver(t.Args[0], depth)
			f.buf.WriteByte('(')
			f.term(t.Args[1], false, depth+1)
			f.buf.WriteByte(')')
			return
		}
	case ql2.TermBinary:
		if len(t.Args) == 1 && len(t.Fields) == 0 {
			f.buf.WriteString("r.binary(")
			f.receiver(t.Args[0], depth)
			f.buf.WriteByte(')')
			return
		}
	}
	if len(t.Args) == 0 && len(t.Fields) == 0 {
		if name, ok := constantNames[t.Type]; ok {
			f.buf.WriteString("r." + name)
			return
		}
	}
	pn := printNames[t.Type]
	hasOpts := len(t.Fields) > 0
	methodOK := pn.method != "" && len(t.Args) > 0 && fits(pn.mspec, t.Args[1:], hasOpts)
	functionOK := pn.function != "" && fits(pn.fspec, t.Args, hasOpts)
	preferMethod := len(t.Args) > 0 && !isPlain(t.Args[0])
	switch {
	case methodOK && (preferMethod || !functionOK):
		f.method(t, pn, depth)
	case functionOK:
		f.function(t, pn, depth)
	case pn.method != "" && len(t.Args) > 0:
		f.method(t, pn, depth) // best effort
	case pn.function != "":
		f.function(t, pn, depth) // best effort
	default:
		// Not expressible in the JS driver: write the protocol name.
		f.buf.WriteString(t.Type.String() + "(")
		f.list(t.Args, nil, false, depth)
		f.optargs(t.Fields, len(t.Args) > 0, depth)
		f.buf.WriteByte(')')
	}
}

// method writes args[0].name(args[1:]..., {options}).
func (f *formatter) method(t Term, pn printName, depth int) {
	f.receiver(t.Args[0], depth)
	f.buf.WriteString("." + pn.method + "(")
	f.list(t.Args[1:], fwSlots(pn.mspec, t.Args[1:]), len(t.Fields) == 0 && optsFromLast(pn.mspec), depth)
	f.optargs(t.Fields, len(t.Args) > 1, depth)
	f.buf.WriteByte(')')
}

// function writes r.name(args..., {options}).
func (f *formatter) function(t Term, pn printName, depth int) {
	f.buf.WriteString("r." + pn.function + "(")
	f.list(t.Args, fwSlots(pn.fspec, t.Args), len(t.Fields) == 0 && optsFromLast(pn.fspec), depth)
	f.optargs(t.Fields, len(t.Args) > 0, depth)
	f.buf.WriteByte(')')
}

// fits tells whether calling a driver function with convention sp and
// these arguments (receiver excluded) builds exactly this term.
func fits(sp spec, args []Term, hasOpts bool) bool {
	if hasOpts && !carriesOpts(sp) {
		return false
	}
	switch sp.conv {
	case cvAropt:
		if len(args) != sp.pos {
			return false
		}
	case cvSlice, cvIndexCreate:
		if len(args) < 1 || len(args) > 2 {
			return false
		}
	case cvMap:
		if len(args) < 1 {
			return false
		}
	case cvNoArgs, cvReconfigure:
		if len(args) != 0 {
			return false
		}
	case cvMinMax:
		if hasOpts && len(args) != 0 {
			return false
		}
	case cvGetAll:
		if hasOpts && len(args) == 0 {
			return false
		}
	case cvBinary:
		if len(args) != 1 {
			return false
		}
	}
	// An argument the driver funcWraps must not mention r.row unless it
	// is already the function wrapper (which is printed as its body).
	for i, fw := range fwSlots(sp, args) {
		if fw && args[i].implicit && !isRowWrapper(args[i]) {
			return false
		}
	}
	return true
}

// isRowWrapper reports whether t is a function funcWrap built around an
// r.row expression: one parameter, unused, and a body using r.row.
func isRowWrapper(t Term) bool {
	if t.Kind != KindOp || t.Type != ql2.TermFunc {
		return false
	}
	ids, ok := funcParams(t)
	return ok && len(ids) == 1 && t.Args[1].implicit && !usesVar(t.Args[1], ids[0])
}

// optsFromLast tells whether the convention takes a trailing object
// literal for options (so a positional object there must be wrapped).
func optsFromLast(sp spec) bool {
	switch sp.conv {
	case cvSlice, cvIndexCreate, cvOrderBy, cvGroup, cvGetAll, cvMinMax, cvRandom:
		return true
	}
	return false
}

func carriesOpts(sp spec) bool {
	switch sp.conv {
	case cvPlain, cvPlainFW, cvMap, cvDo, cvNoArgs, cvExpr, cvBinary:
		return false
	}
	return true
}

// fwSlots tells which of the printed arguments the driver funcWraps.
func fwSlots(sp spec, args []Term) []bool {
	fws := make([]bool, len(args))
	for i := range args {
		switch sp.conv {
		case cvPlainFW, cvGroup, cvMinMax:
			fws[i] = true
		case cvAropt:
			fws[i] = i < 8 && sp.fw&(1<<i) != 0
		case cvMap:
			fws[i] = i == len(args)-1
		case cvIndexCreate:
			fws[i] = i == 1
		case cvOrderBy:
			a := args[i]
			fws[i] = !(a.Kind == KindOp && (a.Type == ql2.TermAsc || a.Type == ql2.TermDesc))
		}
	}
	return fws
}

// receiver writes a term that a method is called on (or that is
// called): plain values and functions need r.expr(...) around them.
func (f *formatter) receiver(t Term, depth int) {
	if isPlain(t) || (t.Kind == KindOp && t.Type == ql2.TermFunc) {
		f.buf.WriteString("r.expr(")
		f.term(t, false, depth+1)
		f.buf.WriteByte(')')
		return
	}
	f.term(t, false, depth+1)
}

// list writes arguments separated by commas. With wrapLast, an object
// literal in last position is wrapped in r.expr(...) so that the driver
// does not take it for options.
func (f *formatter) list(args []Term, fws []bool, wrapLast bool, depth int) {
	for i, a := range args {
		if i > 0 {
			f.buf.WriteString(", ")
		}
		fw := fws != nil && fws[i]
		if wrapLast && i == len(args)-1 && a.Kind == KindObject {
			f.buf.WriteString("r.expr(")
			f.term(a, false, depth+1)
			f.buf.WriteByte(')')
			continue
		}
		f.term(a, fw, depth+1)
	}
}

func (f *formatter) optargs(fields []Field, comma bool, depth int) {
	if len(fields) == 0 {
		return
	}
	if comma {
		f.buf.WriteString(", ")
	}
	camel := make([]Field, len(fields))
	for i, fl := range fields {
		camel[i] = Field{Name: toCamelCase(fl.Name), Value: fl.Value}
	}
	f.object(camel, depth)
}

func (f *formatter) object(fields []Field, depth int) {
	if len(fields) == 0 {
		f.buf.WriteString("{}")
		return
	}
	f.buf.WriteByte('{')
	for i, fl := range fields {
		if i > 0 {
			f.buf.WriteString(", ")
		}
		if isIdentName(fl.Name) {
			f.buf.WriteString(fl.Name)
		} else {
			writeJSONString(&f.buf, fl.Name)
		}
		f.buf.WriteString(": ")
		f.term(fl.Value, false, depth+1)
	}
	f.buf.WriteByte('}')
}

func (f *formatter) datum(v any) {
	switch v := v.(type) {
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			f.fail("non-finite number %v", v)
			return
		}
	}
	if err := encodeDatum(&f.buf, v); err != nil {
		f.fail("%v", err)
	}
}

// funcLiteral writes a FUNC term as function(var_0, ...) { return ...; },
// or, in a funcWrap position, an r.row wrapper as just its body.
func (f *formatter) funcLiteral(t Term, fw bool, depth int) {
	ids, ok := funcParams(t)
	if !ok {
		f.fail("malformed FUNC term")
		return
	}
	body := t.Args[1]
	if fw && isRowWrapper(t) {
		f.term(body, false, depth+1)
		return
	}
	f.buf.WriteString("function(")
	for i, id := range ids {
		if i > 0 {
			f.buf.WriteString(", ")
		}
		fmt.Fprintf(&f.buf, "var_%d", id)
	}
	f.buf.WriteString(") { return ")
	f.term(body, false, depth+1)
	f.buf.WriteString("; }")
}

// funcParams returns the variable numbers of [69, [[2, [ids...]], body]].
func funcParams(t Term) ([]int64, bool) {
	if len(t.Args) != 2 || len(t.Fields) != 0 {
		return nil, false
	}
	params := t.Args[0]
	if params.Kind != KindOp || params.Type != ql2.TermMakeArray || len(params.Fields) != 0 {
		return nil, false
	}
	ids := make([]int64, len(params.Args))
	for i, p := range params.Args {
		id, ok := varNumber(p)
		if !ok {
			return nil, false
		}
		ids[i] = id
	}
	return ids, true
}

func varNumber(t Term) (int64, bool) {
	f, ok := t.Datum.(float64)
	if t.Kind != KindDatum || !ok || f < 0 || f > 1<<53 || f != math.Trunc(f) {
		return 0, false
	}
	return int64(f), true
}

func varID(t Term) (int64, bool) {
	if len(t.Args) != 1 || len(t.Fields) != 0 {
		return 0, false
	}
	return varNumber(t.Args[0])
}

func usesVar(t Term, id int64) bool {
	if t.Kind == KindOp && t.Type == ql2.TermVar {
		if v, ok := varID(t); ok && v == id {
			return true
		}
	}
	for _, a := range t.Args {
		if usesVar(a, id) {
			return true
		}
	}
	for _, fl := range t.Fields {
		if usesVar(fl.Value, id) {
			return true
		}
	}
	return false
}

// isIdentName reports whether s can be written unquoted as a property
// name (ASCII identifier names only, to keep the output plain).
func isIdentName(s string) bool {
	if s == "" || s == "__proto__" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return !strings.HasPrefix(s, "0")
}
