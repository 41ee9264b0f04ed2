package reqltext

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		src       string
		line, col int
		msg       string
	}{
		// Unknown names, with suggestions.
		{"r.table('t').filtr(x => x)", 1, 14, "unknown method 'filtr' (did you mean 'filter'?)"},
		{"r.table('t').order_by('a')", 1, 14, "unknown method 'order_by' (did you mean 'orderBy'?)"},
		{"r.table('t').getall(1)", 1, 14, "unknown method 'getall' (did you mean 'getAll'?)"},
		{"r.tabel('t')", 1, 3, "unknown function 'r.tabel' (did you mean 'r.table'?)"},
		{"r.filter(1)", 1, 3, "unknown function 'r.filter': filter is a method, call it on a term, e.g. r.table('t').filter(...)"},
		{"r.table('t').now()", 1, 14, "unknown method 'now': now is a top-level function, call it as r.now(...)"},
		{"r.expr(1).minval()", 1, 11, "unknown method 'minval': use r.minval"},
		{"r.table('t').frobnicate()", 1, 14, "unknown method 'frobnicate'"},
		{"r.frobnicate()", 1, 3, "unknown function 'r.frobnicate'"},
		{"r.table('t').count", 1, 14, ".count is a method: call it, e.g. .count(...)"},
		{"r.now", 1, 3, "r.now is a function: call it, e.g. r.now(...)"},
		{"conn", 1, 1, "unknown identifier 'conn': queries start with r, e.g. r.table('users')"},
		{"R.table('t')", 1, 1, "unknown identifier 'R' (did you mean 'r'?)"},
		{"r.table('t').map(doc => dox('a'))", 1, 25, "unknown identifier 'dox' (did you mean 'doc'?)"},
		{"r.table('t').map((a, b) => c)", 1, 28, "unknown identifier 'c' (in scope: b, a, r)"},
		{"r.table('t').map(x => x).toString()", 1, 26, "'toString' is JS driver plumbing, not part of a query"},

		// Punctuation and structure.
		{"r.table('t'", 1, 12, "expected ')' after arguments"},
		{"r.table('t',", 1, 13, "unexpected end of input: expected an expression"},
		{"r.table('t' 'u')", 1, 13, "expected ',' or ')' after argument, found string literal"},
		{"r.expr([1, 2)", 1, 13, "expected ',' or ']' after array element, found ')'"},
		{"r.expr([1,,2])", 1, 11, "array holes ([1,,2]) are not supported"},
		{"r.expr({a: 1 b: 2})", 1, 14, "expected ',' or '}' after object property, found 'b'"},
		{"r.expr({a 1})", 1, 11, "expected ':' after property name, found number 1"},
		{"r.expr({a: 1", 1, 13, "expected '}' after object properties"},
		{"r.expr({[k]: 1})", 1, 9, "computed property keys [..] are not supported"},
		{"r.expr({...o})", 1, 9, "spread '...' is not supported in object literals"},
		{"r.expr({f() { return 1 }})", 1, 10, "method definitions in object literals are not supported; use key: function(...) {...}"},
		{"r.expr({__proto__: 1, __proto__: 2})", 1, 23, "duplicate __proto__ fields are not allowed in object literals"},
		{"r.table('t')[0]", 1, 13, "x[...] indexing is not supported: use x('field') for a field or x.nth(i) for an element"},
		{"r.expr(1)..add(2)", 1, 11, "expected a method name after '.', found '.'"},
		{"r.expr(1)?.add(2)", 1, 10, "optional chaining '?.' is not supported; use .default(...)"},
		{"(r.expr(1), 2)", 1, 11, "comma expressions are not supported"},
		{"(r.expr(1)", 1, 11, "expected ')' to close the '(' at 1:1"},
		{"r.expr(...[1])", 1, 8, "spread '...' is not supported; use r.args([...])"},
		{"", 1, 1, "empty input: expected a ReQL expression such as r.table('users')"},
		{"  // only a comment\n", 2, 1, "empty input: expected a ReQL expression such as r.table('users')"},
		{"r", 1, 1, "r alone is not a query: start with e.g. r.table('users') or r.expr(...)"},
		{"r.expr(r)", 1, 8, "r cannot be used as a value; did you mean r.row or r.expr(...)?"},

		// JavaScript that is not ReQL.
		{"r.expr(1) + 2", 1, 11, "unexpected '+' after the end of the expression: JavaScript operators are not supported; use .add(...)"},
		{"r.expr(1 + 2)", 1, 10, "unexpected '+' in arguments: JavaScript operators are not supported; use .add(...)"},
		{"r.table('t').filter(x => x('a') == 1)", 1, 33, "unexpected '==' in arguments: JavaScript operators are not supported; use .eq(...)"},
		{"r.expr(!true)", 1, 8, "unexpected '!': expected an expression (JavaScript operators are not supported; use .not() or r.not(...))"},
		{"r.expr(1) ? 1 : 2", 1, 11, "unexpected '?' after the end of the expression: JavaScript operators are not supported; use r.branch(test, then, else)"},
		{"x = r.table('t')", 1, 3, "unexpected '=' after the end of the expression: assignments are not supported"},
		{"var x = r.table('t')", 1, 1, "unexpected 'var': only a single ReQL expression is accepted, not JavaScript statements"},
		{"await r.table('t')", 1, 1, "unexpected 'await': only a single ReQL expression is accepted, not JavaScript statements"},
		{"r.expr(-r.row)", 1, 8, "unary '-' is only supported before a number literal; use r.sub(0, x) or x.mul(-1)"},
		{"r.expr(undefined)", 1, 8, "undefined is not a ReQL value; use null"},
		{"r.expr(new Date())", 1, 8, "'new' is not supported; use r.now(), r.time(...) or r.ISO8601(...) for dates"},
		{"[1, 2].map(x => x)", 1, 8, "cannot call .map on a plain JavaScript array; wrap it first: r.expr(...).map(...)"},
		{"'abc'.upcase()", 1, 7, "cannot call .upcase on a plain JavaScript string; wrap it first: r.expr(...).upcase(...)"},
		{"'abc'.length", 1, 7, "property access on a plain JavaScript string is not supported; wrap it in r.expr(...) to use ReQL methods"},
		{"r.expr(x => x)(1)(2)(3).add((y => y)(1))", 1, 37, "calling a function literal is not supported"},
		{"r.expr([1])(0)", 1, 1, ""}, // a term is callable: BRACKET
		{"r.table('t').run(conn).then(x => x)", 1, 23, "unexpected '.' after .run(...): .run(...) must end the query"},
		{"r.expr(r.table('t').run(conn))", 1, 21, ".run(...) is only allowed at the end of the whole query"},
		{"r.table('t').run(conn", 1, 17, "unterminated .run(...) call"},
		{"r.table('t').run(conn, {a: 1)", 1, 29, "mismatched ')' in .run(...) arguments"},

		// Functions.
		{"r.table('t').filter(function(x) { x('a') })", 1, 35, "a function body must be a single 'return <expression>;' statement (did you forget 'return'?)"},
		{"r.table('t').filter(function(x) { return x('a'); y })", 1, 50, "expected '}' after the return statement: a function body must be a single 'return <expression>;' statement, found 'y'"},
		{"r.table('t').filter(function(x) { if (x) { return 1 } })", 1, 35, "a function body must be a single 'return <expression>;' statement; JavaScript statements ('if') are not supported"},
		{"r.table('t').filter(function(x) {\n  return\n    x('a') })", 2, 3, "'return' followed by a line break returns undefined in JavaScript; start the expression on the same line as 'return'"},
		{"r.table('t').filter(x => {a: 1})", 1, 26, "a function body in braces is a block, not an object literal: to return an object write ({...}), e.g. x => ({a: 1})"},
		{"r.table('t').filter(function(x) { return x('a')", 1, 48, "expected '}' to close the function body opened at 1:33"},
		{"r.table('t').filter(function x) { return 1 })", 1, 31, "expected '(' after 'function', found ')'"},
		{"r.table('t').filter(function(x = 1) { return x })", 1, 32, "default parameter values are not supported"},
		{"r.table('t').filter(function(...x) { return x })", 1, 30, "rest parameters are not supported"},
		{"r.table('t').filter(function({a}) { return a })", 1, 30, "destructuring parameters are not supported"},
		{"r.table('t').filter(function(x) return x)", 1, 33, "expected '{' to start the function body, found 'return'"},
		{"r.table('t').filter((a, a) => a)", 1, 21, "duplicate parameter name 'a'"},
		{"r.table('t').filter((true) => 1)", 1, 21, "'true' cannot be used as a parameter name"},

		// Errors of the JS driver, with its messages.
		{"r.table('t').filter()", 1, 14, ".filter: Expected 1 argument (not including options) but found 0."},
		{"r.table('t').insert({a: 1}, {b: 2}, 3)", 1, 14, ".insert: Expected 1 argument (not including options) but found 2."},
		{"r.table('t').changes(1)", 1, 14, ".changes: Expected 0 arguments (not including options) but found 1."},
		{"r.table('users', 'extra')", 1, 3, "r.table: Expected 1 argument (not including options) but found 2."},
		{"r.table('t')('a', 'b')", 1, 13, "Expected 1 argument but found 2."},
		{"r.table('t').map()", 1, 14, ".map: Expected 1 or more arguments but found 0."},
		{"r.table('t').slice()", 1, 14, ".slice: Expected between 1 and 3 arguments but found 0."},
		{"r.expr()", 1, 3, "r.expr: Expected between 1 and 2 arguments but found 0."},
		{"r()", 1, 2, "r: Expected between 1 and 2 arguments but found 0."},
		{"r.expr(1, 'x')", 1, 3, "r.expr: Second argument to `r.expr` must be a number or undefined."},
		{"r.expr(1).do()", 1, 11, "Argument 0 to do may not be `undefined`."},
		{"r.binary('abc')", 1, 3, "r.binary: Parameter to `r.binary` must be a Buffer object or RQL query."},
		{"r.expr(function() {})", 1, 8, "Anonymous function returned `undefined`. Did you forget a `return`?"},
		{"r.expr(function(x) { return; })", 1, 8, "Anonymous function returned `undefined`. Did you forget a `return`?"},
		{"r.expr(1e400)", 1, 8, "Illegal non-finite number `Infinity`."},
		{"r.expr(\n[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]])", 2, 21, "Nesting depth limit exceeded."},
		{"r.table('t').slice(1, 2, 'ab')", 1, 26, ".slice: options must be an object literal, found a string"},
		{"r.table('t').reconfigure([1])", 1, 26, ".reconfigure: options must be an object literal, found an array"},

		// Lexical errors.
		{"r.expr('abc", 1, 8, "unterminated string literal"},
		{"r.expr('a\nb')", 1, 8, "unterminated string literal (line break inside quotes)"},
		{"r.expr('\\u{110000}')", 1, 9, "\\u{...} escape is beyond U+10FFFF"},
		{"r.expr('\\uD83D')", 1, 9, "lone UTF-16 surrogate \\uD83D in string (it cannot be encoded as UTF-8)"},
		{"r.expr('\\uDE00')", 1, 9, "lone UTF-16 surrogate \\uDE00 in string (it cannot be encoded as UTF-8)"},
		{"r.expr('\\uD83Dx')", 1, 9, "lone UTF-16 surrogate \\uD83D in string (it cannot be encoded as UTF-8)"},
		{"r.expr('\\u12')", 1, 9, "invalid \\u escape: expected 4 hex digits"},
		{"r.expr('\\x4')", 1, 9, "invalid \\x escape: expected 2 hex digits"},
		{"r.expr('\\101')", 1, 9, "octal escape sequences are not allowed"},
		{"r.expr(`a${b}`)", 1, 10, "template literal substitutions ${...} are not supported"},
		{"r.expr(1) /* unterminated", 1, 11, "unterminated /* comment"},
		{"r.expr(0123)", 1, 8, "numbers with leading zeros (legacy octal) are not allowed"},
		{"r.expr(1n)", 1, 8, "BigInt literals are not supported"},
		{"r.expr(3in)", 1, 9, "identifier starts immediately after numeric literal"},
		{"r.expr(1__0)", 1, 9, "numeric separator '_' must be between digits"},
		{"r.expr(1e)", 1, 8, "missing exponent digits in number"},
		{"r.expr(0x)", 1, 8, "missing digits after \"0x\""},
		{"r.expr(\\u0061)", 1, 8, "unexpected '\\' (escapes are only allowed inside strings)"},
		{"r.expr(\x00)", 1, 8, "unexpected character '\\x00'"},
		{"r.expr('\xff')", 1, 9, "input is not valid UTF-8"},

		// Positions: lines, CRLF, tabs, and columns counted in characters.
		{"r.table('t')\n  .filter({a: 1})\n  .count(\n", 4, 1, "unexpected end of input: expected an expression"},
		{"r.table('t')\r\n  .fliter({a: 1})", 2, 4, "unknown method 'fliter' (did you mean 'filter'?)"},
		{"r.table('t')\r  .fliter({a: 1})", 2, 4, "unknown method 'fliter' (did you mean 'filter'?)"},
		{"\tr.expr('日本語😀').upcasee()", 1, 17, "unknown method 'upcasee' (did you mean 'upcase'?)"},
		{"/* one\n two */ r.expr(1).ad(2)", 2, 19, "unknown method 'ad'"},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			_, err := Parse(tc.src)
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("Parse: unexpected error %v", err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse error = %v (%T), want a *SyntaxError", err, err)
			}
			if se.Line != tc.line || se.Col != tc.col || se.Msg != tc.msg {
				t.Errorf("got  %d:%d %q\nwant %d:%d %q", se.Line, se.Col, se.Msg, tc.line, tc.col, tc.msg)
			}
		})
	}
}

func TestSyntaxErrorString(t *testing.T) {
	_, err := Parse("r.table('t')\n  .filter(x => x)\n  .pluck('a'")
	want := "Syntax error at 3:13: expected ')' after arguments"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func TestLimits(t *testing.T) {
	// Input size.
	big := "r.expr('" + strings.Repeat("a", MaxInputSize) + "')"
	if _, err := Parse(big); err == nil || !strings.Contains(err.Error(), "input too large") {
		t.Errorf("oversized input: err = %v", err)
	}
	// Just under the limit is fine.
	ok := "r.expr('" + strings.Repeat("a", MaxInputSize-20) + "')"
	if _, err := Parse(ok); err != nil {
		t.Errorf("input under the limit: %v", err)
	}

	tooDeep := []struct{ name, src string }{
		{"parens", strings.Repeat("(", MaxDepth+1) + "1" + strings.Repeat(")", MaxDepth+1)},
		{"calls", strings.Repeat("r.expr(", MaxDepth+1) + "1" + strings.Repeat(")", MaxDepth+1)},
		{"chain", "r.expr(1)" + strings.Repeat(".add(1)", MaxDepth)},
		{"chain of brackets", "r.row" + strings.Repeat("('a')", MaxDepth)},
		{"functions", strings.Repeat("x => ", MaxDepth+1) + "1"},
		{"objects", strings.Repeat("{a: ", MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1)},
		{"brackets", "r.row" + strings.Repeat("('a')", MaxDepth+1)},
	}
	for _, tc := range tooDeep {
		_, err := Parse(tc.src)
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(se.Msg, "nested too deeply") {
			t.Errorf("%s: err = %v, want a nesting error", tc.name, err)
		}
	}
	// Large inputs of several shapes parse in linear-ish time (a quadratic
	// regression would make this test take minutes).
	var keys strings.Builder
	for i := 40000; i > 0; i-- {
		keys.WriteString(itoa(i) + ": 1, k" + itoa(i) + ": 2, ")
	}
	for _, src := range []string{
		"r.expr([" + strings.Repeat("1.5e3, 'x', ", 80000) + "])",
		"r.expr({" + keys.String() + "})",
		strings.Repeat("r.expr(x => ", 100) + "[" + strings.Repeat("x,", 150000) + "]" + strings.Repeat(")", 100),
		"r.expr(1)" + strings.Repeat("/* x */ // y\n", 60000),
	} {
		if len(src) > MaxInputSize {
			t.Fatalf("test input too large: %d", len(src))
		}
		term, err := Parse(src)
		if err != nil {
			t.Fatalf("large input: %v", err)
		}
		if _, err := FormatTerm(term); err != nil {
			t.Fatalf("large input: FormatTerm: %v", err)
		}
	}
	if _, err := Parse("r.expr(" + strings.Repeat("a", MaxInputSize-10) + ")"); err == nil || len(err.Error()) > 200 {
		t.Errorf("long identifier: error %.300v should be short", err)
	}

	// Deep but within limits.
	if _, err := Parse("r.expr(1)" + strings.Repeat(".add(1)", MaxDepth-10)); err != nil {
		t.Errorf("long chain: %v", err)
	}
	if _, err := Parse(strings.Repeat("r.expr(", 100) + "1" + strings.Repeat(")", 100)); err != nil {
		t.Errorf("nested calls: %v", err)
	}
}
