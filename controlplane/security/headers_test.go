package security

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
	"github.com/go-chi/chi/v5"
)

func TestSecurityHeaders(t *testing.T) {
	cacheable := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("cache") != "" {
			w.Header().Set("Cache-Control", "max-age=60")
		}
		okHandler(w, r)
	})
	tests := []struct {
		name    string
		opt     Options
		method  string
		target  string
		header  map[string]string
		want    map[string]string // "" means absent
		exactly bool
	}{
		{"api", Options{}, "GET", "/api/v1/databases", nil, map[string]string{
			"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
			"Content-Security-Policy": DefaultCSP, "Cache-Control": "no-store", "Strict-Transport-Security": ""}, false},
		{"query", Options{}, "POST", "/api/query", nil, map[string]string{"Cache-Control": "no-store", "Content-Security-Policy": DefaultCSP}, false},
		{"api root", Options{}, "GET", "/api", nil, map[string]string{"Cache-Control": "no-store"}, false},
		{"handler's Cache-Control wins", Options{}, "GET", "/api/v1/databases?cache=1", nil, map[string]string{"Cache-Control": "max-age=60"}, false},
		{"not under /api", Options{}, "GET", "/apiary", nil, map[string]string{"Cache-Control": "", "X-Frame-Options": "DENY"}, false},
		{"health", Options{}, "GET", "/health/ready", nil, map[string]string{"Cache-Control": "", "X-Content-Type-Options": "nosniff",
			"Content-Security-Policy": DefaultCSP}, false},
		{"docs", Options{}, "GET", "/docs", nil, map[string]string{"Content-Security-Policy": DefaultDocsCSP, "X-Frame-Options": "DENY"}, false},
		{"custom policies", Options{Headers: HeadersOptions{CSP: "default-src 'self'", DocsCSP: "default-src *", DocsPaths: []string{"/reference/*"}}},
			"GET", "/reference/x", nil, map[string]string{"Content-Security-Policy": "default-src *"}, false},
		{"custom API policy", Options{Headers: HeadersOptions{CSP: "default-src 'self'"}},
			"GET", "/docs", nil, map[string]string{"Content-Security-Policy": DefaultDocsCSP}, false},
		{"forwarded https ignored without TrustProxy", Options{}, "GET", "/api/v1/status",
			map[string]string{"X-Forwarded-Proto": "https"}, map[string]string{"Strict-Transport-Security": ""}, false},
		{"forwarded https with TrustProxy", Options{TrustProxy: true}, "GET", "/api/v1/status",
			map[string]string{"X-Forwarded-Proto": "https"}, map[string]string{"Strict-Transport-Security": DefaultHSTS}, false},
		{"forwarded http with TrustProxy", Options{TrustProxy: true}, "GET", "/api/v1/status",
			map[string]string{"X-Forwarded-Proto": "http"}, map[string]string{"Strict-Transport-Security": ""}, false},
		{"disabled", Options{Headers: HeadersOptions{Disabled: true}}, "GET", "/api/v1/status", nil, map[string]string{
			"X-Content-Type-Options": "", "X-Frame-Options": "", "Referrer-Policy": "", "Content-Security-Policy": "", "Cache-Control": ""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := serve(t, tt.opt, cacheable)
			rs := do(t, srv, req{method: tt.method, target: tt.target, header: tt.header})
			if rs.status != http.StatusOK {
				t.Fatalf("status %d", rs.status)
			}
			for k, v := range tt.want {
				if got := rs.header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestSecurityHeadersOnRefusals(t *testing.T) {
	_, srv := serve(t, Options{RateLimit: RateLimitOptions{Requests: 1}, Blacklist: BlacklistOptions{Static: []string{"127.0.0.31"}}}, nil)
	for name, rs := range map[string]resp{
		"403 attack":    do(t, srv, req{from: "127.0.0.30", target: "/api/v1/x?q=<script>"}),
		"403 blacklist": do(t, srv, req{from: "127.0.0.31", target: "/api/v1/x"}),
		"429": func() resp {
			do(t, srv, req{from: "127.0.0.32", target: "/api/v1/x"})
			return do(t, srv, req{from: "127.0.0.32", target: "/api/v1/x"})
		}(),
	} {
		if rs.status < 400 {
			t.Errorf("%s: status %d", name, rs.status)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
			"Content-Security-Policy": DefaultCSP, "Cache-Control": "no-store"} {
			if got := rs.header.Get(k); got != v {
				t.Errorf("%s: %s %q, want %q", name, k, got, v)
			}
		}
	}
}

func TestHSTSOverTLS(t *testing.T) {
	for _, tt := range []struct {
		name string
		opt  Options
		want string
	}{
		{"default", Options{}, DefaultHSTS},
		{"custom", Options{Headers: HeadersOptions{HSTS: "max-age=600"}}, "max-age=600"},
		{"off", Options{Headers: HeadersOptions{NoHSTS: true}}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Log = quietLog
			g, err := New(tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewTLSServer(g.Middleware(okHandler))
			defer srv.Close()
			res, err := srv.Client().Get(srv.URL + "/api/v1/status")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if got := res.Header.Get("Strict-Transport-Security"); got != tt.want {
				t.Errorf("Strict-Transport-Security %q, want %q", got, tt.want)
			}
		})
	}
}

// cspAllows reports whether the policy's directive (or default-src) allows
// loading u: a minimal CSP source-expression matcher for host sources.
func cspAllows(policy, directive string, u *url.URL) bool {
	dirs := map[string][]string{}
	for _, d := range strings.Split(policy, ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			dirs[f[0]] = f[1:]
		}
	}
	sources, ok := dirs[directive]
	if !ok {
		sources = dirs["default-src"]
	}
	for _, s := range sources {
		su, err := url.Parse(s)
		if err != nil || su.Host == "" || su.Scheme != u.Scheme || su.Host != u.Host {
			continue
		}
		switch {
		case su.Path == "" || su.Path == "/":
			return true
		case strings.HasSuffix(su.Path, "/") && strings.HasPrefix(u.Path, su.Path):
			return true
		case su.Path == u.Path:
			return true
		}
	}
	return false
}

// TestDocsPageRenders serves huma's real /docs page behind the guard and
// checks that its Content-Security-Policy lets the browser load what the
// page references (Stoplight Elements from unpkg.com), and that the
// package's own docs policy would too.
func TestDocsPageRenders(t *testing.T) {
	r := chi.NewRouter()
	api := humachi.New(r, huma.DefaultConfig("test", "1.0"))
	huma.Register(api, huma.Operation{OperationID: "ping", Method: http.MethodGet, Path: "/api/v1/ping"},
		func(context.Context, *struct{}) (*struct{}, error) { return nil, nil })
	_, srv := serve(t, Options{}, r)

	res, err := http.Get(srv.URL + "/docs")
	if err != nil {
		t.Fatal(err)
	}
	html, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /docs: %d, %v", res.StatusCode, err)
	}
	policy := res.Header.Get("Content-Security-Policy")
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("docs without security headers: %v", res.Header)
	}
	scripts := regexp.MustCompile(`<script[^>]*\ssrc="([^"]+)"`).FindAllStringSubmatch(string(html), -1)
	styles := regexp.MustCompile(`<link[^>]*rel="stylesheet"[^>]*\shref="([^"]+)"`).FindAllStringSubmatch(string(html), -1)
	if len(scripts) == 0 || len(styles) == 0 {
		t.Fatalf("no script or stylesheet in the docs page:\n%s", html)
	}
	for _, p := range []struct{ name, policy string }{{"served", policy}, {"DefaultDocsCSP", DefaultDocsCSP}} {
		for _, m := range scripts {
			u, _ := url.Parse(m[1])
			if !cspAllows(p.policy, "script-src", u) {
				t.Errorf("%s policy %q blocks script %s", p.name, p.policy, u)
			}
		}
		for _, m := range styles {
			u, _ := url.Parse(m[1])
			if !cspAllows(p.policy, "style-src", u) {
				t.Errorf("%s policy %q blocks stylesheet %s", p.name, p.policy, u)
			}
		}
		if !strings.Contains(p.policy, "connect-src 'self'") || !strings.Contains(p.policy, "frame-ancestors 'none'") {
			t.Errorf("%s policy %q: the page cannot fetch the OpenAPI document, or may be framed", p.name, p.policy)
		}
	}
	// The API policy would block the page: it is only relaxed on /docs.
	for _, m := range scripts {
		u, _ := url.Parse(m[1])
		if cspAllows(DefaultCSP, "script-src", u) {
			t.Errorf("DefaultCSP allows %s", u)
		}
	}

	// Other answers keep the strict policy.
	res, err = http.Get(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("Content-Security-Policy"); res.StatusCode != http.StatusOK || got != DefaultCSP {
		t.Errorf("/openapi.json: %d, CSP %q", res.StatusCode, got)
	}
}
