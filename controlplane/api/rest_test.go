package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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

// failing is a DataNode whose every call fails with err.
type failing struct{ err error }

func (f failing) ListDBs(context.Context) ([]string, error) { return nil, f.err }
func (f failing) CreateDB(context.Context, string) error    { return f.err }
func (f failing) DropDB(context.Context, string) error      { return f.err }
func (f failing) ListTables(context.Context, string) ([]nodeclient.Table, error) {
	return nil, f.err
}
func (f failing) CreateTable(context.Context, string, nodeclient.TableSpec) (nodeclient.Table, error) {
	return nodeclient.Table{}, f.err
}
func (f failing) DropTable(context.Context, string, string) error { return f.err }

func TestRESTProblem(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		method string
		path   string
		body   string
		status int
	}{
		{"exists", &nodeclient.Error{Kind: nodeclient.KindExists, Message: "Database `a` already exists."}, "POST", "/api/v1/databases", `{"name":"a"}`, 409},
		{"missing", &nodeclient.Error{Kind: nodeclient.KindNotFound, Message: "Database `a` does not exist."}, "DELETE", "/api/v1/databases/a", "", 404},
		{"invalid", &nodeclient.Error{Kind: nodeclient.KindInvalid, Message: "Table name `a b` invalid (Use A-Z, a-z, 0-9, _ and - only)."}, "POST", "/api/v1/databases/a/tables", `{"name":"a b"}`, 422},
		{"unavailable", &nodeclient.Error{Kind: nodeclient.KindUnavailable, Message: "no connections were available"}, "GET", "/api/v1/databases", "", 503},
		{"table missing", &nodeclient.Error{Kind: nodeclient.KindNotFound, Message: "Table `a.b` does not exist."}, "DELETE", "/api/v1/databases/a/tables/b", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewHandler(health.NewRegistry(), Options{Catalog: failing{tt.err}})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			var p struct {
				Status int    `json:"status"`
				Title  string `json:"title"`
				Detail string `json:"detail"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p.Status != tt.status || p.Detail != tt.err.Error() || p.Title != http.StatusText(tt.status) {
				t.Errorf("problem %+v", p)
			}
		})
	}
}

func TestRESTNotMountedWithoutCatalog(t *testing.T) {
	h, err := NewHandler(health.NewRegistry(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/api/v1/databases", "/openapi.json", "/docs"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d without a catalog, want 404", p, rec.Code)
		}
	}
}
