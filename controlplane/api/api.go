// Package api is the control plane's HTTP surface: today the health
// endpoints and the Prometheus exposition (/_metrics) behind the common
// middleware (tracing and request metrics, CORS, body size limit, request
// timeout); and the REST API (/api/v1, huma on chi, see rest.go) over the
// metadata service and a data-node client.
package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/photondb-io/photondb/controlplane/auth"
	"github.com/photondb-io/photondb/shared/health"
	"github.com/photondb-io/photondb/shared/telemetry"
)

// Options configure the HTTP handler.
type Options struct {
	CORS         bool
	Timeout      time.Duration
	MaxBodyBytes int64
	// Metrics, when set, is served at /_metrics (Prometheus text format).
	Metrics http.Handler
	// Meters and Tracers receive the request metrics and a server span per
	// request, continuing the caller's W3C trace context (no-op when nil).
	Meters  metric.MeterProvider
	Tracers trace.TracerProvider
	// LongLived are handlers for long-lived connections (WebSocket
	// changefeeds), served by path outside the request timeout.
	LongLived map[string]http.Handler
	// Security, when set, is the security middleware (controlplane/security:
	// headers, blacklist, rate limit, attack detection), applied to every
	// route including the long-lived ones.
	Security func(http.Handler) http.Handler
	// Auth, when set, authenticates every request (controlplane/auth):
	// public health, metrics and /auth/* paths, credentials and role
	// checks everywhere else; it also mounts /auth/*.
	Auth *auth.Authenticator
	// REST, when set, mounts the REST API (/api/v1, /api/query,
	// /api/tables), the OpenAPI 3.1 document at /openapi.json and docs at
	// /docs.
	REST *REST
}

// NewHandler returns the control plane's HTTP handler.
func NewHandler(h *health.Registry, o Options) (http.Handler, error) {
	mp, tp := o.Meters, o.Tracers
	if mp == nil {
		mp = metricnoop.NewMeterProvider()
	}
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	observe, err := telemetry.HTTPMiddleware(mp, tp, routePattern)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	r := chi.NewRouter()
	r.Use(observe)
	r.Use(middleware.Recoverer)
	// CORS first, so browsers can read 429 and 403 answers (and their
	// Retry-After) from the security middleware.
	if o.CORS {
		r.Use(cors)
	}
	if o.Security != nil {
		r.Use(o.Security)
	}
	r.Use(maxBody(o.MaxBodyBytes))
	if o.Timeout > 0 {
		r.Use(middleware.Timeout(o.Timeout))
	}
	if o.Auth != nil {
		r.Use(o.Auth.Middleware)
		o.Auth.Mount(r)
	}
	h.Mount(r)
	if o.Metrics != nil {
		r.Method(http.MethodGet, "/_metrics", o.Metrics)
	}
	if o.REST != nil {
		mountREST(r, o.REST)
	}
	if len(o.LongLived) == 0 {
		return r, nil
	}
	root := chi.NewRouter()
	for path, h := range o.LongLived {
		if o.Auth != nil {
			h = o.Auth.Middleware(h)
		}
		if o.Security != nil {
			h = o.Security(h)
		}
		root.Handle(path, h)
	}
	root.Mount("/", r)
	return root, nil
}

// routePattern is the chi pattern the request matched ("" if none).
func routePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		return rc.RoutePattern()
	}
	return ""
}

// cors allows browser clients from any origin, answering preflights.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Add("Vary", "Origin")
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Set("Access-Control-Expose-Headers", "ETag, Location, Retry-After")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
				w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match, If-None-Match")
				w.Header().Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func maxBody(limit int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if limit > 0 && r.Body != nil {
				r.Body = http.MaxBytesReader(w, r.Body, limit)
			}
			next.ServeHTTP(w, r)
		})
	}
}
