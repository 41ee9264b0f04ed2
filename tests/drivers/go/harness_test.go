// Package drivers_test runs end-to-end tests against a real photondb server
// process using the official RethinkDB Go driver (rethinkdb-go v6).
//
// The server binary is taken from $PHOTONDB_BIN; when that is unset TestMain
// builds ./cmd/photondb into a temporary directory.
package drivers_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"

	"github.com/photondb-io/photondb/tests/testbin"
)

// serverBin is the absolute path of the photondb binary under test.
var serverBin string

const (
	readyTimeout    = 20 * time.Second
	readyPoll       = 50 * time.Millisecond
	shutdownTimeout = 20 * time.Second
	connectTimeout  = 15 * time.Second
	queryTimeout    = 30 * time.Second
)

// uuidRE matches the canonical textual UUID form RethinkDB uses for
// generated primary keys and object ids.
var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	// The driver logs connection failures at warn level; keep test output
	// readable (failures are asserted on the returned errors instead).
	r.Log.Out = io.Discard

	bin, cleanup, err := testbin.Binary()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	serverBin = bin
	return m.Run()
}

// server is one running photondb process.
type server struct {
	t           testing.TB
	DataDir     string
	HTTPPort    int
	DriverPort  int
	ClusterPort int

	cmd     *exec.Cmd
	out     *testbin.Output
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done is closed
}

// DriverAddr is the host:port of the RethinkDB driver port.
func (s *server) DriverAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.DriverPort))
}

// Output returns everything the server wrote to stdout and stderr so far.
func (s *server) Output() string { return s.out.Tail(8000) }

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM, waits for the process to exit and asserts exit code 0.
func (s *server) Stop() {
	s.t.Helper()
	if s.exited() {
		s.t.Fatalf("server already exited before Stop: %v\noutput:\n%s", s.waitErr, s.Output())
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(shutdownTimeout):
		_ = s.cmd.Process.Kill()
		<-s.done
		s.t.Fatalf("server did not exit within %v of SIGTERM\noutput:\n%s", shutdownTimeout, s.Output())
	}
	if s.waitErr != nil {
		s.t.Fatalf("server exit after SIGTERM: %v (want exit code 0)\noutput:\n%s", s.waitErr, s.Output())
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (s *server) Kill() {
	s.t.Helper()
	if s.exited() {
		s.t.Fatalf("server already exited before Kill: %v\noutput:\n%s", s.waitErr, s.Output())
	}
	_ = s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(shutdownTimeout):
		s.t.Fatalf("server did not die after SIGKILL")
	}
}

// AssertAlive fails the test if the server process has exited.
func (s *server) AssertAlive() {
	s.t.Helper()
	if s.exited() {
		s.t.Fatalf("server process exited unexpectedly: %v\noutput:\n%s", s.waitErr, s.Output())
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServer starts photondb on dataDir with fresh ports and waits until
// /health/ready answers 200. The process is killed at test cleanup.
func startServer(t testing.TB, dataDir string) *server {
	t.Helper()
	return startServerArgs(t, dataDir)
}

// startServerArgs is startServer with extra serve flags.
func startServerArgs(t testing.TB, dataDir string, extra ...string) *server {
	t.Helper()
	return startServerMode(t, dataDir, true, extra...)
}

// startServerMode is startServerArgs with or without --dev-mode.
func startServerMode(t testing.TB, dataDir string, devMode bool, extra ...string) *server {
	t.Helper()
	var lastErr error
	// A chosen free port may be grabbed by someone else before the server
	// binds it; retry a couple of times in that case only.
	for attempt := 0; attempt < 3; attempt++ {
		s, err := tryStartServer(t, dataDir, devMode, extra...)
		if err == nil {
			return s
		}
		lastErr = err
		if !errors.Is(err, errExitedEarly) {
			break
		}
	}
	t.Fatalf("starting photondb: %v", lastErr)
	return nil
}

var errExitedEarly = errors.New("server exited before becoming ready")

func tryStartServer(t testing.TB, dataDir string, devMode bool, extra ...string) (*server, error) {
	s := &server{
		t:           t,
		DataDir:     dataDir,
		HTTPPort:    freePort(t),
		DriverPort:  freePort(t),
		ClusterPort: freePort(t),
		out:         &testbin.Output{},
		done:        make(chan struct{}),
	}
	s.cmd = exec.Command(serverBin, "serve",
		"--bind", "127.0.0.1",
		"--port", strconv.Itoa(s.HTTPPort),
		"--driver-port", strconv.Itoa(s.DriverPort),
		"--cluster-port", strconv.Itoa(s.ClusterPort),
		"--data-dir", dataDir,
	)
	if devMode {
		s.cmd.Args = append(s.cmd.Args, "--dev-mode")
	}
	s.cmd.Args = append(s.cmd.Args, extra...)
	s.cmd.Stdout = s.out
	s.cmd.Stderr = s.out
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("exec %s: %w", serverBin, err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		if !s.exited() {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("photondb output (data dir %s):\n%s", dataDir, s.Output())
		}
	})

	client := &http.Client{Timeout: time.Second}
	url := fmt.Sprintf("http://127.0.0.1:%d/health/ready", s.HTTPPort)
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		if s.exited() {
			return nil, fmt.Errorf("%w: %v\noutput:\n%s", errExitedEarly, s.waitErr, s.Output())
		}
		resp, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(readyPoll)
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	return nil, fmt.Errorf("not ready after %v (GET %s)\noutput:\n%s", readyTimeout, url, s.Output())
}

// connectOpts returns the default options used by the tests: admin user,
// empty password (dev mode) and bounded query timeouts.
func (s *server) connectOpts() r.ConnectOpts {
	return r.ConnectOpts{
		Address:      s.DriverAddr(),
		Username:     "admin",
		Password:     "",
		Timeout:      5 * time.Second,
		ReadTimeout:  queryTimeout,
		WriteTimeout: queryTimeout,
	}
}

// dial connects with opts, bounded by connectTimeout (the driver's handshake
// itself has no deadline, so a hanging server would hang the test).
func dial(opts r.ConnectOpts) (*r.Session, error) {
	type res struct {
		s   *r.Session
		err error
	}
	ch := make(chan res, 1)
	go func() {
		sess, err := r.Connect(opts)
		ch <- res{sess, err}
	}()
	select {
	case v := <-ch:
		return v.s, v.err
	case <-time.After(connectTimeout):
		return nil, fmt.Errorf("r.Connect to %s did not return within %v", opts.Address, connectTimeout)
	}
}

// connect opens a session (optionally tweaking the options) and closes it
// at cleanup.
func connect(t testing.TB, s *server, tweak ...func(*r.ConnectOpts)) *r.Session {
	t.Helper()
	opts := s.connectOpts()
	for _, f := range tweak {
		f(&opts)
	}
	sess, err := dial(opts)
	if err != nil {
		t.Fatalf("connect to %s: %v", opts.Address, err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	return sess
}

// runOne runs term and decodes the single result into a generic value.
func runOne(t testing.TB, sess *r.Session, term r.Term, opts ...r.RunOpts) interface{} {
	t.Helper()
	cur, err := term.Run(sess, opts...)
	if err != nil {
		t.Fatalf("%s: %v", term, err)
	}
	defer cur.Close()
	var v interface{}
	if err := cur.One(&v); err != nil {
		t.Fatalf("%s: reading result: %v", term, err)
	}
	return v
}

// runMap runs a query whose result is a single object.
func runMap(t testing.TB, sess *r.Session, term r.Term, opts ...r.RunOpts) map[string]interface{} {
	t.Helper()
	v := runOne(t, sess, term, opts...)
	m, ok := v.(map[string]interface{})
	if !ok {
		t.Fatalf("%s: result %#v (%T), want an object", term, v, v)
	}
	return m
}

// runAll runs a query and reads the full sequence.
func runAll(t testing.TB, sess *r.Session, term r.Term) []interface{} {
	t.Helper()
	cur, err := term.Run(sess)
	if err != nil {
		t.Fatalf("%s: %v", term, err)
	}
	defer cur.Close()
	var all []interface{}
	if err := cur.All(&all); err != nil {
		t.Fatalf("%s: reading results: %v", term, err)
	}
	return all
}

// runStrings runs a query returning an array of strings (dbList, tableList).
func runStrings(t testing.TB, sess *r.Session, term r.Term) []string {
	t.Helper()
	cur, err := term.Run(sess)
	if err != nil {
		t.Fatalf("%s: %v", term, err)
	}
	defer cur.Close()
	var out []string
	if err := cur.All(&out); err != nil {
		t.Fatalf("%s: reading results: %v", term, err)
	}
	return out
}

// runCount runs a count query and returns the integer.
func runCount(t testing.TB, sess *r.Session, term r.Term) int {
	t.Helper()
	cur, err := term.Run(sess)
	if err != nil {
		t.Fatalf("%s: %v", term, err)
	}
	defer cur.Close()
	var n int
	if err := cur.One(&n); err != nil {
		t.Fatalf("%s: reading count: %v", term, err)
	}
	return n
}

// runErr runs a query that must fail and returns the error.
func runErr(t testing.TB, sess *r.Session, term r.Term) error {
	t.Helper()
	cur, err := term.Run(sess)
	if err == nil {
		var v interface{}
		if cur != nil {
			_ = cur.One(&v)
			cur.Close()
		}
		t.Fatalf("%s: succeeded with %#v, want an error", term, v)
	}
	return err
}

// writeCounts is the set of counters every RethinkDB write result carries.
func writeCounts(deleted, errs, inserted, replaced, skipped, unchanged int) map[string]interface{} {
	return map[string]interface{}{
		"deleted":   float64(deleted),
		"errors":    float64(errs),
		"inserted":  float64(inserted),
		"replaced":  float64(replaced),
		"skipped":   float64(skipped),
		"unchanged": float64(unchanged),
	}
}

// assertWriteResult checks a write result for exactly the expected counters
// (and no other fields except the listed extra keys, which are returned).
func assertWriteResult(t testing.TB, what string, got map[string]interface{}, want map[string]interface{}, extra ...string) {
	t.Helper()
	trimmed := map[string]interface{}{}
	for k, v := range got {
		trimmed[k] = v
	}
	for _, k := range extra {
		if _, ok := trimmed[k]; !ok {
			t.Errorf("%s: result %v lacks field %q", what, got, k)
		}
		delete(trimmed, k)
	}
	if !reflect.DeepEqual(trimmed, want) {
		t.Errorf("%s: result\n got  %v\n want %v (plus fields %v)", what, got, want, extra)
	}
}

func keysOf(m map[string]interface{}) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func assertKeys(t testing.TB, what string, m map[string]interface{}, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := keysOf(m); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: fields %v, want exactly %v (value %v)", what, got, want, m)
	}
}

// assertReqlError checks that err is of the driver type T and that the
// driver-formatted message carries the RethinkDB message text.
func assertReqlError[T error](t testing.TB, what string, err error, wantMsg string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %q", what, wantMsg)
		return
	}
	var target T
	if !errors.As(err, &target) {
		t.Errorf("%s: error %q has type %T, want %T", what, err, err, target)
	}
	if !strings.HasPrefix(err.Error(), "rethinkdb: ") {
		t.Errorf("%s: error %q lacks the driver prefix %q", what, err, "rethinkdb: ")
	}
	if !strings.Contains(err.Error(), wantMsg) {
		t.Errorf("%s: error %q does not contain %q", what, err, wantMsg)
	}
}
