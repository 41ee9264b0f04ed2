package config

import (
	"flag"
	"time"
)

// Security holds the HTTP security middleware's flags.
type Security struct {
	RateLimit       int           // requests per RateWindow per client address (0: off)
	RateWindow      time.Duration // the rate limit's window
	RateLimitExempt []string      // IPs/CIDRs exempt from the rate limit and blacklist
	Blacklist       []string      // IPs/CIDRs always refused
	BlockFor        time.Duration // how long a detected attacker is blacklisted
	TrustProxy      bool          // take the client address from X-Forwarded-For / X-Real-IP
	TrustedProxies  []string      // proxies whose X-Forwarded-For entries are skipped
}

func (s *Security) register(fs *flag.FlagSet) {
	s.RateLimitExempt = []string{"127.0.0.0/8", "::1/128"}
	fs.IntVar(&s.RateLimit, "rate-limit", 100, "HTTP requests per --rate-window per client address; over it: 429 with Retry-After (0: no limit)")
	fs.DurationVar(&s.RateWindow, "rate-window", time.Minute, "window of --rate-limit")
	fs.Var(&replaceList{list: &s.RateLimitExempt}, "rate-limit-exempt", "client IPs/CIDRs exempt from the rate limit and blacklist, comma-separated (default loopback: the embedded data node and local tools; \"\" for none)")
	fs.Var(listFlag{&s.Blacklist}, "blacklist", "client IPs/CIDRs always refused (403), comma-separated")
	fs.DurationVar(&s.BlockFor, "block-for", time.Hour, "how long an address that sent an attack pattern stays blacklisted")
	fs.BoolVar(&s.TrustProxy, "trust-proxy", false, "take the client address from X-Forwarded-For/X-Real-IP (only behind a proxy that sets them)")
	fs.Var(listFlag{&s.TrustedProxies}, "trusted-proxies", "proxy IPs/CIDRs skipped in X-Forwarded-For (with --trust-proxy)")
}

// replaceList is a list flag whose default is replaced (not appended to)
// when the flag is given; "" clears it.
type replaceList struct {
	list *[]string
	set  bool
}

func (l *replaceList) String() string {
	if l.list == nil {
		return ""
	}
	return listFlag{l.list}.String()
}

func (l *replaceList) Set(v string) error {
	if !l.set {
		*l.list, l.set = nil, true
	}
	return listFlag{l.list}.Set(v)
}
