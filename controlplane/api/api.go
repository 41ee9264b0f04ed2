// Package api is the control plane's HTTP surface: today the health
// endpoints behind the common middleware (CORS, body size limit, request
// timeout); the REST API (/api/v1, huma on chi) grows here.
package api

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/photondb-io/photondb/shared/health"
)

// Options configure the HTTP handler.
type Options struct {
	CORS         bool
	Timeout      time.Duration
	MaxBodyBytes int64
}

// NewHandler returns the control plane's HTTP handler.
func NewHandler(h *health.Registry, o Options) http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	if o.CORS {
		r.Use(cors)
	}
	r.Use(maxBody(o.MaxBodyBytes))
	if o.Timeout > 0 {
		r.Use(middleware.Timeout(o.Timeout))
	}
	h.Mount(r)
	return r
}

// cors allows browser clients from any origin, answering preflights.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Add("Vary", "Origin")
			w.Header().Set("Access-Control-Allow-Credentials", "true")
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
