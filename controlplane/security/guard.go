package security

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/httprate"
)

// Defaults.
const (
	DefaultRequests = 100
	DefaultWindow   = time.Minute
	DefaultBlockFor = time.Hour
	DefaultSensor   = "photondb"
)

// DefaultExemptPaths are the health probes and the metrics endpoint.
var DefaultExemptPaths = []string{"/health", "/health/*", "/_health", "/_ready", "/_metrics"}

// RateLimitOptions configure the per-address rate limit (a sliding window,
// github.com/go-chi/httprate). An IPv6 client is counted per /64, which it
// typically controls whole.
type RateLimitOptions struct {
	Disabled bool
	// Requests per Window per client address (default 100 per minute).
	Requests int
	Window   time.Duration
}

// BlacklistOptions configure the IP blacklist.
type BlacklistOptions struct {
	Disabled bool
	// Static entries: IP addresses or CIDR prefixes, IPv4 or IPv6.
	Static []string
	// MaxEntries bounds the automatic entries (default
	// DefaultMaxBlacklistEntries); when full the oldest go.
	MaxEntries int
}

// DetectOptions configure attack detection.
type DetectOptions struct {
	Disabled bool
	// BlockFor is how long an attacking address (an IPv6 client's /64)
	// is blacklisted (default 1 h; negative: answer 403 without
	// blacklisting).
	BlockFor time.Duration
	// SkipHeaders are header names not inspected.
	SkipHeaders []string
}

// Options configure a Guard. The zero value enables everything but
// Honeytrap reporting, with the defaults.
type Options struct {
	RateLimit RateLimitOptions
	Blacklist BlacklistOptions
	Detect    DetectOptions
	// Honeytrap reports detections when Honeytrap.URL is set (the caller
	// reads HONEYTRAP_URL).
	Honeytrap ReporterOptions
	Headers   HeadersOptions
	// ExemptPaths skip the rate limit and the blacklist (not detection).
	// nil means DefaultExemptPaths; an empty, non-nil slice exempts
	// nothing. A pattern ending in * matches by prefix; others exactly.
	ExemptPaths []string
	// ExemptAddresses (IPs or CIDR prefixes) skip the rate limit and the
	// blacklist (not detection): e.g. the cluster's own network, whose
	// data nodes poll the catalog and forward DDL through one address
	// each. They are only as trustworthy as the client address (see
	// TrustProxy).
	ExemptAddresses []string
	// ExemptRequest, when set, exempts requests it accepts from the rate
	// limit and the blacklist (not detection): e.g. the cluster's own
	// requests carrying its secret.
	ExemptRequest func(*http.Request) bool
	// TrustProxy takes the client address from X-Forwarded-For (the
	// rightmost address that is not in TrustedProxies) or, without it,
	// X-Real-IP, and the scheme from X-Forwarded-Proto (for HSTS).
	//
	// Only set it when every request comes through a proxy that appends
	// the peer's address to X-Forwarded-For (or overwrites X-Real-IP):
	// anyone who can reach the server directly can put any address in
	// these headers, to dodge the rate limit and the blacklist, or to get
	// someone else's address blacklisted.
	TrustProxy bool
	// TrustedProxies (IPs or CIDR prefixes) restrict TrustProxy to peers
	// in these ranges, and are skipped when walking X-Forwarded-For from
	// the right (for chains of proxies). Empty: any peer is trusted and
	// the rightmost X-Forwarded-For address is the client.
	TrustedProxies []string
	// Sensor names this service in Honeytrap events (default "photondb").
	Sensor string
	// Log receives detections (slog.Default when nil).
	Log *slog.Logger
	// Now is the blacklist's clock (time.Now when nil; for tests).
	Now func() time.Time
}

// Stats are the Guard's counters, for metrics.
type Stats struct {
	// Limited counts 429 answers.
	Limited uint64 `json:"limited"`
	// Blocked counts 403 answers to blacklisted addresses.
	Blocked uint64 `json:"blocked"`
	// Detected counts attacks detected (403 answers); Attacks splits
	// them by category.
	Detected uint64            `json:"detected"`
	Attacks  map[string]uint64 `json:"attacks"`
	// Blacklisted is the number of automatic blacklist entries (see
	// Blacklist.Len).
	Blacklisted int `json:"blacklisted"`
	// Honeytrap are the reporter's counters (zero when not configured).
	Honeytrap ReporterStats `json:"honeytrap"`
}

// Guard is the composed security middleware; see the package
// documentation for what it does in which order.
type Guard struct {
	log       *slog.Logger
	headers   *headers
	limiter   *httprate.RateLimiter
	blacklist *Blacklist
	detector  *Detector
	reporter  *Reporter
	exempt    pathSet
	exemptIPs []netip.Prefix
	exemptReq func(*http.Request) bool

	trustProxy bool
	trusted    []netip.Prefix
	blockFor   time.Duration
	sensor     string

	retryAfter  string
	limitDetail string

	limited, blocked, detected atomic.Uint64
	byCategory                 [len(categories)]atomic.Uint64
}

// categories are the Category constants, in a fixed order.
var categories = [...]string{CategoryPathTraversal, CategoryXSS, CategorySQLInjection, CategoryCommandInjection}

// New builds a Guard; Close it to flush Honeytrap events.
func New(o Options) (*Guard, error) {
	g := &Guard{log: o.Log, trustProxy: o.TrustProxy, blockFor: o.Detect.BlockFor, sensor: o.Sensor}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.blockFor == 0 {
		g.blockFor = DefaultBlockFor
	}
	if g.sensor == "" {
		g.sensor = DefaultSensor
	}
	exempt := o.ExemptPaths
	if exempt == nil {
		exempt = DefaultExemptPaths
	}
	g.exempt = newPathSet(exempt)
	g.exemptReq = o.ExemptRequest
	for _, s := range o.ExemptAddresses {
		p, err := ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("security: exempt addresses: %w", err)
		}
		g.exemptIPs = append(g.exemptIPs, p)
	}
	for _, s := range o.TrustedProxies {
		p, err := ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("security: trusted proxies: %w", err)
		}
		g.trusted = append(g.trusted, p)
	}
	if !o.Headers.Disabled {
		g.headers = newHeaders(o.Headers)
	}
	if !o.RateLimit.Disabled {
		n, window := o.RateLimit.Requests, o.RateLimit.Window
		if n <= 0 {
			n = DefaultRequests
		}
		if window <= 0 {
			window = DefaultWindow
		}
		// httprate's Retry-After is the window in whole seconds (0 for
		// short windows); round up instead.
		g.retryAfter = strconv.FormatInt(max(1, int64(math.Ceil(window.Seconds()))), 10)
		g.limitDetail = fmt.Sprintf("Rate limit of %d requests per %s exceeded; retry after %s s.", n, window, g.retryAfter)
		g.limiter = httprate.NewRateLimiter(n, window, httprate.WithErrorHandler(func(_ http.ResponseWriter, _ *http.Request, err error) {
			// The in-memory counter never fails; should it, the request
			// is refused as limited.
			g.log.Error("security: rate limiter", "err", err)
		}))
	}
	if !o.Blacklist.Disabled {
		b, err := NewBlacklist(o.Blacklist.Static, o.Blacklist.MaxEntries, o.Now)
		if err != nil {
			return nil, err
		}
		g.blacklist = b
	}
	if !o.Detect.Disabled {
		g.detector = NewDetector(DetectorOptions{SkipHeaders: o.Detect.SkipHeaders})
	}
	if o.Honeytrap.URL != "" {
		ro := o.Honeytrap
		if ro.Log == nil {
			ro.Log = g.log
		}
		r, err := NewReporter(ro)
		if err != nil {
			return nil, err
		}
		g.reporter = r
	}
	return g, nil
}

// Blacklist is the Guard's blacklist (nil when disabled), e.g. to list its
// Entries on an admin endpoint.
func (g *Guard) Blacklist() *Blacklist { return g.blacklist }

// Stats returns the counters.
func (g *Guard) Stats() Stats {
	s := Stats{Limited: g.limited.Load(), Blocked: g.blocked.Load(), Detected: g.detected.Load(),
		Attacks: make(map[string]uint64, len(categories))}
	for i, c := range categories {
		s.Attacks[c] = g.byCategory[i].Load()
	}
	if g.blacklist != nil {
		s.Blacklisted = g.blacklist.Len()
	}
	if g.reporter != nil {
		s.Honeytrap = g.reporter.Stats()
	}
	return s
}

// Close flushes queued Honeytrap events until ctx ends.
func (g *Guard) Close(ctx context.Context) error {
	if g.reporter == nil {
		return nil
	}
	return g.reporter.Close(ctx)
}

// Middleware applies the guard to next.
func (g *Guard) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr, viaProxy := g.clientAddr(r)
		if g.headers != nil {
			overTLS := r.TLS != nil || (viaProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
			g.headers.set(w, r, overTLS)
		}
		exempt := g.exempt.match(r.URL.Path) || inPrefixes(g.exemptIPs, addr) || (g.exemptReq != nil && g.exemptReq(r))
		if !exempt && g.blacklist != nil && g.blacklist.Contains(addr) {
			g.blocked.Add(1)
			writeProblem(w, http.StatusForbidden, "Requests from this address are refused.")
			return
		}
		if !exempt && g.limiter != nil && g.limiter.OnLimit(w, r, limitKey(addr, r.RemoteAddr)) {
			g.limited.Add(1)
			w.Header().Set("Retry-After", g.retryAfter)
			writeProblem(w, http.StatusTooManyRequests, g.limitDetail)
			return
		}
		if g.detector != nil {
			if det, ok := g.detector.Inspect(r); ok {
				g.refuseAttack(w, r, addr, det)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// limitKey is the rate-limit bucket: the IPv4 address, or the IPv6
// address's /64 (a client typically has a whole /64); the raw RemoteAddr
// when it is not an IP address (e.g. a Unix socket).
func limitKey(a netip.Addr, remote string) string {
	if !a.IsValid() {
		return remote
	}
	return clientPrefix(a).Addr().String()
}

// maxForwardedHops bounds the X-Forwarded-For addresses looked at.
const maxForwardedHops = 32

// clientAddr is the client's address (invalid when unknown) and whether the
// peer is a trusted proxy.
func (g *Guard) clientAddr(r *http.Request) (netip.Addr, bool) {
	remote := parseAddr(r.RemoteAddr)
	if !g.trustProxy || !remote.IsValid() || (len(g.trusted) > 0 && !g.isTrusted(remote)) {
		return remote, false
	}
	if a, ok := g.fromForwardedFor(r.Header.Values("X-Forwarded-For")); ok {
		return a, true
	}
	if a := parseAddr(strings.TrimSpace(r.Header.Get("X-Real-IP"))); a.IsValid() {
		return a, true
	}
	return remote, true
}

// fromForwardedFor walks X-Forwarded-For from the right (the entries the
// nearest proxies appended) and returns the first address that is not a
// trusted proxy; when all are, the leftmost valid one seen. It stops at an
// entry that is not an address (e.g. "unknown").
func (g *Guard) fromForwardedFor(values []string) (netip.Addr, bool) {
	var last netip.Addr
	hops := 0
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		for v != "" && hops < maxForwardedHops {
			part := v
			if j := strings.LastIndexByte(v, ','); j >= 0 {
				part, v = v[j+1:], v[:j]
			} else {
				v = ""
			}
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			hops++
			a := parseAddr(part)
			if !a.IsValid() {
				return last, last.IsValid()
			}
			if !g.isTrusted(a) {
				return a, true
			}
			last = a
		}
	}
	return last, last.IsValid()
}

func (g *Guard) isTrusted(a netip.Addr) bool { return inPrefixes(g.trusted, a) }

func inPrefixes(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseAddr reads "ip", "ip:port" or "[ip]:port"; the zero Addr if none.
func parseAddr(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// Bounds on what a detection logs and reports.
const (
	maxLoggedPath  = 512
	maxLoggedQuery = 2048
	maxEventHeader = 512
)

// eventHeaders are the request headers an Event carries (never
// credentials); the header a detection matched is added unless sensitive.
var eventHeaders = []string{"Accept", "Accept-Language", "Content-Type", "Content-Length", "Origin", "Referer",
	"Via", "Forwarded", "X-Forwarded-For", "X-Forwarded-Proto", "X-Real-IP"}

const redacted = "REDACTED"

// redactQuery replaces the values of parameters whose names look like
// credentials (token, key, session...).
func redactQuery(q string) string {
	if q == "" {
		return q
	}
	parts := strings.Split(q, "&")
	changed := false
	for i, p := range parts {
		if name, _, ok := strings.Cut(p, "="); ok && sensitiveHeader(urlDecode(name, true)) {
			parts[i], changed = name+"="+redacted, true
		}
	}
	if !changed {
		return q
	}
	return strings.Join(parts, "&")
}

// sensitiveHeader reports whether a header or query parameter may carry a
// credential (Authorization, Cookie, API keys, tokens...), whose value is
// never logged nor sent to Honeytrap.
func sensitiveHeader(name string) bool {
	name = strings.ToLower(name)
	for _, s := range []string{"auth", "cookie", "token", "key", "secret", "session", "password", "signature", "credential"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// refuseAttack answers 403, blacklists the address, logs and reports.
func (g *Guard) refuseAttack(w http.ResponseWriter, r *http.Request, addr netip.Addr, det Detection) {
	g.detected.Add(1)
	for i, c := range categories {
		if c == det.Category {
			g.byCategory[i].Add(1)
		}
	}
	source := addr.String()
	if !addr.IsValid() {
		source = truncate(r.RemoteAddr, 64)
	}
	action, detail := "refused", fmt.Sprintf("The request looks like an attack (%s) and was refused.", det.Category)
	if g.blacklist != nil && g.blockFor > 0 && addr.IsValid() {
		g.blacklist.Add(clientPrefix(addr), g.blockFor, det.Category+" ("+det.Rule+")")
		action = "blocked"
		detail += " Requests from this address are refused for a while."
	}
	// Credentials never reach the log or Honeytrap.
	value := det.Value
	if name, ok := strings.CutPrefix(det.Location, "header:"); ok && sensitiveHeader(name) {
		value = redacted
	} else if name, ok := strings.CutPrefix(det.Location, "query:"); ok && sensitiveHeader(name) {
		value = redacted
	}
	var blockedFor time.Duration
	if action == "blocked" {
		blockedFor = g.blockFor
	}
	path, method := truncate(r.URL.Path, maxLoggedPath), truncate(r.Method, 32)
	g.log.Warn("security: attack detected", "client", source, "method", method, "path", path,
		"category", det.Category, "rule", det.Rule, "location", det.Location, "value", value,
		"action", action, "blocked_for", blockedFor.String())
	if g.reporter != nil {
		ev := Event{
			Timestamp: time.Now().UTC(), Sensor: g.sensor, SourceIP: source, Method: method,
			Host: truncate(r.Host, 256), Path: path, Query: truncate(redactQuery(r.URL.RawQuery), maxLoggedQuery),
			Category: det.Category, Rule: det.Rule, Location: det.Location, Value: value,
			UserAgent: truncate(r.UserAgent(), maxEventHeader), Action: action,
			BlockedSeconds: int64(blockedFor / time.Second), Headers: make(map[string]string),
		}
		for _, h := range eventHeaders {
			if v := r.Header.Get(h); v != "" {
				ev.Headers[h] = truncate(v, maxEventHeader)
			}
		}
		if name, ok := strings.CutPrefix(det.Location, "header:"); ok && !sensitiveHeader(name) {
			ev.Headers[name] = truncate(r.Header.Get(name), maxEventHeader)
		}
		g.reporter.Report(ev)
	}
	writeProblem(w, http.StatusForbidden, detail)
}

// problem is an RFC 9457 problem details document.
type problem struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	body, err := json.Marshal(problem{Title: http.StatusText(status), Status: status, Detail: detail})
	if err != nil { // cannot happen: strings and an int
		body = []byte(`{"status":` + strconv.Itoa(status) + `}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
