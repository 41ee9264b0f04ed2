// Command ycsb runs issue 5's YCSB-style benchmark against a running
// PhotonDB (official RethinkDB Go driver) and a running PostgreSQL (pgx),
// side by side, and prints one comparison table. tests/bench/run.sh (make
// bench-e2e) starts both servers on 127.0.0.1 and runs it.
//
//	ycsb -photon 127.0.0.1:28015 -pg 'postgres://postgres@127.0.0.1:5432/postgres'
//	ycsb freeports N   # prints N free TCP ports on 127.0.0.1 (for run.sh)
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/photondb-io/photondb/tests/bench/ycsb"
	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "freeports" {
		os.Exit(freePorts(os.Args[2:]))
	}
	os.Exit(run())
}

// freePorts prints n distinct free ports, one a line; all listeners are held
// until every port is chosen so they differ.
func freePorts(args []string) int {
	n := 1
	if len(args) > 0 {
		v, err := strconv.Atoi(args[0])
		if err != nil || v < 1 || v > 64 {
			fmt.Fprintln(os.Stderr, "usage: ycsb freeports N (1..64)")
			return 2
		}
		n = v
	}
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			return 1
		}
		ls = append(ls, l)
		fmt.Println(l.Addr().(*net.TCPAddr).Port)
	}
	return 0
}

func run() int {
	var (
		photonAddr = flag.String("photon", "", "PhotonDB driver address host:port (empty: skip PhotonDB)")
		photonUser = flag.String("photon-user", "admin", "PhotonDB user")
		photonPass = flag.String("photon-password", "", "PhotonDB password")
		pgDSN      = flag.String("pg", "", "PostgreSQL connection string (empty: skip PostgreSQL)")
		records    = flag.Int64("records", 100_000, "documents loaded before the workloads")
		clients    = flag.Int("clients", 16, "client connections per system")
		docSize    = flag.Int("doc-size", 1024, "approximate document size in bytes (JSON)")
		batch      = flag.Int("batch", 1000, "documents per insert in the batch workload")
		loadBatch  = flag.Int("load-batch", 1000, "documents per insert in the load phase")
		rangeSize  = flag.Int("range", 100, "documents returned by the range query")
		duration   = flag.Duration("duration", 10*time.Second, "measured time per workload and system")
		warmup     = flag.Duration("warmup", time.Second, "unmeasured time before each workload")
		workloads  = flag.String("workloads", strings.Join(ycsb.AllWorkloads, ","), "workloads to run, in order")
		wait       = flag.Duration("wait", 60*time.Second, "how long to wait for the servers to accept connections")
		timeout    = flag.Duration("timeout", 15*time.Minute, "abort the whole run after this long")
	)
	flag.Parse()
	r.Log.Out = io.Discard // the driver's connection warnings; errors are returned

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	var targets []ycsb.Target
	if *photonAddr != "" {
		p := &ycsb.Photon{Addr: *photonAddr, User: *photonUser, Password: *photonPass}
		if err := p.WaitReady(ctx, *wait); err != nil {
			fmt.Fprintln(os.Stderr, "ycsb:", err)
			return 1
		}
		targets = append(targets, p)
	}
	if *pgDSN != "" {
		p := &ycsb.Postgres{DSN: *pgDSN}
		if err := p.WaitReady(ctx, *wait); err != nil {
			fmt.Fprintln(os.Stderr, "ycsb:", err)
			return 1
		}
		targets = append(targets, p)
	}
	if len(targets) == 0 {
		fmt.Fprintln(os.Stderr, "ycsb: nothing to benchmark: give -photon and/or -pg")
		return 2
	}
	cfg := ycsb.Config{
		Records: *records, Clients: *clients, DocSize: *docSize, BatchSize: *batch, LoadBatch: *loadBatch,
		RangeSize: *rangeSize, Duration: *duration, Warmup: *warmup,
		Workloads: strings.Split(*workloads, ","), Log: os.Stderr,
	}
	b, err := ycsb.New(cfg, targets...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ycsb:", err)
		return 2
	}
	cfg = b.Config()
	fmt.Fprintf(os.Stderr, "ycsb: %d records of %d bytes, %d clients per system, %v per workload (+%v warmup), %d CPUs\n",
		cfg.Records, b.DocBytes(), cfg.Clients, cfg.Duration, cfg.Warmup, runtime.NumCPU())
	res, err := b.Run(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ycsb:", err)
		if len(res) > 0 {
			ycsb.PrintTable(os.Stdout, cfg, res)
		}
		return 1
	}
	fmt.Printf("\nPhotonDB vs PostgreSQL: %d docs of %d bytes loaded, %d client connections each, %v per workload, %d CPUs\n\n",
		cfg.Records, b.DocBytes(), cfg.Clients, cfg.Duration, runtime.NumCPU())
	ycsb.PrintTable(os.Stdout, cfg, res)
	failed := false
	for _, row := range res {
		for _, x := range row {
			if x.Errors > 0 {
				fmt.Fprintf(os.Stderr, "ycsb: %s %s: %d errors, first: %v\n", x.Target, x.Workload, x.Errors, x.FirstErr)
				failed = true
			}
		}
	}
	if failed {
		return 1
	}
	return 0
}
