package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/photondb-io/photondb/shared/health"
	"github.com/photondb-io/photondb/shared/telemetry"
)

// /_metrics is served, and requests are counted by their chi route.
func TestMetricsRoute(t *testing.T) {
	m, err := telemetry.NewMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	reg := health.NewRegistry()
	reg.MarkStarted()
	h, err := NewHandler(reg, Options{Metrics: m.Handler(), Meters: m.Provider()})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/health/ready", "/health/ready", "/no/such/path"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /_metrics: %d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`photondb_http_requests_total{method="GET",route="/health/ready",status="200"} 2`,
		`photondb_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`rethinkdb_cpu_usage_percent`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/_metrics lacks %s", want)
		}
	}
}
