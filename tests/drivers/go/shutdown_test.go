package drivers_test

import (
	"testing"
	"time"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

// SIGTERM while queries are running: each running query either completes
// or gets an error (never hangs), acknowledged writes are kept, and the
// process exits 0.
func TestSIGTERMWithQueriesInFlight(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir)
	sess := connect(t, srv)
	runOne(t, sess, r.TableCreate("inflight"))

	type outcome struct {
		n   int
		err error
	}
	results := make(chan outcome, 4)
	for i := 0; i < 4; i++ {
		go func() {
			// A long computation (counting a large range) that is running
			// when the signal arrives.
			cur, err := r.Range(4_000_000).Map(func(x r.Term) r.Term { return x.Add(1) }).Count().Run(sess)
			if err != nil {
				results <- outcome{err: err}
				return
			}
			var n int
			err = cur.One(&n)
			results <- outcome{n: n, err: err}
		}()
	}
	// Writes acknowledged before the signal must survive it.
	for i := 0; i < 50; i++ {
		if _, err := r.Table("inflight").Insert(map[string]any{"id": i}).RunWrite(sess); err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if len(results) == cap(results) {
		t.Fatal("every long query finished before SIGTERM: the test no longer exercises queries in flight")
	}
	srv.Stop() // SIGTERM; asserts exit code 0

	for i := 0; i < 4; i++ {
		select {
		case o := <-results:
			if o.err == nil && o.n != 4_000_000 {
				t.Fatalf("a query that completed returned %d, want 4000000", o.n)
			}
			if o.err != nil {
				t.Logf("query interrupted by shutdown: %v", o.err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a query in flight at shutdown neither completed nor failed")
		}
	}

	srv = startServer(t, dir)
	sess = connect(t, srv)
	if n := runCount(t, sess, r.Table("inflight").Count()); n != 50 {
		t.Fatalf("after restart %d documents, want 50", n)
	}
}
