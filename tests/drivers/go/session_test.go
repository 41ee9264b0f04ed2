package drivers_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

// 1. connect and close; wrong password rejected.
func TestConnectAndClose(t *testing.T) {
	srv := startServer(t, t.TempDir())

	sess, err := dial(srv.connectOpts())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if !sess.IsConnected() {
		t.Fatalf("IsConnected() = false right after Connect")
	}
	if got := runOne(t, sess, r.Expr("hello")); got != "hello" {
		t.Errorf("r.Expr(\"hello\") = %#v, want \"hello\"", got)
	}
	if err := sess.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if sess.IsConnected() {
		t.Errorf("IsConnected() = true after Close")
	}
	if _, err := r.Expr(1).Run(sess); !errors.Is(err, r.ErrConnectionClosed) {
		t.Errorf("query on closed session: err = %v, want %v", err, r.ErrConnectionClosed)
	}

	// Connecting and closing repeatedly must not disturb the server.
	for i := 0; i < 20; i++ {
		s2, err := dial(srv.connectOpts())
		if err != nil {
			t.Fatalf("connect #%d: %v", i, err)
		}
		if got := runOne(t, s2, r.Expr(i)); got != float64(i) {
			t.Errorf("connect #%d: r.Expr(%d) = %#v", i, i, got)
		}
		if err := s2.Close(); err != nil {
			t.Fatalf("close #%d: %v", i, err)
		}
	}

	// Username left empty: the driver defaults to "admin".
	s3 := connect(t, srv, func(o *r.ConnectOpts) { o.Username = "" })
	if got := runOne(t, s3, r.Expr(true)); got != true {
		t.Errorf("default-user session: r.Expr(true) = %#v", got)
	}
	srv.AssertAlive()
}

func TestWrongPasswordRejected(t *testing.T) {
	srv := startServer(t, t.TempDir())

	for _, pw := range []string{"wrong", "admin", " "} {
		t.Run(fmt.Sprintf("password=%q", pw), func(t *testing.T) {
			opts := srv.connectOpts()
			opts.Password = pw
			sess, err := dial(opts)
			if err == nil {
				if sess != nil {
					sess.Close()
				}
				t.Fatalf("connect with password %q succeeded, want auth failure", pw)
			}
			var authErr r.RQLAuthError
			if !errors.As(err, &authErr) {
				t.Errorf("error %q has type %T, want rethinkdb.RQLAuthError", err, err)
			}
			if !strings.Contains(err.Error(), "Wrong password") {
				t.Errorf("error %q does not mention %q", err, "Wrong password")
			}
		})
	}

	// The server still accepts the right credentials afterwards.
	sess := connect(t, srv)
	if got := runOne(t, sess, r.Expr(7)); got != float64(7) {
		t.Errorf("after failed logins r.Expr(7) = %#v", got)
	}
	srv.AssertAlive()
}

// 7. session.Server() returns the server's id and name.
func TestServerInfo(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv)

	info, err := sess.Server()
	if err != nil {
		t.Fatalf("Server(): %v", err)
	}
	if info.ID == "" || info.Name == "" {
		t.Fatalf("Server() = %+v, want non-empty ID and Name", info)
	}
	if !uuidRE.MatchString(info.ID) {
		t.Errorf("Server().ID = %q, want a UUID (RethinkDB server ids are UUIDs)", info.ID)
	}

	// Stable for the life of the process and the same over a second connection.
	again, err := sess.Server()
	if err != nil {
		t.Fatalf("Server() again: %v", err)
	}
	other := connect(t, srv)
	fromOther, err := other.Server()
	if err != nil {
		t.Fatalf("Server() on second session: %v", err)
	}
	if again != info || fromOther != info {
		t.Errorf("Server() not stable: %+v, %+v, %+v", info, again, fromOther)
	}
}

// 8. 50 concurrent queries multiplexed over a single connection.
func TestConcurrentQueriesOneConnection(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv, func(o *r.ConnectOpts) {
		o.MaxOpen = 1
		o.InitialCap = 1
	})

	const n = 50
	table := r.DB("test").Table("conc")
	if _, err := r.DB("test").TableCreate("conc").RunWrite(sess); err != nil {
		t.Fatalf("tableCreate: %v", err)
	}
	docs := make([]interface{}, n)
	for i := range docs {
		docs[i] = map[string]interface{}{"id": i, "sq": i * i, "name": fmt.Sprintf("doc-%d", i)}
	}
	if _, err := table.Insert(docs).RunWrite(sess); err != nil {
		t.Fatalf("insert: %v", err)
	}

	type result struct {
		i   int
		err error
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan result, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			fail := func(format string, args ...interface{}) {
				errs <- result{i, fmt.Errorf(format, args...)}
			}
			switch i % 4 {
			case 0: // point read
				cur, err := table.Get(i).Run(sess)
				if err != nil {
					fail("get(%d): %v", i, err)
					return
				}
				defer cur.Close()
				var doc map[string]interface{}
				if err := cur.One(&doc); err != nil {
					fail("get(%d) read: %v", i, err)
					return
				}
				want := map[string]interface{}{"id": float64(i), "sq": float64(i * i), "name": fmt.Sprintf("doc-%d", i)}
				if !reflect.DeepEqual(doc, want) {
					fail("get(%d) = %v, want %v", i, doc, want)
				}
			case 1: // datum echo
				want := map[string]interface{}{"i": float64(i), "s": strings.Repeat("x", i*10), "a": []interface{}{float64(i), "q"}}
				cur, err := r.Expr(map[string]interface{}{"i": i, "s": strings.Repeat("x", i*10), "a": []interface{}{i, "q"}}).Run(sess)
				if err != nil {
					fail("expr(%d): %v", i, err)
					return
				}
				defer cur.Close()
				var got map[string]interface{}
				if err := cur.One(&got); err != nil {
					fail("expr(%d) read: %v", i, err)
					return
				}
				if !reflect.DeepEqual(got, want) {
					fail("expr(%d) = %v, want %v", i, got, want)
				}
			case 2: // getAll of two keys
				j := (i + 7) % n
				cur, err := table.GetAll(i, j).Run(sess)
				if err != nil {
					fail("getAll(%d,%d): %v", i, j, err)
					return
				}
				defer cur.Close()
				var got []map[string]interface{}
				if err := cur.All(&got); err != nil {
					fail("getAll(%d,%d) read: %v", i, j, err)
					return
				}
				ids := map[float64]bool{}
				for _, d := range got {
					id, _ := d["id"].(float64)
					if d["sq"] != id*id {
						fail("getAll(%d,%d): wrong doc %v", i, j, d)
						return
					}
					ids[id] = true
				}
				if len(got) != 2 || !ids[float64(i)] || !ids[float64(j)] {
					fail("getAll(%d,%d) = %v, want the two docs", i, j, got)
				}
			case 3: // a write with its own result
				cur, err := table.Insert(map[string]interface{}{"id": fmt.Sprintf("w%d", i), "by": i}).Run(sess)
				if err != nil {
					fail("insert w%d: %v", i, err)
					return
				}
				defer cur.Close()
				var res map[string]interface{}
				if err := cur.One(&res); err != nil {
					fail("insert w%d read: %v", i, err)
					return
				}
				want := map[string]interface{}{"deleted": 0.0, "errors": 0.0, "inserted": 1.0, "replaced": 0.0, "skipped": 0.0, "unchanged": 0.0}
				if !reflect.DeepEqual(res, want) {
					fail("insert w%d = %v, want %v", i, res, want)
				}
			}
		}(i)
	}
	close(start)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("query %d: %v", e.i, e.err)
	}

	// The single connection is still healthy.
	if got := runCount(t, sess, table.Count()); got != n+n/4 {
		t.Errorf("count after concurrent queries = %d, want %d", got, n+n/4)
	}
	for _, i := range []int{3, 27, 47} {
		key := fmt.Sprintf("w%d", i)
		if got := runMap(t, sess, table.Get(key)); !reflect.DeepEqual(got, map[string]interface{}{"id": key, "by": float64(i)}) {
			t.Errorf("get(%s) = %v", key, got)
		}
	}
	srv.AssertAlive()
}

// 10. Every term is implemented (GRANT was the last); a term number the
// server does not know (a newer protocol's) is a compile error naming it,
// and nothing breaks.
func TestUnknownTerm(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv)

	if _, err := r.DB("test").TableCreate("u").RunWrite(sess); err != nil {
		t.Fatalf("tableCreate: %v", err)
	}
	table := r.DB("test").Table("u")

	// r.grant runs: granting to a user that does not exist is RethinkDB's
	// OP_FAILED error.
	err := runErr(t, sess, r.Grant("bob", map[string]interface{}{"read": true}))
	var opErr r.RQLOpFailedError
	if !errors.As(err, &opErr) || !strings.Contains(err.Error(), "User `bob` not found.") {
		t.Errorf("r.grant to a missing user: %v (%T), want RQLOpFailedError \"User `bob` not found.\"", err, err)
	}

	cases := []struct {
		name string
		term r.Term
	}{
		{"top-level unknown term", r.RawQuery([]byte(`[9999,[]]`))},
		{"nested in array", r.RawQuery([]byte(`[2,[1,[9999,["x"]]]]`))},
		{"nested in insert", r.RawQuery([]byte(`[56,[[15,[[14,["test"]],"u"]],{"id":"x","v":[9999,[]]}]]`))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := runErr(t, sess, tc.term)
			var ce r.RQLCompileError
			if !errors.As(err, &ce) {
				t.Errorf("error %q has type %T, want rethinkdb.RQLCompileError", err, err)
			}
			if !strings.Contains(err.Error(), "Unrecognized TermType: 9999.") {
				t.Errorf("error %q does not mention %q", err, "Unrecognized TermType: 9999.")
			}
			// Same session keeps working.
			if got := runOne(t, sess, r.Expr("ok")); got != "ok" {
				t.Errorf("after compile error r.Expr(\"ok\") = %#v", got)
			}
		})
	}

	if got := runCount(t, sess, table.Count()); got != 0 {
		t.Errorf("insert with an unknown term wrote documents: count = %d, want 0", got)
	}
	// A fresh session works too.
	s2 := connect(t, srv)
	if got := runOne(t, s2, r.Expr(42)); got != float64(42) {
		t.Errorf("new session r.Expr(42) = %#v", got)
	}
	srv.AssertAlive()
}
