package security

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAttacksRefused sends every attack over HTTP: 403 problem+json, and the
// handler never runs.
func TestAttacksRefused(t *testing.T) {
	var reached sync.Map
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Store(r.RequestURI, true)
		okHandler(w, r)
	})
	g, srv := serve(t, Options{Blacklist: BlacklistOptions{Disabled: true}, RateLimit: RateLimitOptions{Disabled: true}}, h)
	for _, tt := range attacks {
		t.Run(tt.category+"/"+tt.name, func(t *testing.T) {
			p := checkProblem(t, do(t, srv, req{target: tt.target, header: tt.header}), http.StatusForbidden)
			if !strings.Contains(p["detail"].(string), tt.category) {
				t.Errorf("detail %q, want the category %s", p["detail"], tt.category)
			}
			if _, ok := reached.Load(tt.target); ok && tt.header == nil {
				t.Errorf("the handler ran")
			}
		})
	}
	if n := g.Stats().Detected; n != uint64(len(attacks)) {
		t.Errorf("Stats.Detected = %d, want %d", n, len(attacks))
	}
}

// TestLegitimateTrafficPasses sends realistic REST traffic, including ReQL
// query bodies full of attack-looking data, from one address with the
// default options: nothing is refused.
func TestLegitimateTrafficPasses(t *testing.T) {
	var bodies sync.Map
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		bodies.Store(r.RequestURI, b.String())
		okHandler(w, r)
	})
	if len(benigns) >= DefaultRequests {
		t.Fatalf("%d requests would hit the default rate limit: split the table", len(benigns))
	}
	g, srv := serve(t, Options{}, h)
	for _, tt := range benigns {
		t.Run(tt.name, func(t *testing.T) {
			rs := do(t, srv, req{from: "127.0.0.40", method: tt.method, target: tt.target, header: tt.header, body: tt.body})
			if rs.status != http.StatusOK {
				t.Fatalf("status %d: %s", rs.status, rs.body)
			}
			if got, _ := bodies.Load(tt.target); tt.body != "" && got != tt.body {
				t.Errorf("handler got body %q, want %q", got, tt.body)
			}
		})
	}
	if s := g.Stats(); s.Detected != 0 || s.Blocked != 0 || s.Limited != 0 || s.Blacklisted != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestDetectionLogged(t *testing.T) {
	var buf syncBuffer
	g, srv := serve(t, Options{Log: slog.New(slog.NewJSONHandler(&buf, nil))}, nil)
	checkProblem(t, do(t, srv, req{from: "127.0.0.41", target: "/api/v1/ping?host=x;cat%20/etc/passwd"}), http.StatusForbidden)
	var rec map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(buf.String())), &rec); err != nil {
		t.Fatalf("log %q: %v", buf.String(), err)
	}
	for k, v := range map[string]any{"level": "WARN", "msg": "security: attack detected", "client": "127.0.0.41", "method": "GET",
		"path": "/api/v1/ping", "category": CategoryCommandInjection, "rule": "cmdi-chain", "location": "query:host",
		"value": "x;cat /etc/passwd", "action": "blocked", "blocked_for": "1h0m0s"} {
		if rec[k] != v {
			t.Errorf("log %s = %v, want %v", k, rec[k], v)
		}
	}
	if g.Stats().Blacklisted != 1 {
		t.Errorf("stats %+v", g.Stats())
	}
}

// TestDisabledFeatures: each switch turns its feature off and only it.
func TestDisabledFeatures(t *testing.T) {
	_, srv := serve(t, Options{
		RateLimit: RateLimitOptions{Disabled: true},
		Blacklist: BlacklistOptions{Disabled: true, Static: []string{"127.0.0.42"}},
		Detect:    DetectOptions{Disabled: true},
		Headers:   HeadersOptions{Disabled: true},
	}, nil)
	for i := range 150 {
		rs := do(t, srv, req{from: "127.0.0.42", target: "/api/v1/x?q=%27%20or%20%271%27%3D%271"})
		if rs.status != http.StatusOK || rs.header.Get("X-Frame-Options") != "" {
			t.Fatalf("request %d: status %d, headers %v", i+1, rs.status, rs.header)
		}
	}
}
