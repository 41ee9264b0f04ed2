package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

var alice = Identity{Subject: "alice", Email: "alice@acme.com", Tenant: "acme", Role: RoleAdmin, Groups: []string{"acme-admins"}, Provider: "oidc"}

func newAuth(t *testing.T, c *clock, edit func(*Config)) *Authenticator {
	t.Helper()
	cfg := Config{JWTSecret: testSecret, Now: c.Now, Log: quietLog()}
	if edit != nil {
		edit(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func writePEM(t *testing.T, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.pem")
	must(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
	return path
}

func pkcs8(t *testing.T, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	must(t, err)
	return der
}

// sign makes a JWT with any algorithm and key, for forged tokens.
func sign(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	must(t, err)
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	must(t, err)
	return raw
}

func goodClaims(now time.Time) sessionClaims {
	return sessionClaims{
		Claims: jwt.Claims{Issuer: "photondb", Subject: "alice", Audience: jwt.Audience{"photondb"},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))},
		Tenant: "acme", Role: RoleOwner,
	}
}

// Sessions signed with each kind of key verify, with the claims intact.
func TestSessionRoundTrip(t *testing.T) {
	c := &clock{}
	for name, edit := range map[string]func(*Config){
		"HS256": nil,
		"RS256 PKCS#1": func(cfg *Config) {
			cfg.JWTSecret, cfg.JWTPrivateKeyFile = "", writePEM(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey()))
		},
		"RS256 PKCS#8": func(cfg *Config) {
			cfg.JWTSecret, cfg.JWTPrivateKeyFile = "", writePEM(t, "PRIVATE KEY", pkcs8(t, rsaKey()))
		},
		"EdDSA PKCS#8": func(cfg *Config) {
			cfg.JWTSecret, cfg.JWTPrivateKeyFile = "", writePEM(t, "PRIVATE KEY", pkcs8(t, edKey()))
		},
		"EdDSA in-proc.": func(cfg *Config) { cfg.JWTSecret, cfg.JWTPrivateKey = "", edKey() },
	} {
		t.Run(name, func(t *testing.T) {
			a := newAuth(t, c, edit)
			tok, exp, err := a.IssueSession(alice)
			must(t, err)
			id, err := a.verifySession(tok)
			must(t, err)
			if id.Subject != "alice" || id.Tenant != "acme" || id.Role != RoleAdmin || id.Email != "alice@acme.com" ||
				id.Kind != KindSession || !id.ExpiresAt.Equal(exp) || id.Groups[0] != "acme-admins" || id.Provider != "oidc" {
				t.Fatalf("%+v", id)
			}
		})
	}
}

// /auth/jwks.json publishes the public key; a third party verifies a
// session with it and nothing else.
func TestJWKS(t *testing.T) {
	a := newAuth(t, &clock{}, func(cfg *Config) { cfg.JWTSecret, cfg.JWTPrivateKey = "", rsaKey() })
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/auth/jwks.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("jwks: %d", rec.Code)
	}
	if strings.Contains(rec.Body.String(), `"d"`) {
		t.Fatal("the JWKS carries private key material")
	}
	var set jose.JSONWebKeySet
	must(t, json.Unmarshal(rec.Body.Bytes(), &set))
	if len(set.Keys) != 1 || set.Keys[0].Algorithm != "RS256" || set.Keys[0].Use != "sig" || !set.Keys[0].IsPublic() {
		t.Fatalf("jwks %s", rec.Body)
	}
	tok, _, err := a.IssueSession(alice)
	must(t, err)
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	must(t, err)
	keys := set.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in the JWKS", parsed.Headers[0].KeyID)
	}
	var cl sessionClaims
	must(t, parsed.Claims(keys[0].Key, &cl))
	if cl.Tenant != "acme" || cl.Subject != "alice" {
		t.Fatalf("%+v", cl)
	}
	// HS256: nothing to publish.
	h := newAuth(t, &clock{}, nil)
	rec = httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/auth/jwks.json", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("HS256 jwks: %d", rec.Code)
	}
}

// Expiry, not-before and issued-at are checked with the small leeway.
func TestSessionTimes(t *testing.T) {
	c := &clock{}
	a := newAuth(t, c, func(cfg *Config) { cfg.SessionTTL = time.Hour })
	tok, _, err := a.IssueSession(alice)
	must(t, err)
	c.Add(time.Hour + DefaultLeeway - time.Second)
	if _, err := a.verifySession(tok); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	c.Add(2 * time.Second)
	if _, err := a.verifySession(tok); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("expired: %v", err)
	}
	c.Add(-time.Hour - DefaultLeeway - time.Second) // back to issuance
	// Issued in the future (beyond the leeway), or not yet valid.
	future := goodClaims(c.Now().Add(2 * DefaultLeeway))
	if _, err := a.verifySession(sign(t, jose.HS256, []byte(testSecret), "", future)); !errors.Is(err, ErrSessionInvalid) {
		t.Fatalf("iat in the future: %v", err)
	}
	nbf := goodClaims(c.Now())
	nbf.NotBefore = jwt.NewNumericDate(c.Now().Add(2 * DefaultLeeway))
	if _, err := a.verifySession(sign(t, jose.HS256, []byte(testSecret), "", nbf)); !errors.Is(err, ErrSessionInvalid) {
		t.Fatalf("nbf in the future: %v", err)
	}
	// A lifetime longer than the configured TTL (a token from an older,
	// laxer configuration) and missing exp or iat are refused.
	long := goodClaims(c.Now())
	long.Expiry = jwt.NewNumericDate(c.Now().Add(48 * time.Hour))
	noExp := goodClaims(c.Now())
	noExp.Expiry = nil
	noIat := goodClaims(c.Now())
	noIat.IssuedAt = nil
	for name, cl := range map[string]sessionClaims{"long": long, "no exp": noExp, "no iat": noIat} {
		if _, err := a.verifySession(sign(t, jose.HS256, []byte(testSecret), "", cl)); !errors.Is(err, ErrSessionInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := a.verifySession(sign(t, jose.HS256, []byte(testSecret), "", goodClaims(c.Now()))); err != nil {
		t.Fatalf("a good forged-by-us token: %v", err)
	}
}

// Tokens that must never verify: wrong key, wrong issuer or audience,
// tampered payload, alg none, algorithm confusion (HS256 signed with the
// RSA public key), another algorithm than the configured one, a foreign
// kid, no typ, bad tenant or role.
func TestSessionForgeries(t *testing.T) {
	c := &clock{}
	hs := newAuth(t, c, nil)
	rs := newAuth(t, c, func(cfg *Config) { cfg.JWTSecret, cfg.JWTPrivateKey = "", rsaKey() })
	ed := newAuth(t, c, func(cfg *Config) { cfg.JWTSecret, cfg.JWTPrivateKey = "", edKey() })
	now := c.Now()
	good := goodClaims(now)
	pubPEM := func() []byte {
		der, err := x509.MarshalPKIXPublicKey(&rsaKey().PublicKey)
		must(t, err)
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}()
	hsGood, _, err := hs.IssueSession(alice)
	must(t, err)
	tamper := func(tok string, f func(map[string]any)) string {
		p := strings.Split(tok, ".")
		raw, err := base64.RawURLEncoding.DecodeString(p[1])
		must(t, err)
		var m map[string]any
		must(t, json.Unmarshal(raw, &m))
		f(m)
		raw, _ = json.Marshal(m)
		return p[0] + "." + base64.RawURLEncoding.EncodeToString(raw) + "." + p[2]
	}
	none := func(cl any) string {
		h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
		b, _ := json.Marshal(cl)
		return h + "." + base64.RawURLEncoding.EncodeToString(b) + "."
	}
	withClaims := func(f func(*sessionClaims)) sessionClaims {
		cl := goodClaims(now)
		f(&cl)
		return cl
	}
	noTyp := func() string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(testSecret)}, nil)
		must(t, err)
		raw, err := jwt.Signed(s).Claims(good).Serialize()
		must(t, err)
		return raw
	}
	for _, tc := range []struct {
		name string
		a    *Authenticator
		tok  string
	}{
		{"HS256 with another secret", hs, sign(t, jose.HS256, []byte("another-secret-another-secret-0123456789"), "", good)},
		{"wrong issuer", hs, sign(t, jose.HS256, []byte(testSecret), "", withClaims(func(c *sessionClaims) { c.Issuer = "evil" }))},
		{"wrong audience", hs, sign(t, jose.HS256, []byte(testSecret), "", withClaims(func(c *sessionClaims) { c.Audience = jwt.Audience{"other"} }))},
		{"no audience", hs, sign(t, jose.HS256, []byte(testSecret), "", withClaims(func(c *sessionClaims) { c.Audience = nil }))},
		{"tampered tenant", hs, tamper(hsGood, func(m map[string]any) { m["tenant"] = "globex" })},
		{"tampered role", hs, tamper(hsGood, func(m map[string]any) { m["role"] = "owner" })},
		{"alg none", hs, none(good)},
		{"alg none (RS)", rs, none(good)},
		{"HS256 signed with the RSA public key", rs, sign(t, jose.HS256, pubPEM, "", good)},
		{"HS256 token on an RS256 server", rs, sign(t, jose.HS256, []byte(testSecret), "", good)},
		{"RS256 token on an HS256 server", hs, sign(t, jose.RS256, rsaKey(), "", good)},
		{"RS256 with another key, same kid", rs, sign(t, jose.RS256, rsaKey2(), rs.keys.kid, good)},
		{"RS256 with a foreign kid", rs, sign(t, jose.RS256, rsaKey(), "other", good)},
		{"EdDSA token on an RS256 server", rs, sign(t, jose.EdDSA, edKey(), rs.keys.kid, good)},
		{"RS256 token on an EdDSA server", ed, sign(t, jose.RS256, rsaKey(), ed.keys.kid, good)},
		{"no typ", hs, noTyp()},
		{"unknown role", hs, sign(t, jose.HS256, []byte(testSecret), "", withClaims(func(c *sessionClaims) { c.Role = "node" }))},
		{"bad tenant", hs, sign(t, jose.HS256, []byte(testSecret), "", withClaims(func(c *sessionClaims) { c.Tenant = "../x" }))},
		{"no subject", hs, sign(t, jose.HS256, []byte(testSecret), "", withClaims(func(c *sessionClaims) { c.Subject = "" }))},
		{"two dots missing", hs, "abc"},
		{"JWE-like five parts", hs, "a.b.c.d.e"},
		{"huge", hs, strings.Repeat("a", maxTokenLen) + ".b.c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := tc.a.verifySession(tc.tok)
			if !errors.Is(err, ErrSessionInvalid) {
				t.Fatalf("verified: %+v, %v", id, err)
			}
			t.Log(err)
		})
	}
}

// Configuration errors are caught by New.
func TestConfigErrors(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	small := mustRSA(1024)
	oidc := OIDCConfig{Issuer: "https://issuer.example", ClientID: "c"}
	for name, cfg := range map[string]Config{
		"short JWT secret":         {JWTSecret: "short"},
		"short cluster secret":     {ClusterSecret: "short"},
		"two keys":                 {JWTSecret: testSecret, JWTPrivateKey: edKey()},
		"small RSA key":            {JWTPrivateKey: small},
		"ECDSA key":                {JWTPrivateKey: ec},
		"missing key file":         {JWTPrivateKeyFile: "/nonexistent/key.pem"},
		"login without key":        {PublicURL: "https://cp.example", OIDC: oidc},
		"login without public URL": {JWTSecret: testSecret, OIDC: oidc},
		"plain http public URL":    {JWTSecret: testSecret, PublicURL: "http://cp.example", OIDC: oidc},
		"OIDC without client id":   {JWTSecret: testSecret, PublicURL: "https://cp.example", OIDC: OIDCConfig{Issuer: "https://i"}},
		"GitHub without secret":    {JWTSecret: testSecret, PublicURL: "https://cp.example", GitHub: GitHubConfig{ClientID: "x"}},
		"bad rule":                 {JWTSecret: testSecret, PublicURL: "https://cp.example", OIDC: OIDCConfig{Issuer: "https://i", ClientID: "c", Rules: []Rule{{Claim: "groups", Value: "x", Tenant: "a b", Role: RoleAdmin}}}},
		"bad trusted origin":       {JWTSecret: testSecret, TrustedOrigins: []string{"not a url"}},
	} {
		cfg.Log = quietLog()
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A PEM file with an EC key, and one with no key.
	for name, path := range map[string]string{
		"EC PEM":   writePEM(t, "PRIVATE KEY", pkcs8(t, ec)),
		"cert PEM": writePEM(t, "CERTIFICATE", []byte{1, 2, 3}),
	} {
		if _, err := New(Config{JWTPrivateKeyFile: path, Log: quietLog()}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Plain http is fine on loopback (tests, a laptop) or when asked for.
	for _, cfg := range []Config{
		{JWTSecret: testSecret, PublicURL: "http://127.0.0.1:8080", OIDC: oidc},
		{JWTSecret: testSecret, PublicURL: "http://localhost:8080", OIDC: oidc},
		{JWTSecret: testSecret, PublicURL: "http://cp.internal", InsecureHTTP: true, OIDC: oidc},
	} {
		cfg.Log = quietLog()
		if _, err := New(cfg); err != nil {
			t.Errorf("%s: %v", cfg.PublicURL, err)
		}
	}
}

// FromEnv reads the documented variables, PHOTONDB_ first.
func TestFromEnv(t *testing.T) {
	env := map[string]string{
		"OIDC_ISSUER": "https://cognito-idp.us-east-1.amazonaws.com/pool", "PHOTONDB_OIDC_CLIENT_ID": "cid",
		"OIDC_CLIENT_ID": "ignored", "OIDC_CLIENT_SECRET": "cs", "OIDC_SCOPES": "openid,email",
		"AUTH_RULES":       "cognito:groups=acme-admins acme admin; cognito:groups=photondb-{tenant}-{role}",
		"GITHUB_CLIENT_ID": "gid", "GITHUB_CLIENT_SECRET": "gs", "GITHUB_AUTH_RULES": "orgs={tenant} developer",
		"JWT_SECRET": testSecret, "SESSION_TTL": "8h", "PHOTONDB_CLUSTER_SECRET": testClusterSecret,
		"PHOTONDB_PUBLIC_URL": "https://cp.example",
	}
	cfg, err := FromEnv(func(k string) string { return env[k] })
	must(t, err)
	if cfg.OIDC.ClientID != "cid" || cfg.OIDC.ClientSecret != "cs" || len(cfg.OIDC.Scopes) != 2 || len(cfg.OIDC.Rules) != 2 ||
		cfg.GitHub.ClientID != "gid" || cfg.GitHub.Rules[0].Claim != "orgs" || cfg.SessionTTL != 8*time.Hour ||
		cfg.ClusterSecret != testClusterSecret || cfg.PublicURL != "https://cp.example" || cfg.JWTSecret != testSecret {
		t.Fatalf("%+v", cfg)
	}
	cfg.Log = quietLog()
	a, err := New(cfg)
	must(t, err)
	if a.cfg.OIDC.RedirectURL != "https://cp.example/auth/callback" || a.cfg.GitHub.APIURL != "https://api.github.com" ||
		a.SessionCookie() != "__Host-photondb_session" {
		t.Fatalf("defaults %+v", a.cfg)
	}
	env["SESSION_TTL"] = "forever"
	if _, err := FromEnv(func(k string) string { return env[k] }); err == nil {
		t.Fatal("bad SESSION_TTL accepted")
	}
}
