package reql

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// evalCase is one table-driven evaluator test: a term in wire JSON (as the
// drivers send it) and either the expected result as JSON or the expected
// error (class and exact message).
type evalCase struct {
	name    string
	term    string // wire JSON, e.g. `[24,[1,2]]` for r.expr(1).add(2)
	want    string // expected result as JSON (compared structurally)
	errType ErrorType
	errMsg  string // expected error message; set for error cases
}

// runTerm compiles and runs a term without tables and returns the result as
// a datum (streams are drained).
func runTerm(t *testing.T, term string) (any, error) {
	t.Helper()
	q, err := Compile([]byte(term), nil)
	if err != nil {
		return nil, err
	}
	res, err := q.Run(context.Background(), &Env{ServerName: "test", ServerID: "00000000-0000-0000-0000-000000000000"})
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

// checkEvalCases runs table-driven evaluator tests.
func checkEvalCases(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runTerm(t, tc.term)
			if tc.errMsg != "" {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("want error %q, got result %v (err %v)", tc.errMsg, got, err)
				}
				if e.Msg != tc.errMsg || (tc.errType != 0 && e.Type != tc.errType) {
					t.Fatalf("error %d %q, want %d %q", e.Type, e.Msg, tc.errType, tc.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			var want any
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatalf("bad want JSON %q: %v", tc.want, err)
			}
			gotJSON, _ := json.Marshal(got)
			var gotNorm any
			_ = json.Unmarshal(gotJSON, &gotNorm)
			if !datumEqual(gotNorm, want) {
				t.Fatalf("got %s, want %s", gotJSON, tc.want)
			}
		})
	}
}

func TestControlTerms(t *testing.T) {
	checkEvalCases(t, []evalCase{
		{name: "datum", term: `"x"`, want: `"x"`},
		{name: "make array", term: `[2,[1,[2,[2]],{"a":3}]]`, want: `[1,[2],{"a":3}]`},
		{name: "funcall", term: `[64,[[69,[[2,[1,2]],[2,[[10,[2]],[10,[1]]]]]],"a","b"]]`, want: `["b","a"]`},
		{name: "implicit var", term: `[64,[[69,[[2,[7]],[2,[[13,[]]]]]],5]]`, want: `[5]`},
		{name: "nested implicit var", term: `[69,[[2,[1]],[69,[[2,[2]],[13,[]]]]]]`, errMsg: "Cannot use r.row in nested queries.  Use functions instead."},
		{name: "args splice", term: `[2,[1,[154,[[2,[2,3]]]],4]]`, want: `[1,2,3,4]`},
		{name: "args arity checked at run time", term: `[14,[[154,[[2,["a","b"]]]]]]`, errType: ErrQueryLogic, errMsg: "Expected 1 argument but found 2."},
		{name: "funcall arity", term: `[64,[[69,[[2,[1]],[10,[1]]]],1,2]]`, errType: ErrQueryLogic, errMsg: "Expected function with 2 arguments but found function with 1 argument."},
	})
}
