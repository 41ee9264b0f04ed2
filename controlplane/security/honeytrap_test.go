package security

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// receiver is a local Honeytrap endpoint.
type receiver struct {
	srv      *httptest.Server
	attempts atomic.Int64
	mu       sync.Mutex
	events   []Event
	headers  []http.Header
	// answer decides the status of attempt n (1-based); nil: 200.
	answer func(n int64, r *http.Request) int
}

func newReceiver(t *testing.T, answer func(n int64, r *http.Request) int) *receiver {
	t.Helper()
	rc := &receiver{answer: answer}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := rc.attempts.Add(1)
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		status := http.StatusOK
		if rc.answer != nil {
			status = rc.answer(n, r)
		}
		if status == http.StatusOK {
			var ev Event
			if err := json.Unmarshal(body, &ev); err != nil {
				t.Errorf("receiver: bad event %q: %v", body, err)
			}
			rc.mu.Lock()
			rc.events = append(rc.events, ev)
			rc.headers = append(rc.headers, r.Header.Clone())
			rc.mu.Unlock()
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) received() []Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Event(nil), rc.events...)
}

func TestHoneytrapEvent(t *testing.T) {
	rc := newReceiver(t, nil)
	g, srv := serve(t, Options{Sensor: "cp-1", Honeytrap: ReporterOptions{URL: rc.srv.URL + "/events",
		Header: http.Header{"Authorization": {"Bearer sensor-token"}}}}, nil)
	before := time.Now().UTC()
	checkProblem(t, do(t, srv, req{from: "127.0.0.20", method: "POST", target: "/api/v1/users?id=1%20UNION%20SELECT%20password&limit=5",
		header: map[string]string{
			"User-Agent":    "sqlmap/1.8",
			"Referer":       "https://evil.example/",
			"Authorization": "Bearer secret-token",
			"Cookie":        "session=secret",
		}}), http.StatusForbidden)
	eventually(t, 5*time.Second, "the event", func() bool { return len(rc.received()) == 1 })
	ev := rc.received()[0]
	if ev.Timestamp.Before(before.Add(-time.Second)) || ev.Timestamp.After(time.Now().Add(time.Second)) {
		t.Errorf("timestamp %s", ev.Timestamp)
	}
	want := Event{Timestamp: ev.Timestamp, Sensor: "cp-1", SourceIP: "127.0.0.20", Method: "POST", Host: strings.TrimPrefix(srv.URL, "http://"),
		Path: "/api/v1/users", Query: "id=1%20UNION%20SELECT%20password&limit=5", Category: CategorySQLInjection, Rule: "sqli-union",
		Location: "query:id", Value: "1 union select password", UserAgent: "sqlmap/1.8", Action: "blocked", BlockedSeconds: 3600}
	got := ev
	got.Headers = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("event\n got %+v\nwant %+v", got, want)
	}
	if ev.Headers["Referer"] != "https://evil.example/" {
		t.Errorf("headers %v lack the Referer", ev.Headers)
	}
	for _, secret := range []string{"Authorization", "Cookie"} {
		if _, ok := ev.Headers[secret]; ok {
			t.Errorf("event carries the %s header", secret)
		}
	}
	h := rc.headers[0]
	if h.Get("Content-Type") != "application/json" || h.Get("Authorization") != "Bearer sensor-token" {
		t.Errorf("POST headers %v", h)
	}
	eventually(t, 5*time.Second, "the counters", func() bool { return g.Stats().Honeytrap.Sent == 1 })

	// The matched header goes along, unless it is a credential.
	checkProblem(t, do(t, srv, req{from: "127.0.0.21", target: "/api/v1/status",
		header: map[string]string{"X-Custom": "<script>alert(1)</script>"}}), http.StatusForbidden)
	checkProblem(t, do(t, srv, req{from: "127.0.0.22", target: "/api/v1/status",
		header: map[string]string{"Cookie": "id=' or '1'='1"}}), http.StatusForbidden)
	checkProblem(t, do(t, srv, req{from: "127.0.0.23", target: "/api/v1/status",
		header: map[string]string{"X-Photondb-Api-Key": "k' or 1=1--"}}), http.StatusForbidden)
	checkProblem(t, do(t, srv, req{from: "127.0.0.24", target: "/api/changes?access_token=s3cret&q=%3Cscript%3E&api%5Fkey=k"}), http.StatusForbidden)
	eventually(t, 5*time.Second, "four more events", func() bool { return len(rc.received()) == 5 })
	for _, ev := range rc.received()[1:] {
		switch ev.SourceIP {
		case "127.0.0.21":
			if ev.Headers["X-Custom"] != "<script>alert(1)</script>" || ev.Location != "header:X-Custom" || ev.Category != CategoryXSS {
				t.Errorf("header event %+v", ev)
			}
		case "127.0.0.22":
			if _, ok := ev.Headers["Cookie"]; ok || ev.Location != "header:Cookie" || ev.Value != "REDACTED" {
				t.Errorf("cookie event %+v", ev)
			}
		case "127.0.0.23":
			if _, ok := ev.Headers["X-Photondb-Api-Key"]; ok || ev.Location != "header:X-Photondb-Api-Key" || ev.Value != "REDACTED" {
				t.Errorf("API key event %+v", ev)
			}
		case "127.0.0.24":
			if ev.Query != "access_token=REDACTED&q=%3Cscript%3E&api%5Fkey=REDACTED" || ev.Value != "<script>" {
				t.Errorf("query event %+v", ev)
			}
		default:
			t.Errorf("event from %s", ev.SourceIP)
		}
	}
}

func TestHoneytrapSlowReceiverNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	rc := newReceiver(t, func(int64, *http.Request) int {
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		return http.StatusOK
	})
	const attacks = 30
	g, srv := serve(t, Options{
		Blacklist: BlacklistOptions{Disabled: true},
		RateLimit: RateLimitOptions{Requests: 1000},
		Honeytrap: ReporterOptions{URL: rc.srv.URL, QueueSize: 4, Workers: 1, Timeout: 20 * time.Second},
	}, nil)
	// Baseline latency of a refused request without reporting.
	_, plain := serve(t, Options{Blacklist: BlacklistOptions{Disabled: true}}, nil)
	var baseline time.Duration
	for range 5 {
		start := time.Now()
		do(t, plain, req{target: "/x?q=<script>"})
		baseline = max(baseline, time.Since(start))
	}
	var slowest time.Duration
	for i := range attacks {
		start := time.Now()
		checkProblem(t, do(t, srv, req{target: fmt.Sprintf("/x?q=<script>%d", i)}), http.StatusForbidden)
		slowest = max(slowest, time.Since(start))
	}
	// The receiver holds every POST for seconds; requests must not notice.
	if slowest > baseline+500*time.Millisecond {
		t.Errorf("slowest refused request took %s with a stuck receiver (baseline %s)", slowest, baseline)
	}
	s := g.Stats().Honeytrap
	// One event in flight, QueueSize waiting, the rest dropped.
	if s.Dropped < attacks-1-4 || s.Queued > 4 || s.Sent != 0 {
		t.Errorf("stats %+v: want >= %d dropped, <= 4 queued, none sent", s, attacks-5)
	}
	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = g.Stats().Honeytrap
	if s.Sent+s.Dropped+s.Failed != attacks || s.Sent == 0 || s.Failed != 0 {
		t.Errorf("after flush: %+v, want sent+dropped = %d", s, attacks)
	}
	if n := len(rc.received()); uint64(n) != s.Sent {
		t.Errorf("receiver got %d events, Sent = %d", n, s.Sent)
	}
}

func TestHoneytrapRetries(t *testing.T) {
	tests := []struct {
		name       string
		maxRetries int
		answer     func(n int64, r *http.Request) int
		attempts   int64
		want       ReporterStats
	}{
		{"succeeds on the third attempt", 3, func(n int64, _ *http.Request) int {
			if n < 3 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		}, 3, ReporterStats{Sent: 1, Retries: 2}},
		{"429 is retried", 3, func(n int64, _ *http.Request) int {
			if n < 2 {
				return http.StatusTooManyRequests
			}
			return http.StatusOK
		}, 2, ReporterStats{Sent: 1, Retries: 1}},
		{"gives up after the retries", 2, func(int64, *http.Request) int { return http.StatusInternalServerError },
			3, ReporterStats{Failed: 1, Retries: 2}},
		{"no retries", -1, func(int64, *http.Request) int { return http.StatusBadGateway },
			1, ReporterStats{Failed: 1}},
		{"4xx is final", 3, func(int64, *http.Request) int { return http.StatusBadRequest },
			1, ReporterStats{Failed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, tt.answer)
			r, err := NewReporter(ReporterOptions{URL: rc.srv.URL, MaxRetries: tt.maxRetries, Backoff: 10 * time.Millisecond, Log: quietLog})
			if err != nil {
				t.Fatal(err)
			}
			if !r.Report(Event{Category: CategoryXSS, Rule: "xss-tag"}) {
				t.Fatal("Report refused the event")
			}
			eventually(t, 5*time.Second, "delivery or failure", func() bool { s := r.Stats(); return s.Sent+s.Failed == 1 })
			if err := r.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if s := r.Stats(); s != tt.want || rc.attempts.Load() != tt.attempts {
				t.Errorf("stats %+v after %d attempts, want %+v after %d", s, rc.attempts.Load(), tt.want, tt.attempts)
			}
		})
	}
}

func TestHoneytrapTimeoutAndBackoffAreBounded(t *testing.T) {
	rc := newReceiver(t, func(_ int64, r *http.Request) int {
		<-r.Context().Done() // never answers
		return http.StatusOK
	})
	r, err := NewReporter(ReporterOptions{URL: rc.srv.URL, Timeout: 50 * time.Millisecond, MaxRetries: 2,
		Backoff: 20 * time.Millisecond, MaxBackoff: 30 * time.Millisecond, Log: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r.Report(Event{})
	eventually(t, 5*time.Second, "the failure", func() bool { return r.Stats().Failed == 1 })
	// 3 attempts of 50 ms and 2 waits of at most 30 ms.
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("failing took %s", took)
	}
	if s := r.Stats(); s.Retries != 2 || rc.attempts.Load() != 3 {
		t.Errorf("stats %+v, %d attempts", s, rc.attempts.Load())
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestHoneytrapClose(t *testing.T) {
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	rc := newReceiver(t, func(_ int64, r *http.Request) int {
		select {
		case <-stuck:
		case <-r.Context().Done():
		}
		return http.StatusOK
	})
	r, err := NewReporter(ReporterOptions{URL: rc.srv.URL, Workers: 1, QueueSize: 10, Timeout: time.Minute, Log: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		r.Report(Event{})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = r.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: %v, want a deadline error", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Close took %s", took)
	}
	s := r.Stats()
	if s.Sent+s.Dropped+s.Failed != 5 || s.Queued != 0 {
		t.Errorf("stats after Close %+v: every event accounted for", s)
	}
	if r.Report(Event{}) || r.Stats().Dropped != s.Dropped+1 {
		t.Errorf("Report after Close accepted the event or did not count it")
	}
	if err := r.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestHoneytrapBadURL(t *testing.T) {
	for _, u := range []string{"ftp://x/", "localhost:9000", "http://", "://x", "http://a b/"} {
		if _, err := New(Options{Honeytrap: ReporterOptions{URL: u}}); err == nil || !strings.Contains(err.Error(), "honeytrap") {
			t.Errorf("URL %q: err %v", u, err)
		}
	}
}
