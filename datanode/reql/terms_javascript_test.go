package reql

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestJavascript(t *testing.T) {
	checkEvalCases(t, []evalCase{
		{name: "number", term: `[11,["1 + 2"]]`, want: `3`},
		{name: "string", term: `[11,["'foo' + 'bar'"]]`, want: `"foobar"`},
		{name: "unicode", term: `[11,["'h\u00e9' + '\u2603'"]]`, want: `"hé☃"`},
		{name: "object and array", term: `[11,["({a: [1, 'x', true, null], b: {c: 1.5}})"]]`, want: `{"a":[1,"x",true,null],"b":{"c":1.5}}`},
		{name: "null", term: `[11,["null"]]`, want: `null`},
		{name: "date becomes time", term: `[11,["new Date(1500000000123)"]]`, want: `{"$reql_type$":"TIME","epoch_time":1500000000.123,"timezone":"+00:00"}`},
		{name: "undefined", term: `[11,["undefined"]]`, errType: ErrQueryLogic, errMsg: "Cannot convert javascript `undefined` to ql::datum_t."},
		{name: "nested undefined", term: `[11,["[1, undefined]"]]`, errType: ErrQueryLogic, errMsg: "Cannot convert javascript `undefined` to ql::datum_t."},
		{name: "nested function", term: `[11,["({f: function() {}})"]]`, errType: ErrQueryLogic, errMsg: "Cannot convert function to ql::datum_t."},
		{name: "regexp", term: `[11,["/a+/"]]`, errType: ErrQueryLogic, errMsg: "Cannot convert RegExp to ql::datum_t."},
		{name: "not finite", term: `[11,["1/0"]]`, errType: ErrQueryLogic, errMsg: "Number return value is not finite."},
		{name: "NaN", term: `[11,["NaN"]]`, errType: ErrQueryLogic, errMsg: "Number return value is not finite."},
		{name: "symbol", term: `[11,["Symbol('x')"]]`, errType: ErrQueryLogic, errMsg: "Unrecognized value type when converting to ql::datum_t."},
		{name: "circular", term: `[11,["var o = {}; o.o = o; o"]]`, errType: ErrQueryLogic, errMsg: "Recursion limit exceeded in js_to_json (circular reference?)."},
		{name: "thrown error", term: `[11,["throw new Error('boom')"]]`, errType: ErrQueryLogic, errMsg: "Error: boom"},
		{name: "thrown string", term: `[11,["throw 'boom'"]]`, errType: ErrQueryLogic, errMsg: "boom"},
		{name: "reference error", term: `[11,["nosuchvar"]]`, errType: ErrQueryLogic, errMsg: "ReferenceError: nosuchvar is not defined"},
		{name: "timeout", term: `[11,["while(true) {}"],{"timeout":0.2}]`, errType: ErrQueryLogic, errMsg: "JavaScript query `while(true) {}` timed out after 0.200 seconds."},
		{name: "timeout not a number", term: `[11,["1"],{"timeout":"x"}]`, errType: ErrQueryLogic, errMsg: "Expected type NUMBER but found STRING."},
		{name: "source not a string", term: `[11,[1]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
		{name: "arity", term: `[11,[]]`, errMsg: "Expected 1 argument but found 0."},
		{name: "bad optarg", term: `[11,["1"],{"x":1}]`, errMsg: "Unrecognized optional argument `x`."},
		{name: "isolated evaluations", term: `[2,[[11,["var leaked = 1; leaked"]],[11,["typeof leaked"]]]]`, want: `[1,"undefined"]`},
		{name: "function result", term: `[11,["(function(x) { return x; })"]]`, errType: ErrQueryLogic, errMsg: "Query result must be of type DATUM, GROUPED_DATA, or STREAM (got FUNCTION)."},
		{name: "function in map", term: `[38,[[2,[1,2,3]],[11,["(function(x) { return x * 2; })"]]]]`, want: `[2,4,6]`},
		{name: "function in filter", term: `[39,[[2,[1,2,3,4]],[11,["(function(x) { return x % 2 == 0; })"]]]]`, want: `[2,4]`},
		{name: "function in reduce", term: `[37,[[2,[1,2,3,4]],[11,["(function(a, b) { return a + b; })"]]]]`, want: `10`},
		{name: "funcall", term: `[64,[[11,["(function(a, b) { return a + '-' + b; })"]],"x","y"]]`, want: `"x-y"`},
		{name: "objects and times passed in", term: `[64,[[11,["(function(o) { return [o.a.b, o.t.getTime()]; })"]],{"a":{"b":[2,[1]]},"t":{"$reql_type$":"TIME","epoch_time":2,"timezone":"+00:00"}}]]`, want: `[[1],2000]`},
		{name: "binary passed in", term: `[64,[[11,["(function(o) { return 1; })"]],{"$reql_type$":"BINARY","data":"AAE="}]]`, errType: ErrQueryLogic, errMsg: "`r.binary` data cannot be used in `r.js`."},
		{name: "function returning function", term: `[64,[[11,["(function(x) { return function() {}; })"]],1]]`, errType: ErrQueryLogic, errMsg: "Returning functions from within `r.js` is unsupported."},
		{name: "function returning undefined", term: `[64,[[11,["(function(x) { })"]],1]]`, errType: ErrQueryLogic, errMsg: "Cannot convert javascript `undefined` to ql::datum_t."},
		{name: "function throwing", term: `[64,[[11,["(function(x) { throw new TypeError('no ' + x); })"]],1]]`, errType: ErrQueryLogic, errMsg: "TypeError: no 1"},
		{name: "function timeout", term: `[64,[[11,["(function(x) { while(true) {} })"],{"timeout":0.1}],1]]`, errType: ErrQueryLogic, errMsg: "JavaScript query `(function(x) { while(true) {} })` timed out after 0.100 seconds."},
		{name: "function arity", term: `[64,[[11,["(function(x) { return x; })"]],1,2]]`, errType: ErrQueryLogic, errMsg: "Expected function with 2 arguments but found function with 1 argument."},
		{name: "function calls isolated", term: `[38,[[2,[1,2]],[11,["(function(x) { if (typeof seen == 'undefined') { seen = 0; } seen++; return seen; })"]]]]`, want: `[1,1]`},
		{name: "stack overflow", term: `[11,["(function f() { return f(); })()"]]`, errType: ErrQueryLogic, errMsg: "RangeError: Maximum call stack size exceeded"},
		{name: "array over limit", term: `[11,["new Array(100001).fill(1)"]]`, errType: ErrQueryLogic, errMsg: "Array over size limit `100000`."},
		{name: "not deterministic in index-like contexts", term: `[53,[[2,[]],[11,["(function(x) { return x; })"]]]]`, errType: ErrQueryLogic, errMsg: "Expected type SELECTION but found ARRAY."},
	})
}

func TestJavascriptSyntaxError(t *testing.T) {
	_, err := runTerm(t, `[11,["1 +"]]`)
	var e *Error
	if !errors.As(err, &e) || e.Type != ErrQueryLogic || len(e.Msg) < 12 || e.Msg[:12] != "SyntaxError:" {
		t.Fatalf("got %v", err)
	}
}

func TestJavascriptDisabled(t *testing.T) {
	env := &Env{ServerName: "test"}
	env.SetExtOptions(ExtOptions{JSDisabled: true})
	q, err := Compile([]byte(`[11,["1"]]`), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = q.Run(context.Background(), env)
	var e *Error
	if !errors.As(err, &e) || e.Type != ErrOpFailed || e.Msg != "JavaScript is disabled on this server (r.js; see photondb serve --js)." {
		t.Fatalf("got %v", err)
	}
}

func TestJavascriptInterruptedByContext(t *testing.T) {
	q, err := Compile([]byte(`[11,["while(true) {}"],{"timeout":60}]`), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = q.Run(ctx, &Env{})
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("got %v after %v", err, time.Since(start))
	}
	var e *Error
	if !errors.As(err, &e) || e.Type != ErrOpIndeterminate {
		t.Fatalf("got %v", err)
	}
}
