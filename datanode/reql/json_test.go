package reql

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

var jsonCorpus = []string{
	`null`, `true`, `false`, `0`, `-0`, `1`, `-1`, `1.5`, `1e400`, `-1e400`, `1e-400`, `123456789012345678901234567890`,
	`9007199254740993`, `0.1`, `1e21`, `1e20`, `1e-7`, `1E+2`, `-0.0`, `01`, `1.`, `.5`, `-`, `+1`, `1e`, `1e+`,
	`""`, `"abc"`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u0000\u001f\u00e9\u2028\u2029"`, `"\ud83d\ude00"`, `"\ud83d"`,
	`"\ude00\ud83d"`, `"\ud83dx"`, `"\ud83d\u0041"`, `"<>&"`, "\"\xff\xfe\"", "\"\xed\xa0\x80\"", "\"a\x01\"",
	`"\x"`, `"\'"`, `"\u12"`, `"abc`, `[]`, `[1,2,[3,{}]]`, `[1,]`, `[,1]`, `{}`, `{"a":1,"b":[true,null]}`,
	`{"a":1,"a":2}`, `{"a" : 1 , "b":2 }`, ` [ 1 , 2 ] `, `{"a":1,}`, `{a:1}`, `{"a"}`, `[1 2]`, `1 2`, `tru`, `nul`,
	`{"$reql_type$":"TIME","epoch_time":1.5e9,"timezone":"+00:00"}`, "\"é\u00e9\"", `"` + "\u2028" + `"`,
}

func FuzzJSONCodec(f *testing.F) {
	for _, s := range jsonCorpus {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkCodec(t, data)
	})
}

func TestJSONCodecCorpus(t *testing.T) {
	for _, s := range jsonCorpus {
		checkCodec(t, []byte(s))
	}
	deep := bytes.Repeat([]byte("["), 10001)
	checkCodec(t, append(deep, bytes.Repeat([]byte("]"), 10001)...))
	deep = bytes.Repeat([]byte("["), 6000)
	checkCodec(t, append(deep, bytes.Repeat([]byte("]"), 6000)...))
	for _, v := range []any{math.NaN(), math.Inf(1), []any(nil), map[string]any(nil), 3, json.RawMessage(`{"b":1, "a":2}`),
		map[string]any{"x": []any{math.Inf(-1)}}, 1e-6, 1e-7, 123456.789, -1e21, 1e15, 1e16, 5e-324, math.MaxFloat64,
		[]any{"\u2028<tag>&", map[string]any{"é": 1.0, "a": nil, "": true}}, "\xff"} {
		checkMarshal(t, v)
	}
}

func checkCodec(t *testing.T, data []byte) {
	t.Helper()
	var want any
	werr := json.Unmarshal(data, &want)
	got, err := UnmarshalJSON(data)
	if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
		t.Fatalf("UnmarshalJSON(%q): error %v, json.Unmarshal: %v", data, err, werr)
	}
	if werr == nil && !sameDatum(got, want) {
		t.Fatalf("UnmarshalJSON(%q) = %#v, json.Unmarshal: %#v", data, got, want)
	}
	var wantM map[string]any
	werr = json.Unmarshal(data, &wantM)
	gotM, err := UnmarshalObject(data)
	if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
		t.Fatalf("UnmarshalObject(%q): error %v, json.Unmarshal: %v", data, err, werr)
	}
	if werr == nil && !sameDatum(gotM, wantM) {
		t.Fatalf("UnmarshalObject(%q) = %#v, json.Unmarshal: %#v", data, gotM, wantM)
	}
	if _, ok := DecodeValid(data); ok && !json.Valid(data) {
		t.Fatalf("DecodeValid accepts invalid %q", data)
	}
	if werr == nil {
		checkMarshal(t, want)
	}
}

// sameDatum is reflect.DeepEqual that tells -0 from 0 (and NaN is never
// decoded).
func sameDatum(a, b any) bool {
	if !reflect.DeepEqual(a, b) {
		return false
	}
	switch x := a.(type) {
	case float64:
		return math.Signbit(x) == math.Signbit(b.(float64))
	case []any:
		for i := range x {
			if !sameDatum(x[i], b.([]any)[i]) {
				return false
			}
		}
	case map[string]any:
		for k := range x {
			if !sameDatum(x[k], b.(map[string]any)[k]) {
				return false
			}
		}
	}
	return true
}

func checkMarshal(t *testing.T, v any) {
	t.Helper()
	want, werr := json.Marshal(v)
	got, err := MarshalJSON(v)
	if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
		t.Fatalf("MarshalJSON(%#v): error %v, json.Marshal: %v", v, err, werr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("MarshalJSON(%#v) = %s, json.Marshal: %s", v, got, want)
	}
	pre := []byte("x,")
	got2, err := AppendJSON(pre, v)
	if werr == nil && (err != nil || string(got2) != "x,"+string(want)) {
		t.Fatalf("AppendJSON(%#v) = %s, %v", v, got2, err)
	}
}

func TestJSONStringEveryByte(t *testing.T) {
	for b := 0; b < 256; b++ {
		for pos := 0; pos < 17; pos++ {
			s := []byte("abcdefghijklmnopq")
			s[pos] = byte(b)
			checkMarshal(t, string(s))
			checkMarshal(t, map[string]any{string(s): string(s[:pos])})
			data, _ := json.Marshal(string(s))
			checkCodec(t, data)
		}
	}
}

func BenchmarkDecodeDocument(b *testing.B) {
	doc := benchDocument()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := UnmarshalObject(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeDocument(b *testing.B) {
	m, _ := UnmarshalObject(benchDocument())
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf, _ = AppendJSON(buf[:0], m)
	}
}

// benchDocument is a 1 KB document like the YCSB benchmark's.
func benchDocument() []byte {
	m := map[string]any{"id": "user6284781860667377211", "n": 12345.0}
	for i := 0; i < 10; i++ {
		m["field"+string(rune('0'+i))] = string(bytes.Repeat([]byte("abcdefghij"), 9))
	}
	b, _ := json.Marshal(m)
	return b
}
