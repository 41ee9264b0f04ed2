package wire

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/photondb-io/photondb/datanode/reql"
)

// fakeClock is a settable time for the limiter.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestAuthLimiter(t *testing.T) {
	limits := AuthLimits{MaxFailures: 3, Window: time.Minute, Lockout: 5 * time.Minute,
		BaseDelay: 100 * time.Millisecond, MaxDelay: 300 * time.Millisecond, MaxTracked: 2}
	type step struct {
		advance    time.Duration
		addr       string
		fail       bool // record a failure (else just look)
		wantDelay  time.Duration
		wantLocked bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"progressive delay then lockout", []step{
			{0, "a", true, 100 * time.Millisecond, false},
			{time.Second, "a", true, 200 * time.Millisecond, false},
			{time.Second, "a", true, 300 * time.Millisecond, true}, // capped delay; third failure locks
			{4 * time.Minute, "a", false, 0, true},
			{2 * time.Minute, "a", false, 0, false}, // lockout over
		}},
		{"failures outside the window are forgotten", []step{
			{0, "a", true, 100 * time.Millisecond, false},
			{time.Second, "a", true, 200 * time.Millisecond, false},
			{2 * time.Minute, "a", true, 100 * time.Millisecond, false},
		}},
		{"addresses are counted apart", []step{
			{0, "a", true, 100 * time.Millisecond, false},
			{0, "a", true, 200 * time.Millisecond, false},
			{0, "b", true, 100 * time.Millisecond, false},
			{0, "b", false, 0, false},
		}},
		{"stale addresses are forgotten", []step{
			{0, "a", true, 100 * time.Millisecond, false},
			{2 * time.Minute, "b", true, 100 * time.Millisecond, false}, // a is stale: dropped
			{0, "c", true, 100 * time.Millisecond, false},               // room for c without evicting b
			{0, "b", true, 200 * time.Millisecond, false},
		}},
		{"bounded memory forgets the least recent", []step{
			{0, "a", true, 100 * time.Millisecond, false},
			{0, "a", true, 200 * time.Millisecond, false},
			{0, "b", true, 100 * time.Millisecond, false},
			{0, "c", true, 100 * time.Millisecond, false}, // evicts a
			{0, "a", true, 100 * time.Millisecond, false}, // a starts over (evicts b)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Unix(1000, 0)}
			l := newAuthLimiter(limits)
			l.now = clock.now
			for i, s := range tt.steps {
				clock.t = clock.t.Add(s.advance)
				if s.fail {
					if d := l.fail(s.addr); d != s.wantDelay {
						t.Fatalf("step %d: delay %v, want %v", i, d, s.wantDelay)
					}
				}
				if got := l.locked(s.addr); got != s.wantLocked {
					t.Fatalf("step %d: locked %v, want %v", i, got, s.wantLocked)
				}
				if n := l.tracked(); n > limits.MaxTracked {
					t.Fatalf("step %d: %d addresses tracked, cap %d", i, n, limits.MaxTracked)
				}
			}
		})
	}
}

func TestClientIP(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 5555}, "10.1.2.3"},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 1}, "::1"},
		{&net.UnixAddr{Name: "/tmp/sock", Net: "unix"}, "/tmp/sock"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := clientIP(tt.addr); got != tt.want {
			t.Errorf("clientIP(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

// handshakeResult is how a handshake ended: code 0 for success, else the
// server's error code and message; took is how long the final answer took.
type handshakeResult struct {
	code int
	msg  string
	took time.Duration
}

// scramClient runs the V1_0 handshake as a driver does and returns how it
// ended.
func scramClient(t *testing.T, addr, user, password string) (int, string, time.Duration) {
	t.Helper()
	res, err := tryHandshake(addr, user, password)
	if err != nil {
		t.Fatal(err)
	}
	return res.code, res.msg, res.took
}

func tryHandshake(addr, user, password string) (handshakeResult, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return handshakeResult{}, err
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(nc)
	read := func() (map[string]any, error) {
		b, err := r.ReadBytes(0)
		if err != nil {
			return nil, fmt.Errorf("read handshake reply: %w", err)
		}
		var m map[string]any
		if err := json.Unmarshal(b[:len(b)-1], &m); err != nil {
			return nil, fmt.Errorf("reply %q: %w", b, err)
		}
		return m, nil
	}
	write := func(v any) error {
		b, _ := json.Marshal(v)
		_, err := nc.Write(append(b, 0))
		return err
	}
	failure := func(m map[string]any) (handshakeResult, bool) {
		if ok, _ := m["success"].(bool); ok {
			return handshakeResult{}, false
		}
		code, _ := m["error_code"].(float64)
		msg, _ := m["error"].(string)
		return handshakeResult{code: int(code), msg: msg}, true
	}
	var magic [4]byte
	binary.LittleEndian.PutUint32(magic[:], magicV10)
	if _, err := nc.Write(magic[:]); err != nil {
		return handshakeResult{}, err
	}
	m, err := read()
	if err != nil {
		return handshakeResult{}, err
	}
	if res, failed := failure(m); failed {
		return res, nil
	}
	clientFirstBare := "n=" + user + ",r=rOprNGfwEbeRWgbNEkqO"
	if err := write(map[string]any{"protocol_version": 0, "authentication_method": "SCRAM-SHA-256", "authentication": "n,," + clientFirstBare}); err != nil {
		return handshakeResult{}, err
	}
	if m, err = read(); err != nil {
		return handshakeResult{}, err
	}
	if res, failed := failure(m); failed {
		return res, nil
	}
	serverFirst, _ := m["authentication"].(string)
	attrs, err := splitAttributes(serverFirst)
	if err != nil {
		return handshakeResult{}, err
	}
	salt, _ := base64.StdEncoding.DecodeString(attrs['s'])
	iter, _ := strconv.Atoi(attrs['i'])
	salted, err := pbkdf2.Key(sha256.New, password, salt, iter, sha256.Size)
	if err != nil {
		return handshakeResult{}, err
	}
	clientKey := hmacSHA256(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	withoutProof := "c=biws,r=" + attrs['r']
	authMessage := clientFirstBare + "," + serverFirst + "," + withoutProof
	sig := hmac.New(sha256.New, stored[:])
	sig.Write([]byte(authMessage))
	proof := sig.Sum(nil)
	for i := range proof {
		proof[i] ^= clientKey[i]
	}
	start := time.Now()
	if err := write(map[string]any{"authentication": withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)}); err != nil {
		return handshakeResult{}, err
	}
	if m, err = read(); err != nil {
		return handshakeResult{}, err
	}
	took := time.Since(start)
	res, _ := failure(m)
	res.took = took
	return res, nil
}

func startTestServer(t *testing.T, users Users, limits AuthLimits) (*Server, string) {
	t.Helper()
	srv := NewServer(&reql.Env{}, users, nil)
	srv.SetAuthLimits(limits)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return srv, l.Addr().String()
}

// A wrong password and an unknown user get the same answer, after the same
// delay; repeated failures lock the address out, whatever the password.
func TestHandshakeFailuresAndLockout(t *testing.T) {
	creds, err := NewCredentials("right", 64)
	if err != nil {
		t.Fatal(err)
	}
	limits := AuthLimits{MaxFailures: 4, Window: time.Minute, Lockout: time.Minute, BaseDelay: 40 * time.Millisecond, MaxDelay: 40 * time.Millisecond}
	srv, addr := startTestServer(t, userMap{"bob": creds}, limits)
	srv.Iterations = 64

	if code, msg, _ := scramClient(t, addr, "bob", "right"); code != 0 {
		t.Fatalf("right password refused: %d %s", code, msg)
	}
	type attempt struct{ user, password string }
	failures := []attempt{{"bob", "wrong"}, {"nobody", "wrong"}, {"bob", ""}}
	for _, a := range failures {
		code, msg, took := scramClient(t, addr, a.user, a.password)
		if code != 12 || msg != "Wrong password" {
			t.Fatalf("%s/%q: answer %d %q, want 12 \"Wrong password\" for unknown users and wrong passwords alike", a.user, a.password, code, msg)
		}
		if took < limits.BaseDelay {
			t.Fatalf("%s/%q: failure answered after %v, want at least %v", a.user, a.password, took, limits.BaseDelay)
		}
	}
	// The fourth failure locks the address out: even the right password
	// is refused now, with the lockout message, before any SCRAM work.
	if code, _, _ := scramClient(t, addr, "nobody", "x"); code != 12 {
		t.Fatalf("fourth failure: code %d", code)
	}
	for _, a := range []attempt{{"bob", "right"}, {"nobody", "x"}} {
		code, msg, _ := scramClient(t, addr, a.user, a.password)
		if code != 20 || msg != "Too many failed authentication attempts; try again later." {
			t.Fatalf("%s while locked out: %d %q", a.user, code, msg)
		}
	}
}

// The first reply does not tell unknown users from known ones: the salt of
// an unknown user is the same on every attempt, with the same iterations.
func TestUnknownUserLooksKnown(t *testing.T) {
	creds, err := NewCredentials("pw", 128)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(&reql.Env{}, userMap{"bob": creds}, nil)
	srv.Iterations = 128
	first := func(user string) map[byte]string {
		s := &scramServer{users: srv.Users, fake: srv.fakeCredentials, nonce: func() string { return "n" }}
		reply, err := s.first("n,,n=" + user + ",r=c")
		if err != nil {
			t.Fatal(err)
		}
		attrs, err := splitAttributes(reply)
		if err != nil {
			t.Fatal(err)
		}
		return attrs
	}
	a, b, known := first("mallory"), first("mallory"), first("bob")
	if a['s'] != b['s'] || a['i'] != known['i'] || len(a['s']) != len(known['s']) {
		t.Fatalf("unknown user's first reply %v / %v differs in shape from a known user's %v", a, b, known)
	}
}

// Many concurrent failures from one address end in a lockout, and the
// limiter's memory stays bounded by MaxTracked.
func TestConcurrentFailuresLockOut(t *testing.T) {
	limits := AuthLimits{MaxFailures: 5, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxTracked: 1}
	srv, addr := startTestServer(t, userMap{}, limits)
	var wg sync.WaitGroup
	results := make(chan handshakeResult, 20)
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res, err := tryHandshake(addr, fmt.Sprintf("u%d", i), "x")
			if err != nil {
				errs <- err
				return
			}
			results <- res
		}(i)
	}
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for res := range results {
		seen[res.code]++
	}
	if seen[12]+seen[20] != 20 || seen[12] < limits.MaxFailures {
		t.Fatalf("answers %v: want failures then lockouts", seen)
	}
	if !srv.limiter.locked("127.0.0.1") || srv.limiter.tracked() != 1 {
		t.Fatalf("locked %v, tracked %d", srv.limiter.locked("127.0.0.1"), srv.limiter.tracked())
	}
	if code, msg, _ := scramClient(t, addr, "u1", "x"); code != 20 || !strings.Contains(msg, "Too many failed") {
		t.Fatalf("after lockout: %d %s", code, msg)
	}
}
