package reql

import (
	"encoding/json"
	"fmt"

	"github.com/photondb-io/photondb/shared/ql2"
)

// Term is a compiled, arity-checked ReQL term.
type Term struct {
	Type    TermType
	Args    []*Term
	Optargs map[string]*Term
	Datum   any   // the value of a DATUM term
	bt      []any // backtrace frames from the query root to this term
	spliced bool  // an argument is r.args(...): arity is checked at run time
}

// hasArgsTerm reports whether a raw argument list contains r.args(...),
// whose array is spliced into the arguments at run time.
func hasArgsTerm(rawArgs []any) bool {
	for _, a := range rawArgs {
		if arr, ok := a.([]any); ok && len(arr) > 0 && arr[0] == float64(TermArgs) {
			return true
		}
	}
	return false
}

// spec declares a term's arity, its allowed optargs and its evaluator. Each
// family file registers its terms in init, so arity and optargs are checked in
// one place (compile) for every term.
type spec struct {
	minArgs, maxArgs int // maxArgs < 0: variadic
	optargs          []string
	anyOptargs       bool // MAKE_OBJ: optargs are the object's fields
	eval             func(c *evalCtx, t *Term) (any, error)
}

var registry = map[TermType]*spec{}

func register(tt TermType, s spec) {
	if _, dup := registry[tt]; dup {
		panic(fmt.Sprintf("reql: term %s registered twice", tt))
	}
	registry[tt] = &s
}

// Implemented reports whether a term number has an evaluator. Terms that
// exist in ql2.proto but are not implemented yet compile to a clear error.
func Implemented(tt TermType) bool { _, ok := registry[tt]; return ok }

// TermName returns the ql2.proto name of a term number, or "" if unknown.
func TermName(tt TermType) string {
	if !tt.Valid() {
		return ""
	}
	return tt.String()
}

// AllTermTypes lists every term number of ql2.proto in ascending order.
func AllTermTypes() []TermType { return ql2.TermTypes() }

// maxDepth bounds term nesting so that hostile queries cannot exhaust the
// stack of the compiler or the evaluator.
const maxDepth = 1000

// compileTerm turns the wire JSON form of a term into a checked *Term.
// Arrays are [type, args?, optargs?]; objects are MAKE_OBJ; everything else
// is a DATUM.
func compileTerm(raw any, bt []any, depth int) (*Term, error) {
	return (&compileEnv{}).compile(raw, bt, depth)
}

// compileEnv tracks the parameters of the FUNCs enclosing the term being
// compiled, to bind IMPLICIT_VAR (r.row) to the innermost one.
type compileEnv struct {
	funcs [][]int
}

func (env *compileEnv) compile(raw any, bt []any, depth int) (*Term, error) {
	if depth > maxDepth {
		return nil, &Error{Kind: KindCompile, Type: ErrResourceLimit, Msg: fmt.Sprintf("Maximum expression depth exceeded (%d).", maxDepth), Backtrace: bt}
	}
	switch x := raw.(type) {
	case map[string]any:
		t := &Term{Type: TermMakeObj, Optargs: make(map[string]*Term, len(x)), bt: bt}
		for k, v := range x {
			sub, err := env.compile(v, appendFrame(bt, k), depth+1)
			if err != nil {
				return nil, err
			}
			t.Optargs[k] = sub
		}
		return t, nil
	case []any:
		return env.compileArray(x, bt, depth)
	default:
		return &Term{Type: TermDatum, Datum: raw, bt: bt}, nil
	}
}

func (env *compileEnv) compileArray(x []any, bt []any, depth int) (*Term, error) {
	if len(x) == 0 || len(x) > 3 {
		return nil, &Error{Kind: KindClient, Type: ErrQueryLogic, Msg: "Expected a term of the form [type, args, optargs] but found an array of length " + fmt.Sprint(len(x)) + ".", Backtrace: bt}
	}
	num, ok := x[0].(float64)
	if !ok || num != float64(int(num)) {
		return nil, &Error{Kind: KindClient, Type: ErrQueryLogic, Msg: "Expected a term type number as the first element of a term.", Backtrace: bt}
	}
	tt := TermType(num)
	t := &Term{Type: tt, bt: bt}
	if tt == TermDatum {
		if len(x) < 2 {
			return nil, &Error{Kind: KindClient, Type: ErrQueryLogic, Msg: "DATUM term without a value.", Backtrace: bt}
		}
		t.Datum = x[1]
		return t, nil
	}
	var rawArgs []any
	if len(x) >= 2 && x[1] != nil {
		if rawArgs, ok = x[1].([]any); !ok {
			return nil, &Error{Kind: KindClient, Type: ErrQueryLogic, Msg: "Expected an array of arguments in a term.", Backtrace: bt}
		}
	}
	var rawOpts map[string]any
	if len(x) == 3 && x[2] != nil {
		if rawOpts, ok = x[2].(map[string]any); !ok {
			return nil, &Error{Kind: KindClient, Type: ErrQueryLogic, Msg: "Expected an object of optional arguments in a term.", Backtrace: bt}
		}
	}
	name, known := TermName(tt), tt.Valid()
	if !known {
		return nil, &Error{Kind: KindCompile, Type: ErrQueryLogic, Msg: fmt.Sprintf("Unrecognized TermType: %d.", int(tt)), Backtrace: bt}
	}
	s, ok := registry[tt]
	if !ok {
		return nil, &Error{Kind: KindCompile, Type: ErrQueryLogic, Msg: fmt.Sprintf("Term %s is not yet implemented in PhotonDB.", name), Backtrace: bt}
	}
	splices := hasArgsTerm(rawArgs)
	if err := checkArity(s, len(rawArgs)); err != nil && !splices {
		err.Backtrace = bt
		return nil, err
	}
	t.spliced = splices
	if tt == TermImplicitVar {
		return env.implicitVar(bt)
	}
	for i, a := range rawArgs {
		sub, err := env.compile(a, appendFrame(bt, i), depth+1)
		if err != nil {
			return nil, err
		}
		t.Args = append(t.Args, sub)
		if tt == TermFunc && i == 0 {
			env.funcs = append(env.funcs, funcParams(sub))
			defer func() { env.funcs = env.funcs[:len(env.funcs)-1] }()
		}
	}
	if len(rawOpts) > 0 {
		t.Optargs = make(map[string]*Term, len(rawOpts))
		for k, v := range rawOpts {
			if !s.anyOptargs && !contains(s.optargs, k) {
				return nil, &Error{Kind: KindCompile, Type: ErrQueryLogic, Msg: fmt.Sprintf("Unrecognized optional argument `%s`.", k), Backtrace: bt}
			}
			sub, err := env.compile(v, appendFrame(bt, k), depth+1)
			if err != nil {
				return nil, err
			}
			t.Optargs[k] = sub
		}
	}
	return t, nil
}

// funcParams extracts the variable ids of a FUNC's parameter list (a
// MAKE_ARRAY of numbers or an array datum); malformed lists yield none and
// fail at evaluation with a type error.
func funcParams(t *Term) []int {
	var raw []any
	switch t.Type {
	case TermDatum:
		raw, _ = t.Datum.([]any)
	case TermMakeArray:
		for _, a := range t.Args {
			if a.Type != TermDatum {
				return nil
			}
			raw = append(raw, a.Datum)
		}
	}
	ids := make([]int, 0, len(raw))
	for _, r := range raw {
		if n, ok := r.(float64); ok {
			ids = append(ids, int(n))
		}
	}
	return ids
}

// implicitVar compiles r.row into a VAR of the enclosing one-argument FUNC
// (drivers wrap r.row in such a FUNC), with RethinkDB's errors elsewhere.
func (env *compileEnv) implicitVar(bt []any) (*Term, error) {
	if len(env.funcs) == 0 {
		return nil, &Error{Kind: KindCompile, Type: ErrQueryLogic, Msg: "r.row is not defined in this context.", Backtrace: bt}
	}
	params := env.funcs[len(env.funcs)-1]
	if len(env.funcs) > 1 || len(params) != 1 {
		return nil, &Error{Kind: KindCompile, Type: ErrQueryLogic, Msg: "Cannot use r.row in nested queries.  Use functions instead.", Backtrace: bt}
	}
	return &Term{Type: TermVar, Args: []*Term{{Type: TermDatum, Datum: float64(params[0]), bt: bt}}, bt: bt}, nil
}

func checkArity(s *spec, n int) *Error {
	switch {
	case s.maxArgs == s.minArgs && n != s.minArgs:
		plural := "s"
		if s.minArgs == 1 {
			plural = ""
		}
		return compileErr("Expected %d argument%s but found %d.", s.minArgs, plural, n)
	case s.maxArgs < 0 && n < s.minArgs:
		return compileErr("Expected %d or more arguments but found %d.", s.minArgs, n)
	case s.maxArgs >= 0 && (n < s.minArgs || n > s.maxArgs):
		return compileErr("Expected between %d and %d arguments but found %d.", s.minArgs, s.maxArgs, n)
	}
	return nil
}

func appendFrame(bt []any, f any) []any {
	out := make([]any, len(bt), len(bt)+1)
	copy(out, bt)
	return append(out, f)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Query is a compiled START query: the term and its global optargs.
type Query struct {
	Term        *Term
	GlobalOpts  map[string]*Term
	Noreply     bool
	NoreplyWait bool
	// RawResult is set by a caller that sends Result.Raw when present
	// (rather than encoding Result.Datum): a document read and returned as
	// is then need not be decoded, and Datum may be nil.
	RawResult bool
}

// globalOptargs are the run options RethinkDB accepts on a query.
var globalOptargs = []string{
	"db", "noreply", "durability", "profile", "read_mode", "time_format",
	"group_format", "binary_format", "array_limit", "min_batch_rows",
	"max_batch_rows", "max_batch_bytes", "max_batch_seconds",
	"first_batch_scaledown_factor", "use_outdated", "return_changes",
}

// Compile parses and checks the term and global optargs of a START query
// from their wire JSON.
func Compile(rawTerm json.RawMessage, rawOpts map[string]json.RawMessage) (*Query, error) {
	term, err := UnmarshalJSON(rawTerm)
	if err != nil {
		return nil, ClientError("Client is buggy (failed to deserialize query).")
	}
	t, err := compileTerm(term, []any{}, 0)
	if err != nil {
		return nil, err
	}
	q := &Query{Term: t, GlobalOpts: map[string]*Term{}}
	for k, raw := range rawOpts {
		if !contains(globalOptargs, k) {
			return nil, compileErr("Unrecognized global optional argument `%s`.", k)
		}
		v, err := UnmarshalJSON(raw)
		if err != nil {
			return nil, ClientError("Client is buggy (failed to deserialize query).")
		}
		if err := q.addGlobalOpt(k, v); err != nil {
			return nil, err
		}
	}
	return q, nil
}

// CompileValue is Compile for a term and global optargs already decoded
// from valid JSON (UnmarshalJSON).
func CompileValue(term any, opts map[string]any) (*Query, error) {
	t, err := compileTerm(term, []any{}, 0)
	if err != nil {
		return nil, err
	}
	q := &Query{Term: t, GlobalOpts: map[string]*Term{}}
	for k, v := range opts {
		if !contains(globalOptargs, k) {
			return nil, compileErr("Unrecognized global optional argument `%s`.", k)
		}
		if err := q.addGlobalOpt(k, v); err != nil {
			return nil, err
		}
	}
	return q, nil
}

func (q *Query) addGlobalOpt(k string, v any) error {
	ot, err := compileTerm(v, []any{}, 0)
	if err != nil {
		return err
	}
	q.GlobalOpts[k] = ot
	if k == "noreply" && ot.Type == TermDatum && ot.Datum == true {
		q.Noreply = true
	}
	return nil
}
