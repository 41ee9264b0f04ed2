package auth

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	m "github.com/photondb-io/photondb/shared/meta"
)

// fuzzAuth is an authenticator with every kind of credential enabled:
// HS256 sessions, the cluster secret, and API tokens from the real
// metadata service on an embedded catalog.
var (
	fuzzOnce  sync.Once
	fuzzA     *Authenticator
	fuzzEd    *Authenticator
	fuzzToken string
	fuzzSess  string
)

func fuzzSetup(f *testing.F) {
	fuzzOnce.Do(func() {
		svc := newMeta(f)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, tok, err := svc.CreateToken(ctx, m.DefaultTenant, "fuzz", "owner")
		if err != nil {
			f.Fatal(err)
		}
		fuzzToken = tok
		if fuzzA, err = New(Config{JWTSecret: testSecret, ClusterSecret: testClusterSecret, Tokens: svc, Log: quietLog()}); err != nil {
			f.Fatal(err)
		}
		if fuzzEd, err = New(Config{JWTPrivateKey: edKey(), Log: quietLog()}); err != nil {
			f.Fatal(err)
		}
		if fuzzSess, _, err = fuzzA.IssueSession(alice); err != nil {
			f.Fatal(err)
		}
	})
}

// mutate is a credential one edit away from a valid one.
func mutations(valid string) []string {
	b := []byte(valid)
	var out []string
	for _, i := range []int{0, len(b) / 3, len(b) / 2, len(b) - 1} {
		c := append([]byte(nil), b...)
		c[i] ^= 0x01
		out = append(out, string(c))
	}
	return append(out, valid[:len(valid)-1], valid+"A", strings.ToUpper(valid))
}

// The bearer/cookie parser and every verifier behind it: no input panics,
// and no input that is not a credential the server issued authenticates.
func FuzzAuthenticate(f *testing.F) {
	fuzzSetup(f)
	for _, s := range append(mutations(fuzzSess), mutations(fuzzToken)...) {
		f.Add("Bearer "+s, "")
		f.Add("", s)
	}
	for _, s := range []string{
		"", "Bearer", "Bearer ", "bearer x", "Basic YWRtaW46", "Bearer pdb_", "Bearer pdb__",
		"Bearer pdb_00000000000000000000000000000000_AAAAAAAAAAAAAAAAAAAA",
		"Bearer eyJhbGciOiJub25lIn0.e30.", "Bearer a.b.c", "Bearer ..", "Bearer " + strings.Repeat("A", 9000),
		"Bearer " + testClusterSecret[:len(testClusterSecret)-1], "Bearer \x00\xff", "Bearer eyJ.eyJ.sig x",
	} {
		f.Add(s, "")
		f.Add("", strings.TrimPrefix(s, "Bearer "))
	}
	f.Fuzz(func(t *testing.T, header, cookie string) {
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1/api/v1/databases", nil)
		if err != nil {
			t.Skip()
		}
		if header != "" {
			req.Header["Authorization"] = []string{header}
		}
		if cookie != "" {
			req.Header["Cookie"] = []string{DefaultCookieName + "=" + cookie}
		}
		id, err := fuzzA.Authenticate(req)
		if err != nil {
			return
		}
		if tok, ok, _ := bearer(req); ok {
			if tok != fuzzSess && tok != fuzzToken && tok != testClusterSecret {
				t.Fatalf("authenticated %+v from header %q", id, header)
			}
		} else if cs := req.CookiesNamed(DefaultCookieName); len(cs) != 1 || cs[0].Value != fuzzSess {
			t.Fatalf("authenticated %+v from cookie %q", id, cookie)
		}
	})
}

// Session JWTs under both kinds of keys: no panic, nothing forged verifies.
func FuzzVerifySession(f *testing.F) {
	fuzzSetup(f)
	edSess, _, err := fuzzEd.IssueSession(alice)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range append(append(mutations(fuzzSess), mutations(edSess)...),
		"", ".", "..", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.",
		"eyJhbGciOiJIUzI1NiIsImNyaXQiOlsiZXhwIl19.e30.AAAA", "eyJ9.eyJ9.AAAA") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if id, err := fuzzA.verifySession(raw); err == nil && raw != fuzzSess {
			t.Fatalf("HS256 verified %q as %+v", raw, id)
		}
		if id, err := fuzzEd.verifySession(raw); err == nil && raw != edSess {
			t.Fatalf("EdDSA verified %q as %+v", raw, id)
		}
	})
}

// Sealed login states: no panic, nothing but what was sealed opens.
func FuzzOpenState(f *testing.F) {
	fuzzSetup(f)
	sealed, err := fuzzA.keys.seal(loginState{State: "s", Verifier: "v", Provider: "oidc", Expires: time.Now().Add(time.Hour).Unix()})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range append(mutations(sealed), "", "A", "AAAA", strings.Repeat("A", 40), "!!!") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if st, err := fuzzA.keys.open(s, time.Now()); err == nil && s != sealed {
			t.Fatalf("opened %q as %+v", s, st)
		}
	})
}

// Rules: no panic; what parses prints back to itself; matching any claim
// value never panics nor grants an invalid tenant or role.
func FuzzRules(f *testing.F) {
	for _, s := range []string{
		"cognito:groups=acme-admins acme admin", "groups=photondb-{tenant}-{role}", "hd={tenant}.com reader",
		"sub=* default reader", "x={role}-{tenant}", "a={tenant}", "=", ";;\n#", "g={tenant}{role}",
	} {
		f.Add(s, "photondb-acme-admin")
	}
	f.Fuzz(func(t *testing.T, s, value string) {
		rules, err := ParseRules(s)
		if err != nil {
			return
		}
		for _, r := range rules {
			again, err := ParseRules(r.String())
			if err != nil || len(again) != 1 || again[0] != r {
				t.Fatalf("%#v does not round-trip: %v %v", r, again, err)
			}
			claims := map[string]any{r.Claim: []any{value}, "email": value, "email_verified": true}
			for _, g := range Grants(rules, claims) {
				if !m.ValidName(g.Tenant) || !g.Role.Valid() {
					t.Fatalf("grant %+v from %q", g, value)
				}
			}
		}
	})
}
