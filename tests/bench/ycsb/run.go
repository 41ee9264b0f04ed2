package ycsb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Workload names, in the order they run.
const (
	WRead        = "read"
	WInsert      = "insert"
	WInsertBatch = "insert-batch"
	WYCSBA       = "ycsb-a"
	WRange       = "range"
)

// AllWorkloads is every workload in run order.
var AllWorkloads = []string{WRead, WInsert, WInsertBatch, WYCSBA, WRange}

// Describe is the label of a workload in the table.
func Describe(w string, cfg Config) string {
	switch w {
	case WRead:
		return "1 point read by primary key"
	case WInsert:
		return "2 insert 1 doc, hard durability"
	case WInsertBatch:
		return fmt.Sprintf("3 insert batch of %d docs (op = batch)", cfg.BatchSize)
	case WYCSBA:
		return "4 YCSB A 50/50 read/update, zipfian"
	case WRange:
		return fmt.Sprintf("5 secondary-index range, %d docs", cfg.RangeSize)
	}
	return w
}

// Config is one benchmark run's parameters.
type Config struct {
	Records   int64         // documents loaded before the workloads
	Clients   int           // concurrent client connections
	DocSize   int           // approximate JSON size of a document in bytes
	BatchSize int           // documents per insert in the batch workload
	LoadBatch int           // documents per insert in the load phase
	RangeSize int           // documents returned by the range query
	Duration  time.Duration // measured time per workload
	Warmup    time.Duration // unmeasured time before each workload
	Workloads []string      // subset of AllWorkloads, in run order
	Seed      uint64
	Log       io.Writer // progress lines; nil for none
}

// Defaults fills zero fields with the parameters.
func (c *Config) Defaults() {
	if c.Records == 0 {
		c.Records = 100_000
	}
	if c.Clients == 0 {
		c.Clients = 16
	}
	if c.DocSize == 0 {
		c.DocSize = 1024
	}
	if c.BatchSize == 0 {
		c.BatchSize = 1000
	}
	if c.LoadBatch == 0 {
		c.LoadBatch = 1000
	}
	if c.RangeSize == 0 {
		c.RangeSize = 100
	}
	if c.Duration == 0 {
		c.Duration = 10 * time.Second
	}
	if len(c.Workloads) == 0 {
		c.Workloads = AllWorkloads
	}
	if c.Seed == 0 {
		c.Seed = 42
	}
}

func (c *Config) validate() error {
	if c.Records < int64(c.RangeSize) || c.Records < 1 {
		return fmt.Errorf("records (%d) must be at least the range size (%d)", c.Records, c.RangeSize)
	}
	if c.Clients < 1 || c.BatchSize < 1 || c.LoadBatch < 1 || c.RangeSize < 1 || c.Duration <= 0 || c.Warmup < 0 {
		return errors.New("clients, batch sizes, range size and duration must be positive")
	}
	for _, w := range c.Workloads {
		ok := false
		for _, a := range AllWorkloads {
			ok = ok || a == w
		}
		if !ok {
			return fmt.Errorf("unknown workload %q (have %s)", w, strings.Join(AllWorkloads, ","))
		}
	}
	return nil
}

func (c *Config) logf(format string, args ...interface{}) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// Result is one workload on one target.
type Result struct {
	Workload string
	Target   string
	Ops      uint64        // measured operations
	Elapsed  time.Duration // measured wall time
	Hist     Histogram
	Errors   uint64
	FirstErr error
	// ClientCPU is the CPU time the generator itself used during the
	// workload (warmup included), for judging how much of the machine the
	// client side took from the server.
	ClientCPU time.Duration
	Wall      time.Duration // warmup + measured window + drain
}

// OpsPerSec is the measured throughput.
func (r *Result) OpsPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Elapsed.Seconds()
}

// Bench runs the configured workloads against several targets, loading each
// first. Workload by workload, every target takes its turn, so the systems
// are compared under the same machine conditions.
type Bench struct {
	cfg     Config
	targets []Target
	states  []*targetState
	zipf    *Zipfian
	flen    int
}

type targetState struct {
	t       Target
	clients []Client
	nextKey atomic.Int64 // next record number an insert uses
}

// New prepares a benchmark; cfg.Defaults is applied.
func New(cfg Config, targets ...Target) (*Bench, error) {
	cfg.Defaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return nil, errors.New("no target")
	}
	b := &Bench{cfg: cfg, targets: targets, zipf: NewZipfian(cfg.Records), flen: fieldLen(cfg.DocSize)}
	for _, t := range targets {
		b.states = append(b.states, &targetState{t: t})
	}
	return b, nil
}

// DocBytes is the JSON size of a generated document.
func (b *Bench) DocBytes() int {
	rng := rand.New(rand.NewPCG(1, 1))
	d := NewDoc(rng, b.cfg.Records, b.flen)
	return len(d.JSON())
}

// Config is the effective configuration.
func (b *Bench) Config() Config { return b.cfg }

// Close closes every client connection.
func (b *Bench) Close() {
	for _, s := range b.states {
		for _, c := range s.clients {
			_ = c.Close()
		}
		s.clients = nil
	}
}

// Run sets up and loads every target, then runs the workloads. Results are
// indexed [workload][target] in the order of cfg.Workloads and the targets.
func (b *Bench) Run(ctx context.Context) ([][]*Result, error) {
	defer b.Close()
	for _, s := range b.states {
		if err := b.prepare(ctx, s); err != nil {
			return nil, fmt.Errorf("%s: %w", s.t.Name(), err)
		}
	}
	var out [][]*Result
	for wi, w := range b.cfg.Workloads {
		row := make([]*Result, len(b.states))
		for ti, s := range b.states {
			seed := b.cfg.Seed + uint64(wi)*1000 // same op sequence per system
			res, err := b.runWorkload(ctx, s, w, seed)
			if err != nil {
				return out, fmt.Errorf("%s %s: %w", s.t.Name(), w, err)
			}
			row[ti] = res
			b.cfg.logf("  %-10s %-12s %10.0f ops/s  p50 %-8s p99 %-8s errors %d  client CPU %.2f cores",
				s.t.Name(), w, res.OpsPerSec(), fmtDur(res.Hist.Quantile(0.5)), fmtDur(res.Hist.Quantile(0.99)), res.Errors,
				res.ClientCPU.Seconds()/res.Wall.Seconds())
		}
		out = append(out, row)
	}
	return out, nil
}

// prepare creates the table, opens the clients and loads the records.
func (b *Bench) prepare(ctx context.Context, s *targetState) error {
	name := s.t.Name()
	if err := s.t.Setup(ctx); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	for i := 0; i < b.cfg.Clients; i++ {
		c, err := s.t.Connect(ctx)
		if err != nil {
			return fmt.Errorf("connect client %d: %w", i, err)
		}
		s.clients = append(s.clients, c)
	}
	start := time.Now()
	var next atomic.Int64
	errc := make(chan error, len(s.clients))
	var wg sync.WaitGroup
	for i, c := range s.clients {
		wg.Add(1)
		go func(i int, c Client) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(b.cfg.Seed, uint64(i)))
			docs := make([]Doc, 0, b.cfg.LoadBatch)
			for {
				lo := next.Add(int64(b.cfg.LoadBatch)) - int64(b.cfg.LoadBatch)
				if lo >= b.cfg.Records || ctx.Err() != nil {
					return
				}
				hi := min(lo+int64(b.cfg.LoadBatch), b.cfg.Records)
				docs = docs[:0]
				for k := lo; k < hi; k++ {
					docs = append(docs, NewDoc(rng, k, b.flen))
				}
				if err := c.InsertBatch(ctx, docs); err != nil {
					errc <- fmt.Errorf("load records [%d,%d): %w", lo, hi, err)
					return
				}
			}
		}(i, c)
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	loadTime := time.Since(start)
	if err := s.t.AfterLoad(ctx); err != nil {
		return fmt.Errorf("after load: %w", err)
	}
	s.nextKey.Store(b.cfg.Records)
	b.cfg.logf("  %-10s loaded %d docs in %v (%.0f docs/s, batches of %d, %d clients)",
		name, b.cfg.Records, loadTime.Round(time.Millisecond), float64(b.cfg.Records)/loadTime.Seconds(), b.cfg.LoadBatch, len(s.clients))
	return nil
}

// maxErrors stops a workload early: something is broken, not slow.
const maxErrors = 100

// runWorkload runs workload w with every client of s for warmup+duration.
func (b *Bench) runWorkload(ctx context.Context, s *targetState, w string, seed uint64) (*Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	cpu0 := processCPU()
	measureFrom := start.Add(b.cfg.Warmup)
	end := measureFrom.Add(b.cfg.Duration)

	type clientResult struct {
		hist     Histogram
		ops      uint64
		errs     uint64
		firstErr error
	}
	results := make([]clientResult, len(s.clients))
	var totalErrs atomic.Uint64
	var wg sync.WaitGroup
	for i, c := range s.clients {
		wg.Add(1)
		go func(i int, c Client) {
			defer wg.Done()
			cr := &results[i]
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			op := b.op(s, c, w, rng)
			for {
				t0 := time.Now()
				if !t0.Before(end) || ctx.Err() != nil {
					return
				}
				err := op(ctx)
				d := time.Since(t0)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					cr.errs++
					if cr.firstErr == nil {
						cr.firstErr = err
					}
					if totalErrs.Add(1) >= maxErrors {
						cancel()
						return
					}
					continue
				}
				// Measured: started in the window and finished by its end.
				if !t0.Before(measureFrom) && !t0.Add(d).After(end) {
					cr.ops++
					cr.hist.Record(d)
				}
			}
		}(i, c)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil && totalErrs.Load() < maxErrors {
		return nil, err // the caller's context ended
	}
	// The measured window; shorter when too many errors stopped the run.
	elapsed := min(time.Since(measureFrom), b.cfg.Duration)
	res := &Result{Workload: w, Target: s.t.Name(), Elapsed: max(elapsed, 0),
		ClientCPU: processCPU() - cpu0, Wall: time.Since(start)}
	for i := range results {
		res.Ops += results[i].ops
		res.Hist.Merge(&results[i].hist)
		res.Errors += results[i].errs
		if res.FirstErr == nil {
			res.FirstErr = results[i].firstErr
		}
	}
	return res, nil
}

// op returns the operation one client of workload w performs repeatedly.
func (b *Bench) op(s *targetState, c Client, w string, rng *rand.Rand) func(context.Context) error {
	n := b.cfg.Records
	switch w {
	case WRead:
		return func(ctx context.Context) error {
			return c.Read(ctx, Key(rng.Int64N(n)))
		}
	case WInsert:
		return func(ctx context.Context) error {
			d := NewDoc(rng, s.nextKey.Add(1)-1, b.flen)
			return c.Insert(ctx, &d)
		}
	case WInsertBatch:
		docs := make([]Doc, b.cfg.BatchSize)
		return func(ctx context.Context) error {
			first := s.nextKey.Add(int64(len(docs))) - int64(len(docs))
			for i := range docs {
				docs[i] = NewDoc(rng, first+int64(i), b.flen)
			}
			return c.InsertBatch(ctx, docs)
		}
	case WYCSBA:
		return func(ctx context.Context) error {
			key := Key(b.zipf.Next(rng))
			if rng.IntN(2) == 0 {
				return c.Read(ctx, key)
			}
			return c.Update(ctx, key, fieldNames[rng.IntN(NumFields)], randomString(rng, b.flen))
		}
	case WRange:
		size := int64(b.cfg.RangeSize)
		return func(ctx context.Context) error {
			lo := rng.Int64N(n - size + 1)
			got, err := c.Range(ctx, lo, lo+size, b.cfg.RangeSize)
			if err != nil {
				return err
			}
			if got != b.cfg.RangeSize {
				return fmt.Errorf("range [%d,%d): %d documents, want %d", lo, lo+size, got, b.cfg.RangeSize)
			}
			return nil
		}
	}
	panic("unknown workload " + w) // validated in New
}
