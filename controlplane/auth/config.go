package auth

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/photondb-io/photondb/controlplane/meta"
)

// TokenVerifier finds the API token a secret belongs to. *meta.Service
// is one: its error for an unknown or revoked secret has kind
// meta.KindNotFound (answered 401); any other error is a failure to
// check (answered 503).
type TokenVerifier interface {
	VerifyToken(ctx context.Context, secret string) (meta.Token, error)
}

// Config configures an Authenticator. The caller reads flags and the
// environment (FromEnv reads the documented variables).
type Config struct {
	// DevMode turns authentication off: every request is the owner of
	// tenant "default" (see DevModeWarning).
	DevMode bool
	// PublicURL is how browsers reach the control plane, e.g.
	// https://photondb.example.com (behind a TLS proxy: its https URL).
	// Needed with a login provider: redirect URLs default to
	// PublicURL/auth/callback, and cookies are Secure when it is https.
	PublicURL string
	// InsecureHTTP allows a plain-http PublicURL that is not a loopback
	// address (cookies then lack Secure). Never in production.
	InsecureHTTP bool

	OIDC   OIDCConfig
	GitHub GitHubConfig

	// Sessions are JWTs signed with JWTSecret (HS256, at least 32 bytes)
	// or with a private key (RS256 for RSA of 2048 bits or more, EdDSA
	// for Ed25519): JWTPrivateKeyFile (PEM, PKCS#8 or PKCS#1) or
	// JWTPrivateKey. With a key, /auth/jwks.json publishes the public key.
	// Every control-plane replica needs the same secret or key. Required
	// when a login provider is configured.
	JWTSecret         string
	JWTPrivateKeyFile string
	JWTPrivateKey     crypto.Signer
	// SessionTTL is a session's lifetime (default 12h). Sessions are
	// stateless: logging out clears the cookie, but a copied session
	// token stays valid until it expires; API tokens are the revocable
	// credential.
	SessionTTL time.Duration
	// Issuer and Audience are the sessions' iss (default PublicURL, or
	// "photondb") and aud (default "photondb").
	Issuer   string
	Audience string

	// ClusterSecret is the data nodes' credential (PHOTONDB_CLUSTER_SECRET,
	// at least 32 bytes): "Authorization: Bearer <secret>" makes a request
	// a data node's (role node, see Requirement). Empty: no node
	// credential is accepted.
	ClusterSecret string

	// Tokens verifies API tokens (pdb_...); nil: API tokens are refused.
	Tokens TokenVerifier
	// TenantExists, when set, drops grants to tenants that do not exist
	// at login.
	TenantExists func(ctx context.Context, tenant string) (bool, error)

	// TrustedOrigins are browser origins besides PublicURL's allowed to
	// make cookie-authenticated writes (e.g. a dashboard served
	// elsewhere); requests with an API token or a Bearer session are not
	// subject to the check.
	TrustedOrigins []string

	// HTTPClient calls the providers (default: a client with a 10 s
	// timeout).
	HTTPClient *http.Client
	Log        *slog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// Leeway is the clock skew allowed on session exp, nbf and iat
	// (default 30 s, at most 5 min).
	Leeway time.Duration
	// StateTTL bounds a login from /auth/login to /auth/callback (default
	// 10 min).
	StateTTL time.Duration
	// MaxUsedStates bounds the set of consumed login states kept to
	// refuse replays (default 100000; the oldest are dropped first).
	MaxUsedStates int
	// CookieName is the session cookie (default "photondb_session").
	CookieName string
}

// OIDCConfig is an OpenID Connect provider: Cognito user pools, Google,
// Okta, Keycloak, Azure AD... anything with discovery.
type OIDCConfig struct {
	Issuer       string // OIDC_ISSUER, e.g. https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc
	ClientID     string // OIDC_CLIENT_ID
	ClientSecret string // OIDC_CLIENT_SECRET
	RedirectURL  string // OIDC_REDIRECT_URL; default PublicURL/auth/callback
	// Scopes requested (default openid email profile).
	Scopes []string
	// Rules map the ID token's claims to tenants and roles.
	Rules []Rule
	// GroupsClaim is shown as the identity's groups (default
	// cognito:groups when the token has it, else groups).
	GroupsClaim string
	// LogoutURL is where /auth/logout?provider=1 sends the browser
	// (default: the discovery document's end_session_endpoint). Cognito's
	// is https://<domain>/logout (it gets client_id and logout_uri).
	LogoutURL string
	// SigningAlgs allowed for ID tokens (default: the asymmetric JWS
	// algorithms the provider advertises).
	SigningAlgs []string
}

// GitHubConfig is GitHub OAuth2 (not OIDC): the user, their verified
// email and their organizations come from GitHub's API; organizations
// map to tenants through Rules (claim "orgs").
type GitHubConfig struct {
	ClientID     string // GITHUB_CLIENT_ID
	ClientSecret string // GITHUB_CLIENT_SECRET
	RedirectURL  string // default PublicURL/auth/callback
	// URL is GitHub's web URL (default https://github.com; GitHub
	// Enterprise: https://github.example.com).
	URL string
	// APIURL is the REST API (default https://api.github.com; GitHub
	// Enterprise: https://github.example.com/api/v3).
	APIURL string
	// Scopes requested (default read:user user:email read:org).
	Scopes []string
	// Rules map the claims login, email, email_domain and orgs.
	Rules []Rule
}

func (c OIDCConfig) enabled() bool   { return c.Issuer != "" }
func (c GitHubConfig) enabled() bool { return c.ClientID != "" }

// FromEnv builds a Config from environment variables, each read first as
// PHOTONDB_<NAME> and then as <NAME>:
//
//	PUBLIC_URL                      PublicURL
//	OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URL
//	OIDC_SCOPES                     space- or comma-separated
//	OIDC_LOGOUT_URL, OIDC_GROUPS_CLAIM
//	AUTH_RULES                      OIDC rules (ParseRules syntax)
//	GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET, GITHUB_REDIRECT_URL
//	GITHUB_URL, GITHUB_API_URL
//	GITHUB_AUTH_RULES               GitHub rules
//	JWT_SECRET                      HS256 sessions
//	JWT_PRIVATE_KEY_FILE            RS256/EdDSA sessions (PEM)
//	JWT_ISSUER, JWT_AUDIENCE, SESSION_TTL (a Go duration, e.g. 8h)
//	CLUSTER_SECRET                  data nodes' credential (PHOTONDB_CLUSTER_SECRET)
//	TRUSTED_ORIGINS                 comma-separated
//
// getenv is usually os.Getenv. DevMode and the TokenVerifier are the
// caller's to set.
func FromEnv(getenv func(string) string) (Config, error) {
	get := func(name string) string {
		if v := getenv("PHOTONDB_" + name); v != "" {
			return v
		}
		return getenv(name)
	}
	list := func(name string) []string {
		return strings.FieldsFunc(get(name), func(r rune) bool { return r == ',' || r == ' ' })
	}
	c := Config{
		PublicURL: get("PUBLIC_URL"),
		OIDC: OIDCConfig{
			Issuer: get("OIDC_ISSUER"), ClientID: get("OIDC_CLIENT_ID"), ClientSecret: get("OIDC_CLIENT_SECRET"),
			RedirectURL: get("OIDC_REDIRECT_URL"), Scopes: list("OIDC_SCOPES"), LogoutURL: get("OIDC_LOGOUT_URL"),
			GroupsClaim: get("OIDC_GROUPS_CLAIM"),
		},
		GitHub: GitHubConfig{
			ClientID: get("GITHUB_CLIENT_ID"), ClientSecret: get("GITHUB_CLIENT_SECRET"),
			RedirectURL: get("GITHUB_REDIRECT_URL"), URL: get("GITHUB_URL"), APIURL: get("GITHUB_API_URL"),
		},
		JWTSecret: get("JWT_SECRET"), JWTPrivateKeyFile: get("JWT_PRIVATE_KEY_FILE"),
		Issuer: get("JWT_ISSUER"), Audience: get("JWT_AUDIENCE"),
		ClusterSecret:  get("CLUSTER_SECRET"),
		TrustedOrigins: list("TRUSTED_ORIGINS"),
	}
	var err error
	if c.OIDC.Rules, err = ParseRules(get("AUTH_RULES")); err != nil {
		return Config{}, err
	}
	if c.GitHub.Rules, err = ParseRules(get("GITHUB_AUTH_RULES")); err != nil {
		return Config{}, err
	}
	if s := get("SESSION_TTL"); s != "" {
		if c.SessionTTL, err = time.ParseDuration(s); err != nil {
			return Config{}, fmt.Errorf("auth: SESSION_TTL: %w", err)
		}
	}
	return c, nil
}

// Defaults.
const (
	DefaultSessionTTL    = 12 * time.Hour
	DefaultStateTTL      = 10 * time.Minute
	DefaultLeeway        = 30 * time.Second
	DefaultMaxUsedStates = 100_000
	DefaultCookieName    = "photondb_session"
	DefaultAudience      = "photondb"
	// MinSecretLen is the shortest JWT_SECRET and cluster secret accepted.
	MinSecretLen = 32
	// providerTimeout bounds one call to a provider (discovery, token
	// exchange, GitHub API).
	providerTimeout = 10 * time.Second
)

// withDefaults fills the defaults and checks the configuration.
func (c Config) withDefaults() (Config, error) {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: providerTimeout}
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.StateTTL <= 0 {
		c.StateTTL = DefaultStateTTL
	}
	if c.Leeway <= 0 {
		c.Leeway = DefaultLeeway
	}
	if c.Leeway > 5*time.Minute {
		return c, errors.New("auth: leeway above 5 minutes")
	}
	if c.MaxUsedStates <= 0 {
		c.MaxUsedStates = DefaultMaxUsedStates
	}
	if c.CookieName == "" {
		c.CookieName = DefaultCookieName
	}
	if c.Audience == "" {
		c.Audience = DefaultAudience
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.Issuer == "" {
		c.Issuer = c.PublicURL
		if c.Issuer == "" {
			c.Issuer = "photondb"
		}
	}
	if c.DevMode {
		return c, nil
	}
	if c.ClusterSecret != "" && len(c.ClusterSecret) < MinSecretLen {
		return c, fmt.Errorf("auth: cluster secret shorter than %d bytes", MinSecretLen)
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < MinSecretLen {
		return c, fmt.Errorf("auth: JWT secret shorter than %d bytes", MinSecretLen)
	}
	keys := 0
	for _, set := range []bool{c.JWTSecret != "", c.JWTPrivateKeyFile != "", c.JWTPrivateKey != nil} {
		if set {
			keys++
		}
	}
	if keys > 1 {
		return c, errors.New("auth: set one of JWT secret, JWT private key file, JWT private key")
	}
	login := c.OIDC.enabled() || c.GitHub.enabled()
	if !login {
		return c, nil
	}
	if keys == 0 {
		return c, errors.New("auth: a login provider needs a session key (JWT_SECRET or JWT_PRIVATE_KEY_FILE)")
	}
	if c.PublicURL == "" {
		return c, errors.New("auth: a login provider needs the public URL (PUBLIC_URL)")
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return c, fmt.Errorf("auth: public URL %q is not an http(s) URL", c.PublicURL)
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) && !c.InsecureHTTP {
		return c, fmt.Errorf("auth: public URL %q is plain http: session cookies would travel in clear (use https, or InsecureHTTP)", c.PublicURL)
	}
	if c.OIDC.enabled() {
		if c.OIDC.ClientID == "" {
			return c, errors.New("auth: OIDC_ISSUER needs OIDC_CLIENT_ID")
		}
		if c.OIDC.RedirectURL == "" {
			c.OIDC.RedirectURL = c.PublicURL + "/auth/callback"
		}
		if len(c.OIDC.Scopes) == 0 {
			c.OIDC.Scopes = []string{"openid", "email", "profile"}
		}
		if len(c.OIDC.Rules) == 0 {
			c.Log.Warn("auth: OIDC is configured without rules: no one can log in (set AUTH_RULES)")
		}
		if c.OIDC.Rules, err = normalizeRules(c.OIDC.Rules); err != nil {
			return c, err
		}
	}
	if c.GitHub.enabled() {
		if c.GitHub.ClientSecret == "" {
			return c, errors.New("auth: GITHUB_CLIENT_ID needs GITHUB_CLIENT_SECRET")
		}
		if c.GitHub.RedirectURL == "" {
			c.GitHub.RedirectURL = c.PublicURL + "/auth/callback"
		}
		if c.GitHub.URL == "" {
			c.GitHub.URL = "https://github.com"
		}
		if c.GitHub.APIURL == "" {
			c.GitHub.APIURL = "https://api.github.com"
		}
		c.GitHub.URL = strings.TrimRight(c.GitHub.URL, "/")
		c.GitHub.APIURL = strings.TrimRight(c.GitHub.APIURL, "/")
		if len(c.GitHub.Scopes) == 0 {
			c.GitHub.Scopes = []string{"read:user", "user:email", "read:org"}
		}
		if len(c.GitHub.Rules) == 0 {
			c.Log.Warn("auth: GitHub is configured without rules: no one can log in (set GITHUB_AUTH_RULES)")
		}
		if c.GitHub.Rules, err = normalizeRules(c.GitHub.Rules); err != nil {
			return c, err
		}
	}
	return c, nil
}

func normalizeRules(rules []Rule) ([]Rule, error) {
	out := make([]Rule, len(rules))
	for i, r := range rules {
		nr, err := r.normalize()
		if err != nil {
			return nil, err
		}
		out[i] = nr
	}
	return out, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
