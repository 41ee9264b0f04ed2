// Package k8s holds the Kubernetes deployment (kustomize base and
// overlays); its test checks that the manifests parse and that every probe
// and scrape path they name is served by photondb.
package k8s

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/photondb-io/photondb/controlplane/api"
	"github.com/photondb-io/photondb/shared/health"
)

// paths collects the values of every "path" key under probes and
// ServiceMonitor endpoints.
func paths(node any, out map[string]bool) {
	switch x := node.(type) {
	case map[string]any:
		for k, v := range x {
			if s, ok := v.(string); ok && k == "path" && strings.HasPrefix(s, "/") {
				out[s] = true
			}
			paths(v, out)
		}
	case []any:
		for _, v := range x {
			paths(v, out)
		}
	}
}

func TestManifestsPointAtServedEndpoints(t *testing.T) {
	files, err := filepath.Glob("base/*.yaml")
	if err != nil || len(files) < 4 {
		t.Fatalf("manifests: %v %v", files, err)
	}
	found := map[string]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		paths(doc, found)
	}
	for _, want := range []string{"/health/live", "/health/ready", "/health/startup", "/_metrics"} {
		if !found[want] {
			t.Errorf("no manifest points at %s", want)
		}
	}
	reg := health.NewRegistry()
	reg.MarkStarted()
	h, err := api.NewHandler(reg, api.Options{Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})})
	if err != nil {
		t.Fatal(err)
	}
	for p := range found {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s (named in the manifests) answers %d", p, rec.Code)
		}
	}
}
