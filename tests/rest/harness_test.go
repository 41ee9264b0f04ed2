// Package rest_test runs the control plane's REST API end to end, with
// net/http and the official RethinkDB Go driver, against both deployments:
// `photondb serve` (embedded catalog and registry) and `photondb
// controlplane` + `photondb datanode` on a real Consul agent (catalog in
// Consul KV, data node registered as a Consul service). Every test runs in
// both (subtests "serve" and "consul").
//
// The server binary is taken from $PHOTONDB_BIN; when that is unset TestMain
// builds ./cmd/photondb into a temporary directory. The Consul binary comes
// from tests/consulagent.
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
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"

	"github.com/photondb-io/photondb/tests/consulagent"
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
	return consulagent.Main(m)
}

// mode is a deployment.
type mode string

const (
	modeServe  mode = "serve"  // photondb serve
	modeConsul mode = "consul" // photondb controlplane + photondb datanode on Consul
)

// eachMode runs f once per deployment, as subtests.
func eachMode(t *testing.T, f func(t *testing.T, m mode)) {
	for _, m := range []mode{modeServe, modeConsul} {
		t.Run(string(m), func(t *testing.T) { f(t, m) })
	}
}

// proc is one photondb process.
type proc struct {
	name    string
	cmd     *exec.Cmd
	out     *testbin.Output
	done    chan struct{}
	waitErr error
}

// server is a running deployment: the control plane's HTTP port and the
// data node's driver port.
type server struct {
	mode                 mode
	HTTPPort, DriverPort int
	dataDir              string
	consulAddr, prefix   string
	procs                []*proc
	stopped              bool // stopped on purpose (restart tests)
}

func (s *server) URL(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", s.HTTPPort, path)
}

func (s *server) DriverAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.DriverPort))
}

func (s *server) output() string {
	out := ""
	for _, p := range s.procs {
		out += "--- " + p.name + " ---\n" + p.out.String()
	}
	return out
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

var prefixes atomic.Int64

// startServer starts a deployment on a fresh data dir and waits until it is
// ready; it is stopped with SIGTERM (and must exit 0) at cleanup.
func startServer(t *testing.T, m mode) *server {
	t.Helper()
	s := &server{mode: m, dataDir: t.TempDir()}
	if m == modeConsul {
		s.consulAddr = consulagent.Shared(t).Addr
		s.prefix = fmt.Sprintf("rest-%d-%d/", os.Getpid(), prefixes.Add(1))
	}
	return s.restart(t)
}

// restart starts the deployment's processes (again) on the same data
// directory and catalog.
func (s *server) restart(t *testing.T) *server {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		n := &server{mode: s.mode, dataDir: s.dataDir, consulAddr: s.consulAddr, prefix: s.prefix}
		err := n.start(t)
		if err == nil {
			t.Cleanup(func() { n.stop(t) })
			return n
		}
		n.killAll()
		lastErr = err
		if !errors.Is(err, errExitedEarly) {
			break
		}
	}
	t.Fatalf("starting photondb (%s): %v", s.mode, lastErr)
	return nil
}

func (s *server) start(t *testing.T) error {
	s.HTTPPort, s.DriverPort = freePort(t), freePort(t)
	common := []string{"--bind", "127.0.0.1", "--dev-mode"}
	if s.mode == modeServe {
		args := append([]string{"serve", "--port", strconv.Itoa(s.HTTPPort), "--driver-port", strconv.Itoa(s.DriverPort),
			"--cluster-port", strconv.Itoa(freePort(t)), "--data-dir", s.dataDir}, common...)
		return s.launch("serve", args, s.HTTPPort)
	}
	cp := append([]string{"controlplane", "--port", strconv.Itoa(s.HTTPPort), "--consul", s.consulAddr,
		"--consul-prefix", s.prefix}, common...)
	if err := s.launch("controlplane", cp, s.HTTPPort); err != nil {
		return err
	}
	nodeHTTP := freePort(t)
	dn := append([]string{"datanode", "--port", strconv.Itoa(nodeHTTP), "--driver-port", strconv.Itoa(s.DriverPort),
		"--cluster-port", strconv.Itoa(freePort(t)), "--data-dir", s.dataDir,
		"--controlplane-url", s.URL(""), "--consul", s.consulAddr, "--consul-prefix", s.prefix, "--tags", "zone=a"}, common...)
	if err := s.launch("datanode", dn, nodeHTTP); err != nil {
		return err
	}
	// The control plane reaches the node once Consul's check passed.
	deadline := time.Now().Add(20 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.URL("/api/v1/status")); err == nil {
			var st struct {
				HealthyNodes int `json:"healthy_nodes"`
			}
			err = decodeJSON(resp, &st)
			if st.HealthyNodes == 1 {
				return nil
			}
			last = fmt.Sprintf("status %d, %+v, %v", resp.StatusCode, st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	health := ""
	if resp, err := http.Get("http://" + s.consulAddr + "/v1/health/service/photondb-datanode"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		health = string(b)
	}
	return fmt.Errorf("the data node did not become healthy in Consul within 20s (last status: %s; consul: %s)\n%s", last, health, s.output())
}

// launch starts one process and waits for its /health/ready.
func (s *server) launch(name string, args []string, httpPort int) error {
	p := &proc{name: name, out: &testbin.Output{}, done: make(chan struct{})}
	p.cmd = exec.Command(serverBin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("exec %s: %w", serverBin, err)
	}
	s.procs = append(s.procs, p)
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	client := &http.Client{Timeout: time.Second}
	url := fmt.Sprintf("http://127.0.0.1:%d/health/ready", httpPort)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("%w: %s: %v\n%s", errExitedEarly, name, p.waitErr, s.output())
		default:
		}
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within 20s\n%s", name, s.output())
}

func (s *server) killAll() {
	for _, p := range s.procs {
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// kill stops every process with sig (SIGTERM: each must exit cleanly;
// SIGKILL: a crash), data node first, and waits for them.
func (s *server) kill(t *testing.T, sig syscall.Signal) {
	t.Helper()
	s.stopped = true
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		_ = p.cmd.Process.Signal(sig)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			t.Fatalf("%s did not exit within 20s of %v\n%s", p.name, sig, s.output())
		}
		if sig == syscall.SIGTERM && p.waitErr != nil {
			t.Fatalf("%s exit after SIGTERM: %v\n%s", p.name, p.waitErr, s.output())
		}
	}
}

func (s *server) stop(t *testing.T) {
	if s.stopped {
		return
	}
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		select {
		case <-p.done:
			t.Errorf("%s exited early: %v\n%s", p.name, p.waitErr, s.output())
			continue
		default:
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			t.Errorf("%s did not exit within 20s of SIGTERM\n%s", p.name, s.output())
			continue
		}
		if p.waitErr != nil {
			t.Errorf("%s exit after SIGTERM: %v\n%s", p.name, p.waitErr, s.output())
		}
	}
	if t.Failed() {
		t.Logf("photondb output:\n%s", s.output())
	}
}
