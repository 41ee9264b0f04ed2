package rest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func call(t *testing.T, s *server, method, path, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL(path), rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	if len(raw) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, &out.Body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v\n%s", method, path, err, raw)
		}
	}
	return out
}

// expect asserts the status and returns the response.
func expect(t *testing.T, s *server, method, path, body string, status int) response {
	t.Helper()
	resp := call(t, s, method, path, body)
	if resp.Status != status {
		t.Fatalf("%s %s: status %d, want %d\n%s", method, path, resp.Status, status, resp.Raw)
	}
	return resp
}

// expectProblem asserts an RFC 9457 problem+json answer with the given
// status and detail.
func expectProblem(t *testing.T, s *server, method, path, body string, status int, detail string) {
	t.Helper()
	resp := expect(t, s, method, path, body, status)
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s %s: Content-Type %q, want application/problem+json", method, path, ct)
	}
	if got := resp.Body["status"]; got != float64(status) {
		t.Errorf("%s %s: problem status %v, want %d", method, path, got, status)
	}
	if got := resp.Body["title"]; got != http.StatusText(status) {
		t.Errorf("%s %s: problem title %v, want %q", method, path, got, http.StatusText(status))
	}
	if detail != "" && resp.Body["detail"] != detail {
		t.Errorf("%s %s: problem detail %q, want %q", method, path, resp.Body["detail"], detail)
	}
}

func names(t *testing.T, resp response, key string) []string {
	t.Helper()
	list, ok := resp.Body[key].([]any)
	if !ok {
		t.Fatalf("no %q list in %s", key, resp.Raw)
	}
	out := []string{}
	for _, v := range list {
		out = append(out, v.(map[string]any)["name"].(string))
	}
	return out
}

func TestDatabases(t *testing.T) { eachMode(t, testDatabases) }

func testDatabases(t *testing.T, m mode) {
	s := startServer(t, m)

	resp := expect(t, s, "GET", "/api/v1/databases", "", 200)
	// The system database `rethinkdb` belongs to no tenant: it is not listed.
	if got := names(t, resp, "databases"); !reflect.DeepEqual(got, []string{"test"}) {
		t.Errorf("initial databases %v", got)
	}

	resp = expect(t, s, "POST", "/api/v1/databases", `{"name":"shop"}`, 201)
	if resp.Body["name"] != "shop" {
		t.Errorf("create body %s", resp.Raw)
	}
	if loc := resp.Header.Get("Location"); loc != "/api/v1/databases/shop" {
		t.Errorf("Location %q", loc)
	}
	resp = expect(t, s, "GET", "/api/v1/databases", "", 200)
	if got := names(t, resp, "databases"); !reflect.DeepEqual(got, []string{"shop", "test"}) {
		t.Errorf("databases after create %v", got)
	}

	expectProblem(t, s, "POST", "/api/v1/databases", `{"name":"shop"}`, 409, "Database `shop` already exists.")
	expectProblem(t, s, "POST", "/api/v1/databases", `{"name":"a b"}`, 422, "Database name `a b` invalid (Use A-Z, a-z, 0-9, _ and - only).")
	expectProblem(t, s, "POST", "/api/v1/databases", `{}`, 422, "")
	expectProblem(t, s, "POST", "/api/v1/databases", `not json`, 400, "")

	expect(t, s, "DELETE", "/api/v1/databases/shop", "", 204)
	expectProblem(t, s, "DELETE", "/api/v1/databases/shop", "", 404, "Database `shop` does not exist.")
	resp = expect(t, s, "GET", "/api/v1/databases", "", 200)
	if got := names(t, resp, "databases"); !reflect.DeepEqual(got, []string{"test"}) {
		t.Errorf("databases after drop %v", got)
	}
}

func TestTables(t *testing.T) { eachMode(t, testTables) }

func testTables(t *testing.T, m mode) {
	s := startServer(t, m)
	expect(t, s, "POST", "/api/v1/databases", `{"name":"app"}`, 201)

	resp := expect(t, s, "GET", "/api/v1/databases/app/tables", "", 200)
	if got := names(t, resp, "tables"); len(got) != 0 {
		t.Errorf("tables of a new database: %v", got)
	}

	resp = expect(t, s, "POST", "/api/v1/databases/app/tables", `{"name":"users","primary_key":"email","durability":"soft"}`, 201)
	want := map[string]any{"db": "app", "name": "users", "primary_key": "email", "durability": "soft"}
	for k, v := range want {
		if resp.Body[k] != v {
			t.Errorf("create table: %s = %v, want %v (%s)", k, resp.Body[k], v, resp.Raw)
		}
	}
	if loc := resp.Header.Get("Location"); loc != "/api/v1/databases/app/tables/users" {
		t.Errorf("Location %q", loc)
	}
	resp = expect(t, s, "POST", "/api/v1/databases/app/tables", `{"name":"events"}`, 201)
	if resp.Body["primary_key"] != "id" || resp.Body["durability"] != "hard" {
		t.Errorf("defaults: %s", resp.Raw)
	}

	resp = expect(t, s, "GET", "/api/v1/databases/app/tables", "", 200)
	list := resp.Body["tables"].([]any)
	if len(list) != 2 {
		t.Fatalf("tables: %s", resp.Raw)
	}
	wantList := []map[string]any{
		{"db": "app", "name": "events", "primary_key": "id", "durability": "hard"},
		{"db": "app", "name": "users", "primary_key": "email", "durability": "soft"},
	}
	for i, w := range wantList {
		got := list[i].(map[string]any)
		for k, v := range w {
			if got[k] != v {
				t.Errorf("tables[%d].%s = %v, want %v", i, k, got[k], v)
			}
		}
		if got["shards"] != 1.0 || got["replicas"] != 1.0 || got["write_acks"] != "majority" || got["id"] == "" {
			t.Errorf("tables[%d] defaults: %v", i, got)
		}
	}

	expectProblem(t, s, "POST", "/api/v1/databases/app/tables", `{"name":"users"}`, 409, "Table `app.users` already exists.")
	expectProblem(t, s, "POST", "/api/v1/databases/app/tables", `{"name":"bad name"}`, 422, "Table name `bad name` invalid (Use A-Z, a-z, 0-9, _ and - only).")
	expectProblem(t, s, "POST", "/api/v1/databases/app/tables", `{"name":"t","durability":"sometimes"}`, 422, "")
	expectProblem(t, s, "POST", "/api/v1/databases/nope/tables", `{"name":"t"}`, 404, "Database `nope` does not exist.")
	expectProblem(t, s, "GET", "/api/v1/databases/nope/tables", "", 404, "Database `nope` does not exist.")

	// A table created over REST is usable through the official driver.
	session, err := r.Connect(r.ConnectOpts{Address: s.DriverAddr()})
	if err != nil {
		t.Fatalf("driver connect: %v", err)
	}
	defer session.Close()
	if _, err := r.DB("app").Table("users").Insert(map[string]any{"email": "ada@example.com", "name": "Ada"}).RunWrite(session); err != nil {
		t.Fatalf("insert: %v", err)
	}
	cur, err := r.DB("app").Table("users").Get("ada@example.com").Run(session)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	var doc map[string]any
	if err := cur.One(&doc); err != nil {
		t.Fatalf("get: %v", err)
	}
	if doc["name"] != "Ada" {
		t.Errorf("document %v", doc)
	}

	expect(t, s, "DELETE", "/api/v1/databases/app/tables/users", "", 204)
	expectProblem(t, s, "DELETE", "/api/v1/databases/app/tables/users", "", 404, "Table `app.users` does not exist.")
	expectProblem(t, s, "DELETE", "/api/v1/databases/nope/tables/users", "", 404, "Database `nope` does not exist.")
	resp = expect(t, s, "GET", "/api/v1/databases/app/tables", "", 200)
	if got := names(t, resp, "tables"); !reflect.DeepEqual(got, []string{"events"}) {
		t.Errorf("tables after drop: %v", got)
	}
	// The driver sees the drop too.
	cur, err = r.DB("app").TableList().Run(session)
	if err != nil {
		t.Fatal(err)
	}
	var tl []string
	if err := cur.All(&tl); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tl, []string{"events"}) {
		t.Errorf("driver tableList after drop: %v", tl)
	}
}

func TestOpenAPIAndDocs(t *testing.T) { eachMode(t, testOpenAPIAndDocs) }

func testOpenAPIAndDocs(t *testing.T, m mode) {
	s := startServer(t, m)
	resp := expect(t, s, "GET", "/openapi.json", "", 200)
	v, _ := resp.Body["openapi"].(string)
	if !strings.HasPrefix(v, "3.1") {
		t.Errorf("openapi version %q, want 3.1.x", v)
	}
	paths, ok := resp.Body["paths"].(map[string]any)
	if !ok {
		t.Fatalf("no paths: %.500s", resp.Raw)
	}
	want := map[string][]string{
		"/api/v1/databases":                               {"get", "post"},
		"/api/v1/databases/{db}":                          {"get", "delete"},
		"/api/v1/databases/{db}/tables":                   {"get", "post"},
		"/api/v1/databases/{db}/tables/{table}":           {"get", "patch", "delete"},
		"/api/v1/databases/{db}/tables/{table}/indexes":   {"get"},
		"/api/v1/databases/{db}/tables/{table}/shards":    {"get"},
		"/api/v1/databases/{db}/tables/{table}/documents": {"get", "post"},
		"/api/v1/tenants":                                 {"get", "post"},
		"/api/v1/tenants/{tenant}":                        {"get", "patch", "delete"},
		"/api/v1/tokens":                                  {"get", "post"},
		"/api/v1/tokens/{id}":                             {"delete"},
		"/api/v1/nodes":                                   {"get"},
		"/api/v1/nodes/{id}":                              {"put", "delete"},
		"/api/v1/nodes/{id}/drain":                        {"post"},
		"/api/v1/status":                                  {"get"},
		"/api/query":                                      {"post"},
		"/api/tables":                                     {"get"},
	}
	for p, methods := range want {
		item, ok := paths[p].(map[string]any)
		if !ok {
			t.Errorf("path %s missing from OpenAPI", p)
			continue
		}
		for _, m := range methods {
			if _, ok := item[m]; !ok {
				t.Errorf("%s %s missing from OpenAPI", m, p)
			}
		}
	}

	docs := expect(t, s, "GET", "/docs", "", 200)
	if !strings.Contains(docs.Header.Get("Content-Type"), "text/html") || !strings.Contains(docs.Raw, "openapi") {
		t.Errorf("docs: %s %.300s", docs.Header.Get("Content-Type"), docs.Raw)
	}
}
