package telemetry

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// LogEntry is one log record kept in memory for the `rethinkdb.logs`
// system table.
type LogEntry struct {
	Seq     uint64
	Time    time.Time
	Level   string
	Message string
	Attrs   map[string]any
}

// LogRing keeps the most recent log records, bounded in count.
type LogRing struct {
	mu   sync.Mutex
	buf  []LogEntry
	next int
	seq  uint64
	max  int
}

// NewLogRing keeps the last max records.
func NewLogRing(max int) *LogRing { return &LogRing{max: max} }

func (r *LogRing) add(e LogEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	e.Seq = r.seq
	if len(r.buf) < r.max {
		r.buf = append(r.buf, e)
		return
	}
	r.buf[r.next] = e
	r.next = (r.next + 1) % r.max
}

// Entries returns the kept records, oldest first.
func (r *LogRing) Entries() []LogEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]LogEntry, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}

// ringHandler copies every record it handles into a ring.
type ringHandler struct {
	slog.Handler
	ring  *LogRing
	attrs []slog.Attr
}

func (h ringHandler) Handle(ctx context.Context, rec slog.Record) error {
	if h.ring != nil {
		attrs := make(map[string]any, rec.NumAttrs()+len(h.attrs))
		for _, a := range h.attrs {
			attrs[a.Key] = a.Value.Any()
		}
		rec.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value.Resolve().Any()
			return true
		})
		h.ring.add(LogEntry{Time: rec.Time, Level: rec.Level.String(), Message: rec.Message, Attrs: attrs})
	}
	return h.Handler.Handle(ctx, rec)
}

func (h ringHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return ringHandler{Handler: h.Handler.WithAttrs(as), ring: h.ring, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}

func (h ringHandler) WithGroup(name string) slog.Handler {
	return ringHandler{Handler: h.Handler.WithGroup(name), ring: h.ring, attrs: h.attrs}
}
