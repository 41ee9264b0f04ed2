// Package security_test checks the HTTP security middleware of a real
// `photondb serve`: rate limiting with 429 and Retry-After, attack
// patterns refused and their address blacklisted, events reported to a
// Honeytrap receiver, security headers — and legitimate ReQL bodies that
// contain attack-looking data pass.
package security_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"

	"github.com/photondb-io/photondb/tests/consulagent"
	"github.com/photondb-io/photondb/tests/testbin"
)

var bin string

func TestMain(m *testing.M) {
	path, cleanup, err := testbin.Binary()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = path
	code := m.Run()
	cleanup()
	os.Exit(code)
}

func serve(t *testing.T, extra ...string) *testbin.Server {
	t.Helper()
	s, err := testbin.Serve(bin, t.TempDir(), extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop: %v\n%s", err, s.Out.Tail(3000))
		}
	})
	return s
}

func do(t *testing.T, method, url, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestRateLimit(t *testing.T) {
	s := serve(t, "--rate-limit", "5", "--rate-window", "1m", "--rate-limit-exempt", "")
	for i := 0; i < 5; i++ {
		if resp := do(t, "GET", s.URL("/api/v1/databases"), ""); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
	}
	resp := do(t, "GET", s.URL("/api/v1/databases"), "")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("6th request: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Probes are never limited.
	if resp := do(t, "GET", s.URL("/health/ready"), ""); resp.StatusCode != 200 {
		t.Errorf("health probe over the limit: %d", resp.StatusCode)
	}
}

// honeytrap is a local receiver of Honeytrap events.
type honeytrap struct {
	mu     sync.Mutex
	events []map[string]any
}

func (h *honeytrap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev map[string]any
	if err := json.NewDecoder(r.Body).Decode(&ev); err == nil {
		h.mu.Lock()
		h.events = append(h.events, ev)
		h.mu.Unlock()
	}
	w.WriteHeader(http.StatusAccepted)
}

func (h *honeytrap) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.events)
}

func TestAttacksAndHoneytrap(t *testing.T) {
	ht := &honeytrap{}
	rx := httptest.NewServer(ht)
	defer rx.Close()
	t.Setenv("HONEYTRAP_URL", rx.URL)
	s := serve(t, "--rate-limit-exempt", "")

	// Legitimate traffic, including ReQL whose data looks like attacks.
	if resp := do(t, "POST", s.URL("/api/v1/databases"), `{"name":"sec"}`); resp.StatusCode != 201 {
		t.Fatalf("create database: %d", resp.StatusCode)
	}
	q := `{"db":"sec","query":"r.expr(\"' OR '1'='1 <script>alert(1)</script> ../../etc/passwd; cat /etc/passwd\")"}`
	if resp := do(t, "POST", s.URL("/api/query"), q); resp.StatusCode != 200 {
		t.Fatalf("ReQL with attack-looking data: %d", resp.StatusCode)
	}
	resp := do(t, "GET", s.URL("/api/v1/databases?limit=10"), "")
	if resp.StatusCode != 200 {
		t.Fatalf("list: %d", resp.StatusCode)
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("no Content-Security-Policy")
	}
	if ht.count() != 0 {
		t.Fatalf("legitimate traffic reported to Honeytrap: %v", ht.events)
	}

	// A path traversal: refused, the address blacklisted, the event reported.
	if resp := do(t, "GET", s.URL("/api/v1/databases/..%2f..%2fetc%2fpasswd"), ""); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("path traversal: %d", resp.StatusCode)
	}
	if resp := do(t, "GET", s.URL("/api/v1/databases"), ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("blacklisted address got %d", resp.StatusCode)
	}
	for deadline := time.Now().Add(10 * time.Second); ht.count() == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if ht.count() != 1 {
		t.Fatalf("Honeytrap received %d events, want 1", ht.count())
	}
	ev, _ := json.Marshal(ht.events[0])
	if !strings.Contains(string(ev), "127.0.0.1") || !strings.Contains(strings.ToLower(string(ev)), "traversal") {
		t.Errorf("event %s lacks the source address or the category", ev)
	}
}

func call(t *testing.T, method, url, token, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// initialToken reads the owner token serve prints once at first start.
func initialToken(t *testing.T, s *testbin.Server) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		out := s.Out.String()
		if i := strings.Index(out, "initial API token"); i >= 0 {
			lines := strings.SplitN(out[i:], "\n", 3)
			if len(lines) >= 2 && strings.HasPrefix(lines[1], "pdb_") {
				return strings.TrimSpace(lines[1])
			}
		}
	}
	t.Fatalf("no initial token printed:\n%s", s.Out.Tail(3000))
	return ""
}

// Outside dev mode nothing but health, metrics and /auth answers without
// credentials; tokens carry roles; the cluster's node header is not a
// credential.
func TestAuthOutsideDevMode(t *testing.T) {
	dir := t.TempDir()
	s, err := testbin.Serve(bin, dir, "--dev-mode=false")
	if err != nil {
		t.Fatal(err)
	}
	owner := initialToken(t, s)
	if st, body := call(t, "GET", s.URL("/health"), "", ""); st != 200 || strings.Contains(body, "dev mode") {
		t.Errorf("/health: %d %s", st, body)
	}
	for _, path := range []string{"/api/v1/databases", "/api/tables", "/openapi.json", "/api/v1/tokens", "/_node/stats"} {
		if st, _ := call(t, "GET", s.URL(path), "", ""); st != http.StatusUnauthorized {
			t.Errorf("anonymous GET %s: %d", path, st)
		}
	}
	if st, _ := call(t, "POST", s.URL("/api/query"), "", `{"query":"r.dbList()"}`); st != http.StatusUnauthorized {
		t.Errorf("anonymous query: %d", st)
	}
	if st, _ := call(t, "GET", s.URL("/api/v1/databases"), "", "", "X-PhotonDB-Node", "forged"); st != http.StatusUnauthorized {
		t.Errorf("forged node header: %d", st)
	}
	if st, _ := call(t, "GET", s.URL("/api/changes?db=test&table=t"), "", "", "Connection", "Upgrade", "Upgrade", "websocket",
		"Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="); st != http.StatusUnauthorized {
		t.Errorf("anonymous changefeed: %d", st)
	}
	if st, body := call(t, "POST", s.URL("/api/v1/databases"), owner, `{"name":"sec"}`); st != 201 {
		t.Fatalf("owner creates a database: %d %s", st, body)
	}
	st, body := call(t, "POST", s.URL("/api/v1/tokens"), owner, `{"name":"ro","role":"reader"}`)
	if st != 201 {
		t.Fatalf("create reader token: %d %s", st, body)
	}
	var tok struct{ Token string }
	if err := json.Unmarshal([]byte(body), &tok); err != nil || tok.Token == "" {
		t.Fatalf("token body %s", body)
	}
	if st, _ := call(t, "GET", s.URL("/api/v1/databases/sec"), tok.Token, ""); st != 200 {
		t.Errorf("reader reads: %d", st)
	}
	if st, _ := call(t, "POST", s.URL("/api/v1/databases"), tok.Token, `{"name":"nope"}`); st != http.StatusForbidden {
		t.Errorf("reader creates a database: %d", st)
	}
	if st, _ := call(t, "POST", s.URL("/api/v1/tokens"), tok.Token, `{"name":"up","role":"owner"}`); st != http.StatusForbidden {
		t.Errorf("reader mints an owner token: %d", st)
	}
	if st, _ := call(t, "GET", s.URL("/api/v1/databases"), tok.Token+"x", ""); st != http.StatusUnauthorized {
		t.Errorf("tampered token: %d", st)
	}
	// The initial token is printed once per catalog.
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	s2, err := testbin.Serve(bin, dir, "--dev-mode=false")
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Stop()
	if strings.Contains(s2.Out.String(), "initial API token") {
		t.Errorf("initial token printed again after restart")
	}
	if st, _ := call(t, "GET", s2.URL("/api/v1/databases/sec"), owner, ""); st != 200 {
		t.Errorf("owner token after restart: %d", st)
	}
}

// A tenant's queries run as its own ReQL user: they reach its databases
// and nothing else (other tenants', the system database, new databases).
func TestTenantQueryIsolation(t *testing.T) {
	s, op := secureServe(t)
	acme, beta := tenantToken(t, s, op, "acme", "admin"), tenantToken(t, s, op, "beta", "admin")
	if st, body := call(t, "POST", s.URL("/api/v1/databases"), acme, `{"name":"acme_db"}`); st != 201 {
		t.Fatalf("acme creates a database: %d %s", st, body)
	}
	query := func(token, q string) (int, string) {
		b, _ := json.Marshal(map[string]string{"query": q})
		return call(t, "POST", s.URL("/api/query"), token, string(b))
	}
	for _, q := range []string{"r.db('acme_db').tableCreate('t')", "r.db('acme_db').table('t').insert({id: 1, secret: 'acme'})"} {
		if st, body := query(acme, q); st != 200 {
			t.Fatalf("acme: %s: %d %s", q, st, body)
		}
	}
	if st, body := query(acme, "r.db('acme_db').table('t').get(1)('secret')"); st != 200 || !strings.Contains(body, "acme") {
		t.Fatalf("acme reads its table: %d %s", st, body)
	}
	denied := []struct{ token, q string }{
		{beta, "r.db('acme_db').table('t').get(1)"},
		{beta, "r.db('acme_db').table('t').delete()"},
		{beta, "r.db('rethinkdb').table('users')"},
		{acme, "r.db('rethinkdb').table('permissions')"},
		{acme, "r.dbCreate('sneaky')"},
	}
	for _, d := range denied {
		st, body := query(d.token, d.q)
		if st != 400 || !strings.Contains(body, "does not have the required") {
			t.Errorf("%s: %d %s, want a permission error", d.q, st, body)
		}
	}
	// The REST view is scoped the same way.
	if st, _ := call(t, "GET", s.URL("/api/v1/databases/acme_db"), beta, ""); st != 404 {
		t.Errorf("beta sees acme's database: %d", st)
	}
	// Over its storage quota, a tenant's queries may still read and delete
	// but not add data.
	if st, body := call(t, "PATCH", s.URL("/api/v1/tenants/acme"), op, `{"quotas":{"storage_bytes":1}}`); st != 200 {
		t.Fatalf("set quota: %d %s", st, body)
	}
	if st, body := query(acme, "r.db('acme_db').table('t').insert({id: 2})"); st != 403 || !strings.Contains(body, "Quota exceeded") {
		t.Errorf("insert over quota: %d %s", st, body)
	}
	if st, body := query(acme, "r.db('acme_db').table('t').count()"); st != 200 {
		t.Errorf("read over quota: %d %s", st, body)
	}
	if st, body := query(acme, "r.db('acme_db').table('t').get(1).delete()"); st != 200 {
		t.Errorf("delete over quota: %d %s", st, body)
	}
}

// Changefeeds over WebSocket are scoped to the caller's tenant too.
func TestTenantFeedIsolation(t *testing.T) {
	s, op := secureServe(t)
	tokens := map[string]string{"acme": tenantToken(t, s, op, "acme", "admin"), "beta": tenantToken(t, s, op, "beta", "admin")}
	if st, body := call(t, "POST", s.URL("/api/v1/databases"), tokens["acme"], `{"name":"acme_feeds"}`); st != 201 {
		t.Fatalf("create: %d %s", st, body)
	}
	if st, body := call(t, "POST", s.URL("/api/v1/databases/acme_feeds/tables"), tokens["acme"], `{"name":"t"}`); st != 201 {
		t.Fatalf("create table: %d %s", st, body)
	}
	upgrade := []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}
	if st, body := call(t, "GET", s.URL("/api/changes?db=acme_feeds&table=t"), tokens["beta"], "", upgrade...); st != http.StatusNotFound {
		t.Errorf("beta opens acme's feed: %d %s", st, body)
	}
	req, _ := http.NewRequest("GET", s.URL("/api/changes?db=acme_feeds&table=t"), nil)
	req.Header.Set("Authorization", "Bearer "+tokens["acme"])
	for i := 0; i+1 < len(upgrade); i += 2 {
		req.Header.Set(upgrade[i], upgrade[i+1])
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close() // a WebSocket now: do not read it to the end
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Errorf("acme opens its own feed: %d", resp.StatusCode)
	}
}

// A tenant admin gets a driver login that reaches the tenant's databases
// (including ones created later) and nothing else; rotating it retires
// the old password.
func TestTenantDriverCredentials(t *testing.T) {
	s, op := secureServe(t)
	admin := tenantToken(t, s, op, "acme", "admin")
	st, body := call(t, "POST", s.URL("/api/v1/driver-credentials"), admin, "")
	if st != 200 {
		t.Fatalf("driver credentials: %d %s", st, body)
	}
	var creds struct{ User, Password string }
	_ = json.Unmarshal([]byte(body), &creds)
	if st, body := call(t, "POST", s.URL("/api/v1/databases"), admin, `{"name":"later"}`); st != 201 {
		t.Fatalf("create database: %d %s", st, body)
	}
	session, err := r.Connect(r.ConnectOpts{Address: s.DriverAddr(), Username: creds.User, Password: creds.Password})
	if err != nil {
		t.Fatalf("driver login %s: %v", creds.User, err)
	}
	defer session.Close()
	if _, err := r.DB("later").TableCreate("t").RunWrite(session); err != nil {
		t.Errorf("tableCreate in the tenant's new database: %v", err)
	}
	if _, err := r.DB("rethinkdb").Table("users").Run(session); err == nil || !strings.Contains(err.Error(), "does not have the required") {
		t.Errorf("the tenant's driver login reads system tables: %v", err)
	}
	if _, err := r.DBCreate("elsewhere").RunWrite(session); err == nil {
		t.Errorf("the tenant's driver login creates databases outside quotas")
	}
	st, body = call(t, "POST", s.URL("/api/v1/driver-credentials?rotate=true"), admin, "")
	var rotated struct{ User, Password string }
	_ = json.Unmarshal([]byte(body), &rotated)
	if st != 200 || rotated.Password == creds.Password {
		t.Fatalf("rotate: %d %s", st, body)
	}
	if s2, err := r.Connect(r.ConnectOpts{Address: s.DriverAddr(), Username: creds.User, Password: creds.Password}); err == nil {
		s2.Close()
		t.Errorf("the old password still logs in after rotation")
	}
	if s3, err := r.Connect(r.ConnectOpts{Address: s.DriverAddr(), Username: rotated.User, Password: rotated.Password}); err != nil {
		t.Errorf("the new password: %v", err)
	} else {
		s3.Close()
	}
	// Readers may not see the password.
	reader := tenantToken(t, s, op, "acme", "reader")
	if st, _ := call(t, "POST", s.URL("/api/v1/driver-credentials"), reader, ""); st != 403 {
		t.Errorf("a reader gets driver credentials: %d", st)
	}
}

// The Consul deployment outside dev mode: the control plane and the data
// node authenticate each other with the cluster secret, users need tokens,
// drivers need the generated admin password.
func TestClusterOutsideDevMode(t *testing.T) {
	agent := consulagent.Start(t)
	t.Setenv("PHOTONDB_CLUSTER_SECRET", "0123456789abcdef0123456789abcdef-cluster")
	s, err := testbin.Cluster(bin, t.TempDir(), agent.Addr, "secure/", "--dev-mode=false")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	tok := s.InitialToken()
	if tok == "" {
		t.Fatal("the control plane printed no initial token")
	}
	if st, _ := call(t, "GET", s.URL("/api/v1/databases"), "", ""); st != http.StatusUnauthorized {
		t.Errorf("anonymous: %d", st)
	}
	if st, body := call(t, "POST", s.URL("/api/v1/databases"), tok, `{"name":"c"}`); st != 201 {
		t.Fatalf("create database: %d %s", st, body)
	}
	if st, body := call(t, "POST", s.URL("/api/v1/databases/c/tables"), tok, `{"name":"t"}`); st != 201 {
		t.Fatalf("create table: %d %s", st, body)
	}
	// The table reached the data node (which followed the catalog with the
	// cluster secret): a query runs there.
	if st, body := call(t, "POST", s.URL("/api/query"), tok, `{"query":"r.db('c').table('t').count()"}`); st != 200 || !strings.Contains(body, `"result":0`) {
		t.Errorf("query on the data node: %d %s", st, body)
	}
	if sess, err := r.Connect(r.ConnectOpts{Address: s.DriverAddr()}); err == nil {
		sess.Close()
		t.Errorf("the data node's driver port let admin in without a password")
	}
}

// Cluster-wide operations are the platform operators', not any tenant
// owner's.
func TestTenantOwnersCannotRunTheCluster(t *testing.T) {
	s, op := secureServe(t)
	owner := tenantToken(t, s, op, "acme", "owner")
	_, body := call(t, "GET", s.URL("/api/v1/nodes"), op, "")
	var nodes struct{ Nodes []struct{ ID string } }
	_ = json.Unmarshal([]byte(body), &nodes)
	if len(nodes.Nodes) != 1 {
		t.Fatalf("nodes: %s", body)
	}
	node := nodes.Nodes[0].ID
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/v1/nodes/" + node + "/drain"},
		{"DELETE", "/api/v1/nodes/" + node},
		{"POST", "/api/v1/admin/compact"},
		{"GET", "/api/v1/tenants"},
		{"POST", "/api/v1/tenants"},
		{"PATCH", "/api/v1/tenants/acme"},
		{"GET", "/api/v1/users"},
	} {
		body := ""
		if c.method == "POST" && c.path == "/api/v1/tenants" {
			body = `{"name":"x"}`
		}
		if c.method == "PATCH" {
			body = `{"quotas":{"databases":100}}`
		}
		if st, b := call(t, c.method, s.URL(c.path), owner, body); st != http.StatusForbidden {
			t.Errorf("acme's owner: %s %s = %d %s", c.method, c.path, st, b)
		}
	}
	// The operator may.
	if st, b := call(t, "POST", s.URL("/api/v1/admin/compact"), op, ""); st != 200 {
		t.Errorf("operator compacts: %d %s", st, b)
	}
}

// secureServe starts serve outside dev mode; it returns the server and the
// owner token it printed.
func secureServe(t *testing.T) (*testbin.Server, string) {
	t.Helper()
	s, err := testbin.Serve(bin, t.TempDir(), "--dev-mode=false")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s, initialToken(t, s)
}

// tenantToken creates tenant (if new) with the operator's token op and
// returns a token of role in it.
func tenantToken(t *testing.T, s *testbin.Server, op, tenant, role string) string {
	t.Helper()
	if st, body := call(t, "POST", s.URL("/api/v1/tenants"), op, `{"name":"`+tenant+`"}`); st != 201 && st != 409 {
		t.Fatalf("create tenant %s: %d %s", tenant, st, body)
	}
	st, body := call(t, "POST", s.URL("/api/v1/tokens"), op, `{"name":"`+role+`","role":"`+role+`","tenant":"`+tenant+`"}`)
	var tok struct{ Token string }
	if err := json.Unmarshal([]byte(body), &tok); st != 201 || err != nil || tok.Token == "" {
		t.Fatalf("%s token for %s: %d %s", role, tenant, st, body)
	}
	return tok.Token
}
