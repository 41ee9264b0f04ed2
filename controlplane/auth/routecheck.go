package auth

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/go-chi/chi/v5"
)

// Route is one method and pattern of a router.
type Route struct {
	Method  string
	Pattern string
}

func (r Route) String() string { return r.Method + " " + r.Pattern }

// Path is an example path that matches the pattern: every {param} (with
// or without a regexp) and every * becomes "x".
func (r Route) Path() string { return ExamplePath(r.Pattern) }

var paramRE = regexp.MustCompile(`\{[^{}]*(\{[^{}]*\}[^{}]*)*\}`)

// ExamplePath turns a chi pattern into a path it matches.
func ExamplePath(pattern string) string {
	p := paramRE.ReplaceAllString(pattern, "x")
	return strings.ReplaceAll(p, "*", "x")
}

// Walk lists every route of routes (chi.Walk), sorted, with the patterns
// of mounted routers joined.
func Walk(routes chi.Routes) ([]Route, error) {
	var out []Route
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		// Routers mounted at "/" inside routers mounted at "/" leave
		// "/*/*/..." after chi's own clean-up.
		for strings.Contains(route, "/*/") {
			route = strings.ReplaceAll(route, "/*/", "/")
		}
		out = append(out, Route{Method: method, Pattern: route})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("auth: walk routes: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pattern != out[j].Pattern {
			return out[i].Pattern < out[j].Pattern
		}
		return out[i].Method < out[j].Method
	})
	return out, nil
}

// ProtectedRoutes lists the routes of routes that need credentials (all
// but the public paths, see PublicPath).
func ProtectedRoutes(routes chi.Routes) ([]Route, error) {
	all, err := Walk(routes)
	if err != nil {
		return nil, err
	}
	var out []Route
	for _, r := range all {
		if !PublicPath(r.Path()) {
			out = append(out, r)
		}
	}
	return out, nil
}

// authEndpoints are the routes Mount adds.
var authEndpoints = map[string]bool{
	"/auth/login": true, "/auth/callback": true, "/auth/logout": true, "/auth/me": true, "/auth/jwks.json": true,
}

// TestingT is the part of *testing.T CheckRoutes uses (so this package
// does not import testing).
type TestingT interface {
	Helper()
	Errorf(format string, args ...any)
}

// CheckRoutes asserts that every protected route of routes refuses
// anonymous calls through h (the handler with the middleware in front,
// usually the same router): without credentials, with a garbage bearer,
// with an unknown API token, with a garbage session cookie, and with a
// forged data-node header, each must answer 401 problem+json with
// WWW-Authenticate: Bearer. Routes under /auth/ other than this package's
// own are reported too (they would be public). It returns the routes checked, so a test can
// also assert there were some. Call it from the API's tests:
//
//	h, _ := api.NewHandler(reg, opts) // with the auth middleware
//	checked := auth.CheckRoutes(t, h, h.(chi.Routes))
func CheckRoutes(t TestingT, h http.Handler, routes chi.Routes) []Route {
	t.Helper()
	protected, err := ProtectedRoutes(routes)
	if err != nil {
		t.Errorf("%v", err)
		return nil
	}
	attempts := []struct {
		name string
		set  func(*http.Request)
	}{
		{"no credentials", func(*http.Request) {}},
		{"garbage bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer not-a-token") }},
		{"unknown API token", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer pdb_00000000000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
		}},
		{"forged JWT", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4IiwidGVuYW50IjoiZGVmYXVsdCIsInJvbGUiOiJvd25lciJ9.")
		}},
		{"garbage cookie", func(r *http.Request) {
			r.AddCookie(&http.Cookie{Name: DefaultCookieName, Value: "garbage"})
			r.AddCookie(&http.Cookie{Name: "__Host-" + DefaultCookieName, Value: "garbage"})
		}},
		{"node header only", func(r *http.Request) { r.Header.Set("X-PhotonDB-Node", "n1") }},
	}
	// /auth/* is public by prefix; only this package's endpoints may be
	// there, or a route mounted under it by mistake would be open.
	all, _ := Walk(routes)
	for _, rt := range all {
		if strings.HasPrefix(rt.Pattern, "/auth/") && !authEndpoints[rt.Pattern] {
			t.Errorf("%s is public (under /auth/) but not an endpoint of package auth", rt)
		}
	}
	for _, rt := range protected {
		for _, at := range attempts {
			req, err := http.NewRequest(rt.Method, "http://127.0.0.1"+rt.Path(), nil)
			if err != nil {
				t.Errorf("%s: %v", rt, err)
				continue
			}
			req.RemoteAddr = "127.0.0.1:1"
			req.Header.Set("Accept", "application/json")
			at.set(req)
			rec := &recorder{header: http.Header{}}
			h.ServeHTTP(rec, req)
			switch {
			case rec.status() != http.StatusUnauthorized:
				t.Errorf("%s (%s): answered %d, want 401", rt, at.name, rec.status())
			case !strings.HasPrefix(rec.header.Get("WWW-Authenticate"), "Bearer"):
				t.Errorf("%s (%s): 401 without WWW-Authenticate: Bearer", rt, at.name)
			case rec.header.Get("Content-Type") != "application/problem+json":
				t.Errorf("%s (%s): 401 as %q, want application/problem+json", rt, at.name, rec.header.Get("Content-Type"))
			}
		}
	}
	return protected
}

// recorder is a minimal http.ResponseWriter (httptest would pull its
// flags into the binary).
type recorder struct {
	header http.Header
	code   int
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return len(b), nil
}
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}
