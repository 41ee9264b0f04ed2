package reql

import "testing"

// Wire-JSON shorthands used by the sequence family's tests.
const (
	x1 = `[10,[1]]` // the parameter of fn1
	x2 = `[10,[2]]` // the second parameter of fn2
)

// fn1 is a one-parameter FUNC (parameter 1) with the given body.
func fn1(body string) string { return `[69,[[2,[1]],` + body + `]]` }

// fn2 is a two-parameter FUNC (parameters 1, 2).
func fn2(body string) string { return `[69,[[2,[1,2]],` + body + `]]` }

// fn3 is a three-parameter FUNC (parameters 1, 2, 3).
func fn3(body string) string { return `[69,[[2,[1,2,3]],` + body + `]]` }

func TestArrayTerms(t *testing.T) {
	checkEvalCases(t, []evalCase{
		{name: "append", term: `[29,[[2,[1,2]],3]]`, want: `[1,2,3]`},
		{name: "append array element", term: `[29,[[2,[1]],[2,[2,3]]]]`, want: `[1,[2,3]]`},
		{name: "append to empty", term: `[29,[[2,[]],{"a":1}]]`, want: `[{"a":1}]`},
		{name: "append non-array", term: `[29,[1,2]]`, errType: ErrQueryLogic, errMsg: "Expected type ARRAY but found NUMBER."},
		{name: "prepend", term: `[80,[[2,[1,2]],0]]`, want: `[0,1,2]`},
		{name: "prepend non-array", term: `[80,["ab","c"]]`, errType: ErrQueryLogic, errMsg: "Expected type ARRAY but found STRING."},

		{name: "difference", term: `[95,[[2,[1,2,3,2,4]],[2,[2,4]]]]`, want: `[1,3]`},
		{name: "difference keeps duplicates", term: `[95,[[2,[1,1,2]],[2,[2]]]]`, want: `[1,1]`},
		{name: "difference objects", term: `[95,[[2,[{"a":1},{"a":2}]],[2,[{"a":1}]]]]`, want: `[{"a":2}]`},
		{name: "difference numbers by value", term: `[95,[[2,[1,2]],[2,[1.0]]]]`, want: `[2]`},
		{name: "difference non-sequence", term: `[95,[[2,[1]],5]]`, errType: ErrQueryLogic, errMsg: "Cannot convert NUMBER to SEQUENCE"},
		{name: "difference of a stream", term: `[95,[[173,[5]],[2,[1,3]]]]`, want: `[0,2,4]`},

		{name: "set_insert new", term: `[88,[[2,[1,2]],3]]`, want: `[1,2,3]`},
		{name: "set_insert existing", term: `[88,[[2,[1,2]],2]]`, want: `[1,2]`},
		{name: "set_insert dedups", term: `[88,[[2,[1,1,2]],3]]`, want: `[1,2,3]`},
		{name: "set_insert non-array", term: `[88,[{"a":1},1]]`, errType: ErrQueryLogic, errMsg: "Expected type ARRAY but found OBJECT."},
		{name: "set_union", term: `[90,[[2,[1,2,2]],[2,[2,3,1,4]]]]`, want: `[1,2,3,4]`},
		{name: "set_union objects", term: `[90,[[2,[{"a":1,"b":2}]],[2,[{"b":2,"a":1},{"a":2}]]]]`, want: `[{"a":1,"b":2},{"a":2}]`},
		{name: "set_union non-array", term: `[90,[[2,[1]],"x"]]`, errType: ErrQueryLogic, errMsg: "Expected type ARRAY but found STRING."},
		{name: "set_intersection", term: `[89,[[2,[1,2,3,3]],[2,[3,3,2,5]]]]`, want: `[3,2]`},
		{name: "set_intersection empty", term: `[89,[[2,[1]],[2,[]]]]`, want: `[]`},
		{name: "set_difference", term: `[91,[[2,[1,2,3,1,4]],[2,[2]]]]`, want: `[1,3,4]`},
		{name: "set_difference mixed types", term: `[91,[[2,[1,"1",[2,[1]],null]],[2,["1",null]]]]`, want: `[1,[1]]`},

		{name: "insert_at", term: `[82,[[2,[1,2,3]],1,9]]`, want: `[1,9,2,3]`},
		{name: "insert_at end", term: `[82,[[2,[1,2,3]],3,9]]`, want: `[1,2,3,9]`},
		{name: "insert_at -1 is the end", term: `[82,[[2,[1,2,3]],-1,9]]`, want: `[1,2,3,9]`},
		{name: "insert_at -4 is the start", term: `[82,[[2,[1,2,3]],-4,9]]`, want: `[9,1,2,3]`},
		{name: "insert_at past end", term: `[82,[[2,[1,2,3]],4,9]]`, errType: ErrNonExistence, errMsg: "Index `4` out of bounds for array of size: `3`."},
		{name: "insert_at before start", term: `[82,[[2,[1,2,3]],-5,9]]`, errType: ErrNonExistence, errMsg: "Index out of bounds: -5"},
		{name: "insert_at non-integer", term: `[82,[[2,[1]],0.5,9]]`, errType: ErrQueryLogic, errMsg: "Number not an integer: 0.5"},
		{name: "splice_at", term: `[85,[[2,[1,2,3]],1,[2,["a","b"]]]]`, want: `[1,"a","b",2,3]`},
		{name: "splice_at negative", term: `[85,[[2,[1,2]],-1,[2,["z"]]]]`, want: `[1,2,"z"]`},
		{name: "splice_at non-array", term: `[85,[[2,[1,2]],0,"z"]]`, errType: ErrQueryLogic, errMsg: "Expected type ARRAY but found STRING."},
		{name: "splice_at past end", term: `[85,[[2,[1,2]],3,[2,[0]]]]`, errType: ErrNonExistence, errMsg: "Index `3` out of bounds for array of size: `2`."},
		{name: "delete_at", term: `[83,[[2,["a","b","c"]],1]]`, want: `["a","c"]`},
		{name: "delete_at negative", term: `[83,[[2,["a","b","c"]],-1]]`, want: `["a","b"]`},
		{name: "delete_at range", term: `[83,[[2,[0,1,2,3,4]],1,3]]`, want: `[0,3,4]`},
		{name: "delete_at negative range", term: `[83,[[2,[0,1,2,3,4]],-3,-1]]`, want: `[0,1,4]`},
		{name: "delete_at empty range", term: `[83,[[2,[0,1,2]],3,3]]`, want: `[0,1,2]`},
		{name: "delete_at out of bounds", term: `[83,[[2,[0,1,2]],3]]`, errType: ErrNonExistence, errMsg: "Index `3` out of bounds for array of size: `3`."},
		{name: "delete_at negative out of bounds", term: `[83,[[2,[0,1,2]],-4]]`, errType: ErrNonExistence, errMsg: "Index out of bounds: -4"},
		{name: "delete_at reversed range", term: `[83,[[2,[0,1,2,3]],3,1]]`, errType: ErrQueryLogic, errMsg: "Start index `3` is greater than end index `1`."},
		{name: "delete_at range end past size", term: `[83,[[2,[0,1,2,3]],1,5]]`, errType: ErrNonExistence, errMsg: "Index `5` out of bounds for array of size: `4`."},
		{name: "change_at", term: `[84,[[2,[1,2,3]],1,{"x":1}]]`, want: `[1,{"x":1},3]`},
		{name: "change_at negative", term: `[84,[[2,[1,2,3]],-3,0]]`, want: `[0,2,3]`},
		{name: "change_at out of bounds", term: `[84,[[2,[1,2,3]],3,0]]`, errType: ErrNonExistence, errMsg: "Index `3` out of bounds for array of size: `3`."},
		{name: "change_at on string", term: `[84,["abc",0,"x"]]`, errType: ErrQueryLogic, errMsg: "Expected type ARRAY but found STRING."},
	})
}

// Array terms never change their arguments: a variable bound to an array
// is the same after insert_at, change_at, delete_at and append.
func TestArrayTermsDoNotMutate(t *testing.T) {
	body := `[2,[[82,[` + x1 + `,0,9]],[84,[` + x1 + `,0,9]],[83,[` + x1 + `,0]],[29,[` + x1 + `,9]],` + x1 + `]]`
	checkEvalCases(t, []evalCase{
		{name: "no mutation", term: `[64,[` + fn1(body) + `,[2,[1,2]]]]`, want: `[[9,1,2],[9,2],[2],[1,2,9],[1,2]]`},
	})
}
