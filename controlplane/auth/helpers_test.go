package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	jwt5 "github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/photondb-io/photondb/controlplane/catalog/boltcat"
	"github.com/photondb-io/photondb/controlplane/meta"
)

const testSecret = "0123456789abcdef0123456789abcdef-test-secret"
const testClusterSecret = "cluster-secret-0123456789abcdef0123456789"

// clock is real time plus an offset the test moves.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

var (
	rsaKey  = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })
	rsaKey2 = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })
	edKey   = sync.OnceValue(func() ed25519.PrivateKey {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

func mustRSA(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// mock is a real OIDC provider (mockoidc) on 127.0.0.1.
type mock struct {
	*mockoidc.MockOIDC
	mu        sync.Mutex
	authorize []url.Values // the authorization requests it got
}

// startMock starts mockoidc with extra middleware; its requests are
// serialized (mockoidc's session store has no lock of its own).
func startMock(t *testing.T, mws ...func(http.Handler) http.Handler) *mock {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	mk := &mock{MockOIDC: m}
	var serial sync.Mutex
	must(t, m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			serial.Lock()
			defer serial.Unlock()
			if r.URL.Path == mockoidc.AuthorizationEndpoint {
				mk.mu.Lock()
				mk.authorize = append(mk.authorize, r.URL.Query())
				mk.mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	}))
	for _, mw := range mws {
		must(t, m.AddMiddleware(mw))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	must(t, m.Start(ln, nil))
	t.Cleanup(func() { _ = m.Shutdown() })
	return mk
}

func (mk *mock) lastAuthorize() url.Values {
	mk.mu.Lock()
	defer mk.mu.Unlock()
	if len(mk.authorize) == 0 {
		return nil
	}
	return mk.authorize[len(mk.authorize)-1]
}

// oidcConfig points a Config at the mock.
func (mk *mock) oidcConfig(rules string) OIDCConfig {
	rs, err := ParseRules(rules)
	if err != nil {
		panic(err)
	}
	c := mk.Config()
	return OIDCConfig{Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		Scopes: []string{"openid", "email", "profile", "groups"}, Rules: rs}
}

// user is a mockoidc user whose ID token gets extra claims (Cognito's)
// and edits (wrong audience, expired...).
type user struct {
	*mockoidc.MockUser
	extra map[string]any
	edit  func(*mockoidc.IDTokenClaims)
}

func (u *user) Claims(scope []string, base *mockoidc.IDTokenClaims) (jwt5.Claims, error) {
	if u.edit != nil {
		u.edit(base)
	}
	c, err := u.MockUser.Claims(scope, base)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var mc jwt5.MapClaims
	if err := json.Unmarshal(raw, &mc); err != nil {
		return nil, err
	}
	for k, v := range u.extra {
		mc[k] = v
	}
	return mc, nil
}

func newUser(sub, email string, groups ...string) *user {
	return &user{MockUser: &mockoidc.MockUser{Subject: sub, Email: email, EmailVerified: true,
		PreferredUsername: sub, Groups: groups}}
}

// cp is a control plane: the middleware and /auth endpoints in front of a
// few API-like routes that echo the identity, over TLS on 127.0.0.1.
type cp struct {
	t      *testing.T
	srv    *httptest.Server
	auth   *Authenticator
	clock  *clock
	client *http.Client
	jar    *cookiejar.Jar
}

// newCP starts a control plane; cfg edits its configuration (PublicURL,
// JWTSecret, clock and log are set).
func newCP(t *testing.T, cfg func(*Config)) *cp {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	c := &cp{t: t, srv: srv, clock: &clock{}}
	conf := Config{PublicURL: "https://" + srv.Listener.Addr().String(), JWTSecret: testSecret,
		Now: c.clock.Now, Log: quietLog(), ClusterSecret: testClusterSecret}
	if cfg != nil {
		cfg(&conf)
	}
	a, err := New(conf)
	if err != nil {
		t.Fatal(err)
	}
	c.auth = a
	r := chi.NewRouter()
	r.Use(a.Middleware)
	a.Mount(r)
	echo := func(w http.ResponseWriter, r *http.Request) {
		id, _ := FromContext(r.Context())
		writeJSON(w, http.StatusOK, id)
	}
	r.Get("/health", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	r.Get("/api/v1/databases", echo)
	r.Post("/api/v1/databases", echo)
	r.Post("/api/v1/databases/{db}/tables/{table}/documents", echo)
	r.Get("/api/v1/tokens", echo)
	r.Post("/api/v1/tenants", echo)
	r.Get("/api/v1/internal/catalog", echo)
	r.Put("/api/v1/nodes/{id}", echo)
	r.Get("/_admin", echo)
	srv.Config.Handler = r
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c.jar, _ = cookiejar.New(nil)
	c.client = srv.Client()
	c.client.Jar = c.jar
	c.client.Timeout = 20 * time.Second
	return c
}

func (c *cp) url(path string) string { return c.srv.URL + path }

// do sends a request with the client (cookies from the jar) and returns
// the status and body.
func (c *cp) do(method, path string, hdr map[string]string) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.url(path), nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// bare sends a request without the jar's cookies.
func (c *cp) bare(req *http.Request) (*http.Response, []byte) {
	c.t.Helper()
	cl := *c.srv.Client()
	cl.Jar = nil
	cl.Timeout = 20 * time.Second
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := cl.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// login runs /auth/login?query through the provider to the callback and
// returns the callback's answer.
func (c *cp) login(query string) (*http.Response, LoginResult) {
	c.t.Helper()
	resp, err := c.client.Get(c.url("/auth/login?" + query))
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var lr LoginResult
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &lr); err != nil {
			c.t.Fatalf("callback body %s: %v", b, err)
		}
	} else {
		c.t.Logf("login answered %d: %s", resp.StatusCode, b)
	}
	return resp, lr
}

// toCallback runs /auth/login?query through the provider and stops before
// the callback, returning its URL and the state cookie.
func (c *cp) toCallback(query string) (*url.URL, *http.Cookie) {
	c.t.Helper()
	cl := *c.client
	var cb *url.URL
	cl.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Path == "/auth/callback" {
			cb = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, err := cl.Get(c.url("/auth/login?" + query))
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if cb == nil {
		c.t.Fatalf("login did not reach the callback: %d", resp.StatusCode)
	}
	return cb, c.cookie(c.auth.stateName)
}

// cookie is the jar's cookie of that name for the control plane.
func (c *cp) cookie(name string) *http.Cookie {
	u, _ := url.Parse(c.srv.URL)
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// identity calls GET /api/v1/databases (echo) with hdr.
func (c *cp) identity(hdr map[string]string) (int, Identity) {
	c.t.Helper()
	st, b := c.do(http.MethodGet, "/api/v1/databases", hdr)
	var id Identity
	if st == http.StatusOK {
		if err := json.Unmarshal(b, &id); err != nil {
			c.t.Fatalf("%s: %v", b, err)
		}
	}
	return st, id
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newMeta is the real metadata service over an embedded bolt catalog.
func newMeta(t testing.TB) *meta.Service {
	t.Helper()
	cat, err := boltcat.Open(filepath.Join(t.TempDir(), "catalog.db"), boltcat.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cat.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	svc, err := meta.New(ctx, cat)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func bearerHdr(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok}
}
