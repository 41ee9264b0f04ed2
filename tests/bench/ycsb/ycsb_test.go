package ycsb

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	for i := 1; i <= 10000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5000 * time.Microsecond}, {0.99, 9900 * time.Microsecond}, {1, 10000 * time.Microsecond}} {
		got := h.Quantile(c.q)
		if diff := float64(got-c.want) / float64(c.want); diff < -0.02 || diff > 0.02 {
			t.Errorf("q%.2f = %v, want %v ±2%%", c.q, got, c.want)
		}
	}
	for v := int64(0); v < 1<<20; v += 997 { // buckets are monotonic and contain v
		b := bucketOf(v)
		if b+1 < histBuckets && bucketOf(v+1) < b {
			t.Fatalf("bucketOf not monotonic at %d", v)
		}
		if m := bucketMid(b); v >= subCount && (float64(m-v) > 0.02*float64(v) || float64(v-m) > 0.02*float64(v)) {
			t.Fatalf("bucketMid(bucketOf(%d)) = %d", v, m)
		}
	}
}

func TestZipfianSkewAndRange(t *testing.T) {
	const n = 10000
	z := NewZipfian(n)
	rng := rand.New(rand.NewPCG(1, 2))
	counts := map[int64]int{}
	for i := 0; i < 100000; i++ {
		v := z.Next(rng)
		if v < 0 || v >= n {
			t.Fatalf("Next = %d, out of [0,%d)", v, n)
		}
		counts[v]++
	}
	top := 0
	for _, c := range counts {
		top = max(top, c)
	}
	// theta 0.99 over 10k items: the hottest item gets ~10% of the draws,
	// where a uniform distribution would give it 0.01%.
	if top < 5000 {
		t.Errorf("hottest item drawn %d times of 100000: not skewed", top)
	}
	if len(counts) < n/10 {
		t.Errorf("only %d distinct items drawn", len(counts))
	}
}

func TestDocSizeAndKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	d := NewDoc(rng, 12345, fieldLen(1024))
	if n := len(d.JSON()); n < 950 || n > 1024 {
		t.Errorf("document is %d bytes of JSON, want about 1 KB", n)
	}
	seen := map[string]bool{}
	for i := int64(0); i < 10000; i++ {
		k := Key(i)
		if seen[k] {
			t.Fatalf("key collision at %d", i)
		}
		seen[k] = true
	}
}

// photondbBin returns $PHOTONDB_BIN or builds ./cmd/photondb (as
// tests/drivers/go does); the test is skipped only when neither works.
func photondbBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("PHOTONDB_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("PHOTONDB_BIN=%q: %v", bin, err)
		}
		return bin
	}
	bin := filepath.Join(t.TempDir(), "photondb")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/photondb-io/photondb/cmd/photondb").CombinedOutput()
	if err != nil {
		t.Skipf("PHOTONDB_BIN unset and building photondb failed: %v\n%s", err, out)
	}
	return bin
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// benchPassword is the admin password the benchmark servers start with
// (outside dev mode a new data directory would otherwise get a generated one).
const benchPassword = "bench"

// startPhotonDB runs `photondb serve` on fresh 127.0.0.1 ports and a
// temporary data dir until /health/ready answers; killed at cleanup.
func startPhotonDB(t *testing.T, bin string) string {
	t.Helper()
	p := freePorts(t, 3)
	out := &lockedBuffer{}
	cmd := exec.Command(bin, "serve", "--bind", "127.0.0.1",
		"--port", strconv.Itoa(p[0]), "--driver-port", strconv.Itoa(p[1]), "--cluster-port", strconv.Itoa(p[2]),
		"--data-dir", t.TempDir(), "--initial-password", benchPassword)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("photondb output:\n%s", out.String())
		}
	})
	client := &http.Client{Timeout: time.Second}
	url := fmt.Sprintf("http://127.0.0.1:%d/health/ready", p[0])
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		select {
		case <-done:
			t.Fatalf("photondb exited before becoming ready:\n%s", out.String())
		default:
		}
		if resp, err := client.Get(url); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return net.JoinHostPort("127.0.0.1", strconv.Itoa(p[1]))
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("photondb not ready after 20s:\n%s", out.String())
	return ""
}

// TestGeneratorAgainstPhotonDB runs every workload for 200 ms against a real
// photondb serve (PostgreSQL is left to make bench-e2e) and checks that each
// did work without errors and that the documents are all there.
func TestGeneratorAgainstPhotonDB(t *testing.T) {
	r.Log.Out = io.Discard
	addr := startPhotonDB(t, photondbBin(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	p := &Photon{Addr: addr, User: "admin", Password: benchPassword}
	if err := p.WaitReady(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cfg := Config{Records: 2000, Clients: 8, BatchSize: 50, LoadBatch: 250, Duration: 200 * time.Millisecond, Log: &log}
	b, err := New(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Run(ctx)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	if len(res) != len(AllWorkloads) {
		t.Fatalf("%d result rows, want %d", len(res), len(AllWorkloads))
	}
	var inserted uint64
	for i, row := range res {
		x := row[0]
		if x.Workload != AllWorkloads[i] || x.Target != "PhotonDB" {
			t.Errorf("row %d is %s/%s", i, x.Target, x.Workload)
		}
		if x.Errors > 0 || x.Ops == 0 || x.Hist.Count() != x.Ops || x.Hist.Quantile(0.5) <= 0 {
			t.Errorf("%s: ops %d, errors %d (first: %v), samples %d", x.Workload, x.Ops, x.Errors, x.FirstErr, x.Hist.Count())
		}
		switch x.Workload {
		case WInsert:
			inserted += x.Ops
		case WInsertBatch:
			inserted += x.Ops * uint64(cfg.BatchSize)
		}
	}
	var table bytes.Buffer
	PrintTable(&table, b.Config(), res)
	t.Logf("\n%s%s", log.String(), table.String())
	if !strings.Contains(table.String(), "point read") {
		t.Errorf("table lacks the read row:\n%s", table.String())
	}

	// Every loaded and (measured) inserted document is in the table.
	s, err := p.session(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var count uint64
	if err := r.DB(p.db()).Table(p.table()).Count().ReadOne(&count, s); err != nil {
		t.Fatal(err)
	}
	if min := uint64(cfg.Records) + inserted; count < min {
		t.Errorf("table holds %d documents, want at least %d", count, min)
	}
}
