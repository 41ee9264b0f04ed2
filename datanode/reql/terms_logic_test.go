package reql

import "testing"

func TestLogicTerms(t *testing.T) {
	checkEvalCases(t, []evalCase{
		// BRANCH
		{name: "branch true", term: `[65,[true,1,2]]`, want: `1`},
		{name: "branch false", term: `[65,[false,1,2]]`, want: `2`},
		{name: "branch number is true", term: `[65,[1,"c",false]]`, want: `"c"`},
		{name: "branch null is false", term: `[65,[null,{},[2,[]]]]`, want: `[]`},
		{name: "branch empty array is true", term: `[65,[[2,[]],1,2]]`, want: `1`},
		{name: "branch empty object is true", term: `[65,[{},1,2]]`, want: `1`},
		{name: "branch empty string is true", term: `[65,["",1,2]]`, want: `1`},
		{name: "branch zero is true", term: `[65,[0,1,2]]`, want: `1`},
		{name: "multi branch first", term: `[65,[true,1,true,2,3]]`, want: `1`},
		{name: "multi branch second", term: `[65,[false,1,true,2,3]]`, want: `2`},
		{name: "multi branch else", term: `[65,[false,1,false,2,3]]`, want: `3`},
		{name: "branch only evaluates the chosen value", term: `[65,[true,1,[12,["boom"]]]]`, want: `1`},
		{name: "branch skips later conditions", term: `[65,[true,1,[12,["boom"]],2,3]]`, want: `1`},
		{name: "branch even arguments", term: `[65,[true,1,true,2]]`, errType: ErrQueryLogic, errMsg: "Cannot call `branch` term with an even number of arguments."},
		{name: "branch too few", term: `[65,[true,1]]`, errMsg: "Expected 3 or more arguments but found 2."},
		{name: "branch error in condition", term: `[65,[[12,["a"]],1,2]]`, errType: ErrUser, errMsg: "a"},
		{name: "branch on a function", term: `[65,[[69,[[2,[1]],1]],1,2]]`, errType: ErrQueryLogic, errMsg: "Expected type DATUM but found FUNCTION:\nOPAQUE VALUE FUNCTION"},

		// OR / AND
		{name: "or true", term: `[66,[true,false]]`, want: `true`},
		{name: "or false", term: `[66,[false,false]]`, want: `false`},
		{name: "or returns first truthy value", term: `[66,[false,"str"]]`, want: `"str"`},
		{name: "or null then number", term: `[66,[null,5,6]]`, want: `5`},
		{name: "or variadic", term: `[66,[false,false,false,true,false]]`, want: `true`},
		{name: "or short-circuits", term: `[66,[true,[12,["boom"]]]]`, want: `true`},
		{name: "or no args", term: `[66,[]]`, want: `false`},
		{name: "or all falsy returns false", term: `[66,[null,false]]`, want: `false`},
		{name: "and true", term: `[67,[true,true]]`, want: `true`},
		{name: "and false", term: `[67,[true,false]]`, want: `false`},
		{name: "and returns last value", term: `[67,[1,true]]`, want: `true`},
		{name: "and returns last truthy value", term: `[67,[true,"x"]]`, want: `"x"`},
		{name: "and returns first falsy value", term: `[67,[1,null,2]]`, want: `null`},
		{name: "and variadic", term: `[67,[true,false,true,false,true]]`, want: `false`},
		{name: "and short-circuits", term: `[67,[false,[12,["boom"]]]]`, want: `false`},
		{name: "and no args", term: `[67,[]]`, want: `true`},
		{name: "and error propagates", term: `[67,[true,[12,["boom"]]]]`, errType: ErrUser, errMsg: "boom"},

		// NOT
		{name: "not true", term: `[23,[true]]`, want: `false`},
		{name: "not false", term: `[23,[false]]`, want: `true`},
		{name: "not number", term: `[23,[1]]`, want: `false`},
		{name: "not null", term: `[23,[null]]`, want: `true`},
		{name: "not arity", term: `[23,[true,false]]`, errMsg: "Expected 1 argument but found 2."},
		{name: "de morgan", term: `[17,[[23,[[67,[true,false]]]],[66,[[23,[true]],[23,[false]]]]]]`, want: `true`},

		// ERROR
		{name: "error message", term: `[12,["Hello World"]]`, errType: ErrUser, errMsg: "Hello World"},
		{name: "error non-string", term: `[12,[5]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
		{name: "error null", term: `[12,[null]]`, errType: ErrNonExistence, errMsg: "Expected type STRING but found NULL."},
		{name: "error empty", term: `[12,[]]`, errType: ErrUser, errMsg: "Empty ERROR term outside a default block."},
		{name: "error arity", term: `[12,["a","b"]]`, errMsg: "Expected between 0 and 1 arguments but found 2."},

		// DEFAULT
		{name: "default of value", term: `[92,[1,2]]`, want: `1`},
		{name: "default of null", term: `[92,[null,2]]`, want: `2`},
		{name: "default of false", term: `[92,[false,2]]`, want: `false`},
		{name: "default catches non-existence", term: `[92,[[24,[null,5]],2]]`, want: `2`},
		{name: "default catches non-existence rhs", term: `[92,[[25,[5,null]],2]]`, want: `2`},
		{name: "default lets logic errors through", term: `[92,[[24,["a",5]],2]]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
		{name: "default lets user errors through", term: `[92,[[12,["x"]],2]]`, errType: ErrUser, errMsg: "x"},
		{name: "default function gets message", term: `[92,[[24,[null,5]],[69,[[2,[1]],[10,[1]]]]]]`, want: `"Expected type NUMBER but found NULL."`},
		{name: "default function gets null", term: `[92,[null,[69,[[2,[1]],[10,[1]]]]]]`, want: `null`},
		{name: "default function not called for values", term: `[92,[1,[69,[[2,[1]],[12,["boom"]]]]]]`, want: `1`},
		{name: "default not evaluated for values", term: `[92,[1,[12,["boom"]]]]`, want: `1`},
		{name: "default r.error of value", term: `[92,[1,[12,[]]]]`, want: `1`},
		{name: "default r.error of null", term: `[92,[null,[12,[]]]]`, want: `null`},
		{name: "default r.error rethrows", term: `[92,[[24,[null,5]],[12,[]]]]`, errType: ErrNonExistence, errMsg: "Expected type NUMBER but found NULL."},
		{name: "default error in default", term: `[92,[null,[12,["d"]]]]`, errType: ErrUser, errMsg: "d"},
		{name: "default function raising r.error rethrows", term: `[92,[[24,[null,5]],[69,[[2,[1]],[12,[]]]]]]`, errType: ErrNonExistence, errMsg: "Expected type NUMBER but found NULL."},
		{name: "nested default", term: `[92,[[92,[null,null]],3]]`, want: `3`},
		{name: "default arity", term: `[92,[1]]`, errMsg: "Expected 2 arguments but found 1."},
	})
}
