package drivers_test

import (
	"reflect"
	"strings"
	"testing"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

// 2. db and table create/list/drop, duplicate/missing errors, custom primary key.

func TestFreshDataDirHasTestDB(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv)
	got := runStrings(t, sess, r.DBList())
	t.Logf("dbList on a fresh data dir: %q", got)
	if !reflect.DeepEqual(got, []string{"rethinkdb", "test"}) && !reflect.DeepEqual(got, []string{"test"}) {
		t.Errorf("dbList on a fresh data dir = %q, want [\"rethinkdb\" \"test\"] or [\"test\"]", got)
	}
	if got := runStrings(t, sess, r.DB("test").TableList()); len(got) != 0 {
		t.Errorf("test.tableList on a fresh data dir = %q, want []", got)
	}
}

// userDBs drops the system database from a dbList result.
func userDBs(dbs []string) []string {
	out := []string{}
	for _, d := range dbs {
		if d != "rethinkdb" {
			out = append(out, d)
		}
	}
	return out
}

func TestDatabaseLifecycle(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv)

	// dbCreate result shape.
	res := runMap(t, sess, r.DBCreate("alpha"))
	assertKeys(t, "dbCreate", res, "dbs_created", "config_changes")
	if res["dbs_created"] != float64(1) {
		t.Errorf("dbCreate dbs_created = %v, want 1", res["dbs_created"])
	}
	changes, _ := res["config_changes"].([]interface{})
	var alphaID string
	if len(changes) != 1 {
		t.Fatalf("dbCreate config_changes = %v, want one entry", res["config_changes"])
	}
	ch, _ := changes[0].(map[string]interface{})
	assertKeys(t, "dbCreate config_changes[0]", ch, "old_val", "new_val")
	if ch["old_val"] != nil {
		t.Errorf("dbCreate old_val = %v, want null", ch["old_val"])
	}
	nv, _ := ch["new_val"].(map[string]interface{})
	assertKeys(t, "dbCreate new_val", nv, "id", "name")
	if nv["name"] != "alpha" {
		t.Errorf("dbCreate new_val.name = %v, want alpha", nv["name"])
	}
	alphaID, _ = nv["id"].(string)
	if !uuidRE.MatchString(alphaID) {
		t.Errorf("dbCreate new_val.id = %v, want a UUID", nv["id"])
	}

	if _, err := r.DBCreate("beta").RunWrite(sess); err != nil {
		t.Fatalf("dbCreate beta: %v", err)
	}

	// dbList is sorted and contains the new databases.
	if got := userDBs(runStrings(t, sess, r.DBList())); !reflect.DeepEqual(got, []string{"alpha", "beta", "test"}) {
		t.Errorf("dbList = %q, want [alpha beta test] (plus rethinkdb)", got)
	}

	errCases := []struct {
		name string
		term r.Term
		msg  string
	}{
		{"create duplicate", r.DBCreate("alpha"), "Database `alpha` already exists."},
		{"create duplicate test", r.DBCreate("test"), "Database `test` already exists."},
		{"drop missing", r.DBDrop("nope"), "Database `nope` does not exist."},
		{"tableCreate in missing db", r.DB("nope").TableCreate("t"), "Database `nope` does not exist."},
		{"tableList of missing db", r.DB("nope").TableList(), "Database `nope` does not exist."},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			err := runErr(t, sess, tc.term)
			assertReqlError[r.RQLOpFailedError](t, tc.name, err, tc.msg)
		})
	}

	// dbDrop with tables inside reports them.
	for _, tbl := range []string{"t1", "t2"} {
		if _, err := r.DB("beta").TableCreate(tbl).RunWrite(sess); err != nil {
			t.Fatalf("tableCreate beta.%s: %v", tbl, err)
		}
	}
	drop := runMap(t, sess, r.DBDrop("beta"))
	assertKeys(t, "dbDrop", drop, "dbs_dropped", "tables_dropped", "config_changes")
	if drop["dbs_dropped"] != float64(1) || drop["tables_dropped"] != float64(2) {
		t.Errorf("dbDrop beta = %v, want dbs_dropped:1 tables_dropped:2", drop)
	}
	if dc, _ := drop["config_changes"].([]interface{}); len(dc) != 1 {
		t.Errorf("dbDrop config_changes = %v, want one entry", drop["config_changes"])
	} else {
		c, _ := dc[0].(map[string]interface{})
		assertKeys(t, "dbDrop config_changes[0]", c, "old_val", "new_val")
		ov, _ := c["old_val"].(map[string]interface{})
		if c["new_val"] != nil || ov["name"] != "beta" || !uuidRE.MatchString(asString(ov["id"])) {
			t.Errorf("dbDrop config_changes[0] = %v, want old_val {id,name:beta}, new_val null", c)
		}
		assertKeys(t, "dbDrop old_val", ov, "id", "name")
	}

	// Drop of an empty database.
	drop = runMap(t, sess, r.DBDrop("alpha"))
	if drop["dbs_dropped"] != float64(1) || drop["tables_dropped"] != float64(0) {
		t.Errorf("dbDrop alpha = %v, want dbs_dropped:1 tables_dropped:0", drop)
	}
	if dc, _ := drop["config_changes"].([]interface{}); len(dc) == 1 {
		ov, _ := dc[0].(map[string]interface{})["old_val"].(map[string]interface{})
		if ov["id"] != alphaID {
			t.Errorf("dbDrop alpha old_val.id = %v, want the id from dbCreate %s", ov["id"], alphaID)
		}
	}

	if got := userDBs(runStrings(t, sess, r.DBList())); !reflect.DeepEqual(got, []string{"test"}) {
		t.Errorf("dbList after drops = %q, want [test]", got)
	}
	err := runErr(t, sess, r.DBDrop("alpha"))
	assertReqlError[r.RQLOpFailedError](t, "drop dropped db", err, "Database `alpha` does not exist.")
	err = runErr(t, sess, r.DB("beta").Table("t1").Count())
	assertReqlError[r.RQLOpFailedError](t, "table of dropped db", err, "Database `beta` does not exist.")

	// The name is free again.
	if _, err := r.DBCreate("alpha").RunWrite(sess); err != nil {
		t.Errorf("re-creating dropped db: %v", err)
	}
	srv.AssertAlive()
}

func asString(v interface{}) string {
	s, _ := v.(string)
	return s
}

// assertTableConfig checks the config object RethinkDB reports in
// tableCreate/tableDrop config_changes.
func assertTableConfig(t *testing.T, what string, cfg map[string]interface{}, db, name, pk, serverName string) {
	t.Helper()
	assertKeys(t, what, cfg, "db", "durability", "id", "indexes", "name", "primary_key", "shards", "write_acks")
	if cfg["db"] != db || cfg["name"] != name || cfg["primary_key"] != pk {
		t.Errorf("%s: db/name/primary_key = %v/%v/%v, want %s/%s/%s", what, cfg["db"], cfg["name"], cfg["primary_key"], db, name, pk)
	}
	if cfg["durability"] != "hard" || cfg["write_acks"] != "majority" {
		t.Errorf("%s: durability/write_acks = %v/%v, want hard/majority", what, cfg["durability"], cfg["write_acks"])
	}
	if !uuidRE.MatchString(asString(cfg["id"])) {
		t.Errorf("%s: id = %v, want a UUID", what, cfg["id"])
	}
	if idx, ok := cfg["indexes"].([]interface{}); !ok || len(idx) != 0 {
		t.Errorf("%s: indexes = %#v, want []", what, cfg["indexes"])
	}
	shards, _ := cfg["shards"].([]interface{})
	if len(shards) != 1 {
		t.Fatalf("%s: shards = %v, want one shard", what, cfg["shards"])
	}
	shard, _ := shards[0].(map[string]interface{})
	assertKeys(t, what+" shards[0]", shard, "primary_replica", "replicas", "nonvoting_replicas")
	if shard["primary_replica"] != serverName {
		t.Errorf("%s: primary_replica = %v, want the server name %q", what, shard["primary_replica"], serverName)
	}
	if reps, _ := shard["replicas"].([]interface{}); !reflect.DeepEqual(reps, []interface{}{serverName}) {
		t.Errorf("%s: replicas = %#v, want [%q]", what, shard["replicas"], serverName)
	}
	if nv, ok := shard["nonvoting_replicas"].([]interface{}); !ok || len(nv) != 0 {
		t.Errorf("%s: nonvoting_replicas = %#v, want []", what, shard["nonvoting_replicas"])
	}
}

func TestTableLifecycle(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv)
	info, err := sess.Server()
	if err != nil {
		t.Fatalf("Server(): %v", err)
	}
	if _, err := r.DBCreate("app").RunWrite(sess); err != nil {
		t.Fatalf("dbCreate: %v", err)
	}

	res := runMap(t, sess, r.DB("app").TableCreate("users"))
	assertKeys(t, "tableCreate", res, "tables_created", "config_changes")
	if res["tables_created"] != float64(1) {
		t.Errorf("tableCreate tables_created = %v, want 1", res["tables_created"])
	}
	changes, _ := res["config_changes"].([]interface{})
	if len(changes) != 1 {
		t.Fatalf("tableCreate config_changes = %v, want one entry", res["config_changes"])
	}
	ch, _ := changes[0].(map[string]interface{})
	assertKeys(t, "tableCreate config_changes[0]", ch, "old_val", "new_val")
	if ch["old_val"] != nil {
		t.Errorf("tableCreate old_val = %v, want null", ch["old_val"])
	}
	created, _ := ch["new_val"].(map[string]interface{})
	assertTableConfig(t, "tableCreate new_val", created, "app", "users", "id", info.Name)

	for _, name := range []string{"orders", "audit"} {
		if _, err := r.DB("app").TableCreate(name).RunWrite(sess); err != nil {
			t.Fatalf("tableCreate %s: %v", name, err)
		}
	}
	if got := runStrings(t, sess, r.DB("app").TableList()); !reflect.DeepEqual(got, []string{"audit", "orders", "users"}) {
		t.Errorf("tableList = %q, want [audit orders users]", got)
	}
	// Tables are per database.
	if got := runStrings(t, sess, r.DB("test").TableList()); len(got) != 0 {
		t.Errorf("test.tableList = %q, want []", got)
	}

	errCases := []struct {
		name string
		term r.Term
		msg  string
	}{
		{"create duplicate", r.DB("app").TableCreate("users"), "Table `app.users` already exists."},
		{"drop missing", r.DB("app").TableDrop("nope"), "Table `app.nope` does not exist."},
		{"read missing", r.DB("app").Table("nope").Count(), "Table `app.nope` does not exist."},
		{"get on missing", r.DB("app").Table("nope").Get("x"), "Table `app.nope` does not exist."},
		{"insert into missing", r.DB("app").Table("nope").Insert(map[string]interface{}{"a": 1}), "Table `app.nope` does not exist."},
		{"drop in missing db", r.DB("nodb").TableDrop("users"), "Database `nodb` does not exist."},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			err := runErr(t, sess, tc.term)
			assertReqlError[r.RQLOpFailedError](t, tc.name, err, tc.msg)
		})
	}

	drop := runMap(t, sess, r.DB("app").TableDrop("orders"))
	assertKeys(t, "tableDrop", drop, "tables_dropped", "config_changes")
	if drop["tables_dropped"] != float64(1) {
		t.Errorf("tableDrop tables_dropped = %v, want 1", drop["tables_dropped"])
	}
	if dc, _ := drop["config_changes"].([]interface{}); len(dc) != 1 {
		t.Errorf("tableDrop config_changes = %v, want one entry", drop["config_changes"])
	} else {
		c, _ := dc[0].(map[string]interface{})
		assertKeys(t, "tableDrop config_changes[0]", c, "old_val", "new_val")
		if c["new_val"] != nil {
			t.Errorf("tableDrop new_val = %v, want null", c["new_val"])
		}
		ov, _ := c["old_val"].(map[string]interface{})
		assertTableConfig(t, "tableDrop old_val", ov, "app", "orders", "id", info.Name)
	}
	if got := runStrings(t, sess, r.DB("app").TableList()); !reflect.DeepEqual(got, []string{"audit", "users"}) {
		t.Errorf("tableList after drop = %q, want [audit users]", got)
	}
	err = runErr(t, sess, r.DB("app").Table("orders").Count())
	assertReqlError[r.RQLOpFailedError](t, "read dropped table", err, "Table `app.orders` does not exist.")

	// Re-created table is empty and has a new id.
	recreated := runMap(t, sess, r.DB("app").TableCreate("orders"))
	if rc, _ := recreated["config_changes"].([]interface{}); len(rc) == 1 {
		nv, _ := rc[0].(map[string]interface{})["new_val"].(map[string]interface{})
		if nv["id"] == created["id"] {
			t.Errorf("re-created table reuses id %v of another table", nv["id"])
		}
	}
	if got := runCount(t, sess, r.DB("app").Table("orders").Count()); got != 0 {
		t.Errorf("re-created table count = %d, want 0", got)
	}
	srv.AssertAlive()
}

func TestDefaultDatabase(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv)

	// Without a db the server uses "test", as RethinkDB does.
	if _, err := r.TableCreate("dflt").RunWrite(sess); err != nil {
		t.Fatalf("tableCreate without db: %v", err)
	}
	if got := runStrings(t, sess, r.DB("test").TableList()); !reflect.DeepEqual(got, []string{"dflt"}) {
		t.Errorf("test.tableList = %q, want [dflt]", got)
	}
	if _, err := r.Table("dflt").Insert(map[string]interface{}{"id": 1}).RunWrite(sess); err != nil {
		t.Fatalf("insert without db: %v", err)
	}
	if got := runCount(t, sess, r.DB("test").Table("dflt").Count()); got != 1 {
		t.Errorf("count = %d, want 1", got)
	}

	// ConnectOpts.Database becomes the query's db optarg.
	if _, err := r.DBCreate("other").RunWrite(sess); err != nil {
		t.Fatalf("dbCreate: %v", err)
	}
	if _, err := r.DB("other").TableCreate("dflt").RunWrite(sess); err != nil {
		t.Fatalf("tableCreate other.dflt: %v", err)
	}
	s2 := connect(t, srv, func(o *r.ConnectOpts) { o.Database = "other" })
	if got := runCount(t, s2, r.Table("dflt").Count()); got != 0 {
		t.Errorf("count via Database=other = %d, want 0 (other.dflt is empty)", got)
	}
	if got := runCount(t, sess, r.Table("dflt").Count()); got != 1 {
		t.Errorf("count via default db = %d, want 1", got)
	}
	// Note: RunOpts{DB: ...} is not usable with rethinkdb-go v6.2.2: RunOpts
	// has two fields tagged "db" (DB and the deprecated Db), so the driver's
	// encoder drops both and sends no db optarg at all.
	err := runErr(t, s2, r.TableCreate("dflt"))
	assertReqlError[r.RQLOpFailedError](t, "duplicate in default db", err, "Table `other.dflt` already exists.")
}

func TestCustomPrimaryKey(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv)
	info, err := sess.Server()
	if err != nil {
		t.Fatalf("Server(): %v", err)
	}

	res := runMap(t, sess, r.DB("test").TableCreate("people", r.TableCreateOpts{PrimaryKey: "email"}))
	if changes, _ := res["config_changes"].([]interface{}); len(changes) != 1 {
		t.Fatalf("tableCreate config_changes = %v", res["config_changes"])
	} else {
		nv, _ := changes[0].(map[string]interface{})["new_val"].(map[string]interface{})
		assertTableConfig(t, "tableCreate(primaryKey=email)", nv, "test", "people", "email", info.Name)
	}
	people := r.DB("test").Table("people")

	ins := runMap(t, sess, people.Insert([]interface{}{
		map[string]interface{}{"email": "ann@example.com", "name": "Ann"},
		map[string]interface{}{"email": "bob@example.com", "name": "Bob", "id": "not-the-key"},
	}))
	assertWriteResult(t, "insert with custom keys", ins, writeCounts(0, 0, 2, 0, 0, 0))

	got := runMap(t, sess, people.Get("bob@example.com"))
	want := map[string]interface{}{"email": "bob@example.com", "name": "Bob", "id": "not-the-key"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("get(bob) = %v, want %v", got, want)
	}
	cur, err := people.Get("not-the-key").Run(sess)
	if err != nil {
		t.Fatalf("get by non-key: %v", err)
	}
	if !cur.IsNil() {
		var v interface{}
		_ = cur.One(&v)
		t.Errorf("get(\"not-the-key\") = %v, want null (id is not the primary key)", v)
	}
	cur.Close()

	// A doc without the key gets a generated UUID in the custom key field.
	gen := runMap(t, sess, people.Insert(map[string]interface{}{"name": "Anon"}))
	assertWriteResult(t, "insert without custom key", gen, writeCounts(0, 0, 1, 0, 0, 0), "generated_keys")
	keys, _ := gen["generated_keys"].([]interface{})
	if len(keys) != 1 || !uuidRE.MatchString(asString(keys[0])) {
		t.Fatalf("generated_keys = %v, want one UUID", gen["generated_keys"])
	}
	doc := runMap(t, sess, people.Get(keys[0]))
	if !reflect.DeepEqual(doc, map[string]interface{}{"email": keys[0], "name": "Anon"}) {
		t.Errorf("get(generated) = %v, want {email:%v name:Anon}", doc, keys[0])
	}

	dup := runMap(t, sess, people.Insert(map[string]interface{}{"email": "ann@example.com", "name": "Other"}))
	assertWriteResult(t, "duplicate custom key", dup, writeCounts(0, 1, 0, 0, 0, 0), "first_error")
	if fe := asString(dup["first_error"]); !strings.HasPrefix(fe, "Duplicate primary key `email`:") {
		t.Errorf("first_error = %q, want prefix %q", fe, "Duplicate primary key `email`:")
	}

	upd := runMap(t, sess, people.Get("ann@example.com").Update(map[string]interface{}{"age": 30}))
	assertWriteResult(t, "update by custom key", upd, writeCounts(0, 0, 0, 1, 0, 0))
	del := runMap(t, sess, people.Get("bob@example.com").Delete())
	assertWriteResult(t, "delete by custom key", del, writeCounts(1, 0, 0, 0, 0, 0))

	all := runAll(t, sess, people.GetAll("ann@example.com", "bob@example.com"))
	if len(all) != 1 || !reflect.DeepEqual(all[0], map[string]interface{}{"email": "ann@example.com", "name": "Ann", "age": float64(30)}) {
		t.Errorf("getAll(ann, bob) = %v, want only updated ann", all)
	}
	if n := runCount(t, sess, people.Count()); n != 2 {
		t.Errorf("count = %d, want 2", n)
	}
}
