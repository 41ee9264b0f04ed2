package rest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

func connect(t *testing.T, s *server) *r.Session {
	t.Helper()
	session, err := r.Connect(r.ConnectOpts{Address: s.DriverAddr()})
	if err != nil {
		t.Fatalf("driver connect: %v", err)
	}
	t.Cleanup(func() { session.Close() })
	return session
}

func driverList(t *testing.T, session *r.Session, term r.Term) []string {
	t.Helper()
	cur, err := term.Run(session)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	if err := cur.All(&out); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// DDL from a driver goes through the control plane: REST sees it at once,
// and the control plane's rules (quotas) apply to drivers too.
func TestDriverDDLThroughCatalog(t *testing.T) { eachMode(t, testDriverDDLThroughCatalog) }

func testDriverDDLThroughCatalog(t *testing.T, m mode) {
	s := startServer(t, m)
	session := connect(t, s)
	if _, err := r.DBCreate("drv").RunWrite(session); err != nil {
		t.Fatal(err)
	}
	if _, err := r.DB("drv").TableCreate("things", r.TableCreateOpts{PrimaryKey: "sku"}).RunWrite(session); err != nil {
		t.Fatal(err)
	}
	resp := expect(t, s, "GET", "/api/v1/databases/drv/tables/things", "", 200)
	if resp.Body["primary_key"] != "sku" {
		t.Errorf("REST view of a driver-created table: %s", resp.Raw)
	}
	// And the other way round.
	expect(t, s, "POST", "/api/v1/databases/drv/tables", `{"name":"rest_made"}`, 201)
	if got := driverList(t, session, r.DB("drv").TableList()); !reflect.DeepEqual(got, []string{"rest_made", "things"}) {
		t.Errorf("driver tableList %v", got)
	}
	// Renames through rethinkdb.table_config keep the data and reach REST.
	if _, err := r.DB("drv").Table("things").Insert(map[string]any{"sku": "a1"}).RunWrite(session); err != nil {
		t.Fatal(err)
	}
	if _, err := r.DB("rethinkdb").Table("table_config").Filter(map[string]any{"db": "drv", "name": "things"}).
		Update(map[string]any{"name": "goods"}).RunWrite(session); err != nil {
		t.Fatal(err)
	}
	expectProblem(t, s, "GET", "/api/v1/databases/drv/tables/things", "", 404, "Table `drv.things` does not exist.")
	resp = expect(t, s, "GET", "/api/v1/databases/drv/tables/goods", "", 200)
	if resp.Body["documents"] != 1.0 {
		t.Errorf("renamed table lost its document: %s", resp.Raw)
	}
	// Quotas hold for drivers, with the control plane's message.
	expect(t, s, "PATCH", "/api/v1/tenants/default", `{"quotas":{"databases":2}}`, 200)
	_, err := r.DBCreate("third").RunWrite(session)
	if err == nil || !strings.Contains(err.Error(), "Quota exceeded: tenant `default` may have at most 2 databases.") {
		t.Errorf("dbCreate over quota: %v", err)
	}
	var opFailed r.RQLOpFailedError
	if !asError(err, &opFailed) {
		t.Errorf("quota error type %T, want ReqlOpFailedError", err)
	}
	// Drivers' errors keep RethinkDB's wording.
	_, err = r.DB("drv").TableCreate("goods").RunWrite(session)
	if err == nil || !strings.Contains(err.Error(), "Table `drv.goods` already exists.") {
		t.Errorf("duplicate tableCreate: %v", err)
	}
	if _, err := r.DBDrop("drv").RunWrite(session); err != nil {
		t.Fatal(err)
	}
	expectProblem(t, s, "GET", "/api/v1/databases/drv", "", 404, "Database `drv` does not exist.")
}

func asError[T error](err error, target *T) bool {
	if err == nil {
		return false
	}
	e, ok := err.(T)
	if ok {
		*target = e
	}
	return ok
}

// Documents go in and out through REST (what import and export use), in
// primary-key order across pages, with ReQL types intact.
func TestDocuments(t *testing.T) { eachMode(t, testDocuments) }

func testDocuments(t *testing.T, m mode) {
	s := startServer(t, m)
	expect(t, s, "POST", "/api/v1/databases", `{"name":"d"}`, 201)
	expect(t, s, "POST", "/api/v1/databases/d/tables", `{"name":"t"}`, 201)
	var docs []string
	for i := 0; i < 25; i++ {
		docs = append(docs, fmt.Sprintf(`{"id":%d,"name":"n%d","at":{"$reql_type$":"TIME","epoch_time":%d,"timezone":"+00:00"}}`, i, i, 1700000000+i))
	}
	resp := expect(t, s, "POST", "/api/v1/databases/d/tables/t/documents", `{"documents":[`+strings.Join(docs, ",")+`]}`, 200)
	if resp.Body["inserted"] != 25.0 || resp.Body["errors"] != 0.0 {
		t.Fatalf("insert: %s", resp.Raw)
	}
	resp = expect(t, s, "POST", "/api/v1/databases/d/tables/t/documents", `{"documents":[{"id":1},{"x":1}]}`, 200)
	if resp.Body["errors"] != 1.0 || resp.Body["inserted"] != 1.0 || !strings.Contains(resp.Raw, "Duplicate primary key") {
		t.Errorf("insert with a duplicate: %s", resp.Raw)
	}
	expectProblem(t, s, "POST", "/api/v1/databases/d/tables/t/documents", `{"documents":[{"id":99},1]}`, 422, "documents[1] is not a JSON object.")
	var ids []float64
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		path := "/api/v1/databases/d/tables/t/documents?limit=10"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		resp = expect(t, s, "GET", path, "", 200)
		for _, d := range resp.Body["documents"].([]any) {
			doc := d.(map[string]any)
			if id, ok := doc["id"].(float64); ok {
				ids = append(ids, id)
				at := doc["at"].(map[string]any)
				if at["$reql_type$"] != "TIME" || at["epoch_time"] != 1700000000+id {
					t.Errorf("time came back as %v", at)
				}
			}
		}
		next, _ := resp.Body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(ids) != 25 || !sort.Float64sAreSorted(ids) {
		t.Errorf("paged ids %v", ids)
	}
}

// The embedded registry lists the data node; the scheduler places tables
// on it.
func TestNodesAndShards(t *testing.T) { eachMode(t, testNodesAndShards) }

func testNodesAndShards(t *testing.T, m mode) {
	s := startServer(t, m)
	resp := expect(t, s, "GET", "/api/v1/nodes", "", 200)
	nodes := resp.Body["nodes"].([]any)
	if len(nodes) != 1 {
		t.Fatalf("nodes: %s", resp.Raw)
	}
	node := nodes[0].(map[string]any)
	if node["status"] != "healthy" || node["driver_port"] != float64(s.DriverPort) {
		t.Errorf("node %v", node)
	}
	expect(t, s, "POST", "/api/v1/databases", `{"name":"d"}`, 201)
	expect(t, s, "POST", "/api/v1/databases/d/tables", `{"name":"t","shards":2}`, 201)
	var shards []any
	for i := 0; i < 100; i++ { // the scheduler runs right after the change
		resp = expect(t, s, "GET", "/api/v1/databases/d/tables/t/shards", "", 200)
		shards, _ = resp.Body["shards"].([]any)
		if len(shards) == 2 && shards[0].(map[string]any)["primary"] != "" {
			break
		}
		sleepBriefly()
	}
	for _, sh := range shards {
		if sh.(map[string]any)["primary"] != node["id"] {
			t.Errorf("shard %v not on node %v", sh, node["id"])
		}
	}
	resp = expect(t, s, "GET", "/api/v1/status", "", 200)
	wantCatalog := map[mode]string{modeServe: "embedded", modeConsul: "consul"}[m]
	if resp.Body["catalog"] != wantCatalog || resp.Body["healthy_nodes"] != 1.0 || resp.Body["tables"] != 1.0 {
		t.Errorf("status %s", resp.Raw)
	}
}

// The catalog is durable: what REST acknowledged survives kill -9, and a
// data directory from before the control plane existed is adopted with its
// data, not dropped.
func TestCatalogDurability(t *testing.T) { eachMode(t, testCatalogDurability) }

func testCatalogDurability(t *testing.T, m mode) {
	s := startServer(t, m)
	expect(t, s, "POST", "/api/v1/databases", `{"name":"keep"}`, 201)
	expect(t, s, "POST", "/api/v1/databases/keep/tables", `{"name":"t","primary_key":"k"}`, 201)
	expect(t, s, "POST", "/api/v1/databases/keep/tables/t/documents", `{"documents":[{"k":1},{"k":2}]}`, 200)
	s.kill(t, syscall.SIGKILL)

	s = s.restart(t)
	resp := expect(t, s, "GET", "/api/v1/databases/keep/tables/t", "", 200)
	if resp.Body["primary_key"] != "k" || resp.Body["documents"] != 2.0 {
		t.Errorf("after kill -9: %s", resp.Raw)
	}
	s.kill(t, syscall.SIGTERM)

	// Lose the catalog (as a data directory from an older version has
	// none, or a new Consul): the node registers its tables again and
	// keeps their data.
	lost := []string{"catalog-sync.json"}
	if m == modeServe {
		lost = append(lost, "catalog.db")
	} else {
		s.prefix += "fresh/"
	}
	for _, f := range lost {
		if err := os.Remove(filepath.Join(s.dataDir, f)); err != nil {
			t.Fatal(err)
		}
	}
	s = s.restart(t)
	resp = expect(t, s, "GET", "/api/v1/databases/keep/tables/t", "", 200)
	if resp.Body["primary_key"] != "k" || resp.Body["documents"] != 2.0 {
		t.Errorf("after losing the catalog: %s", resp.Raw)
	}
	var page struct {
		Documents []json.RawMessage `json:"documents"`
	}
	raw := expect(t, s, "GET", "/api/v1/databases/keep/tables/t/documents", "", 200).Raw
	if err := json.Unmarshal([]byte(raw), &page); err != nil || len(page.Documents) != 2 {
		t.Errorf("documents after adoption: %s", raw)
	}
}

func sleepBriefly() { time.Sleep(50 * time.Millisecond) }

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// A tenant's storage quota stops REST writes once its tables hold that
// many bytes (usage measured by the data nodes, at most a few seconds old).
func TestStorageQuota(t *testing.T) { eachMode(t, testStorageQuota) }

func testStorageQuota(t *testing.T, m mode) {
	s := startServer(t, m)
	expect(t, s, "POST", "/api/v1/tenants", `{"name":"small","quotas":{"storage_bytes":4000}}`, 201)
	small := func(method, path, body string, status int) response {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL(path), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-PhotonDB-Tenant", "small")
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out response
		out.Status = resp.StatusCode
		b := new(strings.Builder)
		_, _ = io.Copy(b, resp.Body)
		out.Raw = b.String()
		if resp.StatusCode != status {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, status, out.Raw)
		}
		return out
	}
	small("POST", "/api/v1/databases", `{"name":"sq"}`, 201)
	small("POST", "/api/v1/databases/sq/tables", `{"name":"t"}`, 201)
	doc := func(i int) string { return fmt.Sprintf(`{"id":%d,"pad":"%s"}`, i, strings.Repeat("x", 1000)) }
	small("POST", "/api/v1/databases/sq/tables/t/documents", `{"documents":[`+doc(1)+`,`+doc(2)+`,`+doc(3)+`,`+doc(4)+`,`+doc(5)+`]}`, 200)
	// Over 4,000 bytes now: once the measurement catches up, writes stop.
	var last response
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		req, _ := http.NewRequest("POST", s.URL("/api/v1/databases/sq/tables/t/documents"), strings.NewReader(`{"documents":[{"id":"probe"}],"conflict":"replace"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-PhotonDB-Tenant", "small")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		last = response{Status: resp.StatusCode, Raw: string(b)}
		if resp.StatusCode == http.StatusForbidden {
			break
		}
	}
	if last.Status != http.StatusForbidden || !strings.Contains(last.Raw, "Quota exceeded: tenant `small` stores") {
		t.Fatalf("write over the storage quota: %d %s", last.Status, last.Raw)
	}
	small("POST", "/api/v1/databases/sq/tables", `{"name":"t2"}`, 403)
	resp := small("GET", "/api/v1/tenants/small", "", 200)
	if !strings.Contains(resp.Raw, `"storage_bytes":`) {
		t.Errorf("tenant usage without storage bytes: %s", resp.Raw)
	}
	// Other tenants are not affected.
	expect(t, s, "POST", "/api/v1/databases", `{"name":"big"}`, 201)
	expect(t, s, "POST", "/api/v1/databases/big/tables", `{"name":"t"}`, 201)
}
