package telemetry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func scrapeHandler(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	return fams
}

// Names come out exactly as instruments name them (plus _total on
// counters), and the process gauges are there from the start.
func TestMetricsExposition(t *testing.T) {
	ctx := context.Background()
	res, err := Resource(ctx, "1.2.3", "node-1")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMetrics(res)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(ctx)
	c, err := m.Provider().Meter("test").Int64Counter("photondb_things")
	if err != nil {
		t.Fatal(err)
	}
	c.Add(ctx, 3, metric.WithAttributes(attribute.String("kind", "a")))
	fams := scrapeHandler(t, m.Handler())
	for _, name := range []string{"rethinkdb_cpu_usage_percent", "rethinkdb_memory_usage_bytes", "photondb_things_total", "go_goroutines", "target_info"} {
		if fams[name] == nil {
			t.Errorf("exposition lacks %s", name)
		}
	}
	if f := fams["photondb_things_total"]; f != nil {
		if f.GetType() != dto.MetricType_COUNTER || f.GetMetric()[0].GetCounter().GetValue() != 3 {
			t.Errorf("photondb_things_total = %v, want counter 3", f)
		}
		for _, l := range f.GetMetric()[0].GetLabel() {
			if l.GetName() == "otel_scope_name" {
				t.Errorf("series carry scope labels: %v", f.GetMetric()[0].GetLabel())
			}
		}
	}
	if v := fams["rethinkdb_memory_usage_bytes"].GetMetric()[0].GetGauge().GetValue(); v <= 0 {
		t.Errorf("rethinkdb_memory_usage_bytes = %v", v)
	}
}

// The HTTP middleware continues the caller's W3C trace, names the span by
// route, and counts requests by method, route and status.
func TestHTTPMiddleware(t *testing.T) {
	ctx := context.Background()
	m, err := NewMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(ctx)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))
	defer tp.Shutdown(ctx)
	mw, err := HTTPMiddleware(m.Provider(), tp, func(r *http.Request) string {
		if r.URL.Path == "/things/7" {
			return "/things/{id}"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	inner := map[string]trace.SpanContext{}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner[r.URL.Path] = trace.SpanContextFromContext(r.Context())
		if r.URL.Path != "/things/7" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusTeapot)
	}))
	req := httptest.NewRequest(http.MethodGet, "/things/7", nil)
	req.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	h.ServeHTTP(httptest.NewRecorder(), req)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/nope", nil))

	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	s := spans[0]
	if s.Name != "GET /things/{id}" || s.SpanKind != trace.SpanKindServer {
		t.Errorf("span %q kind %v, want server span GET /things/{id}", s.Name, s.SpanKind)
	}
	if s.SpanContext.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || s.Parent.SpanID().String() != "b7ad6b7169203331" || !s.Parent.IsRemote() {
		t.Errorf("span trace %s parent %s: want the caller's trace and span", s.SpanContext.TraceID(), s.Parent.SpanID())
	}
	if inner["/things/7"].SpanID() != s.SpanContext.SpanID() {
		t.Errorf("handler context carries span %s, want the request span %s", inner["/things/7"].SpanID(), s.SpanContext.SpanID())
	}
	if spans[1].Name != "GET unmatched" {
		t.Errorf("unrouted request span %q, want GET unmatched", spans[1].Name)
	}

	fams := scrapeHandler(t, m.Handler())
	got := map[string]float64{}
	for _, mm := range fams["photondb_http_requests_total"].GetMetric() {
		key := ""
		for _, l := range mm.GetLabel() {
			key += l.GetName() + "=" + l.GetValue() + " "
		}
		got[key] = mm.GetCounter().GetValue()
	}
	for _, want := range []string{"method=GET route=/things/{id} status=418 ", "method=GET route=unmatched status=404 "} {
		if got[want] != 1 {
			t.Errorf("photondb_http_requests_total{%s} = %v, want 1 (all: %v)", want, got[want], got)
		}
	}
	if fams["photondb_http_request_duration_seconds"] == nil {
		t.Error("no photondb_http_request_duration_seconds")
	}
}

// Without OTLP variables, spans are not recorded but still get ids.
func TestTracingOffByDefault(t *testing.T) {
	ctx := context.Background()
	tr, err := NewTracing(ctx, nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Shutdown(ctx)
	if tr.Exporting() {
		t.Fatal("exporting without OTEL_EXPORTER_OTLP_ENDPOINT")
	}
	pctx, span := tr.Provider().Tracer("t").Start(ctx, "x")
	defer span.End()
	if span.IsRecording() || !span.SpanContext().IsValid() {
		t.Fatalf("span recording %v valid %v: want ids without recording", span.IsRecording(), span.SpanContext().IsValid())
	}
	_, child := tr.Provider().Tracer("t").Start(pctx, "y")
	if child.SpanContext().TraceID() != span.SpanContext().TraceID() || child.SpanContext().SpanID() == span.SpanContext().SpanID() {
		t.Fatalf("child span %v of %v: want the same trace, a new span id", child.SpanContext(), span.SpanContext())
	}
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
	if _, err := NewTracing(ctx, nil, func(k string) string { return env[k] }); err == nil {
		t.Fatal("grpc protocol accepted")
	}
	env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
	on, err := NewTracing(ctx, nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if !on.Exporting() {
		t.Fatal("not exporting with OTEL_EXPORTER_OTLP_ENDPOINT set")
	}
	sctx, cancel := context.WithTimeout(ctx, 0)
	defer cancel()
	_ = on.Shutdown(sctx) // nothing listens there; only the setup is under test
}
