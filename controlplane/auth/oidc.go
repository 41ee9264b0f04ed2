package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// asymmetricAlgs are the ID token algorithms accepted by default: never
// "none" nor HMAC (whose key would be the client secret).
var asymmetricAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA,
}

// oidcProvider is an OpenID Connect provider, discovered on first use (so
// the control plane starts while the provider is unreachable) and then
// kept.
type oidcProvider struct {
	cfg    OIDCConfig
	client *http.Client
	now    func() time.Time

	mu         sync.Mutex
	verifier   *oidc.IDTokenVerifier
	oauth      *oauth2.Config
	endSession string
	failedAt   time.Time // last failed discovery
	failure    error
}

// rediscoverAfter spaces discovery attempts while the provider is down,
// so logins do not queue behind one slow attempt after another.
const rediscoverAfter = 5 * time.Second

// get returns the verifier and OAuth2 configuration, discovering the
// provider if needed.
func (o *oidcProvider) get(ctx context.Context) (*oidc.IDTokenVerifier, *oauth2.Config, string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.verifier != nil {
		return o.verifier, o.oauth, o.endSession, nil
	}
	if o.failure != nil && time.Since(o.failedAt) < rediscoverAfter {
		return nil, nil, "", o.failure
	}
	ctx, cancel := context.WithTimeout(ctx, providerTimeout)
	defer cancel()
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.client), o.cfg.Issuer)
	if err != nil {
		o.failure, o.failedAt = fmt.Errorf("auth: OIDC discovery of %s: %w", o.cfg.Issuer, err), time.Now()
		return nil, nil, "", o.failure
	}
	var doc struct {
		Algs       []string `json:"id_token_signing_alg_values_supported"`
		EndSession string   `json:"end_session_endpoint"`
	}
	if err := p.Claims(&doc); err != nil {
		return nil, nil, "", fmt.Errorf("auth: OIDC discovery document of %s: %w", o.cfg.Issuer, err)
	}
	algs := o.cfg.SigningAlgs
	if len(algs) == 0 {
		for _, a := range doc.Algs {
			if slices.Contains(asymmetricAlgs, a) {
				algs = append(algs, a)
			}
		}
		if len(algs) == 0 {
			algs = []string{oidc.RS256}
		}
	}
	o.verifier = p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID, SupportedSigningAlgs: algs, Now: o.now})
	o.oauth = &oauth2.Config{
		ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: o.cfg.RedirectURL, Scopes: o.cfg.Scopes,
	}
	o.endSession = o.cfg.LogoutURL
	if o.endSession == "" {
		o.endSession = doc.EndSession
	}
	return o.verifier, o.oauth, o.endSession, nil
}

// authURL is where /auth/login sends the browser: the authorization
// endpoint with state, nonce and the PKCE S256 challenge.
func (o *oidcProvider) authURL(ctx context.Context, st loginState) (string, error) {
	_, oc, _, err := o.get(ctx)
	if err != nil {
		return "", err
	}
	return oc.AuthCodeURL(st.State, oauth2.S256ChallengeOption(st.Verifier), oidc.Nonce(st.Nonce)), nil
}

// exchange redeems the code with the PKCE verifier and verifies the ID
// token: signature (provider keys, pinned algorithms), issuer, audience
// (and azp when there are several), expiry, nonce, and at_hash when
// present. It returns the token's claims.
func (o *oidcProvider) exchange(ctx context.Context, code string, st loginState) (map[string]any, error) {
	verifier, oc, _, err := o.get(ctx)
	if err != nil {
		return nil, &callbackError{status: http.StatusBadGateway, detail: "The identity provider cannot be reached.", err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, providerTimeout)
	defer cancel()
	ctx = oidc.ClientContext(ctx, o.client)
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return nil, exchangeError(err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return nil, refused("the provider returned no ID token", nil)
	}
	idt, err := verifier.Verify(ctx, rawID)
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return nil, refused("the ID token has expired", err)
		}
		return nil, refused("the ID token is invalid", err)
	}
	if idt.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return nil, refused("the ID token's nonce does not match this login", nil)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, refused("the ID token's claims cannot be read", err)
	}
	if len(idt.Audience) > 1 {
		if azp, _ := claims["azp"].(string); azp != o.cfg.ClientID {
			return nil, refused("the ID token has several audiences and is not authorized for this client (azp)", nil)
		}
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, refused("the access token does not match the ID token's at_hash", err)
		}
	}
	claims["sub"] = idt.Subject
	return claims, nil
}

// logoutURL is the provider's end-session URL for a browser leaving
// (empty when the provider has none).
func (o *oidcProvider) logoutURL(ctx context.Context, publicURL string) string {
	_, _, end, err := o.get(ctx)
	if err != nil || end == "" {
		return ""
	}
	u, err := url.Parse(end)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("client_id", o.cfg.ClientID)
	q.Set("post_logout_redirect_uri", publicURL+"/")
	q.Set("logout_uri", publicURL+"/") // Cognito's name for it
	u.RawQuery = q.Encode()
	return u.String()
}

// callbackError is a failed login, with the status and the detail the
// user sees; err is logged.
type callbackError struct {
	status int
	detail string
	err    error
}

func (e *callbackError) Error() string {
	if e.err != nil {
		return strings.TrimSuffix(e.detail, ".") + ": " + e.err.Error()
	}
	return e.detail
}

func (e *callbackError) Unwrap() error { return e.err }

// refused is a login the provider's answer does not prove (401).
func refused(why string, err error) error {
	return &callbackError{status: http.StatusUnauthorized, detail: "Login refused: " + why + ".", err: err}
}

// exchangeError classifies a failed code exchange: the provider refusing
// the code (401) or not answering (502).
func exchangeError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return refused("the provider refused the authorization code", err)
	}
	return &callbackError{status: http.StatusBadGateway, detail: "The identity provider did not answer the code exchange.", err: err}
}
