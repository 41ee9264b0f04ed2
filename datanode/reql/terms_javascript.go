package reql

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/dop251/goja"
)

// JAVASCRIPT (r.js), as RethinkDB's src/rdb_protocol/terms/js.cc and
// src/extproc/js_job.cc, on the goja interpreter instead of V8 worker
// processes.
//
//   - Each evaluation runs in a fresh goja VM: nothing leaks from one r.js
//     (or one call of an r.js function) to the next.
//   - `timeout` (seconds, default 5) interrupts the VM; the query's context
//     interrupts it too.
//   - Memory: goja has no heap limit. A script is bounded by its timeout
//     and call-stack depth, and its result by jsResultBudget bytes and the
//     array limit while it is converted to a datum.
//   - A script that evaluates to a function yields a FUNCTION usable where
//     ReQL functions are (map, filter, reduce, ...). It is a *Func whose
//     body is an internal term (termJSCall) that calls the JavaScript
//     function with the *Func's arguments; its arity is the function's
//     `length` (RethinkDB's JS functions take any number of arguments; see
//     jsFuncParams).

// termJSCall is the internal term that calls an r.js function. It has no
// wire number (the compiler never produces it).
const termJSCall TermType = -1011

const (
	jsDefaultTimeout = 5 * time.Second
	// jsRecursionLimit is RethinkDB's TO_JSON_RECURSION_LIMIT.
	jsRecursionLimit = 500
	// jsResultBudget bounds the size of a result converted from JavaScript.
	jsResultBudget = 64 << 20
	// jsMaxCallStack bounds JavaScript recursion.
	jsMaxCallStack = 10000
)

func init() {
	register(TermJavascript, spec{minArgs: 1, maxArgs: 1, optargs: []string{"timeout"}, eval: evalJavascript})
	register(termJSCall, spec{minArgs: 0, maxArgs: 0, eval: evalJSCall})
}

// jsFunc is a function returned by r.js: its source, recompiled into a
// fresh VM for every call, and the timeout of each call.
type jsFunc struct {
	source  string
	program *goja.Program
	timeout time.Duration
	params  []int // the *Func's parameter ids, read from the call's scope
}

func evalJavascript(c *evalCtx, t *Term) (any, error) {
	if c.env.ExtOptions().JSDisabled {
		return nil, newErr(ErrOpFailed, "JavaScript is disabled on this server (r.js; see photondb serve --js).")
	}
	timeout := jsDefaultTimeout
	if ot, ok := t.Optargs["timeout"]; ok {
		n, err := c.evalNumber(ot)
		if err != nil {
			return nil, err
		}
		timeout = jsTimeout(n)
	}
	source, err := c.evalString(t.Args[0])
	if err != nil {
		return nil, err
	}
	program, cerr := goja.Compile("", source, false)
	if cerr != nil {
		return nil, newErr(ErrQueryLogic, "%s", jsCompileError(cerr))
	}
	var out any
	isFn, fnLength := false, 0
	err = jsRun(c.ctx, source, timeout, false, func(vm *goja.Runtime) (string, error) {
		v, err := vm.RunProgram(program)
		if err != nil {
			return "", err
		}
		if obj, ok := v.(*goja.Object); ok {
			if _, ok := goja.AssertFunction(obj); ok {
				isFn, fnLength = true, int(obj.Get("length").ToInteger())
				return "", nil
			}
		}
		d, msg := jsToDatum(vm, v, c.arrayLimit())
		out = d
		return msg, nil
	})
	if err != nil {
		return nil, err
	}
	if isFn {
		return jsFunction(source, program, timeout, fnLength, t.bt), nil
	}
	return out, nil
}

// jsTimeout converts the `timeout` optarg (seconds) to a duration, as
// RethinkDB's uint64 milliseconds.
func jsTimeout(sec float64) time.Duration {
	switch {
	case math.IsNaN(sec) || sec <= 0:
		return 0
	case sec*1000 > float64(math.MaxInt64/int64(time.Millisecond)):
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(uint64(sec*1000)) * time.Millisecond
}

func jsCompileError(err error) string {
	var se *goja.CompilerSyntaxError
	if errors.As(err, &se) {
		return "SyntaxError: " + se.Message
	}
	var re *goja.CompilerReferenceError
	if errors.As(err, &re) {
		return "ReferenceError: " + re.Message
	}
	return err.Error()
}

// jsRun runs f in a fresh VM under the timeout and the query's context.
// f returns a conversion error message (RethinkDB's error string result) or
// a goja error. call says whether this is a call of an r.js function (its
// crashes are INTERNAL errors, as in RethinkDB's js_func_t::call).
func jsRun(ctx context.Context, source string, timeout time.Duration, call bool, f func(vm *goja.Runtime) (string, error)) (err error) {
	vm := goja.New()
	vm.SetMaxCallStackSize(jsMaxCallStack)
	timer := time.AfterFunc(timeout, func() { vm.Interrupt(errJSTimeout) })
	defer timer.Stop()
	stop := context.AfterFunc(ctx, func() { vm.Interrupt(ctx.Err()) })
	defer stop()
	defer func() {
		if r := recover(); r != nil {
			if call {
				err = newErr(ErrInternal, "Javascript query `%s` caused a crash in a worker process.", source)
			} else {
				err = newErr(ErrQueryLogic, "Javascript query `%s` caused a crash in a worker process.", source)
			}
		}
	}()
	if timeout <= 0 {
		vm.Interrupt(errJSTimeout)
	}
	msg, runErr := f(vm)
	if runErr == nil {
		if msg != "" {
			return newErr(ErrQueryLogic, "%s", msg)
		}
		return nil
	}
	var ie *goja.InterruptedError
	if errors.As(runErr, &ie) {
		if errors.Is(runErr, errJSTimeout) {
			ms := timeout.Milliseconds()
			return newErr(ErrQueryLogic, "JavaScript query `%s` timed out after %d.%03d seconds.", source, ms/1000, ms%1000)
		}
		return newErr(ErrOpIndeterminate, "Query interrupted: %v.", ctx.Err())
	}
	var so *goja.StackOverflowError
	if errors.As(runErr, &so) {
		return newErr(ErrQueryLogic, "RangeError: Maximum call stack size exceeded")
	}
	var ex *goja.Exception
	if errors.As(runErr, &ex) {
		if v := ex.Value(); v != nil {
			return newErr(ErrQueryLogic, "%s", v.String())
		}
	}
	return newErr(ErrQueryLogic, "%s", runErr.Error())
}

var errJSTimeout = errors.New("r.js timeout")

// jsToDatum converts a JavaScript value to a datum as RethinkDB's
// js_make_datum does; a non-empty message is the conversion error.
func jsToDatum(vm *goja.Runtime, v goja.Value, arrayLimit int) (any, string) {
	conv := &jsConverter{vm: vm, arrayLimit: arrayLimit, budget: jsResultBudget}
	d, err := conv.convert(v, jsRecursionLimit)
	if err != "" {
		return nil, err
	}
	return d, ""
}

type jsConverter struct {
	vm         *goja.Runtime
	arrayLimit int
	budget     int
}

func (jc *jsConverter) spend(n int) string {
	jc.budget -= n
	if jc.budget < 0 {
		return fmt.Sprintf("JavaScript result over the size limit (%d MiB).", jsResultBudget>>20)
	}
	return ""
}

func (jc *jsConverter) convert(v goja.Value, depth int) (any, string) {
	if depth == 0 {
		return nil, "Recursion limit exceeded in js_to_json (circular reference?)."
	}
	depth--
	if msg := jc.spend(16); msg != "" {
		return nil, msg
	}
	if v == nil || goja.IsUndefined(v) {
		return nil, "Cannot convert javascript `undefined` to ql::datum_t."
	}
	if goja.IsNull(v) {
		return nil, ""
	}
	if _, isSym := v.(*goja.Symbol); isSym {
		return nil, "Unrecognized value type when converting to ql::datum_t."
	}
	obj, isObj := v.(*goja.Object)
	if !isObj {
		switch x := v.Export().(type) {
		case string:
			if msg := jc.spend(len(x)); msg != "" {
				return nil, msg
			}
			return x, ""
		case bool:
			return x, ""
		case int64:
			return float64(x), ""
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, "Number return value is not finite."
			}
			return x, ""
		case *big.Int:
			return nil, "Unrecognized value type when converting to ql::datum_t."
		}
		return nil, "Unrecognized value type when converting to ql::datum_t."
	}
	switch obj.ClassName() {
	case "Array":
		n := obj.Get("length").ToInteger()
		if n > int64(jc.arrayLimit) {
			return nil, fmt.Sprintf("Array over size limit `%d`.", jc.arrayLimit)
		}
		arr := make([]any, 0, n)
		for i := int64(0); i < n; i++ {
			el := obj.Get(strconv.FormatInt(i, 10))
			d, msg := jc.convert(el, depth)
			if msg != "" {
				return nil, msg
			}
			arr = append(arr, d)
		}
		return arr, ""
	case "Function":
		return nil, "Cannot convert function to ql::datum_t."
	case "RegExp":
		return nil, "Cannot convert RegExp to ql::datum_t."
	case "Date":
		ms := obj.ToFloat()
		return tmMake(ms/1000, "+00:00"), ""
	}
	if _, isFn := goja.AssertFunction(obj); isFn {
		return nil, "Cannot convert function to ql::datum_t."
	}
	out := map[string]any{}
	for _, k := range obj.Keys() {
		if msg := jc.spend(len(k)); msg != "" {
			return nil, msg
		}
		d, msg := jc.convert(obj.Get(k), depth)
		if msg != "" {
			return nil, msg
		}
		out[k] = d
	}
	return out, ""
}

// jsFromDatum converts a datum to a JavaScript value as RethinkDB's
// js_from_datum does (times become Dates; binary data is refused).
func jsFromDatum(vm *goja.Runtime, d any) (goja.Value, string) {
	switch x := d.(type) {
	case nil:
		return goja.Null(), ""
	case bool, float64, string:
		return vm.ToValue(x), ""
	case []any:
		items := make([]any, len(x))
		for i, el := range x {
			v, msg := jsFromDatum(vm, el)
			if msg != "" {
				return nil, msg
			}
			items[i] = v
		}
		return vm.NewArray(items...), ""
	case map[string]any:
		switch x[reqlTypeField] {
		case "BINARY":
			return nil, "`r.binary` data cannot be used in `r.js`."
		case "TIME":
			epoch, _ := x[tmEpochKey].(float64)
			date, err := vm.New(vm.Get("Date"), vm.ToValue(epoch*1000))
			if err != nil {
				return nil, "bad datum value in js extproc"
			}
			return date, ""
		}
		obj := vm.NewObject()
		for k, el := range x {
			v, msg := jsFromDatum(vm, el)
			if msg != "" {
				return nil, msg
			}
			_ = obj.Set(k, v)
		}
		return obj, ""
	case *minValue:
		return nil, "`r.minval` cannot be passed to `r.js`."
	case *maxValue:
		return nil, "`r.maxval` cannot be passed to `r.js`."
	}
	return nil, "bad datum value in js extproc"
}

// evalJSCall runs the r.js function of a *Func made by jsFunction, with the
// arguments bound to its parameters in the current scope.
func evalJSCall(c *evalCtx, t *Term) (any, error) {
	jf, ok := t.Datum.(*jsFunc)
	if !ok {
		return nil, newErr(ErrInternal, "JavaScript call without a function.")
	}
	args := make([]any, len(jf.params))
	for i, p := range jf.params {
		args[i] = c.scope[p]
	}
	var out any
	err := jsRun(c.ctx, jf.source, jf.timeout, true, func(vm *goja.Runtime) (string, error) {
		v, err := vm.RunProgram(jf.program)
		if err != nil {
			return "", err
		}
		fn, ok := goja.AssertFunction(v)
		if !ok {
			return "", errors.New("r.js function source no longer evaluates to a function")
		}
		jsArgs := make([]goja.Value, len(args))
		for i, a := range args {
			jv, msg := jsFromDatum(vm, a)
			if msg != "" {
				return msg, nil
			}
			jsArgs[i] = jv
		}
		res, err := fn(vm.NewObject(), jsArgs...)
		if err != nil {
			return "", err
		}
		if obj, ok := res.(*goja.Object); ok {
			if _, isFn := goja.AssertFunction(obj); isFn {
				return "Returning functions from within `r.js` is unsupported.", nil
			}
		}
		d, msg := jsToDatum(vm, res, c.arrayLimit())
		out = d
		return msg, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// jsParamBase numbers the parameters of r.js functions below every variable
// id a driver generates.
const jsParamBase = -1 << 40

// jsFunction makes the *Func of an r.js function of n declared parameters.
// A *Func of n parameters accepts exactly n arguments (0: any number,
// ignored), so a JavaScript function is called with as many arguments as
// it declares; RethinkDB passes all the arguments whatever the declared
// length.
func jsFunction(source string, program *goja.Program, timeout time.Duration, n int, bt []any) *Func {
	jf := &jsFunc{source: source, program: program, timeout: timeout}
	for i := 0; i < n; i++ {
		jf.params = append(jf.params, jsParamBase-i)
	}
	return &Func{params: jf.params, body: &Term{Type: termJSCall, Datum: jf, bt: bt}, scope: map[int]any{}}
}
