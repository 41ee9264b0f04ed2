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
	"path"
	"strings"
	"time"

	"github.com/photondb-io/photondb/controlplane/meta"
	m "github.com/photondb-io/photondb/shared/meta"
)

// DevModeWarning is what dev mode says at start and in every /health
// answer (health.Registry.Warn).
const DevModeWarning = "dev mode: authentication is disabled; every request acts as owner of tenant \"default\"; never expose this server"

// Credential errors (wrapped with details; the middleware answers 401,
// or 503 for ErrUnavailable).
var (
	ErrNoCredentials = errors.New("auth: no credentials")
	ErrBadHeader     = errors.New("auth: malformed Authorization header")
	ErrUnknownToken  = errors.New("auth: unknown or revoked API token")
	ErrUnavailable   = errors.New("auth: credentials cannot be checked now")
)

// tokenCheckTimeout bounds one API-token lookup in the catalog.
const tokenCheckTimeout = 5 * time.Second

// Middleware authenticates every request that is not to a public path
// (PublicPath), checks the role against Allowed, and puts the Identity in
// the request context (FromContext). It answers 401 problem+json with
// WWW-Authenticate: Bearer for missing or invalid credentials (a browser
// navigating to a page is sent to /auth/login instead), 403 for a role
// that may not make the request or a cross-origin write authenticated by
// the cookie, and 503 when an API token cannot be checked. In dev mode
// every request gets the owner of tenant "default".
//
// Mount it before the routes (chi: r.Use on the top router), and wrap
// handlers served outside that router (WebSocket changefeeds) too.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.cfg.DevMode {
			next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), devIdentity(r))))
			return
		}
		if publicRequest(r) {
			next.ServeHTTP(w, r)
			return
		}
		id, err := a.Authenticate(r)
		if err != nil {
			a.cfg.Log.Debug("auth: request refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
			if a.toLogin(w, r, err) {
				return
			}
			writeUnauthorized(w, err)
			return
		}
		if id.viaCookie {
			if err := a.csrf.Check(r); err != nil {
				writeProblem(w, http.StatusForbidden, "Cross-origin request refused: a session cookie cannot authorize a write from another site.")
				return
			}
			if r.Header.Get("Upgrade") != "" && !a.sameOrigin(r) {
				writeProblem(w, http.StatusForbidden, "Cross-origin WebSocket refused: a session cookie cannot open a connection for another site.")
				return
			}
		}
		if path := routingPath(r); !allowedBoth(id.Role, r.Method, path) {
			who := "Role " + string(id.Role)
			if id.Role == RoleNode {
				who = "A data node's credential"
			}
			detail := fmt.Sprintf("%s may not %s %s", who, r.Method, r.URL.Path)
			if min, _ := Requirement(r.Method, path); min != "" && id.Role != RoleNode {
				detail += "; it needs " + string(min) + " or above"
			}
			writeProblem(w, http.StatusForbidden, detail+".")
			return
		}
		next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
	})
}

// sameOrigin reports whether a browser request comes from this server's
// origin or a trusted one (no Origin header: not a browser, or same
// origin). WebSocket handshakes are GETs, which CrossOriginProtection
// lets through.
func (a *Authenticator) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if u, err := url.Parse(origin); err == nil && u.Host == r.Host {
		return true
	}
	return a.trusted[origin]
}

// allowedBoth checks the path as routed and, when it differs, as a
// router that cleans paths (dot segments, double slashes) would see it:
// the decision never depends on which kind of router is behind.
func allowedBoth(role Role, method, p string) bool {
	if !Allowed(role, method, p) {
		return false
	}
	if c := path.Clean(p); c != p && c != strings.TrimSuffix(p, "/") {
		return Allowed(role, method, c)
	}
	return true
}

// devIdentity is everyone in dev mode.
func devIdentity(r *http.Request) Identity {
	return Identity{Subject: "dev", Tenant: m.DefaultTenant, Role: RoleOwner, Kind: KindDev, Node: nodeHeader(r)}
}

// nodeHeader is the X-PhotonDB-Node header when it is a sane node id.
func nodeHeader(r *http.Request) string {
	n := r.Header.Get(m.HeaderNode)
	if len(n) > 128 {
		return ""
	}
	for _, c := range n {
		if c <= ' ' || c > '~' {
			return ""
		}
	}
	return n
}

// Authenticate returns the identity of r's credentials: an Authorization
// Bearer (an API token pdb_..., the cluster secret, or a session JWT) or
// else the session cookie. It does not check roles. In dev mode it
// returns the dev identity.
func (a *Authenticator) Authenticate(r *http.Request) (Identity, error) {
	if a.cfg.DevMode {
		return devIdentity(r), nil
	}
	tok, ok, err := bearer(r)
	if err != nil {
		return Identity{}, err
	}
	if ok {
		return a.verifyBearer(r, tok)
	}
	cookies := r.CookiesNamed(a.cookieName)
	switch len(cookies) {
	case 0:
		return Identity{}, ErrNoCredentials
	case 1:
	default:
		return Identity{}, fmt.Errorf("%w: several session cookies", ErrSessionInvalid)
	}
	id, err := a.verifySession(cookies[0].Value)
	if err != nil {
		return Identity{}, err
	}
	id.viaCookie = true
	return id, nil
}

// bearer reads "Authorization: Bearer <token>".
func bearer(r *http.Request) (string, bool, error) {
	hs := r.Header.Values("Authorization")
	switch len(hs) {
	case 0:
		return "", false, nil
	case 1:
	default:
		return "", false, fmt.Errorf("%w: several Authorization headers", ErrBadHeader)
	}
	scheme, tok, ok := strings.Cut(hs[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false, fmt.Errorf("%w: use Authorization: Bearer <token>", ErrBadHeader)
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || len(tok) > maxTokenLen || strings.ContainsAny(tok, " \t\r\n") {
		return "", false, fmt.Errorf("%w: bad token", ErrBadHeader)
	}
	return tok, true, nil
}

// apiTokenPrefix marks PhotonDB API tokens (meta.CreateToken).
const apiTokenPrefix = "pdb_"

// verifyBearer tells the kinds of bearer tokens apart: pdb_ for API
// tokens, the cluster secret, and session JWTs.
func (a *Authenticator) verifyBearer(r *http.Request, tok string) (Identity, error) {
	if strings.HasPrefix(tok, apiTokenPrefix) {
		return a.verifyAPIToken(r.Context(), tok)
	}
	if a.clusterSecret != nil {
		sum := sha256.Sum256([]byte(tok))
		if subtle.ConstantTimeCompare(sum[:], a.clusterSecret) == 1 {
			node := nodeHeader(r)
			if node == "" {
				node = "node"
			}
			return Identity{Subject: "node:" + node, Role: RoleNode, Kind: KindNode, Node: node}, nil
		}
	}
	return a.verifySession(tok)
}

// plausibleAPIToken checks the shape of meta's tokens,
// pdb_<32 hex>_<secret>, before the catalog is asked.
func plausibleAPIToken(tok string) bool {
	rest, _ := strings.CutPrefix(tok, apiTokenPrefix)
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 32 || len(secret) < 16 || len(tok) > 256 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	for _, c := range secret {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (a *Authenticator) verifyAPIToken(ctx context.Context, tok string) (Identity, error) {
	if a.cfg.Tokens == nil {
		return Identity{}, fmt.Errorf("%w: API tokens are not enabled on this server", ErrUnknownToken)
	}
	if !plausibleAPIToken(tok) {
		return Identity{}, fmt.Errorf("%w: malformed", ErrUnknownToken)
	}
	ctx, cancel := context.WithTimeout(ctx, tokenCheckTimeout)
	defer cancel()
	t, err := a.cfg.Tokens.VerifyToken(ctx, tok)
	if meta.KindOf(err) == meta.KindNotFound {
		return Identity{}, ErrUnknownToken
	}
	if err != nil {
		return Identity{}, fmt.Errorf("%w: verify API token: %w", ErrUnavailable, err)
	}
	role := Role(t.Role)
	if !role.Valid() || !m.ValidName(t.Tenant) {
		return Identity{}, fmt.Errorf("%w: token %s has role %q and tenant %q", ErrUnknownToken, t.ID, t.Role, t.Tenant)
	}
	return Identity{Subject: "token:" + t.ID, Name: t.Name, Tenant: t.Tenant, Role: role, Kind: KindToken, TokenID: t.ID}, nil
}

// toLogin sends a browser that navigates to a page without credentials to
// the login (with a way back); false when r is not such a request.
func (a *Authenticator) toLogin(w http.ResponseWriter, r *http.Request, err error) bool {
	if !errors.Is(err, ErrNoCredentials) && !errors.Is(err, ErrSessionExpired) {
		return false
	}
	if r.Method != http.MethodGet || !a.loginEnabled() || strings.HasPrefix(r.URL.Path, "/api/") ||
		!strings.Contains(r.Header.Get("Accept"), "text/html") || r.Header.Get("Upgrade") != "" {
		return false
	}
	back := r.URL.RequestURI()
	if !localPath(back) {
		return false
	}
	http.Redirect(w, r, "/auth/login?return_to="+url.QueryEscape(back), http.StatusSeeOther)
	return true
}

// Problem is the RFC 9457 body of the errors this package answers (the
// shape huma's errors have).
type Problem struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(Problem{Title: http.StatusText(status), Status: status, Detail: detail})
}

// writeUnauthorized answers a credential error: 401 with
// WWW-Authenticate (RFC 6750), or 503 when the check itself failed.
func writeUnauthorized(w http.ResponseWriter, err error) {
	status, detail, code := http.StatusUnauthorized, "", ""
	switch {
	case errors.Is(err, ErrUnavailable):
		w.Header().Set("Retry-After", "1")
		writeProblem(w, http.StatusServiceUnavailable, "Credentials cannot be checked right now; retry.")
		return
	case errors.Is(err, ErrNoCredentials):
		detail = "Credentials required: send Authorization: Bearer <token> (an API token, or a session from /auth/login)."
	case errors.Is(err, ErrBadHeader):
		detail, code = "Malformed Authorization header: use Authorization: Bearer <token>.", "invalid_request"
	case errors.Is(err, ErrUnknownToken):
		detail, code = "Unknown or revoked API token.", "invalid_token"
	case errors.Is(err, ErrSessionExpired):
		detail, code = "The session has expired; log in again at /auth/login.", "invalid_token"
	default:
		detail, code = "Invalid credentials.", "invalid_token"
	}
	challenge := `Bearer realm="photondb"`
	if code != "" {
		challenge += `, error="` + code + `"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeProblem(w, status, detail)
}
