package telemetry

import (
	"sync"
	"sync/atomic"
	"time"
)

// RateWindow is the span of time a Rate averages over.
const RateWindow = 10 * time.Second

// Rate counts events and reports their rate per second over the last
// RateWindow (or since creation, when younger). Add is a single atomic
// increment, so it can sit on a hot path; the arithmetic happens in
// PerSecond, which a gauge callback calls once per scrape.
type Rate struct {
	total atomic.Int64

	mu      sync.Mutex
	samples []rateSample // oldest first, at least one second apart
}

type rateSample struct {
	at    time.Time
	total int64
}

// NewRate returns a rate that starts counting at now.
func NewRate(now time.Time) *Rate {
	return &Rate{samples: []rateSample{{at: now}}}
}

// Add records n events.
func (r *Rate) Add(n int64) { r.total.Add(n) }

// Total is the number of events recorded so far.
func (r *Rate) Total() int64 { return r.total.Load() }

// PerSecond is the rate of events over the window ending at now.
func (r *Rate) PerSecond(now time.Time) float64 {
	total := r.total.Load()
	r.mu.Lock()
	defer r.mu.Unlock()
	// Drop samples that fell out of the window, keeping the newest of them
	// as the base when nothing newer exists.
	for len(r.samples) > 1 && now.Sub(r.samples[1].at) >= RateWindow {
		r.samples = r.samples[1:]
	}
	base := r.samples[0]
	if last := r.samples[len(r.samples)-1]; now.Sub(last.at) >= time.Second {
		r.samples = append(r.samples, rateSample{at: now, total: total})
	}
	dt := now.Sub(base.at).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(total-base.total) / dt
}
