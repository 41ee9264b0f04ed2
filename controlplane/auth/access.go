package auth

import (
	"net/http"
	"strings"
)

// Public endpoints answer without credentials; everything else needs them.
//
//	/health, /health/*, /_health, /_ready   probes
//	/_metrics                               Prometheus
//	/auth/*                                 login, callback, logout, me, jwks.json
//
// /openapi.json, /openapi.yaml, /docs and /schemas/* stay protected: the
// document describes internal endpoints too, and every client that can use
// the API has a credential anyway (the browser sends its session cookie).
var (
	publicExact    = []string{"/health", "/_health", "/_ready", "/_metrics"}
	publicPrefixes = []string{"/health/", "/auth/"}
)

// PublicPath reports whether a request path needs no credentials. Paths
// with empty, "." or ".." segments are never public, so a router or file
// server that cleans paths cannot turn a public-looking path into a
// protected resource.
func PublicPath(path string) bool {
	if path == "" || path[0] != '/' || strings.Contains(path, "//") ||
		strings.Contains(path, "/./") || strings.Contains(path, "/../") ||
		strings.HasSuffix(path, "/.") || strings.HasSuffix(path, "/..") || strings.ContainsAny(path, "\\%") {
		return false
	}
	for _, p := range publicExact {
		if path == p {
			return true
		}
	}
	for _, p := range publicPrefixes {
		if strings.HasPrefix(path, p) && len(path) > len(p) {
			return true
		}
	}
	return false
}

// routingPath is the path chi routes on: the escaped path when the URL has
// one, the decoded path otherwise.
func routingPath(r *http.Request) string {
	if r.URL.RawPath != "" {
		return r.URL.RawPath
	}
	return r.URL.Path
}

// publicRequest reports whether r may go without credentials. A public
// path never needs escapes, so a request with an escaped path is not
// public.
func publicRequest(r *http.Request) bool {
	return r.URL.RawPath == "" && PublicPath(r.URL.Path)
}

func readMethod(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// segments splits "/api/v1/x/" into ["api", "v1", "x"].
func segments(path string) []string {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

func under(seg []string, prefix ...string) bool {
	if len(seg) < len(prefix) {
		return false
	}
	for i, p := range prefix {
		if seg[i] != p {
			return false
		}
	}
	return true
}

// Requirement is what a request needs: the least user role that may make
// it ("" when no user may: data nodes only), and whether the data nodes'
// credential may. The matrix (r reader, d developer, a admin, o owner,
// n node):
//
//	request                                                  r d a o n
//	GET, HEAD, OPTIONS of anything not below                 x x x x .
//	POST /api/query; writes under .../{table}/documents      . x x x .
//	DDL: POST /api/v1/databases, DELETE .../{db},            . . x x x
//	     POST .../{db}/tables, PATCH|DELETE .../{table},
//	     POST /api/v1/rename
//	other writes under /api/v1/databases (indexes...)        . . x x .
//	/api/v1/tokens, every method (GET too)                   . . x x .
//	GET /api/v1/tenants/{tenant} (API checks: their own)     x x x x .
//	GET /api/v1/tenants (all tenants); tenant writes         . . . x .
//	GET /api/v1/nodes, GET /api/v1/nodes/{id}                x x x x x
//	PUT /api/v1/nodes/{id} (register, heartbeat)             . . . . x
//	other writes under /api/v1/nodes (drain, remove)         . . . x .
//	writes under /api/v1/admin (compaction: cluster-wide)    . . . x .
//	/_node/*, every method                                   . . . x x
//	/api/v1/driver-credentials (the tenant's driver login)   . . x x .
//	/api/v1/internal/*, every method                         . . . . x
//	any other write (new endpoints until placed here)        . . . x .
//
// Public paths (PublicPath) need nothing.
func Requirement(method, path string) (min Role, node bool) {
	read := readMethod(method)
	seg := segments(path)
	switch {
	case under(seg, "api", "v1", "internal"):
		return "", true
	case under(seg, "_node"):
		return RoleOwner, true
	case under(seg, "api", "v1", "nodes"):
		switch {
		case read:
			return RoleReader, true
		case method == http.MethodPut && len(seg) == 4:
			return "", true
		}
		return RoleOwner, false
	case under(seg, "api", "v1", "databases"):
		if read {
			return RoleReader, false
		}
		switch {
		case len(seg) <= 4: // POST /databases, DELETE /databases/{db}
			return RoleAdmin, true
		case seg[4] != "tables":
			return RoleOwner, false
		case len(seg) <= 6: // POST .../tables, PATCH|DELETE .../tables/{table}
			return RoleAdmin, true
		case seg[6] == "documents":
			return RoleDeveloper, false
		}
		return RoleAdmin, false
	case under(seg, "api", "v1", "rename") && len(seg) == 3:
		if read {
			return RoleReader, false
		}
		return RoleAdmin, true
	case under(seg, "api", "v1", "tokens"), under(seg, "api", "v1", "driver-credentials"):
		return RoleAdmin, false
	case under(seg, "api", "v1", "tenants"):
		if read && len(seg) == 4 {
			return RoleReader, false
		}
		return RoleOwner, false
	case under(seg, "api", "query") && len(seg) == 2 && !read:
		return RoleDeveloper, false
	}
	if read {
		return RoleReader, false
	}
	return RoleOwner, false
}

// Allowed reports whether role may make a method request to path (the
// path as routed, see Requirement for the matrix). Public paths are
// allowed to everyone.
func Allowed(role Role, method, path string) bool {
	if PublicPath(path) {
		return true
	}
	min, node := Requirement(method, path)
	if role == RoleNode {
		return node
	}
	return min != "" && role.AtLeast(min)
}

// RequireRole returns middleware that lets a request through only when
// the identity in its context (see Authenticator.Middleware) has a user
// role of at least min: 401 without an identity, 403 with a lesser one.
// Dev mode's identity is an owner, so it always passes.
func RequireRole(min Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, ok := FromContext(r.Context())
			if !ok {
				writeUnauthorized(w, ErrNoCredentials)
				return
			}
			if !id.Can(min) {
				writeProblem(w, http.StatusForbidden, "Role "+string(id.Role)+" may not do this; it needs "+string(min)+" or above.")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
