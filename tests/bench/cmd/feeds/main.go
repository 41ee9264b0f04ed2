// Command feeds is issue 6's changefeed benchmark (make bench-feeds): it
// starts `photondb serve` on free loopback ports and measures
//
//  1. fan-out: S subscribers on one table, one writer at R writes/s for D;
//     delivered changes/s, commit-to-delivery latency p50/p99, lost
//     changes, and server RSS growth;
//  2. point feeds: N get().changes() feeds on distinct documents; server
//     memory per feed.
//
// Latency is measured from the writer's acknowledgement-side timestamp
// stored in the document (sent just before the insert) to the subscriber's
// receipt, on one machine and one clock.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

// benchPassword is the admin password of the benchmark's server.
const benchPassword = "bench"

func main() {
	bin := flag.String("bin", "bin/photondb", "photondb binary")
	subs := flag.Int("subscribers", 1000, "table feed subscribers")
	conns := flag.Int("conns", 50, "driver connections shared by the subscribers")
	rate := flag.Int("rate", 1000, "writes per second")
	dur := flag.Duration("duration", 30*time.Second, "write phase duration")
	points := flag.Int("points", 10000, "point feeds")
	flag.Parse()
	if err := run(*bin, *subs, *conns, *rate, *dur, *points); err != nil {
		fmt.Fprintln(os.Stderr, "bench-feeds:", err)
		os.Exit(1)
	}
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func rssKB(pid int) int64 {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "VmRSS:") {
			n, _ := strconv.ParseInt(strings.Fields(sc.Text())[1], 10, 64)
			return n
		}
	}
	return -1
}

func run(bin string, nsubs, nconns, rate int, dur time.Duration, npoints int) error {
	dir, err := os.MkdirTemp("", "photondb-feeds-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	httpPort, driverPort := freePort(), freePort()
	cmd := exec.Command(bin, "serve", "--bind", "127.0.0.1", "--port", strconv.Itoa(httpPort),
		"--driver-port", strconv.Itoa(driverPort), "--cluster-port", strconv.Itoa(freePort()), "--data-dir", dir,
		"--initial-password", benchPassword)
	cmd.Stderr = nil
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for i := 0; ; i++ {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health/ready", httpPort))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if i > 200 {
			return fmt.Errorf("server not ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", driverPort)
	admin, err := r.Connect(r.ConnectOpts{Address: addr, Username: "admin", Password: benchPassword})
	if err != nil {
		return err
	}
	if err := r.TableCreate("fan").Exec(admin); err != nil {
		return err
	}
	if err := r.TableCreate("points").Exec(admin); err != nil {
		return err
	}

	// --- 1. fan-out ---------------------------------------------------------
	sessions := make([]*r.Session, nconns)
	for i := range sessions {
		if sessions[i], err = r.Connect(r.ConnectOpts{Address: addr, Username: "admin", Password: benchPassword, MaxOpen: 1, InitialCap: 1}); err != nil {
			return err
		}
	}
	rssBefore := rssKB(cmd.Process.Pid)
	var delivered atomic.Int64
	var latMu sync.Mutex
	var lats []time.Duration
	perSub := make([]atomic.Int64, nsubs)
	cursors := make([]*r.Cursor, nsubs)
	for i := 0; i < nsubs; i++ {
		if cursors[i], err = r.Table("fan").Changes().Run(sessions[i%nconns]); err != nil {
			return fmt.Errorf("subscriber %d: %w", i, err)
		}
	}
	var wg sync.WaitGroup
	for i, cur := range cursors {
		wg.Add(1)
		go func(i int, cur *r.Cursor) {
			defer wg.Done()
			var ch struct {
				NewVal struct {
					TS int64 `rethinkdb:"ts"`
				} `rethinkdb:"new_val"`
			}
			local := make([]time.Duration, 0, 1024)
			for cur.Next(&ch) {
				d := time.Since(time.Unix(0, ch.NewVal.TS))
				perSub[i].Add(1)
				delivered.Add(1)
				if i%10 == 0 { // sample a tenth of the subscribers
					local = append(local, d)
				}
			}
			latMu.Lock()
			lats = append(lats, local...)
			latMu.Unlock()
		}(i, cur)
	}
	writer, err := r.Connect(r.ConnectOpts{Address: addr, Username: "admin", Password: benchPassword})
	if err != nil {
		return err
	}
	tick := time.NewTicker(time.Second / time.Duration(rate))
	start := time.Now()
	writes := 0
	var maxRSS int64
	for time.Since(start) < dur {
		<-tick.C
		if err := r.Table("fan").Insert(map[string]any{"ts": time.Now().UnixNano()}, r.InsertOpts{Durability: "soft"}).Exec(writer); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		writes++
		if writes%50 == 0 {
			maxRSS = max(maxRSS, rssKB(cmd.Process.Pid))
		}
	}
	tick.Stop()
	elapsed := time.Since(start)
	maxRSS = max(maxRSS, rssKB(cmd.Process.Pid))
	// Let the last changes arrive, then stop the feeds.
	deadline := time.Now().Add(10 * time.Second)
	for delivered.Load() < int64(writes*nsubs) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range cursors {
		c.Close()
	}
	wg.Wait()
	lost := 0
	for i := range perSub {
		if got := perSub[i].Load(); got < int64(writes) {
			lost += writes - int(got)
		}
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	pct := func(p float64) time.Duration {
		if len(lats) == 0 {
			return 0
		}
		return lats[min(len(lats)-1, int(p*float64(len(lats))))]
	}

	// --- 2. point feeds -----------------------------------------------------
	docs := make([]any, npoints)
	for i := range docs {
		docs[i] = map[string]any{"id": i}
	}
	if err := r.Table("points").Insert(docs).Exec(admin); err != nil {
		return err
	}
	time.Sleep(2 * time.Second) // let the server's heap settle
	rssPointsBefore := rssKB(cmd.Process.Pid)
	pcurs := make([]*r.Cursor, npoints)
	for i := 0; i < npoints; i++ {
		if pcurs[i], err = r.Table("points").Get(i).Changes().Run(sessions[i%nconns]); err != nil {
			return fmt.Errorf("point feed %d: %w", i, err)
		}
	}
	time.Sleep(2 * time.Second)
	rssPointsAfter := rssKB(cmd.Process.Pid)
	for _, c := range pcurs {
		c.Close()
	}

	fmt.Printf("\nchangefeed benchmark (%d cores)\n\n", numCPU())
	fmt.Printf("| measure | value | target | met |\n| --- | ---: | ---: | --- |\n")
	fmt.Printf("| subscribers x writes | %d x %d in %s (%.0f writes/s achieved) | 1,000 x 1,000/s x 30 s | %v |\n",
		nsubs, writes, elapsed.Round(time.Millisecond), float64(writes)/elapsed.Seconds(), float64(writes)/elapsed.Seconds() >= 0.95*float64(rate))
	fmt.Printf("| delivered changes/s | %.0f | | |\n", float64(delivered.Load())/elapsed.Seconds())
	fmt.Printf("| latency p50 | %s | | |\n", pct(0.50).Round(10*time.Microsecond))
	fmt.Printf("| latency p99 | %s | < 50ms | %v |\n", pct(0.99).Round(10*time.Microsecond), pct(0.99) < 50*time.Millisecond)
	fmt.Printf("| lost changes | %d | 0 | %v |\n", lost, lost == 0)
	growth := float64(maxRSS-rssBefore) / 1024
	fmt.Printf("| server RSS growth | %.1f MB (peak %.1f MB) | < 200 MB | %v |\n", growth, float64(maxRSS)/1024, growth < 200)
	perFeed := float64(rssPointsAfter-rssPointsBefore) * 1024 / float64(npoints)
	fmt.Printf("| memory per point feed (%d feeds) | %.0f B | < 4 KB | %v |\n", npoints, perFeed, perFeed < 4096)
	if lost > 0 {
		return fmt.Errorf("%d changes lost", lost)
	}
	return nil
}
