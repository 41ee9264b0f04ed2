package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/oauth2"
)

// githubProvider is GitHub's OAuth2 web flow followed by GitHub's REST API
// for the user (/user), their verified primary email (/user/emails) and
// their organizations (/user/orgs).
type githubProvider struct {
	cfg    GitHubConfig
	client *http.Client
	oauth  *oauth2.Config
}

func newGitHub(cfg GitHubConfig, client *http.Client) *githubProvider {
	return &githubProvider{cfg: cfg, client: client, oauth: &oauth2.Config{
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL, Scopes: cfg.Scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   cfg.URL + "/login/oauth/authorize",
			TokenURL:  cfg.URL + "/login/oauth/access_token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}}
}

func (g *githubProvider) authURL(st loginState) string {
	return g.oauth.AuthCodeURL(st.State, oauth2.S256ChallengeOption(st.Verifier))
}

// maxGitHubPages bounds the pages of organizations read.
const maxGitHubPages = 10

// exchange redeems the code and reads the user from GitHub's API, as
// claims: sub "github:<id>", login, name, email and email_verified (the
// primary email, when verified), orgs (logins, lower case).
func (g *githubProvider) exchange(ctx context.Context, code string, st loginState) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*providerTimeout)
	defer cancel()
	tok, err := g.oauth.Exchange(context.WithValue(ctx, oauth2.HTTPClient, g.client), code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return nil, exchangeError(err)
	}
	var user struct {
		ID    int64  `json:"id"`
		Login string `json:"login"`
		Name  string `json:"name"`
	}
	if _, err := g.get(ctx, tok.AccessToken, g.cfg.APIURL+"/user", &user); err != nil {
		return nil, err
	}
	if user.ID == 0 || user.Login == "" {
		return nil, refused("GitHub returned no user", nil)
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if _, err := g.get(ctx, tok.AccessToken, g.cfg.APIURL+"/user/emails?per_page=100", &emails); err != nil {
		return nil, err
	}
	claims := map[string]any{
		"sub": "github:" + strconv.FormatInt(user.ID, 10), "login": strings.ToLower(user.Login), "name": user.Name,
	}
	for _, e := range emails {
		if e.Primary && e.Verified {
			claims["email"], claims["email_verified"] = e.Email, true
		}
	}
	var orgs []any
	next := g.cfg.APIURL + "/user/orgs?per_page=100"
	for page := 0; next != "" && page < maxGitHubPages; page++ {
		var batch []struct {
			Login string `json:"login"`
		}
		if next, err = g.get(ctx, tok.AccessToken, next, &batch); err != nil {
			return nil, err
		}
		for _, o := range batch {
			orgs = append(orgs, strings.ToLower(o.Login))
		}
	}
	claims["orgs"] = orgs
	return claims, nil
}

// get calls GitHub's API and decodes the answer into out; it returns the
// next page's URL (Link rel="next") when it is on the same API.
func (g *githubProvider) get(ctx context.Context, token, url string, out any) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("auth: GitHub request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	resp, err := g.client.Do(req)
	if err != nil {
		return "", &callbackError{status: http.StatusBadGateway, detail: "GitHub's API did not answer.", err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", &callbackError{status: http.StatusBadGateway, detail: "GitHub's API did not answer.", err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return "", refused(fmt.Sprintf("GitHub's API answered %d to %s", resp.StatusCode, req.URL.Path), nil)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return "", refused("GitHub's API answer cannot be read", err)
	}
	return nextLink(resp.Header.Get("Link"), g.cfg.APIURL+"/"), nil
}

// nextLink returns the rel="next" URL of a Link header when it starts
// with prefix (the token is never sent elsewhere).
func nextLink(h, prefix string) string {
	for _, part := range strings.Split(h, ",") {
		u, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if !ok || !strings.HasPrefix(u, "<") || !strings.HasSuffix(u, ">") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			if strings.TrimSpace(p) == `rel="next"` {
				if next := u[1 : len(u)-1]; strings.HasPrefix(next, prefix) {
					return next
				}
			}
		}
	}
	return ""
}
