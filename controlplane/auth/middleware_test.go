package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/photondb-io/photondb/controlplane/meta"
	m "github.com/photondb-io/photondb/shared/meta"
)

// API tokens from the real metadata service over a real embedded catalog:
// accepted with their tenant and role, role enforced, refused once
// revoked, tampered or unknown, and 503 when the catalog cannot answer.
func TestAPITokens(t *testing.T) {
	svc := newMeta(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := svc.CreateTenant(ctx, "acme", m.Quotas{})
	must(t, err)
	tokens := map[Role]string{}
	var readerID string
	for _, r := range []Role{RoleReader, RoleDeveloper, RoleAdmin, RoleOwner} {
		tok, secret, err := svc.CreateToken(ctx, "acme", "ci-"+string(r), string(r))
		must(t, err)
		tokens[r] = secret
		if r == RoleReader {
			readerID = tok.ID
		}
	}
	c := newCP(t, func(cfg *Config) { cfg.Tokens = svc })

	st, id := c.identity(bearerHdr(tokens[RoleReader]))
	if st != http.StatusOK || id.Kind != KindToken || id.Tenant != "acme" || id.Role != RoleReader ||
		id.TokenID != readerID || id.Subject != "token:"+readerID || id.Name != "ci-reader" {
		t.Fatalf("reader token: %d %+v", st, id)
	}
	for _, tc := range []struct {
		role   Role
		method string
		path   string
		want   int
	}{
		{RoleReader, http.MethodPost, "/api/v1/databases/shop/tables/t/documents", http.StatusForbidden},
		{RoleDeveloper, http.MethodPost, "/api/v1/databases/shop/tables/t/documents", http.StatusOK},
		{RoleDeveloper, http.MethodPost, "/api/v1/databases", http.StatusForbidden},
		{RoleAdmin, http.MethodPost, "/api/v1/databases", http.StatusOK},
		{RoleDeveloper, http.MethodGet, "/api/v1/tokens", http.StatusForbidden},
		{RoleAdmin, http.MethodGet, "/api/v1/tokens", http.StatusOK},
		{RoleAdmin, http.MethodPost, "/api/v1/tenants", http.StatusForbidden},
		{RoleOwner, http.MethodPost, "/api/v1/tenants", http.StatusOK},
		{RoleOwner, http.MethodGet, "/api/v1/internal/catalog", http.StatusForbidden},
		{RoleOwner, http.MethodPut, "/api/v1/nodes/n1", http.StatusForbidden},
	} {
		st, b := c.do(tc.method, tc.path, bearerHdr(tokens[tc.role]))
		if st != tc.want {
			t.Errorf("%s %s %s: %d %s, want %d", tc.role, tc.method, tc.path, st, b, tc.want)
		}
	}
	// A token-authenticated caller cannot pass itself off as a data node.
	hdr := bearerHdr(tokens[RoleOwner])
	hdr[m.HeaderNode] = "n1"
	if st, id := c.identity(hdr); st != http.StatusOK || id.Node != "" || id.Kind != KindToken {
		t.Fatalf("token with a node header: %d %+v", st, id)
	}

	// Unknown, tampered and malformed tokens.
	reader := tokens[RoleReader]
	last := reader[len(reader)-1]
	flip := map[byte]byte{'A': 'B'}[last]
	if flip == 0 {
		flip = 'A'
	}
	for name, tok := range map[string]string{
		"tampered secret": reader[:len(reader)-1] + string(flip),
		"unknown id":      "pdb_00000000000000000000000000000000" + reader[strings.LastIndexByte(reader, '_'):],
		"truncated":       reader[:20],
		"bad id":          "pdb_zz" + reader[6:],
	} {
		st, b := c.do(http.MethodGet, "/api/v1/databases", bearerHdr(tok))
		if st != http.StatusUnauthorized || !bytes.Contains(b, []byte("Unknown or revoked API token")) {
			t.Errorf("%s: %d %s", name, st, b)
		}
	}
	// Revocation takes effect at once.
	must(t, svc.DeleteToken(ctx, "acme", readerID))
	if st, _ := c.identity(bearerHdr(reader)); st != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", st)
	}
	// The catalog failing is not "unknown token": 503, retry.
	must(t, svc.Catalog().Close())
	req, _ := http.NewRequest(http.MethodGet, c.url("/api/v1/databases"), nil)
	req.Header.Set("Authorization", "Bearer "+tokens[RoleAdmin])
	resp, b := c.bare(req)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("closed catalog: %d %s", resp.StatusCode, b)
	}
}

// Without a TokenVerifier, API tokens are refused (never accepted).
func TestAPITokensDisabled(t *testing.T) {
	c := newCP(t, nil)
	if st, _ := c.identity(bearerHdr("pdb_00000000000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAA")); st != http.StatusUnauthorized {
		t.Fatalf("%d", st)
	}
}

// The data nodes' credential: the cluster secret as Bearer, role node,
// allowed on the catalog sync, node registration and DDL only.
func TestNodeCredential(t *testing.T) {
	c := newCP(t, nil)
	node := bearerHdr(testClusterSecret)
	node[m.HeaderNode] = "n1"
	st, b := c.do(http.MethodGet, "/api/v1/internal/catalog", node)
	var id Identity
	_ = json.Unmarshal(b, &id)
	if st != http.StatusOK || id.Kind != KindNode || id.Role != RoleNode || id.Node != "n1" || id.Tenant != "" || id.Subject != "node:n1" {
		t.Fatalf("catalog sync: %d %s", st, b)
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodPut, "/api/v1/nodes/n1", http.StatusOK},
		{http.MethodPost, "/api/v1/databases", http.StatusOK},
		{http.MethodGet, "/api/v1/databases", http.StatusForbidden},
		{http.MethodPost, "/api/v1/databases/shop/tables/t/documents", http.StatusForbidden},
		{http.MethodGet, "/api/v1/tokens", http.StatusForbidden},
		{http.MethodPost, "/api/v1/tenants", http.StatusForbidden},
		{http.MethodGet, "/_admin", http.StatusForbidden},
	} {
		if st, b := c.do(tc.method, tc.path, node); st != tc.want {
			t.Errorf("node %s %s: %d %s, want %d", tc.method, tc.path, st, b, tc.want)
		}
	}
	// Without the node header it is still a node ("node").
	if st, b := c.do(http.MethodGet, "/api/v1/internal/catalog", bearerHdr(testClusterSecret)); st != http.StatusOK ||
		!bytes.Contains(b, []byte(`"node":"node"`)) {
		t.Errorf("no header: %d %s", st, b)
	}
	// A near miss of the secret is nothing.
	if st, _ := c.do(http.MethodGet, "/api/v1/internal/catalog", bearerHdr(testClusterSecret+"x")); st != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d", st)
	}
	// No cluster secret configured: no node credential.
	c2 := newCP(t, func(cfg *Config) { cfg.ClusterSecret = "" })
	if st, _ := c2.do(http.MethodGet, "/api/v1/internal/catalog", bearerHdr(testClusterSecret)); st != http.StatusUnauthorized {
		t.Errorf("no cluster secret configured: %d", st)
	}
}

// 401 answers are problem+json with WWW-Authenticate: Bearer; public
// paths answer without credentials.
func TestUnauthorizedAnswers(t *testing.T) {
	c := newCP(t, nil)
	for _, tc := range []struct {
		name, auth, challenge, detail string
	}{
		{"none", "", `Bearer realm="photondb"`, "Credentials required"},
		{"basic", "Basic YWRtaW46", `Bearer realm="photondb", error="invalid_request"`, "Malformed Authorization header"},
		{"empty bearer", "Bearer ", `Bearer realm="photondb", error="invalid_request"`, "Malformed"},
		{"garbage", "Bearer garbage", `Bearer realm="photondb", error="invalid_token"`, "Invalid credentials"},
	} {
		req, _ := http.NewRequest(http.MethodGet, c.url("/api/v1/databases"), nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, b := c.bare(req)
		var p Problem
		_ = json.Unmarshal(b, &p)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != tc.challenge ||
			resp.Header.Get("Content-Type") != "application/problem+json" || p.Title != "Unauthorized" || p.Status != 401 ||
			!strings.Contains(p.Detail, tc.detail) {
			t.Errorf("%s: %d %q %s", tc.name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), b)
		}
	}
	// Two Authorization headers are refused.
	req, _ := http.NewRequest(http.MethodGet, c.url("/api/v1/databases"), nil)
	req.Header.Add("Authorization", "Bearer a")
	req.Header.Add("Authorization", "Bearer b")
	if resp, _ := c.bare(req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("two headers: %d", resp.StatusCode)
	}
	for _, p := range []string{"/health", "/auth/jwks.json"} {
		req, _ := http.NewRequest(http.MethodGet, c.url(p), nil)
		if resp, _ := c.bare(req); resp.StatusCode == http.StatusUnauthorized {
			t.Errorf("public %s: 401", p)
		}
	}
	// Escaped and dotted paths are never public.
	for _, p := range []string{"/health/../api/v1/databases", "/auth/%2e%2e/api/v1/databases", "/health%2F..%2Fapi"} {
		req, _ := http.NewRequest(http.MethodGet, c.url("/"), nil)
		req.URL.Opaque = p
		if resp, _ := c.bare(req); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}

// A session in the cookie cannot authorize a cross-site write; a Bearer
// one can (no ambient credential to abuse).
func TestCookieWritesAreSameOrigin(t *testing.T) {
	c := newCP(t, nil)
	tok, _, err := c.auth.IssueSession(Identity{Subject: "alice", Tenant: "acme", Role: RoleAdmin})
	must(t, err)
	cookie := &http.Cookie{Name: c.auth.cookieName, Value: tok}
	post := func(hdr map[string]string, withCookie bool) int {
		req, _ := http.NewRequest(http.MethodPost, c.url("/api/v1/databases"), nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if withCookie {
			req.AddCookie(cookie)
		}
		resp, _ := c.bare(req)
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name   string
		hdr    map[string]string
		cookie bool
		want   int
	}{
		{"same origin", map[string]string{"Origin": c.srv.URL, "Sec-Fetch-Site": "same-origin"}, true, http.StatusOK},
		{"no browser headers (CLI)", nil, true, http.StatusOK},
		{"cross site", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, true, http.StatusForbidden},
		{"same site, other origin", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "same-site"}, true, http.StatusForbidden},
		{"old browser, foreign Origin", map[string]string{"Origin": "https://evil.example"}, true, http.StatusForbidden},
		{"bearer from another site", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Authorization": "Bearer " + tok}, false, http.StatusOK},
	} {
		if got := post(tc.hdr, tc.cookie); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	// A WebSocket handshake (a GET) with the cookie from another site.
	ws := func(origin string) int {
		req, _ := http.NewRequest(http.MethodGet, c.url("/api/v1/databases"), nil)
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Connection", "Upgrade")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		req.AddCookie(cookie)
		resp, _ := c.bare(req)
		return resp.StatusCode
	}
	if st := ws("https://evil.example"); st != http.StatusForbidden {
		t.Errorf("cross-site WebSocket with the cookie: %d", st)
	}
	if st := ws(c.srv.URL); st != http.StatusOK {
		t.Errorf("same-origin WebSocket: %d", st)
	}
	// Two session cookies (one planted) are refused.
	req, _ := http.NewRequest(http.MethodGet, c.url("/api/v1/databases"), nil)
	req.AddCookie(cookie)
	req.AddCookie(&http.Cookie{Name: c.auth.cookieName, Value: tok})
	if resp, _ := c.bare(req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("two session cookies: %d", resp.StatusCode)
	}
}

// Dev mode: no credentials needed, everyone is the owner of "default",
// the node header is trusted, and the warning is there to show.
func TestDevMode(t *testing.T) {
	a, err := New(Config{DevMode: true, Log: quietLog()})
	must(t, err)
	if a.Warning() != DevModeWarning || !a.DevMode() {
		t.Fatal("no dev-mode warning")
	}
	var got Identity
	h := a.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got, _ = FromContext(r.Context()) }))
	req := httptest.NewRequest(http.MethodDelete, "/api/v1/tenants/acme", nil)
	req.Header.Set(m.HeaderNode, "n1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || got.Tenant != m.DefaultTenant || got.Role != RoleOwner || got.Kind != KindDev || got.Node != "n1" {
		t.Fatalf("%d %+v", rec.Code, got)
	}
	rec = httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/auth/me", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"dev_mode":true`) {
		t.Fatalf("/auth/me: %d %s", rec.Code, rec.Body)
	}
	n, err := New(Config{JWTSecret: testSecret, Log: quietLog()})
	must(t, err)
	if n.Warning() != "" {
		t.Fatal("warning outside dev mode")
	}
}

// RequireRole guards a handler by role.
func TestRequireRole(t *testing.T) {
	h := RequireRole(RoleAdmin)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	for _, tc := range []struct {
		id   *Identity
		want int
	}{
		{nil, http.StatusUnauthorized},
		{&Identity{Role: RoleReader}, http.StatusForbidden},
		{&Identity{Role: RoleDeveloper}, http.StatusForbidden},
		{&Identity{Role: RoleNode}, http.StatusForbidden},
		{&Identity{Role: RoleAdmin}, http.StatusTeapot},
		{&Identity{Role: RoleOwner}, http.StatusTeapot},
	} {
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		if tc.id != nil {
			req = req.WithContext(WithIdentity(req.Context(), *tc.id))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%+v: %d, want %d", tc.id, rec.Code, tc.want)
		}
	}
}

// meta's token roles are this package's user roles.
func TestRolesMatchMeta(t *testing.T) {
	if len(meta.Roles) != len(UserRoles) {
		t.Fatal(meta.Roles)
	}
	for i, r := range meta.Roles {
		if Role(r) != UserRoles[i] {
			t.Fatalf("%v vs %v", meta.Roles, UserRoles)
		}
	}
}
