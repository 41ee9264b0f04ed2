package auth_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/photondb-io/photondb/controlplane/api"
	"github.com/photondb-io/photondb/controlplane/auth"
	"github.com/photondb-io/photondb/controlplane/catalog/boltcat"
	"github.com/photondb-io/photondb/controlplane/meta"
	"github.com/photondb-io/photondb/shared/health"
	m "github.com/photondb-io/photondb/shared/meta"
)

const (
	secret        = "0123456789abcdef0123456789abcdef-test-secret"
	clusterSecret = "cluster-secret-0123456789abcdef0123456789"
)

// controlPlane is the real REST API (controlplane/api over the real
// metadata service on an embedded catalog) behind the auth middleware,
// wired as the control plane is (api.Options.Auth): the middleware on the
// API's router (health, metrics, REST, OpenAPI, docs) and on the
// long-lived handlers, /auth mounted.
func controlPlane(t *testing.T) (*chi.Mux, *auth.Authenticator, *meta.Service) {
	t.Helper()
	cat, err := boltcat.Open(filepath.Join(t.TempDir(), "catalog.db"), boltcat.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cat.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	svc, err := meta.New(ctx, cat)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := health.NewRegistry()
	reg.MarkStarted()
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "{}") })
	a, err := auth.New(auth.Config{JWTSecret: secret, ClusterSecret: clusterSecret, Tokens: svc, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	// The control plane's own wiring: api.Options.Auth.
	h, err := api.NewHandler(reg, api.Options{
		Metrics:   ok,
		LongLived: map[string]http.Handler{"/api/changes": ok, "/_node/stats": ok, "/_node/compact": ok},
		REST:      &api.REST{Meta: svc, Registry: meta.EmbeddedRegistry{S: svc}, Log: log, ApplyTimeout: time.Millisecond},
		Auth:      a,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h.(*chi.Mux), a, svc
}

// Every route the control plane serves, walked from its router (so a new
// endpoint is covered the day it is added), refuses anonymous and forged
// calls, except the public ones.
func TestEveryRouteRefusesAnonymousCalls(t *testing.T) {
	top, _, _ := controlPlane(t)
	checked := auth.CheckRoutes(t, top, top)
	seen := map[string]bool{}
	for _, r := range checked {
		seen[r.String()] = true
	}
	for _, want := range []string{
		"GET /api/v1/databases", "POST /api/v1/databases", "DELETE /api/v1/databases/{db}", "POST /api/query",
		"GET /api/tables", "GET /api/v1/internal/catalog", "PUT /api/v1/nodes/{id}", "POST /api/v1/tokens",
		"DELETE /api/v1/tenants/{tenant}", "POST /api/v1/admin/compact", "GET /openapi.json", "GET /docs",
		"GET /api/changes", "GET /_node/stats", "POST /_node/compact",
	} {
		if !seen[want] {
			t.Errorf("the walk did not check %s", want)
		}
	}
	if len(checked) < 30 {
		t.Errorf("only %d protected routes", len(checked))
	}
	// The public ones answer without credentials.
	all, err := auth.Walk(top)
	if err != nil {
		t.Fatal(err)
	}
	public := 0
	for _, r := range all {
		if r.Method != http.MethodGet || !auth.PublicPath(r.Path()) {
			continue
		}
		public++
		rec := httptest.NewRecorder()
		top.ServeHTTP(rec, httptest.NewRequest(r.Method, r.Path(), nil))
		if rec.Code == http.StatusUnauthorized && r.Pattern != "/auth/me" {
			t.Errorf("public %s: 401", r)
		}
	}
	if public < 8 {
		t.Errorf("only %d public routes: %v", public, all)
	}
}

// Credentials go through to the real API, and roles hold there.
func TestRealAPIWithCredentials(t *testing.T) {
	top, a, svc := controlPlane(t)
	ctx := context.Background()
	_, reader, err := svc.CreateToken(ctx, m.DefaultTenant, "ci-read", "reader")
	if err != nil {
		t.Fatal(err)
	}
	_, admin, err := svc.CreateToken(ctx, m.DefaultTenant, "ci-admin", "admin")
	if err != nil {
		t.Fatal(err)
	}
	session, _, err := a.IssueSession(auth.Identity{Subject: "alice", Tenant: m.DefaultTenant, Role: auth.RoleDeveloper})
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, bearer, body string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		rec := httptest.NewRecorder()
		top.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	for _, tc := range []struct {
		method, path, bearer, body string
		want                       int
	}{
		{http.MethodGet, "/api/v1/databases", reader, "", http.StatusOK},
		{http.MethodGet, "/openapi.json", reader, "", http.StatusOK},
		{http.MethodPost, "/api/v1/databases", reader, `{"name":"shop"}`, http.StatusForbidden},
		{http.MethodPost, "/api/v1/databases", session, `{"name":"shop"}`, http.StatusForbidden},
		{http.MethodPost, "/api/v1/databases", admin, `{"name":"shop"}`, http.StatusCreated},
		{http.MethodGet, "/api/v1/databases/shop", session, "", http.StatusOK},
		{http.MethodGet, "/api/v1/tokens", session, "", http.StatusForbidden},
		{http.MethodGet, "/api/v1/tokens", admin, "", http.StatusOK},
		{http.MethodGet, "/api/v1/internal/catalog?wait=0", admin, "", http.StatusForbidden},
		{http.MethodGet, "/api/v1/internal/catalog?wait=0", clusterSecret, "", http.StatusOK},
		{http.MethodGet, "/api/v1/databases", clusterSecret, "", http.StatusForbidden},
	} {
		if got, body := call(tc.method, tc.path, tc.bearer, tc.body); got != tc.want {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, got, body, tc.want)
		}
	}
}

// CheckRoutes catches a route that escaped the middleware.
func TestCheckRoutesCatchesALeak(t *testing.T) {
	_, a, _ := controlPlane(t)
	ok := func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "data") }
	leaky := chi.NewRouter()
	leaky.Group(func(r chi.Router) {
		r.Use(a.Middleware)
		r.Get("/api/v1/guarded", ok)
	})
	leaky.Get("/api/v1/leak", ok)
	leaky.Get("/auth/admin", ok) // public by prefix, by mistake
	a.Mount(leaky)
	ft := &fakeT{}
	checked := auth.CheckRoutes(ft, leaky, leaky)
	if len(checked) != 2 {
		t.Fatalf("checked %v", checked)
	}
	out := ft.out.String()
	if !strings.Contains(out, "GET /api/v1/leak (no credentials): answered 200") ||
		!strings.Contains(out, "GET /auth/admin is public (under /auth/) but not an endpoint of package auth") ||
		strings.Contains(out, "guarded") || strings.Contains(out, "/auth/login") {
		t.Fatalf("errors reported:\n%s", out)
	}
}

type fakeT struct{ out bytes.Buffer }

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	fmt.Fprintf(&f.out, format+"\n", args...)
}
