package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeGitHub stands in for github.com and api.github.com (which tests
// cannot reach): the OAuth web flow (auto-approving, with PKCE S256 and
// single-use codes, answering the token form-encoded as GitHub does) and
// the API's /user, /user/emails and /user/orgs (paginated with Link).
type fakeGitHub struct {
	t        *testing.T
	srv      *httptest.Server
	id, pass string

	mu       sync.Mutex
	queue    []ghUser
	codes    map[string]*ghGrant
	tokens   map[string]ghUser
	apiCalls map[string]int
	failUser int // status /user answers when set
}

type ghUser struct {
	ID     int64
	Login  string
	Name   string
	Emails []map[string]any
	Orgs   []string // one per page
	// Steal makes the first orgs page link to another host.
	Steal bool
}

type ghGrant struct {
	user      ghUser
	challenge string
	redirect  string
	used      bool
}

func startGitHub(t *testing.T) *fakeGitHub {
	g := &fakeGitHub{t: t, id: "gh-client", pass: "gh-secret", codes: map[string]*ghGrant{}, tokens: map[string]ghUser{}, apiCalls: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", g.authorize)
	mux.HandleFunc("POST /login/oauth/access_token", g.token)
	mux.HandleFunc("GET /api/user", g.api(func(u ghUser, _ *http.Request) (any, string) {
		return map[string]any{"id": u.ID, "login": u.Login, "name": u.Name, "email": "public@example.com"}, ""
	}))
	mux.HandleFunc("GET /api/user/emails", g.api(func(u ghUser, _ *http.Request) (any, string) { return u.Emails, "" }))
	mux.HandleFunc("GET /api/user/orgs", g.api(func(u ghUser, r *http.Request) (any, string) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page == 0 {
			page = 1
		}
		var out []map[string]any
		if page <= len(u.Orgs) {
			out = append(out, map[string]any{"login": u.Orgs[page-1], "id": page})
		}
		link := ""
		if page < len(u.Orgs) {
			next := g.srv.URL + "/api/user/orgs?per_page=100&page=" + strconv.Itoa(page+1)
			if u.Steal {
				next = "http://127.0.0.1:1/api/user/orgs?page=2"
			}
			link = `<` + next + `>; rel="next", <` + g.srv.URL + `/api/user/orgs?page=1>; rel="first"`
		}
		return out, link
	}))
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGitHub) push(u ghUser) {
	g.mu.Lock()
	g.queue = append(g.queue, u)
	g.mu.Unlock()
}

func (g *fakeGitHub) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != g.id || q.Get("state") == "" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "bad authorize request", http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	if len(g.queue) == 0 {
		g.mu.Unlock()
		http.Error(w, "no user queued", http.StatusInternalServerError)
		return
	}
	u := g.queue[0]
	g.queue = g.queue[1:]
	code := "code-" + strconv.Itoa(len(g.codes))
	g.codes[code] = &ghGrant{user: u, challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
	g.mu.Unlock()
	to, _ := url.Parse(q.Get("redirect_uri"))
	to.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, to.String(), http.StatusFound)
}

// token answers like GitHub: 200, form-encoded, errors included.
func (g *fakeGitHub) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	fail := func(code string) {
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		_, _ = fmt.Fprint(w, url.Values{"error": {code}, "error_description": {code}}.Encode())
	}
	if r.Form.Get("client_id") != g.id || r.Form.Get("client_secret") != g.pass {
		fail("incorrect_client_credentials")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	gr := g.codes[r.Form.Get("code")]
	if gr == nil || gr.used || (r.Form.Get("redirect_uri") != "" && r.Form.Get("redirect_uri") != gr.redirect) {
		fail("bad_verification_code")
		return
	}
	sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != gr.challenge {
		fail("bad_verification_code")
		return
	}
	gr.used = true
	tok := "gho_" + strconv.Itoa(len(g.tokens)) + "x"
	g.tokens[tok] = gr.user
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	_, _ = fmt.Fprint(w, url.Values{"access_token": {tok}, "scope": {"read:org,read:user,user:email"}, "token_type": {"bearer"}}.Encode())
}

func (g *fakeGitHub) api(f func(ghUser, *http.Request) (any, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		u, ok := g.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		g.apiCalls[r.URL.Path]++
		fail := g.failUser
		g.mu.Unlock()
		if !ok || r.Header.Get("Accept") != "application/vnd.github+json" {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		if fail != 0 && r.URL.Path == "/api/user" {
			http.Error(w, `{"message":"boom"}`, fail)
			return
		}
		body, link := f(u, r)
		if link != "" {
			w.Header().Set("Link", link)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	}
}

func (g *fakeGitHub) config(rules string) GitHubConfig {
	rs, err := ParseRules(rules)
	if err != nil {
		panic(err)
	}
	return GitHubConfig{ClientID: g.id, ClientSecret: g.pass, URL: g.srv.URL, APIURL: g.srv.URL + "/api", Rules: rs}
}

// GitHub login end to end: orgs (over two pages) map to tenants, a user
// rule gives a stronger role, the verified primary email is kept.
func TestGitHubLogin(t *testing.T) {
	gh := startGitHub(t)
	c := newCP(t, func(cfg *Config) {
		cfg.GitHub = gh.config("orgs={tenant} developer; login=alice acme-corp owner; orgs=initech initech reader")
	})
	gh.push(ghUser{ID: 42, Login: "Alice", Name: "Alice Liddell", Orgs: []string{"Acme-Corp", "initech"},
		Emails: []map[string]any{
			{"email": "alice@old.example", "primary": false, "verified": true},
			{"email": "alice@acme.example", "primary": true, "verified": true},
		}})
	resp, lr := c.login("provider=github")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	id := lr.Identity
	if id.Subject != "github:42" || id.Tenant != "acme-corp" || id.Role != RoleOwner || id.Email != "alice@acme.example" ||
		id.Name != "Alice Liddell" || id.Provider != "github" || strings.Join(id.Groups, ",") != "acme-corp,initech" {
		t.Fatalf("identity %+v", id)
	}
	if st, got := c.identity(nil); st != http.StatusOK || got.Subject != "github:42" {
		t.Fatalf("session: %d %+v", st, got)
	}
	gh.push(ghUser{ID: 42, Login: "Alice", Orgs: []string{"Acme-Corp", "initech"}})
	if resp, lr := c.login("provider=github&tenant=initech"); resp.StatusCode != http.StatusOK || lr.Identity.Role != RoleDeveloper ||
		lr.Identity.Email != "" {
		t.Fatalf("initech: %d %+v", resp.StatusCode, lr.Identity)
	}
}

// An unverified primary email is not an email; a Link to another host is
// not followed (the token would go there); no org, no tenant.
func TestGitHubUntrusted(t *testing.T) {
	gh := startGitHub(t)
	c := newCP(t, func(cfg *Config) {
		cfg.GitHub = gh.config("orgs={tenant} developer; email_domain=acme.example acme admin")
	})
	gh.push(ghUser{ID: 7, Login: "mallory", Orgs: []string{"mallory-org", "acme"}, Steal: true,
		Emails: []map[string]any{{"email": "mallory@acme.example", "primary": true, "verified": false}}})
	resp, lr := c.login("provider=github")
	if resp.StatusCode != http.StatusOK || lr.Identity.Tenant != "mallory-org" || lr.Identity.Email != "" || len(lr.Identity.Groups) != 1 {
		t.Fatalf("%d %+v", resp.StatusCode, lr.Identity)
	}
	gh.push(ghUser{ID: 8, Login: "nobody"})
	if resp, _ := c.login("provider=github"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("no org: %d", resp.StatusCode)
	}
}

// GitHub's failures: a wrong client secret, a replayed code, and an API
// error all refuse the login.
func TestGitHubFailures(t *testing.T) {
	gh := startGitHub(t)
	rules := "orgs={tenant} developer"
	t.Run("wrong client secret", func(t *testing.T) {
		c := newCP(t, func(cfg *Config) {
			cfg.GitHub = gh.config(rules)
			cfg.GitHub.ClientSecret = "wrong"
		})
		gh.push(ghUser{ID: 1, Login: "a", Orgs: []string{"acme"}})
		if resp, _ := c.login("provider=github"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
	t.Run("replayed code", func(t *testing.T) {
		c := newCP(t, func(cfg *Config) { cfg.GitHub = gh.config(rules) })
		gh.push(ghUser{ID: 1, Login: "a", Orgs: []string{"acme"}})
		cb, ck := c.toCallback("provider=github")
		req, _ := http.NewRequest(http.MethodGet, cb.String(), nil)
		req.AddCookie(ck)
		if resp, _ := c.bare(req); resp.StatusCode != http.StatusOK {
			t.Fatalf("first: %d", resp.StatusCode)
		}
		// A new login whose callback carries the old code.
		gh.push(ghUser{ID: 1, Login: "a", Orgs: []string{"acme"}})
		cb2, ck2 := c.toCallback("provider=github")
		q := cb2.Query()
		q.Set("code", cb.Query().Get("code"))
		cb2.RawQuery = q.Encode()
		req, _ = http.NewRequest(http.MethodGet, cb2.String(), nil)
		req.AddCookie(ck2)
		if resp, _ := c.bare(req); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("replayed code: %d", resp.StatusCode)
		}
	})
	t.Run("API error", func(t *testing.T) {
		c := newCP(t, func(cfg *Config) { cfg.GitHub = gh.config(rules) })
		gh.mu.Lock()
		gh.failUser = http.StatusInternalServerError
		gh.mu.Unlock()
		defer func() { gh.mu.Lock(); gh.failUser = 0; gh.mu.Unlock() }()
		gh.push(ghUser{ID: 1, Login: "a", Orgs: []string{"acme"}})
		if resp, _ := c.login("provider=github"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
	t.Run("provider not configured", func(t *testing.T) {
		c := newCP(t, func(cfg *Config) { cfg.GitHub = gh.config(rules) })
		if st, _ := c.do(http.MethodGet, "/auth/login?provider=oidc", nil); st != http.StatusNotFound {
			t.Fatalf("%d", st)
		}
		if st, _ := c.do(http.MethodGet, "/auth/login?provider=gitlab", nil); st != http.StatusNotFound {
			t.Fatalf("%d", st)
		}
	})
}

func TestNextLink(t *testing.T) {
	for h, want := range map[string]string{
		`<https://api.github.com/user/orgs?page=2>; rel="next", <https://api.github.com/user/orgs?page=5>; rel="last"`: "https://api.github.com/user/orgs?page=2",
		`<https://evil.example/user/orgs?page=2>; rel="next"`:                                                          "",
		`<https://api.github.com/user/orgs?page=1>; rel="prev"`:                                                        "",
		`garbage`: "",
		``:        "",
	} {
		if got := nextLink(h, "https://api.github.com/"); got != want {
			t.Errorf("%q: %q", h, got)
		}
	}
}
