package telemetry

import (
	"context"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// cpuMeter turns the process's cumulative CPU time into a usage percentage
// over the interval since the previous reading (100 = one core busy). A
// reading less than minInterval after the previous one repeats the last
// value, so that frequent scrapes do not report noise.
type cpuMeter struct {
	mu       sync.Mutex
	lastWall time.Time
	lastCPU  time.Duration
	percent  float64
}

const minInterval = 500 * time.Millisecond

func newCPUMeter(now time.Time) *cpuMeter {
	cpu, _ := processCPUTime()
	return &cpuMeter{lastWall: now, lastCPU: cpu}
}

func (c *cpuMeter) read(now time.Time) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	cpu, ok := processCPUTime()
	if !ok {
		return 0
	}
	wall := now.Sub(c.lastWall)
	if wall < minInterval {
		return c.percent
	}
	c.percent = 100 * float64(cpu-c.lastCPU) / float64(wall)
	c.lastWall, c.lastCPU = now, cpu
	return c.percent
}

// memoryBytes is the process's resident set size, or (where /proc is not
// available) the memory the Go runtime holds from the OS.
func memoryBytes() int64 {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			if pages, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				return pages * int64(os.Getpagesize())
			}
		}
	}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64() - s[1].Value.Uint64())
}

// registerProcess registers rethinkdb_cpu_usage_percent and
// rethinkdb_memory_usage_bytes.
func registerProcess(m metric.Meter) error {
	cpu := newCPUMeter(time.Now())
	if _, err := m.Float64ObservableGauge("rethinkdb_cpu_usage_percent",
		metric.WithDescription("CPU used by the process since the previous scrape, in percent of one core."),
		metric.WithFloat64Callback(func(_ context.Context, o metric.Float64Observer) error {
			o.Observe(cpu.read(time.Now()))
			return nil
		})); err != nil {
		return fmt.Errorf("telemetry: rethinkdb_cpu_usage_percent: %w", err)
	}
	if _, err := m.Int64ObservableGauge("rethinkdb_memory_usage_bytes",
		metric.WithDescription("Resident memory of the process, in bytes."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(memoryBytes())
			return nil
		})); err != nil {
		return fmt.Errorf("telemetry: rethinkdb_memory_usage_bytes: %w", err)
	}
	return nil
}
