package security

import (
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkMiddleware measures the guard's per-request overhead, in
// process (no network): "bare" is the handler alone, the others put the
// guard in front of it.
func BenchmarkMiddleware(b *testing.B) {
	noLimit := RateLimitOptions{Requests: math.MaxInt32}
	cases := []struct {
		name   string
		guard  bool
		opt    Options
		method string
		target string
		header map[string]string
		body   string
	}{
		{name: "bare/list", target: "/api/v1/databases/shop/tables/users/documents?cursor=eyJpZCI6MX0&limit=100", header: browserHeaders},
		{name: "guard/list-browser", guard: true, opt: Options{RateLimit: noLimit},
			target: "/api/v1/databases/shop/tables/users/documents?cursor=eyJpZCI6MX0&limit=100", header: browserHeaders},
		{name: "guard/list-cli", guard: true, opt: Options{RateLimit: noLimit},
			target: "/api/v1/databases/shop/tables/users/documents?cursor=eyJpZCI6MX0&limit=100",
			header: map[string]string{"User-Agent": "photondb-cli/1.0", "Authorization": "Bearer pdb_0123456789abcdef", "Accept": "application/json"}},
		{name: "guard/query-post", guard: true, opt: Options{RateLimit: noLimit}, method: "POST", target: "/api/query",
			header: map[string]string{"Content-Type": "application/json", "User-Agent": "photondb-cli/1.0"},
			body:   `{"query":"r.table('users').filter(r.row('name').eq(\"' OR '1'='1\"))"}`},
		{name: "guard/health-exempt", guard: true, opt: Options{RateLimit: noLimit}, target: "/health/ready",
			header: map[string]string{"User-Agent": "kube-probe/1.30"}},
		{name: "guard/no-ratelimit", guard: true, opt: Options{RateLimit: RateLimitOptions{Disabled: true}},
			target: "/api/v1/databases/shop/tables/users/documents?cursor=eyJpZCI6MX0&limit=100", header: browserHeaders},
		{name: "guard/attack-blacklisted", guard: true, opt: Options{RateLimit: noLimit},
			target: "/api/v1/x?q=%27%20OR%20%271%27%3D%271", header: browserHeaders},
		{name: "guard/attack-detected", guard: true, opt: Options{RateLimit: noLimit, Blacklist: BlacklistOptions{Disabled: true}},
			target: "/api/v1/x?q=%27%20OR%20%271%27%3D%271", header: browserHeaders},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var h http.Handler = okHandler
			if c.guard {
				c.opt.Log = quietLog
				g, err := New(c.opt)
				if err != nil {
					b.Fatal(err)
				}
				h = g.Middleware(okHandler)
			}
			method := c.method
			if method == "" {
				method = http.MethodGet
			}
			r := rawRequest(b, method, c.target, c.header)
			r.RemoteAddr = "192.0.2.10:40000"
			b.ReportAllocs()
			for b.Loop() {
				if c.body != "" {
					r.Body = ioNopCloser{strings.NewReader(c.body)}
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
			}
		})
	}
}

func BenchmarkDetector(b *testing.B) {
	d := NewDetector(DetectorOptions{})
	r := rawRequest(b, "GET", "/api/v1/databases/shop/tables/users/documents?cursor=eyJpZCI6MX0&limit=100", browserHeaders)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := d.Inspect(r); ok {
			b.Fatal("false positive")
		}
	}
}

type ioNopCloser struct{ *strings.Reader }

func (ioNopCloser) Close() error { return nil }
