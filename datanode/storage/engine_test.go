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
	"sync"
	"testing"
	"time"
)

func openT(t testing.TB, dir string) *Engine {
	t.Helper()
	e, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return e
}

func closeT(t testing.TB, e *Engine) {
	t.Helper()
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func putT(t testing.TB, e *Engine, kv ...string) {
	t.Helper()
	b := e.NewBatch()
	for i := 0; i < len(kv); i += 2 {
		b.Put([]byte(kv[i]), []byte(kv[i+1]))
	}
	if err := e.Apply(b, Hard); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// dump returns every key/value visible through r.
func dump(t testing.TB, r Reader) map[string]string {
	t.Helper()
	m := map[string]string{}
	it := r.NewIterator(IterOptions{})
	defer it.Close()
	var prev []byte
	for it.Next() {
		if prev != nil && bytes.Compare(prev, it.Key()) >= 0 {
			t.Fatalf("iterator out of order: %q then %q", prev, it.Key())
		}
		prev = it.Key()
		m[string(it.Key())] = string(it.Value())
	}
	if err := it.Err(); err != nil {
		t.Fatalf("iterator: %v", err)
	}
	return m
}

type testOp struct {
	del   bool
	key   string
	value string
}

func put(k, v string) testOp { return testOp{key: k, value: v} }
func del(k string) testOp    { return testOp{del: true, key: k} }

func TestApplyAndGet(t *testing.T) {
	tests := []struct {
		name    string
		batches [][]testOp
		want    map[string]string // the whole final content
	}{
		{
			name:    "single put",
			batches: [][]testOp{{put("k", "v")}},
			want:    map[string]string{"k": "v"},
		},
		{
			name:    "empty value",
			batches: [][]testOp{{put("k", "")}},
			want:    map[string]string{"k": ""},
		},
		{
			name:    "overwrite",
			batches: [][]testOp{{put("k", "v1")}, {put("k", "v2")}},
			want:    map[string]string{"k": "v2"},
		},
		{
			name:    "overwrite with shorter and empty",
			batches: [][]testOp{{put("k", "long value")}, {put("k", "s")}, {put("j", "x")}, {put("j", "")}},
			want:    map[string]string{"k": "s", "j": ""},
		},
		{
			name:    "delete",
			batches: [][]testOp{{put("a", "1"), put("b", "2")}, {del("a")}},
			want:    map[string]string{"b": "2"},
		},
		{
			name:    "delete missing key",
			batches: [][]testOp{{del("nope")}, {put("a", "1")}, {del("zzz"), del("nope")}},
			want:    map[string]string{"a": "1"},
		},
		{
			name:    "delete then put again",
			batches: [][]testOp{{put("a", "1")}, {del("a")}, {put("a", "2")}},
			want:    map[string]string{"a": "2"},
		},
		{
			name:    "ops in a batch apply in order",
			batches: [][]testOp{{put("a", "1"), put("a", "2"), del("b"), put("b", "3"), put("c", "4"), del("c")}},
			want:    map[string]string{"a": "2", "b": "3"},
		},
		{
			name: "multi-key batches",
			batches: [][]testOp{
				{put("x/1", "a"), put("x/2", "b"), put("x/3", "c")},
				{del("x/2"), put("y", "d")},
			},
			want: map[string]string{"x/1": "a", "x/3": "c", "y": "d"},
		},
		{
			name:    "binary keys and values",
			batches: [][]testOp{{put("\x00", "\x00\xff"), put("\xff\xff", "\x00"), put("a\x00b", "v")}},
			want:    map[string]string{"\x00": "\x00\xff", "\xff\xff": "\x00", "a\x00b": "v"},
		},
		{
			name:    "nothing",
			batches: nil,
			want:    map[string]string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			e := openT(t, dir)
			for _, ops := range tc.batches {
				b := e.NewBatch()
				for _, o := range ops {
					if o.del {
						b.Delete([]byte(o.key))
					} else {
						b.Put([]byte(o.key), []byte(o.value))
					}
				}
				if err := e.Apply(b, Hard); err != nil {
					t.Fatalf("Apply: %v", err)
				}
			}
			check := func(e *Engine) {
				t.Helper()
				for k, v := range tc.want {
					got, err := e.Get([]byte(k))
					if err != nil || string(got) != v {
						t.Errorf("Get(%q) = %q, %v; want %q", k, got, err, v)
					}
					if got == nil {
						t.Errorf("Get(%q) returned a nil slice for a present key", k)
					}
					if ok, err := e.Has([]byte(k)); !ok || err != nil {
						t.Errorf("Has(%q) = %v, %v; want true", k, ok, err)
					}
				}
				for _, ops := range tc.batches {
					for _, o := range ops {
						if _, ok := tc.want[o.key]; ok {
							continue
						}
						if _, err := e.Get([]byte(o.key)); !errors.Is(err, ErrNotFound) {
							t.Errorf("Get(%q) error = %v; want ErrNotFound", o.key, err)
						}
						if ok, err := e.Has([]byte(o.key)); ok || err != nil {
							t.Errorf("Has(%q) = %v, %v; want false", o.key, ok, err)
						}
					}
				}
				if got := dump(t, e); !mapsEqual(got, tc.want) {
					t.Errorf("content = %q; want %q", got, tc.want)
				}
				if got := e.Stats().Keys; got != len(tc.want) {
					t.Errorf("Stats().Keys = %d; want %d", got, len(tc.want))
				}
			}
			check(e)
			closeT(t, e)
			e = openT(t, dir) // replay
			check(e)
			closeT(t, e)
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestInvalidBatches(t *testing.T) {
	e := openT(t, t.TempDir())
	defer closeT(t, e)
	huge := make([]byte, MaxValueSize+1) // never touched, so never committed
	tests := []struct {
		name  string
		build func(b *Batch)
		want  error
	}{
		{"empty key put", func(b *Batch) { b.Put(nil, []byte("v")) }, ErrEmptyKey},
		{"empty key delete", func(b *Batch) { b.Delete([]byte{}) }, ErrEmptyKey},
		{"empty key after valid op", func(b *Batch) { b.Put([]byte("ok"), nil); b.Put([]byte{}, nil) }, ErrEmptyKey},
		{"key too large", func(b *Batch) { b.Put(make([]byte, MaxKeySize+1), nil) }, ErrTooLarge},
		{"value too large", func(b *Batch) { b.Put([]byte("k"), huge) }, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := e.NewBatch()
			tc.build(b)
			err := e.Apply(b, Hard)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Apply error = %v; want %v", err, tc.want)
			}
			if _, err := e.Get([]byte("ok")); !errors.Is(err, ErrNotFound) {
				t.Fatalf("part of an invalid batch was applied")
			}
			b.Reset()
			b.Put([]byte("fine"), []byte("1"))
			if err := e.Apply(b, Hard); err != nil {
				t.Fatalf("Apply after Reset: %v", err)
			}
		})
	}
	if err := e.Apply(e.NewBatch(), Durability(7)); err == nil {
		t.Fatal("Apply with invalid durability succeeded")
	}
	if err := e.Apply(e.NewBatch(), Hard); err != nil {
		t.Fatalf("Apply(empty batch) = %v", err)
	}
	if n := e.Stats().Batches; n != uint64(len(tests)) {
		t.Fatalf("Stats().Batches = %d; want %d", n, len(tests))
	}
	if _, err := e.Get(nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(nil) = %v; want ErrNotFound", err)
	}
}

func TestBatchReuseDoesNotAlias(t *testing.T) {
	e := openT(t, t.TempDir())
	defer closeT(t, e)
	key, val := []byte("key1"), []byte("value1")
	b := e.NewBatch()
	b.Put(key, val)
	copy(key, "XXXX") // the batch copied them
	copy(val, "YYYYYY")
	if b.Len() != 1 {
		t.Fatalf("Len = %d", b.Len())
	}
	if err := e.Apply(b, Soft); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if b.Len() != 0 {
		t.Fatalf("Len after Reset = %d", b.Len())
	}
	b.Put([]byte("key2"), []byte("value2")) // reuses the buffer
	if err := e.Apply(b, Soft); err != nil {
		t.Fatal(err)
	}
	got, err := e.Get([]byte("key1"))
	if err != nil || string(got) != "value1" {
		t.Fatalf("Get(key1) = %q, %v", got, err)
	}
	// Appending to a returned value must not clobber anything stored.
	_ = append(got, "garbage"...)
	it := e.NewIterator(IterOptions{})
	defer it.Close()
	for it.Next() {
		_ = append(it.Key(), 'x')
	}
	if got := dump(t, e); !mapsEqual(got, map[string]string{"key1": "value1", "key2": "value2"}) {
		t.Fatalf("content = %q", got)
	}
}

func TestIteration(t *testing.T) {
	keys := []string{"a", "ab", "abc", "abd", "ac", "b", "ba", "c", "z", "\xff", "\xff\xff", "\xff\xff\x01"}
	e := openT(t, t.TempDir())
	defer closeT(t, e)
	b := e.NewBatch()
	for _, k := range keys {
		b.Put([]byte(k), []byte("v"+k))
	}
	if err := e.Apply(b, Hard); err != nil {
		t.Fatal(err)
	}
	rev := func(s []string) []string { s = slices.Clone(s); slices.Reverse(s); return s }
	tests := []struct {
		name string
		o    IterOptions
		want []string
	}{
		{"all", IterOptions{}, keys},
		{"all reverse", IterOptions{Reverse: true}, rev(keys)},
		{"lower", IterOptions{Lower: []byte("abd")}, keys[3:]},
		{"lower between keys", IterOptions{Lower: []byte("abca")}, keys[3:]},
		{"upper", IterOptions{Upper: []byte("b")}, keys[:5]},
		{"upper reverse excludes upper", IterOptions{Upper: []byte("b"), Reverse: true}, rev(keys[:5])},
		{"range", IterOptions{Lower: []byte("ab"), Upper: []byte("ba")}, keys[1:6]},
		{"range reverse", IterOptions{Lower: []byte("ab"), Upper: []byte("ba"), Reverse: true}, rev(keys[1:6])},
		{"empty range", IterOptions{Lower: []byte("b"), Upper: []byte("b")}, nil},
		{"inverted range", IterOptions{Lower: []byte("c"), Upper: []byte("a")}, nil},
		{"empty bounds are unbounded", IterOptions{Lower: []byte{}, Upper: []byte{}}, keys},
		{"prefix", IterOptions{Prefix: []byte("ab")}, []string{"ab", "abc", "abd"}},
		{"prefix reverse", IterOptions{Prefix: []byte("ab"), Reverse: true}, []string{"abd", "abc", "ab"}},
		{"prefix with lower", IterOptions{Prefix: []byte("ab"), Lower: []byte("abc")}, []string{"abc", "abd"}},
		{"prefix with upper", IterOptions{Prefix: []byte("a"), Upper: []byte("abd")}, []string{"a", "ab", "abc"}},
		{"prefix outside bounds", IterOptions{Prefix: []byte("a"), Lower: []byte("b")}, nil},
		{"prefix no match", IterOptions{Prefix: []byte("q")}, nil},
		{"prefix all 0xff", IterOptions{Prefix: []byte("\xff\xff")}, []string{"\xff\xff", "\xff\xff\x01"}},
		{"prefix all 0xff reverse", IterOptions{Prefix: []byte("\xff"), Reverse: true}, rev(keys[9:])},
		{"prefix is whole key", IterOptions{Prefix: []byte("z")}, []string{"z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := e.NewIterator(tc.o)
			defer it.Close()
			var got []string
			for it.Next() {
				got = append(got, string(it.Key()))
				if want := "v" + string(it.Key()); string(it.Value()) != want {
					t.Errorf("value of %q = %q; want %q", it.Key(), it.Value(), want)
				}
			}
			if err := it.Err(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("keys = %q; want %q", got, tc.want)
			}
			if it.Next() || it.Key() != nil || it.Value() != nil {
				t.Errorf("exhausted iterator still positioned")
			}
		})
	}
}

// TestIterationRandom compares iterators over a few thousand keys (so that
// they cross many chunk boundaries) with a sorted slice.
func TestIterationRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	e := openT(t, t.TempDir())
	defer closeT(t, e)
	randKey := func() []byte {
		k := make([]byte, 1+rng.IntN(4))
		for i := range k {
			k[i] = "ab\x00\xff"[rng.IntN(4)]
		}
		return k
	}
	set := map[string]bool{}
	b := e.NewBatch()
	for range 3000 {
		k := randKey()
		set[string(k)] = true
		b.Put(k, k)
	}
	for range 200 {
		k := randKey()
		delete(set, string(k))
		b.Delete(k)
	}
	if err := e.Apply(b, Soft); err != nil {
		t.Fatal(err)
	}
	sorted := make([]string, 0, len(set))
	for k := range set {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	for range 300 {
		var o IterOptions
		if rng.IntN(2) == 0 {
			o.Lower = randKey()
		}
		if rng.IntN(2) == 0 {
			o.Upper = randKey()
		}
		if rng.IntN(3) == 0 {
			o.Prefix = randKey()[:1]
		}
		o.Reverse = rng.IntN(2) == 0
		var want []string
		for _, k := range sorted {
			if (o.Lower == nil || k >= string(o.Lower)) && (o.Upper == nil || k < string(o.Upper)) &&
				strings.HasPrefix(k, string(o.Prefix)) {
				want = append(want, k)
			}
		}
		if o.Reverse {
			slices.Reverse(want)
		}
		var got []string
		it := e.NewIterator(o)
		for it.Next() {
			got = append(got, string(it.Key()))
		}
		it.Close()
		if !slices.Equal(got, want) {
			t.Fatalf("options %+v: got %d keys, want %d\ngot  %q\nwant %q", o, len(got), len(want), got, want)
		}
	}
}

func TestSnapshotIsolation(t *testing.T) {
	e := openT(t, t.TempDir())
	defer closeT(t, e)
	for i := range 100 {
		putT(t, e, fmt.Sprintf("k%03d", i), "old")
	}
	snap := e.Snapshot()
	it := e.NewIterator(IterOptions{Prefix: []byte("k")})
	defer it.Close()

	// Write while the snapshot and iterator are open.
	b := e.NewBatch()
	for i := range 100 {
		if i%2 == 0 {
			b.Delete(fmt.Appendf(nil, "k%03d", i))
		} else {
			b.Put(fmt.Appendf(nil, "k%03d", i), []byte("new"))
		}
	}
	b.Put([]byte("k999"), []byte("new"))
	if err := e.Apply(b, Hard); err != nil {
		t.Fatal(err)
	}

	n := 0
	for it.Next() {
		if string(it.Value()) != "old" {
			t.Fatalf("iterator saw %q=%q written after it was created", it.Key(), it.Value())
		}
		n++
	}
	if n != 100 {
		t.Fatalf("iterator saw %d keys; want 100", n)
	}
	for i := range 100 {
		v, err := snap.Get(fmt.Appendf(nil, "k%03d", i))
		if err != nil || string(v) != "old" {
			t.Fatalf("snapshot Get(k%03d) = %q, %v; want old", i, v, err)
		}
	}
	if ok, _ := snap.Has([]byte("k999")); ok {
		t.Fatal("snapshot sees a key written after it")
	}
	if got := len(dump(t, snap)); got != 100 {
		t.Fatalf("snapshot holds %d keys; want 100", got)
	}
	if got := len(dump(t, e)); got != 51 {
		t.Fatalf("engine holds %d keys; want 51", got)
	}
	if v, _ := e.Get([]byte("k001")); string(v) != "new" {
		t.Fatalf("engine Get(k001) = %q; want new", v)
	}

	// The snapshot survives Close of the engine, until Release.
	sit := snap.NewIterator(IterOptions{})
	closeT(t, e)
	if v, err := snap.Get([]byte("k000")); err != nil || string(v) != "old" {
		t.Fatalf("snapshot Get after Close = %q, %v", v, err)
	}
	snap.Release()
	snap.Release()
	if _, err := snap.Get([]byte("k000")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Release = %v; want ErrClosed", err)
	}
	if _, err := snap.Has([]byte("k000")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Has after Release = %v; want ErrClosed", err)
	}
	if it := snap.NewIterator(IterOptions{}); it.Next() || !errors.Is(it.Err(), ErrClosed) {
		t.Fatalf("iterator on released snapshot: Err = %v", it.Err())
	}
	n = 0
	for sit.Next() {
		n++
	}
	if n != 100 {
		t.Fatalf("iterator created before Release saw %d keys", n)
	}
}

// TestConcurrentReadWrite checks, under the race detector in particular,
// that readers, snapshots and writers can run together and that batches
// are seen atomically.
func TestConcurrentReadWrite(t *testing.T) {
	e := openT(t, t.TempDir())
	defer closeT(t, e)
	const writers, perWriter, keysPerBatch = 4, 100, 5
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := e.NewBatch()
			for i := range perWriter {
				b.Reset()
				v := fmt.Appendf(nil, "%d-%d", w, i)
				for k := range keysPerBatch {
					b.Put(fmt.Appendf(nil, "w%d/%d", w, k), v)
				}
				d := Hard
				if i%2 == 1 {
					d = Soft
				}
				if err := e.Apply(b, d); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var rg sync.WaitGroup
	for range 2 {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				// Every writer's keys must all hold the same value in any
				// snapshot.
				snap := e.Snapshot()
				for w := range writers {
					it := snap.NewIterator(IterOptions{Prefix: fmt.Appendf(nil, "w%d/", w)})
					var first []byte
					n := 0
					for it.Next() {
						if first == nil {
							first = it.Value()
						} else if !bytes.Equal(first, it.Value()) {
							t.Errorf("torn batch: %q=%q but first=%q", it.Key(), it.Value(), first)
						}
						n++
					}
					it.Close()
					if n != 0 && n != keysPerBatch {
						t.Errorf("writer %d: saw %d keys", w, n)
					}
				}
				snap.Release()
				_, _ = e.Get([]byte("w0/0"))
			}
		}()
	}
	wg.Wait()
	close(stop)
	rg.Wait()
	st := e.Stats()
	if st.Batches != writers*perWriter || st.Keys != writers*keysPerBatch {
		t.Fatalf("stats = %+v", st)
	}
	t.Logf("%d batches, %d fsyncs", st.Batches, st.Fsyncs)
}

func TestReopenAfterClose(t *testing.T) {
	dir := t.TempDir()
	want := map[string]string{}
	for round := range 5 {
		e := openT(t, dir)
		if got := dump(t, e); !mapsEqual(got, want) {
			t.Fatalf("round %d: content after reopen differs: got %d keys, want %d", round, len(got), len(want))
		}
		b := e.NewBatch()
		for i := range 50 {
			k, v := fmt.Sprintf("r%d/%d", round, i), strings.Repeat("x", i)
			b.Put([]byte(k), []byte(v))
			want[k] = v
		}
		if round > 0 {
			k := fmt.Sprintf("r%d/7", round-1)
			b.Delete([]byte(k))
			delete(want, k)
		}
		d := Hard
		if round%2 == 1 {
			d = Soft // Close must flush Soft writes too
		}
		if err := e.Apply(b, d); err != nil {
			t.Fatal(err)
		}
		closeT(t, e)
		if err := e.Close(); err != nil {
			t.Fatalf("second Close = %v", err)
		}
	}
}

func TestClosedEngine(t *testing.T) {
	e := openT(t, t.TempDir())
	putT(t, e, "k", "v")
	v, _ := e.Get([]byte("k"))
	closeT(t, e)
	if string(v) != "v" {
		t.Fatalf("value read before Close changed to %q", v)
	}
	b := e.NewBatch()
	b.Put([]byte("k"), []byte("v2"))
	if err := e.Apply(b, Hard); !errors.Is(err, ErrClosed) {
		t.Errorf("Apply = %v", err)
	}
	if err := e.Apply(e.NewBatch(), Hard); !errors.Is(err, ErrClosed) {
		t.Errorf("Apply(empty) = %v", err)
	}
	if _, err := e.Get([]byte("k")); !errors.Is(err, ErrClosed) {
		t.Errorf("Get = %v", err)
	}
	if _, err := e.Has([]byte("k")); !errors.Is(err, ErrClosed) {
		t.Errorf("Has = %v", err)
	}
	if err := e.Sync(); !errors.Is(err, ErrClosed) {
		t.Errorf("Sync = %v", err)
	}
	if err := e.Compact(); !errors.Is(err, ErrClosed) {
		t.Errorf("Compact = %v", err)
	}
	if it := e.NewIterator(IterOptions{}); it.Next() || !errors.Is(it.Err(), ErrClosed) {
		t.Errorf("iterator Err = %v", it.Err())
	}
	if _, err := e.Snapshot().Get([]byte("k")); !errors.Is(err, ErrClosed) {
		t.Errorf("Snapshot().Get = %v", err)
	}
}

func TestDirectoryLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data") // created by Open
	e := openT(t, dir)
	_, err := Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("second Open = %v; want a lock error", err)
	}
	closeT(t, e)
	e = openT(t, dir) // the lock is released by Close
	closeT(t, e)
}

func TestLargeValue(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MiB")
	}
	dir := t.TempDir()
	e := openT(t, dir)
	big := make([]byte, 64<<20)
	for i := range big {
		big[i] = byte(i*7 + i>>13)
	}
	b := e.NewBatch()
	b.Put([]byte("big"), big)
	b.Put([]byte("small"), []byte("s"))
	if err := e.Apply(b, Hard); err != nil {
		t.Fatal(err)
	}
	b = nil
	check := func(e *Engine) {
		t.Helper()
		got, err := e.Get([]byte("big"))
		if err != nil || !bytes.Equal(got, big) {
			t.Fatalf("Get(big): len %d, err %v", len(got), err)
		}
	}
	check(e)
	closeT(t, e)
	e = openT(t, dir)
	check(e)
	if err := e.Compact(); err != nil {
		t.Fatal(err)
	}
	check(e)
	closeT(t, e)
	e = openT(t, dir)
	check(e)
	closeT(t, e)
}

func TestCompact(t *testing.T) {
	dir := t.TempDir()
	e := openT(t, dir)
	want := map[string]string{}
	for i := range 200 {
		b := e.NewBatch()
		for j := range 10 {
			k := fmt.Sprintf("k%02d", j)
			v := fmt.Sprintf("%d-%s", i, strings.Repeat("v", 100))
			b.Put([]byte(k), []byte(v))
			want[k] = v
		}
		b.Put([]byte(fmt.Sprintf("gone%d", i)), []byte("x"))
		b.Delete([]byte(fmt.Sprintf("gone%d", i)))
		if err := e.Apply(b, Soft); err != nil {
			t.Fatal(err)
		}
	}
	want["empty"] = ""
	putT(t, e, "empty", "")
	before := e.Stats()
	snap := e.Snapshot()
	if err := e.Compact(); err != nil {
		t.Fatal(err)
	}
	after := e.Stats()
	if after.Compactions != 1 || after.LogBytes >= before.LogBytes/10 || after.Keys != len(want) ||
		after.LiveBytes != before.LiveBytes {
		t.Fatalf("stats before %+v, after %+v", before, after)
	}
	if got := dump(t, e); !mapsEqual(got, want) {
		t.Fatalf("content after Compact differs")
	}
	if got := dump(t, snap); !mapsEqual(got, want) {
		t.Fatalf("snapshot content after Compact differs")
	}
	snap.Release()
	putT(t, e, "after", "compact") // appended to the new log
	want["after"] = "compact"
	closeT(t, e)
	if _, err := os.Stat(filepath.Join(dir, logName+".tmp")); !os.IsNotExist(err) {
		t.Fatalf("temporary file left behind: %v", err)
	}
	e = openT(t, dir)
	defer closeT(t, e)
	if got := dump(t, e); !mapsEqual(got, want) {
		t.Fatalf("content after reopen differs: %q", got)
	}
}

// TestCompactConcurrentWrites runs compactions while writers are busy and
// checks nothing is lost, including records appended during the compaction.
func TestCompactConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	e := openT(t, dir)
	var wg sync.WaitGroup
	const writers, perWriter = 4, 300
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				b := e.NewBatch()
				b.Put(fmt.Appendf(nil, "w%d/%04d", w, i), []byte("v"))
				b.Put(fmt.Appendf(nil, "hot%d", w), fmt.Appendf(nil, "%d", i))
				if err := e.Apply(b, Durability(i%2)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	writersDone := make(chan struct{})
	compactorDone := make(chan struct{})
	go func() {
		defer close(compactorDone)
		for {
			select {
			case <-writersDone:
				return
			case <-time.After(time.Millisecond):
			}
			if err := e.Compact(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	close(writersDone)
	<-compactorDone
	check := func() {
		t.Helper()
		got := dump(t, e)
		if len(got) != writers*perWriter+writers {
			t.Fatalf("%d keys; want %d", len(got), writers*perWriter+writers)
		}
		for w := range writers {
			if v := got[fmt.Sprintf("hot%d", w)]; v != fmt.Sprint(perWriter-1) {
				t.Fatalf("hot%d = %q", w, v)
			}
		}
	}
	check()
	if e.Stats().Compactions == 0 {
		t.Fatal("no compaction ran")
	}
	closeT(t, e)
	e = openT(t, dir)
	defer closeT(t, e)
	check()
}

func TestAutoCompaction(t *testing.T) {
	defer func(old int64) { autoCompactMinDead = old }(autoCompactMinDead)
	autoCompactMinDead = 64 << 10
	dir := t.TempDir()
	e := openT(t, dir)
	val := []byte(strings.Repeat("v", 1000))
	b := e.NewBatch()
	for range 500 { // 500 KB written to one key: almost all dead
		b.Reset()
		b.Put([]byte("k"), val)
		if err := e.Apply(b, Soft); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.Stats().Compactions == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no automatic compaction: %+v", e.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	closeT(t, e)

	// Now leave dead data behind with compaction disabled, and check that
	// Open compacts it.
	autoCompactMinDead = 1 << 62
	e = openT(t, dir)
	for range 500 {
		b.Reset()
		b.Put([]byte("k"), val)
		if err := e.Apply(b, Soft); err != nil {
			t.Fatal(err)
		}
	}
	closeT(t, e)
	autoCompactMinDead = 64 << 10
	e = openT(t, dir)
	defer closeT(t, e)
	st := e.Stats()
	if st.Compactions != 1 || st.LogBytes > 4<<10 {
		t.Fatalf("Open did not compact: %+v", st)
	}
	if v, err := e.Get([]byte("k")); err != nil || !bytes.Equal(v, val) {
		t.Fatalf("Get after compaction on open: %v", err)
	}
}

func TestStats(t *testing.T) {
	dir := t.TempDir()
	e := openT(t, dir)
	st := e.Stats()
	if st.Keys != 0 || st.LiveBytes != 0 || st.LogBytes != fileHeaderSize || st.Batches != 0 || st.Fsyncs != 0 ||
		st.Compactions != 0 || st.RecoveredRecords != 0 || st.TruncatedBytes != 0 {
		t.Fatalf("fresh stats = %+v", st)
	}
	putT(t, e, "a", "12345", "bb", "")
	st = e.Stats()
	// put "a"=5 bytes: kind+len+1+len+5 = 9; put "bb"="": 1+1+2+1+0 = 5
	wantLive := int64(9 + 5)
	wantLog := int64(fileHeaderSize + recordHeaderSize + batchHeaderSize + 9 + 5)
	if st.Keys != 2 || st.LiveBytes != wantLive || st.LogBytes != wantLog || st.Batches != 1 || st.Fsyncs != 1 {
		t.Fatalf("stats = %+v; want Keys 2, LiveBytes %d, LogBytes %d, Batches 1, Fsyncs 1", st, wantLive, wantLog)
	}
	b := e.NewBatch()
	b.Delete([]byte("a"))
	if err := e.Apply(b, Soft); err != nil {
		t.Fatal(err)
	}
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	st = e.Stats()
	if st.Keys != 1 || st.LiveBytes != 5 || st.Batches != 2 || st.Fsyncs != 2 {
		t.Fatalf("stats after delete = %+v", st)
	}
	if err := e.Sync(); err != nil { // nothing new: no fsync needed
		t.Fatal(err)
	}
	if st := e.Stats(); st.Fsyncs != 2 {
		t.Fatalf("Sync with nothing to sync issued an fsync: %+v", st)
	}
	logBytes := st.LogBytes
	closeT(t, e)
	e = openT(t, dir)
	defer closeT(t, e)
	st = e.Stats()
	if st.RecoveredRecords != 2 || st.Keys != 1 || st.LiveBytes != 5 || st.LogBytes != logBytes || st.Batches != 0 {
		t.Fatalf("stats after reopen = %+v", st)
	}
}

func TestSoftSyncInterval(t *testing.T) {
	e, err := Open(t.TempDir(), Options{SyncInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer closeT(t, e)
	b := e.NewBatch()
	b.Put([]byte("k"), []byte("v"))
	if err := e.Apply(b, Soft); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.Stats().Fsyncs == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Soft write was not fsynced in the background")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGroupCommit(t *testing.T) {
	e := openT(t, t.TempDir())
	defer closeT(t, e)
	const n = 64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			b := e.NewBatch()
			b.Put(fmt.Appendf(nil, "k%d", i), []byte("v"))
			if err := e.Apply(b, Hard); err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	st := e.Stats()
	if st.Batches != n || st.Fsyncs == 0 || st.Fsyncs > n {
		t.Fatalf("stats = %+v", st)
	}
	t.Logf("%d Hard batches from %d goroutines took %d fsyncs", st.Batches, n, st.Fsyncs)
}

// TestIOErrorStopsWrites simulates the log becoming unwritable: the failed
// Apply reports the error, later writes are refused, reads keep working.
func TestIOErrorStopsWrites(t *testing.T) {
	dir := t.TempDir()
	e := openT(t, dir)
	putT(t, e, "k", "v")
	e.f.Close() // every later write, truncate and fsync fails
	b := e.NewBatch()
	b.Put([]byte("k2"), []byte("v2"))
	if err := e.Apply(b, Hard); err == nil || !strings.Contains(err.Error(), "offset") {
		t.Fatalf("Apply on a broken log = %v", err)
	}
	if _, err := e.Get([]byte("k2")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("failed write became visible: %v", err)
	}
	if err := e.Apply(b, Soft); err == nil || !strings.Contains(err.Error(), "stopped accepting writes") {
		t.Fatalf("Apply after failure = %v", err)
	}
	if err := e.Sync(); err == nil {
		t.Fatal("Sync after failure succeeded")
	}
	if err := e.Compact(); err == nil {
		t.Fatal("Compact after failure succeeded")
	}
	if v, err := e.Get([]byte("k")); err != nil || string(v) != "v" {
		t.Fatalf("Get after failure = %q, %v", v, err)
	}
	if err := e.Close(); err == nil {
		t.Fatal("Close after failure reported no error")
	}
	e = openT(t, dir) // the lock was released and the log is intact
	defer closeT(t, e)
	if got := dump(t, e); !mapsEqual(got, map[string]string{"k": "v"}) {
		t.Fatalf("content = %q", got)
	}
}

// TestCompactAfterCaptureOverwrite is a deterministic version of a race
// TestCompactConcurrentWrites used to hit: a write between the checkpoint's
// capture of the index and Compact's truncation moves a key from the
// highest slot to a lower one and releases the old slot, which the new
// checkpoint still references. Truncating the slab below it left a
// checkpoint pointing past the end of the file, and Open failed.
func TestCompactAfterCaptureOverwrite(t *testing.T) {
	for _, large := range []bool{false, true} {
		t.Run(fmt.Sprintf("large=%v", large), func(t *testing.T) {
			dir := t.TempDir()
			e := openT(t, dir)
			val := func(i int) []byte {
				if large {
					// Incompressible and over maxSlotPayload.
					v := make([]byte, maxSlotPayload+100)
					for j := range v {
						v[j] = byte((j*7919 + i*104729) >> 3)
					}
					return []byte(fmt.Sprintf("%d-%x", i, v))
				}
				return []byte(fmt.Sprint(i))
			}
			b := e.NewBatch()
			for i := range 10 {
				b.Put(fmt.Appendf(nil, "k%d", i), []byte("v"))
			}
			b.Put([]byte("hot"), val(0)) // slot 10, the highest
			if err := e.Apply(b, Hard); err != nil {
				t.Fatal(err)
			}
			var hookErr error
			calls := 0
			testHookCheckpointCaptured = func() {
				if calls++; calls > 1 {
					return
				}
				// Free slot 0, then overwrite "hot", whose new value takes
				// slot 0 and whose old slot 10 is released once synced.
				b := e.NewBatch()
				b.Delete([]byte("k0"))
				if hookErr = e.Apply(b, Hard); hookErr != nil {
					return
				}
				b = e.NewBatch()
				b.Put([]byte("hot"), val(1))
				hookErr = e.Apply(b, Hard)
			}
			defer func() { testHookCheckpointCaptured = nil }()
			if err := e.Compact(); err != nil {
				t.Fatal(err)
			}
			if hookErr != nil {
				t.Fatal(hookErr)
			}
			testHookCheckpointCaptured = nil
			check := func() {
				t.Helper()
				got := dump(t, e)
				if len(got) != 10 || got["hot"] != string(val(1)) {
					t.Fatalf("%d keys, hot ok: %v", len(got), got["hot"] == string(val(1)))
				}
			}
			check()
			closeT(t, e)
			e = openT(t, dir)
			defer closeT(t, e)
			check()
			// A second Compact checkpoints an index that no longer
			// references the old slot, so the file shrinks.
			if err := e.Compact(); err != nil {
				t.Fatal(err)
			}
			check()
			for _, c := range e.Stats().Classes {
				if c.Free != 0 {
					t.Errorf("class %d: %d free slots after Compact", c.SlotSize, c.Free)
				}
			}
		})
	}
}
