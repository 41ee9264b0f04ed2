package shard

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/datanode/storage"
)

func openStore(t *testing.T, dir string) (*Store, *storage.Engine) {
	t.Helper()
	eng, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(eng, nil)
	if err != nil {
		eng.Close()
		t.Fatal(err)
	}
	return s, eng
}

func put(doc map[string]any) func(map[string]any) (map[string]any, error) {
	return func(map[string]any) (map[string]any, error) { return doc, nil }
}

func TestCatalogSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, eng := openStore(t, dir)
	id := s.Identity()
	if _, err := s.GetDB(ctx, "test"); err != nil {
		t.Fatalf("fresh store must have database test: %v", err)
	}
	if _, err := s.CreateDB(ctx, reql.DBConfig{Name: "app"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateDB(ctx, reql.DBConfig{Name: "app"}); err == nil || err.Error() != "Database `app` already exists." {
		t.Fatalf("duplicate database: %v", err)
	}
	if _, err := s.CreateTable(ctx, reql.TableConfig{DB: "app", Name: "users", PrimaryKey: "email", Durability: "hard"}); err != nil {
		t.Fatal(err)
	}
	tbl, err := s.OpenTable(ctx, "app", "users")
	if err != nil {
		t.Fatal(err)
	}
	if err := tbl.Write(ctx, []*reql.WriteOp{{Key: "a@x", Apply: put(map[string]any{"email": "a@x", "n": 1.0})}}, "hard"); err != nil {
		t.Fatal(err)
	}
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}

	s, eng = openStore(t, dir)
	defer eng.Close()
	if s.Identity() != id {
		t.Fatalf("server identity changed across restart: %v -> %v", id, s.Identity())
	}
	tbl, err = s.OpenTable(ctx, "app", "users")
	if err != nil {
		t.Fatal(err)
	}
	if tbl.Config().PrimaryKey != "email" {
		t.Fatalf("primary key %q", tbl.Config().PrimaryKey)
	}
	doc, err := tbl.Get(ctx, "a@x")
	if err != nil || doc["n"] != 1.0 {
		t.Fatalf("document after reopen: %v %v", doc, err)
	}
}

func TestDropRemovesData(t *testing.T) {
	ctx := context.Background()
	s, eng := openStore(t, t.TempDir())
	defer eng.Close()
	if _, err := s.CreateTable(ctx, reql.TableConfig{DB: "test", Name: "t", PrimaryKey: "id", Durability: "soft"}); err != nil {
		t.Fatal(err)
	}
	tbl, _ := s.OpenTable(ctx, "test", "t")
	var ops []*reql.WriteOp
	for i := 0; i < 2500; i++ {
		ops = append(ops, &reql.WriteOp{Key: float64(i), Apply: put(map[string]any{"id": float64(i)})})
	}
	if err := tbl.Write(ctx, ops, "soft"); err != nil {
		t.Fatal(err)
	}
	if n, _ := tbl.Count(ctx); n != 2500 {
		t.Fatalf("count %d", n)
	}
	if _, err := s.DropTable(ctx, "test", "t"); err != nil {
		t.Fatal(err)
	}
	it := eng.NewIterator(storage.IterOptions{Prefix: []byte(prefixData)})
	defer it.Close()
	if it.Next() {
		t.Fatalf("data left after drop: %q", it.Key())
	}
	if _, err := tbl.Get(ctx, 1.0); err == nil {
		t.Fatal("a dropped table's handle must fail")
	}
	if _, err := s.OpenTable(ctx, "test", "t"); !errors.Is(err, reql.ErrClassOpFailed) {
		t.Fatalf("open dropped table: %v", err)
	}
}

func TestScanIsInKeyOrder(t *testing.T) {
	ctx := context.Background()
	s, eng := openStore(t, t.TempDir())
	defer eng.Close()
	s.CreateTable(ctx, reql.TableConfig{DB: "test", Name: "t", PrimaryKey: "id", Durability: "hard"})
	tbl, _ := s.OpenTable(ctx, "test", "t")
	keys := []any{"b", 10.0, -3.0, "a", true, 2.0}
	var ops []*reql.WriteOp
	for _, k := range keys {
		ops = append(ops, &reql.WriteOp{Key: k, Apply: put(map[string]any{"id": k})})
	}
	if err := tbl.Write(ctx, ops, "hard"); err != nil {
		t.Fatal(err)
	}
	want := []any{true, -3.0, 2.0, 10.0, "a", "b"}
	it := tbl.Scan(ctx, false)
	defer it.Close()
	for i := 0; it.Next(); i++ {
		if it.Doc()["id"] != want[i] {
			t.Fatalf("position %d: %v, want %v", i, it.Doc()["id"], want[i])
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
}

// Concurrent read-modify-writes of the same documents lose no update.
func TestConcurrentIncrementsLoseNothing(t *testing.T) {
	ctx := context.Background()
	s, eng := openStore(t, t.TempDir())
	defer eng.Close()
	s.CreateTable(ctx, reql.TableConfig{DB: "test", Name: "c", PrimaryKey: "id", Durability: "soft"})
	tbl, _ := s.OpenTable(ctx, "test", "c")
	const workers, rounds = 8, 200
	incr := func(old map[string]any) (map[string]any, error) {
		n := 0.0
		if old != nil {
			n = old["n"].(float64)
		}
		return map[string]any{"id": "x", "n": n + 1}, nil
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				if err := tbl.Write(ctx, []*reql.WriteOp{{Key: "x", Apply: incr}}, "soft"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	doc, _ := tbl.Get(ctx, "x")
	if doc["n"] != float64(workers*rounds) {
		t.Fatalf("counter %v, want %d", doc["n"], workers*rounds)
	}
}

func TestWriteSameKeyTwiceInOneBatch(t *testing.T) {
	ctx := context.Background()
	s, eng := openStore(t, t.TempDir())
	defer eng.Close()
	s.CreateTable(ctx, reql.TableConfig{DB: "test", Name: "t", PrimaryKey: "id", Durability: "hard"})
	tbl, _ := s.OpenTable(ctx, "test", "t")
	insert := func(doc map[string]any) func(map[string]any) (map[string]any, error) {
		return func(old map[string]any) (map[string]any, error) {
			if old != nil {
				return nil, errors.New("duplicate")
			}
			return doc, nil
		}
	}
	ops := []*reql.WriteOp{
		{Key: 1.0, Apply: insert(map[string]any{"id": 1.0, "v": "first"})},
		{Key: 1.0, Apply: insert(map[string]any{"id": 1.0, "v": "second"})},
	}
	if err := tbl.Write(ctx, ops, "hard"); err != nil {
		t.Fatal(err)
	}
	if ops[0].Err != nil || ops[1].Err == nil {
		t.Fatalf("first insert must win, second must see it: %v, %v", ops[0].Err, ops[1].Err)
	}
	doc, _ := tbl.Get(ctx, 1.0)
	if doc["v"] != "first" {
		t.Fatalf("stored %v", doc)
	}
}
