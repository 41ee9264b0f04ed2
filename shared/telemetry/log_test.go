package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// waitFor polls cond every 20 ms for at most 5 s.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after 5s: %s", what, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func listDir(t *testing.T, dir string) (current bool, gz, plain []string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		switch name := e.Name(); {
		case name == "photondb.log":
			current = true
		case strings.HasSuffix(name, ".log.gz"):
			gz = append(gz, name)
		default:
			plain = append(plain, name)
		}
	}
	return current, gz, plain
}

// Writing past the size limit rotates the file; rotated files are gzipped
// and no more than MaxBackups of them are kept.
func TestLogRotationCompressionRetention(t *testing.T) {
	dir := t.TempDir()
	l, err := NewLog(LogOptions{Dir: dir, MaxSizeMB: 1, MaxBackups: 2, Compress: true}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("x", 1000)
	for i := 0; i < 4500; i++ { // ~4.7 MB: four or five rotations
		l.Info("filler", "i", i, "pad", pad)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "rotated files compressed and pruned", func() (bool, string) {
		current, gz, plain := listDir(t, dir)
		return current && len(gz) == 2 && len(plain) == 0, strings.Join(append(gz, plain...), " ")
	})
	for _, name := range []string{"photondb.log"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > 1<<20 {
			t.Errorf("%s is %d bytes, past the 1 MB limit", name, fi.Size())
		}
	}
}

// With RotateEvery the file also rotates on a period.
func TestLogRotatesOnPeriod(t *testing.T) {
	dir := t.TempDir()
	l, err := NewLog(LogOptions{Dir: dir, MaxSizeMB: 100, RotateEvery: 50 * time.Millisecond}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Info("before rotation")
	waitFor(t, "a time-based rotation", func() (bool, string) {
		_, _, plain := listDir(t, dir)
		return len(plain) > 0, strings.Join(plain, " ")
	})
}

// Records logged with a span's context carry its trace and span ids, in
// both formats.
func TestLogTraceIDs(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	sid, _ := trace.SpanIDFromHex("b7ad6b7169203331")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))

	var out bytes.Buffer
	l, err := NewLog(LogOptions{Format: "json"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	l.With("component", "test").InfoContext(ctx, "traced")
	l.Info("untraced")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines: %q", len(lines), out.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["trace_id"] != tid.String() || rec["span_id"] != sid.String() || rec["component"] != "test" {
		t.Errorf("traced record %v: want trace_id %s, span_id %s, component test", rec, tid, sid)
	}
	if strings.Contains(lines[1], "trace_id") {
		t.Errorf("untraced record has a trace id: %s", lines[1])
	}

	out.Reset()
	if l, err = NewLog(LogOptions{Format: "text", Level: -4}, &out); err != nil {
		t.Fatal(err)
	}
	l.DebugContext(ctx, "traced")
	if s := out.String(); !strings.Contains(s, "trace_id="+tid.String()) || !strings.Contains(s, "level=DEBUG") {
		t.Errorf("text record %q lacks the trace id or the debug level", s)
	}
}

func TestLogOptionsErrors(t *testing.T) {
	if _, err := NewLog(LogOptions{Format: "xml"}, &bytes.Buffer{}); err == nil {
		t.Error("format xml: no error")
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("level loud: no error")
	}
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewLog(LogOptions{Dir: filepath.Join(file, "sub")}, &bytes.Buffer{}); err == nil {
		t.Error("log dir under a file: no error")
	}
}

func TestLogRingKeepsRecentRecords(t *testing.T) {
	l, err := NewLog(LogOptions{Format: "json"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := 0; i < 1005; i++ {
		l.With("component", "test").Info("line", "i", i)
	}
	got := l.Recent.Entries()
	if len(got) != 1000 {
		t.Fatalf("%d entries kept, want 1000", len(got))
	}
	first, last := got[0], got[len(got)-1]
	if first.Attrs["i"] != int64(5) || last.Attrs["i"] != int64(1004) || last.Attrs["component"] != "test" || last.Message != "line" || last.Level != "INFO" {
		t.Fatalf("first %+v last %+v", first, last)
	}
	if last.Seq != first.Seq+999 {
		t.Fatalf("sequence numbers %d..%d", first.Seq, last.Seq)
	}
}
