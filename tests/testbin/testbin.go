// Package testbin gives end-to-end test packages the photondb binary they
// run (PHOTONDB_BIN, or a fresh build) and a buffer for a server's output.
package testbin

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sync"
)

// Binary returns the photondb binary to test: $PHOTONDB_BIN when set, or a
// build into a temporary directory; cleanup removes that directory.
func Binary() (path string, cleanup func(), err error) {
	if bin := os.Getenv("PHOTONDB_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", nil, fmt.Errorf("PHOTONDB_BIN=%q: %w", bin, err)
		}
		return bin, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "photondb-e2e-")
	if err != nil {
		return "", nil, fmt.Errorf("mkdir temp: %w", err)
	}
	path = dir + "/photondb"
	out, err := exec.Command("go", "build", "-o", path, "github.com/photondb-io/photondb/cmd/photondb").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("building photondb failed: %w\n%s", err, out)
	}
	return path, func() { os.RemoveAll(dir) }, nil
}

// Output collects a server's stdout and stderr from exec's goroutines.
type Output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Output) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Output) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tail returns at most the last n bytes of the output.
func (b *Output) Tail(n int) string {
	s := b.String()
	if len(s) > n {
		return "...\n" + s[len(s)-n:]
	}
	return s
}
