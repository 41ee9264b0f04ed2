// Package rest_test runs the control plane's REST API end to end against a
// real `photondb serve` process, with net/http and the official RethinkDB
// Go driver.
//
// The server binary is taken from $PHOTONDB_BIN; when that is unset TestMain
// builds ./cmd/photondb into a temporary directory.
package rest_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"

	"github.com/photondb-io/photondb/tests/testbin"
)

var serverBin string

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
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

// server is one running `photondb serve`.
type server struct {
	HTTPPort, DriverPort int
	cmd                  *exec.Cmd
	out                  *testbin.Output
	done                 chan struct{}
	waitErr              error
}

func (s *server) URL(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", s.HTTPPort, path)
}

func (s *server) DriverAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.DriverPort))
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

var errExitedEarly = errors.New("server exited before becoming ready")

// startServer starts photondb on a fresh data dir and waits for
// /health/ready; it is stopped with SIGTERM (and must exit 0) at cleanup.
func startServer(t *testing.T) *server {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := tryStart(t, t.TempDir())
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

func tryStart(t *testing.T, dataDir string) (*server, error) {
	s := &server{HTTPPort: freePort(t), DriverPort: freePort(t), out: &testbin.Output{}, done: make(chan struct{})}
	s.cmd = exec.Command(serverBin, "serve",
		"--bind", "127.0.0.1",
		"--port", strconv.Itoa(s.HTTPPort),
		"--driver-port", strconv.Itoa(s.DriverPort),
		"--cluster-port", strconv.Itoa(freePort(t)),
		"--data-dir", dataDir,
		"--dev-mode",
	)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("exec %s: %w", serverBin, err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return nil, fmt.Errorf("%w: %v\n%s", errExitedEarly, s.waitErr, s.out)
		default:
		}
		if resp, err := client.Get(s.URL("/health/ready")); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Cleanup(func() { s.stop(t) })
				return s, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	return nil, fmt.Errorf("not ready within 20s\n%s", s.out)
}

func (s *server) stop(t *testing.T) {
	select {
	case <-s.done:
		t.Errorf("server exited early: %v\n%s", s.waitErr, s.out)
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Errorf("server did not exit within 20s of SIGTERM\n%s", s.out)
		return
	}
	if s.waitErr != nil {
		t.Errorf("server exit after SIGTERM: %v\n%s", s.waitErr, s.out)
	}
	if t.Failed() {
		t.Logf("photondb output:\n%s", s.out)
	}
}
