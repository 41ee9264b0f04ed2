package reql

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// hookTestStore is the sequence tests' store with write hooks.
type hookTestStore struct {
	*seqTestStore
	table *hookTestTable
}

type hookTestTable struct {
	*seqTestTable
	hook *WriteHookConfig
}

func (t *hookTestTable) Config() TableConfig {
	cfg := t.seqTestTable.Config()
	cfg.WriteHook = t.hook
	return cfg
}

func (s *hookTestStore) OpenTable(_ context.Context, db, name string) (TableStore, error) {
	if name != "t" {
		return nil, TableNotFound(db, name)
	}
	return s.table, nil
}

func (s *hookTestStore) SetWriteHook(_ context.Context, _, _ string, hook *WriteHookConfig) error {
	s.table.hook = hook
	return nil
}

func newHookTestStore(docs ...map[string]any) *hookTestStore {
	tbl := &hookTestTable{seqTestTable: newSeqTestTable(docs...)}
	return &hookTestStore{seqTestStore: &seqTestStore{tables: map[string]*seqTestTable{"t": tbl.seqTestTable}}, table: tbl}
}

// hookFn is the write hook (ctx, old, new) -> body, with parameters 1, 2, 3.
func hookFn(body string) string { return fn3(body) }

const (
	hCtx = `[10,[1]]`
	hOld = `[10,[2]]`
	hNew = `[10,[3]]`
)

func TestWriteHooks(t *testing.T) {
	type step struct {
		name, term, want string
		errType          ErrorType
		errMsg           string
	}
	setHook := func(fn string) string { return `[189,[` + tbl + `,` + fn + `]]` }
	// merge new_val with {stamped: true, pk: context.primary_key}
	stamp := hookFn(`[35,[` + hNew + `,{"stamped":true,"pk":[31,[` + hCtx + `,"primary_key"]]}]]`)
	steps := []step{
		{name: "get none", term: `[190,[` + tbl + `]]`, want: `null`},
		{name: "set", term: setHook(stamp), want: `{"created":1}`},
		{name: "replace hook", term: setHook(stamp), want: `{"replaced":1}`},
		{name: "insert runs hook", term: `[56,[` + tbl + `,{"id":1,"a":1}]]`, want: `{"deleted":0,"errors":0,"inserted":1,"replaced":0,"skipped":0,"unchanged":0}`},
		{name: "inserted document", term: `[16,[` + tbl + `,1]]`, want: `{"id":1,"a":1,"stamped":true,"pk":1}`},
		{name: "update runs hook", term: `[53,[[16,[` + tbl + `,1]],{"a":2,"stamped":false}]]`, want: `{"deleted":0,"errors":0,"inserted":0,"replaced":1,"skipped":0,"unchanged":0}`},
		{name: "updated document", term: `[16,[` + tbl + `,1]]`, want: `{"id":1,"a":2,"stamped":true,"pk":1}`},
		{name: "ignore_write_hook", term: `[55,[[16,[` + tbl + `,1]],{"id":1}],{"ignore_write_hook":true}]`, want: `{"deleted":0,"errors":0,"inserted":0,"replaced":1,"skipped":0,"unchanged":0}`},
		{name: "not hooked", term: `[16,[` + tbl + `,1]]`, want: `{"id":1}`},
		{name: "ignore_write_hook not bool", term: `[56,[` + tbl + `,{"id":5}],{"ignore_write_hook":1}]`, errType: ErrQueryLogic, errMsg: "Expected type BOOL but found NUMBER."},
		{name: "stamp hook errors on delete", term: `[54,[[16,[` + tbl + `,1]]]]`, want: `{"deleted":0,"errors":1,"first_error":"Error in write hook: Cannot perform merge on a non-object non-sequence ` + "`null`" + `.","inserted":0,"replaced":0,"skipped":0,"unchanged":0}`},
		{name: "set resurrecting hook", term: setHook(hookFn(`[65,[[17,[` + hNew + `,null]],` + hOld + `,` + hNew + `]]`)), want: `{"replaced":1}`},
		{name: "hook turning delete into replace", term: `[54,[[16,[` + tbl + `,1]]]]`, want: `{"deleted":0,"errors":1,"first_error":"A write hook function must not turn a deletion into a replace/insert.","inserted":0,"replaced":0,"skipped":0,"unchanged":0}`},
		// a hook that deletes only what is deleted and rejects objects with bad:true
		{name: "set error hook", term: setHook(hookFn(`[65,[[17,[` + hNew + `,null]],null,[65,[[31,[` + hNew + `,"bad"]],[12,["no bad docs"]],` + hNew + `]]]]`)), want: `{"replaced":1}`},
		{name: "hook error aborts the document", term: `[56,[` + tbl + `,[2,[{"id":2,"bad":false},{"id":3,"bad":true}]]]]`, want: `{"deleted":0,"errors":1,"first_error":"Error in write hook: no bad docs","inserted":1,"replaced":0,"skipped":0,"unchanged":0}`},
		{name: "delete with hook", term: `[54,[[16,[` + tbl + `,2]]]]`, want: `{"deleted":1,"errors":0,"inserted":0,"replaced":0,"skipped":0,"unchanged":0}`},
		{name: "hook deleting", term: setHook(hookFn(`null`)), want: `{"replaced":1}`},
		{name: "hook must not delete", term: `[56,[` + tbl + `,{"id":9}]]`, want: `{"deleted":0,"errors":1,"first_error":"A write hook function must not turn a replace/insert into a deletion.","inserted":0,"replaced":0,"skipped":0,"unchanged":0}`},
		{name: "hook changing the key", term: setHook(hookFn(`[35,[` + hNew + `,{"id":100}]]`)), want: `{"replaced":1}`},
		{name: "key change refused", term: `[56,[` + tbl + `,{"id":9}]]`, want: "{\"deleted\":0,\"errors\":1,\"first_error\":\"Primary key `id` cannot be changed (`{\\n\\t\\\"id\\\":\\t9\\n}` -> `{\\n\\t\\\"id\\\":\\t100\\n}`).\",\"inserted\":0,\"replaced\":0,\"skipped\":0,\"unchanged\":0}"},
		{name: "timestamp is r.now", term: setHook(hookFn(`[35,[` + hNew + `,{"t":[31,[` + hCtx + `,"timestamp"]],"now":[103,[]]}]]`)), want: `{"replaced":1}`},
		{name: "insert with timestamp", term: `[56,[` + tbl + `,{"id":10}]]`, want: `{"deleted":0,"errors":0,"inserted":1,"replaced":0,"skipped":0,"unchanged":0}`},
		{name: "timestamp document", term: `[16,[` + tbl + `,10]]`, want: `checked below`},
		{name: "remove", term: setHook(`null`), want: `{"deleted":1}`},
		{name: "get after remove", term: `[190,[` + tbl + `]]`, want: `null`},
		{name: "remove again", term: setHook(`null`), want: `{"deleted":1}`},
		{name: "arity", term: setHook(fn2(`null`)), errType: ErrQueryLogic, errMsg: "Write hook functions must expect 3 arguments."},
		{name: "nondeterministic", term: setHook(hookFn(`[151,[]]`)), errType: ErrQueryLogic, errMsg: "Could not prove function deterministic.  Write hook functions must be deterministic."},
		{name: "js function", term: setHook(`[11,["(function(a, b, c) { return c; })"]]`), errType: ErrQueryLogic, errMsg: "Could not prove function deterministic.  Write hook functions must be deterministic."},
		{name: "not a function", term: setHook(`1`), errType: ErrQueryLogic, errMsg: "Expected type FUNCTION but found NUMBER."},
		{name: "bad binary", term: setHook(`{"$reql_type$":"BINARY","data":"AAE="}`), errType: ErrQueryLogic, errMsg: "Cannot create a write hook except from a reql_write_hook_function returned from `get_write_hook`."},
		{name: "not a table", term: `[190,[[2,[]]]]`, errType: ErrQueryLogic, errMsg: "Expected type TABLE but found ARRAY."},
		{name: "set arity", term: `[189,[` + tbl + `]]`, errMsg: "Expected 2 arguments but found 1."},
		{name: "get arity", term: `[190,[]]`, errMsg: "Expected 1 argument but found 0."},
		{name: "captured variable", term: `[64,[` + fn1(setHook(`[69,[[2,[4,5,6]],[35,[[10,[6]],{"c":[10,[1]]}]]]]`)) + `,"cap"]]`, want: `{"created":1}`},
		{name: "insert captured", term: `[56,[` + tbl + `,{"id":20}]]`, want: `{"deleted":0,"errors":0,"inserted":1,"replaced":0,"skipped":0,"unchanged":0}`},
		{name: "captured document", term: `[16,[` + tbl + `,20]]`, want: `{"id":20,"c":"cap"}`},
	}
	st := newHookTestStore()
	store := WithCatalogFeed(st)
	for _, s := range steps {
		got, err := runWithOpts(t, store, s.term, "")
		if s.errMsg != "" {
			var e *Error
			if !errors.As(err, &e) || e.Msg != s.errMsg || (s.errType != 0 && e.Type != s.errType) {
				t.Fatalf("%s: want error %q, got %v (%v)", s.name, s.errMsg, err, got)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.name == "timestamp document" {
			// the times themselves: equal, r.now of the write
			doc := got.(map[string]any)
			if !datumEqual(doc["t"], doc["now"]) || !isPtype(doc["t"], "TIME") {
				t.Fatalf("%s: got %v", s.name, got)
			}
			continue
		}
		wantJSON(t, got, s.want)
	}
}

func TestGetWriteHookRoundTrip(t *testing.T) {
	st := newHookTestStore()
	fn := hookFn(`[35,[` + hNew + `,{"x":1}]]`)
	if _, err := runWithOpts(t, st, `[189,[`+tbl+`,`+fn+`]]`, ""); err != nil {
		t.Fatal(err)
	}
	got, err := runWithOpts(t, st, `[190,[`+tbl+`]]`, "")
	if err != nil {
		t.Fatal(err)
	}
	m := got.(map[string]any)
	q, _ := m["query"].(string)
	if q != "setWriteHook("+string(st.table.hook.Function)+")" {
		t.Fatalf("query %q", q)
	}
	bin := m["function"].(map[string]any)
	if !isPtype(bin, "BINARY") || string(binaryBytes(bin)[:len(writeHookBlobPrefix)]) != writeHookBlobPrefix {
		t.Fatalf("function %v", bin)
	}
	// Remove, then restore from the binary.
	if _, err := runWithOpts(t, st, `[189,[`+tbl+`,null]]`, ""); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(bin)
	res, err := runWithOpts(t, st, `[189,[`+tbl+`,`+string(raw)+`]]`, "")
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, res, `{"created":1}`)
	if _, err := runWithOpts(t, st, `[56,[`+tbl+`,{"id":1}]]`, ""); err != nil {
		t.Fatal(err)
	}
	doc, err := runWithOpts(t, st, `[16,[`+tbl+`,1]]`, "")
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, doc, `{"id":1,"x":1}`)
}

func TestSetWriteHookStoreErrorsPropagate(t *testing.T) {
	st := &seqTestStore{tables: map[string]*seqTestTable{"t": newSeqTestTable()}}
	_, err := runWithOpts(t, st, `[189,[`+tbl+`,null]]`, "")
	var e *Error
	if !errors.As(err, &e) || e.Msg != "not in the test store" {
		t.Fatalf("got %v", err)
	}
}
