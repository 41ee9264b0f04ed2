package telemetry

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// HTTPMiddleware instruments an HTTP handler: a server span per request,
// continuing the caller's W3C trace context (traceparent, tracestate,
// baggage), and photondb_http_requests_total and
// photondb_http_request_duration_seconds by method, route and status.
//
// route names the matched route after the handler ran (a pattern such as
// /api/v1/dbs/{db}, never the raw path, to keep label values bounded); ""
// is reported as "unmatched".
func HTTPMiddleware(mp metric.MeterProvider, tp trace.TracerProvider, route func(*http.Request) string) (func(http.Handler) http.Handler, error) {
	m := mp.Meter(ScopeName)
	requests, err := m.Int64Counter("photondb_http_requests",
		metric.WithDescription("HTTP requests served, by method, route and status."))
	if err != nil {
		return nil, fmt.Errorf("telemetry: photondb_http_requests: %w", err)
	}
	latency, err := m.Float64Histogram("photondb_http_request_duration_seconds",
		metric.WithDescription("HTTP request latency in seconds, by method, route and status."),
		metric.WithExplicitBucketBoundaries(LatencyBuckets...))
	if err != nil {
		return nil, fmt.Errorf("telemetry: photondb_http_request_duration_seconds: %w", err)
	}
	tracer := tp.Tracer(ScopeName)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ctx := Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			ctx, span := tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
			defer span.End()
			rec := &statusRecorder{ResponseWriter: w}
			r = r.WithContext(ctx)
			next.ServeHTTP(rec, r)
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			rt := route(r)
			if rt == "" {
				rt = "unmatched"
			}
			span.SetName(r.Method + " " + rt)
			span.SetAttributes(attribute.String("http.route", rt), attribute.Int("http.response.status_code", status))
			if status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
			attrs := metric.WithAttributeSet(attribute.NewSet(
				attribute.String("method", r.Method), attribute.String("route", rt), attribute.String("status", strconv.Itoa(status))))
			requests.Add(ctx, 1, attrs)
			latency.Record(ctx, time.Since(start).Seconds(), attrs)
		})
	}, nil
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush lets streaming handlers flush through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
