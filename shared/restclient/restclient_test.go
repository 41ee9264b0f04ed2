package restclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/photondb-io/photondb/shared/restclient"
	"github.com/photondb-io/photondb/tests/testbin"
)

var srv *testbin.Server

// TestMain runs every test against one real `photondb serve` (the binary
// from $PHOTONDB_BIN or a fresh build).
func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	bin, cleanup, err := testbin.Binary()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	dir, err := testbin.TempDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	srv, err = testbin.Serve(bin, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if err := srv.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "photondb serve: %v\n%s\n", err, srv.Out.Tail(8000))
		code = 1
	}
	return code
}

func newClient() *restclient.Client {
	return restclient.New(srv.URL(""), "", &http.Client{Timeout: 30 * time.Second})
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// expectProblem asserts err is the API's problem with this status and
// detail, and that its message is the detail.
func expectProblem(t *testing.T, err error, status int, detail string) {
	t.Helper()
	var e *restclient.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want a *restclient.Error", err, err)
	}
	if e.Status != status || e.Title != http.StatusText(status) || e.Detail != detail {
		t.Errorf("problem %d %q %q, want %d %q %q", e.Status, e.Title, e.Detail, status, http.StatusText(status), detail)
	}
	if err.Error() != detail {
		t.Errorf("Error() = %q, want the detail %q", err.Error(), detail)
	}
	if restclient.StatusOf(err) != status {
		t.Errorf("StatusOf = %d, want %d", restclient.StatusOf(err), status)
	}
}

func TestDatabases(t *testing.T) {
	c, ctx := newClient(), ctxFor(t)
	d, err := c.CreateDatabase(ctx, "rc_db")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "rc_db" || d.Tenant != "default" || d.CreatedAt.IsZero() || d.ID == "" {
		t.Errorf("created %+v", d)
	}
	_, err = c.CreateDatabase(ctx, "rc_db")
	expectProblem(t, err, http.StatusConflict, "Database `rc_db` already exists.")
	if !restclient.IsConflict(err) {
		t.Errorf("IsConflict(%v) = false", err)
	}
	_, err = c.CreateDatabase(ctx, "bad name")
	expectProblem(t, err, http.StatusUnprocessableEntity, "Database name `bad name` invalid (Use A-Z, a-z, 0-9, _ and - only).")

	got, err := c.GetDatabase(ctx, "rc_db")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "rc_db" || got.ETag == "" {
		t.Errorf("get: %+v (ETag %q)", got, got.ETag)
	}
	_, err = c.GetDatabase(ctx, "rc_nope")
	expectProblem(t, err, http.StatusNotFound, "Database `rc_nope` does not exist.")
	if !restclient.IsNotFound(err) {
		t.Errorf("IsNotFound(%v) = false", err)
	}

	all, err := c.AllDatabases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !hasDB(all, "rc_db") {
		t.Errorf("AllDatabases has no rc_db: %+v", all)
	}

	if _, err := c.CreateTable(ctx, "rc_db", restclient.TableSpec{Name: "t"}); err != nil {
		t.Fatal(err)
	}
	err = c.DropDatabase(ctx, "rc_db", restclient.DropOptions{})
	expectProblem(t, err, http.StatusConflict, "Database `rc_db` has 1 tables; drop them first or use force.")
	if err := c.DropDatabase(ctx, "rc_db", restclient.DropOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	err = c.DropDatabase(ctx, "rc_db", restclient.DropOptions{})
	expectProblem(t, err, http.StatusNotFound, "Database `rc_db` does not exist.")
}

func hasDB(dbs []restclient.Database, name string) bool {
	for _, d := range dbs {
		if d.Name == name {
			return true
		}
	}
	return false
}

// TestPagination walks a list page by page, by hand and with the
// iterator.
func TestPagination(t *testing.T) {
	c, ctx := newClient(), ctxFor(t)
	for i := range 5 {
		name := fmt.Sprintf("rc_page%d", i)
		if _, err := c.CreateDatabase(ctx, name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.DropDatabase(context.Background(), name, restclient.DropOptions{Force: true}) })
	}
	page, next, err := c.ListDatabases(ctx, restclient.Page{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || next == "" {
		t.Fatalf("first page: %d databases, next %q; want 2 and a cursor", len(page), next)
	}
	seen := map[string]int{}
	pages := 0
	for p := (restclient.Page{Limit: 2}); ; {
		dbs, next, err := c.ListDatabases(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, d := range dbs {
			seen[d.Name]++
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	var viaIter []string
	for d, err := range c.Databases(ctx, 2) {
		if err != nil {
			t.Fatal(err)
		}
		viaIter = append(viaIter, d.Name)
	}
	for i := range 5 {
		if n := seen[fmt.Sprintf("rc_page%d", i)]; n != 1 {
			t.Errorf("rc_page%d seen %d times over %d pages", i, n, pages)
		}
	}
	if len(viaIter) != len(seen) {
		t.Errorf("iterator: %d databases, pages: %d", len(viaIter), len(seen))
	}
}

func TestTablesAndDocuments(t *testing.T) {
	c, ctx := newClient(), ctxFor(t)
	if _, err := c.CreateDatabase(ctx, "rc_tbl"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DropDatabase(context.Background(), "rc_tbl", restclient.DropOptions{Force: true}) })
	tb, err := c.CreateTable(ctx, "rc_tbl", restclient.TableSpec{Name: "items", PrimaryKey: "sku", Shards: 2})
	if err != nil {
		t.Fatal(err)
	}
	if tb.DB != "rc_tbl" || tb.Name != "items" || tb.PrimaryKey != "sku" || tb.Shards != 2 || tb.Replicas != 1 || tb.ID == "" {
		t.Errorf("created %+v", tb)
	}
	_, err = c.CreateTable(ctx, "rc_tbl", restclient.TableSpec{Name: "items"})
	expectProblem(t, err, http.StatusConflict, "Table `rc_tbl.items` already exists.")

	got, err := c.GetTable(ctx, "rc_tbl", "items")
	if err != nil {
		t.Fatal(err)
	}
	if got.ETag == "" || got.Documents == nil || *got.Documents != 0 {
		t.Errorf("get: %+v (ETag %q)", got, got.ETag)
	}
	three := 3
	upd, err := c.UpdateTable(ctx, "rc_tbl", "items", restclient.TableUpdate{Shards: &three}, got.ETag)
	if err != nil {
		t.Fatal(err)
	}
	if upd.Shards != 3 {
		t.Errorf("update: %+v", upd)
	}
	_, err = c.UpdateTable(ctx, "rc_tbl", "items", restclient.TableUpdate{Shards: &three}, got.ETag)
	if restclient.StatusOf(err) != http.StatusPreconditionFailed {
		t.Errorf("update with a stale ETag: %v, want 412", err)
	}

	// 2,500 documents in three batches, read back in primary-key order.
	var docs []json.RawMessage
	for i := range 2500 {
		docs = append(docs, json.RawMessage(fmt.Sprintf(`{"sku":"s%05d","n":%d}`, i, i)))
	}
	for start := 0; start < len(docs); start += restclient.MaxInsertBatch {
		res, err := c.InsertDocuments(ctx, "rc_tbl", "items", docs[start:min(start+restclient.MaxInsertBatch, len(docs))], "")
		if err != nil {
			t.Fatal(err)
		}
		if res.Errors != 0 {
			t.Fatalf("insert: %+v", res)
		}
	}
	if _, err := c.InsertDocuments(ctx, "rc_tbl", "items", make([]json.RawMessage, 1001), ""); err == nil {
		t.Error("inserting 1001 documents in one call: no error")
	}
	res, err := c.InsertDocuments(ctx, "rc_tbl", "items", docs[:2], restclient.ConflictError)
	if err != nil || res.Errors != 2 || !strings.HasPrefix(res.FirstError, "Duplicate primary key `sku`") {
		t.Errorf("duplicates: %+v, %v", res, err)
	}
	page, err := c.ListDocuments(ctx, "rc_tbl", "items", restclient.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Documents) != 1000 || page.NextCursor == "" {
		t.Errorf("first page: %d documents, cursor %q", len(page.Documents), page.NextCursor)
	}
	i := 0
	for doc, err := range c.Documents(ctx, "rc_tbl", "items", 0) {
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			SKU string `json:"sku"`
		}
		if err := json.Unmarshal(doc, &d); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("s%05d", i); d.SKU != want {
			t.Fatalf("document %d: sku %q, want %q", i, d.SKU, want)
		}
		i++
	}
	if i != 2500 {
		t.Errorf("iterated %d documents, want 2500", i)
	}

	ixs, err := c.ListIndexes(ctx, "rc_tbl", "items")
	if err != nil || len(ixs) != 0 {
		t.Errorf("indexes: %+v, %v", ixs, err)
	}
	shards, err := c.ListShards(ctx, "rc_tbl", "items")
	if err != nil || len(shards) == 0 {
		t.Errorf("shards: %+v, %v", shards, err)
	}
	refs, err := c.AllTableRefs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range refs {
		found = found || (r.DB == "rc_tbl" && r.Name == "items")
	}
	if !found {
		t.Errorf("GET /api/tables has no rc_tbl.items: %+v", refs)
	}

	v, err := c.Query(ctx, "r.table('items').count()", "rc_tbl")
	if err != nil || string(v) != "2500" {
		t.Errorf("query: %s, %v", v, err)
	}
	_, err = c.Query(ctx, "r.table(", "rc_tbl")
	if restclient.StatusOf(err) != http.StatusBadRequest || !strings.HasPrefix(err.Error(), "Syntax error at 1:") {
		t.Errorf("syntax error: %v", err)
	}

	if err := c.DropTable(ctx, "rc_tbl", "items", restclient.DropOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetTable(ctx, "rc_tbl", "items")
	expectProblem(t, err, http.StatusNotFound, "Table `rc_tbl.items` does not exist.")
}

func TestClusterAndAdmin(t *testing.T) {
	c, ctx := newClient(), ctxFor(t)
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Nodes < 1 || st.HealthyNodes < 1 || st.Catalog != "embedded" {
		t.Errorf("status: %+v", st)
	}
	nodes, err := c.AllNodes(ctx)
	if err != nil || len(nodes) == 0 || nodes[0].Status != "healthy" {
		t.Errorf("nodes: %+v, %v", nodes, err)
	}
	stats, err := c.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"databases", "tables", "documents", "storage_bytes"} {
		if _, ok := stats.All[k]; !ok {
			t.Errorf("stats have no %q: %v", k, stats.All)
		}
	}
	if _, err := c.Compact(ctx); err != nil {
		t.Errorf("compact: %v", err)
	}
}

func TestTenantsAndTokens(t *testing.T) {
	c, ctx := newClient(), ctxFor(t)
	tn, err := c.CreateTenant(ctx, restclient.Tenant{Name: "rc_acme", Quotas: restclient.Quotas{Databases: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if tn.Name != "rc_acme" || tn.Quotas.Databases != 2 {
		t.Errorf("created %+v", tn)
	}
	got, err := c.GetTenant(ctx, "rc_acme")
	if err != nil || got.ETag == "" {
		t.Fatalf("get tenant: %+v, %v", got, err)
	}
	if _, err := c.UpdateTenant(ctx, "rc_acme", restclient.TenantUpdate{Quotas: &restclient.Quotas{Databases: 3}}, got.ETag); err != nil {
		t.Errorf("update tenant: %v", err)
	}
	all, err := c.AllTenants(ctx)
	if err != nil || len(all) < 2 {
		t.Errorf("tenants: %+v, %v", all, err)
	}
	if err := c.DeleteTenant(ctx, "rc_acme", restclient.DropOptions{}); err != nil {
		t.Errorf("delete tenant: %v", err)
	}

	tok, err := c.CreateToken(ctx, "rc_ci", "developer")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Token, "pdb_") || tok.ID == "" {
		t.Errorf("token: %+v", tok)
	}
	toks, err := c.AllTokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range toks {
		if x.Token != "" {
			t.Errorf("listed token %s shows its secret", x.ID)
		}
	}
	if err := c.DeleteToken(ctx, tok.ID); err != nil {
		t.Errorf("delete token: %v", err)
	}
}

// TestTransportError: no server behind the URL.
func TestTransportError(t *testing.T) {
	port, err := testbin.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c := restclient.New(fmt.Sprintf("127.0.0.1:%d", port), "", &http.Client{Timeout: 5 * time.Second})
	_, err = c.AllDatabases(ctxFor(t))
	var te *restclient.TransportError
	if !errors.As(err, &te) || te.Method != http.MethodGet || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error %v (%T), want a TransportError (connection refused)", err, err)
	}
	if restclient.StatusOf(err) != 0 {
		t.Errorf("StatusOf = %d, want 0", restclient.StatusOf(err))
	}
}

// TestRequestHeaders checks what the client sends, and that a non-problem
// error answer still becomes an *Error. The dev-mode server ignores tokens,
// so this one test records requests with httptest instead.
func TestRequestHeaders(t *testing.T) {
	var auth, accept, ctype string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth, accept, ctype = r.Header.Get("Authorization"), r.Header.Get("Accept"), r.Header.Get("Content-Type")
		http.Error(w, "upstream down", http.StatusBadGateway)
	}))
	defer ts.Close()
	c := restclient.New(ts.URL+"/", "pdb_secret", ts.Client())
	_, err := c.CreateDatabase(ctxFor(t), "x")
	if auth != "Bearer pdb_secret" || ctype != "application/json" || !strings.Contains(accept, "application/problem+json") {
		t.Errorf("headers: Authorization %q, Content-Type %q, Accept %q", auth, ctype, accept)
	}
	var e *restclient.Error
	if !errors.As(err, &e) || e.Status != http.StatusBadGateway || e.Title != "Bad Gateway" {
		t.Fatalf("error %#v", err)
	}
	if want := "Bad Gateway (HTTP 502 from POST /api/v1/databases)"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if restclient.New("", "", nil).BaseURL() != restclient.DefaultBaseURL {
		t.Errorf("empty base URL: %q", restclient.New("", "", nil).BaseURL())
	}
}
