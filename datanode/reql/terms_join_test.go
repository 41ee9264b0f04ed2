package reql_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/datanode/shard"
	"github.com/photondb-io/photondb/datanode/storage"
)

// Joins (terms_join.go) against a real storage engine and shard store, so
// that EQ_JOIN goes through primary key and secondary (and multi) index
// lookups as in production.

// joinCase is a wire JSON term and its expected result or error.
type joinCase struct {
	name    string
	term    string
	opts    string // global optargs as JSON, e.g. {"array_limit":2}
	want    string
	errType reql.ErrorType
	errMsg  string
}

// Wire JSON shorthands.
const (
	jUsers = `[15,["users"]]`
	jTeams = `[15,["teams"]]`
	jV1    = `[10,[1]]`
	jV2    = `[10,[2]]`
)

func jFn1(body string) string { return `[69,[[2,[1]],` + body + `]]` }
func jFn2(body string) string { return `[69,[[2,[1,2]],` + body + `]]` }
func jGet(obj, field string) string {
	return `[31,[` + obj + `,"` + field + `"]]`
}
func jEq(a, b string) string { return `[17,[` + a + `,` + b + `]]` }

func openJoinEnv(t *testing.T) *reql.Env {
	t.Helper()
	eng, err := storage.Open(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	st, err := shard.Open(eng, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := st.CreateTable(ctx, reql.TableConfig{DB: "test", Name: "users", PrimaryKey: "id", Durability: "soft"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateTable(ctx, reql.TableConfig{DB: "test", Name: "teams", PrimaryKey: "code", Durability: "soft"}); err != nil {
		t.Fatal(err)
	}
	env := &reql.Env{Store: st, ServerName: "test", ServerID: "00000000-0000-0000-0000-000000000000"}
	for _, q := range []string{
		`[56,[` + jUsers + `,[2,[{"id":1,"name":"ann","team":10},{"id":2,"name":"bob","team":20},{"id":3,"name":"cy","team":99},{"id":4,"name":"dee"},{"id":5,"name":"eve","team":null}]]]]`,
		`[56,[` + jTeams + `,[2,[{"code":10,"tname":"red","region":"eu","members":[2,[1,2,2]]},{"code":20,"tname":"blue","region":"us","members":[2,[2,3]]},{"code":30,"tname":"green","region":"eu","members":[2,[]]}]]]]`,
		`[75,[` + jTeams + `,"region"]]`,
		`[75,[` + jTeams + `,"members"],{"multi":true}]`,
		`[140,[` + jTeams + `]]`,
	} {
		if _, err := runJoin(t, env, q, ""); err != nil {
			t.Fatalf("setup %s: %v", q, err)
		}
	}
	return env
}

// runJoin runs a query and drains a stream result (at most 10000 rows).
func runJoin(t *testing.T, env *reql.Env, term, opts string) (any, error) {
	t.Helper()
	var global map[string]json.RawMessage
	if opts != "" {
		if err := json.Unmarshal([]byte(opts), &global); err != nil {
			t.Fatalf("bad opts %s: %v", opts, err)
		}
	}
	q, err := reql.Compile([]byte(term), global)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := q.Run(ctx, env)
	if err != nil {
		return nil, err
	}
	if res.Stream == nil {
		return res.Datum, nil
	}
	defer res.Stream.Close()
	out := []any{}
	for len(out) < 10000 {
		v, ok, err := res.Stream.Next(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		out = append(out, v)
	}
	return out, nil
}

func checkJoinCases(t *testing.T, env *reql.Env, cases []joinCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runJoin(t, env, tc.term, tc.opts)
			if tc.errMsg != "" {
				var e *reql.Error
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
			gotJSON, _ := json.Marshal(got)
			var gotNorm, want any
			_ = json.Unmarshal(gotJSON, &gotNorm)
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatalf("bad want JSON %q: %v", tc.want, err)
			}
			wantJSON, _ := json.Marshal(want)
			normJSON, _ := json.Marshal(gotNorm)
			if string(wantJSON) != string(normJSON) {
				t.Fatalf("got  %s\nwant %s", normJSON, wantJSON)
			}
		})
	}
}

func TestEqJoin(t *testing.T) {
	env := openJoinEnv(t)
	const (
		u1  = `{"id":1,"name":"ann","team":10}`
		u2  = `{"id":2,"name":"bob","team":20}`
		t10 = `{"code":10,"members":[1,2,2],"region":"eu","tname":"red"}`
		t20 = `{"code":20,"members":[2,3],"region":"us","tname":"blue"}`
		t30 = `{"code":30,"members":[],"region":"eu","tname":"green"}`
	)
	checkJoinCases(t, env, []joinCase{
		// By primary key (the right table's is `code`): users 3 (no team 99),
		// 4 (no field) and 5 (null) are skipped.
		{name: "field on primary key", term: `[50,[` + jUsers + `,"team",` + jTeams + `]]`,
			want: `[{"left":` + u1 + `,"right":` + t10 + `},{"left":` + u2 + `,"right":` + t20 + `}]`},
		{name: "zip", term: `[72,[[50,[` + jUsers + `,"team",` + jTeams + `]]]]`,
			want: `[{"id":1,"name":"ann","team":10,"code":10,"members":[1,2,2],"region":"eu","tname":"red"},{"id":2,"name":"bob","team":20,"code":20,"members":[2,3],"region":"us","tname":"blue"}]`},
		{name: "function", term: `[50,[` + jUsers + `,` + jFn1(jGet(jV1, "team")) + `,` + jTeams + `]]`,
			want: `[{"left":` + u1 + `,"right":` + t10 + `},{"left":` + u2 + `,"right":` + t20 + `}]`},
		{name: "function returning null", term: `[43,[[50,[` + jUsers + `,` + jFn1(`null`) + `,` + jTeams + `]]]]`, want: `0`},
		{name: "missing field everywhere", term: `[43,[[50,[` + jUsers + `,"fake",` + jTeams + `]]]]`, want: `0`},
		{name: "non-existence in function skipped", term: `[50,[[2,[[2,[10]],[2,[]]]],` + jFn1(`[45,[`+jV1+`,0]]`) + `,` + jTeams + `]]`,
			want: `[{"left":[10],"right":` + t10 + `}]`},
		{name: "count", term: `[43,[[50,[` + jUsers + `,"team",` + jTeams + `]]]]`, want: `2`},
		{name: "explicit primary index", term: `[50,[[2,[{"t":30}]],"t",` + jTeams + `],{"index":"code"}]`,
			want: `[{"left":{"t":30},"right":` + t30 + `}]`},
		{name: "array left gives array, null rows skipped", term: `[50,[[2,[null,{"t":20},{"t":10}]],"t",` + jTeams + `]]`,
			want: `[{"left":{"t":20},"right":` + t20 + `},{"left":{"t":10},"right":` + t10 + `}]`},
		{name: "empty left", term: `[50,[[2,[]],"t",` + jTeams + `]]`, want: `[]`},
		{name: "join into the same table", term: `[72,[[50,[[2,[{"id":2,"x":"y"}]],"id",` + jUsers + `]]]]`,
			want: `[{"id":2,"name":"bob","team":20,"x":"y"}]`},

		// Secondary indexes.
		{name: "secondary index", term: `[50,[[2,[{"r":"eu"},{"r":"us"},{"r":"asia"}]],"r",` + jTeams + `],{"index":"region"}]`,
			want: `[{"left":{"r":"eu"},"right":` + t10 + `},{"left":{"r":"eu"},"right":` + t30 + `},{"left":{"r":"us"},"right":` + t20 + `}]`},
		{name: "secondary index zip", term: `[72,[[50,[[2,[{"r":"us","n":1}]],"r",` + jTeams + `],{"index":"region"}]]]`,
			want: `[{"r":"us","n":1,"code":20,"members":[2,3],"region":"us","tname":"blue"}]`},
		{name: "multi index: one result per document", term: `[50,[` + jUsers + `,"id",` + jTeams + `],{"index":"members"}]`,
			want: `[{"left":` + u1 + `,"right":` + t10 + `},{"left":` + u2 + `,"right":` + t10 + `},{"left":` + u2 + `,"right":` + t20 + `},{"left":{"id":3,"name":"cy","team":99},"right":` + t20 + `}]`},
		{name: "object value matches no index entry", term: `[50,[[2,[{"r":{"a":1}}]],"r",` + jTeams + `],{"index":"region"}]`, want: `[]`},
		{name: "missing index", term: `[50,[[2,[{"r":"eu"}]],"r",` + jTeams + `],{"index":"nope"}]`,
			errType: reql.ErrOpFailed, errMsg: "Index `nope` was not found on table `test.teams`."},

		// ordered: the order of the left sequence is kept.
		{name: "ordered keeps left order", term: `[38,[[50,[[41,[` + jUsers + `],{"index":[74,["id"]]}],"team",` + jTeams + `],{"ordered":true}],` + jFn1(jGet(jGet(jV1, "left"), "id")) + `]]`,
			want: `[2,1]`},
		{name: "ordered false", term: `[43,[[50,[` + jUsers + `,"team",` + jTeams + `],{"ordered":false}]]]`, want: `2`},

		// Laziness: one lookup per left row of an infinite stream.
		{name: "lazy over infinite stream", term: `[71,[[50,[[173,[]],` + jFn1(jV1) + `,` + jUsers + `]],2]]`,
			want: `[{"left":1,"right":` + u1 + `},{"left":2,"right":` + u2 + `}]`},
		{name: "infinite count", term: `[43,[[50,[[173,[]],` + jFn1(jV1) + `,` + jUsers + `]]]]`,
			errType: reql.ErrQueryLogic, errMsg: "Cannot use an infinite stream with an aggregation function (`reduce`, `count`, etc.) or coerce it to an array."},

		// Errors.
		{name: "right not a table", term: `[50,[[2,[]],"a",[2,[]]]]`, errType: reql.ErrQueryLogic, errMsg: "Expected type TABLE but found ARRAY."},
		{name: "right a selection", term: `[50,[[2,[]],"a",[39,[` + jTeams + `,true]]]]`, errType: reql.ErrQueryLogic, errMsg: "Expected type TABLE but found SELECTION<STREAM>."},
		{name: "left not a sequence", term: `[50,[5,"a",` + jTeams + `]]`, errType: reql.ErrQueryLogic, errMsg: "Cannot convert NUMBER to SEQUENCE"},
		{name: "left an object", term: `[50,[{"a":1},"a",` + jTeams + `]]`, errType: reql.ErrQueryLogic, errMsg: "Cannot convert OBJECT to SEQUENCE"},
		{name: "index not a string", term: `[50,[[2,[]],"a",` + jTeams + `],{"index":1}]`, errType: reql.ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
		{name: "ordered not a bool", term: `[50,[[2,[]],"a",` + jTeams + `],{"ordered":"yes"}]`, errType: reql.ErrQueryLogic, errMsg: "Expected type BOOL but found STRING."},
		{name: "left row not an object", term: `[50,[[2,[1]],"a",` + jTeams + `]]`, errType: reql.ErrQueryLogic, errMsg: "Cannot perform get_field on a non-object non-sequence `1`."},
		{name: "bad primary key value", term: `[50,[[2,[{"a":{"b":1}}]],"a",` + jTeams + `]]`, errType: reql.ErrQueryLogic,
			errMsg: "Primary keys must be either a number, string, bool, pseudotype or array (got type OBJECT):\n{\n\t\"b\":\t1\n}"},
		{name: "other function errors propagate", term: `[50,[[2,[1]],` + jFn1(`[24,[`+jV1+`,"x"]]`) + `,` + jTeams + `]]`, errType: reql.ErrQueryLogic, errMsg: "Expected type NUMBER but found STRING."},
		{name: "arity", term: `[50,[[2,[]],"a"]]`, errType: reql.ErrQueryLogic, errMsg: "Expected 3 arguments but found 2."},
		{name: "unknown optarg", term: `[50,[[2,[]],"a",` + jTeams + `],{"foo":1}]`, errType: reql.ErrQueryLogic, errMsg: "Unrecognized optional argument `foo`."},
		{name: "array limit", term: `[50,[[2,[{"t":10},{"t":20}]],"t",` + jTeams + `]]`, opts: `{"array_limit":1}`,
			errType: reql.ErrResourceLimit, errMsg: "Array over size limit `1`."},
	})
}

func TestNestedJoins(t *testing.T) {
	env := openJoinEnv(t)
	const (
		left  = `[2,[{"a":1},{"a":2},{"a":3}]]`
		right = `[2,[{"b":2},{"b":3}]]`
	)
	pred := jFn2(jEq(jGet(jV1, "a"), jGet(jV2, "b")))
	teamPred := jFn2(jEq(`[92,[`+jGet(jV1, "team")+`,null]]`, jGet(jV2, "code")))
	checkJoinCases(t, env, []joinCase{
		// RethinkDB's joins.yaml examples.
		{name: "inner zip", term: `[72,[[48,[` + left + `,` + right + `,` + pred + `]]]]`, want: `[{"a":2,"b":2},{"a":3,"b":3}]`},
		{name: "outer zip", term: `[72,[[49,[` + left + `,` + right + `,` + pred + `]]]]`, want: `[{"a":1},{"a":2,"b":2},{"a":3,"b":3}]`},
		{name: "inner pairs", term: `[48,[` + left + `,` + right + `,` + pred + `]]`,
			want: `[{"left":{"a":2},"right":{"b":2}},{"left":{"a":3},"right":{"b":3}}]`},
		{name: "outer pairs", term: `[49,[` + left + `,` + right + `,` + pred + `]]`,
			want: `[{"left":{"a":1}},{"left":{"a":2},"right":{"b":2}},{"left":{"a":3},"right":{"b":3}}]`},
		{name: "inner several matches per row", term: `[48,[[2,[1,2]],[2,[1,2,3]],` + jFn2(`[19,[`+jV1+`,`+jV2+`]]`) + `]]`,
			want: `[{"left":1,"right":2},{"left":1,"right":3},{"left":2,"right":3}]`},
		{name: "outer several matches per row", term: `[49,[[2,[1,3]],[2,[1,2,3]],` + jFn2(`[19,[`+jV1+`,`+jV2+`]]`) + `]]`,
			want: `[{"left":1,"right":2},{"left":1,"right":3},{"left":3}]`},
		{name: "constant true is a cross product", term: `[48,[[2,[1,2]],[2,["x","y"]],true]]`,
			want: `[{"left":1,"right":"x"},{"left":1,"right":"y"},{"left":2,"right":"x"},{"left":2,"right":"y"}]`},
		{name: "constant false", term: `[48,[[2,[1,2]],[2,["x"]],false]]`, want: `[]`},
		{name: "null predicate is false", term: `[49,[[2,[1]],[2,["x"]],` + jFn2(`null`) + `]]`, want: `[{"left":1}]`},
		{name: "truthy non-bool predicate", term: `[48,[[2,[1]],[2,["x"]],` + jFn2(`0`) + `]]`, want: `[{"left":1,"right":"x"}]`},
		{name: "zero-arity function", term: `[48,[[2,[1]],[2,["x"]],[69,[[2,[]],true]]]]`, want: `[{"left":1,"right":"x"}]`},
		{name: "empty left", term: `[48,[[2,[]],5,` + pred + `]]`, want: `[]`},
		{name: "empty right inner", term: `[48,[` + left + `,[2,[]],` + pred + `]]`, want: `[]`},
		{name: "empty right outer", term: `[49,[[2,[1,2]],[2,[]],` + pred + `]]`, want: `[{"left":1},{"left":2}]`},
		{name: "stream right", term: `[48,[[2,[1,2]],[173,[3]],` + jFn2(jEq(jV1, jV2)) + `]]`, want: `[{"left":1,"right":1},{"left":2,"right":2}]`},
		{name: "right re-evaluated in scope", term: `[38,[[2,[1,2]],` + jFn1(`[43,[[48,[[2,[10,20,30]],[2,[`+jV1+`]],[69,[[2,[3,4]],[17,[[10,[4]],`+jV1+`]]]]]]]]`) + `]]`,
			want: `[3,3]`},

		// Tables.
		{name: "inner join tables", term: `[72,[[48,[` + jUsers + `,` + jTeams + `,` + teamPred + `]]]]`,
			want: `[{"code":10,"id":1,"members":[1,2,2],"name":"ann","region":"eu","team":10,"tname":"red"},{"code":20,"id":2,"members":[2,3],"name":"bob","region":"us","team":20,"tname":"blue"}]`},
		{name: "outer join tables", term: `[38,[[49,[` + jUsers + `,` + jTeams + `,` + teamPred + `]],` + jFn1(`[2,[`+jGet(jGet(jV1, "left"), "id")+`,[92,[`+jGet(jGet(jV1, "right"), "code")+`,null]]]]`) + `]]`,
			want: `[[1,10],[2,20],[3,null],[4,null],[5,null]]`},
		{name: "inner join count", term: `[43,[[48,[` + jUsers + `,` + jTeams + `,true]]]]`, want: `15`},
		{name: "predicate error propagates", term: `[48,[` + jUsers + `,` + jTeams + `,` + jFn2(jEq(jGet(jV1, "team"), jGet(jV2, "code"))) + `]]`,
			errType: reql.ErrNonExistence, errMsg: "No attribute `team` in object:\n{\n\t\"id\":\t4,\n\t\"name\":\t\"dee\"\n}"},

		// Laziness over the left.
		{name: "inner lazy over infinite left", term: `[71,[[48,[[173,[]],[2,[1,3]],` + jFn2(jEq(jV1, jV2)) + `]],2]]`,
			want: `[{"left":1,"right":1},{"left":3,"right":3}]`},
		{name: "outer lazy over infinite left", term: `[71,[[49,[[173,[]],[2,[1]],` + jFn2(jEq(jV1, jV2)) + `]],2]]`,
			want: `[{"left":0},{"left":1,"right":1}]`},
		{name: "inner infinite count", term: `[43,[[48,[[173,[]],[2,[1]],true]]]]`,
			errType: reql.ErrQueryLogic, errMsg: "Cannot use an infinite stream with an aggregation function (`reduce`, `count`, etc.) or coerce it to an array."},
		{name: "inner infinite right streams", term: `[71,[[48,[[173,[5,6]],[173,[]],` + jFn2(`[21,[`+jV2+`,`+jV1+`]]`) + `]],2]]`,
			want: `[{"left":5,"right":6},{"left":5,"right":7}]`},
		{name: "outer infinite right", term: `[49,[[2,[5]],[173,[]],true]]`,
			errType: reql.ErrQueryLogic, errMsg: "Cannot use an infinite stream with an aggregation function (`reduce`, `count`, etc.) or coerce it to an array."},

		// Errors.
		{name: "left not a sequence", term: `[48,[5,[2,[]],true]]`, errType: reql.ErrQueryLogic, errMsg: "Cannot convert NUMBER to SEQUENCE"},
		{name: "outer left not a sequence", term: `[49,["s",[2,[]],true]]`, errType: reql.ErrQueryLogic, errMsg: "Cannot convert STRING to SEQUENCE"},
		{name: "right not a sequence", term: `[48,[[2,[1]],5,true]]`, errType: reql.ErrQueryLogic, errMsg: "Cannot convert NUMBER to SEQUENCE"},
		{name: "outer right not a sequence", term: `[49,[[2,[1]],{"a":1},true]]`, errType: reql.ErrQueryLogic, errMsg: "Cannot convert OBJECT to SEQUENCE"},
		{name: "one-argument predicate", term: `[48,[[2,[1]],[2,[1]],` + jFn1(`true`) + `]]`, errType: reql.ErrQueryLogic,
			errMsg: "Expected function with 2 arguments but found function with 1 argument."},
		{name: "arity", term: `[48,[[2,[]],[2,[]]]]`, errType: reql.ErrQueryLogic, errMsg: "Expected 3 arguments but found 2."},
		{name: "outer arity", term: `[49,[[2,[]],[2,[]],true,true]]`, errType: reql.ErrQueryLogic, errMsg: "Expected 3 arguments but found 4."},
		{name: "no optargs", term: `[48,[[2,[]],[2,[]],true],{"index":"x"}]`, errType: reql.ErrQueryLogic, errMsg: "Unrecognized optional argument `index`."},
		{name: "inner array limit", term: `[48,[[2,[1,2]],[2,[1,2]],true]]`, opts: `{"array_limit":3}`,
			errType: reql.ErrResourceLimit, errMsg: "Array over size limit `3`."},
		{name: "outer matches of one row are an array", term: `[71,[[49,[` + jUsers + `,[173,[5]],true]],1]]`, opts: `{"array_limit":4}`,
			errType: reql.ErrResourceLimit, errMsg: "Array over size limit `4`."},

		// ZIP of join results.
		{name: "zip right wins", term: `[72,[[2,[{"left":{"a":1,"b":1},"right":{"b":2}}]]]]`, want: `[{"a":1,"b":2}]`},
		{name: "zip left only", term: `[72,[[2,[{"left":{"a":1}}]]]]`, want: `[{"a":1}]`},
		{name: "zip not a join", term: `[72,[[2,[{"a":1}]]]]`, errType: reql.ErrQueryLogic, errMsg: "ZIP can only be called on the result of a join."},
	})
}

// TestJoinStreamsClose checks that abandoning a join stream early closes
// what it holds (a partially read index scan) without error.
func TestJoinStreamsClose(t *testing.T) {
	env := openJoinEnv(t)
	for _, term := range []string{
		`[50,[` + jUsers + `,"id",` + jTeams + `],{"index":"members"}]`,
		`[48,[` + jUsers + `,` + jTeams + `,true]]`,
		`[49,[` + jUsers + `,` + jTeams + `,true]]`,
	} {
		q, err := reql.Compile([]byte(term), nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := q.Run(context.Background(), env)
		if err != nil {
			t.Fatal(err)
		}
		if res.Stream == nil {
			t.Fatalf("%s: want a stream", term)
		}
		if _, ok, err := res.Stream.Next(context.Background()); !ok || err != nil {
			t.Fatalf("%s: first row: ok=%v err=%v", term, ok, err)
		}
		if err := res.Stream.Close(); err != nil {
			t.Fatalf("%s: close: %v", term, err)
		}
		if err := res.Stream.Close(); err != nil {
			t.Fatalf("%s: second close: %v", term, err)
		}
		if _, ok, _ := res.Stream.Next(context.Background()); ok {
			t.Fatalf("%s: row after close", term)
		}
	}
}
