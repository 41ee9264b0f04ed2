package drivers_test

import (
	"fmt"
	"reflect"
	"testing"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

// 5a. A graceful restart on the same data dir keeps databases, tables
// (including their primary keys), documents and the server identity.
func TestRestartKeepsData(t *testing.T) {
	dataDir := t.TempDir()
	srv := startServer(t, dataDir)
	sess := connect(t, srv)
	before, err := sess.Server()
	if err != nil {
		t.Fatalf("Server(): %v", err)
	}

	if _, err := r.DBCreate("keep").RunWrite(sess); err != nil {
		t.Fatalf("dbCreate: %v", err)
	}
	if _, err := r.DB("keep").TableCreate("things").RunWrite(sess); err != nil {
		t.Fatalf("tableCreate: %v", err)
	}
	if _, err := r.DB("keep").TableCreate("byname", r.TableCreateOpts{PrimaryKey: "name"}).RunWrite(sess); err != nil {
		t.Fatalf("tableCreate byname: %v", err)
	}
	if _, err := r.DB("keep").TableCreate("gone").RunWrite(sess); err != nil {
		t.Fatalf("tableCreate gone: %v", err)
	}
	if _, err := r.DBCreate("dropped").RunWrite(sess); err != nil {
		t.Fatalf("dbCreate dropped: %v", err)
	}
	things := r.DB("keep").Table("things")
	byname := r.DB("keep").Table("byname")
	fillTable(t, sess, things, 2500)
	ins, err := things.Insert([]interface{}{doc{"gen": 1}, doc{"gen": 2}}).RunWrite(sess)
	if err != nil || len(ins.GeneratedKeys) != 2 {
		t.Fatalf("insert with generated keys: %+v %v", ins, err)
	}
	if _, err := byname.Insert([]interface{}{doc{"name": "x", "v": 1}, doc{"name": "y", "v": 2}}).RunWrite(sess); err != nil {
		t.Fatalf("insert byname: %v", err)
	}
	// Updates, replaces and deletes must survive too.
	if _, err := things.Get(5).Update(doc{"touched": true}).RunWrite(sess); err != nil {
		t.Fatalf("update: %v", err)
	}
	if _, err := things.Get(6).Replace(doc{"id": 6, "replaced": "yes"}).RunWrite(sess); err != nil {
		t.Fatalf("replace: %v", err)
	}
	if _, err := things.Get(7).Delete().RunWrite(sess); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := r.DB("keep").TableDrop("gone").RunWrite(sess); err != nil {
		t.Fatalf("tableDrop: %v", err)
	}
	if _, err := r.DBDrop("dropped").RunWrite(sess); err != nil {
		t.Fatalf("dbDrop: %v", err)
	}
	sess.Close()

	srv.Stop()

	for round := 1; round <= 2; round++ {
		srv2 := startServer(t, dataDir)
		s2 := connect(t, srv2)

		if got := userDBs(runStrings(t, s2, r.DBList())); !reflect.DeepEqual(got, []string{"keep", "test"}) {
			t.Errorf("restart %d: dbList = %q, want [keep test]", round, got)
		}
		if got := runStrings(t, s2, r.DB("keep").TableList()); !reflect.DeepEqual(got, []string{"byname", "things"}) {
			t.Errorf("restart %d: tableList = %q, want [byname things]", round, got)
		}
		if got := runCount(t, s2, things.Count()); got != 2500+2-1 {
			t.Errorf("restart %d: count = %d, want %d", round, got, 2500+2-1)
		}
		if got := getDoc(t, s2, things, 5); !reflect.DeepEqual(got, doc{"id": float64(5), "pad": fmt.Sprintf("row-%06d-%s", 5, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), "touched": true}) {
			t.Errorf("restart %d: get(5) = %v", round, got)
		}
		if got := getDoc(t, s2, things, 6); !reflect.DeepEqual(got, doc{"id": float64(6), "replaced": "yes"}) {
			t.Errorf("restart %d: get(6) = %v", round, got)
		}
		if got := getDoc(t, s2, things, 7); got != nil {
			t.Errorf("restart %d: get(7) = %v, want deleted", round, got)
		}
		if got := getDoc(t, s2, things, ins.GeneratedKeys[1]); !reflect.DeepEqual(got, doc{"id": ins.GeneratedKeys[1], "gen": float64(2)}) {
			t.Errorf("restart %d: get(generated) = %v", round, got)
		}
		if got := getDoc(t, s2, byname, "y"); !reflect.DeepEqual(got, doc{"name": "y", "v": float64(2)}) {
			t.Errorf("restart %d: byname.get(y) = %v (primary key must survive restart)", round, got)
		}
		// The primary key still applies to new writes.
		res := runMap(t, s2, byname.Insert(doc{"name": fmt.Sprintf("r%d", round)}))
		assertWriteResult(t, "insert after restart", res, writeCounts(0, 0, 1, 0, 0, 0))
		if res := runMap(t, s2, byname.Insert(doc{"name": "x"})); res["errors"] != float64(1) {
			t.Errorf("restart %d: duplicate custom key after restart = %v, want errors:1", round, res)
		}
		err := runErr(t, s2, r.DB("dropped").TableList())
		assertReqlError[r.RQLOpFailedError](t, "dropped db after restart", err, "Database `dropped` does not exist.")
		err = runErr(t, s2, r.DB("keep").Table("gone").Count())
		assertReqlError[r.RQLOpFailedError](t, "dropped table after restart", err, "Table `keep.gone` does not exist.")

		after, err := s2.Server()
		if err != nil {
			t.Fatalf("restart %d: Server(): %v", round, err)
		}
		if after.ID != before.ID || after.Name != before.Name {
			t.Errorf("restart %d: Server() = %+v, want the same identity as before %+v (RethinkDB keeps it in the data dir)", round, after, before)
		}
		s2.Close()
		srv2.Stop()
	}
}

// 5b. kill -9 right after acknowledged writes keeps every one of them.
func TestKillAfterAcknowledgedWrites(t *testing.T) {
	dataDir := t.TempDir()
	srv := startServer(t, dataDir)
	sess := connect(t, srv)
	tbl := newTable(t, sess, "acked")

	const n = 1000
	for i := 0; i < n; i++ {
		res, err := tbl.Insert(doc{"id": i, "v": fmt.Sprintf("value-%d", i)}).RunWrite(sess)
		if err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
		if res.Inserted != 1 {
			t.Fatalf("insert %d: %+v", i, res)
		}
	}
	// A few more acknowledged modifications right before the crash.
	if _, err := tbl.Get(0).Update(doc{"v": "updated"}).RunWrite(sess); err != nil {
		t.Fatalf("update: %v", err)
	}
	if _, err := tbl.Get(1).Delete().RunWrite(sess); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := tbl.Insert(doc{"id": 1, "v": "reinserted"}).RunWrite(sess); err != nil {
		t.Fatalf("reinsert: %v", err)
	}

	srv.Kill()

	srv2 := startServer(t, dataDir)
	s2 := connect(t, srv2)
	if got := runCount(t, s2, tbl.Count()); got != n {
		t.Errorf("count after kill -9 = %d, want %d", got, n)
	}
	cur, err := tbl.Run(s2)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	seen := make(map[int]string, n)
	var d struct {
		ID int    `rethinkdb:"id"`
		V  string `rethinkdb:"v"`
	}
	for cur.Next(&d) {
		seen[d.ID] = d.V
	}
	if err := cur.Err(); err != nil {
		t.Fatalf("scan: %v", err)
	}
	missing := 0
	for i := 0; i < n; i++ {
		want := fmt.Sprintf("value-%d", i)
		switch i {
		case 0:
			want = "updated"
		case 1:
			want = "reinserted"
		}
		got, ok := seen[i]
		if !ok {
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged doc %d lost after kill -9", i)
			}
			continue
		}
		if got != want {
			t.Errorf("doc %d after kill -9: v = %q, want %q", i, got, want)
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged docs lost after kill -9", missing, n)
	}

	// The recovered server accepts writes and a clean shutdown.
	if _, err := tbl.Insert(doc{"id": n}).RunWrite(s2); err != nil {
		t.Errorf("insert after recovery: %v", err)
	}
	s2.Close()
	srv2.Stop()
}
