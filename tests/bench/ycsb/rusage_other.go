//go:build !unix

package ycsb

import "time"

func processCPU() time.Duration { return 0 }
