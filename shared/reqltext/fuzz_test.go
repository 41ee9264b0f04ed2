package reqltext

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is a
// positioned *SyntaxError, that every result encodes to valid wire JSON
// that decodes to the same bytes, and that formatting the result and
// parsing the text again gives the same term.
func FuzzParse(f *testing.F) {
	for _, tc := range loadGolden(f) {
		f.Add(tc.Expr)
	}
	for _, seed := range []string{
		"r.table('t').filter(function(doc) { return doc('a').eq(1); })",
		"r.expr({a: [1, {b: x => x}], 'c d': r.row('e')})",
		"r.table('t')\r\n  .orderBy({index: r.desc('id')})\n  .limit(1).run(conn);",
		"r.expr('\\uD83D\\uDE00 \\u{1F600} \\x41 `tpl`')",
		"r.expr(`a\nb`)",
		"/* c */ r.expr(0x1F).add(1_000, .5, 5., 1e-7) // d",
		"r.do(1, (a) => r.branch(a.gt(0), {x: a}, [a]))",
		"r.table('t').map(x => r.table('u').filter(r.row('id').eq(x('id'))))",
		"r.table('t').getAll(1, 2, {index: 'a'}).changes({includeInitial: true})",
		"r.union(r.table('t'), r.row('a'))",
		"r.expr(" + strings.Repeat("[", 19) + "1" + strings.Repeat("]", 19) + ")",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		term, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) returned %T %v, want *SyntaxError", src, err, err)
			}
			if se.Line < 1 || se.Col < 1 || se.Line > strings.Count(src, "\n")+strings.Count(src, "\r")+strings.Count(src, "\u2028")+strings.Count(src, "\u2029")+1 {
				t.Fatalf("Parse(%q): position %d:%d out of range", src, se.Line, se.Col)
			}
			if se.Msg == "" {
				t.Fatalf("Parse(%q): empty error message", src)
			}
			return
		}
		wire, err := term.MarshalJSON()
		if err != nil {
			t.Fatalf("Parse(%q) succeeded but MarshalJSON failed: %v", src, err)
		}
		if !json.Valid(wire) {
			t.Fatalf("Parse(%q): invalid JSON %s", src, wire)
		}
		if _, err := json.Marshal(term); err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		var back Term
		if err := back.UnmarshalJSON(wire); err != nil {
			t.Fatalf("UnmarshalJSON(%s): %v", wire, err)
		}
		if again, err := back.MarshalJSON(); err != nil || string(again) != string(wire) {
			t.Fatalf("JSON round trip of %s gave %s, %v", wire, again, err)
		}
		text, err := FormatTerm(term)
		if err != nil {
			t.Fatalf("FormatTerm(%s): %v", wire, err)
		}
		term2, err := Parse(text)
		if err != nil {
			if strings.Contains(err.Error(), "nested too deeply") {
				return // formatting can add a level or two of r.expr(...)
			}
			t.Fatalf("Parse(%q) (formatted from %q): %v", text, src, err)
		}
		wire2, err := term2.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		if !semanticEqual(t, wire, wire2) {
			t.Fatalf("format round trip changed the term\n  source: %q\nformatted: %s\n   first: %s\n  second: %s", src, text, wire, wire2)
		}
	})
}
