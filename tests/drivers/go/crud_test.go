package drivers_test

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

type doc = map[string]interface{}

// getDoc returns the document under key, or nil when get() answers null.
func getDoc(t testing.TB, sess *r.Session, table r.Term, key interface{}) doc {
	t.Helper()
	cur, err := table.Get(key).Run(sess)
	if err != nil {
		t.Fatalf("get(%v): %v", key, err)
	}
	defer cur.Close()
	if cur.IsNil() {
		return nil
	}
	var d doc
	if err := cur.One(&d); err != nil {
		t.Fatalf("get(%v) read: %v", key, err)
	}
	return d
}

func newTable(t testing.TB, sess *r.Session, name string) r.Term {
	t.Helper()
	if _, err := r.DB("test").TableCreate(name).RunWrite(sess); err != nil {
		t.Fatalf("tableCreate %s: %v", name, err)
	}
	return r.DB("test").Table(name)
}

// 3. insert/get/getAll/update/replace/delete/conflict/count.
func TestInsertGeneratedKeys(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv)
	tbl := newTable(t, sess, "gen")

	// One document without a key.
	res := runMap(t, sess, tbl.Insert(doc{"name": "first", "n": 1}))
	assertWriteResult(t, "insert one", res, writeCounts(0, 0, 1, 0, 0, 0), "generated_keys")
	keys, _ := res["generated_keys"].([]interface{})
	if len(keys) != 1 || !uuidRE.MatchString(asString(keys[0])) {
		t.Fatalf("insert one generated_keys = %#v, want one lowercase UUID", res["generated_keys"])
	}
	if got := getDoc(t, sess, tbl, keys[0]); !reflect.DeepEqual(got, doc{"id": keys[0], "name": "first", "n": float64(1)}) {
		t.Errorf("get(generated) = %v", got)
	}

	// Many without keys, plus one with a key (no generated key for it).
	res = runMap(t, sess, tbl.Insert([]interface{}{
		doc{"name": "a"}, doc{"id": "explicit", "name": "b"}, doc{"name": "c"}, doc{"name": "d"},
	}))
	assertWriteResult(t, "insert many", res, writeCounts(0, 0, 4, 0, 0, 0), "generated_keys")
	many, _ := res["generated_keys"].([]interface{})
	if len(many) != 3 {
		t.Fatalf("insert many generated_keys = %v, want 3 keys (one doc had an id)", res["generated_keys"])
	}
	seen := map[string]bool{asString(keys[0]): true}
	for i, k := range many {
		ks := asString(k)
		if !uuidRE.MatchString(ks) {
			t.Errorf("generated key %d = %#v, want a UUID", i, k)
		}
		if seen[ks] {
			t.Errorf("generated key %q repeated", ks)
		}
		seen[ks] = true
	}
	// generated_keys are in the order of the documents lacking keys.
	for i, want := range []string{"a", "c", "d"} {
		if got := getDoc(t, sess, tbl, many[i]); got == nil || got["name"] != want || got["id"] != many[i] {
			t.Errorf("get(generated_keys[%d]) = %v, want doc named %q", i, got, want)
		}
	}

	// With keys everywhere, no generated_keys field at all.
	res = runMap(t, sess, tbl.Insert([]interface{}{doc{"id": 1}, doc{"id": 2.5}, doc{"id": "two"}}))
	assertWriteResult(t, "insert with keys", res, writeCounts(0, 0, 3, 0, 0, 0))

	// Via the driver's WriteResponse too.
	wr, err := tbl.Insert(doc{"x": true}).RunWrite(sess)
	if err != nil {
		t.Fatalf("RunWrite insert: %v", err)
	}
	if wr.Inserted != 1 || len(wr.GeneratedKeys) != 1 || !uuidRE.MatchString(wr.GeneratedKeys[0]) || wr.Errors != 0 {
		t.Errorf("RunWrite insert = %+v", wr)
	}

	if n := runCount(t, sess, tbl.Count()); n != 9 {
		t.Errorf("count = %d, want 9", n)
	}
}

func TestGetAndGetAll(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv)
	tbl := newTable(t, sess, "kv")

	docs := []interface{}{}
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		docs = append(docs, doc{"id": k, "v": strings.ToUpper(k), "nested": doc{"list": []interface{}{1, k}}})
	}
	docs = append(docs, doc{"id": 10, "v": "ten"})
	if _, err := tbl.Insert(docs).RunWrite(sess); err != nil {
		t.Fatalf("insert: %v", err)
	}

	if got := getDoc(t, sess, tbl, "c"); !reflect.DeepEqual(got, doc{"id": "c", "v": "C", "nested": doc{"list": []interface{}{float64(1), "c"}}}) {
		t.Errorf("get(c) = %v", got)
	}
	if got := getDoc(t, sess, tbl, 10); !reflect.DeepEqual(got, doc{"id": float64(10), "v": "ten"}) {
		t.Errorf("get(10) = %v", got)
	}
	// Number and string keys are distinct; missing keys give null.
	for _, k := range []interface{}{"10", "zz", 11, "A"} {
		if got := getDoc(t, sess, tbl, k); got != nil {
			t.Errorf("get(%#v) = %v, want null", k, got)
		}
	}

	cases := []struct {
		name string
		keys []interface{}
		want []string // sorted "v" values
	}{
		{"several", []interface{}{"a", "c", "e"}, []string{"A", "C", "E"}},
		{"with missing", []interface{}{"b", "nope", "d"}, []string{"B", "D"}},
		{"mixed types", []interface{}{10, "a"}, []string{"A", "ten"}},
		{"single", []interface{}{"e"}, []string{"E"}},
		{"none found", []interface{}{"x", "y"}, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			all := runAll(t, sess, tbl.GetAll(tc.keys...))
			got := []string{}
			for _, d := range all {
				m, _ := d.(map[string]interface{})
				got = append(got, asString(m["v"]))
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("getAll(%v) values = %q, want %q (docs %v)", tc.keys, got, tc.want, all)
			}
		})
	}
}

func TestUpdateReplaceDelete(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv)
	tbl := newTable(t, sess, "docs")
	if _, err := tbl.Insert([]interface{}{
		doc{"id": "a", "v": 1, "keep": "yes"},
		doc{"id": "b", "v": 2},
	}).RunWrite(sess); err != nil {
		t.Fatalf("insert: %v", err)
	}

	steps := []struct {
		name    string
		term    r.Term
		want    map[string]interface{}
		key     interface{}
		wantDoc doc // nil: document must not exist
	}{
		{"update merges", tbl.Get("a").Update(doc{"v": 10, "extra": doc{"x": 1}}),
			writeCounts(0, 0, 0, 1, 0, 0), "a", doc{"id": "a", "v": float64(10), "keep": "yes", "extra": doc{"x": float64(1)}}},
		{"update nested merge", tbl.Get("a").Update(doc{"extra": doc{"y": 2}}),
			writeCounts(0, 0, 0, 1, 0, 0), "a", doc{"id": "a", "v": float64(10), "keep": "yes", "extra": doc{"x": float64(1), "y": float64(2)}}},
		{"update identical", tbl.Get("a").Update(doc{"v": 10}),
			writeCounts(0, 0, 0, 0, 0, 1), "a", doc{"id": "a", "v": float64(10), "keep": "yes", "extra": doc{"x": float64(1), "y": float64(2)}}},
		{"update missing", tbl.Get("zz").Update(doc{"v": 1}),
			writeCounts(0, 0, 0, 0, 1, 0), "zz", nil},
		{"replace", tbl.Get("a").Replace(doc{"id": "a", "w": "new"}),
			writeCounts(0, 0, 0, 1, 0, 0), "a", doc{"id": "a", "w": "new"}},
		{"replace identical", tbl.Get("a").Replace(doc{"id": "a", "w": "new"}),
			writeCounts(0, 0, 0, 0, 0, 1), "a", doc{"id": "a", "w": "new"}},
		{"replace missing inserts", tbl.Get("c").Replace(doc{"id": "c", "v": 3}),
			writeCounts(0, 0, 1, 0, 0, 0), "c", doc{"id": "c", "v": float64(3)}},
		{"delete", tbl.Get("b").Delete(),
			writeCounts(1, 0, 0, 0, 0, 0), "b", nil},
		{"delete again", tbl.Get("b").Delete(),
			writeCounts(0, 0, 0, 0, 1, 0), "b", nil},
		{"delete never existed", tbl.Get(12345).Delete(),
			writeCounts(0, 0, 0, 0, 1, 0), 12345, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res := runMap(t, sess, st.term)
			assertWriteResult(t, st.name, res, st.want)
			got := getDoc(t, sess, tbl, st.key)
			if st.wantDoc == nil {
				if got != nil {
					t.Errorf("after %s get(%v) = %v, want null", st.name, st.key, got)
				}
			} else if !reflect.DeepEqual(got, st.wantDoc) {
				t.Errorf("after %s get(%v) = %v, want %v", st.name, st.key, got, st.wantDoc)
			}
		})
	}
	if n := runCount(t, sess, tbl.Count()); n != 2 {
		t.Errorf("count = %d, want 2 (a, c)", n)
	}

	// The driver's WriteResponse view of the same counters.
	wr, err := tbl.Get("a").Update(doc{"z": 1}).RunWrite(sess)
	if err != nil || wr.Replaced != 1 || wr.Unchanged != 0 || wr.Skipped != 0 {
		t.Errorf("RunWrite update = %+v, %v; want replaced:1", wr, err)
	}
	wr, err = tbl.Get("a").Delete().RunWrite(sess)
	if err != nil || wr.Deleted != 1 {
		t.Errorf("RunWrite delete = %+v, %v; want deleted:1", wr, err)
	}
}

func TestInsertConflict(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv)
	tbl := newTable(t, sess, "conf")
	if _, err := tbl.Insert(doc{"id": "k", "a": 1, "b": 1}).RunWrite(sess); err != nil {
		t.Fatalf("seed insert: %v", err)
	}

	steps := []struct {
		name     string
		term     r.Term
		want     map[string]interface{}
		firstErr bool
		wantDoc  doc
	}{
		{"default is error", tbl.Insert(doc{"id": "k", "a": 2}),
			writeCounts(0, 1, 0, 0, 0, 0), true, doc{"id": "k", "a": float64(1), "b": float64(1)}},
		{"explicit error", tbl.Insert(doc{"id": "k", "a": 2}, r.InsertOpts{Conflict: "error"}),
			writeCounts(0, 1, 0, 0, 0, 0), true, doc{"id": "k", "a": float64(1), "b": float64(1)}},
		{"update merges", tbl.Insert(doc{"id": "k", "a": 2, "c": 3}, r.InsertOpts{Conflict: "update"}),
			writeCounts(0, 0, 0, 1, 0, 0), false, doc{"id": "k", "a": float64(2), "b": float64(1), "c": float64(3)}},
		{"update unchanged", tbl.Insert(doc{"id": "k", "a": 2}, r.InsertOpts{Conflict: "update"}),
			writeCounts(0, 0, 0, 0, 0, 1), false, doc{"id": "k", "a": float64(2), "b": float64(1), "c": float64(3)}},
		{"replace", tbl.Insert(doc{"id": "k", "z": "only"}, r.InsertOpts{Conflict: "replace"}),
			writeCounts(0, 0, 0, 1, 0, 0), false, doc{"id": "k", "z": "only"}},
		{"replace unchanged", tbl.Insert(doc{"id": "k", "z": "only"}, r.InsertOpts{Conflict: "replace"}),
			writeCounts(0, 0, 0, 0, 0, 1), false, doc{"id": "k", "z": "only"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res := runMap(t, sess, st.term)
			if st.firstErr {
				assertWriteResult(t, st.name, res, st.want, "first_error")
				if fe := asString(res["first_error"]); !strings.HasPrefix(fe, "Duplicate primary key `id`:") {
					t.Errorf("first_error = %q, want prefix %q", fe, "Duplicate primary key `id`:")
				}
			} else {
				assertWriteResult(t, st.name, res, st.want)
			}
			if got := getDoc(t, sess, tbl, "k"); !reflect.DeepEqual(got, st.wantDoc) {
				t.Errorf("after %s get(k) = %v, want %v", st.name, got, st.wantDoc)
			}
		})
	}

	// Batch with one conflicting doc: the others are still inserted.
	res := runMap(t, sess, tbl.Insert([]interface{}{doc{"id": "n1"}, doc{"id": "k"}, doc{"id": "n2"}}))
	assertWriteResult(t, "batch with conflict", res, writeCounts(0, 1, 2, 0, 0, 0), "first_error")

	// RunWrite surfaces first_error as the error; the driver recognises it.
	_, err := tbl.Insert(doc{"id": "n1"}).RunWrite(sess)
	if !r.IsConflictErr(err) {
		t.Errorf("RunWrite duplicate insert err = %v, want a conflict error (\"Duplicate primary key ...\")", err)
	}

	// Mixed conflict replace over several docs.
	res = runMap(t, sess, tbl.Insert([]interface{}{doc{"id": "n1", "v": 1}, doc{"id": "n3"}}, r.InsertOpts{Conflict: "replace"}))
	assertWriteResult(t, "batch replace", res, writeCounts(0, 0, 1, 1, 0, 0))

	if n := runCount(t, sess, tbl.Count()); n != 4 {
		t.Errorf("count = %d, want 4 (k, n1, n2, n3)", n)
	}
}

func TestCount(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv)
	tbl := newTable(t, sess, "cnt")

	if n := runCount(t, sess, tbl.Count()); n != 0 {
		t.Errorf("empty count = %d", n)
	}
	want := 0
	for _, batch := range []int{1, 9, 90, 400} {
		docs := make([]interface{}, batch)
		for i := range docs {
			docs[i] = doc{"id": fmt.Sprintf("k%05d", want+i)}
		}
		if _, err := tbl.Insert(docs).RunWrite(sess); err != nil {
			t.Fatalf("insert %d: %v", batch, err)
		}
		want += batch
		if n := runCount(t, sess, tbl.Count()); n != want {
			t.Errorf("count after inserting %d = %d, want %d", batch, n, want)
		}
	}
	if _, err := tbl.Get("k00003").Delete().RunWrite(sess); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if n := runCount(t, sess, tbl.Count()); n != want-1 {
		t.Errorf("count after delete = %d, want %d", n, want-1)
	}
}

// 6. noreply writes, then noreplyWait; all are applied and readable.
//
// RethinkDB does not order queries within a connection, so the noreply
// updates/deletes only touch documents written (and acknowledged) before.
func TestNoReplyWrites(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv)
	tbl := newTable(t, sess, "nr")

	pre := make([]interface{}, 100)
	for i := range pre {
		pre[i] = doc{"id": fmt.Sprintf("u%d", i), "v": i}
	}
	if _, err := tbl.Insert(pre).RunWrite(sess); err != nil {
		t.Fatalf("acknowledged insert: %v", err)
	}

	const n = 500
	for i := 0; i < n; i++ {
		if err := tbl.Insert(doc{"id": i, "v": i}).Exec(sess, r.ExecOpts{NoReply: true}); err != nil {
			t.Fatalf("noreply insert %d: %v", i, err)
		}
	}
	for i := 0; i < 50; i++ {
		if err := tbl.Get(fmt.Sprintf("u%d", i)).Update(doc{"v": -i, "upd": true}).Exec(sess, r.ExecOpts{NoReply: true}); err != nil {
			t.Fatalf("noreply update %d: %v", i, err)
		}
	}
	for i := 90; i < 100; i++ {
		if err := tbl.Get(fmt.Sprintf("u%d", i)).Delete().Exec(sess, r.ExecOpts{NoReply: true}); err != nil {
			t.Fatalf("noreply delete %d: %v", i, err)
		}
	}
	batch := make([]interface{}, 100)
	for i := range batch {
		batch[i] = doc{"id": fmt.Sprintf("b%d", i)}
	}
	if err := tbl.Insert(batch).Exec(sess, r.ExecOpts{NoReply: true}); err != nil {
		t.Fatalf("noreply batch insert: %v", err)
	}
	// A failing noreply query must not poison the connection.
	if err := r.DB("test").Table("missing").Insert(doc{"id": 1}).Exec(sess, r.ExecOpts{NoReply: true}); err != nil {
		t.Fatalf("noreply insert into missing table returned %v (no reply expected)", err)
	}

	if err := sess.NoReplyWait(); err != nil {
		t.Fatalf("NoReplyWait: %v", err)
	}

	const want = 100 - 10 + n + 100
	if got := runCount(t, sess, tbl.Count()); got != want {
		t.Errorf("count after noreplyWait = %d, want %d", got, want)
	}
	for _, i := range []int{0, 7, 49} {
		key := fmt.Sprintf("u%d", i)
		if got := getDoc(t, sess, tbl, key); !reflect.DeepEqual(got, doc{"id": key, "v": float64(-i), "upd": true}) {
			t.Errorf("get(%s) = %v, want the noreply update applied", key, got)
		}
	}
	if got := getDoc(t, sess, tbl, "u95"); got != nil {
		t.Errorf("get(u95) = %v, want deleted by noreply delete", got)
	}
	for _, i := range []int{0, 250, n - 1} {
		if got := getDoc(t, sess, tbl, i); !reflect.DeepEqual(got, doc{"id": float64(i), "v": float64(i)}) {
			t.Errorf("get(%d) = %v, want noreply-inserted doc", i, got)
		}
	}
	if got := getDoc(t, sess, tbl, "b99"); !reflect.DeepEqual(got, doc{"id": "b99"}) {
		t.Errorf("get(b99) = %v", got)
	}

	// NoReplyWait with nothing outstanding returns, and a fresh session sees
	// the same data.
	if err := sess.NoReplyWait(); err != nil {
		t.Errorf("second NoReplyWait: %v", err)
	}
	other := connect(t, srv)
	if got := runCount(t, other, tbl.Count()); got != want {
		t.Errorf("count from another session = %d, want %d", got, want)
	}
	srv.AssertAlive()
}
