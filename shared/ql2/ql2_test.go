package ql2

import (
	"strings"
	"testing"
)

func TestTermNames(t *testing.T) {
	tests := []struct {
		tt         TermType
		str, snake string
	}{
		{TermDatum, "DATUM", "datum"},
		{TermMakeArray, "MAKE_ARRAY", "make_array"},
		{TermGetAll, "GET_ALL", "get_all"},
		{TermToJsonString, "TO_JSON_STRING", "to_json_string"},
		{TermBracket, "BRACKET", "bracket"},
		{TermBitSar, "BIT_SAR", "bit_sar"},
		{TermType(4), "TermType(4)", "term_4"},
	}
	for _, tc := range tests {
		if got := tc.tt.String(); got != tc.str {
			t.Errorf("TermType(%d).String() = %q, want %q", int(tc.tt), got, tc.str)
		}
		if got := tc.tt.Name(); got != tc.snake {
			t.Errorf("TermType(%d).Name() = %q, want %q", int(tc.tt), got, tc.snake)
		}
	}
}

func TestTermTypes(t *testing.T) {
	ts := TermTypes()
	// ql2.proto of RethinkDB 2.4 defines 186 term types.
	if len(ts) != 186 {
		t.Fatalf("TermTypes() has %d entries, want 186", len(ts))
	}
	for i, tt := range ts {
		if i > 0 && ts[i-1] >= tt {
			t.Fatalf("TermTypes() not strictly ascending at %d", i)
		}
		if !tt.Valid() {
			t.Errorf("%v not Valid", tt)
		}
		for _, name := range []string{tt.String(), tt.Name()} {
			if got, ok := TermTypeByName(name); !ok || got != tt {
				t.Errorf("TermTypeByName(%q) = %v, %v; want %v", name, got, ok, tt)
			}
		}
	}
	if TermType(0).Valid() || TermType(197).Valid() {
		t.Error("out-of-range term numbers reported valid")
	}
	if _, ok := TermTypeByName("NO_SUCH_TERM"); ok {
		t.Error("TermTypeByName accepted an unknown name")
	}
}

func TestJSTables(t *testing.T) {
	tests := []struct {
		lookup func(string) (TermType, bool)
		name   string
		want   TermType
	}{
		{JSMethod, "getAll", TermGetAll},
		{JSMethod, "do", TermFuncall},
		{JSMethod, "toJSON", TermToJsonString},
		{JSMethod, "toJsonString", TermToJsonString},
		{JSMethod, "toISO8601", TermToIso8601},
		{JSMethod, "bracket", TermBracket},
		{JSMethod, "eqJoin", TermEqJoin},
		{JSFunction, "ISO8601", TermIso8601},
		{JSFunction, "js", TermJavascript},
		{JSFunction, "error", TermError},
		{JSFunction, "do", TermFuncall},
		{JSConstant, "row", TermImplicitVar},
		{JSConstant, "minval", TermMinval},
		{JSConstant, "december", TermDecember},
	}
	for _, tc := range tests {
		if got, ok := tc.lookup(tc.name); !ok || got != tc.want {
			t.Errorf("lookup(%q) = %v, %v; want %v", tc.name, got, ok, tc.want)
		}
	}
	for _, bad := range []string{"run", "toString", "build", "get_all", "expr", "connect"} {
		if _, ok := JSMethod(bad); ok {
			t.Errorf("JSMethod(%q) found", bad)
		}
		if _, ok := JSFunction(bad); ok {
			t.Errorf("JSFunction(%q) found", bad)
		}
	}
	// The JS driver 2.4.2 has 134 term methods, 71 r functions besides
	// r.expr, and 22 term-valued properties of r.
	for _, tc := range []struct {
		names []string
		want  int
	}{{JSMethodNames(), 134}, {JSFunctionNames(), 71}, {JSConstantNames(), 22}} {
		if len(tc.names) != tc.want {
			t.Errorf("table has %d names, want %d", len(tc.names), tc.want)
		}
		for _, n := range tc.names {
			if strings.ContainsRune(n, '_') {
				t.Errorf("name %q is not camelCase", n)
			}
		}
	}
	for _, m := range []map[string]TermType{jsMethods, jsFunctions, jsConstants} {
		for n, tt := range m {
			if !tt.Valid() {
				t.Errorf("%q maps to invalid term %v", n, tt)
			}
		}
	}
}
