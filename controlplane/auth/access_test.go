package auth

import (
	"net/http"
	"testing"
)

func TestPublicPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/health": true, "/health/live": true, "/health/ready": true, "/health/startup": true,
		"/_health": true, "/_ready": true, "/_metrics": true,
		"/auth/login": true, "/auth/callback": true, "/auth/me": true, "/auth/jwks.json": true,
		"/auth": false, "/auth/": false, "/health/": false, "/healthz": false, "/_metrics/x": false,
		"/api/v1/databases": false, "/openapi.json": false, "/docs": false, "/_admin": false, "/api/changes": false,
		"/health/../api/v1/tokens": false, "/auth/../_admin": false, "/auth//x": false, "/auth/./x": false,
		"/auth/x/..": false, "/auth/%2e%2e": false, "/auth/x\\y": false, "": false, "health": false,
	} {
		if got := PublicPath(p); got != want {
			t.Errorf("PublicPath(%q) = %v", p, got)
		}
	}
}

// The role matrix of Requirement, row by row.
func TestAllowedMatrix(t *testing.T) {
	const (
		G, P, U, D, X = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch
	)
	// Columns: reader developer admin owner node.
	for _, tc := range []struct {
		method, path string
		allowed      string // r d a o n
	}{
		{G, "/api/v1/databases", "rdao-"},
		{G, "/api/v1/databases/shop/tables/users/documents", "rdao-"},
		{G, "/api/tables", "rdao-"},
		{G, "/api/changes", "rdao-"},
		{G, "/openapi.json", "rdao-"},
		{G, "/docs", "rdao-"},
		{G, "/_admin/index.html", "rdao-"},
		{http.MethodHead, "/api/v1/status", "rdao-"},
		{P, "/api/query", "-dao-"},
		{P, "/api/v1/databases/shop/tables/users/documents", "-dao-"},
		{D, "/api/v1/databases/shop/tables/users/documents/42", "-dao-"},
		{P, "/api/v1/databases", "--aon"},
		{D, "/api/v1/databases/shop", "--aon"},
		{P, "/api/v1/databases/shop/tables", "--aon"},
		{X, "/api/v1/databases/shop/tables/users", "--aon"},
		{D, "/api/v1/databases/shop/tables/users", "--aon"},
		{P, "/api/v1/rename", "--aon"},
		{P, "/api/v1/databases/shop/tables/users/indexes", "--ao-"},
		{P, "/api/v1/databases/shop/other", "---o-"},
		{G, "/api/v1/tokens", "--ao-"},
		{P, "/api/v1/tokens", "--ao-"},
		{D, "/api/v1/tokens/abc", "--ao-"},
		{G, "/api/v1/tenants/acme", "rdao-"},
		{G, "/api/v1/tenants", "---o-"},
		{P, "/api/v1/tenants", "---o-"},
		{X, "/api/v1/tenants/acme", "---o-"},
		{D, "/api/v1/tenants/acme", "---o-"},
		{G, "/api/v1/nodes", "rdaon"},
		{G, "/api/v1/nodes/n1", "rdaon"},
		{U, "/api/v1/nodes/n1", "----n"},
		{P, "/api/v1/nodes/n1/drain", "---o-"},
		{D, "/api/v1/nodes/n1", "---o-"},
		{G, "/api/v1/admin/stats", "rdao-"},
		{P, "/api/v1/admin/compact", "---o-"},
		{G, "/_node/stats", "---on"},
		{P, "/_node/compact", "---on"},
		{G, "/api/v1/internal/catalog", "----n"},
		{P, "/api/v1/internal/anything", "----n"},
		{P, "/api/v2/something-new", "---o-"},
		{D, "/whatever", "---o-"},
		{G, "/health", "rdaon"},
		{P, "/auth/logout", "rdaon"},
	} {
		for i, role := range []Role{RoleReader, RoleDeveloper, RoleAdmin, RoleOwner, RoleNode} {
			want := tc.allowed[i] != '-'
			if got := Allowed(role, tc.method, tc.path); got != want {
				t.Errorf("Allowed(%s, %s %s) = %v", role, tc.method, tc.path, got)
			}
		}
		if Allowed("", tc.method, tc.path) != PublicPath(tc.path) || Allowed("root", tc.method, tc.path) != PublicPath(tc.path) {
			t.Errorf("%s %s: an unknown role is allowed", tc.method, tc.path)
		}
	}
}

func TestRoles(t *testing.T) {
	if !RoleOwner.AtLeast(RoleReader) || RoleReader.AtLeast(RoleDeveloper) || RoleNode.AtLeast(RoleReader) || Role("").AtLeast("") {
		t.Fatal("role order")
	}
	if _, err := ParseRole("node"); err == nil {
		t.Fatal("node is not a user role")
	}
	if r, err := ParseRole("admin"); err != nil || r != RoleAdmin {
		t.Fatal(r, err)
	}
}

// A path is judged both as routed and as a path-cleaning router would
// route it.
func TestAllowedBoth(t *testing.T) {
	for _, tc := range []struct {
		role         Role
		method, path string
		want         bool
	}{
		{RoleReader, http.MethodGet, "/api/v1/databases/../internal/catalog", false},
		{RoleReader, http.MethodGet, "/api/v1/databases/x/../../tokens", false},
		{RoleAdmin, http.MethodGet, "/api/v1//tokens", true},
		{RoleReader, http.MethodGet, "/api/v1//tokens", false},
		{RoleReader, http.MethodGet, "/api/v1/databases/", true},
		{RoleReader, http.MethodGet, "/api/v1/databases/./shop", true},
		{RoleNode, http.MethodGet, "/api/v1/internal/catalog/", true},
	} {
		if got := allowedBoth(tc.role, tc.method, tc.path); got != tc.want {
			t.Errorf("%s %s %s: %v", tc.role, tc.method, tc.path, got)
		}
	}
}
