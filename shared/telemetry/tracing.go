package telemetry

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Tracing is a process's tracer provider.
//
// With OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
// set, spans are sampled as OTEL_TRACES_SAMPLER says (parent-based
// always-on by default) and exported with OTLP over HTTP/protobuf, configured
// by the standard OTEL_EXPORTER_OTLP_* variables. Otherwise nothing is
// recorded or exported, but every span still gets real trace and span ids,
// so that log lines of one query or request can be correlated.
type Tracing struct {
	provider  trace.TracerProvider
	sdk       *sdktrace.TracerProvider // nil while not exporting
	exporting bool
}

// NewTracing builds the tracer provider from the environment (getenv,
// usually os.Getenv) and installs it, with the W3C trace-context and
// baggage propagators, as the process's global OpenTelemetry defaults.
func NewTracing(ctx context.Context, res *resource.Resource, getenv func(string) string) (*Tracing, error) {
	t := &Tracing{}
	endpoint := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if endpoint == "" {
		endpoint = getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	}
	if endpoint != "" && !strings.EqualFold(getenv("OTEL_TRACES_EXPORTER"), "none") {
		if p := protocol(getenv); p != "http/protobuf" {
			return nil, fmt.Errorf("telemetry: OTLP protocol %q is not supported; PhotonDB exports traces with http/protobuf", p)
		}
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP trace exporter for %s: %w", endpoint, err)
		}
		opts := []sdktrace.TracerProviderOption{}
		if res != nil {
			opts = append(opts, sdktrace.WithResource(res))
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
		t.exporting = true
		t.sdk = sdktrace.NewTracerProvider(opts...)
		t.provider = t.sdk
	} else {
		t.provider = idTracerProvider{}
	}
	otel.SetTracerProvider(t.provider)
	otel.SetTextMapPropagator(Propagator)
	return t, nil
}

// Propagator reads and writes W3C trace context and baggage headers.
var Propagator propagation.TextMapPropagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// protocol is the OTLP protocol asked for by the environment.
func protocol(getenv func(string) string) string {
	p := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if p == "" {
		p = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if p == "" {
		p = "http/protobuf"
	}
	return p
}

// Provider is the tracer provider to hand to instrumented packages.
func (t *Tracing) Provider() trace.TracerProvider { return t.provider }

// Exporting reports whether spans are exported (OTLP configured).
func (t *Tracing) Exporting() bool { return t.exporting }

// Shutdown flushes pending spans and stops the provider.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t.sdk == nil {
		return nil
	}
	if err := t.sdk.Shutdown(ctx); err != nil {
		return fmt.Errorf("telemetry: shut down tracing: %w", err)
	}
	return nil
}
