package wire

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/photondb-io/photondb/datanode/reql"
)

// Magic numbers of the protocol versions (ql2.proto VersionDummy.Version).
const (
	magicV01 = 0x3f61ba36
	magicV02 = 0x723081e1
	magicV03 = 0x5f75e83e
	magicV04 = 0x400c2d20
	magicV10 = 0x34c2bdc3
)

// maxHandshakeMessage is RethinkDB's bound on one NUL-terminated handshake
// message.
const maxHandshakeMessage = 2048

// MaxQuerySize bounds one query frame. RethinkDB allows 128 MiB; PhotonDB
// allows 64 MiB so that a connection's buffer stays bounded.
const MaxQuerySize = 64 << 20

// ServerVersion is what the handshake reports as `server_version`.
const ServerVersion = "2.4.4-photondb"

// Server serves the RethinkDB driver protocol on a listener.
type Server struct {
	Env   *reql.Env
	Users Users
	Log   *slog.Logger
	// Iterations is the PBKDF2 iteration count an unknown user appears to
	// have (set it to what new passwords get; default DefaultIterations).
	Iterations int

	secret  []byte       // for stable fake credentials of unknown users
	obs     *observer    // metrics, spans, slow-query log (see Instrument)
	limiter *authLimiter // failed logins per client address

	mu       sync.Mutex
	conns    map[*conn]struct{}
	listener net.Listener
	draining bool
	wg       sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelFunc
}

// NewServer returns a server for env, authenticating against users.
func NewServer(env *reql.Env, users Users, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	ctx, cancel := context.WithCancel(context.Background())
	obs, err := newObserver(Instrumentation{}, log)
	if err != nil {
		panic(fmt.Sprintf("wire: no-op instrumentation: %v", err)) // no-op providers never fail
	}
	return &Server{Env: env, Users: users, Log: log, Iterations: DefaultIterations, secret: secret, obs: obs,
		limiter: newAuthLimiter(DefaultAuthLimits), conns: map[*conn]struct{}{}, ctx: ctx, cancel: cancel}
}

// SetAuthLimits sets how repeated authentication failures are slowed and
// refused (zero fields keep their defaults, see AuthLimits).
func (s *Server) SetAuthLimits(l AuthLimits) { s.limiter.setLimits(l) }

// Serve accepts connections until the listener is closed by Shutdown.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	s.listener = l
	s.mu.Unlock()
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			draining := s.draining
			s.mu.Unlock()
			if draining {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return fmt.Errorf("accept driver connection: %w", err)
		}
		c := &conn{srv: s, nc: nc, cursors: map[uint64]*cursor{}}
		s.mu.Lock()
		if s.draining {
			s.mu.Unlock()
			nc.Close()
			continue
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// Shutdown stops accepting connections and reading new queries, lets
// in-flight queries finish until ctx is done (then interrupts them, so they
// answer with an error), and closes every connection.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	if s.listener != nil {
		s.listener.Close()
	}
	for c := range s.conns {
		c.stopReading()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.cancel()
		<-done
		return ctx.Err()
	}
}

func (s *Server) fakeSalt(user string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(user))
	return m.Sum(nil)[:16]
}

// fakeCredentials are an unknown user's credentials: the same on every
// attempt (so the salt does not give the user away), matching no proof.
func (s *Server) fakeCredentials(user string) Credentials {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("stored key\x00" + user))
	stored := m.Sum(nil)
	iterations := s.Iterations
	if iterations <= 0 {
		iterations = DefaultIterations
	}
	return Credentials{Salt: s.fakeSalt(user), Iterations: iterations, StoredKey: stored, ServerKey: stored}
}

func serverNonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// handshake runs the V1_0 handshake. It returns the authenticated user, or
// an error after having sent RethinkDB's failure reply.
func (c *conn) handshake(r *bufio.Reader) (string, error) {
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return "", err
	}
	switch binary.LittleEndian.Uint32(magic[:]) {
	case magicV10:
	case magicV01, magicV02:
		return "", c.failLegacy("The PROTOBUF client protocol is no longer supported")
	case magicV03, magicV04:
		return "", c.failLegacy("The V0_3 and V0_4 client protocols are not supported by PhotonDB; use a driver that speaks V1_0 (RethinkDB 2.3 or later).")
	default:
		return "", c.failLegacy("Received an unsupported protocol version. This port is for RethinkDB queries. Does your client driver version not match the server?")
	}
	if err := c.writeHandshake(map[string]any{
		"success": true, "min_protocol_version": 0, "max_protocol_version": 0, "server_version": ServerVersion,
	}); err != nil {
		return "", err
	}
	scram := &scramServer{users: c.srv.Users, fake: c.srv.fakeCredentials, nonce: serverNonce}
	addr := clientIP(c.nc.RemoteAddr())

	msg, err := c.readHandshake(r)
	if err != nil {
		return "", c.fail(err)
	}
	if v, ok := msg["protocol_version"].(float64); !ok {
		return "", c.fail(&authError{1, "Expected a number for `protocol_version`."})
	} else if v != 0 {
		return "", c.fail(&authError{2, "Unsupported `protocol_version`."})
	}
	if m, ok := msg["authentication_method"].(string); !ok {
		return "", c.fail(&authError{3, "Expected a string for `authentication_method`."})
	} else if m != "SCRAM-SHA-256" {
		return "", c.fail(&authError{4, "Unsupported `authentication_method`."})
	}
	auth, ok := msg["authentication"].(string)
	if !ok {
		return "", c.fail(&authError{5, "Expected a string for `authentication`."})
	}
	if c.srv.limiter.locked(addr) {
		return "", c.fail(errLockedOut)
	}
	reply, err := scram.first(auth)
	if err != nil {
		return "", c.fail(err)
	}
	if err := c.writeHandshake(map[string]any{"success": true, "authentication": reply}); err != nil {
		return "", err
	}

	if msg, err = c.readHandshake(r); err != nil {
		return "", c.fail(err)
	}
	if auth, ok = msg["authentication"].(string); !ok {
		return "", c.fail(&authError{5, "Expected a string for `authentication`."})
	}
	if c.srv.limiter.locked(addr) {
		return "", c.fail(errLockedOut)
	}
	if reply, err = scram.final(auth); err != nil {
		if errors.Is(err, errWrongPassword) {
			// Slow the next guess down: the answer waits, longer for each
			// recent failure from this address.
			c.wait(c.srv.limiter.fail(addr))
		}
		return "", c.fail(err)
	}
	if err := c.writeHandshake(map[string]any{"success": true, "authentication": reply}); err != nil {
		return "", err
	}
	return scram.authenticatedFor, nil
}

// wait sleeps for d, or until the server shuts down.
func (c *conn) wait(d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.srv.ctx.Done():
	}
}

// readHandshake reads one NUL-terminated JSON object of at most 2048 bytes.
func (c *conn) readHandshake(r *bufio.Reader) (map[string]any, error) {
	buf := make([]byte, 0, 256)
	for {
		b, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		if b == 0 {
			break
		}
		buf = append(buf, b)
		if len(buf) >= maxHandshakeMessage-1 {
			return nil, &authError{7, "Limited read buffer size."}
		}
	}
	return parseHandshake(buf)
}

// parseHandshake decodes a handshake message's JSON object.
func parseHandshake(buf []byte) (map[string]any, error) {
	var msg map[string]any
	if err := json.Unmarshal(buf, &msg); err != nil || msg == nil {
		return nil, &authError{8, "Invalid JSON object."}
	}
	return msg, nil
}

func (c *conn) writeHandshake(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	defer c.nc.SetWriteDeadline(time.Time{})
	_, err = c.nc.Write(append(b, 0))
	return err
}

// fail sends a V1_0 handshake failure for err (if it carries a code) and
// returns err.
func (c *conn) fail(err error) error {
	var ae *authError
	if errors.As(err, &ae) {
		_ = c.writeHandshake(map[string]any{"success": false, "error": ae.msg, "error_code": ae.code})
	}
	return err
}

// failLegacy answers a pre-V1_0 client the way RethinkDB does: an
// "ERROR: ..." line, NUL-terminated.
func (c *conn) failLegacy(msg string) error {
	c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, _ = c.nc.Write([]byte("ERROR: " + msg + "\n\x00"))
	return errors.New(msg)
}
