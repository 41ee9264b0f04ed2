package reql

import (
	"context"
	"errors"
	"testing"
)

// objT is RethinkDB's transform/object.yaml fixture.
const objT = `{"a":1,"b":2,"c":"str","d":null,"e":{"f":"buzz"}}`

func TestObjectGetFieldAndBracket(t *testing.T) {
	checkEvalCases(t, []evalCase{
		{name: "get field", term: `[31,[` + objT + `,"a"]]`, want: `1`},
		{name: "bracket", term: `[170,[` + objT + `,"c"]]`, want: `"str"`},
		{name: "null field", term: `[31,[` + objT + `,"d"]]`, want: `null`},
		{name: "unicode field", term: `[31,[{"ключ":"значение"},"ключ"]]`, want: `"значение"`},
		{name: "missing field", term: `[31,[{"a":1},"z"]]`, errType: ErrNonExistence, errMsg: "No attribute `z` in object:\n{\n\t\"a\":\t1\n}"},
		{name: "bracket missing field", term: `[170,[{"a":{"b":"x"}},"z"]]`, errType: ErrNonExistence, errMsg: "No attribute `z` in object:\n{\n\t\"a\":\t{\n\t\t\"b\":\t\"x\"\n\t}\n}"},
		{name: "non-string key", term: `[31,[{"a":1},1]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
		{name: "field of a string", term: `[170,["a","b"]]`, errType: ErrQueryLogic, errMsg: "Cannot perform bracket on a non-object non-sequence `\"a\"`."},
		{name: "field of a number", term: `[31,[1,"b"]]`, errType: ErrQueryLogic, errMsg: "Cannot perform get_field on a non-object non-sequence `1`."},
		{name: "field of null is non-existence", term: `[31,[null,"b"]]`, errType: ErrNonExistence, errMsg: "Cannot perform get_field on a non-object non-sequence `null`."},
		{name: "field of a time", term: `[31,[[101,[0]],"epoch_time"]]`, errType: ErrQueryLogic, errMsg: "Cannot call `get_field` on objects of type `PTYPE<TIME>`."},
		{name: "sequence skips missing fields and nulls", term: `[31,[[2,[{"a":1},{"b":2},{"a":null},null,{"a":3}]],"a"]]`, want: `[1,null,3]`},
		{name: "bracket over a sequence", term: `[170,[[2,[{"a":1},{"a":2}]],"a"]]`, want: `[1,2]`},
		{name: "sequence of numbers", term: `[170,[[2,[1,2,3]],"foo"]]`, errType: ErrQueryLogic, errMsg: "Cannot perform bracket on a non-object non-sequence `1`."},
		{name: "sequence of sequences", term: `[31,[[2,[[2,[{"a":1}]]]],"a"]]`, errType: ErrQueryLogic, errMsg: "Cannot perform get_field on a sequence of sequences."},
		{name: "empty sequence", term: `[31,[[2,[]],"a"]]`, want: `[]`},
		{name: "bracket index", term: `[170,[[2,[1,2,3]],1]]`, want: `2`},
		{name: "bracket negative index", term: `[170,[[2,[1,2,3]],-1]]`, want: `3`},
		{name: "bracket index out of bounds", term: `[170,[[2,[1,2,3]],3]]`, errType: ErrNonExistence, errMsg: "Index out of bounds."},
		{name: "bracket negative index out of bounds", term: `[170,[[2,[1,2,3]],-4]]`, errType: ErrNonExistence, errMsg: "Index out of bounds: -4"},
		{name: "bracket fractional index", term: `[170,[[2,[1,2,3]],1.5]]`, errType: ErrQueryLogic, errMsg: "Number not an integer: 1.5"},
		{name: "bracket index of an object", term: `[170,[{"a":1},0]]`, errType: ErrQueryLogic, errMsg: "Expected type ARRAY but found OBJECT."},
		{name: "bracket index of a string", term: `[170,["abc",0]]`, errType: ErrQueryLogic, errMsg: "Expected type ARRAY but found STRING."},
		{name: "bracket bool key", term: `[170,[{"a":1},true]]`, errType: ErrQueryLogic, errMsg: "Expected NUMBER or STRING as second argument to `bracket` but found BOOL."},
		{name: "bracket null key", term: `[170,[{"a":1},null]]`, errType: ErrNonExistence, errMsg: "Expected NUMBER or STRING as second argument to `bracket` but found NULL."},
		{name: "get field arity", term: `[31,[{"a":1}]]`, errType: ErrQueryLogic, errMsg: "Expected 2 arguments but found 1."},
	})
}

func TestObjectKeysValuesObject(t *testing.T) {
	checkEvalCases(t, []evalCase{
		{name: "keys", term: `[94,[` + objT + `]]`, want: `["a","b","c","d","e"]`},
		{name: "values in key order", term: `[186,[` + objT + `]]`, want: `[1,2,"str",null,{"f":"buzz"}]`},
		{name: "keys byte order", term: `[94,[{"é":1,"z":2,"A":3}]]`, want: `["A","z","é"]`},
		{name: "values byte order", term: `[186,[{"é":1,"z":2,"A":3}]]`, want: `[3,2,1]`},
		{name: "keys of empty", term: `[94,[{}]]`, want: `[]`},
		{name: "keys of a number", term: `[94,[1]]`, errType: ErrQueryLogic, errMsg: "Cannot call `keys` on objects of type `NUMBER`."},
		{name: "values of an array", term: `[186,[[2,[1]]]]`, errType: ErrQueryLogic, errMsg: "Cannot call `values` on objects of type `ARRAY`."},
		{name: "keys of a time", term: `[94,[[101,[0]]]]`, errType: ErrQueryLogic, errMsg: "Cannot call `keys` on objects of type `PTYPE<TIME>`."},
		{name: "values of null", term: `[186,[null]]`, errType: ErrQueryLogic, errMsg: "Cannot call `values` on objects of type `NULL`."},
		{name: "object", term: `[143,["a",1,"b",2]]`, want: `{"a":1,"b":2}`},
		{name: "object empty", term: `[143,[]]`, want: `{}`},
		{name: "object computed key", term: `[143,[[170,[{"k":"cd"},"k"]],3]]`, want: `{"cd":3}`},
		{name: "object odd", term: `[143,["o","d","d"]]`, errType: ErrQueryLogic, errMsg: "OBJECT expects an even number of arguments (but found 3)."},
		{name: "object numeric key", term: `[143,[1,1]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
		{name: "object duplicate key", term: `[143,["e",4,"e",5]]`, errType: ErrQueryLogic, errMsg: "Duplicate key \"e\" in object.  (got 4 and 5 as values)"},
		{name: "object makes a time", term: `[143,["$reql_type$","TIME","epoch_time",1.23456,"timezone","Z"]]`, want: `{"$reql_type$":"TIME","epoch_time":1.235,"timezone":"+00:00"}`},
		{name: "object invalid time", term: `[143,["$reql_type$","TIME"]]`, errType: ErrQueryLogic, errMsg: "Invalid time object constructed (no field `epoch_time`):\n{\n\t\"$reql_type$\":\t\"TIME\"\n}"},
	})
}

func TestObjectHasFieldsPluckWithout(t *testing.T) {
	checkEvalCases(t, []evalCase{
		{name: "has field", term: `[32,[` + objT + `,"b"]]`, want: `true`},
		{name: "null field is absent", term: `[32,[` + objT + `,"d"]]`, want: `false`},
		{name: "nested selector", term: `[32,[` + objT + `,{"e":"f"}]]`, want: `true`},
		{name: "nested selector missing", term: `[32,[` + objT + `,{"e":"g"}]]`, want: `false`},
		{name: "nested true selector", term: `[32,[` + objT + `,{"e":{"f":true}}]]`, want: `true`},
		{name: "variadic", term: `[32,[` + objT + `,"a","b"]]`, want: `true`},
		{name: "variadic one missing", term: `[32,[` + objT + `,"a","f"]]`, want: `false`},
		{name: "array of selectors", term: `[32,[` + objT + `,[2,["a",{"e":"f"}]]]]`, want: `true`},
		{name: "nested selector into a non-object", term: `[32,[{"a":5},{"a":"b"}]]`, want: `false`},
		{name: "no selector", term: `[32,[{"a":5}]]`, want: `true`},
		{name: "invalid selector", term: `[32,[{"a":5},1]]`, errType: ErrQueryLogic, errMsg: "Invalid path argument `1`."},
		{name: "false selector is invalid", term: `[32,[{"a":5},{"a":false}]]`, errType: ErrQueryLogic, errMsg: "Invalid path argument `false`."},
		{name: "filters a sequence", term: `[32,[[2,[{"a":1,"b":2},{"a":1,"c":3},{"a":null,"b":1},null]],"a","b"]]`, want: `[{"a":1,"b":2}]`},
		{name: "filters with nested selector", term: `[32,[[2,[{"e":{"f":1}},{"e":1},{"e":{"g":1}}]],{"e":"f"}]]`, want: `[{"e":{"f":1}}]`},
		{name: "filter over numbers", term: `[32,[[2,[1]],"a"]]`, errType: ErrQueryLogic, errMsg: "Cannot perform has_fields on a non-object non-sequence `1`."},
		{name: "has fields of a string", term: `[32,["s","a"]]`, errType: ErrQueryLogic, errMsg: "Cannot perform has_fields on a non-object non-sequence `\"s\"`."},
		{name: "has fields of a time", term: `[32,[[101,[0]],"a"]]`, errType: ErrQueryLogic, errMsg: "Cannot call `has_fields` on objects of type `PTYPE<TIME>`."},
		{name: "pluck", term: `[33,[` + objT + `,"a"]]`, want: `{"a":1}`},
		{name: "pluck several", term: `[33,[` + objT + `,"a","b","zz"]]`, want: `{"a":1,"b":2}`},
		{name: "pluck nothing", term: `[33,[` + objT + `]]`, want: `{}`},
		{name: "pluck nested", term: `[33,[{"a":{"b":1,"c":2},"d":3},{"a":"c"}]]`, want: `{"a":{"c":2}}`},
		{name: "pluck nested true", term: `[33,[{"a":{"b":1,"c":2},"d":3},{"a":true,"d":true}]]`, want: `{"a":{"b":1,"c":2},"d":3}`},
		{name: "pluck nested array of selectors", term: `[33,[{"a":{"b":1,"c":2,"x":9},"d":3},{"a":[2,["b","c"]]}]]`, want: `{"a":{"b":1,"c":2}}`},
		{name: "pluck through arrays", term: `[33,[{"a":[2,[{"b":1,"c":2},{"b":3}]]},{"a":"b"}]]`, want: `{"a":[{"b":1},{"b":3}]}`},
		{name: "pluck through arrays with a non-object", term: `[33,[{"a":[2,[{"b":1},5]]},{"a":"b"}]]`, want: `{}`},
		{name: "pluck into a non-object", term: `[33,[{"a":5,"b":1},{"a":"c"},"b"]]`, want: `{"b":1}`},
		{name: "pluck over a sequence", term: `[33,[[2,[{"a":1,"b":2},{"b":3}]],"a"]]`, want: `[{"a":1},{}]`},
		{name: "pluck sequence of sequences", term: `[33,[[2,[[2,[{"a":1}]]]],"a"]]`, errType: ErrQueryLogic, errMsg: "Cannot perform pluck on a sequence of sequences."},
		{name: "pluck over a sequence with null", term: `[33,[[2,[null]],"a"]]`, errType: ErrNonExistence, errMsg: "Cannot perform pluck on a non-object non-sequence `null`."},
		{name: "pluck invalid path", term: `[33,[{"a":1},[2,[1]]]]`, errType: ErrQueryLogic, errMsg: "Invalid path argument `1`."},
		{name: "pluck arity", term: `[33,[]]`, errType: ErrQueryLogic, errMsg: "Expected 1 or more arguments but found 0."},
		{name: "without", term: `[34,[` + objT + `,"a"]]`, want: `{"b":2,"c":"str","d":null,"e":{"f":"buzz"}}`},
		{name: "without several", term: `[34,[` + objT + `,"a","b","c","d"]]`, want: `{"e":{"f":"buzz"}}`},
		{name: "without nested", term: `[34,[` + objT + `,{"e":"f"}]]`, want: `{"a":1,"b":2,"c":"str","d":null,"e":{}}`},
		{name: "without nested absent", term: `[34,[` + objT + `,{"e":"buzz"}]]`, want: objT},
		{name: "without through arrays", term: `[34,[{"a":[2,[{"b":1,"c":2},{"b":3}]]},{"a":"b"}]]`, want: `{"a":[{"c":2},{}]}`},
		{name: "without through arrays with a non-object", term: `[34,[{"a":[2,[{"b":1},5]]},{"a":"b"}]]`, want: `{"a":[{"b":1},5]}`},
		{name: "without over a sequence", term: `[34,[[2,[{"a":1,"b":2},{"b":3}]],"b"]]`, want: `[{"a":1},{}]`},
		{name: "without of a number", term: `[34,[1,"a"]]`, errType: ErrQueryLogic, errMsg: "Cannot perform without on a non-object non-sequence `1`."},
		{name: "with fields", term: `[96,[[2,[{"a":1,"b":2,"c":3},{"a":null,"b":1},{"b":3}]],"a","b"]]`, want: `[{"a":1,"b":2}]`},
		{name: "with fields nested", term: `[96,[[2,[{"a":{"b":1,"c":2}},{"a":{"c":1}}]],{"a":"b"}]]`, want: `[{"a":{"b":1}}]`},
		{name: "with fields of an object", term: `[96,[{"a":1},"a"]]`, errType: ErrQueryLogic, errMsg: "Cannot perform pluck on a non-object non-sequence `true`."},
	})
}

func TestObjectMergeAndLiteral(t *testing.T) {
	const o = `{"a":{"b":1,"c":2},"d":3}`
	const stray = "Stray literal keyword found: literal is only legal inside of the object passed to merge or update and cannot nest inside other literals."
	checkEvalCases(t, []evalCase{
		{name: "merge a number", term: `[35,[` + objT + `,1]]`, want: `1`},
		{name: "merge adds", term: `[35,[` + objT + `,{"e":-2}]]`, want: `{"a":1,"b":2,"c":"str","d":null,"e":-2}`},
		{name: "merge removes with empty literal", term: `[35,[` + objT + `,{"e":[137,[]]}]]`, want: `{"a":1,"b":2,"c":"str","d":null}`},
		{name: "merge replaces", term: `[35,[` + objT + `,{"e":{"f":"quux"}}]]`, want: `{"a":1,"b":2,"c":"str","d":null,"e":{"f":"quux"}}`},
		{name: "merge is deep", term: `[35,[` + objT + `,{"e":{"g":"quux"}}]]`, want: `{"a":1,"b":2,"c":"str","d":null,"e":{"f":"buzz","g":"quux"}}`},
		{name: "literal replaces instead of merging", term: `[35,[` + objT + `,{"e":[137,[{"g":"quux"}]]}]]`, want: `{"a":1,"b":2,"c":"str","d":null,"e":{"g":"quux"}}`},
		{name: "literal deep inside the patch", term: `[35,[` + o + `,{"a":{"b":[137,[]],"x":{"y":[137,[1]]}}}]]`, want: `{"a":{"c":2,"x":{"y":1}},"d":3}`},
		{name: "literal of a missing field", term: `[35,[{},{"a":[137,[[2,[1,2]]]]}]]`, want: `{"a":[1,2]}`},
		{name: "empty literal of a missing field", term: `[35,[{},{"a":[137,[]]}]]`, want: `{}`},
		{name: "merge overwrites", term: `[35,[` + objT + `,{"a":-1}]]`, want: `{"a":-1,"b":2,"c":"str","d":null,"e":{"f":"buzz"}}`},
		{name: "merge several", term: `[35,[` + o + `,{"e":4},{"f":5}]]`, want: `{"a":{"b":1,"c":2},"d":3,"e":4,"f":5}`},
		{name: "merge into a non-object field", term: `[35,[{"a":1},{"a":{"b":2}}]]`, want: `{"a":{"b":2}}`},
		{name: "merge after a non-object", term: `[35,[{"a":1},2,{"b":3}]]`, want: `{"b":3}`},
		{name: "merge a function", term: `[35,[[2,[` + o + `,{"a":1,"d":4}]],[69,[[2,[1]],{"e":[170,[[10,[1]],"d"]]}]]]]`, want: `[{"a":{"b":1,"c":2},"d":3,"e":3},{"a":1,"d":4,"e":4}]`},
		{name: "merge a function deep", term: `[35,[[2,[` + o + `]],[69,[[2,[1]],{"a":{"b":2}}]]]]`, want: `[{"a":{"b":2,"c":2},"d":3}]`},
		{name: "merge a function with a literal", term: `[35,[[2,[` + o + `]],[69,[[2,[1]],{"a":[137,[{"b":2}]]}]]]]`, want: `[{"a":{"b":2},"d":3}]`},
		{name: "merge a function of no arguments", term: `[35,[{"a":1},[69,[[2,[]],{"b":[137,[2]]}]]]]`, want: `{"a":1,"b":2}`},
		{name: "merge a function of two arguments", term: `[35,[{"a":1},[69,[[2,[1,2]],{}]]]]`, errType: ErrQueryLogic, errMsg: "Expected function with 1 argument but found function with 2 arguments."},
		{name: "merge over a sequence", term: `[35,[[2,[{"a":1},{"a":2,"b":1}]],{"b":2}]]`, want: `[{"a":1,"b":2},{"a":2,"b":2}]`},
		{name: "merge over a sequence of sequences", term: `[35,[[2,[[2,[]]]],{"b":2}]]`, errType: ErrQueryLogic, errMsg: "Cannot perform merge on a sequence of sequences."},
		{name: "merge into a time", term: `[35,[[101,[0]],{"a":1}]]`, errType: ErrQueryLogic, errMsg: "Cannot call `merge` on objects of type `PTYPE<TIME>`."},
		{name: "merge a time", term: `[35,[{"a":1},[101,[0]]]]`, errType: ErrQueryLogic, errMsg: "Cannot merge objects of type `PTYPE<TIME>`."},
		{name: "merge a time into a field", term: `[35,[{"a":1},{"a":[101,[0]]}]]`, want: `{"a":{"$reql_type$":"TIME","epoch_time":0,"timezone":"+00:00"}}`},
		{name: "merge an object into a time field", term: `[35,[{"t":[101,[0]]},{"t":{"epoch_time":5}}]]`, want: `{"t":{"$reql_type$":"TIME","epoch_time":5,"timezone":"+00:00"}}`},
		{name: "merge a bad field into a time field", term: `[35,[{"t":[101,[0]]},{"t":{"x":5}}]]`, errType: ErrQueryLogic, errMsg: "Invalid time object constructed (unrecognized field `x`):\n{\n\t\"$reql_type$\":\t\"TIME\",\n\t\"epoch_time\":\t0,\n\t\"timezone\":\t\"+00:00\",\n\t\"x\":\t5\n}"},
		{name: "merge into a string", term: `[35,["s",{"a":1}]]`, errType: ErrQueryLogic, errMsg: "Cannot perform merge on a non-object non-sequence `\"s\"`."},
		{name: "stray literal", term: `[137,["foo"]]`, errType: ErrQueryLogic, errMsg: stray},
		{name: "stray empty literal", term: `[137,[]]`, errType: ErrQueryLogic, errMsg: stray},
		{name: "literal as the merge argument", term: `[35,[` + objT + `,[137,["foo"]]]]`, errType: ErrQueryLogic, errMsg: stray},
		{name: "nested literal", term: `[35,[` + objT + `,{"foo":[137,[[137,["foo"]]]]}]]`, errType: ErrQueryLogic, errMsg: stray},
		{name: "literal inside an array", term: `[35,[{},{"a":[2,[[137,[1]]]]}]]`, errType: ErrQueryLogic, errMsg: stray},
		{name: "literal inside another term", term: `[35,[{},{"a":[170,[{"b":[137,[1]]},"b"]]}]]`, errType: ErrQueryLogic, errMsg: stray},
		{name: "literal in an object outside merge", term: `[2,[{"a":[137,[1]]}]]`, errType: ErrQueryLogic, errMsg: stray},
		{name: "literal arity", term: `[137,[1,2]]`, errType: ErrQueryLogic, errMsg: "Expected between 0 and 1 arguments but found 2."},
		// merge copies: the input object is unchanged for its other uses.
		{name: "merge does not modify its input", term: `[64,[[69,[[2,[1]],[2,[[35,[[10,[1]],{"a":{"x":2}}]],[10,[1]]]]]],{"a":{"y":1}}]]`, want: `[{"a":{"x":2,"y":1}},{"a":{"y":1}}]`},
		{name: "without does not modify its input", term: `[64,[[69,[[2,[1]],[2,[[34,[[10,[1]],{"a":"y"}]],[10,[1]]]]]],{"a":{"y":1}}]]`, want: `[{"a":{}},{"a":{"y":1}}]`},
	})
}

func TestObjectMergePatchHelpers(t *testing.T) {
	base := map[string]any{"a": map[string]any{"b": 1.0, "c": 2.0}}
	patch := map[string]any{"a": map[string]any{"b": &objLiteral{}, "d": &objLiteral{value: 4.0, has: true}}}
	got, err := objMergePatch(base, patch)
	if err != nil {
		t.Fatal(err)
	}
	if !datumEqual(got, map[string]any{"a": map[string]any{"c": 2.0, "d": 4.0}}) {
		t.Fatalf("got %v", got)
	}
	if !datumEqual(base, map[string]any{"a": map[string]any{"b": 1.0, "c": 2.0}}) {
		t.Fatalf("base modified: %v", base)
	}
	if _, err := objMergePatch(base, &objLiteral{value: 1.0, has: true}); err == nil {
		t.Fatal("a top-level literal was accepted")
	}
	// A literal left inside a value with nothing to merge into becomes its value.
	got, err = objMergePatch(map[string]any{"a": 1.0}, map[string]any{"a": map[string]any{"x": &objLiteral{value: 2.0, has: true}, "y": &objLiteral{}}})
	if err != nil || !datumEqual(got, map[string]any{"a": map[string]any{"x": 2.0}}) {
		t.Fatalf("got %v, %v", got, err)
	}
}

// failingStream yields n documents, then fails: streams must be consumed
// lazily, only as far as asked.
type failingStream struct {
	docs []any
	i    int
}

func (s *failingStream) Next(context.Context) (any, bool, error) {
	if s.i >= len(s.docs) {
		return nil, false, errors.New("read past the end")
	}
	s.i++
	return s.docs[s.i-1], true, nil
}

func (s *failingStream) Close() error { return nil }

func TestObjectStreamsAreLazy(t *testing.T) {
	c := &evalCtx{ctx: context.Background(), env: &Env{}, scope: map[int]any{}}
	for _, tc := range []struct {
		name string
		term string
		want any
	}{
		{"pluck", `[33,[[1,null],"a"]]`, map[string]any{"a": 1.0}},
		{"without", `[34,[[1,null],"b"]]`, map[string]any{"a": 1.0}},
		{"merge", `[35,[[1,null],{"c":3}]]`, map[string]any{"a": 1.0, "b": 2.0, "c": 3.0}},
		{"get_field", `[31,[[1,null],"a"]]`, 1.0},
		{"has_fields", `[32,[[1,null],"a"]]`, map[string]any{"a": 1.0, "b": 2.0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := Compile([]byte(tc.term), nil)
			if err != nil {
				t.Fatal(err)
			}
			// The sequence argument is a stream of one document that fails
			// if read further.
			const streamTerm = TermType(-77)
			src := &failingStream{docs: []any{map[string]any{"a": 1.0, "b": 2.0}}}
			registry[streamTerm] = &spec{eval: func(*evalCtx, *Term) (any, error) { return src, nil }}
			defer delete(registry, streamTerm)
			q.Term.Args[0] = &Term{Type: streamTerm}
			op := registry[q.Term.Type]
			v, err := op.eval(c, q.Term)
			if err != nil {
				t.Fatal(err)
			}
			s, ok := v.(Stream)
			if !ok {
				t.Fatalf("result is %T, not a stream", v)
			}
			got, ok, err := s.Next(context.Background())
			if err != nil || !ok || !datumEqual(got, tc.want) {
				t.Fatalf("first element %v, %v, %v", got, ok, err)
			}
			if src.i != 1 {
				t.Fatalf("read %d documents ahead", src.i)
			}
			if _, _, err := s.Next(context.Background()); err == nil {
				t.Fatal("the source's error was not passed on")
			}
		})
	}
}
