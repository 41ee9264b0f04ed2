package reqltext

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		src, want string
	}{
		{`r.table('users')`, `r.table("users")`},
		{`r.db('test').table('users', {readMode: 'outdated'})`, `r.db("test").table("users", {readMode: "outdated"})`},
		{`r.table('t').filter(doc => doc('age').gt(18))`, `r.table("t").filter(function(var_0) { return var_0("age").gt(18); })`},
		{`r.table('t').filter(r.row('age').gt(18))`, `r.table("t").filter(r.row("age").gt(18))`},
		{`r.expr(1).add(2, 3)`, `r.add(1, 2, 3)`},
		{`r.expr({a: [1, 'x'], 'b c': null})`, `{a: [1, "x"], "b c": null}`},
		{`r.do(1, 2, (a, b) => a.add(b))`, `r.do(1, 2, function(var_0, var_1) { return var_0.add(var_1); })`},
		{`r.table('t').orderBy({index: r.desc('id')})`, `r.table("t").orderBy({index: r.desc("id")})`},
		{`r.table('t').getAll(1, r.expr({a: 1}))`, `r.table("t").getAll(1, r.expr({a: 1}))`},
		{`r.table('t').insert({a: 1}, {returnChanges: true})`, `r.table("t").insert({a: 1}, {returnChanges: true})`},
		{`r.minval`, `r.minval`},
		{`r.expr([1, 2]).union([3], {interleave: false})`, `r.expr([1, 2]).union([3], {interleave: false})`},
		{`r.expr(x => x)(1)`, `r.expr(function(var_0) { return var_0; })(1)`},
		{`r.binary(r.expr('abc'))`, `r.binary(r.expr("abc"))`},
		{`r.table('t').filter(function(x) { return r.row('a'); })`, `r.table("t").filter(function(var_0) { return r.row("a"); })`},
		{`r.grant('bob', {read: true})`, `r.grant("bob", {read: true})`},
		{`r.expr({a: r.row})`, `{a: r.row}`},
		{`r.now().dayOfWeek().eq(r.monday)`, `r.now().dayOfWeek().eq(r.monday)`},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			term, err := Parse(tc.src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			raw, err := term.MarshalJSON()
			if err != nil {
				t.Fatalf("MarshalJSON: %v", err)
			}
			got, err := Format(raw)
			if err != nil {
				t.Fatalf("Format(%s): %v", raw, err)
			}
			if got != tc.want {
				t.Errorf("Format(%s)\n got: %s\nwant: %s", raw, got, tc.want)
			}
		})
	}
}

func TestFormatWire(t *testing.T) {
	tests := []struct {
		wire, want, err string
	}{
		// Terms from other drivers that the JS driver would not build.
		{`[3,[],{"a":1}]`, `{a: 1}`, ""},
		{`[36,[[15,["t"]],1,2]]`, `BETWEEN_DEPRECATED(r.table("t"), 1, 2)`, ""},
		{`[17,[1,2],{"x":1}]`, `r.expr(1).eq(2, {x: 1})`, ""},
		{`{"__proto__":1,"1a":2}`, `{"__proto__": 1, "1a": 2}`, ""},
		{`[10,[3]]`, `var_3`, ""},
		{`["a",1]`, "", "term number"},
		{`[999,[]]`, "", "unknown term number"},
		{`[69,[[2,["x"]],1]]`, "", "malformed FUNC"},
		{`[15,["t"]] x`, "", "trailing data"},
		{`[15,"t"]`, "", "array of arguments"},
		{strings.Repeat("[2,[", 600) + strings.Repeat("]]", 600), "", "nested deeper"},
	}
	for _, tc := range tests {
		got, err := Format(json.RawMessage(tc.wire))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Format(%.40s) error = %v, want one containing %q", tc.wire, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Format(%s): %v", tc.wire, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Format(%s)\n got: %s\nwant: %s", tc.wire, got, tc.want)
		}
	}
}

func TestFormatRoundTripExtra(t *testing.T) {
	tests := []string{
		// r.expr restarts the driver's 20-level literal nesting count.
		"r.expr(" + strings.Repeat("[", 15) + "r.expr(" + strings.Repeat("[", 15) + "1" + strings.Repeat("]", 15) + ")" + strings.Repeat("]", 15) + ")",
		"r.expr(" + strings.Repeat("{a: ", 15) + "r.expr(" + strings.Repeat("[{b: ", 8) + "1" + strings.Repeat("}]", 8) + ")" + strings.Repeat("}", 15) + ")",
		// r.union does not funcWrap, the union method does.
		"r.union(r.table('t'), r.row('a'))",
		"r.union(r.table('t'), r.row('a'), {interleave: false})",
		"r.expr([1]).union(r.row('a'))",
		"r.expr('t').table('x')",
		"r.expr(1).do(r.expr(2), r.row)",
		"r.table('t').filter(x => r.row('a'))",
		"r.expr(x => r.row)",
		"r.table('t').getAll(1, r.expr({index: 'a'}))",
		"r.table('t').slice(1, r.expr({a: 1}))",
		"r.table('t').indexCreate('a', r.expr({a: 1}))",
		"r.table('t').min(r.expr({index: 'a'}))",
		"r.expr([1]).group(r.expr({a: 1}))",
		"r.random(1, r.expr({float: true}))",
		"r.table('t', {returnChanges: 1, return_changes: 2, A: 3, _b: 4, c__d: 5})",
		"r.expr({1: 'a', b: 2, 0: 'c', '01': 3, 'with space': 4, 'π': 5, '': 6})",
		"r.expr([-0, 1e21, 1e-7, 5e-324, -1.7976931348623157e308, 0.1])",
		"r.expr('quote \" back \\\\ nl \\n tab \\t \\u0000 \u2028 😀')",
		"r.table('t').map(function(a, b, c) { return [a, b, c]; })",
		"r.do(r.row)",
		"r.binary(r.row)",
		"r.expr(1)(r.row)",
	}
	for _, src := range tests {
		t.Run(src, func(t *testing.T) { checkRoundTrip(t, src) })
	}
}

// TestFormatRoundTrip formats every golden query and parses it back.
func TestFormatRoundTrip(t *testing.T) {
	for _, tc := range loadGolden(t) {
		if tc.Error != "" {
			continue
		}
		t.Run(tc.Expr, func(t *testing.T) {
			checkRoundTrip(t, tc.Expr)
		})
	}
}

func checkRoundTrip(t *testing.T, src string) {
	t.Helper()
	term, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want, err := term.MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON: %v", err)
	}
	text, err := FormatTerm(term)
	if err != nil {
		t.Fatalf("FormatTerm(%s): %v", want, err)
	}
	again, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse(Format(...)) = Parse(%s): %v", text, err)
	}
	got, err := again.MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON: %v", err)
	}
	if !semanticEqual(t, got, want) {
		t.Fatalf("round trip changed the term\nformatted: %s\n    first: %s\n   second: %s", text, want, got)
	}
}
