package drivers_test

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

const (
	magicV1_0 = 0x34c2bdc3
	// V0_1 spoke protobuf; RethinkDB refuses it with an error text too.
	magicV0_1 = 0x3f61ba36

	// ql2 response types
	respSuccessAtom     = 1
	respSuccessSequence = 2
	respSuccessPartial  = 3
	respClientError     = 16
)

func rawDial(t testing.TB, srv *server) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", srv.DriverAddr(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", srv.DriverAddr(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func le32(v uint32) []byte {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, v)
	return b
}

// readUntilClosed reads everything until the peer closes the connection
// (EOF or reset). It fails the test if the connection stays open for d.
func readUntilClosed(t testing.TB, c net.Conn, d time.Duration) []byte {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	var got bytes.Buffer
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		got.Write(buf[:n])
		if err == nil {
			if got.Len() > 1<<20 {
				t.Fatalf("server sent more than 1 MiB without closing")
			}
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection still open after %v (received %q)", d, got.Bytes())
		}
		return got.Bytes() // io.EOF, connection reset: closed by the server
	}
}

// assertDriverWorks opens a new driver session and runs real queries.
func assertDriverWorks(t testing.TB, srv *server) {
	t.Helper()
	srv.AssertAlive()
	sess, err := dial(srv.connectOpts())
	if err != nil {
		t.Fatalf("new driver session after raw connection: %v", err)
	}
	defer sess.Close()
	cur, err := r.DB("test").TableList().Run(sess)
	if err != nil {
		t.Fatalf("tableList on new session: %v", err)
	}
	var tables []string
	if err := cur.All(&tables); err != nil {
		t.Fatalf("tableList read: %v", err)
	}
	cur, err = r.Expr([]interface{}{1, "two"}).Run(sess)
	if err != nil {
		t.Fatalf("r.Expr on new session: %v", err)
	}
	var arr []interface{}
	if err := cur.All(&arr); err != nil || len(arr) != 2 || arr[0] != float64(1) || arr[1] != "two" {
		t.Fatalf("r.Expr([1,\"two\"]) = %v, %v", arr, err)
	}
}

// 9. Raw TCP misbehaviour on the driver port.
func TestRawBadHandshakes(t *testing.T) {
	srv := startServer(t, t.TempDir())

	garbage := make([]byte, 256)
	for i := range garbage {
		garbage[i] = byte(i*131 + 7)
	}

	cases := []struct {
		name string
		send []byte
		// wantErrText: the server must answer with a NUL-terminated error
		// text and then close; otherwise it only has to close.
		wantErrText bool
		// closeOnly: the client hangs up itself; the server just must survive.
		closeOnly bool
	}{
		{name: "garbage bytes", send: garbage},
		{name: "garbage text", send: []byte("hello, this is not rethinkdb\r\n\r\n\x00\x00\x00")},
		{name: "wrong magic", send: le32(0xdeadbeef), wantErrText: true},
		{name: "zero magic", send: le32(0), wantErrText: true},
		{name: "protobuf-era V0_1 magic", send: le32(magicV0_1), wantErrText: true},
		{name: "V1_0 magic then garbage", send: append(le32(magicV1_0), append(bytes.Repeat([]byte{0xff, '{', '"'}, 50), 0)...)},
		{name: "V1_0 magic then non-JSON auth", send: append(le32(magicV1_0), []byte("not json at all\x00")...)},
		{name: "truncated magic then hang up", send: []byte{0xc3, 0xbd}, closeOnly: true},
		{name: "V1_0 magic then hang up", send: le32(magicV1_0), closeOnly: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := rawDial(t, srv)
			if _, err := c.Write(tc.send); err != nil {
				t.Fatalf("write: %v", err)
			}
			if tc.closeOnly {
				time.Sleep(50 * time.Millisecond)
				c.Close()
			} else {
				got := readUntilClosed(t, c, 5*time.Second)
				if tc.wantErrText {
					if len(got) < 2 || got[len(got)-1] != 0 {
						t.Errorf("server answered %q, want a NUL-terminated error text", got)
					} else if i := bytes.IndexByte(got, 0); i != len(got)-1 {
						t.Errorf("server answered %q, want exactly one NUL-terminated text", got)
					} else if strings.TrimSpace(string(got[:len(got)-1])) == "" {
						t.Errorf("server answered an empty error text")
					} else if !bytes.HasPrefix(got, []byte("ERROR: ")) {
						t.Errorf("error text %q lacks RethinkDB's \"ERROR: \" prefix (drivers parse it)", got)
					} else {
						t.Logf("error text: %q", got)
					}
				}
			}
			assertDriverWorks(t, srv)
		})
	}

	// Many bad connections at once, then the server still works.
	conns := make([]net.Conn, 0, 20)
	for i := 0; i < 20; i++ {
		c := rawDial(t, srv)
		_, _ = c.Write(garbage[:i+1])
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	assertDriverWorks(t, srv)
}

// rawConn is a minimal RethinkDB V1_0 client used to observe the wire
// protocol directly.
type rawConn struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func (rc *rawConn) readNulMsg() map[string]interface{} {
	rc.t.Helper()
	_ = rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := rc.br.ReadBytes(0)
	if err != nil {
		rc.t.Fatalf("handshake read: %v (got %q)", err, line)
	}
	var m map[string]interface{}
	if err := json.Unmarshal(line[:len(line)-1], &m); err != nil {
		rc.t.Fatalf("handshake message %q is not JSON: %v", line, err)
	}
	if m["success"] != true {
		rc.t.Fatalf("handshake failed: %v", m)
	}
	return m
}

func (rc *rawConn) writeNulMsg(v interface{}) {
	rc.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		rc.t.Fatal(err)
	}
	if _, err := rc.c.Write(append(b, 0)); err != nil {
		rc.t.Fatalf("handshake write: %v", err)
	}
}

// rawLogin performs the V1_0 handshake with SCRAM-SHA-256 as user admin with
// the empty password.
func rawLogin(t testing.TB, srv *server) *rawConn {
	t.Helper()
	c := rawDial(t, srv)
	rc := &rawConn{t: t, c: c, br: bufio.NewReader(c)}
	if _, err := c.Write(le32(magicV1_0)); err != nil {
		t.Fatalf("write magic: %v", err)
	}
	rc.readNulMsg() // server versions

	nb := make([]byte, 18)
	_, _ = rand.Read(nb)
	clientNonce := base64.StdEncoding.EncodeToString(nb)
	clientFirstBare := "n=admin,r=" + clientNonce
	rc.writeNulMsg(map[string]interface{}{
		"protocol_version":      0,
		"authentication_method": "SCRAM-SHA-256",
		"authentication":        "n,," + clientFirstBare,
	})
	first := rc.readNulMsg()
	serverFirst, _ := first["authentication"].(string)
	fields := map[string]string{}
	for _, part := range strings.Split(serverFirst, ",") {
		if k, v, ok := strings.Cut(part, "="); ok {
			fields[k] = v
		}
	}
	if !strings.HasPrefix(fields["r"], clientNonce) {
		t.Fatalf("server nonce %q does not extend client nonce %q", fields["r"], clientNonce)
	}
	salt, err := base64.StdEncoding.DecodeString(fields["s"])
	if err != nil {
		t.Fatalf("salt %q: %v", fields["s"], err)
	}
	iter, err := strconv.Atoi(fields["i"])
	if err != nil || iter <= 0 {
		t.Fatalf("iteration count %q: %v", fields["i"], err)
	}
	salted, err := pbkdf2.Key(sha256.New, "", salt, iter, sha256.Size)
	if err != nil {
		t.Fatalf("pbkdf2: %v", err)
	}
	hm := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	clientKey := hm(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	finalNoProof := "c=biws,r=" + fields["r"]
	authMsg := clientFirstBare + "," + serverFirst + "," + finalNoProof
	sig := hm(storedKey[:], authMsg)
	proof := make([]byte, len(clientKey))
	for i := range clientKey {
		proof[i] = clientKey[i] ^ sig[i]
	}
	rc.writeNulMsg(map[string]interface{}{
		"authentication": finalNoProof + ",p=" + base64.StdEncoding.EncodeToString(proof),
	})
	final := rc.readNulMsg()
	wantV := "v=" + base64.StdEncoding.EncodeToString(hm(hm(salted, "Server Key"), authMsg))
	if final["authentication"] != wantV {
		t.Fatalf("server signature %v, want %s", final["authentication"], wantV)
	}
	_ = c.SetReadDeadline(time.Time{})
	return rc
}

func (rc *rawConn) send(token uint64, query string) {
	rc.t.Helper()
	hdr := make([]byte, 12)
	binary.LittleEndian.PutUint64(hdr, token)
	binary.LittleEndian.PutUint32(hdr[8:], uint32(len(query)))
	if _, err := rc.c.Write(append(hdr, query...)); err != nil {
		rc.t.Fatalf("write query: %v", err)
	}
}

type rawResponse struct {
	Token uint64
	T     int               `json:"t"`
	R     []json.RawMessage `json:"r"`
	E     int               `json:"e"`
}

// recv reads one response frame; ok is false if the server closed the connection.
func (rc *rawConn) recv(d time.Duration) (resp rawResponse, ok bool) {
	rc.t.Helper()
	_ = rc.c.SetReadDeadline(time.Now().Add(d))
	hdr := make([]byte, 12)
	if _, err := io.ReadFull(rc.br, hdr); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			rc.t.Fatalf("no response within %v", d)
		}
		return resp, false
	}
	n := binary.LittleEndian.Uint32(hdr[8:])
	body := make([]byte, n)
	if _, err := io.ReadFull(rc.br, body); err != nil {
		rc.t.Fatalf("reading %d-byte response body: %v", n, err)
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		rc.t.Fatalf("response %q is not JSON: %v", body, err)
	}
	resp.Token = binary.LittleEndian.Uint64(hdr)
	return resp, true
}

// The 10,000-row scan arrives in several SUCCESS_PARTIAL batches, fetched
// with CONTINUE, ending in SUCCESS_SEQUENCE; and a raw client works end to end.
func TestRawProtocolBatches(t *testing.T) {
	srv := startServer(t, t.TempDir())
	sess := connect(t, srv)
	tbl := newTable(t, sess, "big")
	const n = 10000
	fillTable(t, sess, tbl, n)

	rc := rawLogin(t, srv)

	// r.expr(1) -> SUCCESS_ATOM
	rc.send(1, `[1,1,{}]`)
	resp, ok := rc.recv(10 * time.Second)
	if !ok || resp.Token != 1 || resp.T != respSuccessAtom || len(resp.R) != 1 || string(resp.R[0]) != "1" {
		t.Fatalf("r.expr(1) response %+v (ok=%v), want token 1 t=1 r=[1]", resp, ok)
	}

	// r.db('test').table('big')
	const token = 7
	rc.send(token, `[1,[15,[[14,["test"]],"big"]],{}]`)
	seen := map[float64]int{}
	batches := 0
	for {
		resp, ok := rc.recv(20 * time.Second)
		if !ok {
			t.Fatalf("connection closed during scan after %d batches", batches)
		}
		if resp.Token != token {
			t.Fatalf("response for token %d, want %d", resp.Token, token)
		}
		batches++
		for _, raw := range resp.R {
			var d struct {
				ID float64 `json:"id"`
			}
			if err := json.Unmarshal(raw, &d); err != nil {
				t.Fatalf("row %s: %v", raw, err)
			}
			seen[d.ID]++
		}
		if resp.T == respSuccessSequence {
			break
		}
		if resp.T != respSuccessPartial {
			t.Fatalf("batch %d: response type %d (%s), want SUCCESS_PARTIAL(3) or SUCCESS_SEQUENCE(2)", batches, resp.T, resp.R)
		}
		if batches > n {
			t.Fatalf("more than %d batches", n)
		}
		rc.send(token, `[2]`) // CONTINUE
	}
	if batches < 2 {
		t.Errorf("scan of %d rows came in %d response(s), want several SUCCESS_PARTIAL batches", n, batches)
	}
	if len(seen) != n {
		t.Errorf("scan returned %d distinct ids, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("id %v returned %d times", id, c)
			break
		}
	}

	// STOP in the middle of a scan answers SUCCESS_SEQUENCE for that token.
	rc.send(9, `[1,[15,[[14,["test"]],"big"]],{}]`)
	resp, ok = rc.recv(20 * time.Second)
	if !ok || resp.Token != 9 || resp.T != respSuccessPartial {
		t.Fatalf("second scan first batch: %+v ok=%v, want SUCCESS_PARTIAL", resp.T, ok)
	}
	rc.send(9, `[3]`) // STOP
	resp, ok = rc.recv(10 * time.Second)
	if !ok || resp.Token != 9 || resp.T != respSuccessSequence {
		t.Errorf("STOP answer: token %d t=%d ok=%v, want token 9 SUCCESS_SEQUENCE", resp.Token, resp.T, ok)
	}

	// Connection still usable.
	rc.send(10, `[1,[2,[1,"x"]],{}]`)
	resp, ok = rc.recv(10 * time.Second)
	if !ok || resp.Token != 10 || resp.T != respSuccessAtom || len(resp.R) != 1 || string(resp.R[0]) != `[1,"x"]` {
		t.Errorf("r.expr([1,'x']) after STOP: %+v ok=%v", resp, ok)
	}
}

// A frame whose length header exceeds 64 MiB: CLIENT_ERROR for the token
// (if any answer) and the connection is closed; the server keeps serving.
func TestRawOversizedFrame(t *testing.T) {
	srv := startServer(t, t.TempDir())
	rc := rawLogin(t, srv)

	hdr := make([]byte, 12)
	binary.LittleEndian.PutUint64(hdr, 42)
	binary.LittleEndian.PutUint32(hdr[8:], 64<<20+1)
	if _, err := rc.c.Write(append(hdr, []byte(`[1,1,{}]`)...)); err != nil {
		t.Fatalf("write: %v", err)
	}
	resp, ok := rc.recv(10 * time.Second)
	if !ok {
		t.Logf("server closed the connection without an answer")
	} else {
		t.Logf("server answered token %d t=%d r=%s", resp.Token, resp.T, resp.R)
		if resp.Token != 42 || resp.T != respClientError {
			t.Errorf("answer to oversized frame: token %d t=%d r=%s, want token 42 CLIENT_ERROR(16)", resp.Token, resp.T, resp.R)
		}
		if rc.br.Buffered() != 0 {
			t.Errorf("extra bytes after CLIENT_ERROR")
		}
		rest := readUntilClosed(t, rc.c, 5*time.Second)
		if len(rest) != 0 {
			t.Errorf("extra bytes after CLIENT_ERROR: %q", rest)
		}
	}
	assertDriverWorks(t, srv)
}
