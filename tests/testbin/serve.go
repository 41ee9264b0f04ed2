package testbin

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// Server is one running `photondb serve` on 127.0.0.1 free ports.
type Server struct {
	HTTPPort, DriverPort, ClusterPort int
	// Out is the server's stdout and stderr.
	Out     *Output
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	// node is the data node of a Cluster (stopped first).
	node *Server
}

// URL is the server's HTTP base URL followed by path.
func (s *Server) URL(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", s.HTTPPort, path)
}

// DriverAddr is the RethinkDB driver port's host:port.
func (s *Server) DriverAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.DriverPort))
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("listen on a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ErrExitedEarly is returned (wrapped) by Serve when the server exited
// before it was ready, e.g. because another process took one of its ports.
var ErrExitedEarly = errors.New("server exited before becoming ready")

// Serve starts `bin serve --dev-mode` on a data directory (created by the
// caller) with free ports and extra flags, and waits up to 20 s for
// /health/ready. It retries up to three times when the server exits early
// (a port taken between FreePort and the server's listen).
func Serve(bin, dataDir string, extra ...string) (*Server, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := tryServe(bin, dataDir, extra)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, ErrExitedEarly) {
			break
		}
	}
	return nil, fmt.Errorf("starting photondb serve: %w", lastErr)
}

func tryServe(bin, dataDir string, extra []string) (*Server, error) {
	var ports [3]int
	for i := range ports {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	s := &Server{HTTPPort: ports[0], DriverPort: ports[1], ClusterPort: ports[2], Out: &Output{}, done: make(chan struct{})}
	args := append([]string{"serve",
		"--bind", "127.0.0.1",
		"--port", strconv.Itoa(s.HTTPPort),
		"--driver-port", strconv.Itoa(s.DriverPort),
		"--cluster-port", strconv.Itoa(s.ClusterPort),
		"--data-dir", dataDir,
		"--dev-mode",
	}, extra...)
	return s, s.launch(bin, args)
}

// launch starts the process with args and waits for its /health/ready.
func (s *Server) launch(bin string, args []string) error {
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.Out, s.Out
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("exec %s: %w", bin, err)
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
			return fmt.Errorf("%w: %v\n%s", ErrExitedEarly, s.waitErr, s.Out.Tail(4000))
		default:
		}
		if resp, err := client.Get(s.URL("/health/ready")); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	return fmt.Errorf("not ready within 20s\n%s", s.Out.Tail(4000))
}

// Stop sends SIGTERM and waits up to 20 s; it is an error when the server
// had already exited, did not stop in time (it is then killed) or exited
// with a non-zero status.
func (s *Server) Stop() error {
	if s.node != nil {
		if err := s.node.Stop(); err != nil {
			return fmt.Errorf("data node: %w", err)
		}
	}
	select {
	case <-s.done:
		return fmt.Errorf("server exited early: %v", s.waitErr)
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return errors.New("server did not exit within 20s of SIGTERM")
	}
	if s.waitErr != nil {
		return fmt.Errorf("server exit after SIGTERM: %w", s.waitErr)
	}
	return nil
}

// TempDir makes a data directory for a server started from TestMain, where
// there is no t.TempDir; the caller removes it.
func TempDir() (string, error) {
	dir, err := os.MkdirTemp("", "photondb-data-")
	if err != nil {
		return "", fmt.Errorf("mkdir temp: %w", err)
	}
	return dir, nil
}
