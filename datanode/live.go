package datanode

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/datanode/shard"
	"github.com/photondb-io/photondb/datanode/wire"
	"github.com/photondb-io/photondb/shared/telemetry"
)

// live feeds rethinkdb.stats and rethinkdb.logs from the counters that
// /_metrics exports and from the log ring.
type live struct {
	ws    *wire.Server
	store reql.Store
	logs  func() []telemetry.LogEntry

	mu                  sync.Mutex
	at                  time.Time
	reads, writes       int64
	readRate, writeRate float64
}

func (l *live) QueryEngine() map[string]any {
	conns, qps := l.ws.Figures()
	reads, writes := shard.Totals(l.store)
	l.mu.Lock()
	now := time.Now()
	if dt := now.Sub(l.at).Seconds(); l.at.IsZero() || dt >= 1 {
		if !l.at.IsZero() {
			l.readRate = float64(reads-l.reads) / dt
			l.writeRate = float64(writes-l.writes) / dt
		}
		l.at, l.reads, l.writes = now, reads, writes
	}
	readRate, writeRate := l.readRate, l.writeRate
	l.mu.Unlock()
	return map[string]any{
		"client_connections": float64(conns), "clients_active": float64(conns),
		"queries_per_sec": qps, "read_docs_per_sec": readRate, "written_docs_per_sec": writeRate,
		"read_docs_total": float64(reads), "written_docs_total": float64(writes),
	}
}

func (l *live) Logs() []map[string]any {
	if l.logs == nil {
		return nil
	}
	entries := l.logs()
	out := make([]map[string]any, 0, len(entries))
	for _, e := range entries {
		msg := e.Message
		if len(e.Attrs) > 0 {
			parts := make([]string, 0, len(e.Attrs))
			for k, v := range e.Attrs {
				parts = append(parts, fmt.Sprintf("%s=%v", k, v))
			}
			sort.Strings(parts)
			msg += " " + strings.Join(parts, " ")
		}
		out = append(out, map[string]any{
			"id":        []any{e.Time.UTC().Format(time.RFC3339Nano), float64(e.Seq)},
			"level":     strings.ToLower(e.Level),
			"message":   msg,
			"timestamp": map[string]any{"$reql_type$": "TIME", "epoch_time": float64(e.Time.UnixMilli()) / 1000, "timezone": "+00:00"},
			"uptime":    time.Since(startedAt).Seconds(),
		})
	}
	return out
}

var startedAt = time.Now()
