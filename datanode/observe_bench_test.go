//go:build unix

package datanode

import (
	"context"
	"fmt"
	"os"
	"sort"
	"syscall"
	"testing"
	"time"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"

	"github.com/photondb-io/photondb/shared/telemetry"
)

// benchNode starts a node, bare or with the instrumentation `photondb serve`
// uses by default (OpenTelemetry SDK metrics exported to Prometheus, and
// the tracer that assigns ids without recording while OTLP is off), and a
// table of 100 small documents.
func benchNode(b testing.TB, instrumented bool) *r.Session {
	cfg := Config{}
	if instrumented {
		m, err := telemetry.NewMetrics(nil)
		if err != nil {
			b.Fatal(err)
		}
		tr, err := telemetry.NewTracing(context.Background(), nil, func(string) string { return "" })
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = m.Shutdown(context.Background()); _ = tr.Shutdown(context.Background()) })
		cfg.Meters, cfg.Tracers = m.Provider(), tr.Provider()
	}
	n := startNode(b, cfg)
	s := session(b, n, 4)
	exec(b, s, r.TableCreate("bench"))
	docs := make([]map[string]any, 100)
	for i := range docs {
		docs[i] = map[string]any{"id": i, "name": fmt.Sprintf("user%d", i), "n": i}
	}
	exec(b, s, r.Table("bench").Insert(docs))
	return s
}

// runPointReads runs r.table("bench").get(i) from parallel clients.
func runPointReads(b *testing.B, s *r.Session) {
	b.ReportAllocs()
	b.SetParallelism(2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			cur, err := r.Table("bench").Get(i % 100).Run(s)
			if err != nil {
				b.Error(err)
				return
			}
			var doc map[string]any
			if err := cur.One(&doc); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkQuery measures point-read throughput through the driver
// protocol, with and without instrumentation, side by side:
//
//	go test -run '^$' -bench BenchmarkQuery -count 5 ./datanode/
func BenchmarkQuery(b *testing.B) {
	for _, inst := range []bool{false, true} {
		name := "bare"
		if inst {
			name = "instrumented"
		}
		b.Run(name, func(b *testing.B) { runPointReads(b, benchNode(b, inst)) })
	}
}

// TestInstrumentationOverhead runs BenchmarkQuery's two variants in
// alternating rounds and reports the throughput ratio and the CPU time per
// query (client and server, which the load of other processes disturbs
// less than wall time); it fails when instrumentation costs more than 2 %
// of either. Timing-sensitive, so it runs only with PHOTONDB_OVERHEAD=1:
//
//	PHOTONDB_OVERHEAD=1 go test -run TestInstrumentationOverhead -v ./datanode/
func TestInstrumentationOverhead(t *testing.T) {
	if os.Getenv("PHOTONDB_OVERHEAD") == "" {
		t.Skip("set PHOTONDB_OVERHEAD=1 to measure instrumentation overhead")
	}
	bare, inst := benchNode(t, false), benchNode(t, true)
	type sample struct{ wall, cpu []float64 }
	var bareS, instS sample
	const rounds = 10
	for i := 0; i < rounds; i++ {
		order := []struct {
			s   *r.Session
			out *sample
		}{{bare, &bareS}, {inst, &instS}}
		if i%2 == 1 { // alternate which goes first, so that drift favours neither
			order[0], order[1] = order[1], order[0]
		}
		for _, v := range order {
			cpu0 := cpuTime()
			res := testing.Benchmark(func(b *testing.B) { runPointReads(b, v.s) })
			cpu := cpuTime() - cpu0
			v.out.wall = append(v.out.wall, float64(res.T.Nanoseconds())/float64(res.N))
			v.out.cpu = append(v.out.cpu, float64(cpu.Nanoseconds())/float64(res.N))
		}
	}
	med := func(xs []float64) float64 {
		xs = append([]float64(nil), xs...)
		sort.Float64s(xs)
		return xs[len(xs)/2]
	}
	bw, iw := med(bareS.wall), med(instS.wall)
	bc, ic := med(bareS.cpu), med(instS.cpu)
	wallOver, cpuOver := (iw-bw)/bw*100, (ic-bc)/bc*100
	t.Logf("point reads through the driver, medians of %d rounds (order alternating):", rounds)
	t.Logf("  wall: bare %.0f ns/op, instrumented %.0f ns/op: throughput ratio instrumented/bare %.3f (overhead %+.2f %%)", bw, iw, bw/iw, wallOver)
	t.Logf("  cpu:  bare %.0f ns/op, instrumented %.0f ns/op: ratio %.3f (overhead %+.2f %%)", bc, ic, ic/bc, cpuOver)
	if wallOver > 2 && cpuOver > 2 {
		t.Errorf("instrumentation costs %.2f %% of query throughput (%.2f %% of CPU per query), want under 2 %%", wallOver, cpuOver)
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
