package storage

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestValueSizeBoundaries stores values around every interesting size:
// class edges, the 64 KiB slot limit and large objects, compressible and
// not, and checks them before and after reopen and Compact.
func TestValueSizeBoundaries(t *testing.T) {
	for _, comp := range []Compression{CompressionZstd, CompressionNone} {
		t.Run(fmt.Sprint("compression=", comp), func(t *testing.T) {
			dir := t.TempDir()
			e, err := Open(dir, Options{Compression: comp})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(5, 6))
			sizes := []int{0, 1, 47, 48, 49, 63, 64, 65, 1000, 1024, 4096,
				maxSlotPayload - 1, maxSlotPayload, maxSlotPayload + 1, 64 << 10, 64<<10 + 1, 200 << 10, 1 << 20}
			want := map[string][]byte{}
			b := e.NewBatch()
			for _, n := range sizes {
				for _, random := range []bool{false, true} {
					v := make([]byte, n)
					for i := range v {
						if random {
							v[i] = byte(rng.Uint32())
						} else {
							v[i] = byte(i % 7)
						}
					}
					k := fmt.Sprintf("v%08d-%v", n, random)
					want[k] = v
					b.Put([]byte(k), v)
				}
			}
			if err := e.Apply(b, Hard); err != nil {
				t.Fatal(err)
			}
			check := func(stage string) {
				t.Helper()
				for k, v := range want {
					got, err := e.Get([]byte(k))
					if err != nil || !bytes.Equal(got, v) {
						t.Fatalf("%s: Get(%s): %d bytes, %v; want %d bytes", stage, k, len(got), err, len(v))
					}
				}
				n := 0
				it := e.NewIterator(IterOptions{})
				for it.Next() {
					if !bytes.Equal(it.Value(), want[string(it.Key())]) {
						t.Fatalf("%s: iterator value of %s differs", stage, it.Key())
					}
					n++
				}
				if err := it.Err(); err != nil || n != len(want) {
					t.Fatalf("%s: iterator saw %d keys, err %v", stage, n, err)
				}
				it.Close()
			}
			check("fresh")
			if st := e.Stats(); comp == CompressionZstd && st.CompressionRatio <= 1 {
				t.Errorf("compression ratio %v with compressible values", st.CompressionRatio)
			} else if comp == CompressionNone && st.CompressionRatio != 1 {
				t.Errorf("compression ratio %v with compression off", st.CompressionRatio)
			}
			closeT(t, e)
			e, err = Open(dir, Options{Compression: comp})
			if err != nil {
				t.Fatal(err)
			}
			check("reopened")
			if err := e.Compact(); err != nil {
				t.Fatal(err)
			}
			check("compacted")
			// Overwrite the large ones with small ones: large files go away.
			b.Reset()
			for k := range want {
				want[k] = []byte("small")
				b.Put([]byte(k), want[k])
			}
			if err := e.Apply(b, Hard); err != nil {
				t.Fatal(err)
			}
			if err := e.Compact(); err != nil {
				t.Fatal(err)
			}
			check("overwritten")
			if st := e.Stats(); st.LargeBytes != 0 {
				t.Errorf("large files left: %+v", st)
			}
			closeT(t, e)
		})
	}
}

// TestSlotReuse checks that overwrites and deletes do not grow the slab
// files and that Compact gives space back.
func TestSlotReuse(t *testing.T) {
	e, err := Open(t.TempDir(), Options{CacheBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer closeT(t, e)
	val := bytes.Repeat([]byte{'x', 'y', 0, 1}, 250)
	write := func(n int) {
		b := e.NewBatch()
		for i := range n {
			b.Put(fmt.Appendf(nil, "k%05d", i), val)
		}
		if err := e.Apply(b, Hard); err != nil {
			t.Fatal(err)
		}
	}
	write(1000)
	size := e.Stats().SlabFileBytes
	for range 5 {
		write(1000)
	}
	if got := e.Stats().SlabFileBytes; got > 2*size+4096 {
		t.Fatalf("overwrites grew slabs from %d to %d bytes", size, got)
	}
	b := e.NewBatch()
	for i := 100; i < 1000; i++ {
		b.Delete(fmt.Appendf(nil, "k%05d", i))
	}
	if err := e.Apply(b, Hard); err != nil {
		t.Fatal(err)
	}
	if err := e.Compact(); err != nil {
		t.Fatal(err)
	}
	st := e.Stats()
	if st.SlabFileBytes > size/5 {
		t.Fatalf("Compact left %d slab bytes for 100 of 1000 keys (was %d)", st.SlabFileBytes, size)
	}
	for i := range 100 {
		if v, err := e.Get(fmt.Appendf(nil, "k%05d", i)); err != nil || !bytes.Equal(v, val) {
			t.Fatalf("k%05d after compact: %v", i, err)
		}
	}
}

// TestSnapshotPinsSlots checks that a slot read by a live snapshot is not
// reused by later writes, even across Compact.
func TestSnapshotPinsSlots(t *testing.T) {
	e := openT(t, t.TempDir())
	defer closeT(t, e)
	for i := range 50 {
		putT(t, e, fmt.Sprintf("k%02d", i), fmt.Sprintf("old-%02d-%s", i, strings.Repeat("o", 100)))
	}
	snap := e.Snapshot()
	it := e.NewIterator(IterOptions{})
	for round := range 5 {
		b := e.NewBatch()
		for i := range 50 {
			if i%3 == 0 {
				b.Delete(fmt.Appendf(nil, "k%02d", i))
			} else {
				b.Put(fmt.Appendf(nil, "k%02d", i), fmt.Appendf(nil, "new-%d-%s", round, strings.Repeat("n", 100)))
			}
		}
		if err := e.Apply(b, Hard); err != nil {
			t.Fatal(err)
		}
		if err := e.Compact(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		v, err := snap.Get(fmt.Appendf(nil, "k%02d", i))
		if want := fmt.Sprintf("old-%02d-%s", i, strings.Repeat("o", 100)); err != nil || string(v) != want {
			t.Fatalf("snapshot k%02d = %q, %v", i, v, err)
		}
	}
	n := 0
	for it.Next() {
		if !bytes.HasPrefix(it.Value(), []byte("old-")) {
			t.Fatalf("iterator saw %q", it.Value())
		}
		n++
	}
	if n != 50 || it.Err() != nil {
		t.Fatalf("iterator: %d keys, %v", n, it.Err())
	}
	it.Close()
	snap.Release()
}

func corruptFile(t *testing.T, path string, off int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[off] ^= 0x40
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCorruptSlab flips bytes in slots and truncates slab files: reads
// report ErrCorrupt with file and offset and never return the bad data.
func TestCorruptSlab(t *testing.T) {
	dir := t.TempDir()
	e, err := Open(dir, Options{CacheBytes: -1, Compression: CompressionNone})
	if err != nil {
		t.Fatal(err)
	}
	val := bytes.Repeat([]byte("v"), 100) // 116-byte slots: class 120
	for i := range 10 {
		putT(t, e, fmt.Sprintf("k%d", i), string(val))
	}
	if err := e.Compact(); err != nil { // checkpoint, so Open does not rewrite
		t.Fatal(err)
	}
	closeT(t, e)
	path := filepath.Join(dir, slabName(int(classFor(len(val)))))
	slotSize := int64(slotSizes[classFor(len(val))])
	for _, at := range []int64{0, 5, 9, slotHeaderSize + 50} { // crc, length, id, payload
		t.Run(fmt.Sprint("byte ", at), func(t *testing.T) {
			off := slabHeaderSize + 3*slotSize + at
			corruptFile(t, path, off)
			defer corruptFile(t, path, off) // undo
			e := openT(t, dir)
			defer closeT(t, e)
			bad := 0
			for i := range 10 {
				v, err := e.Get(fmt.Appendf(nil, "k%d", i))
				if err != nil {
					if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) ||
						!strings.Contains(err.Error(), fmt.Sprint("offset ", slabHeaderSize+3*slotSize)) {
						t.Fatalf("Get error %v does not wrap ErrCorrupt naming %s and the slot offset", err, path)
					}
					bad++
				} else if !bytes.Equal(v, val) {
					t.Fatalf("Get returned corrupt data %q", v)
				}
			}
			if bad != 1 {
				t.Fatalf("%d keys reported corrupt; want 1", bad)
			}
			it := e.NewIterator(IterOptions{})
			for it.Next() {
				if !bytes.Equal(it.Value(), val) {
					t.Fatal("iterator returned corrupt data")
				}
			}
			if !errors.Is(it.Err(), ErrCorrupt) {
				t.Fatalf("iterator Err = %v; want ErrCorrupt", it.Err())
			}
			it.Close()
		})
	}
	t.Run("truncated", func(t *testing.T) {
		if err := os.Truncate(path, slabHeaderSize+5*slotSize+7); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir, Options{})
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
			t.Fatalf("Open with truncated slab = %v", err)
		}
	})
	t.Run("header", func(t *testing.T) {
		corruptFile(t, path, 3)
		_, err := Open(dir, Options{})
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
			t.Fatalf("Open with bad slab header = %v", err)
		}
	})
}

// TestCorruptCheckpoint flips and truncates the checkpoint: Open fails
// with ErrCorrupt naming it and the offset.
func TestCorruptCheckpoint(t *testing.T) {
	dir := t.TempDir()
	e := openT(t, dir)
	for i := range 200 {
		putT(t, e, fmt.Sprintf("key-%04d", i), strings.Repeat("v", i))
	}
	if err := e.Compact(); err != nil {
		t.Fatal(err)
	}
	closeT(t, e)
	path := filepath.Join(dir, ckptName)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	offs := []int{0, 12, 20, 40, 52, ckptHeaderSize, ckptHeaderSize + 4, ckptHeaderSize + 9, len(orig) - 1}
	for range 10 {
		offs = append(offs, rng.IntN(len(orig)))
	}
	for _, off := range offs {
		data := bytes.Clone(orig)
		data[off] ^= 0x10
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir, Options{})
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "offset") {
			t.Fatalf("flip at %d: Open = %v", off, err)
		}
	}
	for _, n := range []int{0, 10, ckptHeaderSize, ckptHeaderSize + 5, len(orig) - 1} {
		if err := os.WriteFile(path, orig[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(dir, Options{}); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d: Open = %v", n, err)
		}
	}
	if err := os.WriteFile(path, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	e = openT(t, dir)
	defer closeT(t, e)
	if e.Stats().Keys != 200 {
		t.Fatal("restored checkpoint does not open")
	}
}

// TestMetamorphic applies random operation sequences under different
// options (cache sizes, compression, reopen points, compactions) and
// compares every read with an in-memory ordered map.
func TestMetamorphic(t *testing.T) {
	configs := []struct {
		name  string
		opts  Options
		seed  uint64
		steps int
	}{
		{"cache-default/zstd", Options{}, 1, 600},
		{"no-cache/zstd", Options{CacheBytes: -1}, 2, 600},
		{"tiny-cache/none", Options{CacheBytes: 4 << 10, Compression: CompressionNone}, 3, 600},
		{"small-cache/zstd", Options{CacheBytes: 64 << 10}, 4, 600},
	}
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			defer func(o int64) { autoCompactMinDead = o }(autoCompactMinDead)
			autoCompactMinDead = 64 << 10
			dir := t.TempDir()
			rng := rand.New(rand.NewPCG(cfg.seed, 99))
			model := map[string]string{}
			e, err := Open(dir, cfg.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { e.Close() }()
			key := func() string { return fmt.Sprintf("k%03d", rng.IntN(300)) }
			value := func() string {
				n := []int{0, 1, 10, 100, 1000, 5000, 70000}[rng.IntN(7)]
				if rng.IntN(2) == 0 {
					return strings.Repeat(string(rune('a'+rng.IntN(26))), n)
				}
				b := make([]byte, n)
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
				return string(b)
			}
			var snaps []struct {
				s     Snapshot
				model map[string]string
			}
			for step := range cfg.steps {
				switch r := rng.IntN(100); {
				case r < 50:
					b := e.NewBatch()
					for range 1 + rng.IntN(rng.IntN(150)+1) {
						k := key()
						if rng.IntN(4) == 0 {
							b.Delete([]byte(k))
							delete(model, k)
						} else {
							v := value()
							b.Put([]byte(k), []byte(v))
							model[k] = v
						}
					}
					if err := e.Apply(b, Durability(rng.IntN(2))); err != nil {
						t.Fatal(err)
					}
				case r < 70:
					k := key()
					v, err := e.Get([]byte(k))
					if w, ok := model[k]; ok != (err == nil) || (ok && string(v) != w) {
						t.Fatalf("step %d: Get(%s) = %d bytes, %v; model has %v (%d bytes)", step, k, len(v), err, ok, len(w))
					}
				case r < 80:
					lo, hi := key(), key()
					o := IterOptions{Lower: []byte(lo), Upper: []byte(hi), Reverse: rng.IntN(2) == 0}
					checkIter(t, e, o, model)
				case r < 85:
					m := map[string]string{}
					for k, v := range model {
						m[k] = v
					}
					snaps = append(snaps, struct {
						s     Snapshot
						model map[string]string
					}{e.Snapshot(), m})
				case r < 90 && len(snaps) > 0:
					i := rng.IntN(len(snaps))
					checkIter(t, snaps[i].s, IterOptions{}, snaps[i].model)
					snaps[i].s.Release()
					snaps = slices.Delete(snaps, i, i+1)
				case r < 94:
					if err := e.Compact(); err != nil {
						t.Fatal(err)
					}
				case r < 97:
					for _, s := range snaps {
						s.s.Release()
					}
					snaps = nil
					if err := e.Close(); err != nil {
						t.Fatal(err)
					}
					if e, err = Open(dir, cfg.opts); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, s := range snaps {
				checkIter(t, s.s, IterOptions{}, s.model)
				s.s.Release()
			}
			checkIter(t, e, IterOptions{}, model)
			st := e.Stats()
			if cfg.opts.CacheBytes > 0 && float64(st.CacheUsedBytes) > 1.1*float64(cfg.opts.CacheBytes) {
				t.Fatalf("cache uses %d bytes, budget %d", st.CacheUsedBytes, cfg.opts.CacheBytes)
			}
			t.Logf("%d keys, cache hit rate %.2f, compression %.2f, classes %d", st.Keys, st.CacheHitRate, st.CompressionRatio, len(st.Classes))
		})
	}
}

func checkIter(t *testing.T, r Reader, o IterOptions, model map[string]string) {
	t.Helper()
	var want []string
	for k := range model {
		if (len(o.Lower) == 0 || k >= string(o.Lower)) && (len(o.Upper) == 0 || k < string(o.Upper)) {
			want = append(want, k)
		}
	}
	slices.Sort(want)
	if o.Reverse {
		slices.Reverse(want)
	}
	it := r.NewIterator(o)
	defer it.Close()
	i := 0
	for it.Next() {
		if i >= len(want) || string(it.Key()) != want[i] || string(it.Value()) != model[want[i]] {
			t.Fatalf("iterator %+v: entry %d = %q (%d bytes); want %v", o, i, it.Key(), len(it.Value()), want[min(i, len(want)-1):])
		}
		i++
	}
	if err := it.Err(); err != nil || i != len(want) {
		t.Fatalf("iterator %+v: %d entries, err %v; want %d", o, i, err, len(want))
	}
}
