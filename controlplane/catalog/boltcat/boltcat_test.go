package boltcat

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/photondb-io/photondb/controlplane/catalog"
	"github.com/photondb-io/photondb/controlplane/catalog/catalogtest"
)

func TestContract(t *testing.T) {
	catalogtest.Run(t, func(t *testing.T) catalog.Catalog {
		c, err := Open(filepath.Join(t.TempDir(), "catalog.db"), Options{Retain: catalogtest.Retain})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	})
}

// TestReopen checks keys, versions and the change log survive a restart.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := Open(path, Options{Retain: 10})
	if err != nil {
		t.Fatal(err)
	}
	var last uint64
	for i := 0; i < 15; i++ {
		if last, err = c.Put(ctx, "k", []byte{byte(i)}, catalog.Any); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopen with a smaller window: the log is trimmed at once.
	c, err = Open(path, Options{Retain: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e, err := c.Get(ctx, "k")
	if err != nil || e.ModifyIndex != last || e.CreateIndex != 1 || e.Value[0] != 14 {
		t.Fatalf("after reopen Get = %+v, %v; want value 14 at %d, created at 1", e, err, last)
	}
	if _, seq, err := c.List(ctx, ""); err != nil || seq != last {
		t.Fatalf("after reopen List sequence = %d, %v; want %d", seq, err, last)
	}
	if _, _, err := c.Changes(ctx, "", last-4); !errors.Is(err, catalog.ErrCompacted) {
		t.Fatalf("Changes(%d) with Retain 3 = %v, want ErrCompacted", last-4, err)
	}
	chs, next, err := c.Changes(ctx, "", last-3)
	if err != nil || len(chs) != 3 || next != last || chs[0].Seq != last-2 {
		t.Fatalf("Changes(%d) = %+v, %d, %v; want the last 3", last-3, chs, next, err)
	}
	idx, err := c.Put(ctx, "k", []byte("new"), int64(last))
	if err != nil || idx != last+1 {
		t.Fatalf("Put after reopen = %d, %v; want %d", idx, err, last+1)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "x.db"), Options{Retain: -1}); !errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("Open with Retain -1 = %v, want ErrInvalid", err)
	}
	if _, err := Open(filepath.Join(dir, "missing", "x.db"), Options{}); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
	// A file of another format version is refused.
	path := filepath.Join(dir, "future.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(keyFormat, u64(formatVersion+1))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if c, err := Open(path, Options{}); err == nil {
		c.Close()
		t.Error("Open of a newer format succeeded")
	}
}

// TestCorruptLog checks a damaged log record is an error, not a panic.
func TestCorruptLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Put(ctx, "k", []byte("v"), catalog.Any); err != nil {
		t.Fatal(err)
	}
	if err := c.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketLog).Put(u64(1), []byte{0xff, 0xff})
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Changes(ctx, "", 0); err == nil || errors.Is(err, catalog.ErrCompacted) {
		t.Fatalf("Changes over a corrupt record = %v, want a decode error", err)
	}
}

func TestDecodeChanges(t *testing.T) {
	valid := encodeChanges([]catalog.Change{{Key: "a/b", Value: []byte("v")}, {Key: "c", Deleted: true}, {Key: "e", Value: []byte{}}})
	got, err := decodeChanges(valid)
	if err != nil || len(got) != 3 || got[0].Key != "a/b" || string(got[0].Value) != "v" || !got[1].Deleted || got[1].Value != nil || got[2].Value == nil {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	tests := []struct {
		name string
		raw  []byte
	}{
		{"nil", nil},
		{"zero changes", []byte{0}},
		{"huge count", []byte{0xff, 0xff, 0xff, 0xff, 0x0f, 0, 1, 'a'}},
		{"bad varint", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"truncated key", []byte{1, 0, 5, 'a'}},
		{"truncated value", []byte{1, 0, 1, 'a', 9, 'x'}},
		{"bad flags", []byte{1, 7, 1, 'a'}},
		{"bad key", []byte{1, 1, 2, '/', 'a'}},
		{"trailing bytes", append(append([]byte{}, valid...), 0)},
		{"cut short", valid[:len(valid)-1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := decodeChanges(tt.raw); err == nil {
				t.Fatalf("decodeChanges(%x) = %+v, want an error", tt.raw, got)
			}
		})
	}
}

func TestDecodeEntry(t *testing.T) {
	e, err := decodeEntry("k", encodeEntry(3, 9, []byte("v")))
	if err != nil || e.CreateIndex != 3 || e.ModifyIndex != 9 || string(e.Value) != "v" || e.Key != "k" {
		t.Fatalf("round trip = %+v, %v", e, err)
	}
	if _, err := decodeEntry("k", make([]byte, entryHeader-1)); err == nil {
		t.Fatal("short entry decoded")
	}
}
