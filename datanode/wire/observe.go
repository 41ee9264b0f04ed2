package wire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/shared/telemetry"
)

// Instrumentation configures a Server's metrics, traces and slow-query log.
// The zero value (what NewServer starts with) records nothing.
type Instrumentation struct {
	// Meters receives the query, connection and cursor metrics.
	Meters metric.MeterProvider
	// Tracers receives a span per query (reql.query); the query's context
	// carries it, so storage reads below it become its children.
	Tracers trace.TracerProvider
	// SlowQuery logs, at warn level, every query whose first response
	// took at least this long (0: no slow-query log).
	SlowQuery time.Duration
}

// Instrument sets the server's instrumentation. Call it before Serve.
func (s *Server) Instrument(in Instrumentation) error {
	o, err := newObserver(in, s.Log)
	if err != nil {
		return err
	}
	s.obs = o
	return nil
}

// family is a coarse class of query, the label queries are counted by.
type family uint8

const (
	famCompute    family = iota // no table involved: r.expr, r.range, math...
	famRead                     // reads a table
	famWrite                    // insert, update, replace, delete, sync
	famAdmin                    // db/table/index DDL, config, status, wait, grant
	famChangefeed               // changes()
	famUnknown                  // did not compile
	numFamilies
)

var familyNames = [numFamilies]string{"compute", "read", "write", "admin", "changefeed", "unknown"}

// result is how a query ended, the other label queries are counted by.
type result uint8

const (
	resOK result = iota
	resClientError
	resCompileError
	resRuntimeError
	resInterrupted // its connection closed before the first response
	numResults
)

var resultNames = [numResults]string{"ok", "client_error", "compile_error", "runtime_error", "interrupted"}

// termFamily classifies every term number; a query's family is the highest
// class among its terms (so r.expr([...]).forEach(insert) is a write).
var termFamily = func() map[reql.TermType]family {
	m := map[reql.TermType]family{}
	for _, tt := range reql.AllTermTypes() {
		name := reql.TermName(tt)
		switch {
		case name == "CHANGES":
			m[tt] = famChangefeed
		case strings.HasPrefix(name, "DB_") || strings.HasPrefix(name, "TABLE_") || strings.HasPrefix(name, "INDEX_"),
			name == "CONFIG", name == "STATUS", name == "WAIT", name == "RECONFIGURE", name == "REBALANCE", name == "GRANT":
			m[tt] = famAdmin
		case name == "INSERT", name == "UPDATE", name == "REPLACE", name == "DELETE", name == "SYNC":
			m[tt] = famWrite
		case name == "TABLE":
			m[tt] = famRead
		}
	}
	return m
}()

// maxWalk bounds the terms looked at to classify or summarize a query.
const maxWalk = 256

func classify(t *reql.Term) family {
	f := famCompute
	var buf [64]*reql.Term // enough for most queries without allocating
	stack := append(buf[:0], t)
	for n := 0; len(stack) > 0 && n < maxWalk; n++ {
		t = stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if t == nil {
			continue
		}
		if tf := termFamily[t.Type]; tf > f {
			f = tf
		}
		stack = append(stack, t.Args...)
		for _, o := range t.Optargs {
			stack = append(stack, o)
		}
	}
	return f
}

// summarize names a query by its chain of terms, the way drivers write it:
// r.table("t").filter(f).count() is "table.filter.count".
func summarize(t *reql.Term) string {
	var chain []string
	for t != nil && len(chain) < 12 {
		chain = append(chain, strings.ToLower(reql.TermName(t.Type)))
		if len(t.Args) == 0 || t.Args[0].Type == reql.TermDatum {
			break // literal arguments (r.range(10), r.table("t")) are not part of the chain
		}
		t = t.Args[0]
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return strings.Join(chain, ".")
}

// tableOf returns the database and table of the first TABLE term of q with
// literal names.
func tableOf(q *reql.Query) (db, table string) {
	stack := []*reql.Term{q.Term}
	for n := 0; len(stack) > 0 && n < maxWalk; n++ {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if t == nil {
			continue
		}
		if t.Type == reql.TermTable && len(t.Args) > 0 {
			name, _ := t.Args[len(t.Args)-1].Datum.(string)
			db = "test"
			if len(t.Args) == 2 {
				db = dbName(t.Args[0])
			} else if g := q.GlobalOpts["db"]; g != nil {
				db = dbName(g)
			}
			return db, name
		}
		for i := len(t.Args) - 1; i >= 0; i-- {
			stack = append(stack, t.Args[i])
		}
	}
	return "", ""
}

func dbName(t *reql.Term) string {
	if t.Type == reql.TermDb && len(t.Args) == 1 {
		s, _ := t.Args[0].Datum.(string)
		return s
	}
	return ""
}

// observer holds a server's instruments. On the per-query path it costs a
// span start, atomic increments (query counts are read by a callback at
// scrape time) and one histogram record.
type observer struct {
	log      *slog.Logger
	tracer   trace.Tracer
	noSpans  bool // tracing records nothing: no span per query, ids made when a slow query is logged
	slow     time.Duration
	rate     *telemetry.Rate
	active   atomic.Int64                          // open driver connections, for rethinkdb.stats
	counts   [numFamilies][numResults]atomic.Int64 // photondb_queries_total
	latency  metric.Float64Histogram
	conns    metric.Int64UpDownCounter
	connects metric.Int64Counter
	cursors  metric.Int64UpDownCounter
	cursorsN metric.Int64Counter
	// Options are kept as ready-made slices: passing one with ... to a
	// variadic interface method does not allocate.
	labels    [numFamilies][numResults]metric.MeasurementOption
	recordBy  [numFamilies][numResults][]metric.RecordOption
	connOK    []metric.AddOption
	connError []metric.AddOption
}

func newObserver(in Instrumentation, log *slog.Logger) (*observer, error) {
	mp, tp := in.Meters, in.Tracers
	if mp == nil {
		mp = metricnoop.NewMeterProvider()
	}
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	m := mp.Meter(telemetry.ScopeName)
	o := &observer{log: log, tracer: tp.Tracer(telemetry.ScopeName), noSpans: telemetry.RecordsNothing(tp),
		slow: in.SlowQuery, rate: telemetry.NewRate(time.Now())}
	var errs []error
	add := func(name string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("wire: metric %s: %w", name, err))
		}
	}
	var err error
	_, err = m.Int64ObservableCounter("photondb_queries",
		metric.WithDescription("ReQL queries started (START), by family and result."),
		metric.WithInt64Callback(func(_ context.Context, obs metric.Int64Observer) error {
			for f := range numFamilies {
				for r := range numResults {
					if n := o.counts[f][r].Load(); n > 0 {
						obs.Observe(n, o.labels[f][r])
					}
				}
			}
			return nil
		}))
	add("photondb_queries", err)
	o.latency, err = m.Float64Histogram("photondb_query_duration_seconds",
		metric.WithDescription("Time from a query's START to its first response, in seconds, by family and result."),
		metric.WithExplicitBucketBoundaries(telemetry.LatencyBuckets...))
	add("photondb_query_duration_seconds", err)
	o.conns, err = m.Int64UpDownCounter("rethinkdb_active_connections",
		metric.WithDescription("Authenticated driver connections open now."))
	add("rethinkdb_active_connections", err)
	o.connects, err = m.Int64Counter("photondb_driver_connections",
		metric.WithDescription("Driver connections accepted, by handshake result (ok or failed)."))
	add("photondb_driver_connections", err)
	o.cursors, err = m.Int64UpDownCounter("photondb_cursors_open",
		metric.WithDescription("Cursors (streams being sent in batches) open now."))
	add("photondb_cursors_open", err)
	o.cursorsN, err = m.Int64Counter("photondb_cursors",
		metric.WithDescription("Cursors opened."))
	add("photondb_cursors", err)
	_, err = m.Float64ObservableGauge("rethinkdb_queries_per_second",
		metric.WithDescription("Queries started per second, averaged over the last 10 seconds."),
		metric.WithFloat64Callback(func(_ context.Context, obs metric.Float64Observer) error {
			obs.Observe(o.rate.PerSecond(time.Now()))
			return nil
		}))
	add("rethinkdb_queries_per_second", err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for f := range numFamilies {
		for r := range numResults {
			opt := metric.WithAttributeSet(attribute.NewSet(
				attribute.String("family", familyNames[f]), attribute.String("result", resultNames[r])))
			o.labels[f][r] = opt
			o.recordBy[f][r] = []metric.RecordOption{opt}
		}
	}
	// Report the gauges as 0 from the start, not only after the first
	// connection.
	o.conns.Add(context.Background(), 0)
	o.cursors.Add(context.Background(), 0)
	o.connOK = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("result", "ok")))}
	o.connError = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("result", "failed")))}
	return o, nil
}

func (o *observer) handshake(ok bool) {
	ctx := context.Background()
	if ok {
		o.connects.Add(ctx, 1, o.connOK...)
		o.conns.Add(ctx, 1)
		o.active.Add(1)
	} else {
		o.connects.Add(ctx, 1, o.connError...)
	}
}

func (o *observer) disconnected() {
	o.conns.Add(context.Background(), -1)
	o.active.Add(-1)
}

// Figures returns the open driver connections and the queries per second
// (over the last seconds), as rethinkdb.stats shows them.
func (s *Server) Figures() (connections int64, queriesPerSec float64) {
	if s.obs == nil {
		return 0, 0
	}
	return s.obs.active.Load(), s.obs.rate.PerSecond(time.Now())
}

func (o *observer) cursorOpened() {
	o.cursors.Add(context.Background(), 1)
	o.cursorsN.Add(context.Background(), 1)
}

func (o *observer) cursorClosed() { o.cursors.Add(context.Background(), -1) }

// compileFailed counts a START whose term did not compile.
func (o *observer) compileFailed(err error) {
	o.rate.Add(1)
	o.counts[famUnknown][resultOf(err)].Add(1)
}

func resultOf(err error) result {
	if err == nil {
		return resOK
	}
	switch reql.AsError(err).Kind {
	case reql.KindClient:
		return resClientError
	case reql.KindCompile:
		return resCompileError
	default:
		return resRuntimeError
	}
}

// queryObs follows one query from START to its end (its response, or the
// end of its cursor). Its methods are called by one goroutine at a time.
type queryObs struct {
	o       *observer
	ctx     context.Context
	span    trace.Span
	q       *reql.Query
	start   time.Time
	family  family
	rows    int64
	bytes   int64
	replied bool
	ended   bool
}

var serverSpan = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}

// noSpan stands for the span a query does not get while tracing records
// nothing.
var noSpan = trace.SpanFromContext(context.Background())

// begin starts observing q; the returned context carries the query's span.
func (o *observer) begin(ctx context.Context, q *reql.Query) *queryObs {
	o.rate.Add(1)
	qo := &queryObs{o: o, q: q, start: time.Now(), family: classify(q.Term)}
	if o.noSpans {
		qo.ctx, qo.span = ctx, noSpan
		return qo
	}
	qo.ctx, qo.span = o.tracer.Start(ctx, "reql.query", serverSpan...)
	if qo.span.IsRecording() {
		qo.span.SetAttributes(qo.describe()...)
	}
	return qo
}

// describe is the query's span (and slow-log) attributes.
func (qo *queryObs) describe() []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		attribute.String("db.system.name", "rethinkdb"),
		attribute.String("db.operation.name", reql.TermName(qo.q.Term.Type)),
		attribute.String("db.query.summary", summarize(qo.q.Term)),
		attribute.String("photondb.query.family", familyNames[qo.family]),
	}
	if db, table := tableOf(qo.q); table != "" {
		attrs = append(attrs, attribute.String("db.namespace", db), attribute.String("db.collection.name", table))
	}
	if qo.q.Noreply {
		attrs = append(attrs, attribute.Bool("photondb.query.noreply", true))
	}
	return attrs
}

// within returns ctx (a connection's, for cancellation) carrying the
// query's span, so that reads of a stream batch by batch are its children.
func (qo *queryObs) within(ctx context.Context) context.Context {
	return trace.ContextWithSpan(ctx, qo.span)
}

// reply records the query's first response (or its failure): latency,
// counts, and the slow-query log.
func (qo *queryObs) reply(err error, rows, bytes int) {
	if qo.replied {
		qo.more(err, rows, bytes)
		return
	}
	qo.replied = true
	o := qo.o
	elapsed := time.Since(qo.start)
	res := resultOf(err)
	o.counts[qo.family][res].Add(1)
	o.latency.Record(qo.ctx, elapsed.Seconds(), o.recordBy[qo.family][res]...)
	qo.more(err, rows, bytes)
	if o.slow > 0 && elapsed >= o.slow {
		attrs := []slog.Attr{
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.String("result", resultNames[res]),
			slog.Int("rows", rows),
		}
		for _, a := range qo.describe() {
			attrs = append(attrs, slog.String(string(a.Key), a.Value.Emit()))
		}
		if err != nil {
			attrs = append(attrs, slog.String("err", err.Error()))
		}
		logCtx := qo.ctx
		if o.noSpans {
			logCtx = telemetry.NewIDs(logCtx)
		}
		o.log.LogAttrs(logCtx, slog.LevelWarn, "slow query", attrs...)
	}
}

// more records a later batch of a cursor (or a failure while reading it).
func (qo *queryObs) more(err error, rows, bytes int) {
	qo.rows += int64(rows)
	qo.bytes += int64(bytes)
	if err != nil {
		qo.span.RecordError(err)
		qo.span.SetStatus(codes.Error, reql.AsError(err).Msg)
	}
}

// end closes the query's span; a query that never replied counts as
// interrupted.
func (qo *queryObs) end() {
	if qo.ended {
		return
	}
	qo.ended = true
	if !qo.replied {
		qo.replied = true
		qo.o.counts[qo.family][resInterrupted].Add(1)
	}
	if qo.span.IsRecording() {
		qo.span.SetAttributes(attribute.Int64("db.response.returned_rows", qo.rows), attribute.Int64("photondb.response.bytes", qo.bytes))
	}
	qo.span.End()
}

// rowsOf counts the rows of an atom result: an array's elements, else one.
func rowsOf(v any) int {
	if a, ok := v.([]any); ok {
		return len(a)
	}
	return 1
}
