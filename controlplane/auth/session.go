package auth

import (
	"crypto"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	m "github.com/photondb-io/photondb/shared/meta"
)

// maxTokenLen bounds a bearer token or cookie before any parsing.
const maxTokenLen = 8 << 10

// Errors of session verification (wrapped with details).
var (
	ErrSessionInvalid = errors.New("auth: invalid session token")
	ErrSessionExpired = errors.New("auth: session expired")
)

// sessionKeys sign and verify session JWTs with one pinned algorithm and
// seal login states with a key derived from the same secret, so that
// every replica configured alike can verify what another issued.
type sessionKeys struct {
	alg      jose.SignatureAlgorithm
	signer   jose.Signer
	verify   any    // []byte, *rsa.PublicKey or ed25519.PublicKey
	kid      string // RFC 7638 thumbprint of the public key ("" for HS256)
	jwks     []byte // the public key as a JWK set (nil for HS256)
	stateKey []byte // AES-256-GCM key for the login state cookie
}

// stateInfo labels the HKDF derivation of the state key, so that the
// session secret is never used as is for anything but signing sessions.
const stateInfo = "photondb auth login-state v1"

// loadKeys reads the session key the configuration names; nil when none
// is configured (sessions are then refused).
func loadKeys(c Config) (*sessionKeys, error) {
	switch {
	case c.JWTSecret != "":
		secret := []byte(c.JWTSecret)
		return newKeys(jose.HS256, secret, secret, secret)
	case c.JWTPrivateKeyFile != "":
		raw, err := os.ReadFile(c.JWTPrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("auth: read JWT private key: %w", err)
		}
		key, err := parsePrivateKey(raw)
		if err != nil {
			return nil, fmt.Errorf("auth: JWT private key %s: %w", c.JWTPrivateKeyFile, err)
		}
		return keysFor(key)
	case c.JWTPrivateKey != nil:
		return keysFor(c.JWTPrivateKey)
	}
	return nil, nil
}

// parsePrivateKey reads the first private key of a PEM file (PKCS#8, or
// PKCS#1 for RSA).
func parsePrivateKey(raw []byte) (crypto.Signer, error) {
	for {
		var b *pem.Block
		b, raw = pem.Decode(raw)
		if b == nil {
			return nil, errors.New("no PEM private key found")
		}
		var (
			k   any
			err error
		)
		switch b.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("encrypted PEM keys are not supported")
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", b.Type, err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("unsupported key type %T", k)
		}
		return s, nil
	}
}

func keysFor(key crypto.Signer) (*sessionKeys, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("auth: JWT private key: %w", err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("auth: JWT RSA key of %d bits; at least 2048 needed", k.N.BitLen())
		}
		return newKeys(jose.RS256, k, &k.PublicKey, der)
	case ed25519.PrivateKey:
		return newKeys(jose.EdDSA, k, k.Public().(ed25519.PublicKey), der)
	}
	return nil, fmt.Errorf("auth: JWT private key of type %T unsupported (RSA for RS256, Ed25519 for EdDSA)", key)
}

func newKeys(alg jose.SignatureAlgorithm, priv, pub any, stateSecret []byte) (*sessionKeys, error) {
	k := &sessionKeys{alg: alg, verify: pub}
	signingKey := jose.SigningKey{Algorithm: alg, Key: priv}
	if alg != jose.HS256 {
		jwk := jose.JSONWebKey{Key: pub, Algorithm: string(alg), Use: "sig"}
		tp, err := jwk.Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("auth: key thumbprint: %w", err)
		}
		k.kid = base64.RawURLEncoding.EncodeToString(tp)
		jwk.KeyID = k.kid
		if k.jwks, err = json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}}); err != nil {
			return nil, fmt.Errorf("auth: JWKS: %w", err)
		}
		signingKey.Key = jose.JSONWebKey{Key: priv, KeyID: k.kid, Algorithm: string(alg)}
	}
	var err error
	if k.signer, err = jose.NewSigner(signingKey, (&jose.SignerOptions{}).WithType("JWT")); err != nil {
		return nil, fmt.Errorf("auth: session signer: %w", err)
	}
	if k.stateKey, err = hkdf.Key(sha256.New, stateSecret, nil, stateInfo, 32); err != nil {
		return nil, fmt.Errorf("auth: derive state key: %w", err)
	}
	return k, nil
}

// sessionClaims are a session JWT's claims.
type sessionClaims struct {
	jwt.Claims
	Email    string   `json:"email,omitempty"`
	Name     string   `json:"name,omitempty"`
	Tenant   string   `json:"tenant"`
	Role     Role     `json:"role"`
	Groups   []string `json:"groups,omitempty"`
	Provider string   `json:"idp,omitempty"`
}

// issue signs a session for id.
func (a *Authenticator) issue(id Identity) (string, time.Time, error) {
	if a.keys == nil {
		return "", time.Time{}, errors.New("auth: sessions need JWT_SECRET or JWT_PRIVATE_KEY_FILE")
	}
	now := a.cfg.Now()
	exp := now.Add(a.cfg.SessionTTL)
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", time.Time{}, fmt.Errorf("auth: session id: %w", err)
	}
	c := sessionClaims{
		Claims: jwt.Claims{
			Issuer: a.cfg.Issuer, Subject: id.Subject, Audience: jwt.Audience{a.cfg.Audience},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(exp),
			ID: base64.RawURLEncoding.EncodeToString(jti[:]),
		},
		Email: id.Email, Name: id.Name, Tenant: id.Tenant, Role: id.Role, Groups: capGroups(id.Groups), Provider: id.Provider,
	}
	raw, err := jwt.Signed(a.keys.signer).Claims(c).Serialize()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign session: %w", err)
	}
	return raw, time.Unix(exp.Unix(), 0), nil
}

// IssueSession signs a session for id, as /auth/callback does (tests and
// tools that need a session without a provider). It returns the token and
// its expiry.
func (a *Authenticator) IssueSession(id Identity) (string, time.Time, error) {
	if !id.Role.Valid() || !m.ValidName(id.Tenant) || id.Subject == "" {
		return "", time.Time{}, fmt.Errorf("auth: session needs a subject, a valid tenant and a user role (got %q, %q, %q)", id.Subject, id.Tenant, id.Role)
	}
	return a.issue(id)
}

// verifySession checks a session JWT strictly: the configured algorithm
// only, the key id, typ JWT, the signature, iss, aud, exp, nbf and iat
// (with the configured leeway), a lifetime no longer than SessionTTL, and
// well-formed tenant and role.
func (a *Authenticator) verifySession(raw string) (Identity, error) {
	if a.keys == nil {
		return Identity{}, fmt.Errorf("%w: sessions are not enabled on this server", ErrSessionInvalid)
	}
	if len(raw) > maxTokenLen || strings.Count(raw, ".") != 2 {
		return Identity{}, fmt.Errorf("%w: not a compact JWS", ErrSessionInvalid)
	}
	// One token, one spelling: base64 lets the last character of the
	// signature carry unused bits that decoders ignore; refuse them so a
	// token cannot be altered and still verify.
	if _, err := base64.RawURLEncoding.Strict().DecodeString(raw[strings.LastIndexByte(raw, '.')+1:]); err != nil {
		return Identity{}, fmt.Errorf("%w: signature not in canonical base64url", ErrSessionInvalid)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{a.keys.alg})
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrSessionInvalid, err)
	}
	if len(tok.Headers) != 1 {
		return Identity{}, fmt.Errorf("%w: %d signatures", ErrSessionInvalid, len(tok.Headers))
	}
	h := tok.Headers[0]
	if a.keys.kid != "" && h.KeyID != a.keys.kid {
		return Identity{}, fmt.Errorf("%w: unknown key id %q", ErrSessionInvalid, h.KeyID)
	}
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "JWT" {
		return Identity{}, fmt.Errorf("%w: typ %q", ErrSessionInvalid, typ)
	}
	var c sessionClaims
	if err := tok.Claims(a.keys.verify, &c); err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrSessionInvalid, err)
	}
	if c.Expiry == nil || c.IssuedAt == nil {
		return Identity{}, fmt.Errorf("%w: exp and iat are required", ErrSessionInvalid)
	}
	err = c.Claims.ValidateWithLeeway(jwt.Expected{
		Issuer: a.cfg.Issuer, AnyAudience: jwt.Audience{a.cfg.Audience}, Time: a.cfg.Now(),
	}, a.cfg.Leeway)
	if errors.Is(err, jwt.ErrExpired) {
		return Identity{}, fmt.Errorf("%w at %s", ErrSessionExpired, c.Expiry.Time().UTC().Format(time.RFC3339))
	}
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrSessionInvalid, err)
	}
	if c.Expiry.Time().Sub(c.IssuedAt.Time()) > a.cfg.SessionTTL+a.cfg.Leeway {
		return Identity{}, fmt.Errorf("%w: lifetime longer than the session TTL", ErrSessionInvalid)
	}
	if c.Subject == "" || !c.Role.Valid() || !m.ValidName(c.Tenant) {
		return Identity{}, fmt.Errorf("%w: subject, tenant or role missing", ErrSessionInvalid)
	}
	return Identity{
		Subject: c.Subject, Email: c.Email, Name: c.Name, Tenant: c.Tenant, Role: c.Role, Groups: c.Groups,
		Kind: KindSession, Provider: c.Provider, ExpiresAt: c.Expiry.Time(),
	}, nil
}
