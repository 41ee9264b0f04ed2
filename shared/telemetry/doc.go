// Package telemetry sets up a PhotonDB process's observability: OpenTelemetry
// metrics exported in Prometheus text format, OpenTelemetry traces exported
// with OTLP when the standard OTEL_* variables ask for it, and log/slog
// loggers (JSON or text, to stderr and to rolling files) whose lines carry
// the trace and span ids of the request they belong to.
//
//	 instrumented packages                   telemetry                   outside
//	(wire, shard, api, datanode)
//	counters, histograms ──▶ metric.MeterProvider (SDK) ──▶ Prometheus ──▶ GET /_metrics
//	observable gauges    ──▶   (callbacks run per scrape)   registry
//	spans                ──▶ trace.TracerProvider (SDK) ──▶ OTLP/HTTP ──▶ collector
//	                             (ids only when OTLP is off)    (only if OTEL_EXPORTER_OTLP_*)
//	slog records (ctx)   ──▶ trace-id handler ──▶ JSON|text ──▶ stderr + lumberjack files
//
// Instrumented packages never reach for globals: they are handed a
// metric.MeterProvider and a trace.TracerProvider (no-op ones by default),
// so tests can plug in the SDK's in-memory exporters and benchmarks can
// compare instrumented and bare runs.
//
// Metric names: the RethinkDB-era names of the design brief are kept exactly
// (rethinkdb_cpu_usage_percent, rethinkdb_memory_usage_bytes,
// rethinkdb_queries_per_second, rethinkdb_active_connections,
// rethinkdb_cluster_nodes{role}, rethinkdb_replication_lag_seconds{node});
// everything else is photondb_<area>_<what>, counters ending in _total.
// Units are part of the names (…_seconds, …_bytes), so the exporter is told
// not to append units of its own.
package telemetry
