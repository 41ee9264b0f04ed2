package storage

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"
	bolt "go.etcd.io/bbolt"
)

// BenchmarkCompare runs the workloads on this engine, pebble and
// bbolt, with 1 KB values, and prints one table. It only runs with -bench
// (make bench); PHOTONDB_BENCH_KEYS sets the key count (default 1M) and
// PHOTONDB_BENCH_ENGINES (comma-separated names) limits the engines run,
// for profiling one of them.
//
//	go test -run '^$' -bench Compare -benchtime 1x ./datanode/storage/
func BenchmarkCompare(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("PHOTONDB_BENCH_KEYS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for b.Loop() {
		runCompare(b, n)
	}
}

type kvEngine interface {
	put(kvs [][2][]byte, sync bool) error
	get(k []byte) error
	scan(lower []byte, n int) (int, error)
	compact() error
	close() error
}

type engineSpec struct {
	name string
	open func(dir string, cacheBytes int64) (kvEngine, error)
}

var benchSpecs = []engineSpec{
	{"photondb", func(dir string, c int64) (kvEngine, error) {
		e, err := Open(dir, Options{CacheBytes: c})
		return &photonKV{e}, err
	}},
	{"pebble", func(dir string, c int64) (kvEngine, error) {
		cache := pebble.NewCache(c)
		defer cache.Unref()
		db, err := pebble.Open(dir, &pebble.Options{Cache: cache, Logger: quietLogger{}})
		return &pebbleKV{db}, err
	}},
	{"bbolt", func(dir string, c int64) (kvEngine, error) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		db, err := bolt.Open(filepath.Join(dir, "bolt.db"), 0o644, nil)
		if err != nil {
			return nil, err
		}
		err = db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists([]byte("b")); return err })
		return &boltKV{db}, err
	}},
}

type photonKV struct{ e *Engine }

func (p *photonKV) put(kvs [][2][]byte, sync bool) error {
	b := p.e.NewBatch()
	for _, kv := range kvs {
		if kv[1] == nil {
			b.Delete(kv[0])
		} else {
			b.Put(kv[0], kv[1])
		}
	}
	d := Soft
	if sync {
		d = Hard
	}
	return p.e.Apply(b, d)
}
func (p *photonKV) get(k []byte) error { _, err := p.e.Get(k); return err }
func (p *photonKV) scan(lower []byte, n int) (int, error) {
	it := p.e.NewIterator(IterOptions{Lower: lower})
	defer it.Close()
	i := 0
	for i < n && it.Next() {
		_ = it.Value()
		i++
	}
	return i, it.Err()
}
func (p *photonKV) compact() error { return p.e.Compact() }
func (p *photonKV) close() error   { return p.e.Close() }

type pebbleKV struct{ db *pebble.DB }

func (p *pebbleKV) put(kvs [][2][]byte, sync bool) error {
	b := p.db.NewBatch()
	for _, kv := range kvs {
		if kv[1] == nil {
			b.Delete(kv[0], nil)
		} else {
			b.Set(kv[0], kv[1], nil)
		}
	}
	o := pebble.NoSync
	if sync {
		o = pebble.Sync
	}
	return b.Commit(o)
}
func (p *pebbleKV) get(k []byte) error {
	v, c, err := p.db.Get(k)
	if err == nil {
		_ = v
		c.Close()
	}
	return err
}
func (p *pebbleKV) scan(lower []byte, n int) (int, error) {
	it, err := p.db.NewIter(&pebble.IterOptions{LowerBound: lower})
	if err != nil {
		return 0, err
	}
	i := 0
	for ok := it.First(); ok && i < n; ok = it.Next() {
		_ = it.Value()
		i++
	}
	return i, it.Close()
}
func (p *pebbleKV) compact() error {
	return p.db.Compact([]byte{0}, []byte{0xff, 0xff, 0xff}, true)
}
func (p *pebbleKV) close() error { return p.db.Close() }

type boltKV struct{ db *bolt.DB }

func (p *boltKV) put(kvs [][2][]byte, sync bool) error {
	f := func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte("b"))
		for _, kv := range kvs {
			var err error
			if kv[1] == nil {
				err = bk.Delete(kv[0])
			} else {
				err = bk.Put(kv[0], kv[1])
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	if sync {
		return p.db.Batch(f) // coalesces concurrent writers into one commit
	}
	p.db.NoSync = true
	defer func() { p.db.NoSync = false }()
	return p.db.Update(f)
}
func (p *boltKV) get(k []byte) error {
	return p.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("b")).Get(k) == nil {
			return ErrNotFound
		}
		return nil
	})
}
func (p *boltKV) scan(lower []byte, n int) (int, error) {
	i := 0
	err := p.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte("b")).Cursor()
		for k, v := c.Seek(lower); k != nil && i < n; k, v = c.Next() {
			_ = v
			i++
		}
		return nil
	})
	return i, err
}
func (p *boltKV) compact() error { return nil } // bbolt never shrinks its file
func (p *boltKV) close() error   { return p.db.Close() }

func cmpKey(i int) []byte { return fmt.Appendf(nil, "user%012d", i) }

// cmpValue returns a 1 KB JSON-like document: field names repeat, field
// values are random, so zstd gets about 2x like on real documents.
func cmpValue(rng *rand.Rand) []byte {
	v := make([]byte, 0, 1024)
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for f := 0; len(v) < 1024; f++ {
		v = fmt.Appendf(v, `"field_%d":"`, f%10)
		for range 24 {
			v = append(v, alnum[rng.IntN(len(alnum))])
		}
		v = append(v, `",`...)
	}
	return v[:1024]
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

func load(b *testing.B, kv kvEngine, n int, rng *rand.Rand) {
	batch := make([][2][]byte, 0, 1000)
	for i := range n {
		batch = append(batch, [2][]byte{cmpKey(i), cmpValue(rng)})
		if len(batch) == cap(batch) || i == n-1 {
			if err := kv.put(batch, false); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

type result struct {
	metric string
	unit   string
	higher bool // higher is better
	vals   map[string]float64
}

func runCompare(b *testing.B, n int) {
	base := b.TempDir()
	var results []*result
	add := func(metric, unit string, higher bool) *result {
		r := &result{metric: metric, unit: unit, higher: higher, vals: map[string]float64{}}
		results = append(results, r)
		return r
	}
	durable := add("durable writes, 32 writers, batch 1", "ops/s", true)
	soft := add("soft writes, batch 100", "keys/s", true)
	hot := add(fmt.Sprintf("point reads hot, %d keys", n), "ops/s", true)
	cold := add("point reads cold (cache 1/10)", "ops/s", true)
	scan := add("range scan 1000 keys (hot cache)", "scans/s", true)
	scanCold := add("range scan 1000 keys, cold (cache 1/10)", "scans/s", true)
	space := add("space amp after writes/overwrites/deletes+Compact", "x live", false)
	openT := add(fmt.Sprintf("open time, %d keys", n), "ms", false)
	dataBytes := int64(n) * 1040
	for _, spec := range benchSpecs {
		if only := os.Getenv("PHOTONDB_BENCH_ENGINES"); only != "" && !slices.Contains(strings.Split(only, ","), spec.name) {
			continue
		}
		rng := rand.New(rand.NewPCG(1, 2))
		dir := filepath.Join(base, spec.name)
		kv, err := spec.open(dir, 2*dataBytes)
		if err != nil {
			b.Fatal(err)
		}
		// 1. durable writes.
		const writers, perWriter = 32, 300
		var ctr atomic.Int64
		start := time.Now()
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), 7))
				for range perWriter {
					k := cmpKey(n + int(ctr.Add(1)))
					if err := kv.put([][2][]byte{{k, cmpValue(r)}}, true); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		durable.vals[spec.name] = writers * perWriter / time.Since(start).Seconds()
		// 2. soft writes, batches of 100.
		const softBatches = 1000
		batch := make([][2][]byte, 100)
		start = time.Now()
		for i := range softBatches {
			for j := range batch {
				batch[j] = [2][]byte{cmpKey(2*n + i*100 + j), cmpValue(rng)}
			}
			if err := kv.put(batch, false); err != nil {
				b.Fatal(err)
			}
		}
		soft.vals[spec.name] = softBatches * 100 / time.Since(start).Seconds()
		// 3. load n keys, hot reads.
		load(b, kv, n, rng)
		// reads measures random point reads. Hot means in cache (the issue's
		// definition): the cache holds the whole data set and every key is
		// read once before measuring. Cold means a cache of 1/10 of the
		// data, brought to a steady state by random reads first.
		reads := func(r *result, hot bool) {
			if hot {
				for i := range n {
					if err := kv.get(cmpKey(i)); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				for range min(n, 200_000) {
					kv.get(cmpKey(rng.IntN(n)))
				}
			}
			const ops = 300_000
			start := time.Now()
			for range ops {
				if err := kv.get(cmpKey(rng.IntN(n))); err != nil {
					b.Fatal(err)
				}
			}
			r.vals[spec.name] = ops / time.Since(start).Seconds()
		}
		reads(hot, true)
		// 4. scans.
		scans := func(r *result) {
			const scans = 2000
			start := time.Now()
			for range scans {
				if got, err := kv.scan(cmpKey(rng.IntN(n-1000)), 1000); err != nil || got != 1000 {
					b.Fatalf("%s scan: %d, %v", spec.name, got, err)
				}
			}
			r.vals[spec.name] = scans / time.Since(start).Seconds()
		}
		scans(scan)
		if err := kv.close(); err != nil {
			b.Fatal(err)
		}
		// 6. open time (and cold reads with a small cache).
		// Collect the previous phase's garbage (a cache of the whole data
		// set) first, so open time measures the engine, not that GC.
		kv = nil
		runtime.GC()
		start = time.Now()
		kv, err = spec.open(dir, dataBytes/10)
		if err != nil {
			b.Fatal(err)
		}
		openT.vals[spec.name] = float64(time.Since(start).Milliseconds())
		reads(cold, false)
		scans(scanCold)
		kv.close()
		os.RemoveAll(dir)

		// 5. space amplification: n writes, 50% overwrites, 20% deletes.
		kv, err = spec.open(dir, 64<<20)
		if err != nil {
			b.Fatal(err)
		}
		load(b, kv, n, rng)
		live := map[int]bool{}
		for i := range n {
			live[i] = true
		}
		var ops [][2][]byte
		flush := func(force bool) {
			if len(ops) >= 1000 || (force && len(ops) > 0) {
				if err := kv.put(ops, false); err != nil {
					b.Fatal(err)
				}
				ops = ops[:0]
			}
		}
		for range n / 2 {
			ops = append(ops, [2][]byte{cmpKey(rng.IntN(n)), cmpValue(rng)})
			flush(false)
		}
		for range n / 5 {
			i := rng.IntN(n)
			delete(live, i)
			ops = append(ops, [2][]byte{cmpKey(i), nil})
			flush(false)
		}
		flush(true)
		if err := kv.compact(); err != nil {
			b.Fatal(err)
		}
		liveBytes := int64(len(live)) * int64(len(cmpKey(0))+1024)
		if err := kv.close(); err != nil {
			b.Fatal(err)
		}
		space.vals[spec.name] = float64(dirSize(dir)) / float64(liveBytes)
		os.RemoveAll(dir)
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "\nstorage comparison: %d keys, 1 KB values, GOMAXPROCS=%d\n", n, runtimeProcs())
	fmt.Fprintf(&out, "%-52s %-8s %14s %14s %14s %10s %10s\n", "workload", "unit", "photondb", "pebble", "bbolt", "vs pebble", "vs bbolt")
	for _, r := range results {
		p, pb, bb := r.vals["photondb"], r.vals["pebble"], r.vals["bbolt"]
		ratio := func(o float64) string {
			if o == 0 || p == 0 {
				return "-"
			}
			if r.higher {
				return fmt.Sprintf("%.2fx", p/o)
			}
			return fmt.Sprintf("%.2fx", o/p) // >1 means photondb is better
		}
		fmt.Fprintf(&out, "%-52s %-8s %14.1f %14.1f %14.1f %10s %10s\n", r.metric, r.unit, p, pb, bb, ratio(pb), ratio(bb))
	}
	fmt.Fprintf(&out, "(ratios: >1 means photondb is better; for space and open time the inverse ratio is shown)\n")
	fmt.Print(out.String())
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{})  {}
func (quietLogger) Errorf(string, ...interface{}) {}
func (quietLogger) Fatalf(f string, a ...interface{}) {
	panic(fmt.Sprintf(f, a...))
}
