package reql

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// Every term number of ql2.proto either has an evaluator or compiles to the
// clear not-implemented error; nothing is silently accepted.
func TestEveryTermImplementedOrReported(t *testing.T) {
	for num, name := range map[TermType]string{1: "DATUM", 36: "BETWEEN_DEPRECATED", 69: "FUNC", 152: "CHANGES", 169: "UUID", 189: "SET_WRITE_HOOK", 196: "BIT_SAR"} {
		if TermName(num) != name {
			t.Fatalf("term %d is %q in our table, %q in ql2.proto", num, TermName(num), name)
		}
	}
	var missing []string
	for _, tt := range AllTermTypes() {
		raw := []byte(`[` + itoa(int(tt)) + `,[]]`)
		_, err := Compile(raw, nil)
		if !Implemented(tt) {
			missing = append(missing, TermName(tt))
		}
		if Implemented(tt) {
			var e *Error
			if errors.As(err, &e) && strings.Contains(e.Msg, "not yet implemented") {
				t.Errorf("%s is registered but reported as not implemented", TermName(tt))
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindCompile || e.Msg != "Term "+TermName(tt)+" is not yet implemented in PhotonDB." {
			t.Errorf("%s: want the not-implemented compile error, got %v", TermName(tt), err)
		}
	}
	// Issue #10's acceptance: every term of ql2.proto is implemented.
	if len(missing) > 0 {
		t.Errorf("terms of ql2.proto without an evaluator: %v", missing)
	}
	if n := len(AllTermTypes()); n != 186 {
		t.Errorf("ql2.proto has 186 term numbers, our table %d", n)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, term, opts string
		kind             Kind
		msg              string
	}{
		{"exact arity", `[14,[]]`, ``, KindCompile, "Expected 1 argument but found 0."},
		{"exact arity plural", `[16,[[15,["t"]]]]`, ``, KindCompile, "Expected 2 arguments but found 1."},
		{"range arity", `[15,["a","b","c"]]`, ``, KindCompile, "Expected between 1 and 2 arguments but found 3."},
		{"variadic arity", `[78,[]]`, ``, KindCompile, "Expected 1 or more arguments but found 0."},
		{"bad optarg", `[60,["t"],{"nope":1}]`, ``, KindCompile, "Unrecognized optional argument `nope`."},
		{"unknown term", `[9999,[]]`, ``, KindCompile, "Unrecognized TermType: 9999."},
		{"bad global optarg", `[59,[]]`, `{"nope":1}`, KindCompile, "Unrecognized global optional argument `nope`."},
		{"malformed term", `[]`, ``, KindClient, "Expected a term of the form [type, args, optargs] but found an array of length 0."},
		{"args not array", `[14,"x"]`, ``, KindClient, "Expected an array of arguments in a term."},
		{"not json", `{`, ``, KindClient, "Client is buggy (failed to deserialize query)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts map[string]json.RawMessage
			if tt.opts != "" {
				if err := json.Unmarshal([]byte(tt.opts), &opts); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Compile([]byte(tt.term), opts)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("want *Error, got %v", err)
			}
			if e.Kind != tt.kind || e.Msg != tt.msg {
				t.Fatalf("got kind %d %q, want kind %d %q", e.Kind, e.Msg, tt.kind, tt.msg)
			}
		})
	}
}

func TestCompileBacktrace(t *testing.T) {
	// r.table("t").get() with a bad optarg deep inside: the backtrace points
	// at the failing term.
	_, err := Compile([]byte(`[56,[[15,["t"]],[2,[[3,[],{"a":[14,[]]}]]]]]`), nil)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	want := []any{1, 0, "a"}
	got, _ := json.Marshal(e.Backtrace)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(got, wantJSON) {
		t.Fatalf("backtrace %s, want %s", got, wantJSON)
	}
}

func TestDeepNestingIsAnErrorNotACrash(t *testing.T) {
	term := strings.Repeat(`[2,[`, 5000) + `1` + strings.Repeat(`]]`, 5000)
	_, err := Compile([]byte(term), nil)
	var e *Error
	if !errors.As(err, &e) || e.Type != ErrResourceLimit {
		t.Fatalf("want a resource limit error, got %v", err)
	}
}

func TestEncodeKeyOrder(t *testing.T) {
	// RethinkDB's order for primary keys: arrays < bools < numbers <
	// binary < times < strings; numbers numerically, strings bytewise,
	// arrays lexicographically.
	ordered := []any{
		[]any{},
		[]any{-1.0},
		[]any{1.0},
		[]any{1.0, "a"},
		[]any{2.0},
		false, true,
		-1e300, -2.5, -1.0, 0.0, 1e-300, 1.0, 2.0, 10.0, 1e300,
		map[string]any{"$reql_type$": "BINARY", "data": ""},
		map[string]any{"$reql_type$": "BINARY", "data": "AA=="},
		map[string]any{"$reql_type$": "TIME", "epoch_time": 0.0, "timezone": "+00:00"},
		"", "a", "a\x00", "a\x00b", "ab", "b", "é",
	}
	var prev []byte
	for i, k := range ordered {
		enc, err := EncodeKey(k)
		if err != nil {
			t.Fatalf("EncodeKey(%v): %v", k, err)
		}
		if i > 0 && bytes.Compare(prev, enc) >= 0 {
			t.Fatalf("key %d (%v) does not sort after key %d (%v)", i, k, i-1, ordered[i-1])
		}
		prev = enc
	}
	negZero, _ := EncodeKey(-0.0 * 1)
	zero, _ := EncodeKey(0.0)
	if !bytes.Equal(negZero, zero) {
		t.Fatal("-0 and 0 must be the same key")
	}
}

func TestEncodeKeyRejects(t *testing.T) {
	tests := []struct {
		key any
		msg string
	}{
		{nil, "Primary keys must be either a number, string, bool, pseudotype or array (got type NULL):\nnull"},
		{map[string]any{"a": 1.0}, "Primary keys must be either a number, string, bool, pseudotype or array (got type OBJECT):\n{\n\t\"a\":\t1\n}"},
		{strings.Repeat("x", 128), "Primary key too long (max 127 characters): \"" + strings.Repeat("x", 128) + "\""},
	}
	for _, tt := range tests {
		_, err := EncodeKey(tt.key)
		if err == nil || err.Error() != tt.msg {
			t.Errorf("EncodeKey(%v) error %q, want %q", tt.key, err, tt.msg)
		}
	}
}

func TestPrintDatum(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{map[string]any{"id": 1.0, "name": "a"}, "{\n\t\"id\":\t1,\n\t\"name\":\t\"a\"\n}"},
		{map[string]any{"o": map[string]any{"x": []any{1.0, "b"}}}, "{\n\t\"o\":\t{\n\t\t\"x\":\t[\n\t\t\t1,\n\t\t\t\"b\"\n\t\t]\n\t}\n}"},
		{1.5, "1.5"},
		{map[string]any{}, "{}"},
	}
	for _, tt := range tests {
		if got := printDatum(tt.v); got != tt.want {
			t.Errorf("printDatum(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestCompareDatumsTypeOrder(t *testing.T) {
	ordered := []any{
		MinVal,
		[]any{}, []any{1.0}, []any{1.0, 1.0}, []any{2.0},
		false, true,
		nil,
		-1.0, 0.0, 1.5,
		map[string]any{}, map[string]any{"a": 1.0}, map[string]any{"a": 2.0}, map[string]any{"a": 2.0, "b": 0.0}, map[string]any{"b": 0.0},
		map[string]any{"$reql_type$": "BINARY", "data": ""},
		map[string]any{"$reql_type$": "BINARY", "data": "AA=="},
		map[string]any{"$reql_type$": "TIME", "epoch_time": 1.0, "timezone": "+00:00"},
		map[string]any{"$reql_type$": "TIME", "epoch_time": 2.0, "timezone": "-07:00"},
		"", "A", "a", "ab",
		MaxVal,
	}
	for i := range ordered {
		for j := range ordered {
			c := compareDatums(ordered[i], ordered[j])
			if (i < j && c >= 0) || (i > j && c <= 0) || (i == j && c != 0) {
				t.Fatalf("compare(%v, %v) = %d; positions %d and %d", ordered[i], ordered[j], c, i, j)
			}
		}
	}
}
