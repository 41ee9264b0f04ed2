package telemetry

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/resource"
)

// LatencyBuckets are the histogram bounds, in seconds, of every PhotonDB
// latency histogram: 100 µs to 10 s.
var LatencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Metrics is a process's OpenTelemetry meter provider and the Prometheus
// registry it is exported to.
type Metrics struct {
	provider *sdkmetric.MeterProvider
	registry *prometheus.Registry
	handler  http.Handler
}

// NewMetrics returns a meter provider exported to a fresh Prometheus
// registry, which also holds the Go runtime and process collectors (go_*,
// process_*), and registers the process gauges rethinkdb_cpu_usage_percent
// and rethinkdb_memory_usage_bytes.
func NewMetrics(res *resource.Resource) (*Metrics, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("telemetry: register Go collector: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("telemetry: register process collector: %w", err)
	}
	exp, err := otelprom.New(
		otelprom.WithRegisterer(reg),
		otelprom.WithoutUnits(),     // units are spelled in the names
		otelprom.WithoutScopeInfo(), // no otel_scope_* labels on every series
	)
	if err != nil {
		return nil, fmt.Errorf("telemetry: Prometheus exporter: %w", err)
	}
	opts := []sdkmetric.Option{
		sdkmetric.WithReader(exp),
		// The text exposition carries no exemplars; offering every
		// measurement to a reservoir would only cost time on hot paths.
		sdkmetric.WithExemplarFilter(exemplar.AlwaysOffFilter),
	}
	if res != nil {
		opts = append(opts, sdkmetric.WithResource(res))
	}
	m := &Metrics{
		provider: sdkmetric.NewMeterProvider(opts...),
		registry: reg,
		handler:  promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}),
	}
	if err := registerProcess(m.provider.Meter(ScopeName)); err != nil {
		return nil, err
	}
	return m, nil
}

// ScopeName is the instrumentation scope of PhotonDB's own instruments.
const ScopeName = "github.com/photondb-io/photondb"

// Provider is the meter provider to hand to instrumented packages.
func (m *Metrics) Provider() metric.MeterProvider { return m.provider }

// Handler serves the Prometheus text exposition (GET /_metrics).
func (m *Metrics) Handler() http.Handler { return m.handler }

// Shutdown stops the meter provider.
func (m *Metrics) Shutdown(ctx context.Context) error {
	if err := m.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("telemetry: shut down metrics: %w", err)
	}
	return nil
}
