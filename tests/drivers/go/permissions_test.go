package drivers_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

// deniedMsg is RethinkDB's permission error (permission_error.hpp), its
// missing space included.
func deniedMsg(user, perm string) string {
	return "User `" + user + "`does not have the required `" + perm + "` permission."
}

// dialUser connects as user with password.
func dialUser(s *server, user, password string) (*r.Session, error) {
	opts := s.connectOpts()
	opts.Username, opts.Password = user, password
	return dial(opts)
}

// assertPermissionError checks that err is the server's PERMISSION_ERROR
// (the Go driver has no type of its own for it: a plain RQLRuntimeError,
// none of the typed subclasses) with RethinkDB's message.
func assertPermissionError(t *testing.T, what string, err error, user, perm string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: allowed, want %q", what, deniedMsg(user, perm))
		return
	}
	if _, ok := err.(r.RQLRuntimeError); !ok {
		t.Errorf("%s: error %v has type %T, want rethinkdb.RQLRuntimeError (PERMISSION_ERROR)", what, err, err)
	}
	if !strings.HasPrefix(err.Error(), "rethinkdb: "+deniedMsg(user, perm)+" in:") {
		t.Errorf("%s: error %q, want %q", what, err, deniedMsg(user, perm))
	}
}

// run runs term and reads its whole result.
func run(sess *r.Session, term r.Term) error {
	cur, err := term.Run(sess)
	if err != nil {
		return err
	}
	defer cur.Close()
	var all []interface{}
	return cur.All(&all)
}

// Each permission at each scope, against operations that need each
// permission at each scope (RethinkDB's override rules; write needs read).
func TestPermissionMatrix(t *testing.T) {
	srv := startServer(t, t.TempDir())
	admin := connect(t, srv)
	for _, q := range []r.Term{
		r.DBCreate("mx"), r.DB("mx").TableCreate("t1"), r.DB("mx").TableCreate("t2"),
		r.DBCreate("other"), r.DB("other").TableCreate("o"),
		r.DB("mx").Table("t1").Insert(map[string]interface{}{"id": 1}),
	} {
		if err := run(admin, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t1 := r.DB("mx").Table("t1")
	scopes := map[string]func(user string, perms map[string]interface{}) r.Term{
		"global": func(u string, p map[string]interface{}) r.Term { return r.Grant(u, p) },
		"db":     func(u string, p map[string]interface{}) r.Term { return r.DB("mx").Grant(u, p) },
		"table":  func(u string, p map[string]interface{}) r.Term { return t1.Grant(u, p) },
	}
	// reach: which targets a grant at a scope covers.
	reach := map[string]map[string]bool{
		// The system database is the admin's alone: no grant reaches "sys".
		"global": {"t1": true, "t2": true, "mx": true, "other": true, "global": true},
		"db":     {"t1": true, "t2": true, "mx": true},
		"table":  {"t1": true},
	}
	n := 0
	ops := []struct {
		name, perm, target string
		term               func() r.Term
		failsAnyway        bool // allowed, it still fails (but not for permissions)
	}{
		{"get", "read", "t1", func() r.Term { return t1.Get(1) }, false},
		{"count t2", "read", "t2", func() r.Term { return r.DB("mx").Table("t2").Count() }, false},
		{"other database", "read", "other", func() r.Term { return r.DB("other").Table("o").Count() }, false},
		{"system table", "read", "sys", func() r.Term { return r.DB("rethinkdb").Table("users") }, false},
		{"insert", "write", "t1", func() r.Term { n++; return t1.Insert(map[string]interface{}{"id": fmt.Sprint("i", n)}) }, false},
		{"point delete of a missing row", "write", "t1", func() r.Term { return t1.Get("missing").Delete() }, false},
		{"index create", "config", "t1", func() r.Term { n++; return t1.IndexCreate(fmt.Sprint("ix", n)) }, false},
		{"table create", "config", "mx", func() r.Term { n++; return r.DB("mx").TableCreate(fmt.Sprint("tc", n)) }, false},
		{"db create", "config", "global", func() r.Term { n++; return r.DBCreate(fmt.Sprint("dc", n)) }, false},
		// Nothing listens on port 1: allowed, the request itself fails.
		{"r.http", "connect", "global", func() r.Term { return r.HTTP("http://127.0.0.1:1/", r.HTTPOpts{Timeout: 2}) }, true},
	}
	for _, flag := range []string{"read", "write", "config", "connect"} {
		for _, scope := range []string{"global", "db", "table"} {
			if flag == "connect" && scope != "global" {
				continue
			}
			user := fmt.Sprintf("%s_%s", flag, scope)
			t.Run(user, func(t *testing.T) {
				if err := run(admin, r.DB("rethinkdb").Table("users").Insert(map[string]interface{}{"id": user, "password": "pw"})); err != nil {
					t.Fatal(err)
				}
				perms := map[string]interface{}{flag: true}
				if flag == "write" {
					perms["read"] = true // write alone is useless: writes need read
				}
				if err := run(admin, scopes[scope](user, perms)); err != nil {
					t.Fatal(err)
				}
				sess, err := dialUser(srv, user, "pw")
				if err != nil {
					t.Fatalf("login: %v", err)
				}
				defer sess.Close()
				for _, op := range ops {
					has := reach[scope][op.target] && (flag == op.perm || flag == "write" && op.perm == "read")
					if op.perm == "connect" {
						has = flag == "connect"
					}
					err := run(sess, op.term())
					if has {
						if err != nil && (!op.failsAnyway || strings.Contains(err.Error(), "does not have the required")) {
							t.Errorf("%s: %v, want it allowed", op.name, err)
						}
						continue
					}
					assertPermissionError(t, op.name, err, user, op.perm)
				}
			})
		}
	}
	// connect is global only, as RethinkDB says.
	err := run(admin, t1.Grant("read_global", map[string]interface{}{"connect": true}))
	if err == nil || !strings.Contains(err.Error(), "The `connect` permission is only valid at the global scope.") {
		t.Fatalf("connect on a table: %v", err)
	}
}

// rethinkdb.users never shows a password; logins use the new users at once,
// and an unknown user gets the same answer as a wrong password.
func TestUsersTable(t *testing.T) {
	srv := startServer(t, t.TempDir())
	admin := connect(t, srv)
	users := r.DB("rethinkdb").Table("users")
	if err := run(admin, users.Insert([]interface{}{
		map[string]interface{}{"id": "bob", "password": "secret"},
		map[string]interface{}{"id": "eve", "password": false},
	})); err != nil {
		t.Fatal(err)
	}
	rows := runAll(t, admin, users.OrderBy("id"))
	want := []interface{}{
		map[string]interface{}{"id": "admin", "password": false},
		map[string]interface{}{"id": "bob", "password": true},
		map[string]interface{}{"id": "eve", "password": false},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("users: %v, want %v", rows, want)
	}
	bob, err := dialUser(srv, "bob", "secret")
	if err != nil {
		t.Fatalf("bob: %v", err)
	}
	bob.Close()
	var msgs []string
	for _, c := range []struct{ user, password string }{{"bob", "wrong"}, {"nobody", "wrong"}} {
		_, err := dialUser(srv, c.user, c.password)
		var authErr r.RQLAuthError
		if !errors.As(err, &authErr) {
			t.Fatalf("%s: %v (%T), want RQLAuthError", c.user, err, err)
		}
		msgs = append(msgs, err.Error())
	}
	if msgs[0] != msgs[1] || !strings.Contains(msgs[0], "Wrong password") {
		t.Fatalf("wrong password %q and unknown user %q must read the same", msgs[0], msgs[1])
	}
}

// Failing logins from one address are refused for a while after ten in a
// minute, even with the right password; other servers' clients are not
// affected.
func TestBruteForceLockout(t *testing.T) {
	srv := startServer(t, t.TempDir())
	start := time.Now()
	if _, err := dialUser(srv, "admin", "guess"); err == nil {
		t.Fatal("a wrong password was accepted")
	}
	if took := time.Since(start); took < 90*time.Millisecond {
		t.Errorf("the first failure was answered after %v, want a delay", took)
	}
	var wg sync.WaitGroup
	for i := 0; i < 9; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, _ = dialUser(srv, "ghost", fmt.Sprint("guess", i))
		}(i)
	}
	wg.Wait()
	_, err := dialUser(srv, "admin", "")
	var authErr r.RQLAuthError
	if !errors.As(err, &authErr) || !strings.Contains(err.Error(), "Too many failed authentication attempts; try again later.") {
		t.Fatalf("the right password during the lockout: %v (%T)", err, err)
	}
	srv.AssertAlive()
}

var printedPassword = regexp.MustCompile(`initial password of the admin user is: (\S+)`)

// --initial-password through the real binary: auto prints a generated
// password once, at the first start; serve's control plane uses it.
func TestInitialPasswordFlag(t *testing.T) {
	dir := t.TempDir()
	srv := startServerMode(t, dir, false, "--initial-password", "auto")
	m := printedPassword.FindStringSubmatch(srv.Output())
	if m == nil {
		t.Fatalf("no generated password printed:\n%s", srv.Output())
	}
	password := m[1]
	if _, err := dialUser(srv, "admin", ""); err == nil {
		t.Fatal("admin logged in with the empty password")
	}
	sess, err := dialUser(srv, "admin", password)
	if err != nil {
		t.Fatalf("admin with the generated password: %v", err)
	}
	// DDL goes through serve's control plane, which logged in with it.
	if err := run(sess, r.DBCreate("made")); err != nil {
		t.Fatalf("dbCreate: %v", err)
	}
	sess.Close()
	srv.Stop()

	srv = startServerMode(t, dir, false, "--initial-password", "auto", "--admin-password", password)
	if strings.Contains(srv.Output(), "initial password of the admin user") {
		t.Fatalf("the password was printed again:\n%s", srv.Output())
	}
	sess, err = dialUser(srv, "admin", password)
	if err != nil {
		t.Fatalf("admin after restart: %v", err)
	}
	defer sess.Close()
	if got := runStrings(t, sess, r.DBList()); !strings.Contains(strings.Join(got, ","), "made") {
		t.Fatalf("dbList after restart: %v", got)
	}
	srv.Stop()
}
