package reqltext

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/photondb-io/photondb/shared/ql2"
)

// TestSpecsMatchQL2 checks that the calling conventions cover exactly the
// JS driver names listed in package ql2, building the same terms.
func TestSpecsMatchQL2(t *testing.T) {
	for name, sp := range methodSpecs {
		if tt, ok := ql2.JSMethod(name); !ok || tt != sp.tt {
			t.Errorf("method %q: spec builds %v, ql2 says %v (%v)", name, sp.tt, tt, ok)
		}
	}
	for _, name := range ql2.JSMethodNames() {
		if _, ok := methodSpecs[name]; !ok {
			t.Errorf("ql2 method %q has no calling convention", name)
		}
	}
	for name, sp := range functionSpecs {
		if name == "expr" {
			continue
		}
		if tt, ok := ql2.JSFunction(name); !ok || tt != sp.tt {
			t.Errorf("function r.%s: spec builds %v, ql2 says %v (%v)", name, sp.tt, tt, ok)
		}
	}
	for _, name := range ql2.JSFunctionNames() {
		if _, ok := functionSpecs[name]; !ok {
			t.Errorf("ql2 function r.%s has no calling convention", name)
		}
	}
}

func TestTermJSON(t *testing.T) {
	tests := []struct {
		term Term
		want string
	}{
		{DatumTerm(nil), `null`},
		{DatumTerm(true), `true`},
		{DatumTerm(-0.0), `0`},
		{DatumTerm(1e21), `1e+21`},
		{DatumTerm(1e-7), `1e-7`},
		{DatumTerm(123e-20), `1.23e-18`},
		{DatumTerm(0.000001), `0.000001`},
		{DatumTerm(5e-324), `5e-324`},
		{DatumTerm(1.7976931348623157e308), `1.7976931348623157e+308`},
		{DatumTerm(100), `100`},
		{DatumTerm("a\"b\\c\n\x01\x7f\u2028<&>\xff"), `"a\"b\\c\n\u0001` + "\x7f\u2028<&>\ufffd" + `"`},
		{OpTerm(ql2.TermMinval, nil, nil), `[180,[]]`},
		{OpTerm(ql2.TermTable, []Term{DatumTerm("t")}, []Field{{"read_mode", DatumTerm("outdated")}}), `[15,["t"],{"read_mode":"outdated"}]`},
		{ObjectTerm([]Field{{"b", DatumTerm(1.0)}, {"a", OpTerm(ql2.TermNow, nil, nil)}}), `{"b":1,"a":[103,[]]}`},
		{ObjectTerm(nil), `{}`},
	}
	for _, tc := range tests {
		got, err := tc.term.MarshalJSON()
		if err != nil {
			t.Errorf("MarshalJSON(%#v): %v", tc.term, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("MarshalJSON = %s, want %s", got, tc.want)
		}
		// Decoding gives back an equivalent term.
		var back Term
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("Unmarshal(%s): %v", got, err)
			continue
		}
		again, _ := back.MarshalJSON()
		if string(again) != string(got) {
			t.Errorf("JSON round trip: %s became %s", got, again)
		}
	}
	for _, bad := range []Term{DatumTerm(math.Inf(1)), DatumTerm(math.NaN()), {Kind: KindDatum, Datum: 3}, {Kind: 9}} {
		if _, err := bad.MarshalJSON(); err == nil {
			t.Errorf("MarshalJSON(%#v) succeeded", bad)
		}
	}
	// json.Marshal works too (it escapes <, >, & and U+2028 on top).
	if b, err := json.Marshal(DatumTerm("<\u2028")); err != nil || string(b) != `"\u003c\u2028"` {
		t.Errorf("json.Marshal = %s, %v", b, err)
	}
}

func TestUnmarshalKeepsOrder(t *testing.T) {
	var tm Term
	if err := json.Unmarshal([]byte(`[15,["t"],{"z":1,"a":{"y":2,"b":3,"y":4}}]`), &tm); err != nil {
		t.Fatal(err)
	}
	if tm.Kind != KindOp || tm.Type != ql2.TermTable || len(tm.Fields) != 2 || tm.Fields[0].Name != "z" {
		t.Fatalf("decoded %#v", tm)
	}
	a, ok := tm.Optarg("a")
	if !ok || a.Kind != KindObject || len(a.Fields) != 2 || a.Fields[0].Name != "y" || a.Fields[0].Value.Datum != 4.0 {
		t.Fatalf("decoded object %#v", a)
	}
	if _, ok := tm.Optarg("missing"); ok {
		t.Error("Optarg found a missing name")
	}
}

func TestImplicitFlag(t *testing.T) {
	row := OpTerm(ql2.TermImplicitVar, nil, nil)
	get := OpTerm(ql2.TermBracket, []Term{row, DatumTerm("a")}, nil)
	obj := ObjectTerm([]Field{{"x", get}})
	opt := OpTerm(ql2.TermTable, []Term{DatumTerm("t")}, []Field{{"o", obj}})
	for _, tm := range []Term{row, get, obj, opt} {
		if !tm.implicit {
			t.Errorf("%#v: implicit not set", tm)
		}
	}
	var decoded Term
	if err := json.Unmarshal([]byte(`{"a":[24,[[13,[]],1]]}`), &decoded); err != nil || !decoded.implicit {
		t.Errorf("decoded term: implicit = %v, err = %v", decoded.implicit, err)
	}
}

func TestCamelCase(t *testing.T) {
	tests := []struct{ camel, snake string }{
		{"returnChanges", "return_changes"},
		{"readMode", "read_mode"},
		{"index", "index"},
		{"already_snake", "already_snake"},
		{"ISO", "_i_s_o"},
		{"nonAtomic", "non_atomic"},
	}
	for _, tc := range tests {
		if got := fromCamelCase(tc.camel); got != tc.snake {
			t.Errorf("fromCamelCase(%q) = %q, want %q", tc.camel, got, tc.snake)
		}
		if got := fromCamelCase(toCamelCase(tc.snake)); got != tc.snake {
			t.Errorf("fromCamelCase(toCamelCase(%q)) = %q", tc.snake, got)
		}
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"filter", "orderBy", "getAll", "map", "table", "tableCreate"}
	tests := []struct{ in, want string }{
		{"filtr", "filter"},
		{"fliter", "filter"},
		{"order_by", "orderBy"},
		{"GETALL", "getAll"},
		{"tabel", "table"},
		{"mp", ""},
		{"zzzzzz", ""},
	}
	for _, tc := range tests {
		if got := suggest(tc.in, names); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
