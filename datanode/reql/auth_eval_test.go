package reql_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/datanode/shard"
	"github.com/photondb-io/photondb/datanode/storage"
)

// ddlCounter is a store that counts the schema changes reaching it, as
// catalogsync's router would send them to the control plane.
type ddlCounter struct {
	reql.Store
	n atomic.Int64
}

func (d *ddlCounter) CreateDB(ctx context.Context, cfg reql.DBConfig) (reql.DBConfig, error) {
	d.n.Add(1)
	return d.Store.CreateDB(ctx, cfg)
}

func (d *ddlCounter) DropDB(ctx context.Context, name string) (reql.DBConfig, []reql.TableConfig, error) {
	d.n.Add(1)
	return d.Store.DropDB(ctx, name)
}

func (d *ddlCounter) CreateTable(ctx context.Context, cfg reql.TableConfig) (reql.TableConfig, error) {
	d.n.Add(1)
	return d.Store.CreateTable(ctx, cfg)
}

func (d *ddlCounter) DropTable(ctx context.Context, db, name string) (reql.TableConfig, error) {
	d.n.Add(1)
	return d.Store.DropTable(ctx, db, name)
}

func (d *ddlCounter) CreateIndex(ctx context.Context, db, table string, ix reql.IndexConfig) (reql.IndexConfig, error) {
	d.n.Add(1)
	return d.Store.CreateIndex(ctx, db, table, ix)
}

type authFixture struct {
	t   *testing.T
	env *reql.Env
	ddl *ddlCounter
}

func newAuthFixture(t *testing.T) *authFixture {
	t.Helper()
	eng, err := storage.Open(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	st, err := shard.Open(eng, slog.New(slog.NewTextHandler(io.Discard, nil)), shard.Options{PasswordIterations: 1})
	if err != nil {
		t.Fatal(err)
	}
	ddl := &ddlCounter{Store: st}
	f := &authFixture{t: t, env: &reql.Env{Store: ddl, Users: st, ServerName: "s", ServerID: "id"}, ddl: ddl}
	for _, q := range []string{
		`[57,["mx"]]`, `[60,[[14,["mx"]],"t1"]]`, `[60,[[14,["mx"]],"t2"]]`,
		`[56,[[15,[[14,["mx"]],"t1"]],{"id":1,"v":"a"}]]`,
	} {
		f.admin(q)
	}
	return f
}

// run evaluates a query as user ("" for an internal caller) and returns
// its result as JSON.
func (f *authFixture) run(user, term string) (string, error) {
	q, err := reql.Compile(json.RawMessage(term), nil)
	if err != nil {
		return "", err
	}
	ctx := context.Background()
	if user != "" {
		ctx = reql.WithUser(ctx, user)
	}
	res, err := q.Run(ctx, f.env)
	if err != nil {
		return "", err
	}
	v := res.Datum
	if res.Stream != nil {
		defer res.Stream.Close()
		var all []any
		for {
			d, ok, err := res.Stream.Next(ctx)
			if err != nil {
				return "", err
			}
			if !ok {
				break
			}
			all = append(all, d)
		}
		v = all
	}
	b, err := reql.MarshalJSON(v)
	return string(b), err
}

func (f *authFixture) admin(term string) string {
	f.t.Helper()
	out, err := f.run(reql.AdminUser, term)
	if err != nil {
		f.t.Fatalf("as admin %s: %v", term, err)
	}
	return out
}

const (
	mx  = `[14,["mx"]]`
	t1  = `[15,[[14,["mx"]],"t1"]]`
	t2  = `[15,[[14,["mx"]],"t2"]]`
	sys = `[14,["rethinkdb"]]`
)

func grant(scope, user, perms string) string {
	if scope == "" {
		return `[188,["` + user + `",` + perms + `]]`
	}
	return `[188,[` + scope + `,"` + user + `",` + perms + `]]`
}

func denied(user, perm string) string {
	return "User `" + user + "`does not have the required `" + perm + "` permission."
}

// Each term checks its permission in the evaluator, before any store call
// (a denied DDL never reaches the store, nor the control plane behind it).
func TestEvaluatorPermissions(t *testing.T) {
	f := newAuthFixture(t)
	f.admin(`[56,[[15,[` + sys + `,"users"]],[2,[{"id":"reader","password":"r"},{"id":"writer","password":"w"},{"id":"dbadmin","password":false},{"id":"tconf","password":false},{"id":"nobody","password":false},{"id":"wonly","password":false}]]]]`)
	f.admin(grant(t1, "reader", `{"read":true}`))
	f.admin(grant(mx, "writer", `{"read":true,"write":true}`))
	f.admin(grant(mx, "dbadmin", `{"config":true}`))
	f.admin(grant(t1, "tconf", `{"config":true}`))
	f.admin(grant("", "wonly", `{"write":true}`))
	f.admin(`[56,[[15,[` + sys + `,"users"]],{"id":"rw","password":false}]]`)
	f.admin(grant("", "rw", `{"read":true,"write":true}`))

	tests := []struct {
		name, user, term string
		err              string // "" for success
	}{
		{"table read granted", "reader", `[43,[` + t1 + `]]`, ""},
		{"get granted", "reader", `[16,[` + t1 + `,1]]`, ""},
		{"other table not granted", "reader", `[43,[` + t2 + `]]`, denied("reader", "read")},
		{"read user cannot insert", "reader", `[56,[` + t1 + `,{"id":2}]]`, denied("reader", "write")},
		{"read user cannot point-update", "reader", `[53,[[16,[` + t1 + `,1]],{"v":"b"}]]`, denied("reader", "write")},
		{"write needs read", "wonly", `[56,[` + t1 + `,{"id":3}]]`, denied("wonly", "write")},
		{"write-only point delete says write", "wonly", `[54,[[16,[` + t1 + `,1]]]]`, denied("wonly", "write")},
		{"db write grant inserts", "writer", `[56,[` + t2 + `,{"id":4}]]`, ""},
		{"writer cannot create an index", "writer", `[75,[` + t1 + `,"ix"]]`, denied("writer", "config")},
		{"sync needs write", "reader", `[138,[` + t1 + `]]`, denied("reader", "write")},
		{"sync with write", "writer", `[138,[` + t1 + `]]`, ""},
		{"changes need read", "dbadmin", `[152,[` + t1 + `]]`, denied("dbadmin", "read")},
		{"no permission at all", "nobody", `[43,[` + t1 + `]]`, denied("nobody", "read")},
		{"unknown user has nothing", "ghost", `[43,[` + t1 + `]]`, denied("ghost", "read")},
		{"db config creates tables", "dbadmin", `[60,[` + mx + `,"t3"]]`, ""},
		{"db config drops tables", "dbadmin", `[61,[` + mx + `,"t3"]]`, ""},
		{"db config is not global config", "dbadmin", `[57,["db2"]]`, denied("dbadmin", "config")},
		{"db config cannot read", "dbadmin", `[43,[` + t1 + `]]`, denied("dbadmin", "read")},
		{"table config: index", "tconf", `[75,[` + t1 + `,"ix"]]`, ""},
		{"table config: table.config()", "tconf", `[174,[` + t1 + `]]`, ""},
		{"table config: not the database", "tconf", `[60,[` + mx + `,"t4"]]`, denied("tconf", "config")},
		{"table config: not db.config()", "tconf", `[174,[` + mx + `]]`, denied("tconf", "config")},
		{"table config: cannot drop the database", "tconf", `[58,["mx"]]`, denied("tconf", "config")},
		{"table config: ignore_write_hook needs config", "writer", `[56,[` + t1 + `,{"id":9}],{"ignore_write_hook":true}]`, denied("writer", "config")},
		{"r.http needs connect", "writer", `[153,["http://127.0.0.1:1/"]]`, denied("writer", "connect")},
		{"system tables need read there", "reader", `[15,[` + sys + `,"users"]]`, denied("reader", "read")},
		{"grant needs the permissions table", "writer", grant("", "reader", `{"read":true}`), denied("writer", "read")},
		// RethinkDB 2.4: the rethinkdb database is a database like any
		// other; global read and write reach its tables (and grants).
		// The system database is the admin's alone, whatever the grants
		// (issue #8; RethinkDB 2.4 would let global read+write in).
		{"global read+write cannot read system tables", "rw", `[15,[` + sys + `,"users"]]`, denied("rw", "read")},
		{"global read+write cannot grant", "rw", grant(t2, "reader", `{"read":true}`), denied("rw", "read")},
		{"db_config insert is the admin's", "rw", `[56,[[15,[` + sys + `,"db_config"]],{"name":"viasys"}]]`, denied("rw", "read")},
		{"table_config delete is the admin's", "rw", `[54,[[15,[` + sys + `,"table_config"]]]]`, denied("rw", "read")},
		{"system writes need write", "reader", `[56,[[15,[` + sys + `,"users"]],{"id":"x","password":false}]]`, denied("reader", "read")},
		{"nobody grants admin", "writer", grant("", "admin", `{"read":false}`), "The permissions of the user `admin` can't be modified."},
		{"connect only globally", reql.AdminUser, grant(mx, "reader", `{"connect":true}`), "The `connect` permission is only valid at the global scope."},
		{"grant to a missing user", reql.AdminUser, grant("", "ghost", `{"read":true}`), "User `ghost` not found."},
		{"grant a bad value", reql.AdminUser, grant("", "reader", `{"read":"yes"}`), "Expected a boolean or null for `read`, got \"yes\"."},
		{"grant unknown keys", reql.AdminUser, grant("", "reader", `{"read":true,"fly":true}`), "Unexpected key(s) `fly`."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.ddl.n.Load()
			_, err := f.run(tt.user, tt.term)
			if tt.err == "" {
				if err != nil {
					t.Fatalf("%s: %v", tt.term, err)
				}
				return
			}
			if err == nil || err.Error() != tt.err {
				t.Fatalf("%s: error %v, want %q", tt.term, err, tt.err)
			}
			var e *reql.Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not a ReQL error", err)
			}
			if strings.Contains(tt.err, "does not have the required") {
				if e.Type != reql.ErrPermission {
					t.Fatalf("error type %d, want PERMISSION_ERROR", e.Type)
				}
				if f.ddl.n.Load() != before {
					t.Fatal("a denied query reached the store's schema changes")
				}
			}
		})
	}
}

// GRANT's answer and the permissions table, in RethinkDB's shapes; drops
// take their permissions with them.
func TestGrantAndPermissionsTable(t *testing.T) {
	f := newAuthFixture(t)
	f.admin(`[56,[[15,[` + sys + `,"users"]],{"id":"bob","password":"pw"}]]`)
	tests := []struct{ term, want string }{
		{grant("", "bob", `{"read":true}`), `{"granted":1,"permissions_changes":[{"new_val":{"read":true},"old_val":null}]}`},
		{grant("", "bob", `{"write":false,"connect":true}`), `{"granted":1,"permissions_changes":[{"new_val":{"connect":true,"read":true,"write":false},"old_val":{"read":true}}]}`},
		{grant(mx, "bob", `{"config":true}`), `{"granted":1,"permissions_changes":[{"new_val":{"config":true},"old_val":null}]}`},
		{grant(t1, "bob", `{"read":false}`), `{"granted":1,"permissions_changes":[{"new_val":{"read":false},"old_val":null}]}`},
		{grant(t2, "bob", `{"read":null}`), `{"granted":1,"permissions_changes":[{"new_val":null,"old_val":null}]}`},
	}
	for _, tt := range tests {
		if got := f.admin(tt.term); got != tt.want {
			t.Fatalf("%s:\n got %s\nwant %s", tt.term, got, tt.want)
		}
	}
	dbID := mustString(t, f.admin(`[170,[[174,[`+mx+`]],"id"]]`))
	t1ID := mustString(t, f.admin(`[170,[[174,[`+t1+`]],"id"]]`))
	rows := f.admin(`[15,[` + sys + `,"permissions"]]`)
	want := `[{"id":["admin"],"permissions":{"config":true,"connect":true,"read":true,"write":true}},` +
		`{"id":["bob"],"permissions":{"connect":true,"read":true,"write":false}},` +
		`{"database":"mx","id":["bob","` + dbID + `"],"permissions":{"config":true}},` +
		`{"database":"mx","id":["bob","` + dbID + `","` + t1ID + `"],"permissions":{"read":false},"table":"t1"}]`
	if rows != want {
		t.Fatalf("permissions table:\n got %s\nwant %s", rows, want)
	}
	// Writing the table merges, deleting removes a scope.
	if got := f.admin(`[53,[[16,[[15,[` + sys + `,"permissions"]],[2,["bob","` + dbID + `"]]]],{"permissions":{"read":true}}]]`); !strings.Contains(got, `"replaced":1`) {
		t.Fatalf("update permissions row: %s", got)
	}
	if got := f.admin(`[54,[[16,[[15,[` + sys + `,"permissions"]],[2,["bob","` + dbID + `","` + t1ID + `"]]]]]]`); !strings.Contains(got, `"deleted":1`) {
		t.Fatalf("delete permissions row: %s", got)
	}
	if _, err := f.run("bob", `[43,[`+t1+`]]`); err != nil {
		t.Fatalf("bob reads t1 through the database grant: %v", err)
	}
	// Dropping the database removes its scope's rows.
	f.admin(`[58,["mx"]]`)
	if rows := f.admin(`[15,[` + sys + `,"permissions"]]`); strings.Contains(rows, dbID) {
		t.Fatalf("permissions of a dropped database remain: %s", rows)
	}
}

func mustString(t *testing.T, js string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return s
}

// The users table shows whether a password is set, never the password;
// RethinkDB's rules and messages for its writes.
func TestUsersTable(t *testing.T) {
	f := newAuthFixture(t)
	users := `[15,[` + sys + `,"users"]]`
	tests := []struct{ term, want string }{
		{`[56,[` + users + `,{"id":"bob","password":"secret"}]]`, `"inserted":1`},
		{`[56,[` + users + `,{"id":"eve","password":false}]]`, `"inserted":1`},
		{users, `[{"id":"admin","password":false},{"id":"bob","password":true},{"id":"eve","password":false}]`},
		{`[53,[[16,[` + users + `,"bob"]],{"password":"other"}]]`, `"replaced":1`},
		{`[53,[[16,[` + users + `,"bob"]],{"password":true}]]`, `"unchanged":1`},
		{`[53,[[16,[` + users + `,"eve"]],{"password":true}]]`, "Expected an object or string to set the password, or `false` to keep it unset, got true."},
		{`[53,[[16,[` + users + `,"bob"]],{"admin":true}]]`, "Unexpected key(s) `admin`."},
		{`[56,[` + users + `,{"password":"x"}]]`, `Expected a username as the primary key, got \"`},
		{`[54,[[16,[` + users + `,"admin"]]]]`, "The user `admin` can't be deleted."},
		{`[53,[[16,[` + users + `,"admin"]],{"password":"adminpw"}]]`, `"replaced":1`},
		{`[54,[[16,[` + users + `,"eve"]]]]`, `"deleted":1`},
		{users, `[{"id":"admin","password":true},{"id":"bob","password":true}]`},
	}
	for _, tt := range tests {
		got := f.admin(tt.term)
		if !strings.Contains(got, tt.want) {
			t.Fatalf("%s:\n got %s\nwant it to contain %s", tt.term, got, tt.want)
		}
		if strings.Contains(got, "secret") || strings.Contains(got, "other") || strings.Contains(got, "adminpw") {
			t.Fatalf("%s: the answer shows a password: %s", tt.term, got)
		}
	}
}
