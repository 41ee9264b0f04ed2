//go:build unix

package ycsb

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user+system) this process has used so far:
// the generator's own share of the machine, which competes with the server
// under test when both run on one host.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
