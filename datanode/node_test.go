package datanode

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	r "gopkg.in/rethinkdb/rethinkdb-go.v6"

	"github.com/photondb-io/photondb/shared/health"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startNode starts a data node on a fresh directory and an ephemeral port;
// it is shut down at cleanup.
func startNode(t testing.TB, cfg Config) *Node {
	t.Helper()
	cfg.DataDir = t.TempDir()
	cfg.DriverAddr = "127.0.0.1:0"
	if cfg.Log == nil {
		cfg.Log = quietLog()
	}
	n, err := Start(cfg)
	if err != nil {
		t.Fatalf("start data node: %v", err)
	}
	t.Cleanup(func() { _ = n.Shutdown(context.Background()) })
	return n
}

// session connects the official Go driver to n.
func session(t testing.TB, n *Node, pool int) *r.Session {
	t.Helper()
	r.Log.Out = io.Discard
	s, err := r.Connect(r.ConnectOpts{Address: n.DriverAddr().String(), Username: "admin", Timeout: 5 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, InitialCap: pool, MaxOpen: pool})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func exec(t testing.TB, s *r.Session, q r.Term) {
	t.Helper()
	cur, err := q.Run(s)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var all []any
	if err := cur.All(&all); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// Readiness flips to not-ready, with the reason, once the storage is closed.
func TestReadinessFlipsWhenStorageCloses(t *testing.T) {
	n := startNode(t, Config{})
	reg := health.NewRegistry()
	reg.Register("storage", n.CheckStorage)
	reg.MarkStarted()
	mux := http.NewServeMux()
	reg.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ready := func() (int, health.Report) {
		t.Helper()
		resp, err := http.Get(srv.URL + "/health/ready")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rep health.Report
		if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, rep
	}
	if code, rep := ready(); code != http.StatusOK || rep.Components["storage"].Status != "ok" {
		t.Fatalf("before shutdown: /health/ready %d %+v, want 200 and storage ok", code, rep)
	}
	if err := n.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	code, rep := ready()
	if code != http.StatusServiceUnavailable || rep.Status != "down" {
		t.Fatalf("after shutdown: /health/ready %d %+v, want 503 and status down", code, rep)
	}
	if c := rep.Components["storage"]; c.Status != "down" || !strings.Contains(c.Reason, "closed") {
		t.Fatalf("after shutdown: storage component %+v, want down because closed", c)
	}
}

// One query makes one reql.query span, and its storage reads are child
// spans of it.
func TestQuerySpanTree(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	defer tp.Shutdown(context.Background())
	n := startNode(t, Config{Tracers: tp})
	s := session(t, n, 1)
	exec(t, s, r.TableCreate("spans"))
	exec(t, s, r.Table("spans").Insert([]map[string]any{{"id": 1}, {"id": 2}, {"id": 3}}))

	cases := []struct {
		name    string
		q       r.Term
		summary string
		child   string
		rows    int64
	}{
		{"get", r.Table("spans").Get(2), "table.get", "storage.get", 1},
		{"scan", r.DB("test").Table("spans").Filter(map[string]any{"id": 3}), "db.table.filter", "storage.scan", 1},
		{"count", r.Table("spans").Count(), "table.count", "storage.count", 1},
		{"write", r.Table("spans").Get(1).Update(map[string]any{"x": 1}), "table.get.update", "storage.write", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			exp.Reset()
			exec(t, s, tc.q)
			spans := exp.GetSpans()
			var roots []tracetest.SpanStub
			for _, sp := range spans {
				if sp.Name == "reql.query" {
					roots = append(roots, sp)
				}
			}
			if len(roots) != 1 {
				t.Fatalf("%d reql.query spans (all: %v), want 1", len(roots), names(spans))
			}
			root := roots[0]
			if root.Parent.IsValid() || root.SpanKind != trace.SpanKindServer {
				t.Errorf("reql.query: parent %v kind %v, want a server root span", root.Parent, root.SpanKind)
			}
			attrs := map[string]any{}
			for _, a := range root.Attributes {
				attrs[string(a.Key)] = a.Value.AsInterface()
			}
			want := map[string]any{"db.query.summary": tc.summary, "db.namespace": "test", "db.collection.name": "spans",
				"db.response.returned_rows": tc.rows, "db.system.name": "rethinkdb"}
			for k, v := range want {
				if attrs[k] != v {
					t.Errorf("reql.query attribute %s = %#v, want %#v (all %v)", k, attrs[k], v, attrs)
				}
			}
			var children int
			for _, sp := range spans {
				if sp.Name == "reql.query" {
					continue
				}
				if sp.Parent.SpanID() != root.SpanContext.SpanID() || sp.SpanContext.TraceID() != root.SpanContext.TraceID() {
					t.Errorf("span %s: parent %s trace %s, want child of reql.query %s", sp.Name, sp.Parent.SpanID(), sp.SpanContext.TraceID(), root.SpanContext.SpanID())
				}
				if sp.Name == tc.child {
					children++
				}
				if sp.EndTime.After(root.EndTime) {
					t.Errorf("span %s ends after its query", sp.Name)
				}
			}
			if children == 0 {
				t.Errorf("no %s child span (spans: %v)", tc.child, names(spans))
			}
		})
	}
}

func names(spans tracetest.SpanStubs) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.Name
	}
	return out
}
