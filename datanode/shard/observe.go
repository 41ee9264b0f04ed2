package shard

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/shared/telemetry"
)

// Instrument wraps a store so that every table read and write is counted
// (photondb_table_reads_total, photondb_table_writes_total by db and table)
// and traced (storage.get, storage.scan, storage.index_scan, storage.count
// and storage.write spans, children of the span in the caller's context).
// Methods of reql.Store and reql.TableStore that it does not override
// (catalog changes, changefeed subscriptions, index listings) pass through
// unchanged.
//
// Counting is an atomic increment per call; the counters are read by a
// callback when metrics are collected.
func Instrument(s reql.Store, mp metric.MeterProvider, tp trace.TracerProvider) (reql.Store, error) {
	o := &observedStore{Store: s, tracer: tp.Tracer(telemetry.ScopeName)}
	m := mp.Meter(telemetry.ScopeName)
	reads, err := m.Int64ObservableCounter("photondb_table_reads",
		metric.WithDescription("Reads from a table, by db and table: point reads (found or not) plus documents scanned or counted."))
	if err != nil {
		return nil, fmt.Errorf("shard: metric photondb_table_reads: %w", err)
	}
	writes, err := m.Int64ObservableCounter("photondb_table_writes",
		metric.WithDescription("Documents written to a table (inserted, replaced or deleted), by db and table."))
	if err != nil {
		return nil, fmt.Errorf("shard: metric photondb_table_writes: %w", err)
	}
	if _, err := m.RegisterCallback(func(_ context.Context, obs metric.Observer) error {
		o.counters.Range(func(_, v any) bool {
			c := v.(*tableCounters)
			if n := c.reads.Load(); n > 0 {
				obs.ObserveInt64(reads, n, c.label)
			}
			if n := c.writes.Load(); n > 0 {
				obs.ObserveInt64(writes, n, c.label)
			}
			return true
		})
		return nil
	}, reads, writes); err != nil {
		return nil, fmt.Errorf("shard: register table metrics: %w", err)
	}
	return o, nil
}

type observedStore struct {
	reql.Store
	tracer   trace.Tracer
	tables   sync.Map // tableKey -> *observedTable, the wrapper of the table's current handle
	counters sync.Map // tableKey -> *tableCounters, kept across drop and re-create so counts never go back
}

// tableCounters are one table name's read and write counts.
type tableCounters struct {
	reads, writes atomic.Int64
	label         metric.MeasurementOption // {db, table}
}

type tableKey struct{ db, name string }

// OpenTable implements reql.Store. Wrappers are kept per table, so opening
// a table (once per query) allocates nothing once it has been seen.
func (s *observedStore) OpenTable(ctx context.Context, db, name string) (reql.TableStore, error) {
	t, err := s.Store.OpenTable(ctx, db, name)
	if err != nil {
		return nil, err
	}
	key := tableKey{db, name}
	if v, ok := s.tables.Load(key); ok && v.(*observedTable).TableStore == t {
		return v.(*observedTable), nil
	}
	// First use, or the table was dropped and created again.
	c, ok := s.counters.Load(key)
	if !ok {
		c, _ = s.counters.LoadOrStore(key, &tableCounters{
			label: metric.WithAttributeSet(attribute.NewSet(attribute.String("db", db), attribute.String("table", name)))})
	}
	ot := &observedTable{TableStore: t, s: s, db: db, name: name, counts: c.(*tableCounters)}
	s.tables.Store(key, ot)
	return ot, nil
}

type observedTable struct {
	reql.TableStore
	s        *observedStore
	counts   *tableCounters
	db, name string
}

// startSpan starts a storage span under the caller's span. When that span
// is not recorded (tracing off, or not sampled) neither would the child be,
// so none is made and the caller's span stays current.
func (t *observedTable) startSpan(ctx context.Context, op string) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, nonRecording
	}
	ctx, span := t.s.tracer.Start(ctx, "storage."+op, internalSpan...)
	if span.IsRecording() {
		span.SetAttributes(attribute.String("db.namespace", t.db), attribute.String("db.collection.name", t.name))
	}
	return ctx, span
}

var internalSpan = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal)}

// nonRecording stands for the span not made by startSpan.
var nonRecording = trace.SpanFromContext(context.Background())

func endSpan(span trace.Span, err error, rows int64) {
	if span.IsRecording() {
		span.SetAttributes(attribute.Int64("photondb.rows", rows))
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
	}
	span.End()
}

// Get implements reql.TableStore.
func (t *observedTable) Get(ctx context.Context, key any) (map[string]any, error) {
	ctx, span := t.startSpan(ctx, "get")
	doc, err := t.TableStore.Get(ctx, key)
	var n int64
	if doc != nil {
		n = 1
	}
	if err == nil {
		t.counts.reads.Add(1)
	}
	endSpan(span, err, n)
	return doc, err
}

// GetRaw implements reql.RawGetter when the table does.
func (t *observedTable) GetRaw(ctx context.Context, key any, decode bool) (map[string]any, []byte, error) {
	rg, ok := t.TableStore.(reql.RawGetter)
	if !ok {
		doc, err := t.Get(ctx, key)
		return doc, nil, err
	}
	ctx, span := t.startSpan(ctx, "get")
	doc, raw, err := rg.GetRaw(ctx, key, decode)
	var n int64
	if doc != nil || raw != nil {
		n = 1
	}
	if err == nil {
		t.counts.reads.Add(1)
	}
	endSpan(span, err, n)
	return doc, raw, err
}

// Count implements reql.TableStore.
func (t *observedTable) Count(ctx context.Context) (int64, error) {
	ctx, span := t.startSpan(ctx, "count")
	n, err := t.TableStore.Count(ctx)
	if n > 0 {
		t.counts.reads.Add(n)
	}
	endSpan(span, err, n)
	return n, err
}

// Scan implements reql.TableStore. The span lasts until the iterator is
// closed.
func (t *observedTable) Scan(ctx context.Context, reverse bool) reql.DocIterator {
	ctx, span := t.startSpan(ctx, "scan")
	return &observedIter{DocIterator: t.TableStore.Scan(ctx, reverse), t: t, span: span}
}

// IndexScan implements reql.TableStore. The span lasts until the iterator
// is closed.
func (t *observedTable) IndexScan(ctx context.Context, index string, r reql.KeyRange, reverse bool) (reql.DocIterator, error) {
	ctx, span := t.startSpan(ctx, "index_scan")
	if span.IsRecording() {
		span.SetAttributes(attribute.String("photondb.index", index))
	}
	it, err := t.TableStore.IndexScan(ctx, index, r, reverse)
	if err != nil {
		endSpan(span, err, 0)
		return nil, err
	}
	return &observedIter{DocIterator: it, t: t, span: span}, nil
}

// Write implements reql.TableStore.
func (t *observedTable) Write(ctx context.Context, ops []*reql.WriteOp, durability string) error {
	ctx, span := t.startSpan(ctx, "write")
	err := t.TableStore.Write(ctx, ops, durability)
	var n int64
	if err == nil {
		for _, op := range ops {
			if op.Err == nil && (op.Old != nil || op.New != nil) {
				n++
			}
		}
		if n > 0 {
			t.counts.writes.Add(n)
		}
	}
	endSpan(span, err, n)
	return err
}

type observedIter struct {
	reql.DocIterator
	t      *observedTable
	span   trace.Span
	rows   int64
	closed bool
}

func (it *observedIter) Next() bool {
	ok := it.DocIterator.Next()
	if ok {
		it.rows++
	}
	return ok
}

func (it *observedIter) Close() error {
	if it.closed {
		return it.DocIterator.Close()
	}
	it.closed = true
	scanErr := it.DocIterator.Err()
	err := it.DocIterator.Close()
	if it.rows > 0 {
		it.t.counts.reads.Add(it.rows)
	}
	if scanErr == nil {
		scanErr = err
	}
	endSpan(it.span, scanErr, it.rows)
	return err
}

// Totals returns the documents read and written through an instrumented
// store (see Instrument) since it started; zero for other stores.
func Totals(s reql.Store) (reads, writes int64) {
	o, ok := s.(*observedStore)
	if !ok {
		return 0, 0
	}
	o.counters.Range(func(_, v any) bool {
		c := v.(*tableCounters)
		reads += c.reads.Load()
		writes += c.writes.Load()
		return true
	})
	return reads, writes
}
