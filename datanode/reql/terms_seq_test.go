package reql

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sort"
	"testing"

	"github.com/photondb-io/photondb/datanode/changefeed"
)

func TestSequenceTerms(t *testing.T) {
	objs := `[2,[{"id":1,"a":3},{"id":2,"a":1},{"id":3,"a":2}]]`
	checkEvalCases(t, []evalCase{
		// MAP
		{name: "map", term: `[38,[[2,[1,2,3]],` + fn1(`[2,[`+x1+`,`+x1+`]]`) + `]]`, want: `[[1,1],[2,2],[3,3]]`},
		{name: "map empty", term: `[38,[[2,[]],` + fn1(x1) + `]]`, want: `[]`},
		{name: "map stream", term: `[38,[[173,[3]],` + fn1(`[24,[`+x1+`,10]]`) + `]]`, want: `[10,11,12]`},
		{name: "map zero-arity function", term: `[38,[[2,[1,2]],[69,[[2,[]],"k"]]]]`, want: `["k","k"]`},
		{name: "map multi", term: `[38,[[2,[1,2,3]],[2,[10,20]],` + fn2(`[24,[`+x1+`,`+x2+`]]`) + `]]`, want: `[11,22]`},
		{name: "map multi with stream", term: `[38,[[173,[]],[2,["a","b"]],` + fn2(`[2,[`+x1+`,`+x2+`]]`) + `]]`, want: `[[0,"a"],[1,"b"]]`},
		{name: "map wrong arity", term: `[38,[[2,[1]],` + fn2(x1) + `]]`, errType: ErrQueryLogic, errMsg: "The function passed to `map` expects 2 arguments, but 1 sequence was found."},
		{name: "map multi wrong arity", term: `[38,[[2,[1]],[2,[1]],` + fn1(x1) + `]]`, errType: ErrQueryLogic, errMsg: "The function passed to `map` expects 1 argument, but 2 sequences were found."},
		{name: "map non-sequence", term: `[38,[5,` + fn1(x1) + `]]`, errType: ErrQueryLogic, errMsg: "Cannot convert NUMBER to SEQUENCE"},
		{name: "map non-function", term: `[38,[[2,[1]],5]]`, errType: ErrQueryLogic, errMsg: "Expected type FUNCTION but found NUMBER."},
		{name: "map object", term: `[38,[{"a":1},` + fn1(x1) + `]]`, errType: ErrQueryLogic, errMsg: "Cannot convert OBJECT to SEQUENCE"},

		// CONCAT_MAP
		{name: "concat_map", term: `[40,[[2,[1,2]],` + fn1(`[2,[`+x1+`,`+x1+`]]`) + `]]`, want: `[1,1,2,2]`},
		{name: "concat_map empty results", term: `[40,[[2,[1,2]],` + fn1(`[2,[]]`) + `]]`, want: `[]`},
		{name: "concat_map stream result", term: `[40,[[2,[2,3]],` + fn1(`[173,[`+x1+`]]`) + `]]`, want: `[0,1,0,1,2]`},
		{name: "concat_map non-sequence", term: `[40,[[2,[1]],` + fn1(x1) + `]]`, errType: ErrQueryLogic, errMsg: "Cannot convert NUMBER to SEQUENCE"},
		{name: "concat_map lazy over infinite", term: `[71,[[40,[[173,[]],` + fn1(`[2,[`+x1+`,`+x1+`]]`) + `]],3]]`, want: `[0,0,1]`},

		// FILTER
		{name: "filter function", term: `[39,[[2,[1,2,3,4]],` + fn1(`[21,[`+x1+`,2]]`) + `]]`, want: `[3,4]`},
		{name: "filter object", term: `[39,[[2,[{"a":1,"b":1},{"a":2},{"b":1}]],{"a":1}]]`, want: `[{"a":1,"b":1}]`},
		{name: "filter nested object", term: `[39,[[2,[{"a":{"b":1,"c":2}},{"a":{"b":2}}]],{"a":{"b":1}}]]`, want: `[{"a":{"b":1,"c":2}}]`},
		{name: "filter function returning object", term: `[39,[[2,[{"a":1},{"a":2}]],` + fn1(`{"a":2}`) + `]]`, want: `[{"a":2}]`},
		{name: "filter truthiness", term: `[39,[[2,[1,null,false,0,"",[2,[]]]],` + fn1(x1) + `]]`, want: `[1,0,"",[]]`},
		{name: "filter constant true", term: `[39,[[2,[1,2]],true]]`, want: `[1,2]`},
		{name: "filter missing field skipped", term: `[39,[[2,[{"a":1},{"b":1}]],{"b":1}]]`, want: `[{"b":1}]`},
		{name: "filter default true", term: `[39,[[2,[{"a":1},{"b":1}]],{"b":1}],{"default":true}]`, want: `[{"a":1},{"b":1}]`},
		{name: "filter default false", term: `[39,[[2,[[2,[1]],[2,[]]]],` + fn1(`[45,[`+x1+`,0]]`) + `],{"default":false}]`, want: `[[1]]`},
		{name: "filter default nonexistence error", term: `[39,[[2,[[2,[1]],[2,[]]]],` + fn1(`[45,[`+x1+`,0]]`) + `],{"default":true}]`, want: `[[1],[]]`},
		{name: "filter default r.error() rethrows", term: `[39,[[2,[{"a":1},{"b":1}]],{"b":1}],{"default":[12,[]]}]`, errType: ErrNonExistence, errMsg: "No attribute `b` in object."},
		{name: "filter default r.error(msg)", term: `[39,[[2,[{"a":1}]],{"b":1}],{"default":[12,["boom"]]}]`, errType: ErrUser, errMsg: "boom"},
		{name: "filter other errors propagate", term: `[39,[[2,[1]],` + fn1(`[45,["abc",0]]`) + `],{"default":true}]`, errType: ErrQueryLogic, errMsg: "Expected type ARRAY but found STRING."},
		{name: "filter non-sequence", term: `[39,["abc",true]]`, errType: ErrQueryLogic, errMsg: "Cannot convert STRING to SEQUENCE"},
		{name: "filter stream lazily", term: `[71,[[39,[[173,[]],` + fn1(`[21,[`+x1+`,5]]`) + `]],2]]`, want: `[6,7]`},

		// SLICE
		{name: "slice", term: `[30,[[2,[0,1,2,3,4]],1,3]]`, want: `[1,2]`},
		{name: "slice to end", term: `[30,[[2,[0,1,2,3,4]],2]]`, want: `[2,3,4]`},
		{name: "slice negative", term: `[30,[[2,[0,1,2,3,4]],-3,-1]]`, want: `[2,3]`},
		{name: "slice closed right", term: `[30,[[2,[0,1,2,3,4]],1,3],{"right_bound":"closed"}]`, want: `[1,2,3]`},
		{name: "slice open left", term: `[30,[[2,[0,1,2,3,4]],1,3],{"left_bound":"open"}]`, want: `[2]`},
		{name: "slice open left closed right", term: `[30,[[2,[0,1,2,3,4]],1,-1],{"left_bound":"open","right_bound":"closed"}]`, want: `[2,3,4]`},
		{name: "slice far negative left", term: `[30,[[2,[0,1,2]],-10,2]]`, want: `[0,1]`},
		{name: "slice far negative right", term: `[30,[[2,[0,1,2]],0,-10]]`, want: `[]`},
		{name: "slice past end", term: `[30,[[2,[0,1,2]],5,10]]`, want: `[]`},
		{name: "slice reversed", term: `[30,[[2,[0,1,2]],2,1]]`, want: `[]`},
		{name: "slice bad bound", term: `[30,[[2,[0,1,2]],0,1],{"left_bound":"half"}]`, errType: ErrQueryLogic, errMsg: "Expected `open` or `closed` for optarg `left_bound` (got `\"half\"`)."},
		{name: "slice string", term: `[30,["abcdef",1,3]]`, want: `"bc"`},
		{name: "slice string negative", term: `[30,["abcdef",-2]]`, want: `"ef"`},
		{name: "slice string unicode", term: `[30,["héllo wörld",1,5]]`, want: `"éllo"`},
		{name: "slice string emoji", term: `[30,["a😀b",1,2]]`, want: `"😀"`},
		{name: "slice binary", term: `[30,[{"$reql_type$":"BINARY","data":"AAECAw=="},1,3]]`, want: `{"$reql_type$":"BINARY","data":"AQI="}`},
		{name: "slice number", term: `[30,[5,0,1]]`, errType: ErrQueryLogic, errMsg: "Expected ARRAY, BINARY, or STRING, but found NUMBER."},
		{name: "slice stream", term: `[30,[[173,[10]],2,5]]`, want: `[2,3,4]`},
		{name: "slice stream closed", term: `[30,[[173,[10]],2,5],{"right_bound":"closed","left_bound":"open"}]`, want: `[3,4,5]`},
		{name: "slice infinite stream", term: `[30,[[173,[]],3,5]]`, want: `[3,4]`},
		{name: "slice stream negative left", term: `[30,[[173,[10]],-2]]`, errType: ErrQueryLogic, errMsg: "Cannot use a negative left index on a stream."},
		{name: "slice stream right < -1", term: `[30,[[173,[10]],0,-2]]`, errType: ErrQueryLogic, errMsg: "Cannot use a right index < -1 on a stream."},
		{name: "slice stream open -1", term: `[30,[[173,[10]],0,-1],{"right_bound":"open"}]`, errType: ErrQueryLogic, errMsg: "Cannot slice to an open right index of -1 on a stream."},
		{name: "slice stream to -1 closed", term: `[30,[[173,[4]],1,-1],{"right_bound":"closed"}]`, want: `[1,2,3]`},

		// SKIP, LIMIT
		{name: "skip", term: `[70,[[2,[1,2,3]],1]]`, want: `[2,3]`},
		{name: "skip all", term: `[70,[[2,[1,2,3]],5]]`, want: `[]`},
		{name: "skip negative array", term: `[70,[[2,[1,2,3]],-1]]`, want: `[3]`},
		{name: "skip negative stream", term: `[70,[[173,[3]],-1]]`, errType: ErrQueryLogic, errMsg: "Cannot use a negative left index on a stream."},
		{name: "skip stream", term: `[70,[[173,[5]],3]]`, want: `[3,4]`},
		{name: "limit", term: `[71,[[2,[1,2,3]],2]]`, want: `[1,2]`},
		{name: "limit zero", term: `[71,[[2,[1,2,3]],0]]`, want: `[]`},
		{name: "limit more", term: `[71,[[2,[1,2,3]],10]]`, want: `[1,2,3]`},
		{name: "limit negative", term: `[71,[[2,[1,2,3]],-1]]`, errType: ErrQueryLogic, errMsg: "LIMIT takes a non-negative argument (got -1)"},
		{name: "limit non-integer", term: `[71,[[2,[1,2,3]],1.5]]`, errType: ErrQueryLogic, errMsg: "Number not an integer: 1.5"},
		{name: "limit infinite", term: `[71,[[173,[]],4]]`, want: `[0,1,2,3]`},
		{name: "limit string", term: `[71,["abc",1]]`, errType: ErrQueryLogic, errMsg: "Cannot convert STRING to SEQUENCE"},

		// NTH
		{name: "nth", term: `[45,[[2,["a","b","c"]],1]]`, want: `"b"`},
		{name: "nth negative", term: `[45,[[2,["a","b","c"]],-1]]`, want: `"c"`},
		{name: "nth out of bounds", term: `[45,[[2,["a","b","c"]],3]]`, errType: ErrNonExistence, errMsg: "Index out of bounds: 3"},
		{name: "nth negative out of bounds", term: `[45,[[2,["a","b","c"]],-4]]`, errType: ErrNonExistence, errMsg: "Index out of bounds: -4"},
		{name: "nth stream", term: `[45,[[173,[]],5]]`, want: `5`},
		{name: "nth stream last", term: `[45,[[173,[4]],-1]]`, want: `3`},
		{name: "nth stream out of bounds", term: `[45,[[173,[3]],3]]`, errType: ErrNonExistence, errMsg: "Index out of bounds: 3"},
		{name: "nth empty stream last", term: `[45,[[173,[0]],-1]]`, errType: ErrNonExistence, errMsg: "Index out of bounds: -1"},
		{name: "nth stream index < -1", term: `[45,[[173,[3]],-2]]`, errType: ErrQueryLogic, errMsg: "Cannot use an index < -1 (-2) on a stream."},
		{name: "nth string", term: `[45,["abc",0]]`, errType: ErrQueryLogic, errMsg: "Expected type ARRAY but found STRING."},

		// IS_EMPTY, CONTAINS, OFFSETS_OF
		{name: "is_empty", term: `[86,[[2,[]]]]`, want: `true`},
		{name: "is_empty not", term: `[86,[[2,[null]]]]`, want: `false`},
		{name: "is_empty infinite", term: `[86,[[173,[]]]]`, want: `false`},
		{name: "is_empty empty range", term: `[86,[[173,[5,2]]]]`, want: `true`},
		{name: "is_empty non-sequence", term: `[86,[1]]`, errType: ErrQueryLogic, errMsg: "Cannot convert NUMBER to SEQUENCE"},
		{name: "contains", term: `[93,[[2,[1,2,3]],2]]`, want: `true`},
		{name: "contains not", term: `[93,[[2,[1,2,3]],4]]`, want: `false`},
		{name: "contains several", term: `[93,[[2,[1,2,3]],3,1]]`, want: `true`},
		{name: "contains bag semantics", term: `[93,[[2,[1,2]],1,1]]`, want: `false`},
		{name: "contains bag semantics repeated", term: `[93,[[2,[1,2,1]],1,1]]`, want: `true`},
		{name: "contains predicate", term: `[93,[[2,[1,2,3]],` + fn1(`[21,[`+x1+`,2]]`) + `]]`, want: `true`},
		{name: "contains predicate not", term: `[93,[[2,[1,2,3]],` + fn1(`[21,[`+x1+`,5]]`) + `]]`, want: `false`},
		{name: "contains object", term: `[93,[[2,[{"a":1}]],{"a":1}]]`, want: `true`},
		{name: "contains infinite stream", term: `[93,[[173,[]],100]]`, want: `true`},
		{name: "contains nothing", term: `[93,[[2,[1]]]]`, want: `true`},
		{name: "contains nothing empty", term: `[93,[[2,[]]]]`, want: `false`},
		{name: "offsets_of", term: `[87,[[2,["a","b","a"]],"a"]]`, want: `[0,2]`},
		{name: "offsets_of predicate", term: `[87,[[2,[1,5,2,7]],` + fn1(`[21,[`+x1+`,3]]`) + `]]`, want: `[1,3]`},
		{name: "offsets_of none", term: `[87,[[2,[1]],2]]`, want: `[]`},

		// UNION
		{name: "union", term: `[44,[[2,[1,2]],[2,[3]],[2,[]],[2,[4]]]]`, want: `[1,2,3,4]`},
		{name: "union none", term: `[44,[]]`, want: `[]`},
		{name: "union interleave false", term: `[44,[[2,[1,2]],[2,[3,4]]],{"interleave":false}]`, want: `[1,2,3,4]`},
		{name: "union interleave field", term: `[44,[[2,[{"a":1},{"a":4}]],[2,[{"a":2},{"a":3},{"a":5}]]],{"interleave":"a"}]`, want: `[{"a":1},{"a":2},{"a":3},{"a":4},{"a":5}]`},
		{name: "union interleave desc", term: `[44,[[2,[{"a":4},{"a":1}]],[2,[{"a":5},{"a":2}]]],{"interleave":[74,["a"]]}]`, want: `[{"a":5},{"a":4},{"a":2},{"a":1}]`},
		{name: "union interleave function", term: `[44,[[2,[1,3]],[2,[2,4]]],{"interleave":` + fn1(x1) + `}]`, want: `[1,2,3,4]`},
		{name: "union with stream", term: `[44,[[2,["a"]],[173,[2]]]]`, want: `["a",0,1]`},
		{name: "union infinite then limit", term: `[71,[[44,[[173,[]],[2,["a"]]]],2]]`, want: `[0,1]`},
		{name: "union non-sequence", term: `[44,[[2,[1]],2]]`, errType: ErrQueryLogic, errMsg: "Cannot convert NUMBER to SEQUENCE"},

		// ZIP
		{name: "zip", term: `[72,[[2,[{"left":{"a":1,"b":1},"right":{"b":2,"c":3}},{"left":{"a":5}}]]]]`, want: `[{"a":1,"b":2,"c":3},{"a":5}]`},
		{name: "zip not a join", term: `[72,[[2,[{"a":1}]]]]`, errType: ErrQueryLogic, errMsg: "ZIP can only be called on the result of a join."},

		// SAMPLE
		{name: "sample size", term: `[43,[[81,[[173,[100]],7]]]]`, want: `7`},
		{name: "sample all", term: `[42,[[81,[[2,[3,1,2]],5]]]]`, want: `[1,2,3]`},
		{name: "sample zero", term: `[81,[[2,[1,2]],0]]`, want: `[]`},
		{name: "sample distinct elements", term: `[43,[[42,[[81,[[173,[50]],20]]]]]]`, want: `20`},
		{name: "sample negative", term: `[81,[[2,[1,2]],-1]]`, errType: ErrQueryLogic, errMsg: "Number of items to sample must be non-negative, got `-1`."},

		// DISTINCT
		{name: "distinct", term: `[42,[[2,[3,1,3,2,1]]]]`, want: `[1,2,3]`},
		{name: "distinct mixed types", term: `[42,[[2,["a",1,null,[2,[]],false,"a",1.0,{"x":1},{"x":1}]]]]`, want: `[[],false,null,1,{"x":1},"a"]`},
		{name: "distinct stream", term: `[42,[[38,[[173,[6]],` + fn1(`[28,[`+x1+`,3]]`) + `]]]]`, want: `[0,1,2]`},
		{name: "distinct index on array", term: `[42,[[2,[1]]],{"index":"id"}]`, errType: ErrQueryLogic, errMsg: "Can only perform an indexed distinct on a TABLE."},

		// ORDER_BY
		{name: "order_by field", term: `[41,[` + objs + `,"a"]]`, want: `[{"id":2,"a":1},{"id":3,"a":2},{"id":1,"a":3}]`},
		{name: "order_by desc", term: `[41,[` + objs + `,[74,["a"]]]]`, want: `[{"id":1,"a":3},{"id":3,"a":2},{"id":2,"a":1}]`},
		{name: "order_by asc", term: `[41,[` + objs + `,[73,["a"]]]]`, want: `[{"id":2,"a":1},{"id":3,"a":2},{"id":1,"a":3}]`},
		{name: "order_by function", term: `[41,[[2,[3,1,2]],` + fn1(`[25,[0,`+x1+`]]`) + `]]`, want: `[3,2,1]`},
		{name: "order_by desc function", term: `[41,[[2,[3,1,2]],[74,[` + fn1(x1) + `]]]]`, want: `[3,2,1]`},
		{name: "order_by stable multiple keys", term: `[41,[[2,[{"a":1,"b":2,"i":0},{"a":0,"b":2,"i":1},{"a":1,"b":1,"i":2},{"a":1,"b":2,"i":3}]],"b",[74,["a"]]]]`,
			want: `[{"a":1,"b":1,"i":2},{"a":1,"b":2,"i":0},{"a":1,"b":2,"i":3},{"a":0,"b":2,"i":1}]`},
		{name: "order_by missing field first", term: `[41,[[2,[{"a":2},{"b":1},{"a":1}]],"a"]]`, want: `[{"b":1},{"a":1},{"a":2}]`},
		{name: "order_by missing field last desc", term: `[41,[[2,[{"a":2},{"b":1},{"a":1}]],[74,["a"]]]]`, want: `[{"a":2},{"a":1},{"b":1}]`},
		{name: "order_by mixed types", term: `[41,[[2,["b",1,null,true,[2,[]],{"a":1},"a"]],` + fn1(x1) + `]]`, want: `[[],true,null,1,{"a":1},"a","b"]`},
		{name: "order_by stream", term: `[41,[[173,[4]],[74,[` + fn1(x1) + `]]]]`, want: `[3,2,1,0]`},
		{name: "order_by nothing", term: `[41,[[2,[1,2]]]]`, errType: ErrQueryLogic, errMsg: "Must specify something to order by."},
		{name: "order_by index on array", term: `[41,[[2,[1,2]]],{"index":"id"}]`, errType: ErrQueryLogic, errMsg: "Indexed order_by can only be performed on a TABLE or TABLE_SLICE. Make sure order_by comes before any transformations (such as map) or filters."},
		{name: "order_by infinite", term: `[41,[[173,[]],` + fn1(x1) + `]]`, errType: ErrQueryLogic, errMsg: "Cannot use an infinite stream with an aggregation function (`reduce`, `count`, etc.) or coerce it to an array."},
		{name: "asc alone", term: `[73,[5]]`, want: `5`},

		// RANGE
		{name: "range n", term: `[173,[4]]`, want: `[0,1,2,3]`},
		{name: "range a b", term: `[173,[2,5]]`, want: `[2,3,4]`},
		{name: "range negative", term: `[173,[-2,1]]`, want: `[-2,-1,0]`},
		{name: "range empty", term: `[173,[5,5]]`, want: `[]`},
		{name: "range backwards", term: `[173,[-3]]`, want: `[]`},
		{name: "range non-integer", term: `[173,[1.5]]`, errType: ErrQueryLogic, errMsg: "Number not an integer: 1.5"},
		{name: "range string", term: `[173,["a"]]`, errType: ErrQueryLogic, errMsg: "Expected type NUMBER but found STRING."},
		{name: "range arity", term: `[173,[1,2,3]]`, errMsg: "Expected between 0 and 2 arguments but found 3."},

		// FOR_EACH on arrays of non-writes
		{name: "for_each non-write", term: `[68,[[2,[1,2]],` + fn1(x1) + `]]`, errType: ErrQueryLogic, errMsg: "FOR_EACH expects one or more basic write queries."},
		{name: "for_each array of non-writes", term: `[68,[[2,[1,2]],` + fn1(`[2,[`+x1+`]]`) + `]]`, errType: ErrQueryLogic, errMsg: "FOR_EACH expects one or more basic write queries."},
		{name: "for_each merges results", term: `[68,[[2,[1,2]],` + fn1(`{"inserted":`+x1+`,"first_error":"e","generated_keys":[2,[`+x1+`]]}`) + `]]`,
			want: `{"inserted":3,"first_error":"e","generated_keys":[1,2]}`},
		{name: "for_each empty", term: `[68,[[2,[]],` + fn1(x1) + `]]`, want: `{}`},
		{name: "for_each bad merge", term: `[68,[[2,[1,"a"]],` + fn1(`{"x":`+x1+`}`) + `]]`, errType: ErrQueryLogic, errMsg: "Cannot merge statistics `1` (type NUMBER) and `\"a\"` (type STRING)."},
	})
}

// runWithOpts compiles and runs a term with global optargs and a store,
// draining streams.
func runWithOpts(t *testing.T, store Store, term, opts string) (any, error) {
	t.Helper()
	var raw map[string]json.RawMessage
	if opts != "" {
		if err := json.Unmarshal([]byte(opts), &raw); err != nil {
			t.Fatal(err)
		}
	}
	q, err := Compile([]byte(term), raw)
	if err != nil {
		return nil, err
	}
	res, err := q.Run(context.Background(), &Env{Store: store, ServerName: "test"})
	if err != nil {
		return nil, err
	}
	if res.Stream == nil {
		return res.Datum, nil
	}
	defer res.Stream.Close()
	out := []any{}
	for {
		v, ok, err := res.Stream.Next(context.Background())
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, v)
	}
}

func wantJSON(t *testing.T, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %q: %v", want, err)
	}
	gb, _ := json.Marshal(got)
	var g any
	_ = json.Unmarshal(gb, &g)
	if !datumEqual(g, w) {
		t.Fatalf("got %s, want %s", gb, want)
	}
}

func wantErr(t *testing.T, err error, typ ErrorType, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want error %q, got %v", msg, err)
	}
	if e.Type != typ || e.Msg != msg {
		t.Fatalf("got error %d %q, want %d %q", e.Type, e.Msg, typ, msg)
	}
}

func TestSequenceArrayLimit(t *testing.T) {
	limit := `{"array_limit":3}`
	for _, tc := range []struct{ name, term string }{
		{"append", `[29,[[2,[1,2,3]],4]]`},
		{"prepend", `[80,[[2,[1,2,3]],4]]`},
		{"insert_at", `[82,[[2,[1,2,3]],0,4]]`},
		{"splice_at", `[85,[[2,[1,2]],0,[2,[3,4]]]]`},
		{"set_union", `[90,[[2,[1,2]],[2,[3,4]]]]`},
		{"concat_map", `[40,[[2,[1,2]],` + fn1(`[2,[`+x1+`,`+x1+`]]`) + `]]`},
		{"union", `[44,[[2,[1,2]],[2,[3,4]]]]`},
		{"order_by", `[41,[[173,[4]],` + fn1(x1) + `]]`},
		{"distinct", `[42,[[173,[4]]]]`},
		{"fold emit", `[187,[[2,[1,2]],0,` + fn2(x2) + `],{"emit":` + fn3(`[2,[`+x2+`,`+x2+`]]`) + `}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runWithOpts(t, nil, tc.term, limit)
			wantErr(t, err, ErrResourceLimit, "Array over size limit `3`.")
		})
	}
	got, err := runWithOpts(t, nil, `[29,[[2,[1,2]],3]]`, limit)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, got, `[1,2,3]`)
}

// ---------------------------------------------------------------------------
// An in-memory store, to check table laziness and selections.

type seqTestStore struct {
	tables map[string]*seqTestTable
}

func (s *seqTestStore) RenameDB(context.Context, string, string) error {
	return newErr(ErrOpFailed, "not in the test store")
}
func (s *seqTestStore) RenameTable(context.Context, string, string, string) error {
	return newErr(ErrOpFailed, "not in the test store")
}
func (s *seqTestStore) CreateDB(context.Context, DBConfig) (DBConfig, error) {
	return DBConfig{}, errors.New("unused")
}
func (s *seqTestStore) DropDB(context.Context, string) (DBConfig, []TableConfig, error) {
	return DBConfig{}, nil, errors.New("unused")
}
func (s *seqTestStore) ListDBs(context.Context) ([]DBConfig, error) { return nil, nil }
func (s *seqTestStore) GetDB(_ context.Context, name string) (DBConfig, error) {
	return DBConfig{Name: name}, nil
}
func (s *seqTestStore) CreateTable(context.Context, TableConfig) (TableConfig, error) {
	return TableConfig{}, errors.New("unused")
}
func (s *seqTestStore) DropTable(context.Context, string, string) (TableConfig, error) {
	return TableConfig{}, errors.New("unused")
}
func (s *seqTestStore) ListTables(context.Context, string) ([]TableConfig, error) { return nil, nil }
func (s *seqTestStore) OpenTable(_ context.Context, db, name string) (TableStore, error) {
	tbl, ok := s.tables[name]
	if !ok {
		return nil, TableNotFound(db, name)
	}
	return tbl, nil
}

type seqTestTable struct {
	docs  map[string]map[string]any
	reads int // documents handed out by scans
	open  int // scans not closed
}

func newSeqTestTable(docs ...map[string]any) *seqTestTable {
	t := &seqTestTable{docs: map[string]map[string]any{}}
	for _, d := range docs {
		k, _ := EncodeKey(d["id"])
		t.docs[string(k)] = d
	}
	return t
}

func (t *seqTestTable) Config() TableConfig {
	return TableConfig{DB: "test", Name: "t", PrimaryKey: "id", Durability: "hard"}
}

func (t *seqTestTable) Get(_ context.Context, key any) (map[string]any, error) {
	k, err := EncodeKey(key)
	if err != nil {
		return nil, err
	}
	return t.docs[string(k)], nil
}

func (t *seqTestTable) sortedKeys(reverse bool) []string {
	keys := make([]string, 0, len(t.docs))
	for k := range t.docs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		c := bytes.Compare([]byte(keys[i]), []byte(keys[j]))
		if reverse {
			return c > 0
		}
		return c < 0
	})
	return keys
}

func (t *seqTestTable) Scan(_ context.Context, reverse bool) DocIterator {
	t.open++
	it := &seqTestIter{t: t, i: -1}
	for _, k := range t.sortedKeys(reverse) {
		it.docs = append(it.docs, t.docs[k])
	}
	return it
}

func (t *seqTestTable) Count(context.Context) (int64, error) { return int64(len(t.docs)), nil }

// The laziness tests need no changefeeds or secondary indexes.
func (t *seqTestTable) Subscribe(context.Context, FeedOptions) (*changefeed.Sub, DocIterator, error) {
	return nil, nil, newErr(ErrOpFailed, "no feeds in the test table")
}
func (t *seqTestTable) Indexes() []IndexStatus { return nil }
func (t *seqTestTable) IndexScan(_ context.Context, index string, _ KeyRange, _ bool) (DocIterator, error) {
	return nil, IndexNotFound("test", "t", index)
}
func (s *seqTestStore) CreateIndex(context.Context, string, string, IndexConfig) (IndexConfig, error) {
	return IndexConfig{}, newErr(ErrOpFailed, "no indexes in the test store")
}
func (s *seqTestStore) ReconfigureTable(context.Context, string, string, int, int) (TableConfig, TableConfig, error) {
	return TableConfig{}, TableConfig{}, newErr(ErrOpFailed, "not in the test store")
}
func (s *seqTestStore) Sync(context.Context) error { return nil }
func (s *seqTestStore) SetWriteHook(context.Context, string, string, *WriteHookConfig) error {
	return newErr(ErrOpFailed, "not in the test store")
}
func (s *seqTestStore) DropIndex(context.Context, string, string, string) error {
	return newErr(ErrOpFailed, "no indexes in the test store")
}
func (s *seqTestStore) RenameIndex(context.Context, string, string, string, string, bool) error {
	return newErr(ErrOpFailed, "no indexes in the test store")
}

func (t *seqTestTable) Write(_ context.Context, ops []*WriteOp, _ string) error {
	for _, op := range ops {
		k, err := EncodeKey(op.Key)
		if err != nil {
			op.Err = err
			continue
		}
		op.Old = t.docs[string(k)]
		op.New, op.Err = op.Apply(op.Old)
		if op.Err != nil {
			op.New = op.Old
			continue
		}
		if op.New == nil {
			delete(t.docs, string(k))
		} else {
			t.docs[string(k)] = op.New
		}
	}
	return nil
}

type seqTestIter struct {
	t      *seqTestTable
	docs   []map[string]any
	i      int
	closed bool
}

func (it *seqTestIter) Next() bool {
	if it.i+1 >= len(it.docs) {
		return false
	}
	it.i++
	it.t.reads++
	return true
}
func (it *seqTestIter) Doc() map[string]any { return it.docs[it.i] }
func (it *seqTestIter) Err() error          { return nil }
func (it *seqTestIter) Close() error {
	if !it.closed {
		it.closed = true
		it.t.open--
	}
	return nil
}

func seqTestDocs(n int) []map[string]any {
	docs := make([]map[string]any, n)
	for i := range docs {
		docs[i] = map[string]any{"id": float64(i), "even": i%2 == 0, "g": float64(i % 3)}
	}
	return docs
}

const tbl = `[15,["t"]]`

func TestSequenceTablesAreLazy(t *testing.T) {
	for _, tc := range []struct {
		name, term, want string
		maxReads         int
	}{
		{"limit", `[71,[` + tbl + `,2]]`, `[{"id":0,"even":true,"g":0},{"id":1,"even":false,"g":1}]`, 2},
		{"map limit", `[71,[[38,[` + tbl + `,` + fn1(`[2,[`+x1+`]]`) + `]],1]]`, `[[{"id":0,"even":true,"g":0}]]`, 1},
		{"filter limit", `[71,[[39,[` + tbl + `,{"even":false}]],2]]`, `[{"id":1,"even":false,"g":1},{"id":3,"even":false,"g":0}]`, 4},
		{"skip limit", `[71,[[70,[` + tbl + `,3]],1]]`, `[{"id":3,"even":false,"g":0}]`, 4},
		{"slice", `[30,[` + tbl + `,1,2]]`, `[{"id":1,"even":false,"g":1}]`, 2},
		{"nth", `[45,[` + tbl + `,1]]`, `{"id":1,"even":false,"g":1}`, 2},
		{"is_empty", `[86,[` + tbl + `]]`, `false`, 1},
		{"contains", `[93,[[38,[` + tbl + `,` + fn1(`[2,[`+x1+`]]`) + `]],` + fn1(`[86,[`+x1+`]]`) + `]]`, `false`, 1000},
		{"concat_map limit", `[71,[[40,[` + tbl + `,` + fn1(`[2,[1,2]]`) + `]],3]]`, `[1,2,1]`, 2},
		{"union limit", `[71,[[44,[` + tbl + `,` + tbl + `]],1]]`, `[{"id":0,"even":true,"g":0}]`, 1},
		{"offsets_of limit", `[71,[[87,[[38,[` + tbl + `,` + fn1(`[2,[`+x1+`]]`) + `]],` + fn1(`true`) + `]],2]]`, `[0,1]`, 2},
		{"count", `[43,[` + tbl + `]]`, `1000`, 0},
		{"max of table", `[148,[` + tbl + `]]`, `{"id":999,"even":false,"g":0}`, 1},
		{"min of table by index", `[147,[` + tbl + `],{"index":"id"}]`, `{"id":0,"even":true,"g":0}`, 1},
		{"order_by index desc", `[71,[[41,[` + tbl + `],{"index":[74,["id"]]}],1]]`, `[{"id":999,"even":false,"g":0}]`, 1},
		{"distinct index", `[71,[[42,[` + tbl + `],{"index":"id"}],3]]`, `[0,1,2]`, 3},
		{"fold emit limit", `[71,[[187,[` + tbl + `,0,` + fn2(`[24,[`+x1+`,1]]`) + `],{"emit":` + fn3(`[2,[`+x2+`]]`) + `}],1]]`, `[{"id":0,"even":true,"g":0}]`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table := newSeqTestTable(seqTestDocs(1000)...)
			got, err := runWithOpts(t, &seqTestStore{tables: map[string]*seqTestTable{"t": table}}, tc.term, "")
			if err != nil {
				t.Fatal(err)
			}
			wantJSON(t, got, tc.want)
			if table.reads > tc.maxReads {
				t.Fatalf("read %d documents, want at most %d", table.reads, tc.maxReads)
			}
			if table.open != 0 {
				t.Fatalf("%d scans left open", table.open)
			}
		})
	}
}

func TestSequenceTableTerms(t *testing.T) {
	docs := func() *seqTestStore {
		return &seqTestStore{tables: map[string]*seqTestTable{"t": newSeqTestTable(seqTestDocs(6)...)}}
	}
	for _, tc := range []struct{ name, term, want, errMsg string }{
		{"filter then delete", `[54,[[39,[` + tbl + `,{"even":true}]]]]`, `{"deleted":3,"errors":0,"inserted":0,"replaced":0,"skipped":0,"unchanged":0}`, ""},
		{"filter then update", `[53,[[39,[` + tbl + `,{"g":0}]],{"x":1}]]`, `{"deleted":0,"errors":0,"inserted":0,"replaced":2,"skipped":0,"unchanged":0}`, ""},
		{"limit then delete", `[54,[[71,[` + tbl + `,2]]]]`, `{"deleted":2,"errors":0,"inserted":0,"replaced":0,"skipped":0,"unchanged":0}`, ""},
		{"order_by limit delete", `[54,[[71,[[41,[` + tbl + `,[74,["id"]]]],1]]]]`, `{"deleted":1,"errors":0,"inserted":0,"replaced":0,"skipped":0,"unchanged":0}`, ""},
		{"nth then update", `[53,[[45,[` + tbl + `,-1]],{"x":2}]]`, `{"deleted":0,"errors":0,"inserted":0,"replaced":1,"skipped":0,"unchanged":0}`, ""},
		{"map then delete", `[54,[[38,[` + tbl + `,` + fn1(x1) + `]]]]`, "", "Expected type SELECTION but found STREAM."},
		{"count predicate", `[43,[` + tbl + `,` + fn1(`{"even":true}`) + `]]`, `3`, ""},
		{"count value is equality", `[43,[` + tbl + `,{"even":true}]]`, `0`, ""},
		{"count value", `[43,[[38,[` + tbl + `,` + fn1(`[2,[1]]`) + `]],[2,[1]]]]`, `6`, ""},
		{"group count", `[150,[[43,[[144,[` + tbl + `,"g"]]]]]]`, `[{"group":0,"reduction":2},{"group":1,"reduction":2},{"group":2,"reduction":2}]`, ""},
		{"sum", `[145,[` + tbl + `,"id"]]`, `15`, ""},
		{"min field", `[147,[` + tbl + `,"id"]]`, `{"id":0,"even":true,"g":0}`, ""},
		{"max field first of ties", `[148,[` + tbl + `,"g"]]`, `{"id":2,"even":true,"g":2}`, ""},
		{"max then update", `[53,[[148,[` + tbl + `,"g"]],{"x":1}]]`, `{"deleted":0,"errors":0,"inserted":0,"replaced":1,"skipped":0,"unchanged":0}`, ""},
		{"order_by secondary index", `[41,[` + tbl + `],{"index":"g"}]`, "", "Index `g` was not found on table `test.t`."},
		{"distinct table", `[43,[[42,[` + tbl + `]]]]`, `6`, ""},
		{"group by primary index", `[150,[[43,[[144,[[71,[` + tbl + `,2]]],{"index":"id"}]]]]]`, "", "Expected type TABLE but found SELECTION<STREAM>."},
		{"for_each insert", `[68,[[2,[10,11]],` + fn1(`[56,[`+tbl+`,{"id":`+x1+`}]]`) + `]]`, `{"deleted":0,"errors":0,"inserted":2,"replaced":0,"skipped":0,"unchanged":0}`, ""},
		{"sample table is a selection", `[54,[[81,[` + tbl + `,2]]]]`, `{"deleted":2,"errors":0,"inserted":0,"replaced":0,"skipped":0,"unchanged":0}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runWithOpts(t, docs(), tc.term, "")
			if tc.errMsg != "" {
				var e *Error
				if !errors.As(err, &e) || e.Msg != tc.errMsg {
					t.Fatalf("want error %q, got %v (%v)", tc.errMsg, err, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != "" {
				wantJSON(t, got, tc.want)
			}
		})
	}
}
