package reql

import "testing"

func TestAggregationTerms(t *testing.T) {
	people := `[2,[{"name":"a","age":30,"team":"x"},{"name":"b","age":20,"team":"y"},{"name":"c","age":40,"team":"x"},{"name":"d","team":"y"}]]`
	add := fn2(`[24,[` + x1 + `,` + x2 + `]]`)
	checkEvalCases(t, []evalCase{
		// COUNT
		{name: "count array", term: `[43,[[2,[1,2,3]]]]`, want: `3`},
		{name: "count value", term: `[43,[[2,[1,2,1,[2,[1]]]],1]]`, want: `2`},
		{name: "count predicate", term: `[43,[[2,[1,2,3]],` + fn1(`[21,[`+x1+`,1]]`) + `]]`, want: `2`},
		{name: "count predicate nonexistence is false", term: `[43,[[2,[[2,[1]],[2,[]]]],` + fn1(`[45,[`+x1+`,0]]`) + `]]`, want: `1`},
		{name: "count string code points", term: `[43,["héllo😀"]]`, want: `6`},
		{name: "count binary bytes", term: `[43,[{"$reql_type$":"BINARY","data":"AAECAw=="}]]`, want: `4`},
		{name: "count object", term: `[43,[{"a":1,"b":2}]]`, want: `2`},
		{name: "count stream", term: `[43,[[173,[7]]]]`, want: `7`},
		{name: "count infinite", term: `[43,[[173,[]]]]`, errType: ErrQueryLogic, errMsg: "Cannot use an infinite stream with an aggregation function (`reduce`, `count`, etc.) or coerce it to an array."},
		{name: "count number", term: `[43,[5]]`, errType: ErrQueryLogic, errMsg: "Cannot convert NUMBER to SEQUENCE"},
		{name: "count string with value", term: `[43,["abc","a"]]`, errType: ErrQueryLogic, errMsg: "Cannot convert STRING to SEQUENCE"},

		// REDUCE
		{name: "reduce", term: `[37,[[2,[1,2,3,4]],` + add + `]]`, want: `10`},
		{name: "reduce one element", term: `[37,[[2,["x"]],` + add + `]]`, want: `"x"`},
		{name: "reduce order", term: `[37,[[2,[1,2,3]],` + fn2(`[2,[`+x1+`,`+x2+`]]`) + `]]`, want: `[[1,2],3]`},
		{name: "reduce empty", term: `[37,[[2,[]],` + add + `]]`, errType: ErrNonExistence, errMsg: "Cannot reduce over an empty stream."},
		{name: "reduce stream", term: `[37,[[173,[5]],` + add + `]]`, want: `10`},
		{name: "reduce non-function", term: `[37,[[2,[1]],1]]`, errType: ErrQueryLogic, errMsg: "Expected type FUNCTION but found NUMBER."},

		// FOLD
		{name: "fold", term: `[187,[[2,["a","b","c"]],"",` + add + `]]`, want: `"abc"`},
		{name: "fold empty", term: `[187,[[2,[]],5,` + add + `]]`, want: `5`},
		{name: "fold emit", term: `[187,[[2,[1,2,3]],0,` + add + `],{"emit":` + fn3(`[2,[[2,[`+x1+`,`+x2+`,[10,[3]]]]]]`) + `}]`, want: `[[0,1,1],[1,2,3],[3,3,6]]`},
		{name: "fold emit concatenates", term: `[187,[[2,[1,2]],0,` + add + `],{"emit":` + fn3(`[2,[`+x2+`,`+x2+`]]`) + `}]`, want: `[1,1,2,2]`},
		{name: "fold final_emit", term: `[187,[[2,[1,2]],0,` + add + `],{"emit":` + fn3(`[2,[]]`) + `,"final_emit":` + fn1(`[2,[`+x1+`,"end"]]`) + `}]`, want: `[3,"end"]`},
		{name: "fold final_emit on empty", term: `[187,[[2,[]],7,` + add + `],{"emit":` + fn3(`[2,[`+x2+`]]`) + `,"final_emit":` + fn1(`[2,[`+x1+`]]`) + `}]`, want: `[7]`},
		{name: "fold emit on stream", term: `[187,[[173,[3]],0,` + add + `],{"emit":` + fn3(`[2,[[10,[3]]]]`) + `}]`, want: `[0,1,3]`},
		{name: "fold emit infinite", term: `[71,[[187,[[173,[]],0,` + add + `],{"emit":` + fn3(`[2,[[10,[3]]]]`) + `}],4]]`, want: `[0,1,3,6]`},
		{name: "fold emit non-array", term: `[187,[[2,[1]],0,` + add + `],{"emit":` + fn3(`5`) + `}]`, errType: ErrQueryLogic, errMsg: "Cannot convert NUMBER to SEQUENCE"},
		{name: "fold infinite", term: `[187,[[173,[]],0,` + add + `]]`, errType: ErrQueryLogic, errMsg: "Cannot use an infinite stream with an aggregation function (`reduce`, `count`, etc.) or coerce it to an array."},

		// SUM, AVG
		{name: "sum", term: `[145,[[2,[1,2,3.5]]]]`, want: `6.5`},
		{name: "sum empty", term: `[145,[[2,[]]]]`, want: `0`},
		{name: "sum field skips missing", term: `[145,[` + people + `,"age"]]`, want: `90`},
		{name: "sum function", term: `[145,[[2,[1,2]],` + fn1(`[26,[`+x1+`,10]]`) + `]]`, want: `30`},
		{name: "sum non-number", term: `[145,[[2,[1,"a"]]]]`, errType: ErrQueryLogic, errMsg: "Expected type NUMBER but found STRING."},
		{name: "sum with index", term: `[145,[[2,[1]]],{"index":"id"}]`, errType: ErrQueryLogic, errMsg: "Cannot call sum on an index."},
		{name: "avg", term: `[146,[[2,[1,2,3,4]]]]`, want: `2.5`},
		{name: "avg field", term: `[146,[` + people + `,"age"]]`, want: `30`},
		{name: "avg empty", term: `[146,[[2,[]]]]`, errType: ErrNonExistence, errMsg: "Cannot take the average of an empty stream.  (If you passed `avg` a field name, it may be that no elements of the stream had that field.)"},
		{name: "avg no field", term: `[146,[` + people + `,"height"]]`, errType: ErrNonExistence, errMsg: "Cannot take the average of an empty stream.  (If you passed `avg` a field name, it may be that no elements of the stream had that field.)"},

		// MIN, MAX
		{name: "min", term: `[147,[[2,[3,1,2]]]]`, want: `1`},
		{name: "max", term: `[148,[[2,[3,1,2]]]]`, want: `3`},
		{name: "min mixed types", term: `[147,[[2,["a",2,null,false]]]]`, want: `false`},
		{name: "max mixed types", term: `[148,[[2,["a",2,null,false]]]]`, want: `"a"`},
		{name: "min field returns element", term: `[147,[` + people + `,"age"]]`, want: `{"name":"b","age":20,"team":"y"}`},
		{name: "max field returns element", term: `[148,[` + people + `,"age"]]`, want: `{"name":"c","age":40,"team":"x"}`},
		{name: "max function", term: `[148,[[2,[1,5,3]],` + fn1(`[25,[0,`+x1+`]]`) + `]]`, want: `1`},
		{name: "min first of ties", term: `[147,[[2,[{"a":1,"i":0},{"a":1,"i":1}]],"a"]]`, want: `{"a":1,"i":0}`},
		{name: "max first of ties", term: `[148,[[2,[{"a":1,"i":0},{"a":1,"i":1}]],"a"]]`, want: `{"a":1,"i":0}`},
		{name: "min empty", term: `[147,[[2,[]]]]`, errType: ErrNonExistence, errMsg: "Cannot take the min of an empty stream.  (If you passed `min` a field name, it may be that no elements of the stream had that field.)"},
		{name: "max no field", term: `[148,[` + people + `,"zzz"]]`, errType: ErrNonExistence, errMsg: "Cannot take the max of an empty stream.  (If you passed `max` a field name, it may be that no elements of the stream had that field.)"},
		{name: "min function and index", term: `[147,[[2,[1]],"a"],{"index":"id"}]`, errType: ErrQueryLogic, errMsg: "Cannot provide both a function and an index to min."},
		{name: "min index on array", term: `[147,[[2,[1]]],{"index":"id"}]`, errType: ErrQueryLogic, errMsg: "Expected type TABLE but found ARRAY."},

		// GROUP, UNGROUP
		{name: "group", term: `[144,[` + people + `,"team"]]`,
			want: `{"$reql_type$":"GROUPED_DATA","data":[["x",[{"name":"a","age":30,"team":"x"},{"name":"c","age":40,"team":"x"}]],["y",[{"name":"b","age":20,"team":"y"},{"name":"d","team":"y"}]]]}`},
		{name: "group missing field is null", term: `[150,[[38,[[144,[` + people + `,"age"]],` + fn1(`1`) + `]]]]`,
			want: `[{"group":null,"reduction":[1]},{"group":20,"reduction":[1]},{"group":30,"reduction":[1]},{"group":40,"reduction":[1]}]`},
		{name: "group count", term: `[150,[[43,[[144,[` + people + `,"team"]]]]]]`, want: `[{"group":"x","reduction":2},{"group":"y","reduction":2}]`},
		{name: "group sum", term: `[150,[[145,[[144,[` + people + `,"team"]],"age"]]]]`, want: `[{"group":"x","reduction":70},{"group":"y","reduction":20}]`},
		{name: "group avg drops empty groups", term: `[150,[[146,[[144,[[2,[{"t":1,"v":2},{"t":2}]],"t"]],"v"]]]]`, want: `[{"group":1,"reduction":2}]`},
		{name: "group max", term: `[150,[[148,[[144,[` + people + `,"team"]],"age"]]]]`,
			want: `[{"group":"x","reduction":{"name":"c","age":40,"team":"x"}},{"group":"y","reduction":{"name":"b","age":20,"team":"y"}}]`},
		{name: "group reduce", term: `[150,[[37,[[144,[[2,[1,2,3,4,5]],` + fn1(`[28,[`+x1+`,2]]`) + `]],` + add + `]]]]`, want: `[{"group":0,"reduction":6},{"group":1,"reduction":9}]`},
		{name: "group map count", term: `[150,[[43,[[38,[[144,[[2,[1,2,3]],` + fn1(`[21,[`+x1+`,1]]`) + `]],` + fn1(`[2,[`+x1+`]]`) + `]]]]]]`, want: `[{"group":false,"reduction":1},{"group":true,"reduction":2}]`},
		{name: "group filter drops empty groups", term: `[150,[[39,[[144,[[2,[1,2,3]],` + fn1(`[21,[`+x1+`,1]]`) + `]],` + fn1(`[21,[`+x1+`,2]]`) + `]]]]`, want: `[{"group":true,"reduction":[3]}]`},
		{name: "group order_by limit", term: `[150,[[71,[[41,[[144,[[2,[1,4,2,5,3]],` + fn1(`[28,[`+x1+`,2]]`) + `]],[74,[` + fn1(x1) + `]]]],1]]]]`, want: `[{"group":0,"reduction":[4]},{"group":1,"reduction":[5]}]`},
		{name: "group nth", term: `[150,[[45,[[144,[[2,[1,2,3,4]],` + fn1(`[28,[`+x1+`,2]]`) + `]],0]]]]`, want: `[{"group":0,"reduction":2},{"group":1,"reduction":1}]`},
		{name: "group multiple keys", term: `[150,[[43,[[144,[[2,[{"a":1,"b":1},{"a":1,"b":2},{"a":1,"b":1}]],"a","b"]]]]]]`, want: `[{"group":[1,1],"reduction":2},{"group":[1,2],"reduction":1}]`},
		{name: "group multi", term: `[150,[[43,[[144,[[2,[{"tags":[2,["a","b"]]},{"tags":[2,["b"]]},{"tags":[2,[]]},{"tags":"c"}]],"tags"],{"multi":true}]]]]]`,
			want: `[{"group":null,"reduction":1},{"group":"a","reduction":1},{"group":"b","reduction":2},{"group":"c","reduction":1}]`},
		{name: "group without multi keeps arrays", term: `[150,[[43,[[144,[[2,[{"tags":[2,["a","b"]]},{"tags":[2,["a","b"]]}]],"tags"]]]]]]`, want: `[{"group":["a","b"],"reduction":2}]`},
		{name: "group keys sorted in ReQL order", term: `[150,[[43,[[144,[[2,["s",1,null,true,[2,[]]]],` + fn1(x1) + `]]]]]]`,
			want: `[{"group":[],"reduction":1},{"group":true,"reduction":1},{"group":null,"reduction":1},{"group":1,"reduction":1},{"group":"s","reduction":1}]`},
		{name: "group numbers by value", term: `[150,[[43,[[144,[[2,[1,1.0,2]],` + fn1(x1) + `]]]]]]`, want: `[{"group":1,"reduction":2},{"group":2,"reduction":1}]`},
		{name: "group by nothing", term: `[144,[[2,[1]]]]`, errType: ErrQueryLogic, errMsg: "Cannot group by nothing."},
		{name: "group then fold", term: `[187,[[144,[[2,[1]],` + fn1(x1) + `]],0,` + add + `]]`, errType: ErrQueryLogic, errMsg: "Cannot treat the output of `group` as a stream (did you mean to `ungroup`?)"},
		{name: "group then union", term: `[44,[[144,[[2,[1]],` + fn1(x1) + `]]]]`, errType: ErrQueryLogic, errMsg: "Cannot treat the output of `group` as a stream (did you mean to `ungroup`?)"},
		{name: "group empty", term: `[150,[[144,[[2,[]],` + fn1(x1) + `]]]]`, want: `[]`},
		{name: "ungroup non-grouped", term: `[150,[[2,[1]]]]`, errType: ErrQueryLogic, errMsg: "Expected type GROUPED_DATA but found ARRAY."},
		{name: "ungroup then order", term: `[41,[[150,[[43,[[144,[[2,[1,1,2,3,3,3]],` + fn1(x1) + `]]]]]],[74,["reduction"]]]]`,
			want: `[{"group":3,"reduction":3},{"group":1,"reduction":2},{"group":2,"reduction":1}]`},
	})
}

func TestGroupLimits(t *testing.T) {
	_, err := runWithOpts(t, nil, `[144,[[173,[5]],`+fn1(x1)+`]]`, `{"array_limit":3}`)
	wantErr(t, err, ErrResourceLimit, "Too many groups (> 3).")
	_, err = runWithOpts(t, nil, `[144,[[173,[5]],`+fn1(`1`)+`]]`, `{"array_limit":3}`)
	wantErr(t, err, ErrResourceLimit, "Grouped data over size limit `3`.  Try putting a reduction (like `.reduce` or `.count`) on the end.")
}

// A reduction after GROUP is not bounded by the array limit.
func TestGroupReductionNotLimited(t *testing.T) {
	got, err := runWithOpts(t, nil, `[150,[[43,[[144,[[173,[5]],`+fn1(`1`)+`]]]]]]`, `{"array_limit":3}`)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, got, `[{"group":1,"reduction":5}]`)
}
