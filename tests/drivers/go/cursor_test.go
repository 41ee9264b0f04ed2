package drivers_test

import (
	"fmt"
	"testing"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

// fillTable inserts docs {id: i, pad: ...} for i in [0, n) in batches.
func fillTable(t testing.TB, sess *r.Session, tbl r.Term, n int) {
	t.Helper()
	const batch = 1000
	for start := 0; start < n; start += batch {
		end := min(start+batch, n)
		docs := make([]interface{}, 0, end-start)
		for i := start; i < end; i++ {
			docs = append(docs, doc{"id": i, "pad": fmt.Sprintf("row-%06d-%s", i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")})
		}
		res, err := tbl.Insert(docs).RunWrite(sess)
		if err != nil {
			t.Fatalf("insert [%d,%d): %v", start, end, err)
		}
		if res.Inserted != end-start {
			t.Fatalf("insert [%d,%d): inserted %d", start, end, res.Inserted)
		}
	}
}

// 4. A cursor over 10,000 documents read to the end, each id exactly once.
func TestCursorFullScan(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv, func(o *r.ConnectOpts) { o.MaxOpen = 1; o.InitialCap = 1 })
	tbl := newTable(t, sess, "big")
	const n = 10000
	fillTable(t, sess, tbl, n)

	cur, err := tbl.Run(sess)
	if err != nil {
		t.Fatalf("table scan: %v", err)
	}
	seen := make([]int, n)
	rows := 0
	var d struct {
		ID  int    `rethinkdb:"id"`
		Pad string `rethinkdb:"pad"`
	}
	for cur.Next(&d) {
		rows++
		if d.ID < 0 || d.ID >= n {
			t.Fatalf("unexpected id %d", d.ID)
		}
		seen[d.ID]++
		if want := fmt.Sprintf("row-%06d-%s", d.ID, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"); d.Pad != want {
			t.Fatalf("doc %d pad = %q, want %q", d.ID, d.Pad, want)
		}
		if rows > n+10 {
			t.Fatalf("cursor returned more than %d rows", n)
		}
	}
	if err := cur.Err(); err != nil {
		t.Fatalf("cursor error after %d rows: %v", rows, err)
	}
	if err := cur.Close(); err != nil {
		t.Errorf("cursor.Close after exhaustion: %v", err)
	}
	if rows != n {
		t.Errorf("cursor returned %d rows, want %d", rows, n)
	}
	missing, dup := 0, 0
	for id, c := range seen {
		switch {
		case c == 0:
			missing++
			if missing <= 5 {
				t.Errorf("id %d never returned", id)
			}
		case c > 1:
			dup++
			if dup <= 5 {
				t.Errorf("id %d returned %d times", id, c)
			}
		}
	}
	if missing+dup > 0 {
		t.Errorf("%d ids missing, %d duplicated", missing, dup)
	}

	// All() over the same table agrees.
	var all []map[string]interface{}
	cur2, err := tbl.Run(sess)
	if err != nil {
		t.Fatalf("second scan: %v", err)
	}
	if err := cur2.All(&all); err != nil {
		t.Fatalf("cursor.All: %v", err)
	}
	if len(all) != n {
		t.Errorf("cursor.All returned %d rows, want %d", len(all), n)
	}
	if got := runCount(t, sess, tbl.Count()); got != n {
		t.Errorf("count = %d, want %d", got, n)
	}
}

// 4b. A cursor closed after a few rows stops the query; the session (one
// connection) keeps working, also for further scans.
func TestCursorClosedEarly(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv, func(o *r.ConnectOpts) { o.MaxOpen = 1; o.InitialCap = 1 })
	tbl := newTable(t, sess, "big")
	const n = 10000
	fillTable(t, sess, tbl, n)

	for round := 0; round < 5; round++ {
		cur, err := tbl.Run(sess)
		if err != nil {
			t.Fatalf("round %d: table scan: %v", round, err)
		}
		var d map[string]interface{}
		for i := 0; i < 3+round; i++ {
			if !cur.Next(&d) {
				t.Fatalf("round %d: cursor ended after %d rows: %v", round, i, cur.Err())
			}
			if _, ok := d["id"].(float64); !ok {
				t.Fatalf("round %d: row without numeric id: %v", round, d)
			}
		}
		if err := cur.Close(); err != nil {
			t.Fatalf("round %d: cursor.Close: %v", round, err)
		}
		if cur.Next(&d) {
			t.Errorf("round %d: Next after Close returned a row", round)
		}

		// The session still answers queries correctly.
		if got := runOne(t, sess, r.Expr(round)); got != float64(round) {
			t.Errorf("round %d: r.Expr = %v", round, got)
		}
		if got := runCount(t, sess, tbl.Count()); got != n {
			t.Errorf("round %d: count = %d, want %d", round, got, n)
		}
		if got := getDoc(t, sess, tbl, 1234); got == nil || got["id"] != float64(1234) {
			t.Errorf("round %d: get(1234) = %v", round, got)
		}
	}

	// Two cursors open at once on the one connection, one closed early.
	a, err := tbl.Run(sess)
	if err != nil {
		t.Fatalf("scan a: %v", err)
	}
	b, err := tbl.Run(sess)
	if err != nil {
		t.Fatalf("scan b: %v", err)
	}
	var row map[string]interface{}
	if !a.Next(&row) || !b.Next(&row) {
		t.Fatalf("first rows: a=%v b=%v", a.Err(), b.Err())
	}
	if err := a.Close(); err != nil {
		t.Fatalf("close a: %v", err)
	}
	rows := 1
	for b.Next(&row) {
		rows++
	}
	if err := b.Err(); err != nil {
		t.Fatalf("scan b after closing a: %v", err)
	}
	b.Close()
	if rows != n {
		t.Errorf("scan b returned %d rows, want %d", rows, n)
	}

	// And a brand-new session.
	other := connect(t, srv)
	if got := runCount(t, other, tbl.Count()); got != n {
		t.Errorf("new session count = %d, want %d", got, n)
	}
	srv.AssertAlive()
}
