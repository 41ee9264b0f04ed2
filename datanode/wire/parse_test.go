package wire

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/photondb-io/photondb/datanode/reql"
)

var parseCorpus = []string{
	`[1,[15,["t"]]]`, `[1,[15,["t"]],{"db":[14,["test"]]}]`, `[1,[15,["t"]],{"noreply":true}]`, `[1,[15,["t"]],null]`,
	`[1,null]`, `[1]`, `[2]`, `[3]`, `[4]`, `[5]`, `[null]`, `[1.0,[15,["t"]]]`, `[1e0]`, `[-1]`, `[99999999999999999999]`,
	`["1"]`, `[true]`, `[]`, `{}`, `null`, `[1,2,3,4]`, `[1,[15,["t"]],[1]]`, `[1,[15,["t"]],"x"]`, ` [ 1 , [ 15 , [ "t" ] ] ] `,
	`[1,[15,["t"]],{"bogus":1}]`, `[1,[999999]]`, `[1,{"a":[2,[1,2]]}]`, `[1,[15,["t"]]`, `[1,"\ud800"]`, `[0]`,
	`[1,[56,[[15,["t"]],[1000000,[]]]]]`, `[1,[1,2,3,4]]`,
}

func FuzzParse(f *testing.F) {
	for _, s := range parseCorpus {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) { checkParse(t, payload) })
}

func TestParseMatchesParseQuery(t *testing.T) {
	for _, s := range parseCorpus {
		checkParse(t, []byte(s))
	}
}

// checkParse compares parse with parseQuery followed by reql.Compile.
func checkParse(t *testing.T, payload []byte) {
	t.Helper()
	qtype, term, opts, werr := parseQuery(payload)
	q, err := parse(payload)
	if !sameErr(err, werr) {
		t.Fatalf("parse(%q): error %v, parseQuery: %v", payload, err, werr)
	}
	if werr != nil {
		return
	}
	if q.qtype != qtype || q.hasTerm != (term != nil) {
		t.Fatalf("parse(%q) = type %d term %v, parseQuery: %d %v", payload, q.qtype, q.hasTerm, qtype, term != nil)
	}
	if term == nil {
		return
	}
	if len(opts) > 1 {
		return // which of several bad optargs is reported depends on map order
	}
	want, werr := reql.Compile(term, opts)
	got, err := q.compile()
	if !sameErr(err, werr) {
		t.Fatalf("compile(%q): error %v, Compile: %v", payload, err, werr)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("compile(%q) differs from Compile", payload)
	}
}

func sameErr(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ea, eb := reql.AsError(a), reql.AsError(b)
	ja, _ := json.Marshal(ea)
	jb, _ := json.Marshal(eb)
	return ea.Msg == eb.Msg && ea.Kind == eb.Kind && ea.Type == eb.Type && string(ja) == string(jb)
}
