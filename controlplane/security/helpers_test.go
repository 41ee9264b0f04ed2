package security

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// okHandler answers 200 "ok" (after reading the body, like the REST API).
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
})

// quietLog discards log output.
var quietLog = slog.New(slog.DiscardHandler)

// serve starts an HTTP server on 127.0.0.1 with the guard in front of h.
func serve(t testing.TB, o Options, h http.Handler) (*Guard, *httptest.Server) {
	t.Helper()
	if o.Log == nil {
		o.Log = quietLog
	}
	g, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if h == nil {
		h = okHandler
	}
	srv := httptest.NewServer(g.Middleware(h))
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := g.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return g, srv
}

// clients are HTTP clients bound to local addresses (127.0.0.0/8 is all
// loopback on Linux), so requests come from distinct client addresses.
var (
	clientsMu sync.Mutex
	clients   = map[string]*http.Client{}
)

func clientFrom(ip string) *http.Client {
	clientsMu.Lock()
	defer clientsMu.Unlock()
	if c, ok := clients[ip]; ok {
		return c
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c := &http.Client{Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4}, Timeout: 10 * time.Second}
	clients[ip] = c
	return c
}

// req is one request; target is sent verbatim as the request target (raw
// path and query, no client-side escaping).
type req struct {
	from   string // client address (default 127.0.0.1)
	method string // default GET
	target string
	header map[string]string
	body   string
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func do(t testing.TB, srv *httptest.Server, rq req) resp {
	t.Helper()
	if rq.from == "" {
		rq.from = "127.0.0.1"
	}
	if rq.method == "" {
		rq.method = http.MethodGet
	}
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r, err := http.NewRequest(rq.method, srv.URL+"/", body)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	path, query, _ := strings.Cut(rq.target, "?")
	r.URL.Opaque, r.URL.RawQuery = path, query
	for k, v := range rq.header {
		if strings.EqualFold(k, "Host") {
			r.Host = v
			continue
		}
		r.Header.Set(k, v)
	}
	res, err := clientFrom(rq.from).Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, rq.target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// checkProblem checks an RFC 9457 problem+json answer.
func checkProblem(t testing.TB, rs resp, status int) map[string]any {
	t.Helper()
	if rs.status != status {
		t.Fatalf("status %d, want %d (body %s)", rs.status, status, rs.body)
	}
	if ct := rs.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p map[string]any
	if err := json.NewDecoder(bytes.NewReader(rs.body)).Decode(&p); err != nil {
		t.Fatalf("problem body %q: %v", rs.body, err)
	}
	if p["title"] != http.StatusText(status) || p["status"] != float64(status) || p["detail"] == "" || p["detail"] == nil {
		t.Errorf("problem %v, want title %q status %d and a detail", p, http.StatusText(status), status)
	}
	return p
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
