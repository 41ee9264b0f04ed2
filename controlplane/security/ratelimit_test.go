package security

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestRateLimit(t *testing.T) {
	tests := []struct {
		name       string
		opt        RateLimitOptions
		allowed    int
		retryAfter string
	}{
		{"default 100 per minute", RateLimitOptions{}, 100, "60"},
		{"configured 5 per minute", RateLimitOptions{Requests: 5, Window: time.Minute}, 5, "60"},
		{"configured 3 per 90 s", RateLimitOptions{Requests: 3, Window: 90 * time.Second}, 3, "90"},
		{"short window rounds Retry-After up", RateLimitOptions{Requests: 2, Window: 1500 * time.Millisecond}, 2, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, srv := serve(t, Options{RateLimit: tt.opt}, nil)
			for i := range tt.allowed {
				if rs := do(t, srv, req{from: "127.0.0.2", target: "/api/v1/databases"}); rs.status != http.StatusOK {
					t.Fatalf("request %d: status %d (%s)", i+1, rs.status, rs.body)
				}
			}
			rs := do(t, srv, req{from: "127.0.0.2", target: "/api/v1/databases"})
			p := checkProblem(t, rs, http.StatusTooManyRequests)
			if got := rs.header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			if !strings.Contains(p["detail"].(string), "Rate limit") {
				t.Errorf("detail %q", p["detail"])
			}
			if rs.header.Get("X-Ratelimit-Limit") == "" {
				t.Errorf("no X-RateLimit-Limit header")
			}
			if rs.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("429 without security headers: %v", rs.header)
			}
			if s := g.Stats(); s.Limited != 1 {
				t.Errorf("Stats.Limited = %d, want 1", s.Limited)
			}
		})
	}
}

func TestRateLimitWindowPasses(t *testing.T) {
	_, srv := serve(t, Options{RateLimit: RateLimitOptions{Requests: 2, Window: 400 * time.Millisecond}}, nil)
	for range 2 {
		do(t, srv, req{target: "/api/v1/status"})
	}
	checkProblem(t, do(t, srv, req{target: "/api/v1/status"}), http.StatusTooManyRequests)
	// The sliding window forgets after two windows at most.
	time.Sleep(850 * time.Millisecond)
	if rs := do(t, srv, req{target: "/api/v1/status"}); rs.status != http.StatusOK {
		t.Fatalf("after the window: status %d", rs.status)
	}
}

func TestRateLimitPerAddress(t *testing.T) {
	_, srv := serve(t, Options{RateLimit: RateLimitOptions{Requests: 3, Window: time.Minute}}, nil)
	for i := range 3 {
		if rs := do(t, srv, req{from: "127.0.0.3", target: "/api/v1/databases"}); rs.status != http.StatusOK {
			t.Fatalf("request %d: status %d", i+1, rs.status)
		}
	}
	checkProblem(t, do(t, srv, req{from: "127.0.0.3", target: "/api/v1/databases"}), http.StatusTooManyRequests)
	// Other addresses have their own budget.
	for _, from := range []string{"127.0.0.4", "127.0.0.5"} {
		for i := range 3 {
			if rs := do(t, srv, req{from: from, target: "/api/v1/databases"}); rs.status != http.StatusOK {
				t.Fatalf("%s request %d: status %d", from, i+1, rs.status)
			}
		}
		checkProblem(t, do(t, srv, req{from: from, target: "/api/v1/databases"}), http.StatusTooManyRequests)
	}
}

func TestRateLimitExemptPaths(t *testing.T) {
	tests := []struct {
		name   string
		exempt []string
		path   string
		limit  bool
	}{
		{"health", nil, "/health", false},
		{"health live", nil, "/health/live", false},
		{"health ready", nil, "/health/ready", false},
		{"health startup", nil, "/health/startup", false},
		{"_health", nil, "/_health", false},
		{"_ready", nil, "/_ready", false},
		{"_metrics", nil, "/_metrics", false},
		{"healthz is not a probe", nil, "/healthz", true},
		{"api", nil, "/api/v1/status", true},
		{"docs", nil, "/docs", true},
		{"nothing exempt", []string{}, "/health", true},
		{"custom prefix", []string{"/public/*"}, "/public/logo.png", false},
		{"custom replaces defaults", []string{"/public/*"}, "/_metrics", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := serve(t, Options{RateLimit: RateLimitOptions{Requests: 2}, ExemptPaths: tt.exempt}, nil)
			// Use the budget up on the API.
			for range 3 {
				do(t, srv, req{from: "127.0.0.6", target: "/api/v1/databases"})
			}
			for i := range 10 {
				rs := do(t, srv, req{from: "127.0.0.6", target: tt.path})
				if limited := rs.status == http.StatusTooManyRequests; limited != tt.limit {
					t.Fatalf("request %d to %s: status %d, want limited=%v", i+1, tt.path, rs.status, tt.limit)
				}
			}
		})
	}
}

func TestExemptAddresses(t *testing.T) {
	_, srv := serve(t, Options{RateLimit: RateLimitOptions{Requests: 2}, ExemptAddresses: []string{"127.0.3.0/24"},
		Blacklist: BlacklistOptions{Static: []string{"127.0.3.9", "127.0.4.9"}}}, nil)
	for i := range 10 {
		if rs := do(t, srv, req{from: "127.0.3.8", target: "/api/v1/internal/catalog?after=1"}); rs.status != http.StatusOK {
			t.Fatalf("exempt address, request %d: status %d", i+1, rs.status)
		}
	}
	if rs := do(t, srv, req{from: "127.0.3.9", target: "/api/v1/status"}); rs.status != http.StatusOK {
		t.Errorf("exempt and blacklisted address: status %d", rs.status)
	}
	checkProblem(t, do(t, srv, req{from: "127.0.4.9", target: "/api/v1/status"}), http.StatusForbidden)
	// Detection still applies.
	checkProblem(t, do(t, srv, req{from: "127.0.3.8", target: "/api/v1/status?q=<script>"}), http.StatusForbidden)
	for range 2 {
		do(t, srv, req{from: "127.0.4.8", target: "/api/v1/status"})
	}
	checkProblem(t, do(t, srv, req{from: "127.0.4.8", target: "/api/v1/status"}), http.StatusTooManyRequests)
	if _, err := New(Options{ExemptAddresses: []string{"10.0.0.0/99"}}); err == nil || !strings.Contains(err.Error(), "exempt addresses") {
		t.Errorf("bad exempt address: %v", err)
	}
}

func TestRateLimitBehindProxy(t *testing.T) {
	tests := []struct {
		name     string
		opt      Options
		first    map[string]string // headers of the requests that use the budget up
		second   map[string]string // headers of the next request
		separate bool              // whether the next request has its own budget
	}{
		{"headers ignored without TrustProxy", Options{},
			map[string]string{"X-Forwarded-For": "203.0.113.1"}, map[string]string{"X-Forwarded-For": "203.0.113.2"}, false},
		{"X-Forwarded-For with TrustProxy", Options{TrustProxy: true},
			map[string]string{"X-Forwarded-For": "203.0.113.1"}, map[string]string{"X-Forwarded-For": "203.0.113.2"}, true},
		{"spoofed leftmost entry is ignored", Options{TrustProxy: true},
			map[string]string{"X-Forwarded-For": "198.51.100.1, 203.0.113.1"}, map[string]string{"X-Forwarded-For": "198.51.100.2, 203.0.113.1"}, false},
		{"X-Real-IP with TrustProxy", Options{TrustProxy: true},
			map[string]string{"X-Real-Ip": "203.0.113.1"}, map[string]string{"X-Real-Ip": "203.0.113.2"}, true},
		{"untrusted peer", Options{TrustProxy: true, TrustedProxies: []string{"10.0.0.0/8"}},
			map[string]string{"X-Forwarded-For": "203.0.113.1"}, map[string]string{"X-Forwarded-For": "203.0.113.2"}, false},
		{"trusted peer", Options{TrustProxy: true, TrustedProxies: []string{"127.0.0.0/8"}},
			map[string]string{"X-Forwarded-For": "203.0.113.1"}, map[string]string{"X-Forwarded-For": "203.0.113.2"}, true},
		{"IPv6 clients share their /64", Options{TrustProxy: true},
			map[string]string{"X-Forwarded-For": "2001:db8:1:2::1"}, map[string]string{"X-Forwarded-For": "2001:db8:1:2::ffff"}, false},
		{"IPv6 clients in other /64s", Options{TrustProxy: true},
			map[string]string{"X-Forwarded-For": "2001:db8:1:2::1"}, map[string]string{"X-Forwarded-For": "2001:db8:1:3::1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.RateLimit = RateLimitOptions{Requests: 2}
			_, srv := serve(t, tt.opt, nil)
			for range 2 {
				if rs := do(t, srv, req{from: "127.0.0.7", target: "/api/v1/status", header: tt.first}); rs.status != http.StatusOK {
					t.Fatalf("status %d", rs.status)
				}
			}
			checkProblem(t, do(t, srv, req{from: "127.0.0.7", target: "/api/v1/status", header: tt.first}), http.StatusTooManyRequests)
			rs := do(t, srv, req{from: "127.0.0.7", target: "/api/v1/status", header: tt.second})
			if separate := rs.status == http.StatusOK; separate != tt.separate {
				t.Errorf("next request: status %d, want its own budget=%v", rs.status, tt.separate)
			}
		})
	}
}

func TestClientAddr(t *testing.T) {
	tests := []struct {
		name    string
		opt     Options
		remote  string
		header  map[string][]string
		want    string
		proxied bool
	}{
		{"remote", Options{}, "192.0.2.1:5555", nil, "192.0.2.1", false},
		{"remote IPv6", Options{}, "[2001:db8::1]:5555", nil, "2001:db8::1", false},
		{"remote IPv4-mapped", Options{}, "[::ffff:192.0.2.1]:5555", nil, "192.0.2.1", false},
		{"remote zone", Options{}, "[fe80::1%eth0]:5555", nil, "fe80::1", false},
		{"not an address", Options{}, "@", nil, "invalid IP", false},
		{"forwarded ignored", Options{}, "192.0.2.1:5555", map[string][]string{"X-Forwarded-For": {"203.0.113.9"}}, "192.0.2.1", false},
		{"rightmost", Options{TrustProxy: true}, "192.0.2.1:5555",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1, 203.0.113.9"}}, "203.0.113.9", true},
		{"several header lines", Options{TrustProxy: true}, "192.0.2.1:5555",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1", "203.0.113.9"}}, "203.0.113.9", true},
		{"chain of trusted proxies", Options{TrustProxy: true, TrustedProxies: []string{"192.0.2.0/24", "10.0.0.0/8"}}, "192.0.2.1:5555",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1, 203.0.113.9, 10.1.2.3"}}, "203.0.113.9", true},
		{"all trusted", Options{TrustProxy: true, TrustedProxies: []string{"192.0.2.0/24", "10.0.0.0/8"}}, "192.0.2.1:5555",
			map[string][]string{"X-Forwarded-For": {"10.0.0.2, 10.1.2.3"}}, "10.0.0.2", true},
		{"garbage stops the walk", Options{TrustProxy: true, TrustedProxies: []string{"192.0.2.0/24", "10.0.0.0/8"}}, "192.0.2.1:5555",
			map[string][]string{"X-Forwarded-For": {"203.0.113.9, unknown, 10.1.2.3"}}, "10.1.2.3", true},
		{"with port", Options{TrustProxy: true}, "192.0.2.1:5555",
			map[string][]string{"X-Forwarded-For": {"[2001:db8::7]:443"}}, "2001:db8::7", true},
		{"x-real-ip", Options{TrustProxy: true}, "192.0.2.1:5555",
			map[string][]string{"X-Real-Ip": {"203.0.113.9"}}, "203.0.113.9", true},
		{"x-forwarded-for first", Options{TrustProxy: true}, "192.0.2.1:5555",
			map[string][]string{"X-Real-Ip": {"203.0.113.8"}, "X-Forwarded-For": {"203.0.113.9"}}, "203.0.113.9", true},
		{"no headers", Options{TrustProxy: true}, "192.0.2.1:5555", nil, "192.0.2.1", true},
		{"untrusted peer", Options{TrustProxy: true, TrustedProxies: []string{"10.0.0.0/8"}}, "192.0.2.1:5555",
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}}, "192.0.2.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := New(tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remote
			for k, v := range tt.header {
				r.Header[k] = v
			}
			a, proxied := g.clientAddr(r)
			if a.String() != tt.want || proxied != tt.proxied {
				t.Errorf("clientAddr = %s, %v; want %s, %v", a, proxied, tt.want, tt.proxied)
			}
		})
	}
}

func TestLimitKey(t *testing.T) {
	tests := []struct{ addr, remote, want string }{
		{"192.0.2.1", "192.0.2.1:1", "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "", "2001:db8:1:2::"},
		{"", "@", "@"},
	}
	for _, tt := range tests {
		var a netip.Addr
		if tt.addr != "" {
			a = netip.MustParseAddr(tt.addr)
		}
		if got := limitKey(a, tt.remote); got != tt.want {
			t.Errorf("limitKey(%s, %q) = %q, want %q", tt.addr, tt.remote, got, tt.want)
		}
	}
}
