package auth

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The used-state set refuses replays, forgets expired states, and stays
// within its bound by dropping the oldest.
func TestUsedStates(t *testing.T) {
	now := time.Now()
	u := newUsedStates(3)
	exp := now.Add(time.Minute)
	for i := range 3 {
		if !u.use("s"+strconv.Itoa(i), exp, now) {
			t.Fatalf("s%d refused", i)
		}
	}
	if u.use("s1", exp, now) || u.use("s2", exp, now) {
		t.Fatal("replay accepted")
	}
	if !u.use("s3", exp, now) || u.len() != 3 {
		t.Fatalf("full set: %d", u.len())
	}
	if u.use("s3", exp, now) || u.use("s2", exp, now) {
		t.Fatal("replay accepted after eviction of another")
	}
	// s0 was evicted (oldest): its replay is no longer seen here; the
	// cookie being cleared and the provider's single-use code cover it.
	later := exp.Add(time.Second)
	if !u.use("s9", later.Add(time.Minute), later) || u.len() != 1 {
		t.Fatalf("expired states kept: %d", u.len())
	}
	// Many states through a small set keep it small.
	big := newUsedStates(100)
	for i := range 10_000 {
		big.use(strconv.Itoa(i), now.Add(time.Hour), now)
	}
	if big.len() != 100 || len(big.order)-big.head != 100 || len(big.order) > 2200 {
		t.Fatalf("len %d, order %d head %d", big.len(), len(big.order), big.head)
	}
}

func TestLocalPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/": true, "/_admin?tab=1": true, "/docs#x": true,
		"": false, "x": false, "//evil.example": false, "/\\evil.example": false, "https://evil.example": false,
		"/a\nb": false, "/a\\b": false,
	} {
		if localPath(p) != want {
			t.Errorf("localPath(%q) = %v", p, !want)
		}
	}
}

// An unreachable provider: /auth/login answers 502 quickly, and repeated
// logins do not each wait for a new discovery.
func TestProviderDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := ln.Addr().String()
	must(t, ln.Close()) // nothing listens there now
	c := newCP(t, func(cfg *Config) {
		cfg.OIDC = OIDCConfig{Issuer: "http://" + addr + "/oidc", ClientID: "c", ClientSecret: "s"}
	})
	start := time.Now()
	for range 3 {
		if st, _ := c.do(http.MethodGet, "/auth/login", nil); st != http.StatusBadGateway {
			t.Fatalf("login with the provider down: %d", st)
		}
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
	if err := c.auth.CheckProviders(context.Background()); err == nil {
		t.Fatal("CheckProviders: no error")
	}
}
