package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
	"gopkg.in/natefinch/lumberjack.v2"
)

// LogOptions configure a process's logger.
type LogOptions struct {
	// Format is "json" (the default) or "text".
	Format string
	// Level is the lowest level written.
	Level slog.Level
	// Dir, when set, adds a rolling log file FileName (default
	// photondb.log) in it.
	Dir      string
	FileName string
	// MaxSizeMB rotates the file when it would grow past this size.
	MaxSizeMB int
	// MaxBackups and MaxAgeDays bound the rotated files kept (0: no bound).
	MaxBackups int
	MaxAgeDays int
	// Compress gzips rotated files.
	Compress bool
	// RotateEvery also rotates the file on this period (0: by size only).
	RotateEvery time.Duration
}

// ParseLevel reads a level name: debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("telemetry: log level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// Log is a logger with the files behind it.
type Log struct {
	*slog.Logger
	// Recent keeps the last records for the rethinkdb.logs system table.
	Recent *LogRing
	file   *lumberjack.Logger
	stop   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

// NewLog returns a logger writing to stderr and, with o.Dir, to a rolling
// file. Records logged with a context that carries a span get trace_id and
// span_id attributes.
func NewLog(o LogOptions, stderr io.Writer) (*Log, error) {
	l := &Log{stop: make(chan struct{})}
	out := stderr
	if o.Dir != "" {
		if err := os.MkdirAll(o.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("telemetry: create log dir: %w", err)
		}
		name := o.FileName
		if name == "" {
			name = "photondb.log"
		}
		l.file = &lumberjack.Logger{
			Filename:   filepath.Join(o.Dir, name),
			MaxSize:    o.MaxSizeMB,
			MaxBackups: o.MaxBackups,
			MaxAge:     o.MaxAgeDays,
			Compress:   o.Compress,
		}
		// Open (or append to) the file now, so that an unwritable directory
		// fails start-up rather than the first log line.
		if _, err := l.file.Write(nil); err != nil {
			return nil, fmt.Errorf("telemetry: open log file in %s: %w", o.Dir, err)
		}
		out = io.MultiWriter(stderr, l.file)
		if o.RotateEvery > 0 {
			l.wg.Add(1)
			go l.rotateEvery(o.RotateEvery)
		}
	}
	hopts := &slog.HandlerOptions{Level: o.Level}
	var h slog.Handler
	switch strings.ToLower(o.Format) {
	case "", "json":
		h = slog.NewJSONHandler(out, hopts)
	case "text":
		h = slog.NewTextHandler(out, hopts)
	default:
		l.Close()
		return nil, fmt.Errorf("telemetry: log format %q: want json or text", o.Format)
	}
	l.Recent = NewLogRing(1000)
	l.Logger = slog.New(TraceHandler{ringHandler{Handler: h, ring: l.Recent}})
	return l, nil
}

func (l *Log) rotateEvery(d time.Duration) {
	defer l.wg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			if err := l.file.Rotate(); err != nil {
				l.Logger.Warn("rotate log file", "err", err)
			}
		}
	}
}

// Close stops rotation and closes the log file. The logger still writes to
// stderr afterwards.
func (l *Log) Close() error {
	var err error
	l.once.Do(func() {
		close(l.stop)
		l.wg.Wait()
		if l.file != nil {
			err = l.file.Close()
		}
	})
	if err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("telemetry: close log file: %w", err)
	}
	return nil
}

// TraceHandler adds the trace and span ids of the context's span to every
// record, as trace_id and span_id.
type TraceHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h TraceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h TraceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return TraceHandler{h.Handler.WithAttrs(as)}
}

// WithGroup implements slog.Handler.
func (h TraceHandler) WithGroup(name string) slog.Handler {
	return TraceHandler{h.Handler.WithGroup(name)}
}
