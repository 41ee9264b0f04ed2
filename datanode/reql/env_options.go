package reql

import (
	"net"
	"strings"
	"sync"
)

// ExtOptions are the server settings of the terms that reach outside the
// database: r.js (JAVASCRIPT) and r.http (HTTP). They are set once per Env
// by the node (see datanode.Config) with (*Env).SetExtOptions.
//
// The zero value is the production default: r.js on, r.http off except for
// the hosts in HTTPAllow.
type ExtOptions struct {
	// JSDisabled refuses r.js (photondb serve --js=false / --no-js).
	JSDisabled bool
	// HTTPAllowAll lets r.http reach any host (photondb serve --dev-mode).
	HTTPAllowAll bool
	// HTTPAllow lists the hosts r.http may reach otherwise (--http-allow):
	// a host name or IP ("api.example.com", "127.0.0.1"), "*.example.com"
	// for its subdomains, or host:port to allow one port only.
	HTTPAllow []string
}

// extOptions holds the options of each Env. Env is declared in eval.go and
// has no field for them yet, so they live beside it, keyed by the Env.
var extOptions sync.Map // *Env -> ExtOptions

// SetExtOptions sets the r.js and r.http settings of queries run on e.
func (e *Env) SetExtOptions(o ExtOptions) {
	o.HTTPAllow = append([]string(nil), o.HTTPAllow...)
	extOptions.Store(e, o)
}

// ExtOptions returns the r.js and r.http settings of e.
func (e *Env) ExtOptions() ExtOptions {
	if e == nil {
		return ExtOptions{}
	}
	if o, ok := extOptions.Load(e); ok {
		return o.(ExtOptions)
	}
	return ExtOptions{}
}

// httpAllowed reports whether r.http may reach host (a host name or IP) on
// port under these options.
func (o ExtOptions) httpAllowed(host, port string) bool {
	if o.HTTPAllowAll {
		return true
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, a := range o.HTTPAllow {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" {
			continue
		}
		if a == "*" {
			return true
		}
		pattern, wantPort := a, ""
		if h, p, err := net.SplitHostPort(a); err == nil {
			pattern, wantPort = h, p
		}
		pattern = strings.Trim(pattern, "[]")
		if wantPort != "" && wantPort != port {
			continue
		}
		if strings.HasPrefix(pattern, "*.") {
			if strings.HasSuffix(host, pattern[1:]) {
				return true
			}
			continue
		}
		if pattern == host {
			return true
		}
	}
	return false
}
