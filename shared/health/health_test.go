package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestEndpoints(t *testing.T) {
	reg := NewRegistry()
	storageErr := error(nil)
	reg.Register("storage", func(context.Context) error { return storageErr })
	mux := http.NewServeMux()
	reg.Mount(mux)

	get := func(path string) (int, map[string]any) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: body %q is not JSON: %v", path, rec.Body.String(), err)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s: content type %q", path, ct)
		}
		return rec.Code, body
	}

	steps := []struct {
		name   string
		setup  func()
		path   string
		code   int
		status string
	}{
		{"live before start", nil, "/health/live", 200, "ok"},
		{"startup before start", nil, "/health/startup", 503, "starting"},
		{"ready before start", nil, "/health/ready", 503, "starting"},
		{"started", reg.MarkStarted, "/health/startup", 200, "ok"},
		{"ready", nil, "/health/ready", 200, "ok"},
		{"ready alias", nil, "/_ready", 200, "ok"},
		{"full", nil, "/health", 200, "ok"},
		{"full alias", nil, "/_health", 200, "ok"},
		{"storage down", func() { storageErr = errors.New("disk on fire") }, "/health", 503, "down"},
		{"not ready when down", nil, "/health/ready", 503, "down"},
		{"still live when down", nil, "/health/live", 200, "ok"},
	}
	for _, s := range steps {
		if s.setup != nil {
			s.setup()
		}
		code, body := get(s.path)
		if code != s.code || body["status"] != s.status {
			t.Fatalf("%s: GET %s = %d %v, want %d status %q", s.name, s.path, code, body, s.code, s.status)
		}
	}
	_, body := get("/health")
	comp := body["components"].(map[string]any)["storage"].(map[string]any)
	if comp["status"] != "down" || comp["reason"] != "disk on fire" {
		t.Fatalf("storage component %v", comp)
	}
}

func TestWarningsInEveryReport(t *testing.T) {
	r := NewRegistry()
	if rep := r.Run(context.Background()); len(rep.Warnings) != 0 {
		t.Fatalf("warnings before any: %v", rep.Warnings)
	}
	r.Warn("dev mode")
	r.MarkStarted()
	for i := 0; i < 2; i++ {
		if rep := r.Run(context.Background()); len(rep.Warnings) != 1 || rep.Warnings[0] != "dev mode" || rep.Status != "ok" {
			t.Fatalf("report %d: %+v", i, rep)
		}
	}
}
