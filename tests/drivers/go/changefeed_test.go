package drivers_test

import (
	"strings"
	"testing"
	"time"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

type change struct {
	OldVal map[string]any `rethinkdb:"old_val"`
	NewVal map[string]any `rethinkdb:"new_val"`
	Type   string         `rethinkdb:"type"`
}

// nextChanges reads n changes from a feed cursor, failing after a deadline.
func nextChanges(t *testing.T, cur *r.Cursor, n int) []change {
	t.Helper()
	out := make(chan change, n)
	errs := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			var c change
			if !cur.Next(&c) {
				errs <- cur.Err()
				return
			}
			out <- c
		}
	}()
	var got []change
	for len(got) < n {
		select {
		case c := <-out:
			got = append(got, c)
		case err := <-errs:
			t.Fatalf("feed ended after %d of %d changes: %v", len(got), n, err)
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d changes within 10s", len(got), n)
		}
	}
	return got
}

func TestChangefeedsWithTheGoDriver(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv)
	writer := connect(t, srv)
	runOne(t, sess, r.TableCreate("feed"))
	runOne(t, sess, r.Table("feed").Insert(map[string]any{"id": 1, "v": 1}))

	t.Run("table feed with types", func(t *testing.T) {
		cur, err := r.Table("feed").Changes(r.ChangesOpts{IncludeTypes: true}).Run(sess)
		if err != nil {
			t.Fatal(err)
		}
		defer cur.Close()
		runOne(t, writer, r.Table("feed").Insert(map[string]any{"id": 2, "v": 2}))
		runOne(t, writer, r.Table("feed").Get(1).Update(map[string]any{"v": 10}))
		runOne(t, writer, r.Table("feed").Get(2).Delete())
		got := nextChanges(t, cur, 3)
		want := []string{"add", "change", "remove"}
		for i, c := range got {
			if c.Type != want[i] {
				t.Fatalf("change %d: type %q, want %q (%+v)", i, c.Type, want[i], c)
			}
		}
		if got[1].OldVal["v"] != float64(1) || got[1].NewVal["v"] != float64(10) {
			t.Fatalf("update change %+v", got[1])
		}
	})

	t.Run("point feed with initial value", func(t *testing.T) {
		cur, err := r.Table("feed").Get(1).Changes(r.ChangesOpts{IncludeInitial: true}).Run(sess)
		if err != nil {
			t.Fatal(err)
		}
		defer cur.Close()
		first := nextChanges(t, cur, 1)[0]
		if first.OldVal != nil || first.NewVal["v"] != float64(10) {
			t.Fatalf("initial value %+v", first)
		}
		runOne(t, writer, r.Table("feed").Insert(map[string]any{"id": 3}))
		runOne(t, writer, r.Table("feed").Get(1).Update(map[string]any{"v": 11}))
		next := nextChanges(t, cur, 1)[0]
		if next.NewVal["v"] != float64(11) {
			t.Fatalf("point feed saw %+v, want the update of document 1 only", next)
		}
	})

	t.Run("dropping the table ends the feed", func(t *testing.T) {
		cur, err := r.Table("feed").Changes().Run(sess)
		if err != nil {
			t.Fatal(err)
		}
		defer cur.Close()
		runOne(t, writer, r.TableDrop("feed"))
		done := make(chan error, 1)
		go func() {
			var c change
			cur.Next(&c)
			done <- cur.Err()
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "Changefeed aborted (table unavailable).") {
				t.Fatalf("feed error %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("feed did not end after the table was dropped")
		}
	})
}
