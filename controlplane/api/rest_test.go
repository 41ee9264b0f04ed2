package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/photondb-io/photondb/controlplane/catalog/boltcat"
	"github.com/photondb-io/photondb/controlplane/meta"
	"github.com/photondb-io/photondb/controlplane/nodeclient"
	"github.com/photondb-io/photondb/shared/health"
)

func TestStatusFor(t *testing.T) {
	tests := []struct {
		kind nodeclient.Kind
		want int
	}{
		{nodeclient.KindExists, http.StatusConflict},
		{nodeclient.KindConflict, http.StatusConflict},
		{nodeclient.KindNotFound, http.StatusNotFound},
		{nodeclient.KindInvalid, http.StatusUnprocessableEntity},
		{nodeclient.KindUnavailable, http.StatusServiceUnavailable},
		{nodeclient.KindInternal, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := statusFor(tt.kind); got != tt.want {
			t.Errorf("statusFor(%v) = %d, want %d", tt.kind, got, tt.want)
		}
	}
}

// failingNode is a data node whose every call fails with err.
type failingNode struct{ err error }

func (f failingNode) Indexes(context.Context, string, string) ([]nodeclient.Index, error) {
	return nil, f.err
}
func (f failingNode) Count(context.Context, string, string) (int64, error) { return 0, f.err }
func (f failingNode) Documents(context.Context, string, string, string, any, int) ([]json.RawMessage, error) {
	return nil, f.err
}
func (f failingNode) Insert(context.Context, string, string, []json.RawMessage, string) (nodeclient.WriteResult, error) {
	return nodeclient.WriteResult{}, f.err
}
func (f failingNode) Query(context.Context, json.RawMessage, string) (any, error) { return nil, f.err }
func (f failingNode) QueryAs(context.Context, string, string, json.RawMessage, string) (any, error) {
	return nil, f.err
}
func (f failingNode) EnsureUser(context.Context, string, string, []string) error { return f.err }

// newTestAPI serves the REST API over a real embedded catalog; the data
// node fails every call with nodeErr (nil: unreachable).
func newTestAPI(t *testing.T, nodeErr error) http.Handler {
	t.Helper()
	cat, err := boltcat.Open(filepath.Join(t.TempDir(), "catalog.db"), boltcat.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	svc, err := meta.New(context.Background(), cat)
	if err != nil {
		t.Fatal(err)
	}
	if nodeErr == nil {
		nodeErr = &nodeclient.Error{Kind: nodeclient.KindUnavailable, Message: "no connections were available"}
	}
	h, err := NewHandler(health.NewRegistry(), Options{REST: &REST{
		Meta: svc, Registry: meta.EmbeddedRegistry{S: svc}, Node: failingNode{nodeErr}, DevMode: true,
		ParseReQL: func(src string) (json.RawMessage, error) {
			if src == "bad" {
				return nil, fmt.Errorf("Syntax error at 1:1: unexpected identifier 'bad'")
			}
			return json.RawMessage(`[1]`), nil
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type step struct {
	method, path, body string
	header             map[string]string
	status             int
	detail             string // problem detail, when the status is an error
	check              func(t *testing.T, rec *httptest.ResponseRecorder)
}

func runSteps(t *testing.T, h http.Handler, steps []step) {
	t.Helper()
	for i, s := range steps {
		var rd io.Reader
		if s.body != "" {
			rd = strings.NewReader(s.body)
		}
		req := httptest.NewRequest(s.method, s.path, rd)
		if s.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range s.header {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != s.status {
			t.Fatalf("step %d: %s %s = %d, want %d: %s", i, s.method, s.path, rec.Code, s.status, rec.Body)
		}
		if s.status >= 400 {
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("step %d: Content-Type %q, want application/problem+json", i, ct)
			}
			var p struct {
				Status int    `json:"status"`
				Title  string `json:"title"`
				Detail string `json:"detail"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			if p.Status != s.status || p.Title != http.StatusText(s.status) {
				t.Errorf("step %d: problem %+v", i, p)
			}
			if s.detail != "" && p.Detail != s.detail {
				t.Errorf("step %d: detail %q, want %q", i, p.Detail, s.detail)
			}
		}
		if s.check != nil {
			s.check(t, rec)
		}
	}
}

func jsonBody(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("body: %v: %s", err, rec.Body)
	}
	return v
}

func names(t *testing.T, rec *httptest.ResponseRecorder, field string) []string {
	var out []string
	for _, item := range jsonBody(t, rec)[field].([]any) {
		out = append(out, item.(map[string]any)["name"].(string))
	}
	return out
}

func TestRESTErrors(t *testing.T) {
	h := newTestAPI(t, nil)
	runSteps(t, h, []step{
		{method: "POST", path: "/api/v1/databases", body: `{"name":"shop"}`, status: 201},
		{method: "POST", path: "/api/v1/databases", body: `{"name":"shop"}`, status: 409, detail: "Database `shop` already exists."},
		{method: "POST", path: "/api/v1/databases", body: `{"name":"a b"}`, status: 422, detail: "Database name `a b` invalid (Use A-Z, a-z, 0-9, _ and - only)."},
		{method: "POST", path: "/api/v1/databases", body: `{"name":"rethinkdb"}`, status: 422},
		{method: "POST", path: "/api/v1/databases", body: `{"nam":"x"}`, status: 422},
		{method: "GET", path: "/api/v1/databases/nope", status: 404, detail: "Database `nope` does not exist."},
		{method: "DELETE", path: "/api/v1/databases/nope", status: 404},
		{method: "POST", path: "/api/v1/databases/nope/tables", body: `{"name":"t"}`, status: 404},
		{method: "POST", path: "/api/v1/databases/shop/tables", body: `{"name":"users"}`, status: 201},
		{method: "POST", path: "/api/v1/databases/shop/tables", body: `{"name":"users"}`, status: 409, detail: "Table `shop.users` already exists."},
		{method: "POST", path: "/api/v1/databases/shop/tables", body: `{"name":"t$"}`, status: 422},
		{method: "POST", path: "/api/v1/databases/shop/tables", body: `{"name":"t","shards":65}`, status: 422},
		{method: "POST", path: "/api/v1/databases/shop/tables", body: `{"name":"t","durability":"maybe"}`, status: 422},
		{method: "GET", path: "/api/v1/databases/shop/tables/nope", status: 404, detail: "Table `shop.nope` does not exist."},
		{method: "DELETE", path: "/api/v1/databases/shop", status: 409, detail: "Database `shop` has 1 tables; drop them first or use force."},
		{method: "GET", path: "/api/v1/databases/shop/tables/users/indexes", status: 503},
		{method: "GET", path: "/api/v1/databases/shop/tables/users/documents", status: 503},
		{method: "GET", path: "/api/v1/databases/shop/tables/users/documents?cursor=!!!", status: 400},
		{method: "GET", path: "/api/v1/databases?cursor=***", status: 400},
		{method: "GET", path: "/api/v1/databases?limit=0", status: 422},
		{method: "POST", path: "/api/query", body: `{"query":"bad"}`, status: 400, detail: "Syntax error at 1:1: unexpected identifier 'bad'"},
		{method: "POST", path: "/api/query", body: `{"query":"r.expr(1)"}`, status: 503},
		{method: "POST", path: "/api/query", body: `{"query":"r.table('x')","db":"nope"}`, status: 404},
		{method: "DELETE", path: "/api/v1/databases/shop?force=true", status: 204},
		{method: "GET", path: "/api/v1/databases/shop", status: 404},
		{method: "POST", path: "/api/v1/tokens", body: `{"name":"ci","role":"boss"}`, status: 422},
		{method: "DELETE", path: "/api/v1/tokens/nope", status: 404},
		{method: "DELETE", path: "/api/v1/nodes/nope", status: 404},
		{method: "POST", path: "/api/v1/nodes/nope/drain", status: 404},
		{method: "DELETE", path: "/api/v1/tenants/default", status: 409},
		{method: "GET", path: "/api/v1/tenants/nope", status: 404},
	})
}

// Query errors carry RethinkDB's message; their status says whose fault.
func TestRESTQueryErrors(t *testing.T) {
	tests := []struct {
		err    error
		status int
	}{
		{&nodeclient.Error{Kind: nodeclient.KindInvalid, Message: "Expected type NUMBER but found STRING."}, 400},
		{&nodeclient.Error{Kind: nodeclient.KindNotFound, Message: "Table `test.x` does not exist."}, 404},
		{&nodeclient.Error{Kind: nodeclient.KindConflict, Message: "Duplicate primary key `id`."}, 400},
		{&nodeclient.Error{Kind: nodeclient.KindUnavailable, Message: "connection refused"}, 503},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			runSteps(t, newTestAPI(t, tt.err), []step{
				{method: "POST", path: "/api/query", body: `{"query":"r.expr(1)"}`, status: tt.status, detail: tt.err.Error()},
			})
		})
	}
}

func TestRESTPagination(t *testing.T) {
	h := newTestAPI(t, nil)
	var steps []step
	for i := 0; i < 7; i++ {
		steps = append(steps, step{method: "POST", path: "/api/v1/databases", body: fmt.Sprintf(`{"name":"db%d"}`, i), status: 201})
	}
	runSteps(t, h, steps)
	// Walk pages of 3 (the catalog starts empty: "test" comes from a data
	// node registering its databases).
	var got []string
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		path := "/api/v1/databases?limit=3"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		var body map[string]any
		runSteps(t, h, []step{{method: "GET", path: path, status: 200, check: func(t *testing.T, rec *httptest.ResponseRecorder) {
			body = jsonBody(t, rec)
			got = append(got, names(t, rec, "databases")...)
		}}})
		next, _ := body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	want := []string{"db0", "db1", "db2", "db3", "db4", "db5", "db6"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pages gave %v, want %v", got, want)
	}
}

func TestRESTETagIfMatch(t *testing.T) {
	h := newTestAPI(t, nil)
	var etag string
	runSteps(t, h, []step{
		{method: "POST", path: "/api/v1/databases", body: `{"name":"shop"}`, status: 201},
		{method: "POST", path: "/api/v1/databases/shop/tables", body: `{"name":"users"}`, status: 201},
		{method: "GET", path: "/api/v1/databases/shop/tables/users", status: 200, check: func(t *testing.T, rec *httptest.ResponseRecorder) {
			etag = rec.Header().Get("ETag")
			if !strings.HasPrefix(etag, `"`) {
				t.Fatalf("ETag %q", etag)
			}
		}},
	})
	runSteps(t, h, []step{
		{method: "PATCH", path: "/api/v1/databases/shop/tables/users", body: `{"shards":2}`, header: map[string]string{"If-Match": etag}, status: 200,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if jsonBody(t, rec)["shards"] != 2.0 {
					t.Errorf("shards not updated: %s", rec.Body)
				}
				if rec.Header().Get("ETag") == etag {
					t.Errorf("ETag did not change")
				}
			}},
		// The old ETag is stale now.
		{method: "PATCH", path: "/api/v1/databases/shop/tables/users", body: `{"shards":3}`, header: map[string]string{"If-Match": etag}, status: 412},
		{method: "DELETE", path: "/api/v1/databases/shop/tables/users", header: map[string]string{"If-Match": etag}, status: 412},
		{method: "DELETE", path: "/api/v1/databases/shop/tables/users", header: map[string]string{"If-Match": "garbage"}, status: 400},
		{method: "GET", path: "/api/v1/databases/shop/tables/users", status: 200, check: func(t *testing.T, rec *httptest.ResponseRecorder) {
			if jsonBody(t, rec)["shards"] != 2.0 {
				t.Errorf("a stale If-Match changed the table: %s", rec.Body)
			}
		}},
		{method: "PATCH", path: "/api/v1/databases/shop/tables/users", body: `{"replicas":0}`, status: 422},
		{method: "DELETE", path: "/api/v1/databases/shop/tables/users", header: map[string]string{"If-Match": "*"}, status: 204},
	})
}

func TestRESTTenantsAndQuotas(t *testing.T) {
	h := newTestAPI(t, nil)
	acme := map[string]string{"X-PhotonDB-Tenant": "acme"}
	runSteps(t, h, []step{
		{method: "POST", path: "/api/v1/tenants", body: `{"name":"acme","quotas":{"databases":1,"tables":2}}`, status: 201},
		{method: "POST", path: "/api/v1/tenants", body: `{"name":"acme"}`, status: 409},
		{method: "POST", path: "/api/v1/tenants", body: `{"name":"bad name"}`, status: 422},
		{method: "POST", path: "/api/v1/databases", body: `{"name":"a1"}`, header: acme, status: 201},
		{method: "POST", path: "/api/v1/databases", body: `{"name":"a2"}`, header: acme, status: 403,
			detail: "Quota exceeded: tenant `acme` may have at most 1 databases."},
		{method: "POST", path: "/api/v1/databases/a1/tables", body: `{"name":"t1"}`, header: acme, status: 201},
		{method: "POST", path: "/api/v1/databases/a1/tables", body: `{"name":"t2"}`, header: acme, status: 201},
		{method: "POST", path: "/api/v1/databases/a1/tables", body: `{"name":"t3"}`, header: acme, status: 403,
			detail: "Quota exceeded: tenant `acme` may have at most 2 tables."},
		// Other tenants see none of acme's databases.
		{method: "GET", path: "/api/v1/databases", status: 200, check: func(t *testing.T, rec *httptest.ResponseRecorder) {
			if n := names(t, rec, "databases"); len(n) != 0 {
				t.Errorf("default tenant sees %v", n)
			}
		}},
		{method: "GET", path: "/api/v1/databases/a1", status: 404},
		{method: "GET", path: "/api/tables", header: acme, status: 200, check: func(t *testing.T, rec *httptest.ResponseRecorder) {
			if n := names(t, rec, "tables"); fmt.Sprint(n) != "[t1 t2]" {
				t.Errorf("acme's tables %v", n)
			}
		}},
		{method: "GET", path: "/api/v1/tenants/acme", status: 200, check: func(t *testing.T, rec *httptest.ResponseRecorder) {
			u := jsonBody(t, rec)["usage"].(map[string]any)
			if u["databases"] != 1.0 || u["tables"] != 2.0 {
				t.Errorf("usage %v", u)
			}
		}},
		// Dropping frees quota.
		{method: "DELETE", path: "/api/v1/databases/a1/tables/t2", header: acme, status: 204},
		{method: "POST", path: "/api/v1/databases/a1/tables", body: `{"name":"t3"}`, header: acme, status: 201},
		{method: "DELETE", path: "/api/v1/tenants/acme", status: 409},
		{method: "PATCH", path: "/api/v1/tenants/acme", body: `{"quotas":{"databases":2}}`, status: 200},
		{method: "POST", path: "/api/v1/databases", body: `{"name":"a2"}`, header: acme, status: 201},
		{method: "DELETE", path: "/api/v1/databases/a1?force=true", header: acme, status: 204},
		{method: "DELETE", path: "/api/v1/databases/a2", header: acme, status: 204},
		{method: "DELETE", path: "/api/v1/tenants/acme", status: 204},
		{method: "POST", path: "/api/v1/databases", body: `{"name":"x"}`, header: acme, status: 404, detail: "Tenant `acme` does not exist."},
	})
}

func TestRESTTokens(t *testing.T) {
	h := newTestAPI(t, nil)
	var id, secret string
	runSteps(t, h, []step{
		{method: "POST", path: "/api/v1/tokens", body: `{"name":"ci","role":"developer"}`, status: 201, check: func(t *testing.T, rec *httptest.ResponseRecorder) {
			b := jsonBody(t, rec)
			id, secret = b["id"].(string), b["token"].(string)
			if !strings.HasPrefix(secret, "pdb_") {
				t.Errorf("token %q", secret)
			}
		}},
		{method: "GET", path: "/api/v1/tokens", status: 200, check: func(t *testing.T, rec *httptest.ResponseRecorder) {
			if strings.Contains(rec.Body.String(), secret) || strings.Contains(rec.Body.String(), `"hash"`) {
				t.Errorf("token list shows the secret or its hash: %s", rec.Body)
			}
			if n := names(t, rec, "tokens"); fmt.Sprint(n) != "[ci]" {
				t.Errorf("tokens %v", n)
			}
		}},
	})
	runSteps(t, h, []step{
		{method: "DELETE", path: "/api/v1/tokens/" + id, status: 204},
		{method: "DELETE", path: "/api/v1/tokens/" + id, status: 404},
	})
}

func TestRESTNotMountedWithoutREST(t *testing.T) {
	h, err := NewHandler(health.NewRegistry(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/api/v1/databases", "/openapi.json", "/docs"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d without the REST API, want 404", p, rec.Code)
		}
	}
}

func TestGrowsData(t *testing.T) {
	tests := []struct {
		term string
		want bool
	}{
		{`[15,["t"]]`, false},
		{`[54,[[15,["t"]]]]`, false},                                       // delete
		{`[56,[[15,["t"]],{"a":1}]]`, true},                                // insert
		{`[39,[[15,["t"]],[69,[[2,[1]],[53,[[10,[1]],{"x":1}]]]]]]`, true}, // update inside a function
		{`{"a":[56,[]]}`, true},
		{`[61,[[14,["d"]],"t"]]`, false}, // table_drop
		{`[60,[[14,["d"]],"t"]]`, true},  // table_create
		{`not json`, true},
	}
	for _, tt := range tests {
		if got := growsData(json.RawMessage(tt.term)); got != tt.want {
			t.Errorf("growsData(%s) = %v, want %v", tt.term, got, tt.want)
		}
	}
}
