package testbin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Cluster starts the split deployment on free 127.0.0.1 ports: `photondb
// controlplane` with its catalog in the Consul agent at consulAddr under
// prefix, and one `photondb datanode` on dataDir registered in that Consul;
// it waits until the control plane sees the node healthy. The returned
// Server's HTTP port is the control plane's, its driver port the data
// node's; Stop stops both (data node first). Extra flags go to both
// processes (e.g. --dev-mode=false).
func Cluster(bin, dataDir, consulAddr, prefix string, extra ...string) (*Server, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := tryCluster(bin, dataDir, consulAddr, prefix, extra)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, ErrExitedEarly) {
			break
		}
	}
	return nil, fmt.Errorf("starting photondb controlplane and datanode: %w", lastErr)
}

func tryCluster(bin, dataDir, consulAddr, prefix string, extra []string) (*Server, error) {
	var ports [4]int
	for i := range ports {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	cp := &Server{HTTPPort: ports[0], Out: &Output{}, done: make(chan struct{})}
	if err := cp.launch(bin, append([]string{"controlplane", "--bind", "127.0.0.1", "--dev-mode",
		"--port", strconv.Itoa(cp.HTTPPort), "--consul", consulAddr, "--consul-prefix", prefix}, extra...)); err != nil {
		return nil, fmt.Errorf("controlplane: %w", err)
	}
	node := &Server{HTTPPort: ports[1], DriverPort: ports[2], ClusterPort: ports[3], Out: &Output{}, done: make(chan struct{})}
	if err := node.launch(bin, append([]string{"datanode", "--bind", "127.0.0.1", "--dev-mode",
		"--port", strconv.Itoa(node.HTTPPort), "--driver-port", strconv.Itoa(node.DriverPort),
		"--cluster-port", strconv.Itoa(node.ClusterPort), "--data-dir", dataDir,
		"--controlplane-url", cp.URL(""), "--consul", consulAddr, "--consul-prefix", prefix}, extra...)); err != nil {
		_ = cp.Stop()
		return nil, fmt.Errorf("datanode: %w", err)
	}
	cp.DriverPort, cp.ClusterPort, cp.node = node.DriverPort, node.ClusterPort, node
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		req, _ := http.NewRequest(http.MethodGet, cp.URL("/api/v1/status"), nil)
		if tok := initialToken(cp.Out.String()); tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		var st struct {
			HealthyNodes int `json:"healthy_nodes"`
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err == nil && st.HealthyNodes == 1 {
			return cp, nil
		}
	}
	_ = cp.Stop()
	return nil, fmt.Errorf("the control plane did not see the data node healthy within 20s\n%s\n%s", cp.Out.Tail(3000), node.Out.Tail(3000))
}

// initialToken is the owner token a control plane prints at the first
// start of its catalog outside dev mode ("" if none was printed).
func initialToken(out string) string {
	i := strings.Index(out, "initial API token")
	if i < 0 {
		return ""
	}
	lines := strings.SplitN(out[i:], "\n", 3)
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "pdb_") {
		return ""
	}
	return strings.TrimSpace(lines[1])
}

// InitialToken is the owner token the server (or the cluster's control
// plane) printed at first start outside dev mode ("" if none).
func (s *Server) InitialToken() string { return initialToken(s.Out.String()) }

// ControlPlane starts one more `photondb controlplane` replica on the
// catalog at consulAddr/prefix (dev mode unless extra says otherwise).
func ControlPlane(bin, consulAddr, prefix string, extra ...string) (*Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	cp := &Server{HTTPPort: port, Out: &Output{}, done: make(chan struct{})}
	if err := cp.launch(bin, append([]string{"controlplane", "--bind", "127.0.0.1", "--dev-mode",
		"--port", strconv.Itoa(port), "--consul", consulAddr, "--consul-prefix", prefix}, extra...)); err != nil {
		return nil, fmt.Errorf("controlplane: %w", err)
	}
	return cp, nil
}
