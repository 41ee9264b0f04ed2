package security

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestBlacklistStatic(t *testing.T) {
	tests := []struct {
		name    string
		static  []string
		opt     Options
		from    string
		header  map[string]string
		path    string
		blocked bool
	}{
		{"listed IP", []string{"127.0.0.9"}, Options{}, "127.0.0.9", nil, "/api/v1/status", true},
		{"other IP", []string{"127.0.0.9"}, Options{}, "127.0.0.10", nil, "/api/v1/status", false},
		{"CIDR", []string{"127.0.1.0/24"}, Options{}, "127.0.1.5", nil, "/api/v1/status", true},
		{"outside CIDR", []string{"127.0.1.0/24"}, Options{}, "127.0.2.5", nil, "/api/v1/status", false},
		{"unmasked CIDR", []string{"127.0.1.77/24"}, Options{}, "127.0.1.5", nil, "/", true},
		{"IPv4-mapped entry", []string{"::ffff:127.0.0.11"}, Options{}, "127.0.0.11", nil, "/", true},
		{"IPv6 CIDR via proxy", []string{"2001:db8::/32"}, Options{TrustProxy: true}, "127.0.0.12",
			map[string]string{"X-Forwarded-For": "2001:db8:5::1"}, "/api/v1/status", true},
		{"IPv6 address via proxy", []string{"2001:db8::1"}, Options{TrustProxy: true}, "127.0.0.12",
			map[string]string{"X-Forwarded-For": "2001:db8::2"}, "/api/v1/status", false},
		{"probes stay reachable", []string{"127.0.0.9"}, Options{}, "127.0.0.9", nil, "/health/ready", false},
		{"metrics stay reachable", []string{"127.0.0.9"}, Options{}, "127.0.0.9", nil, "/_metrics", false},
		{"docs are not exempt", []string{"127.0.0.9"}, Options{}, "127.0.0.9", nil, "/docs", true},
		{"disabled", []string{"127.0.0.9"}, Options{Blacklist: BlacklistOptions{Disabled: true}}, "127.0.0.9", nil, "/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opt
			o.Blacklist.Static = tt.static
			g, srv := serve(t, o, nil)
			rs := do(t, srv, req{from: tt.from, target: tt.path, header: tt.header})
			if !tt.blocked {
				if rs.status != http.StatusOK {
					t.Fatalf("status %d (%s), want 200", rs.status, rs.body)
				}
				return
			}
			checkProblem(t, rs, http.StatusForbidden)
			if rs.header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("403 without security headers")
			}
			if g.Stats().Blocked != 1 {
				t.Errorf("Stats.Blocked = %d", g.Stats().Blocked)
			}
		})
	}
}

func TestBlacklistBadEntry(t *testing.T) {
	for _, bad := range []string{"", "300.1.1.1", "10.0.0.0/33", "example.com", "10.0.0.1/"} {
		_, err := New(Options{Blacklist: BlacklistOptions{Static: []string{bad}}})
		if err == nil || !strings.Contains(err.Error(), "blacklist") {
			t.Errorf("static entry %q: err %v, want a blacklist error", bad, err)
		}
	}
	if _, err := New(Options{TrustedProxies: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "trusted proxies") {
		t.Errorf("bad trusted proxy: err %v", err)
	}
}

func TestBlacklistAutomaticExpiry(t *testing.T) {
	tests := []struct {
		name     string
		blockFor time.Duration
		want     time.Duration // 0: not blacklisted
	}{
		{"default one hour", 0, time.Hour},
		{"configured", 10 * time.Minute, 10 * time.Minute},
		{"no blacklisting", -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			g, srv := serve(t, Options{Now: clk.Now, Detect: DetectOptions{BlockFor: tt.blockFor},
				Blacklist: BlacklistOptions{Static: []string{"192.0.2.0/24"}}}, nil)
			const from = "127.0.0.13"
			if rs := do(t, srv, req{from: from, target: "/api/v1/status"}); rs.status != http.StatusOK {
				t.Fatalf("before: status %d", rs.status)
			}
			p := checkProblem(t, do(t, srv, req{from: from, target: "/api/v1/databases?name=%27%20OR%20%271%27%3D%271"}), http.StatusForbidden)
			if !strings.Contains(p["detail"].(string), "sql-injection") {
				t.Errorf("detail %q does not name the category", p["detail"])
			}
			next := do(t, srv, req{from: from, target: "/api/v1/status"})
			entries := g.Blacklist().Entries()
			if tt.want == 0 {
				if next.status != http.StatusOK || len(entries) != 1 {
					t.Fatalf("not blacklisting: next status %d, entries %v", next.status, entries)
				}
				return
			}
			checkProblem(t, next, http.StatusForbidden)
			// Other addresses are not affected.
			if rs := do(t, srv, req{from: "127.0.0.14", target: "/api/v1/status"}); rs.status != http.StatusOK {
				t.Fatalf("other address: status %d", rs.status)
			}
			if len(entries) != 2 || !entries[0].Static || entries[1].Static {
				t.Fatalf("entries %+v, want the static one and the automatic one", entries)
			}
			e := entries[1]
			if e.Prefix != netip.MustParsePrefix(from+"/32") || !e.Added.Equal(clk.Now()) || !e.Expires.Equal(clk.Now().Add(tt.want)) ||
				!strings.Contains(e.Reason, "sql-injection") {
				t.Errorf("entry %+v, want %s/32 expiring in %s for sql-injection", e, from, tt.want)
			}
			if b, err := json.Marshal(e); err != nil || !strings.Contains(string(b), `"prefix":"127.0.0.13/32"`) {
				t.Errorf("entry JSON %s, %v", b, err)
			}
			clk.Advance(tt.want - time.Second)
			checkProblem(t, do(t, srv, req{from: from, target: "/api/v1/status"}), http.StatusForbidden)
			clk.Advance(time.Second)
			if rs := do(t, srv, req{from: from, target: "/api/v1/status"}); rs.status != http.StatusOK {
				t.Fatalf("after expiry: status %d", rs.status)
			}
			if n := len(g.Blacklist().Entries()); n != 1 {
				t.Errorf("after expiry: %d entries, want the static one", n)
			}
		})
	}
}

func TestBlacklistDisabledStillRefusesAttacks(t *testing.T) {
	g, srv := serve(t, Options{Blacklist: BlacklistOptions{Disabled: true}}, nil)
	checkProblem(t, do(t, srv, req{target: "/api/v1/x?f=../../etc/passwd"}), http.StatusForbidden)
	if rs := do(t, srv, req{target: "/api/v1/status"}); rs.status != http.StatusOK {
		t.Fatalf("next request: status %d", rs.status)
	}
	if g.Blacklist() != nil || g.Stats().Detected != 1 {
		t.Errorf("blacklist %v, stats %+v", g.Blacklist(), g.Stats())
	}
}

func TestBlacklistBounded(t *testing.T) {
	clk := newClock()
	b, err := NewBlacklist(nil, 3, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	p := func(i int) netip.Prefix { return netip.MustParsePrefix(fmt.Sprintf("198.51.100.%d/32", i)) }
	a := func(i int) netip.Addr { return netip.MustParseAddr(fmt.Sprintf("198.51.100.%d", i)) }
	for i := 1; i <= 3; i++ {
		b.Add(p(i), time.Hour, "test")
		clk.Advance(time.Second)
	}
	// Refreshing 1 makes it the newest; adding 4 and 5 evicts 2 and 3.
	b.Add(p(1), time.Hour, "again")
	b.Add(p(4), time.Hour, "test")
	b.Add(p(5), time.Hour, "test")
	if b.Len() != 3 {
		t.Fatalf("Len %d, want 3", b.Len())
	}
	for i, want := range map[int]bool{1: true, 2: false, 3: false, 4: true, 5: true} {
		if got := b.Contains(a(i)); got != want {
			t.Errorf("Contains(%s) = %v, want %v", a(i), got, want)
		}
	}
	// Expired entries are evicted before valid ones.
	b.Add(p(6), time.Second, "short")
	clk.Advance(2 * time.Second)
	b.Add(p(7), time.Hour, "test")
	if !b.Contains(a(4)) || !b.Contains(a(5)) || b.Len() != 3 {
		t.Errorf("valid entries evicted while an expired one was there (Len %d)", b.Len())
	}
	if b.Contains(a(6)) {
		t.Errorf("expired entry still blocks")
	}
	// A refresh never shortens the expiry.
	b.Add(p(7), time.Second, "shorter")
	clk.Advance(time.Minute)
	if !b.Contains(a(7)) {
		t.Errorf("refresh shortened the expiry")
	}
	if !b.Remove(p(7)) || b.Contains(a(7)) || b.Remove(p(7)) {
		t.Errorf("Remove")
	}
}

func TestBlacklistPrefixes(t *testing.T) {
	clk := newClock()
	b, err := NewBlacklist([]string{"10.0.0.1", " 10.1.0.0/16 ", "2001:db8::/48"}, 0, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	b.Add(clientPrefix(netip.MustParseAddr("2001:db8:ffff:1::5")), time.Hour, "auto")
	b.Add(netip.MustParsePrefix("198.51.100.0/24"), time.Hour, "admin")
	b.Add(netip.MustParsePrefix("::ffff:203.0.113.7/128"), time.Hour, "mapped")
	tests := []struct {
		addr string
		want bool
	}{
		{"10.0.0.1", true}, {"10.0.0.2", false}, {"10.1.200.3", true}, {"::ffff:10.1.0.1", true},
		{"2001:db8:0:1::1", true}, {"2001:db8:1::1", false},
		{"2001:db8:ffff:1::ffff", true}, {"2001:db8:ffff:2::5", false},
		{"198.51.100.200", true}, {"198.51.101.1", false}, {"203.0.113.7", true},
	}
	for _, tt := range tests {
		if got := b.Contains(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Contains(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
	if b.Contains(netip.Addr{}) {
		t.Errorf("the invalid address is blacklisted")
	}
	if n := len(b.Entries()); n != 6 {
		t.Errorf("%d entries, want 6: %+v", n, b.Entries())
	}
}
