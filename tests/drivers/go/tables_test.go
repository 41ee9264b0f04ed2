package drivers_test

import (
	"sort"
	"testing"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

// Issue 5's groups through the official Go driver: secondary indexes,
// reads through them, joins, grouping, writes with conflict functions,
// table administration and the system database.
func TestTablesWithTheGoDriver(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv)
	runOne(t, sess, r.TableCreate("people"))
	runOne(t, sess, r.TableCreate("teams", r.TableCreateOpts{PrimaryKey: "code"}))
	var people []map[string]any
	for i := 0; i < 100; i++ {
		people = append(people, map[string]any{"id": i, "age": i % 10, "team": []string{"red", "blue"}[i%2], "tags": []string{"all", []string{"x", "y", "z"}[i%3]}})
	}
	runOne(t, sess, r.Table("people").Insert(people))
	runOne(t, sess, r.Table("teams").Insert([]map[string]any{{"code": "red", "city": "Oslo"}, {"code": "blue", "city": "Lima"}}))

	t.Run("secondary indexes", func(t *testing.T) {
		runOne(t, sess, r.Table("people").IndexCreate("age"))
		runOne(t, sess, r.Table("people").IndexCreateFunc("tags", func(p r.Term) r.Term { return p.Field("tags") }, r.IndexCreateOpts{Multi: true}))
		runOne(t, sess, r.Table("people").IndexWait())
		if got := runStrings(t, sess, r.Table("people").IndexList()); len(got) != 2 || got[0] != "age" || got[1] != "tags" {
			t.Fatalf("indexList %v", got)
		}
		if n := runCount(t, sess, r.Table("people").GetAllByIndex("age", 3).Count()); n != 10 {
			t.Fatalf("getAll age=3: %d", n)
		}
		if n := runCount(t, sess, r.Table("people").GetAllByIndex("tags", "y").Count()); n != 33 {
			t.Fatalf("getAll tags=y (multi): %d", n)
		}
		if n := runCount(t, sess, r.Table("people").Between(2, 4, r.BetweenOpts{Index: "age"}).Count()); n != 20 {
			t.Fatalf("between 2..4: %d", n)
		}
		top := runAll(t, sess, r.Table("people").OrderBy(r.OrderByOpts{Index: r.Desc("age")}).Limit(3).Field("age"))
		for _, a := range top {
			if a != float64(9) {
				t.Fatalf("orderBy desc age: %v", top)
			}
		}
		err := runErr(t, sess, r.Table("people").IndexCreate("age"))
		assertReqlError[r.RQLOpFailedError](t, "duplicate index", err, "Index `age` already exists on table `test.people`.")
	})

	t.Run("joins and grouping", func(t *testing.T) {
		rows := runAll(t, sess, r.Table("people").GetAll(0, 1).EqJoin("team", r.Table("teams")).Zip().OrderBy("id").Field("city"))
		if len(rows) != 2 || rows[0] != "Oslo" || rows[1] != "Lima" {
			t.Fatalf("eqJoin zip: %v", rows)
		}
		groups := runAll(t, sess, r.Table("people").Group("team").Count().Ungroup().OrderBy("group"))
		if len(groups) != 2 {
			t.Fatalf("groups %v", groups)
		}
		for _, g := range groups {
			if g.(map[string]any)["reduction"] != float64(50) {
				t.Fatalf("group counts %v", groups)
			}
		}
		avg := runOne(t, sess, r.Table("people").Avg("age"))
		if avg != 4.5 {
			t.Fatalf("avg age %v", avg)
		}
	})

	t.Run("writes", func(t *testing.T) {
		res := runMap(t, sess, r.Table("people").Insert(map[string]any{"id": 1, "age": 100}, r.InsertOpts{
			Conflict: func(id, oldDoc, newDoc r.Term) r.Term {
				return oldDoc.Merge(map[string]any{"age": newDoc.Field("age")})
			},
		}))
		if res["replaced"] != float64(1) {
			t.Fatalf("conflict function: %v", res)
		}
		if age := runOne(t, sess, r.Table("people").Get(1).Field("age")); age != float64(100) {
			t.Fatalf("age after conflict function: %v", age)
		}
		res = runMap(t, sess, r.Table("people").Filter(r.Row.Field("age").Eq(0)).Update(map[string]any{"zero": true}))
		if res["replaced"] != float64(10) {
			t.Fatalf("update on filter: %v", res)
		}
		err := runErr(t, sess, r.Table("people").Get(2).Update(map[string]any{"r": r.Random()}))
		assertReqlError[r.RQLQueryLogicError](t, "non-atomic update", err, "Could not prove argument deterministic.  Maybe you want to use the non_atomic flag?")
	})

	t.Run("administration and system tables", func(t *testing.T) {
		cfg := runMap(t, sess, r.Table("teams").Config())
		if cfg["primary_key"] != "code" || cfg["name"] != "teams" {
			t.Fatalf("config %v", cfg)
		}
		st := runMap(t, sess, r.Table("teams").Status())
		if st["status"].(map[string]any)["ready_for_writes"] != true {
			t.Fatalf("status %v", st)
		}
		names := []string{}
		for _, row := range runAll(t, sess, r.DB("rethinkdb").Table("table_config").Field("name")) {
			names = append(names, row.(string))
		}
		sort.Strings(names)
		if len(names) != 2 || names[0] != "people" || names[1] != "teams" {
			t.Fatalf("rethinkdb.table_config names %v", names)
		}
		res := runMap(t, sess, r.DB("rethinkdb").Table("db_config").Insert(map[string]any{"name": "viaSystem"}))
		if res["inserted"] != float64(1) {
			t.Fatalf("db_config insert %v", res)
		}
		found := false
		for _, d := range runStrings(t, sess, r.DBList()) {
			found = found || d == "viaSystem"
		}
		if !found {
			t.Fatal("a database inserted into rethinkdb.db_config does not exist")
		}
	})
}
