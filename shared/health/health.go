// Package health reports whether a PhotonDB process is alive, started and
// ready, component by component, over HTTP (/health, /health/live,
// /health/ready, /health/startup) in the shape probes and operators expect.
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Check reports a component's state: nil when healthy, an error saying why
// not otherwise.
type Check func(ctx context.Context) error

// Registry holds the components of one process.
type Registry struct {
	mu       sync.RWMutex
	checks   map[string]Check
	started  bool
	since    time.Time
	warnings []string
}

// Warn adds a warning shown in every report (e.g. dev mode: no auth).
func (r *Registry) Warn(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warnings = append(r.warnings, msg)
}

// NewRegistry returns an empty registry; the process is not started until
// MarkStarted.
func NewRegistry() *Registry {
	return &Registry{checks: map[string]Check{}, since: time.Now()}
}

// Register adds or replaces a component's check.
func (r *Registry) Register(name string, c Check) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checks[name] = c
}

// MarkStarted records that start-up finished (all listeners open).
func (r *Registry) MarkStarted() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = true
}

// Component is one component's state in a report.
type Component struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Report is the body of /health.
type Report struct {
	Status        string               `json:"status"`
	Started       bool                 `json:"started"`
	UptimeSeconds float64              `json:"uptime_seconds"`
	Components    map[string]Component `json:"components"`
	Warnings      []string             `json:"warnings,omitempty"`
}

// Run evaluates every check.
func (r *Registry) Run(ctx context.Context) Report {
	r.mu.RLock()
	names := make([]string, 0, len(r.checks))
	for n := range r.checks {
		names = append(names, n)
	}
	checks := make(map[string]Check, len(r.checks))
	for n, c := range r.checks {
		checks[n] = c
	}
	started, since := r.started, r.since
	warnings := append([]string(nil), r.warnings...)
	r.mu.RUnlock()
	sort.Strings(names)
	rep := Report{Status: "ok", Started: started, UptimeSeconds: time.Since(since).Seconds(), Components: map[string]Component{}, Warnings: warnings}
	for _, n := range names {
		if err := checks[n](ctx); err != nil {
			rep.Components[n] = Component{Status: "down", Reason: err.Error()}
			rep.Status = "down"
		} else {
			rep.Components[n] = Component{Status: "ok"}
		}
	}
	if !started && rep.Status == "ok" {
		rep.Status = "starting"
	}
	return rep
}

// Mount adds the health endpoints (and RethinkDB-era aliases /_health and
// /_ready) to mux.
func (r *Registry) Mount(mux interface {
	Handle(pattern string, h http.Handler)
}) {
	full := func(w http.ResponseWriter, req *http.Request) {
		rep := r.Run(req.Context())
		code := http.StatusOK
		if rep.Status != "ok" {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, rep)
	}
	ready := full
	live := func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}
	startup := func(w http.ResponseWriter, _ *http.Request) {
		r.mu.RLock()
		started := r.started
		r.mu.RUnlock()
		if !started {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}
	mux.Handle("/health", http.HandlerFunc(full))
	mux.Handle("/_health", http.HandlerFunc(full))
	mux.Handle("/health/live", http.HandlerFunc(live))
	mux.Handle("/health/ready", http.HandlerFunc(ready))
	mux.Handle("/_ready", http.HandlerFunc(ready))
	mux.Handle("/health/startup", http.HandlerFunc(startup))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
