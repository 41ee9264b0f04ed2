package storage

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// sameShardIDs returns n ids that map to the shard of id 1, starting with 1.
func sameShardIDs(c *cache, n int) []uint64 {
	ids := []uint64{1}
	for id := uint64(2); len(ids) < n; id++ {
		if c.shard(id) == c.shard(1) {
			ids = append(ids, id)
		}
	}
	return ids
}

// TestCacheClock checks the budget, hit and miss counting, and that the
// CLOCK sweep gives entries that are being hit a second chance while
// unreferenced ones are evicted.
func TestCacheClock(t *testing.T) {
	const valSize = 100
	charge := int64(valSize + cacheEntryOverhead)
	c := newCache(cacheShards * 10 * charge) // 10 entries per shard
	ids := sameShardIDs(c, 200)
	val := func(id uint64) []byte { return bytes.Repeat([]byte{byte(id)}, valSize) }

	hot := ids[0]
	c.put(hot, val(hot))
	for _, id := range ids[1:] {
		if v, ok := c.get(hot); !ok || !bytes.Equal(v, val(hot)) {
			t.Fatalf("hot entry evicted before inserting %d", id)
		}
		c.put(id, val(id))
		if used, _ := c.usage(); used > c.capacity {
			t.Fatalf("cache uses %d bytes, budget %d", used, c.capacity)
		}
	}
	if _, n := c.usage(); n != 10 {
		t.Fatalf("%d entries, want 10", n)
	}
	// The oldest cold entries are gone, the newest are present.
	if _, ok := c.get(ids[1]); ok {
		t.Errorf("oldest unreferenced entry survived")
	}
	last := ids[len(ids)-1]
	if v, ok := c.get(last); !ok || !bytes.Equal(v, val(last)) {
		t.Errorf("newest entry missing")
	}
	hits, misses := c.stats()
	if want := uint64(len(ids)-1) + 1; hits != want || misses != 1 {
		t.Errorf("hits %d misses %d, want %d and 1", hits, misses, want)
	}
	// A value larger than a shard's budget is not cached; a duplicate put
	// keeps the first value.
	c.put(1000, make([]byte, 20*valSize))
	if _, ok := c.get(1000); ok {
		t.Errorf("oversized value cached")
	}
	c.put(last, []byte("other"))
	if v, _ := c.get(last); !bytes.Equal(v, val(last)) {
		t.Errorf("duplicate put replaced the value")
	}
	// Empty values are cached and are not mistaken for empty entries.
	c.put(ids[5], []byte{})
	if v, ok := c.get(ids[5]); !ok || v == nil || len(v) != 0 {
		t.Errorf("empty value: %v %v", v, ok)
	}
	// After drop (engine Close) the cache is empty and stores nothing.
	c.drop()
	c.put(last+1, val(last+1))
	if used, n := c.usage(); used != 0 || n != 0 {
		t.Errorf("dropped cache holds %d entries, %d bytes", n, used)
	}
	if _, ok := c.get(last); ok {
		t.Errorf("dropped cache returned a value")
	}
	// A disabled cache stores nothing.
	d := newCache(-1)
	d.put(1, val(1))
	if _, ok := d.get(1); ok {
		t.Errorf("disabled cache returned a value")
	}
}

// TestCorruptCompressedSlot checks the pooled-buffer read paths of
// compressed values: a damaged slot fails Get and the iterator with
// ErrCorrupt, is not cached, and the intact values read back correctly
// (twice: first from disk, then with the intact values cached).
func TestCorruptCompressedSlot(t *testing.T) {
	dir := t.TempDir()
	e := openT(t, dir)
	val := bytes.Repeat([]byte("compressible "), 400) // 5200 bytes
	for i := range 8 {
		putT(t, e, fmt.Sprintf("k%d", i), string(val))
	}
	if err := e.Compact(); err != nil {
		t.Fatal(err)
	}
	e.mu.RLock()
	it, _ := e.tree.Get(item{key: []byte("k3")})
	e.mu.RUnlock()
	if it.loc.flags&flagCompressed == 0 || it.loc.class == classLarge {
		t.Fatalf("value not stored compressed in a slab: %+v", it.loc)
	}
	path := filepath.Join(dir, slabName(int(it.loc.class)))
	off := slabHeaderSize + int64(it.loc.slot)*int64(slotSizes[it.loc.class]) + slotHeaderSize + 3
	closeT(t, e)
	corruptFile(t, path, off)
	e = openT(t, dir)
	defer closeT(t, e)
	for range 2 {
		for _, lower := range []string{"k0", "k4"} {
			iter := e.NewIterator(IterOptions{Lower: []byte(lower)})
			n := 0
			for iter.Next() {
				if !bytes.Equal(iter.Value(), val) {
					t.Fatalf("iterator value of %s differs", iter.Key())
				}
				n++
			}
			if lower == "k0" && !errors.Is(iter.Err(), ErrCorrupt) {
				t.Fatalf("iterator over damaged value: Err = %v after %d keys", iter.Err(), n)
			}
			if lower == "k4" && (iter.Err() != nil || n != 4) {
				t.Fatalf("iterator from k4: %d keys, %v", n, iter.Err())
			}
			iter.Close()
		}
		for i := range 8 {
			v, err := e.Get(fmt.Appendf(nil, "k%d", i))
			if i == 3 {
				if !errors.Is(err, ErrCorrupt) || v != nil || !strings.Contains(err.Error(), path) {
					t.Fatalf("Get of damaged value = %d bytes, %v", len(v), err)
				}
			} else if err != nil || !bytes.Equal(v, val) {
				t.Fatalf("Get(k%d) = %d bytes, %v", i, len(v), err)
			}
		}
	}
}
