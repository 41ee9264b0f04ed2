package shard

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/datanode/storage"
)

// fieldIndex is the wire JSON of r.row(field).
func fieldIndex(field string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`[69,[[2,[1]],[31,[[10,[1]],%q]]]]`, field))
}

func waitReady(t *testing.T, tbl reql.TableStore, name string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, ix := range tbl.Indexes() {
			if ix.Name == name && ix.Ready {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("index %s not ready after 20s", name)
}

// checkAgreement scans the documents and the index and checks that every
// document is in the index under exactly its current value, and nothing
// else is.
func checkAgreement(t *testing.T, tbl reql.TableStore, field string) {
	t.Helper()
	ctx := context.Background()
	want := map[string]int{}
	it := tbl.Scan(ctx, false)
	for it.Next() {
		d := it.Doc()
		if v, ok := d[field]; ok && v != nil {
			want[fmt.Sprint(d["id"], "=", v)]++
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	it.Close()
	got := map[string]int{}
	ix, err := tbl.IndexScan(ctx, field, reql.KeyRange{}, false)
	if err != nil {
		t.Fatal(err)
	}
	var prev any
	for ix.Next() {
		d := ix.Doc()
		got[fmt.Sprint(d["id"], "=", d[field])]++
		if prev != nil && d[field].(float64) < prev.(float64) {
			t.Fatalf("index scan out of order: %v after %v", d[field], prev)
		}
		prev = d[field]
	}
	if err := ix.Err(); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	if len(got) != len(want) {
		t.Fatalf("index has %d entries, documents %d", len(got), len(want))
	}
	for k, n := range want {
		if got[k] != n {
			t.Fatalf("document %s: index has %d entries, want %d", k, got[k], n)
		}
	}
}

// Writes racing an index build and each other: no update is lost and the
// index agrees with the documents, before and after a restart.
func TestIndexAgreesWithDocumentsUnderConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, eng := openStore(t, dir)
	s.CreateTable(ctx, reql.TableConfig{DB: "test", Name: "c", PrimaryKey: "id", Durability: "soft"})
	tbl, _ := s.OpenTable(ctx, "test", "c")
	const docs = 3000
	var ops []*reql.WriteOp
	for i := 0; i < docs; i++ {
		ops = append(ops, &reql.WriteOp{Key: float64(i), Apply: put(map[string]any{"id": float64(i), "n": 0.0})})
	}
	if err := tbl.Write(ctx, ops, "soft"); err != nil {
		t.Fatal(err)
	}
	incr := func(old map[string]any) (map[string]any, error) {
		return map[string]any{"id": old["id"], "n": old["n"].(float64) + 1}, nil
	}
	const workers, rounds = 6, 300
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed))
			<-start
			for i := 0; i < rounds; i++ {
				// Hot keys 0..9 get most of the traffic: counters.
				k := float64(rng.Intn(10))
				if i%3 == 0 {
					k = float64(rng.Intn(docs))
				}
				if err := tbl.Write(ctx, []*reql.WriteOp{{Key: k, Apply: incr}}, "soft"); err != nil {
					t.Error(err)
					return
				}
			}
		}(int64(w))
	}
	close(start)
	if _, err := s.CreateIndex(ctx, "test", "c", reql.IndexConfig{Name: "n", Function: fieldIndex("n")}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	waitReady(t, tbl, "n")
	checkAgreement(t, tbl, "n")

	total := 0.0
	it := tbl.Scan(ctx, false)
	for it.Next() {
		total += it.Doc()["n"].(float64)
	}
	it.Close()
	if total != workers*rounds {
		t.Fatalf("sum of counters %v, want %d: updates were lost", total, workers*rounds)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}

	s, eng = openStore(t, dir)
	defer eng.Close()
	tbl, _ = s.OpenTable(ctx, "test", "c")
	waitReady(t, tbl, "n")
	checkAgreement(t, tbl, "n")
}

func TestIndexRangesMultiAndDrop(t *testing.T) {
	ctx := context.Background()
	s, eng := openStore(t, t.TempDir())
	defer eng.Close()
	s.CreateTable(ctx, reql.TableConfig{DB: "test", Name: "t", PrimaryKey: "id", Durability: "hard"})
	tbl, _ := s.OpenTable(ctx, "test", "t")
	var ops []*reql.WriteOp
	for i := 0; i < 20; i++ {
		doc := map[string]any{"id": float64(i), "v": float64(i % 5), "tags": []any{"all", fmt.Sprint("m", i%2)}}
		ops = append(ops, &reql.WriteOp{Key: float64(i), Apply: put(doc)})
	}
	tbl.Write(ctx, ops, "hard")
	s.CreateIndex(ctx, "test", "t", reql.IndexConfig{Name: "v", Function: fieldIndex("v")})
	s.CreateIndex(ctx, "test", "t", reql.IndexConfig{Name: "tags", Function: fieldIndex("tags"), Multi: true})
	waitReady(t, tbl, "v")
	waitReady(t, tbl, "tags")

	enc := func(v any) []byte { k, _ := reql.EncodeIndexKey(v); return k }
	count := func(index string, r reql.KeyRange) int {
		it, err := tbl.IndexScan(ctx, index, r, false)
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		n := 0
		for it.Next() {
			n++
		}
		return n
	}
	tests := []struct {
		name  string
		index string
		r     reql.KeyRange
		want  int
	}{
		{"all", "v", reql.KeyRange{}, 20},
		{"equal", "v", reql.KeyRange{Lower: enc(2.0), Upper: enc(2.0)}, 4},
		{"closed-open", "v", reql.KeyRange{Lower: enc(1.0), Upper: enc(3.0), UpperOpen: true}, 8},
		{"open-closed", "v", reql.KeyRange{Lower: enc(1.0), Upper: enc(3.0), LowerOpen: true}, 8},
		{"unbounded below", "v", reql.KeyRange{Upper: enc(1.0)}, 8},
		{"multi value", "tags", reql.KeyRange{Lower: enc("m1"), Upper: enc("m1")}, 10},
		{"multi every entry", "tags", reql.KeyRange{}, 40},
		{"primary range", "id", reql.KeyRange{Lower: enc(5.0), Upper: enc(9.0)}, 5},
	}
	for _, tt := range tests {
		if got := count(tt.index, tt.r); got != tt.want {
			t.Errorf("%s: %d documents, want %d", tt.name, got, tt.want)
		}
	}
	if err := s.DropIndex(ctx, "test", "t", "tags"); err != nil {
		t.Fatal(err)
	}
	it := eng.NewIterator(storage.IterOptions{Prefix: []byte(prefixIndex)})
	n := 0
	for it.Next() {
		n++
	}
	it.Close()
	if n != 20 {
		t.Fatalf("%d index entries left after dropping tags, want the 20 of v", n)
	}
	if _, err := tbl.IndexScan(ctx, "tags", reql.KeyRange{}, false); err == nil {
		t.Fatal("scan of a dropped index must fail")
	}
}
