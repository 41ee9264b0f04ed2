// Package consulagent runs throwaway dev-mode Consul agents for tests.
//
// The consul binary is $PHOTONDB_CONSUL_BIN when set; otherwise it is
// built once from the wrapper module in tests/tools/consul (which pins the
// Consul version) into the user cache directory
// ($XDG_CACHE_HOME or ~/.cache)/photondb-tools/consul-<version>, under a
// file lock so parallel test packages build it only once. If the binary
// cannot be found or built, Start and Shared fail the test: they never
// skip.
//
// Agents listen on 127.0.0.1 only, on free ports, and keep their data in
// memory (-dev); their limits are Consul's defaults, as users run them.
//
// Typical use, one agent per test package:
//
//	func TestMain(m *testing.M) { os.Exit(consulagent.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		client := consulagent.Shared(t).Client
//		...
//	}
package consulagent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
)

const (
	// readyTimeout bounds how long Launch waits for a leader and working KV.
	readyTimeout = 30 * time.Second
	// stopTimeout bounds how long Stop waits for the killed process.
	stopTimeout = 10 * time.Second
	// launchAttempts retries a start that lost its ports to another process.
	launchAttempts = 3
	// outputLimit bounds the agent output kept for error messages.
	outputLimit = 64 << 10
)

// Agent is a running dev-mode Consul agent.
type Agent struct {
	// Addr is the HTTP API address, host:port.
	Addr string
	// Client talks to the agent.
	Client *api.Client

	cmd      *exec.Cmd
	out      *output
	exited   chan struct{} // closed when the process has exited
	waitErr  error         // set before exited closes
	stopOnce sync.Once
}

// Start launches a fresh agent for t, fails t if it cannot, and stops the
// agent when t ends.
func Start(t testing.TB) *Agent {
	t.Helper()
	a, err := Launch()
	if err != nil {
		t.Fatalf("consulagent: %v", err)
	}
	t.Cleanup(a.Stop)
	return a
}

var shared struct {
	once  sync.Once
	agent *Agent
	err   error
}

// Shared returns the package-wide agent, launching it on first use; it
// fails t if the agent cannot run. Main stops it when the tests end; give
// each test its own KV prefix.
func Shared(t testing.TB) *Agent {
	t.Helper()
	shared.once.Do(func() { shared.agent, shared.err = Launch() })
	if shared.err != nil {
		t.Fatalf("consulagent: %v", shared.err)
	}
	return shared.agent
}

// Main runs the tests and then stops the shared agent, if one started.
// Use it as os.Exit(consulagent.Main(m)) in TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	shared.once.Do(func() {}) // no launch after this point
	if shared.agent != nil {
		shared.agent.Stop()
	}
	return code
}

// Launch starts an agent and waits until it has a leader and KV works.
// The caller must Stop it.
func Launch() (*Agent, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	var errs []error
	for attempt := 1; attempt <= launchAttempts; attempt++ {
		a, err := launch(bin)
		if err == nil {
			return a, nil
		}
		errs = append(errs, fmt.Errorf("attempt %d: %w", attempt, err))
	}
	return nil, fmt.Errorf("starting consul agent: %w", errors.Join(errs...))
}

func launch(bin string) (*Agent, error) {
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	httpPort, lanPort, wanPort, serverPort := ports[0], ports[1], ports[2], ports[3]
	args := []string{
		"agent", "-dev",
		"-bind", "127.0.0.1",
		"-client", "127.0.0.1",
		"-http-port", strconv.Itoa(httpPort),
		"-serf-lan-port", strconv.Itoa(lanPort),
		"-serf-wan-port", strconv.Itoa(wanPort),
		"-server-port", strconv.Itoa(serverPort),
		"-dns-port", "-1",
		"-grpc-port", "-1",
		// -dev opens gRPC-TLS on the fixed port 8503, which parallel
		// agents would fight over.
		"-grpc-tls-port", "-1",
		"-log-level", "warn",
		"-hcl", "disable_update_check = true",
	}
	out := &output{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("exec %s: %w", bin, err)
	}
	a := &Agent{
		Addr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort)),
		cmd:    cmd,
		out:    out,
		exited: make(chan struct{}),
	}
	go func() {
		a.waitErr = cmd.Wait()
		close(a.exited)
	}()
	if a.Client, err = api.NewClient(&api.Config{Address: a.Addr, Scheme: "http"}); err != nil {
		a.Stop()
		return nil, fmt.Errorf("consul client: %w", err)
	}
	if err := a.waitReady(); err != nil {
		a.Stop()
		return nil, fmt.Errorf("%w\nagent output:\n%s", err, out.String())
	}
	return a, nil
}

// waitReady polls until the agent has a leader and a KV write and read
// succeed, the process exits, or readyTimeout passes.
func (a *Agent) waitReady() error {
	probe, err := api.NewClient(&api.Config{
		Address:    a.Addr,
		Scheme:     "http",
		HttpClient: &http.Client{Timeout: 2 * time.Second},
	})
	if err != nil {
		return fmt.Errorf("consul probe client: %w", err)
	}
	deadline := time.Now().Add(readyTimeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = ready(probe); last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("agent at %s not ready after %s: %w", a.Addr, readyTimeout, last)
		}
		select {
		case <-a.exited:
			return fmt.Errorf("agent exited before it was ready: %v", a.waitErr)
		case <-tick.C:
		}
	}
}

func ready(c *api.Client) error {
	leader, err := c.Status().Leader()
	if err != nil {
		return err
	}
	if leader == "" {
		return errors.New("no leader yet")
	}
	const key = "consulagent/probe"
	want := []byte(strconv.FormatInt(time.Now().UnixNano(), 10))
	if _, err := c.KV().Put(&api.KVPair{Key: key, Value: want}, nil); err != nil {
		return fmt.Errorf("kv put: %w", err)
	}
	got, _, err := c.KV().Get(key, nil)
	if err != nil {
		return fmt.Errorf("kv get: %w", err)
	}
	if got == nil || !bytes.Equal(got.Value, want) {
		return fmt.Errorf("kv get returned %v, want %q", got, want)
	}
	if _, err := c.KV().Delete(key, nil); err != nil {
		return fmt.Errorf("kv delete: %w", err)
	}
	return nil
}

// Stop kills the agent and waits (bounded) for it to exit.
func (a *Agent) Stop() {
	a.stopOnce.Do(func() {
		_ = a.cmd.Process.Kill()
		select {
		case <-a.exited:
		case <-time.After(stopTimeout):
		}
	})
}

// Output returns the agent's recent stdout and stderr.
func (a *Agent) Output() string { return a.out.String() }

// freePorts returns n distinct ports that were free on 127.0.0.1 for
// both TCP and UDP (serf uses both) a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var closers []func() error
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	for tries := 0; len(ports) < n; tries++ {
		if tries >= 50 {
			return nil, fmt.Errorf("no free ports after %d tries", tries)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find free port: %w", err)
		}
		closers = append(closers, l.Close)
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue // UDP side taken; try another
		}
		closers = append(closers, u.Close)
		ports = append(ports, port)
	}
	return ports, nil
}

// output keeps the last outputLimit bytes written to it.
type output struct {
	mu  sync.Mutex
	buf []byte
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf = append(o.buf, p...)
	if over := len(o.buf) - outputLimit; over > 0 {
		o.buf = append(o.buf[:0], o.buf[over:]...)
	}
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.buf)
}

// runBounded runs cmd with a timeout and returns its combined output.
func runBounded(timeout time.Duration, dir string, env []string, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return out, fmt.Errorf("%s %s: timed out after %s", name, strings.Join(args, " "), timeout)
	}
	return out, err
}

// env is the environment for child processes.
func env(extra ...string) []string {
	return append(os.Environ(), extra...)
}
