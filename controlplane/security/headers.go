package security

import (
	"net/http"
	"strings"
)

// Default header values.
const (
	// DefaultCSP suits a JSON API: the answer loads nothing and may not be
	// framed.
	DefaultCSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	// DefaultDocsCSP lets huma's /docs page render: it loads Stoplight
	// Elements' script and stylesheet from unpkg.com (pinned versions, with
	// subresource integrity) and fetches the OpenAPI document from this
	// origin. Huma's docs handler also sets its own, version-exact policy,
	// which replaces this one on the page it serves.
	DefaultDocsCSP = "default-src 'none'; base-uri 'none'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; " +
		"img-src 'self' data:; script-src https://unpkg.com/@stoplight/; style-src 'unsafe-inline' https://unpkg.com/@stoplight/"
	// DefaultHSTS is the Strict-Transport-Security value (one year).
	DefaultHSTS = "max-age=31536000; includeSubDomains"
)

// HeadersOptions configure the security response headers.
type HeadersOptions struct {
	// Disabled turns the headers off.
	Disabled bool
	// CSP is the Content-Security-Policy (DefaultCSP when empty).
	CSP string
	// DocsCSP is the policy on DocsPaths (DefaultDocsCSP when empty).
	DocsCSP string
	// DocsPaths serve HTML documentation (default "/docs"). A pattern
	// ending in * matches by prefix; others exactly.
	DocsPaths []string
	// HSTS is the Strict-Transport-Security value (DefaultHSTS when
	// empty), sent only on requests that came over TLS (or, with
	// TrustProxy, that a trusted proxy says came over https).
	HSTS string
	// NoHSTS never sends Strict-Transport-Security.
	NoHSTS bool
	// NoStorePaths get "Cache-Control: no-store" (default "/api" and
	// "/api/*"); a handler may still set its own.
	NoStorePaths []string
}

// pathSet matches request paths against patterns: exact, or by prefix for
// a pattern ending in '*'.
type pathSet struct {
	exact    map[string]bool
	prefixes []string
}

func newPathSet(patterns []string) pathSet {
	s := pathSet{exact: make(map[string]bool)}
	for _, p := range patterns {
		if pre, ok := strings.CutSuffix(p, "*"); ok {
			s.prefixes = append(s.prefixes, pre)
		} else {
			s.exact[p] = true
		}
	}
	return s
}

func (s pathSet) match(path string) bool {
	if s.exact[path] {
		return true
	}
	for _, p := range s.prefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// headers sets the security headers on responses.
type headers struct {
	csp, docsCSP, hsts string
	docs, noStore      pathSet
}

func newHeaders(o HeadersOptions) *headers {
	h := &headers{csp: o.CSP, docsCSP: o.DocsCSP, hsts: o.HSTS}
	if h.csp == "" {
		h.csp = DefaultCSP
	}
	if h.docsCSP == "" {
		h.docsCSP = DefaultDocsCSP
	}
	if h.hsts == "" {
		h.hsts = DefaultHSTS
	}
	if o.NoHSTS {
		h.hsts = ""
	}
	docs, noStore := o.DocsPaths, o.NoStorePaths
	if docs == nil {
		docs = []string{"/docs"}
	}
	if noStore == nil {
		noStore = []string{"/api", "/api/*"}
	}
	h.docs, h.noStore = newPathSet(docs), newPathSet(noStore)
	return h
}

// set writes the headers for a request; overTLS says whether it came over
// TLS.
func (h *headers) set(w http.ResponseWriter, r *http.Request, overTLS bool) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	if h.docs.match(r.URL.Path) {
		hd.Set("Content-Security-Policy", h.docsCSP)
	} else {
		hd.Set("Content-Security-Policy", h.csp)
	}
	if overTLS && h.hsts != "" {
		hd.Set("Strict-Transport-Security", h.hsts)
	}
	if h.noStore.match(r.URL.Path) {
		hd.Set("Cache-Control", "no-store")
	}
}
