//go:build !unix

package storage

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDir is a stand-in on platforms without flock: it only opens dir/LOCK
// and does not exclude other processes.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("storage: open lock file %s: %w", path, err)
	}
	return f, nil
}

// unlockDir releases a lock taken by lockDir.
func unlockDir(f *os.File) error {
	if err := f.Close(); err != nil {
		return fmt.Errorf("storage: unlock %s: %w", f.Name(), err)
	}
	return nil
}
