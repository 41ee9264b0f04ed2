package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	m "github.com/photondb-io/photondb/shared/meta"
)

// Authenticator checks credentials and runs the login flows. Build one
// with New, mount its routes (Mount) and put its Middleware in front of
// the API.
type Authenticator struct {
	cfg           Config
	keys          *sessionKeys // nil: no sessions
	used          *usedStates
	oidc          *oidcProvider
	github        *githubProvider
	csrf          *http.CrossOriginProtection
	trusted       map[string]bool // origins allowed to use the cookie (scheme://host)
	secure        bool            // cookies are Secure (PublicURL is https)
	cookieName    string          // session cookie (__Host- prefixed when secure)
	stateName     string          // login state cookie
	clusterSecret []byte          // SHA-256 of the cluster secret; nil: none
}

// New checks cfg and returns an Authenticator. It makes no network call:
// the OIDC provider is discovered at the first login (CheckProviders
// does it on demand).
func New(cfg Config) (*Authenticator, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	a := &Authenticator{cfg: cfg, used: newUsedStates(cfg.MaxUsedStates), csrf: http.NewCrossOriginProtection(),
		trusted: map[string]bool{}}
	if cfg.DevMode {
		return a, nil
	}
	if a.keys, err = loadKeys(cfg); err != nil {
		return nil, err
	}
	a.secure = strings.HasPrefix(cfg.PublicURL, "https://")
	a.cookieName, a.stateName = cfg.CookieName, stateCookie
	if a.secure {
		// __Host- cookies are Secure, host-only and Path=/: a sibling
		// subdomain cannot plant one (cookie tossing).
		if !strings.HasPrefix(a.cookieName, "__Host-") {
			a.cookieName = "__Host-" + a.cookieName
		}
		a.stateName = "__Host-" + stateCookie
	}
	for _, o := range append([]string{cfg.PublicURL}, cfg.TrustedOrigins...) {
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("auth: trusted origin %q is not scheme://host[:port]", o)
		}
		if err := a.csrf.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			return nil, fmt.Errorf("auth: trusted origin %q: %w", o, err)
		}
		a.trusted[u.Scheme+"://"+u.Host] = true
	}
	if cfg.ClusterSecret != "" {
		sum := sha256.Sum256([]byte(cfg.ClusterSecret))
		a.clusterSecret = sum[:]
	}
	if cfg.OIDC.enabled() {
		a.oidc = &oidcProvider{cfg: cfg.OIDC, client: cfg.HTTPClient, now: cfg.Now}
	}
	if cfg.GitHub.enabled() {
		a.github = newGitHub(cfg.GitHub, cfg.HTTPClient)
	}
	return a, nil
}

// DevMode reports whether authentication is off.
func (a *Authenticator) DevMode() bool { return a.cfg.DevMode }

// Warning is DevModeWarning in dev mode, "" otherwise: what /health
// should carry.
func (a *Authenticator) Warning() string {
	if a.cfg.DevMode {
		return DevModeWarning
	}
	return ""
}

// SessionCookie is the name of the session cookie.
func (a *Authenticator) SessionCookie() string { return a.cookieName }

func (a *Authenticator) loginEnabled() bool { return a.oidc != nil || a.github != nil }

// CheckProviders discovers the OIDC provider (a health check for the
// login path); nil when no OIDC provider is configured.
func (a *Authenticator) CheckProviders(ctx context.Context) error {
	if a.oidc == nil {
		return nil
	}
	_, _, _, err := a.oidc.get(ctx)
	return err
}

// Mount adds the login endpoints, all public:
//
//	GET       /auth/login      ?provider=oidc|github&tenant=<t>&return_to=<path>
//	GET       /auth/callback   the providers' redirect
//	GET, POST /auth/logout     ?provider=1 also ends the provider's session
//	GET       /auth/me         the caller's identity (401 without credentials)
//	GET       /auth/jwks.json  the session key's public JWK set (404 with HS256)
func (a *Authenticator) Mount(r chi.Router) {
	r.Get("/auth/login", a.login)
	r.Get("/auth/callback", a.callback)
	r.Get("/auth/logout", a.logout)
	r.Post("/auth/logout", a.logout)
	r.Get("/auth/me", a.me)
	r.Get("/auth/jwks.json", a.jwks)
}

// Handler serves the /auth endpoints (Mount on a router of its own).
func (a *Authenticator) Handler() http.Handler {
	r := chi.NewRouter()
	a.Mount(r)
	return r
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	noStore(w)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// login starts a login: a fresh state, nonce and PKCE verifier sealed in
// a short-lived cookie, and a redirect to the provider.
func (a *Authenticator) login(w http.ResponseWriter, r *http.Request) {
	if a.cfg.DevMode {
		writeProblem(w, http.StatusNotFound, "Dev mode: authentication is off; there is nothing to log in to.")
		return
	}
	q := r.URL.Query()
	provider := q.Get("provider")
	if provider == "" {
		provider = "oidc"
		if a.oidc == nil {
			provider = "github"
		}
	}
	if (provider == "oidc" && a.oidc == nil) || (provider == "github" && a.github == nil) || (provider != "oidc" && provider != "github") {
		writeProblem(w, http.StatusNotFound, fmt.Sprintf("Login provider %q is not configured on this server.", provider))
		return
	}
	st := loginState{Provider: provider, Tenant: q.Get("tenant"), ReturnTo: q.Get("return_to"),
		Expires: a.cfg.Now().Add(a.cfg.StateTTL).Unix()}
	if st.Tenant != "" && !m.ValidName(st.Tenant) {
		writeProblem(w, http.StatusBadRequest, "tenant is not a valid tenant name.")
		return
	}
	if st.ReturnTo != "" && !localPath(st.ReturnTo) {
		writeProblem(w, http.StatusBadRequest, "return_to must be a path on this server.")
		return
	}
	var err error
	if st.State, err = randomToken(); err == nil {
		if st.Nonce, err = randomToken(); err == nil {
			st.Verifier, err = randomToken()
		}
	}
	if err != nil {
		a.cfg.Log.Error("auth: login", "err", err)
		writeProblem(w, http.StatusInternalServerError, "internal error")
		return
	}
	var target string
	if provider == "oidc" {
		target, err = a.oidc.authURL(r.Context(), st)
	} else {
		st.Nonce = ""
		target = a.github.authURL(st)
	}
	if err != nil {
		a.cfg.Log.Warn("auth: login", "provider", provider, "err", err)
		writeProblem(w, http.StatusBadGateway, "The identity provider cannot be reached.")
		return
	}
	sealed, err := a.keys.seal(st)
	if err != nil {
		a.cfg.Log.Error("auth: login", "err", err)
		writeProblem(w, http.StatusInternalServerError, "internal error")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: a.stateName, Value: sealed, Path: "/", MaxAge: int(a.cfg.StateTTL / time.Second),
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	noStore(w)
	http.Redirect(w, r, target, http.StatusFound)
}

// LoginResult is /auth/callback's JSON answer.
type LoginResult struct {
	Token     string    `json:"token"`
	TokenType string    `json:"token_type"`
	ExpiresAt time.Time `json:"expires_at"`
	Identity  Identity  `json:"identity"`
}

// callback finishes a login: the state must match the sealed cookie and
// be unused; the code is exchanged with the PKCE verifier; the provider's
// answer is verified and mapped to a tenant and role; the session goes
// back as a cookie and in the body (or a redirect to return_to).
func (a *Authenticator) callback(w http.ResponseWriter, r *http.Request) {
	if a.cfg.DevMode || !a.loginEnabled() {
		writeProblem(w, http.StatusNotFound, "Login is not configured on this server.")
		return
	}
	now := a.cfg.Now()
	c, _ := r.Cookie(a.stateName)
	var sealed string
	if c != nil {
		sealed = c.Value
	}
	// Whatever happens next, this login attempt is over.
	http.SetCookie(w, &http.Cookie{Name: a.stateName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	st, err := a.keys.open(sealed, now)
	q := r.URL.Query()
	if err == nil && subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1 {
		err = fmt.Errorf("%w: state parameter does not match the cookie", ErrStateInvalid)
	}
	if err == nil && !a.used.use(st.State, time.Unix(st.Expires, 0), now) {
		err = ErrStateReplay
	}
	if err != nil {
		a.cfg.Log.Info("auth: login callback refused", "remote", r.RemoteAddr, "err", err)
		writeProblem(w, http.StatusBadRequest, "This login cannot be finished (state missing, expired, tampered with or already used); start again at /auth/login.")
		return
	}
	if e := q.Get("error"); e != "" {
		desc := q.Get("error_description")
		if len(desc) > 200 {
			desc = desc[:200]
		}
		a.callbackFailed(w, r, refused(fmt.Sprintf("the provider answered %q (%s)", trimPrintable(e, 64), trimPrintable(desc, 200)), nil))
		return
	}
	code := q.Get("code")
	if code == "" || len(code) > 4096 {
		a.callbackFailed(w, r, &callbackError{status: http.StatusBadRequest, detail: "The callback has no authorization code."})
		return
	}
	var claims map[string]any
	var rules []Rule
	groupsClaim := ""
	switch st.Provider {
	case "oidc":
		if a.oidc != nil {
			claims, err = a.oidc.exchange(r.Context(), code, st)
			rules, groupsClaim = a.cfg.OIDC.Rules, a.cfg.OIDC.GroupsClaim
		}
	case "github":
		if a.github != nil {
			claims, err = a.github.exchange(r.Context(), code, st)
			rules, groupsClaim = a.cfg.GitHub.Rules, "orgs"
		}
	}
	if err == nil && claims == nil {
		err = &callbackError{status: http.StatusBadRequest, detail: "This login's provider is not configured any more."}
	}
	if err != nil {
		a.callbackFailed(w, r, err)
		return
	}
	id, err := a.identity(r.Context(), st, claims, rules, groupsClaim)
	if err != nil {
		a.callbackFailed(w, r, err)
		return
	}
	tok, exp, err := a.issue(id)
	if err != nil {
		a.callbackFailed(w, r, err)
		return
	}
	id.ExpiresAt = exp
	http.SetCookie(w, &http.Cookie{Name: a.cookieName, Value: tok, Path: "/", Expires: exp, MaxAge: int(a.cfg.SessionTTL / time.Second),
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	a.cfg.Log.Info("auth: login", "provider", st.Provider, "subject", id.Subject, "tenant", id.Tenant, "role", id.Role)
	if st.ReturnTo != "" {
		noStore(w)
		http.Redirect(w, r, st.ReturnTo, http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, LoginResult{Token: tok, TokenType: "Bearer", ExpiresAt: exp, Identity: id})
}

func (a *Authenticator) callbackFailed(w http.ResponseWriter, r *http.Request, err error) {
	var ce *callbackError
	if !errors.As(err, &ce) {
		ce = &callbackError{status: http.StatusInternalServerError, detail: "internal error", err: err}
	}
	a.cfg.Log.Info("auth: login refused", "remote", r.RemoteAddr, "status", ce.status, "err", err)
	writeProblem(w, ce.status, ce.detail)
}

// trimPrintable keeps the printable ASCII of s, at most n bytes.
func trimPrintable(s string, n int) string {
	var b strings.Builder
	for _, c := range s {
		if b.Len() >= n {
			break
		}
		if c >= ' ' && c <= '~' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// identity maps a provider's claims to an identity: the rules' grants
// (to existing tenants, when TenantExists is set), then the tenant asked
// for at login, the only one, or the first by name.
func (a *Authenticator) identity(ctx context.Context, st loginState, claims map[string]any, rules []Rule, groupsClaim string) (Identity, error) {
	sub, _ := claims["sub"].(string)
	if sub == "" {
		return Identity{}, refused("the provider gave no subject", nil)
	}
	grants := Grants(rules, claims)
	if a.cfg.TenantExists != nil {
		kept := grants[:0]
		for _, g := range grants {
			ok, err := a.cfg.TenantExists(ctx, g.Tenant)
			if err != nil {
				return Identity{}, &callbackError{status: http.StatusServiceUnavailable, detail: "Tenants cannot be checked right now; retry.", err: err}
			}
			if ok {
				kept = append(kept, g)
			}
		}
		grants = kept
	}
	if len(grants) == 0 {
		return Identity{}, &callbackError{status: http.StatusForbidden,
			detail: "Logged in, but no rule grants this identity a role in any tenant; ask an operator to add one."}
	}
	g := grants[0]
	if st.Tenant != "" {
		found := false
		for _, c := range grants {
			if c.Tenant == st.Tenant {
				g, found = c, true
			}
		}
		if !found {
			return Identity{}, &callbackError{status: http.StatusForbidden, detail: fmt.Sprintf("This identity has no role in tenant %q.", st.Tenant)}
		}
	}
	if groupsClaim == "" {
		groupsClaim = "groups"
		if _, ok := claims["cognito:groups"]; ok {
			groupsClaim = "cognito:groups"
		}
	}
	id := Identity{Subject: sub, Tenant: g.Tenant, Role: g.Role, Groups: capGroups(claimValues(claims, groupsClaim)),
		Kind: KindSession, Provider: st.Provider}
	if verified(claims["email_verified"]) {
		id.Email, _ = claims["email"].(string)
	}
	for _, k := range []string{"name", "preferred_username", "login", "cognito:username"} {
		if v, _ := claims[k].(string); v != "" {
			id.Name = v
			break
		}
	}
	return id, nil
}

// logout clears the session cookie; with ?provider=1 (and a provider that
// has an end-session endpoint) it then sends the browser to the provider
// to end that session too.
func (a *Authenticator) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: a.cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	out := map[string]any{"logged_out": true}
	if a.oidc != nil && r.URL.Query().Get("provider") != "" {
		ctx, cancel := context.WithTimeout(r.Context(), providerTimeout)
		defer cancel()
		if end := a.oidc.logoutURL(ctx, a.cfg.PublicURL); end != "" {
			noStore(w)
			http.Redirect(w, r, end, http.StatusSeeOther)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// meAnswer is /auth/me.
type meAnswer struct {
	Identity
	DevMode bool `json:"dev_mode,omitempty"`
}

// me answers the caller's identity.
func (a *Authenticator) me(w http.ResponseWriter, r *http.Request) {
	id, err := a.Authenticate(r)
	if err != nil {
		writeUnauthorized(w, err)
		return
	}
	writeJSON(w, http.StatusOK, meAnswer{Identity: id, DevMode: a.cfg.DevMode})
}

// jwks publishes the session key (key pairs only).
func (a *Authenticator) jwks(w http.ResponseWriter, _ *http.Request) {
	if a.keys == nil || a.keys.jwks == nil {
		writeProblem(w, http.StatusNotFound, "Sessions are not signed with a key pair on this server.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(a.keys.jwks)
}
