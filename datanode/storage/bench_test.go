package storage

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

func benchEngine(b *testing.B, keys int) *Engine {
	b.Helper()
	e := openT(b, b.TempDir())
	b.Cleanup(func() { e.Close() })
	val := make([]byte, 100)
	batch := e.NewBatch()
	for i := range keys {
		batch.Put(benchKey(i), val)
		if batch.Len() == 1000 {
			if err := e.Apply(batch, Soft); err != nil {
				b.Fatal(err)
			}
			batch.Reset()
		}
	}
	if err := e.Apply(batch, Soft); err != nil {
		b.Fatal(err)
	}
	return e
}

func benchKey(i int) []byte { return fmt.Appendf(nil, "key%010d", i) }

// BenchmarkApplyHard measures Hard (fsynced) single-put batches from many
// goroutines, which share fsyncs through group commit.
func BenchmarkApplyHard(b *testing.B) {
	e := benchEngine(b, 0)
	var n atomic.Int64
	val := make([]byte, 100)
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		batch := e.NewBatch()
		for pb.Next() {
			batch.Reset()
			batch.Put(benchKey(int(n.Add(1))), val)
			if err := e.Apply(batch, Hard); err != nil {
				b.Error(err)
				return
			}
		}
	})
	st := e.Stats()
	b.ReportMetric(float64(st.Batches)/float64(max(st.Fsyncs, 1)), "batches/fsync")
}

// BenchmarkApplySoft measures Soft single-put batches from one goroutine.
func BenchmarkApplySoft(b *testing.B) {
	e := benchEngine(b, 0)
	val := make([]byte, 100)
	batch := e.NewBatch()
	i := 0
	for b.Loop() {
		batch.Reset()
		batch.Put(benchKey(i), val)
		i++
		if err := e.Apply(batch, Soft); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet measures point reads over 100k keys.
func BenchmarkGet(b *testing.B) {
	const keys = 100_000
	e := benchEngine(b, keys)
	rng := rand.New(rand.NewPCG(1, 1))
	ks := make([][]byte, 1024)
	for i := range ks {
		ks[i] = benchKey(rng.IntN(keys))
	}
	i := 0
	for b.Loop() {
		if _, err := e.Get(ks[i%len(ks)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkScan1000 measures creating an iterator and reading 1000
// consecutive keys from a random start, over 100k keys.
func BenchmarkScan1000(b *testing.B) {
	const keys = 100_000
	e := benchEngine(b, keys)
	rng := rand.New(rand.NewPCG(2, 2))
	for b.Loop() {
		it := e.NewIterator(IterOptions{Lower: benchKey(rng.IntN(keys - 1000))})
		n := 0
		for n < 1000 && it.Next() {
			_ = it.Value()
			n++
		}
		it.Close()
		if n != 1000 {
			b.Fatalf("scanned %d keys", n)
		}
	}
}
