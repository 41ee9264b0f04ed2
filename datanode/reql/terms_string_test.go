package reql

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

func TestStringTerms(t *testing.T) {
	checkEvalCases(t, []evalCase{
		// MATCH
		{name: "match groups", term: `[97,["abcdefg","a(b.e)|b(c.e)"]]`, want: `{"str":"bcde","groups":[null,{"start":2,"str":"cde","end":5}],"start":1,"end":5}`},
		{name: "match none", term: `[97,["abcdefg","a(b.e)|B(c.e)"]]`, want: `null`},
		{name: "match case-insensitive flag", term: `[97,["abcdefg","(?i)a(b.e)|B(c.e)"]]`, want: `{"str":"bcde","groups":[null,{"start":2,"str":"cde","end":5}],"start":1,"end":5}`},
		{name: "match no groups", term: `[97,["\r","\r"]]`, want: `{"str":"\r","groups":[],"start":0,"end":1}`},
		{name: "match empty", term: `[97,["abc",""]]`, want: `{"str":"","groups":[],"start":0,"end":0}`},
		{name: "match anchored", term: `[97,["ab","^b$"]]`, want: `null`},
		{name: "match unicode byte offsets", term: `[97,["héllo","l+"]]`, want: `{"str":"ll","groups":[],"start":3,"end":5}`},
		{name: "match unicode class", term: `[97,["日本語","\\p{Han}+"]]`, want: `{"str":"日本語","groups":[],"start":0,"end":9}`},
		{name: "match bad escape", term: `[97,["","ab\\9"]]`, errType: ErrQueryLogic, errMsg: "Error in regexp `ab\\9` (portion `\\9`): invalid escape sequence: \\9"},
		{name: "match missing paren", term: `[97,["","a(b"]]`, errType: ErrQueryLogic, errMsg: "Error in regexp `a(b` (portion `a(b`): missing ): a(b"},
		{name: "match not a string", term: `[97,[1,"a"]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
		{name: "match pattern not a string", term: `[97,["a",null]]`, errType: ErrNonExistence, errMsg: "Expected type STRING but found NULL."},

		// SPLIT
		{name: "split empty", term: `[149,[""]]`, want: `[]`},
		{name: "split empty null", term: `[149,["",null]]`, want: `[]`},
		{name: "split empty by space", term: `[149,[""," "]]`, want: `[""]`},
		{name: "split empty by empty", term: `[149,["",""]]`, want: `[]`},
		{name: "split empty by space max", term: `[149,[""," ",5]]`, want: `[""]`},
		{name: "split whitespace", term: `[149,["aaaa bbbb  cccc "]]`, want: `["aaaa","bbbb","cccc"]`},
		{name: "split space", term: `[149,["aaaa bbbb  cccc "," "]]`, want: `["aaaa","bbbb","","cccc",""]`},
		{name: "split chars", term: `[149,["ab c",""]]`, want: `["a","b"," ","c"]`},
		{name: "split by b", term: `[149,["aaaa bbbb  cccc ","b"]]`, want: `["aaaa ","","","","  cccc "]`},
		{name: "split by bb", term: `[149,["aaaa bbbb  cccc b d bb e bbbb f","bb"]]`, want: `["aaaa ","","  cccc b d "," e ",""," f"]`},
		{name: "split whitespace max 2", term: `[149,["aaaa bbbb  cccc ",null,2]]`, want: `["aaaa","bbbb","cccc "]`},
		{name: "split whitespace max trailing", term: `[149,["a  b  ",null,2]]`, want: `["a","b"]`},
		{name: "split whitespace max 1", term: `[149,["  aaaa bbbb  cccc ",null,1]]`, want: `["aaaa","bbbb  cccc "]`},
		{name: "split space max 2", term: `[149,["aaaa bbbb  cccc "," ",2]]`, want: `["aaaa","bbbb"," cccc "]`},
		{name: "split chars max", term: `[149,["aaaa bbbb  cccc ","",2]]`, want: `["a","a","aa bbbb  cccc "]`},
		{name: "split b max", term: `[149,["aaaa bbbb  cccc ","b",2]]`, want: `["aaaa ","","bb  cccc "]`},
		{name: "split leading spaces", term: `[149,["  aaaa bbbb  cccc "," ",4]]`, want: `["","","aaaa","bbbb"," cccc "]`},
		{name: "split spaces only", term: `[149,["  "]]`, want: `[]`},
		{name: "split spaces only by space", term: `[149,["  "," "]]`, want: `["","",""]`},
		{name: "split max zero", term: `[149,["a b",null,0]]`, want: `["a b"]`},
		{name: "split max unlimited", term: `[149,["a,b,c",",",-1]]`, want: `["a","b","c"]`},
		{name: "split separator at end with max", term: `[149,["a,",",",1]]`, want: `["a",""]`},
		{name: "split combining", term: `[149,["fe\u0301oo",""]]`, want: `["f","e\u0301","o","o"]`},
		{name: "split precomposed", term: `[149,["f\u00e9oo",""]]`, want: `["f","\u00e9","o","o"]`},
		{name: "split ascii whitespace", term: `[149,["foo bar\tbaz\nquux\rfred\u000bbarney\u000cwilma"]]`, want: `["foo","bar","baz","quux","fred","barney","wilma"]`},
		{name: "split unicode whitespace", term: `[149,["foo\u00a0bar\u2001baz\u2060quux\u2028fred\u2028barney\u2029wilma\u0085betty\u200b"]]`, want: `["foo","bar","baz\u2060quux","fred","barney","wilma","betty\u200b"]`},
		{name: "split multibyte separator", term: `[149,["a→b→c","→"]]`, want: `["a","b","c"]`},
		{name: "split separator not a string", term: `[149,["a",1]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
		{name: "split not a string", term: `[149,[1]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
		{name: "split max too small", term: `[149,["a",null,-2]]`, errType: ErrQueryLogic, errMsg: "Error: `split` size argument must be in range [-1, 99999]."},
		{name: "split max fraction", term: `[149,["a",null,1.5]]`, errType: ErrQueryLogic, errMsg: "Number not an integer: 1.5"},
		{name: "split arity", term: `[149,["a"," ",1,2]]`, errMsg: "Expected between 1 and 3 arguments but found 4."},

		// UPCASE, DOWNCASE
		{name: "upcase", term: `[141,["abc-dEf-GHJ"]]`, want: `"ABC-DEF-GHJ"`},
		{name: "downcase", term: `[142,["abc-dEf-GHJ"]]`, want: `"abc-def-ghj"`},
		{name: "upcase ascii only", term: `[141,["éa"]]`, want: `"éA"`},
		{name: "downcase ascii only", term: `[142,["ÉA"]]`, want: `"Éa"`},
		{name: "upcase not a string", term: `[141,[1]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
	})
}

// runTermWithOpts runs a term with global optargs (e.g. array_limit).
func runTermWithOpts(t *testing.T, term string, opts map[string]string) (any, error) {
	t.Helper()
	raw := map[string]json.RawMessage{}
	for k, v := range opts {
		raw[k] = json.RawMessage(v)
	}
	q, err := Compile([]byte(term), raw)
	if err != nil {
		return nil, err
	}
	res, err := q.Run(context.Background(), &Env{ServerName: "test"})
	if err != nil {
		return nil, err
	}
	return res.Datum, nil
}

func TestCoreArrayLimits(t *testing.T) {
	limit := map[string]string{"array_limit": "3"}
	for _, tc := range []struct{ name, term, msg string }{
		{"add arrays", `[24,[[2,[1,2]],[2,[3,4]]]]`, "Array over size limit `3`."},
		{"mul array", `[26,[[2,[1,2]],2]]`, "Array over size limit `3`."},
		{"split", `[149,["a b c d"]]`, "Array over size limit `3`."},
		{"split size", `[149,["a b c d",null,3]]`, "Error: `split` size argument must be in range [-1, 2]."},
		{"json", `[98,["[1,2,3,4]"]]`, "Array over size limit `3`."},
		{"object to array", `[51,[{"a":1,"b":2,"c":3,"d":4},"array"]]`, "Array over size limit `3`."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runTermWithOpts(t, tc.term, limit)
			var e *Error
			if !errors.As(err, &e) || e.Msg != tc.msg {
				t.Fatalf("got %v, %v; want error %q", got, err, tc.msg)
			}
		})
	}
	got, err := runTermWithOpts(t, `[149,["a b c d",null,2]]`, limit)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(got); string(b) != `["a","b","c d"]` {
		t.Fatalf("split under the limit: %s", b)
	}
}
