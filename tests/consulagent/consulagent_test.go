package consulagent

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestPinnedVersion(t *testing.T) {
	tests := []struct {
		name, gomod, want string
		wantErr           bool
	}{
		{"require block", "module x\n\nrequire (\n\tgithub.com/hashicorp/consul v1.14.11 // indirect\n\tgithub.com/hashicorp/consul/api v1.18.1\n)\n", "v1.14.11", false},
		{"single require", "module x\nrequire github.com/hashicorp/consul v1.2.3\n", "v1.2.3", false},
		{"only the api module", "module x\nrequire github.com/hashicorp/consul/api v1.18.1\n", "", true},
		{"empty", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "go.mod")
			if err := os.WriteFile(path, []byte(tt.gomod), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := pinnedVersion(path)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("pinnedVersion = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestRepoWrapperPinsAVersion(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	v, err := pinnedVersion(filepath.Join(root, wrapperDir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if v == "" || v[0] != 'v' {
		t.Fatalf("pinned version %q", v)
	}
}

// TestStartAndStop checks a private agent works and is gone after Stop.
func TestStartAndStop(t *testing.T) {
	a := Start(t)
	kv := a.Client.KV()
	if _, err := kv.Put(&api.KVPair{Key: "t/k", Value: []byte("v")}, nil); err != nil {
		t.Fatalf("put: %v", err)
	}
	p, _, err := kv.Get("t/k", nil)
	if err != nil || p == nil || string(p.Value) != "v" {
		t.Fatalf("get = %v, %v; want value v", p, err)
	}
	pid := a.cmd.Process.Pid
	a.Stop()
	select {
	case <-a.exited:
	case <-time.After(stopTimeout):
		t.Fatal("agent still running after Stop")
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("agent process %d still exists after Stop (kill 0: %v)", pid, err)
	}
	if _, err := a.Client.Status().Leader(); err == nil {
		t.Fatal("stopped agent still answers")
	}
}

// TestShared checks Shared returns one agent per process.
func TestShared(t *testing.T) {
	a, b := Shared(t), Shared(t)
	if a != b {
		t.Fatal("Shared returned two agents")
	}
	if leader, err := a.Client.Status().Leader(); err != nil || leader == "" {
		t.Fatalf("leader = %q, %v", leader, err)
	}
}

func TestFreePortsDistinct(t *testing.T) {
	ports, err := freePorts(8)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || seen[p] {
			t.Fatalf("bad or repeated port %d in %v", p, ports)
		}
		seen[p] = true
	}
}
