//go:build unix

package datanode

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/photondb-io/photondb/shared/telemetry"
	"github.com/photondb-io/photondb/tests/bench/ycsb"
)

// TestProfileWorkloads runs issue 5's workloads (tests/bench/ycsb, through
// the official Go driver) against an in-process node instrumented as
// `photondb serve` is, writing a CPU and an allocation profile per workload.
// The server's goroutines carry the pprof label side=server, so that
// `go tool pprof -tagfocus side=server` separates its costs from the
// driver's. Runs only with PHOTONDB_PROFILE set to an output directory:
//
//	PHOTONDB_PROFILE=/tmp/prof go test -run TestProfileWorkloads -v ./datanode/
//
// PHOTONDB_PROFILE_RECORDS, _DURATION and _WORKLOADS override the defaults
// (20,000 records, 5 s, every workload).
func TestProfileWorkloads(t *testing.T) {
	dir := os.Getenv("PHOTONDB_PROFILE")
	if dir == "" {
		t.Skip("set PHOTONDB_PROFILE=<dir> to profile the benchmark workloads")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	records := int64(20000)
	if v := os.Getenv("PHOTONDB_PROFILE_RECORDS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		records = n
	}
	dur := 5 * time.Second
	if v := os.Getenv("PHOTONDB_PROFILE_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		dur = d
	}
	workloads := ycsb.AllWorkloads
	if v := os.Getenv("PHOTONDB_PROFILE_WORKLOADS"); v != "" {
		workloads = strings.Split(v, ",")
	}

	m, err := telemetry.NewMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := telemetry.NewTracing(context.Background(), nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown(context.Background()); _ = tr.Shutdown(context.Background()) })
	var n *Node
	pprof.Do(context.Background(), pprof.Labels("side", "server"), func(context.Context) {
		n = startNode(t, Config{Meters: m.Provider(), Tracers: tr.Provider()})
	})
	target := &ycsb.Photon{Addr: n.DriverAddr().String()}

	// Each workload runs on a freshly loaded table; profiling starts after
	// the load (profiledTarget.AfterLoad).
	for _, w := range workloads {
		cfg := ycsb.Config{Records: records, Duration: dur, Warmup: 500 * time.Millisecond, Workloads: []string{w}, Log: testWriter{t}}
		pt := &profiledTarget{Photon: target, t: t, dir: dir, name: w}
		b, err := ycsb.New(cfg, pt)
		if err != nil {
			t.Fatal(err)
		}
		res, err := b.Run(context.Background())
		pt.stop()
		if err != nil {
			t.Fatal(err)
		}
		r := res[0][0]
		t.Logf("%-12s %10.0f ops/s p50 %v p99 %v errors %d", w, r.OpsPerSec(), r.Hist.Quantile(0.5), r.Hist.Quantile(0.99), r.Errors)
	}
}

// profiledTarget starts the CPU profile once the table is loaded.
type profiledTarget struct {
	*ycsb.Photon
	t    *testing.T
	dir  string
	name string
	f    *os.File
}

func (p *profiledTarget) AfterLoad(ctx context.Context) error {
	if err := p.Photon.AfterLoad(ctx); err != nil {
		return err
	}
	runtime.GC()
	writeHeap(p.t, p.dir+"/"+p.name+".heap0")
	f, err := os.Create(p.dir + "/" + p.name + ".cpu")
	if err != nil {
		return err
	}
	p.f = f
	return pprof.StartCPUProfile(f)
}

func (p *profiledTarget) stop() {
	if p.f == nil {
		return
	}
	pprof.StopCPUProfile()
	p.f.Close()
	writeHeap(p.t, p.dir+"/"+p.name+".heap")
}

func writeHeap(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
