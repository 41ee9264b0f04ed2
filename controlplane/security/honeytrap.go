package security

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Event is what the Reporter posts to Honeytrap (one JSON object per POST)
// when an attack is detected.
type Event struct {
	Timestamp time.Time `json:"timestamp"`
	// Sensor names the reporting service.
	Sensor   string `json:"sensor"`
	SourceIP string `json:"source_ip"`
	Method   string `json:"method"`
	Host     string `json:"host,omitempty"`
	Path     string `json:"path"`
	Query    string `json:"query,omitempty"`
	// Category, Rule, Location and Value are the Detection.
	Category  string `json:"category"`
	Rule      string `json:"rule"`
	Location  string `json:"location"`
	Value     string `json:"value,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	// Headers is a subset of the request's headers; credentials
	// (Authorization, Cookie, API keys) are never included.
	Headers map[string]string `json:"headers,omitempty"`
	// Action is what was done: "blocked" (403, address blacklisted for
	// BlockedSeconds) or "refused" (403 only).
	Action         string `json:"action"`
	BlockedSeconds int64  `json:"blocked_seconds,omitempty"`
}

// ReporterOptions configure a Reporter. Zero values take the defaults.
type ReporterOptions struct {
	// URL receives the events (HONEYTRAP_URL; http or https).
	URL string
	// Header is added to every POST (e.g. an Authorization token).
	Header http.Header
	// QueueSize bounds the events waiting to be sent (default 1024); when
	// full, new events are dropped and counted.
	QueueSize int
	// Workers is the number of concurrent senders (default 2).
	Workers int
	// MaxRetries is how many times a failed POST is retried (default 3;
	// negative: never). Network errors, 408, 429 and 5xx are retried.
	MaxRetries int
	// Backoff is the wait before the first retry (default 250 ms), doubled
	// (with jitter) for each next one up to MaxBackoff (default 5 s).
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Timeout bounds each POST (default 5 s).
	Timeout time.Duration
	// Client sends the POSTs (default: a client that does not follow
	// redirects).
	Client *http.Client
	// Log receives delivery failures (slog.Default when nil).
	Log *slog.Logger
}

// ReporterStats are the Reporter's counters, for metrics.
type ReporterStats struct {
	// Sent events were accepted by the receiver (2xx).
	Sent uint64 `json:"sent"`
	// Dropped events never went out: the queue was full, or the reporter
	// was closed (or its flush deadline passed) before they could.
	Dropped uint64 `json:"dropped"`
	// Failed events were given up on after the retries, or refused by the
	// receiver (4xx).
	Failed uint64 `json:"failed"`
	// Retries counts retried POSTs.
	Retries uint64 `json:"retries"`
	// Queued is the number of events waiting now.
	Queued int `json:"queued"`
}

// Reporter sends Events to a Honeytrap receiver asynchronously: Report
// only queues (never blocks), workers POST with bounded retries, backoff and
// a timeout per attempt. Safe for concurrent use.
type Reporter struct {
	o      ReporterOptions
	url    string
	log    *slog.Logger
	queue  chan Event
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.RWMutex
	closed bool

	sent, dropped, failed, retries atomic.Uint64
}

// NewReporter validates the options and starts the workers.
func NewReporter(o ReporterOptions) (*Reporter, error) {
	u, err := url.Parse(o.URL)
	if err != nil {
		return nil, fmt.Errorf("security: honeytrap URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("security: honeytrap URL %q: want http(s)://host/...", u.Redacted())
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1024
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 3
	} else if o.MaxRetries < 0 {
		o.MaxRetries = 0
	}
	if o.Backoff <= 0 {
		o.Backoff = 250 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.MaxBackoff < o.Backoff {
		o.MaxBackoff = o.Backoff
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Reporter{
		o: o, url: u.String(), log: o.Log.With("honeytrap", u.Redacted()),
		queue: make(chan Event, o.QueueSize), ctx: ctx, cancel: cancel, done: make(chan struct{}),
	}
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Go(r.work)
	}
	go func() {
		wg.Wait()
		close(r.done)
	}()
	return r, nil
}

// Report queues ev and returns at once; it reports false (and counts the
// event as dropped) when the queue is full or the reporter is closed.
func (r *Reporter) Report(ev Event) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		r.dropped.Add(1)
		return false
	}
	select {
	case r.queue <- ev:
		return true
	default:
		r.dropped.Add(1)
		return false
	}
}

// Stats returns the counters.
func (r *Reporter) Stats() ReporterStats {
	return ReporterStats{Sent: r.sent.Load(), Dropped: r.dropped.Load(), Failed: r.failed.Load(),
		Retries: r.retries.Load(), Queued: len(r.queue)}
}

// Close stops accepting events and sends those queued until ctx ends; then
// it abandons the rest (counted as dropped) and in-flight attempts, and
// returns an error. Later calls wait (until ctx ends) for the first to finish.
func (r *Reporter) Close(ctx context.Context) error {
	r.mu.Lock()
	already := r.closed
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.mu.Unlock()
	if already {
		select {
		case <-r.done:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("security: honeytrap: wait for close: %w", ctx.Err())
		}
	}
	select {
	case <-r.done:
		r.cancel()
		return nil
	case <-ctx.Done():
		// Workers now drop what is left without sending; in-flight
		// attempts and backoff waits end at once.
		r.cancel()
		<-r.done
		return fmt.Errorf("security: honeytrap: flush events: %w", ctx.Err())
	}
}

func (r *Reporter) work() {
	for ev := range r.queue {
		if r.ctx.Err() != nil {
			r.dropped.Add(1)
			continue
		}
		r.deliver(ev)
	}
}

// errRefused is a final answer: no retry.
var errRefused = errors.New("refused")

// deliver posts one event, retrying at most MaxRetries times.
func (r *Reporter) deliver(ev Event) {
	body, err := json.Marshal(ev)
	if err != nil {
		r.fail(fmt.Errorf("encode event: %w", err))
		return
	}
	backoff := r.o.Backoff
	for attempt := 0; ; attempt++ {
		err := r.post(body)
		if err == nil {
			r.sent.Add(1)
			return
		}
		if errors.Is(err, errRefused) || attempt >= r.o.MaxRetries || r.ctx.Err() != nil {
			r.fail(fmt.Errorf("after %d attempts: %w", attempt+1, err))
			return
		}
		r.retries.Add(1)
		// Full jitter in [backoff/2, backoff).
		wait := backoff/2 + rand.N(backoff/2+1)
		backoff = min(2*backoff, r.o.MaxBackoff)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-r.ctx.Done():
			t.Stop()
			r.fail(fmt.Errorf("abandoned at close: %w", err))
			return
		}
	}
}

// fail counts a failed event and logs it, less and less often (the 1st,
// 2nd, 4th, 8th... failure) so a dead receiver does not flood the log.
func (r *Reporter) fail(err error) {
	if n := r.failed.Add(1); n&(n-1) == 0 {
		r.log.Warn("security: honeytrap event not delivered", "err", err, "failed_total", n)
	}
}

// post sends one attempt.
func (r *Reporter) post(body []byte) error {
	ctx, cancel := context.WithTimeout(r.ctx, r.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w: %w", err, errRefused)
	}
	for k, vs := range r.o.Header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "photondb-security")
	}
	resp, err := r.o.Client.Do(req)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout:
		return fmt.Errorf("receiver answered %s", resp.Status)
	default:
		return fmt.Errorf("receiver answered %s: %w", resp.Status, errRefused)
	}
}
