package auth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jwt5 "github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// The whole authorization-code flow against a real OIDC provider:
// /auth/login -> provider -> /auth/callback -> session cookie and body;
// then the session works as cookie and as Bearer, /auth/me answers, the
// role is enforced, and logout ends the cookie session.
func TestOIDCLoginFlow(t *testing.T) {
	mk := startMock(t)
	c := newCP(t, func(cfg *Config) { cfg.OIDC = mk.oidcConfig("groups=engineering acme developer") })
	mk.QueueUser(newUser("alice-sub", "alice@acme.com", "engineering", "design"))

	resp, lr := c.login("")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	id := lr.Identity
	if id.Subject != "alice-sub" || id.Email != "alice@acme.com" || id.Tenant != "acme" || id.Role != RoleDeveloper ||
		id.Kind != KindSession || id.Provider != "oidc" || strings.Join(id.Groups, ",") != "engineering,design" {
		t.Fatalf("identity %+v", id)
	}
	if lr.TokenType != "Bearer" || lr.Token == "" || lr.ExpiresAt.Before(time.Now().Add(11*time.Hour)) {
		t.Fatalf("login result %+v", lr)
	}
	// What the browser sent the provider: PKCE S256, state, nonce.
	q := mk.lastAuthorize()
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("nonce") == "" ||
		q.Get("state") == "" || q.Get("redirect_uri") != c.url("/auth/callback") || q.Get("response_type") != "code" {
		t.Fatalf("authorization request %v", q)
	}
	// The session cookie: __Host-, Secure, HttpOnly, SameSite=Lax.
	var setCookie string
	for _, sc := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "__Host-photondb_session=") {
			setCookie = sc
		}
	}
	for _, want := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=43200"} {
		if !strings.Contains(setCookie, want) {
			t.Errorf("session Set-Cookie %q lacks %s", setCookie, want)
		}
	}
	if c.cookie(c.auth.stateName) != nil {
		t.Error("the login state cookie outlived the callback")
	}

	// The cookie authenticates...
	st, got := c.identity(nil)
	if st != http.StatusOK || got.Subject != "alice-sub" || got.Tenant != "acme" || got.Kind != KindSession {
		t.Fatalf("cookie session: %d %+v", st, got)
	}
	// ... and so does the token as Bearer, without cookies.
	req, _ := http.NewRequest(http.MethodGet, c.url("/api/v1/databases"), nil)
	req.Header.Set("Authorization", "Bearer "+lr.Token)
	if r, b := c.bare(req); r.StatusCode != http.StatusOK {
		t.Fatalf("bearer session: %d %s", r.StatusCode, b)
	}
	// /auth/me.
	st, b := c.do(http.MethodGet, "/auth/me", nil)
	if st != http.StatusOK || !bytes.Contains(b, []byte(`"tenant":"acme"`)) || !bytes.Contains(b, []byte(`"role":"developer"`)) {
		t.Fatalf("/auth/me: %d %s", st, b)
	}
	// A developer writes documents but no DDL.
	if st, _ := c.do(http.MethodPost, "/api/v1/databases/shop/tables/users/documents", nil); st != http.StatusOK {
		t.Errorf("developer insert: %d", st)
	}
	st, b = c.do(http.MethodPost, "/api/v1/databases", nil)
	if st != http.StatusForbidden || !bytes.Contains(b, []byte("needs admin")) {
		t.Errorf("developer DDL: %d %s", st, b)
	}
	// Logout clears the cookie.
	if st, _ := c.do(http.MethodPost, "/auth/logout", nil); st != http.StatusOK {
		t.Fatalf("logout: %d", st)
	}
	if st, _ := c.identity(nil); st != http.StatusUnauthorized {
		t.Fatalf("after logout: %d", st)
	}
	if st, _ := c.do(http.MethodGet, "/auth/me", nil); st != http.StatusUnauthorized {
		t.Fatalf("/auth/me after logout: %d", st)
	}
}

// Cognito-style claims: cognito:groups (and email_verified as a string)
// from a provider configured to emit them; one role per tenant, never
// carried over to another tenant; ?tenant= picks among them.
func TestOIDCCognitoGroups(t *testing.T) {
	mk := startMock(t)
	rules := "cognito:groups=acme-admins acme admin; cognito:groups=globex-readers globex reader; " +
		"cognito:groups=photondb-{tenant}-{role}"
	c := newCP(t, func(cfg *Config) { cfg.OIDC = mk.oidcConfig(rules) })
	cognito := func() *user {
		u := newUser("8f1c-cognito", "bob@acme.com")
		u.EmailVerified = false // Cognito's string "true" below must count
		u.PreferredUsername = ""
		u.extra = map[string]any{
			"cognito:groups":   []string{"acme-admins", "globex-readers", "photondb-initech-owner", "unrelated"},
			"cognito:username": "bob",
			"email_verified":   "true",
			"token_use":        "id",
		}
		return u
	}
	for _, tc := range []struct {
		query        string
		status       int
		tenant       string
		role         Role
		wantedDetail string
	}{
		{"", http.StatusOK, "acme", RoleAdmin, ""},
		{"tenant=globex", http.StatusOK, "globex", RoleReader, ""},
		{"tenant=initech", http.StatusOK, "initech", RoleOwner, ""},
		{"tenant=hooli", http.StatusForbidden, "", "", `no role in tenant \"hooli\"`},
	} {
		t.Run(tc.query, func(t *testing.T) {
			c.jar.SetCookies(mustURL(c.url("/")), []*http.Cookie{{Name: c.auth.cookieName, Value: "", MaxAge: -1}})
			mk.QueueUser(cognito())
			resp, lr := c.login(tc.query)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status != http.StatusOK {
				if c.cookie(c.auth.cookieName) != nil {
					t.Fatal("a refused login set a session")
				}
				return
			}
			id := lr.Identity
			if id.Tenant != tc.tenant || id.Role != tc.role || id.Email != "bob@acme.com" || id.Name != "bob" ||
				len(id.Groups) != 4 || id.Groups[0] != "acme-admins" {
				t.Fatalf("identity %+v", id)
			}
			st, got := c.identity(nil)
			if st != http.StatusOK || got.Tenant != tc.tenant || got.Role != tc.role {
				t.Fatalf("session: %d %+v", st, got)
			}
		})
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// resign rewrites the provider's token answers, signing the ID token with
// another key under the provider's key id (a forged token).
func resign(on *atomic.Bool, key *rsa.PrivateKey) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != mockoidc.TokenEndpoint || !on.Load() {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err == nil {
				if id, ok := body["id_token"].(string); ok {
					parts := strings.Split(id, ".")
					sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
					sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
					if err == nil {
						body["id_token"] = parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
					}
				}
			}
			out, _ := json.Marshal(body)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(out)))
			w.WriteHeader(rec.Code)
			_, _ = w.Write(out)
		})
	}
}

// Every way an ID token can be wrong makes the callback refuse the login
// and set no session.
func TestOIDCRejectsBadIDTokens(t *testing.T) {
	var forge atomic.Bool
	mk := startMock(t, resign(&forge, rsaKey()))
	c := newCP(t, func(cfg *Config) { cfg.OIDC = mk.oidcConfig("groups=engineering acme developer") })
	edit := func(f func(*mockoidc.IDTokenClaims)) *user {
		u := newUser("mallory", "mallory@acme.com", "engineering")
		u.edit = f
		return u
	}
	for _, tc := range []struct {
		name  string
		user  *user
		forge bool
	}{
		{"expired", edit(func(c *mockoidc.IDTokenClaims) {
			c.IssuedAt = jwt5.NewNumericDate(time.Now().Add(-2 * time.Hour))
			c.ExpiresAt = jwt5.NewNumericDate(time.Now().Add(-time.Hour))
		}), false},
		{"wrong audience", edit(func(c *mockoidc.IDTokenClaims) { c.Audience = jwt5.ClaimStrings{"someone-else"} }), false},
		{"several audiences, no azp", edit(func(c *mockoidc.IDTokenClaims) {
			c.Audience = append(c.Audience, "someone-else")
		}), false},
		{"wrong issuer", edit(func(c *mockoidc.IDTokenClaims) { c.Issuer = "https://evil.example/oidc" }), false},
		{"missing nonce", edit(func(c *mockoidc.IDTokenClaims) { c.Nonce = "" }), false},
		{"mismatched nonce", edit(func(c *mockoidc.IDTokenClaims) { c.Nonce = "another-login" }), false},
		{"not yet valid", edit(func(c *mockoidc.IDTokenClaims) { c.NotBefore = jwt5.NewNumericDate(time.Now().Add(time.Hour)) }), false},
		{"bad signature", newUser("mallory", "mallory@acme.com", "engineering"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forge.Store(tc.forge)
			defer forge.Store(false)
			mk.QueueUser(tc.user)
			resp, _ := c.login("")
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
			if resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("content type %q", resp.Header.Get("Content-Type"))
			}
			if c.cookie(c.auth.cookieName) != nil {
				t.Fatal("a refused login set a session cookie")
			}
			if st, _ := c.do(http.MethodGet, "/auth/me", nil); st != http.StatusUnauthorized {
				t.Fatalf("/auth/me after a refused login: %d", st)
			}
		})
	}
	// The same provider still logs good users in.
	mk.QueueUser(newUser("alice", "alice@acme.com", "engineering"))
	if resp, lr := c.login(""); resp.StatusCode != http.StatusOK || lr.Identity.Subject != "alice" {
		t.Fatalf("good login after the bad ones: %d", resp.StatusCode)
	}
}

// A state is good once: the callback replayed with the same state cookie
// and parameters fails, on the same replica and even once the code
// would be fresh.
func TestReplayedState(t *testing.T) {
	mk := startMock(t)
	c := newCP(t, func(cfg *Config) { cfg.OIDC = mk.oidcConfig("groups=engineering acme developer") })
	mk.QueueUser(newUser("alice", "alice@acme.com", "engineering"))
	cb, stateCookie := c.toCallback("")
	if stateCookie == nil {
		t.Fatal("no state cookie after /auth/login")
	}
	callback := func() *http.Response {
		req, _ := http.NewRequest(http.MethodGet, cb.String(), nil)
		req.AddCookie(stateCookie)
		resp, _ := c.bare(req)
		return resp
	}
	first := callback()
	if first.StatusCode != http.StatusOK {
		t.Fatalf("first callback: %d", first.StatusCode)
	}
	cleared := false
	for _, ck := range first.Cookies() {
		if ck.Name == c.auth.stateName && ck.MaxAge < 0 {
			cleared = true
		}
	}
	if !cleared {
		t.Error("the callback did not clear the state cookie")
	}
	replay := callback()
	if replay.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed callback: %d, want 400", replay.StatusCode)
	}
	for _, ck := range replay.Cookies() {
		if ck.Name == c.auth.cookieName && ck.Value != "" {
			t.Fatal("a replayed state got a session")
		}
	}
	// Replaying with a new code from the provider (same state) fails too.
	q := cb.Query()
	q.Set("code", "fresh-code")
	cb.RawQuery = q.Encode()
	if r := callback(); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed state, new code: %d", r.StatusCode)
	}
}

// The state cookie is sealed: tampering, a state parameter that does not
// match, a missing cookie, an expired login, a wrong PKCE verifier and a
// provider's error answer all fail.
func TestStateCookieChecks(t *testing.T) {
	mk := startMock(t)
	c := newCP(t, func(cfg *Config) { cfg.OIDC = mk.oidcConfig("groups=engineering acme developer") })
	call := func(cb *url.URL, ck *http.Cookie) (int, []*http.Cookie) {
		req, _ := http.NewRequest(http.MethodGet, cb.String(), nil)
		if ck != nil {
			req.AddCookie(ck)
		}
		resp, _ := c.bare(req)
		return resp.StatusCode, resp.Cookies()
	}
	noSession := func(t *testing.T, cks []*http.Cookie) {
		t.Helper()
		for _, ck := range cks {
			if ck.Name == c.auth.cookieName && ck.Value != "" {
				t.Fatal("got a session")
			}
		}
	}
	t.Run("tampered cookie", func(t *testing.T) {
		cb, ck := c.toCallback("")
		raw := []byte(ck.Value)
		i := len(raw) / 2
		orig := raw[i]
		raw[i] ^= 1
		if raw[i] == '-' || raw[i] == '_' || !isB64(raw[i]) {
			// Any other base64url letter (never the original: a flip that
			// landed back on it left the cookie untouched, 1 run in 64).
			raw[i] = 'A'
			if orig == 'A' {
				raw[i] = 'B'
			}
		}
		st, cks := call(cb, &http.Cookie{Name: ck.Name, Value: string(raw)})
		if st != http.StatusBadRequest {
			t.Fatalf("status %d", st)
		}
		noSession(t, cks)
	})
	t.Run("state mismatch", func(t *testing.T) {
		cb, ck := c.toCallback("")
		q := cb.Query()
		q.Set("state", "x"+q.Get("state"))
		cb.RawQuery = q.Encode()
		st, cks := call(cb, ck)
		if st != http.StatusBadRequest {
			t.Fatalf("status %d", st)
		}
		noSession(t, cks)
	})
	t.Run("no cookie", func(t *testing.T) {
		cb, _ := c.toCallback("")
		if st, _ := call(cb, nil); st != http.StatusBadRequest {
			t.Fatalf("status %d", st)
		}
	})
	t.Run("expired login", func(t *testing.T) {
		cb, ck := c.toCallback("")
		c.clock.Add(DefaultStateTTL + time.Second)
		defer c.clock.Add(-DefaultStateTTL - time.Second)
		if st, _ := call(cb, ck); st != http.StatusBadRequest {
			t.Fatalf("status %d", st)
		}
	})
	t.Run("wrong PKCE verifier", func(t *testing.T) {
		cb, ck := c.toCallback("")
		st, err := c.auth.keys.open(ck.Value, c.clock.Now())
		must(t, err)
		st.Verifier = "a-verifier-that-does-not-hash-to-the-challenge-000"
		sealed, err := c.auth.keys.seal(st)
		must(t, err)
		code, cks := call(cb, &http.Cookie{Name: ck.Name, Value: sealed})
		if code != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401 (the provider refuses the code)", code)
		}
		noSession(t, cks)
	})
	t.Run("provider error", func(t *testing.T) {
		cb, ck := c.toCallback("")
		q := url.Values{"state": {cb.Query().Get("state")}, "error": {"access_denied"}, "error_description": {"User said no"}}
		cb.RawQuery = q.Encode()
		req, _ := http.NewRequest(http.MethodGet, cb.String(), nil)
		req.AddCookie(ck)
		resp, b := c.bare(req)
		if resp.StatusCode != http.StatusUnauthorized || !bytes.Contains(b, []byte("access_denied")) {
			t.Fatalf("status %d %s", resp.StatusCode, b)
		}
	})
	t.Run("bad return_to", func(t *testing.T) {
		for _, rt := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example"} {
			st, _ := c.do(http.MethodGet, "/auth/login?return_to="+url.QueryEscape(rt), nil)
			if st != http.StatusBadRequest {
				t.Errorf("return_to %q: %d", rt, st)
			}
		}
	})
}

func isB64(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '_'
}

// A browser that navigates to a protected page is sent to the login and,
// after it, back to the page.
func TestBrowserReturnsAfterLogin(t *testing.T) {
	mk := startMock(t)
	c := newCP(t, func(cfg *Config) { cfg.OIDC = mk.oidcConfig("groups=engineering acme reader") })
	mk.QueueUser(newUser("alice", "alice@acme.com", "engineering"))
	req, _ := http.NewRequest(http.MethodGet, c.url("/_admin?tab=tables"), nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err := c.client.Do(req)
	must(t, err)
	defer resp.Body.Close()
	var id Identity
	must(t, json.NewDecoder(resp.Body).Decode(&id))
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/_admin" || resp.Request.URL.RawQuery != "tab=tables" ||
		id.Subject != "alice" || id.Role != RoleReader {
		t.Fatalf("ended at %s with %d, %+v", resp.Request.URL, resp.StatusCode, id)
	}
	// An API client gets 401, not a redirect.
	req, _ = http.NewRequest(http.MethodGet, c.url("/api/v1/databases"), nil)
	req.Header.Set("Accept", "text/html")
	if r, _ := c.bare(req); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("API without credentials: %d", r.StatusCode)
	}
}

// No rule: the provider's identity is real but gets no tenant (403);
// TenantExists drops grants to tenants that do not exist.
func TestLoginWithoutGrant(t *testing.T) {
	mk := startMock(t)
	c := newCP(t, func(cfg *Config) {
		cfg.OIDC = mk.oidcConfig("groups=engineering acme developer; groups=engineering ghost owner")
		cfg.TenantExists = func(_ context.Context, t string) (bool, error) { return t != "ghost", nil }
	})
	mk.QueueUser(newUser("eve", "eve@other.com", "marketing"))
	if resp, _ := c.login(""); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("no grant: %d", resp.StatusCode)
	}
	mk.QueueUser(newUser("alice", "alice@acme.com", "engineering"))
	resp, lr := c.login("")
	if resp.StatusCode != http.StatusOK || lr.Identity.Tenant != "acme" || lr.Identity.Role != RoleDeveloper {
		t.Fatalf("grant to an existing tenant only: %d %+v", resp.StatusCode, lr.Identity)
	}
	mk.QueueUser(newUser("alice", "alice@acme.com", "engineering"))
	if resp, _ := c.login("tenant=ghost"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("nonexistent tenant: %d", resp.StatusCode)
	}
}

// Logout with ?provider=1 sends the browser to the provider's end-session
// endpoint (here the configured one, as for Cognito).
func TestLogoutAtProvider(t *testing.T) {
	mk := startMock(t)
	c := newCP(t, func(cfg *Config) {
		cfg.OIDC = mk.oidcConfig("groups=engineering acme developer")
		cfg.OIDC.LogoutURL = "https://auth.example.com/logout"
	})
	req, _ := http.NewRequest(http.MethodGet, c.url("/auth/logout?provider=1"), nil)
	resp, _ := c.bare(req)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Host != "auth.example.com" ||
		loc.Query().Get("client_id") != mk.ClientID || loc.Query().Get("logout_uri") != c.url("/") {
		t.Fatalf("%d %s", resp.StatusCode, loc)
	}
}
