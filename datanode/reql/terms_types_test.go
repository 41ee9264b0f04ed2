package reql

import (
	"math"
	"regexp"
	"testing"
)

const (
	testTime   = `{"$reql_type$":"TIME","epoch_time":1410393600,"timezone":"+00:00"}`
	testBinFoo = `{"$reql_type$":"BINARY","data":"Zm9v"}`
)

func TestTypeTerms(t *testing.T) {
	checkEvalCases(t, []evalCase{
		// TYPE_OF
		{name: "typeof null", term: `[52,[null]]`, want: `"NULL"`},
		{name: "typeof bool", term: `[52,[true]]`, want: `"BOOL"`},
		{name: "typeof number", term: `[52,[1.5]]`, want: `"NUMBER"`},
		{name: "typeof string", term: `[52,["a"]]`, want: `"STRING"`},
		{name: "typeof array", term: `[52,[[2,[1]]]]`, want: `"ARRAY"`},
		{name: "typeof object", term: `[52,[{"a":1}]]`, want: `"OBJECT"`},
		{name: "typeof time", term: `[52,[` + testTime + `]]`, want: `"PTYPE<TIME>"`},
		{name: "typeof binary", term: `[52,[[155,["x"]]]]`, want: `"PTYPE<BINARY>"`},
		{name: "typeof function", term: `[52,[[69,[[2,[1]],1]]]]`, want: `"FUNCTION"`},
		{name: "typeof minval", term: `[52,[[180,[]]]]`, want: `"MINVAL"`},
		{name: "typeof maxval", term: `[52,[[181,[]]]]`, want: `"MAXVAL"`},
		{name: "typeof arity", term: `[52,[null,1]]`, errMsg: "Expected 1 argument but found 2."},

		// COERCE_TO
		{name: "number to string", term: `[51,[1,"string"]]`, want: `"1"`},
		{name: "float to string", term: `[51,[1.5,"string"]]`, want: `"1.5"`},
		{name: "negative zero to string", term: `[51,[-0.0,"string"]]`, want: `"-0.0"`},
		{name: "big number to string", term: `[51,[1e21,"string"]]`, want: `"1e21"`},
		{name: "huge integer to string", term: `[51,[1e20,"string"]]`, want: `"100000000000000000000.0"`},
		{name: "tiny number to string", term: `[51,[1e-7,"string"]]`, want: `"1e-7"`},
		{name: "small number to string", term: `[51,[0.000123,"string"]]`, want: `"0.000123"`},
		{name: "number to number", term: `[51,[1,"number"]]`, want: `1`},
		{name: "type names are case-insensitive", term: `[51,[[2,[1,2]],"STRING"]]`, want: `"[1,2]"`},
		{name: "array to string", term: `[51,[[2,[1,2]],"string"]]`, want: `"[1,2]"`},
		{name: "object to string sorts keys", term: `[51,[{"b":1,"a":"x"},"string"]]`, want: `"{\"a\":\"x\",\"b\":1}"`},
		{name: "null to string", term: `[51,[null,"string"]]`, want: `"null"`},
		{name: "bool to string", term: `[51,[true,"string"]]`, want: `"true"`},
		{name: "string to string", term: `[51,["foo","string"]]`, want: `"foo"`},
		{name: "string escapes", term: `[51,[[2,["a\"b\\c\n\u0001é/<"]],"string"]]`, want: `"[\"a\\\"b\\\\c\\n\\u0001é/<\"]"`},
		{name: "time to string", term: `[51,[` + testTime + `,"string"]]`, want: `"{\"$reql_type$\":\"TIME\",\"epoch_time\":1410393600,\"timezone\":\"+00:00\"}"`},
		{name: "string to number", term: `[51,["-1.2","NUMBER"]]`, want: `-1.2`},
		{name: "hex string to number", term: `[51,["0xa","NUMBER"]]`, want: `10`},
		{name: "padded string to number", term: `[51,[" 12","number"]]`, want: `12`},
		{name: "exponent string to number", term: `[51,["1e3","number"]]`, want: `1000`},
		{name: "bad string to number", term: `[51,["--1.2","NUMBER"]]`, errType: ErrQueryLogic, errMsg: "Could not coerce `--1.2` to NUMBER."},
		{name: "trailing garbage to number", term: `[51,["-1.2-","NUMBER"]]`, errType: ErrQueryLogic, errMsg: "Could not coerce `-1.2-` to NUMBER."},
		{name: "trailing space to number", term: `[51,["1 ","NUMBER"]]`, errType: ErrQueryLogic, errMsg: "Could not coerce `1 ` to NUMBER."},
		{name: "empty string to number", term: `[51,["","NUMBER"]]`, errType: ErrQueryLogic, errMsg: "Could not coerce `` to NUMBER."},
		{name: "inf to number", term: `[51,["inf","NUMBER"]]`, errType: ErrQueryLogic, errMsg: "Non-finite number: inf"},
		{name: "overflow to number", term: `[51,["1e400","NUMBER"]]`, errType: ErrQueryLogic, errMsg: "Non-finite number: inf"},
		{name: "object to array", term: `[51,[{"b":2,"a":1},"array"]]`, want: `[["a",1],["b",2]]`},
		{name: "array to object", term: `[51,[[2,[[2,["a",1]],[2,["b",2]]]],"object"]]`, want: `{"a":1,"b":2}`},
		{name: "array to object bad pair", term: `[51,[[2,[[2,[]]]],"object"]]`, errType: ErrQueryLogic, errMsg: "Expected array of size 2, but got size 0."},
		{name: "array to object long pair", term: `[51,[[2,[[2,["1",2,3]]]],"object"]]`, errType: ErrQueryLogic, errMsg: "Expected array of size 2, but got size 3."},
		{name: "array to object non-string key", term: `[51,[[2,[[2,[1,2]]]],"object"]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
		{name: "array to object duplicate", term: `[51,[[2,[[2,["a",1]],[2,["a",2]]]],"object"]]`, errType: ErrQueryLogic, errMsg: "Duplicate key \"a\" in coerced object.  (got 1 and 2 as values)"},
		{name: "array to array", term: `[51,[[2,[1,2]],"array"]]`, want: `[1,2]`},
		{name: "array to number", term: `[51,[[2,[1,2]],"number"]]`, errType: ErrQueryLogic, errMsg: "Cannot coerce ARRAY to NUMBER."},
		{name: "null to number", term: `[51,[null,"number"]]`, errType: ErrNonExistence, errMsg: "Cannot coerce NULL to NUMBER."},
		{name: "null to null", term: `[51,[null,"null"]]`, want: `null`},
		{name: "number to null", term: `[51,[1,"null"]]`, errType: ErrQueryLogic, errMsg: "Cannot coerce NUMBER to NULL."},
		{name: "anything to bool", term: `[51,[0,"bool"]]`, want: `true`},
		{name: "null to bool", term: `[51,[null,"bool"]]`, want: `false`},
		{name: "false to bool", term: `[51,[false,"bool"]]`, want: `false`},
		{name: "string to binary", term: `[51,["foo","binary"]]`, want: testBinFoo},
		{name: "binary to string", term: `[51,[[155,["foo"]],"string"]]`, want: `"foo"`},
		{name: "binary to binary", term: `[51,[[155,["foo"]],"binary"]]`, want: testBinFoo},
		{name: "binary to bool", term: `[51,[[155,[""]],"bool"]]`, want: `true`},
		{name: "binary to array", term: `[51,[[155,["a"]],"array"]]`, errType: ErrQueryLogic, errMsg: "Cannot coerce BINARY to ARRAY."},
		{name: "binary to object", term: `[51,[[155,["a"]],"object"]]`, errType: ErrQueryLogic, errMsg: "Cannot coerce BINARY to OBJECT."},
		{name: "time to array", term: `[51,[` + testTime + `,"array"]]`, want: `[["$reql_type$","TIME"],["epoch_time",1410393600],["timezone","+00:00"]]`},
		{name: "string to datum", term: `[51,["a","datum"]]`, want: `"a"`},
		{name: "unknown type", term: `[51,[1,"foo"]]`, errType: ErrQueryLogic, errMsg: "Unknown Type: FOO"},
		{name: "coerce type not a string", term: `[51,[1,2]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
		{name: "minval to string", term: `[51,[[180,[]],"string"]]`, errType: ErrQueryLogic, errMsg: "Cannot convert `r.minval` to JSON."},
		{name: "maxval to string", term: `[51,[[181,[]],"string"]]`, errType: ErrQueryLogic, errMsg: "Cannot convert `r.maxval` to JSON."},
		{name: "function to array", term: `[51,[[69,[[2,[1]],1]],"array"]]`, errType: ErrQueryLogic, errMsg: "Cannot coerce FUNCTION to ARRAY."},
		{name: "function to function", term: `[52,[[51,[[69,[[2,[1]],1]],"function"]]]]`, want: `"FUNCTION"`},
		{name: "coerce arity", term: `[51,[1]]`, errMsg: "Expected 2 arguments but found 1."},

		// INFO
		{name: "info number", term: `[79,[1]]`, want: `{"type":"NUMBER","value":"1"}`},
		{name: "info string", term: `[79,["a"]]`, want: `{"type":"STRING","value":"\"a\""}`},
		{name: "info null", term: `[79,[null]]`, want: `{"type":"NULL"}`},
		{name: "info bool", term: `[79,[false]]`, want: `{"type":"BOOL","value":"false"}`},
		{name: "info array", term: `[79,[[2,[1,[2,[]]]]]]`, want: `{"type":"ARRAY","value":"[\n\t1,\n\t[]\n]"}`},
		{name: "info object", term: `[79,[{"b":{"c":[2,[1]]},"a":{}}]]`, want: `{"type":"OBJECT","value":"{\n\t\"a\":\t{},\n\t\"b\":\t{\n\t\t\"c\":\t[\n\t\t\t1\n\t\t]\n\t}\n}"}`},
		{name: "info binary", term: `[79,[[155,["foo"]]]]`, want: `{"type":"PTYPE<BINARY>","count":3,"value":"{\n\t\"$reql_type$\":\t\"BINARY\",\n\t\"data\":\t\"Zm9v\"\n}"}`},
		{name: "info minval", term: `[79,[[180,[]]]]`, want: `{"type":"MINVAL"}`},
		{name: "info function", term: `[79,[[69,[[2,[1]],1]]]]`, want: `{"type":"FUNCTION"}`},

		// JSON
		{name: "json array", term: `[98,["[1,2,3]"]]`, want: `[1,2,3]`},
		{name: "json number", term: `[98,["1"]]`, want: `1`},
		{name: "json object", term: `[98,["{\"a\":[1.5,true,null,\"x\\u00e9\\ud83d\\ude00\"]}"]]`, want: `{"a":[1.5,true,null,"xé😀"]}`},
		{name: "json string", term: `[98,["\"foo\""]]`, want: `"foo"`},
		{name: "json whitespace", term: `[98,[" \n[ 1 , {} ]\t"]]`, want: `[1,{}]`},
		{name: "json missing comma", term: `[98,["[1,2"]]`, errType: ErrQueryLogic, errMsg: `Failed to parse "[1,2" as JSON: Missing a comma or ']' after an array element.`},
		{name: "json bare word", term: `[98,["a"]]`, errType: ErrQueryLogic, errMsg: `Failed to parse "a" as JSON: Invalid value.`},
		{name: "json unquoted key", term: `[98,["{a:1}"]]`, errType: ErrQueryLogic, errMsg: `Failed to parse "{a:1}" as JSON: Missing a name for object member.`},
		{name: "json missing colon", term: `[98,["{\"a\" 1}"]]`, errType: ErrQueryLogic, errMsg: `Failed to parse "{"a" 1}" as JSON: Missing a colon after a name of object member.`},
		{name: "json object comma", term: `[98,["{\"a\":1 \"b\"}"]]`, errType: ErrQueryLogic, errMsg: `Failed to parse "{"a":1 "b"}" as JSON: Missing a comma or '}' after an object member.`},
		{name: "json empty", term: `[98,[""]]`, errType: ErrQueryLogic, errMsg: `Failed to parse "" as JSON: The document is empty.`},
		{name: "json trailing", term: `[98,["1 2"]]`, errType: ErrQueryLogic, errMsg: `Failed to parse "1 2" as JSON: The document root must not follow by other values.`},
		{name: "json fraction", term: `[98,["1."]]`, errType: ErrQueryLogic, errMsg: `Failed to parse "1." as JSON: Miss fraction part in number.`},
		{name: "json exponent", term: `[98,["1e"]]`, errType: ErrQueryLogic, errMsg: `Failed to parse "1e" as JSON: Miss exponent in number.`},
		{name: "json too big", term: `[98,["1e400"]]`, errType: ErrQueryLogic, errMsg: `Failed to parse "1e400" as JSON: Number too big to be stored in double.`},
		{name: "json unterminated string", term: `[98,["\"ab"]]`, errType: ErrQueryLogic, errMsg: `Failed to parse ""ab" as JSON: Missing a closing quotation mark in string.`},
		{name: "json bad escape", term: `[98,["\"\\x\""]]`, errType: ErrQueryLogic, errMsg: `Failed to parse ""\x"" as JSON: Invalid escape character in string.`},
		{name: "json bad hex", term: `[98,["\"\\u12G4\""]]`, errType: ErrQueryLogic, errMsg: `Failed to parse ""\u12G4"" as JSON: Incorrect hex digit after \u escape in string.`},
		{name: "json bad surrogate", term: `[98,["\"\\ud83d\""]]`, errType: ErrQueryLogic, errMsg: `Failed to parse ""\ud83d"" as JSON: The surrogate pair in string is invalid.`},
		{name: "json leading zero", term: `[98,["01"]]`, errType: ErrQueryLogic, errMsg: `Failed to parse "01" as JSON: The document root must not follow by other values.`},
		{name: "json long input truncated", term: `[98,["[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18"]]`, errType: ErrQueryLogic, errMsg: `Failed to parse "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,..." as JSON: Missing a comma or ']' after an array element.`},
		{name: "json duplicate key", term: `[98,["{\"a\":1,\"a\":2}"]]`, errType: ErrQueryLogic, errMsg: `Duplicate key "a" in JSON.`},
		{name: "json not a string", term: `[98,[1]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},

		// TO_JSON_STRING
		{name: "to json array", term: `[172,[[98,["[1,2,3]"]]]]`, want: `"[1,2,3]"`},
		{name: "to json sorted", term: `[172,[[98,["{\"b\":1,\"a\":[true,null]}"]]]]`, want: `"{\"a\":[true,null],\"b\":1}"`},
		{name: "to json time", term: `[172,[` + testTime + `]]`, want: `"{\"$reql_type$\":\"TIME\",\"epoch_time\":1410393600,\"timezone\":\"+00:00\"}"`},
		{name: "to json binary", term: `[172,[[51,["foo","binary"]]]]`, want: `"{\"$reql_type$\":\"BINARY\",\"data\":\"Zm9v\"}"`},
		{name: "to json float", term: `[172,[0.1]]`, want: `"0.1"`},
		{name: "to json minval", term: `[172,[[180,[]]]]`, errType: ErrQueryLogic, errMsg: "Cannot convert `r.minval` to JSON."},
		{name: "to json maxval in array", term: `[172,[[2,[[181,[]]]]]]`, errType: ErrQueryLogic, errMsg: "Cannot convert `r.maxval` to JSON."},

		// UUID
		{name: "uuid v5", term: `[169,["magic"]]`, want: `"97dd10a5-4fc4-554f-86c5-0d2c2e3d5330"`},
		{name: "uuid v5 deterministic", term: `[17,[[169,["magic"]],[169,["magic"]]]]`, want: `true`},
		{name: "uuid v5 differs", term: `[18,[[169,["magic"]],[169,["beans"]]]]`, want: `true`},
		{name: "uuid v4 differs", term: `[18,[[169,[]],[169,[]]]]`, want: `true`},
		{name: "uuid type", term: `[52,[[169,[]]]]`, want: `"STRING"`},
		{name: "uuid not a string", term: `[169,[1]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
		{name: "uuid arity", term: `[169,["a","b"]]`, errMsg: "Expected between 0 and 1 arguments but found 2."},

		// RANDOM
		{name: "random float default", term: `[64,[[69,[[2,[1]],[67,[[22,[[10,[1]],0]],[19,[[10,[1]],1]]]]]],[151,[]]]]`, want: `true`},
		{name: "random int range", term: `[64,[[69,[[2,[1]],[67,[[22,[[10,[1]],10]],[19,[[10,[1]],20]],[17,[[183,[[10,[1]]]],[10,[1]]]]]]]],[151,[10,20]]]]`, want: `true`},
		{name: "random int one value", term: `[151,[5,6]]`, want: `5`},
		{name: "random negative range", term: `[64,[[69,[[2,[1]],[67,[[22,[[10,[1]],-20]],[19,[[10,[1]],-10]]]]]],[151,[-20,-10]]]]`, want: `true`},
		{name: "random float range", term: `[64,[[69,[[2,[1]],[67,[[22,[[10,[1]],10.5]],[19,[[10,[1]],20.153]]]]]],[151,[10.5,20.153],{"float":true}]]]`, want: `true`},
		{name: "random float reversed", term: `[64,[[69,[[2,[1]],[67,[[20,[[10,[1]],1]],[21,[[10,[1]],0]]]]]],[151,[1,0],{"float":true}]]]`, want: `true`},
		{name: "random float zero range", term: `[151,[5,5],{"float":true}]`, want: `5`},
		{name: "random float huge range", term: `[64,[[69,[[2,[1]],[67,[[22,[[10,[1]],-1.7976931348623157e308]],[19,[[10,[1]],1.7976931348623157e308]]]]]],[151,[-1.7976931348623157e308,1.7976931348623157e308],{"float":true}]]]`, want: `true`},
		{name: "random non-integer upper", term: `[151,[0.25]]`, errType: ErrQueryLogic, errMsg: "Upper bound (0.25) could not be safely converted to an integer."},
		{name: "random non-integer lower", term: `[151,[-6.5,8.125]]`, errType: ErrQueryLogic, errMsg: "Lower bound (-6.5) could not be safely converted to an integer."},
		{name: "random no bounds", term: `[151,[],{"float":false}]`, errType: ErrQueryLogic, errMsg: "Generating a random integer requires one or two bounds."},
		{name: "random empty range", term: `[151,[0]]`, errType: ErrQueryLogic, errMsg: "Lower bound (0) is not less than upper bound (0)."},
		{name: "random negative upper", term: `[151,[-10]]`, errType: ErrQueryLogic, errMsg: "Lower bound (0) is not less than upper bound (-10)."},
		{name: "random reversed ints", term: `[151,[20,2]]`, errType: ErrQueryLogic, errMsg: "Lower bound (20) is not less than upper bound (2)."},
		{name: "random bound type", term: `[151,["a"]]`, errType: ErrQueryLogic, errMsg: "Expected type NUMBER but found STRING."},
		{name: "random bad optarg", term: `[151,[1],{"floaty":true}]`, errMsg: "Unrecognized optional argument `floaty`."},

		// MINVAL, MAXVAL, BINARY
		{name: "minval result", term: `[180,[]]`, errType: ErrQueryLogic, errMsg: "Cannot convert `r.minval` to JSON."},
		{name: "minval arity", term: `[180,[1]]`, errMsg: "Expected 0 arguments but found 1."},
		{name: "binary from string", term: `[155,["foo"]]`, want: testBinFoo},
		{name: "binary from binary", term: `[155,[[155,["foo"]]]]`, want: testBinFoo},
		{name: "binary unicode", term: `[155,["é"]]`, want: `{"$reql_type$":"BINARY","data":"w6k="}`},
		{name: "binary of object", term: `[155,[{}]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found OBJECT."},
		{name: "binary of array", term: `[155,[[2,[]]]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found ARRAY."},
	})
}

func TestCoreJSONNumber(t *testing.T) {
	cases := map[float64]string{
		0: "0", 1: "1", -1: "-1", 1.5: "1.5", 0.1: "0.1", -0.5: "-0.5",
		math.Copysign(0, -1): "-0.0", 9007199254740992: "9007199254740992",
		9007199254740994: "9007199254740994.0", 1e21: "1e21", 1.5e300: "1.5e300",
		1e-7: "1e-7", 1.25e-7: "1.25e-7", 123.456: "123.456", 1e-6: "0.000001",
		-2.5e-10: "-2.5e-10",
	}
	for f, want := range cases {
		if got := coreJSONNumber(f); got != want {
			t.Errorf("coreJSONNumber(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestCoreParseNumber(t *testing.T) {
	ok := map[string]float64{
		"1": 1, "-1.2": -1.2, "+3": 3, " \t7": 7, ".5": 0.5, "5.": 5, "1e3": 1000,
		"0xa": 10, "0X1F": 31, "-0x10": -16, "0x1p4": 16, "0x.8": 0.5,
	}
	for s, want := range ok {
		if got, good := coreParseNumber(s); !good || got != want {
			t.Errorf("coreParseNumber(%q) = %v, %v; want %v", s, got, good, want)
		}
	}
	for _, s := range []string{"", " ", "--1", "1-", "1 ", "abc", "0x", "0xg", "1e", "e5", ".", "1_000", "0x1p", "++1"} {
		if got, good := coreParseNumber(s); good {
			t.Errorf("coreParseNumber(%q) = %v, want failure", s, got)
		}
	}
	if f, good := coreParseNumber("-inf"); !good || !math.IsInf(f, -1) {
		t.Errorf("coreParseNumber(-inf) = %v, %v", f, good)
	}
	if f, good := coreParseNumber("nan"); !good || !math.IsNaN(f) {
		t.Errorf("coreParseNumber(nan) = %v, %v", f, good)
	}
}

func TestUUIDv4Format(t *testing.T) {
	got, err := runTerm(t, `[169,[]]`)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if s, _ := got.(string); !re.MatchString(s) {
		t.Fatalf("r.uuid() = %v, not a v4 UUID", got)
	}
}
