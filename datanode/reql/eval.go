package reql

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Env is what a query runs against: the store and facts about this server.
type Env struct {
	Store      Store
	ServerName string
	ServerID   string
	// Live supplies the running figures that rethinkdb.stats, server_status
	// and logs show (nil: zeros and no log entries).
	Live LiveSource
	// Users keeps the driver users and their permissions (rethinkdb.users,
	// rethinkdb.permissions, GRANT). Nil: only the admin user exists, and
	// a query run as any other user (WithUser) has no permission.
	Users UserStore
}

// Database is the value of DB.
type Database struct{ Name string }

// Table is the value of TABLE: a table handle, also a stream selection.
type Table struct {
	DB, Name string
	store    TableStore
}

// SingleSelection is the value of GET: one document (or nil) with the table
// it came from, so that writes can be chained on it.
type SingleSelection struct {
	table *Table
	key   any
	doc   map[string]any
	// raw is doc's stored JSON when the store returned it (see RawGetter).
	raw []byte
	// feedOrder is set on min/max through an index: its changefeed is an
	// order_by.limit(1) feed rather than a point feed.
	feedOrder *feedOrder
}

// Selection is a stream of documents from one table (GET_ALL, ...), on which
// writes can be chained.
type Selection struct {
	table   *Table
	stream  Stream
	isArray bool // an array of documents (e.g. order_by without an index): sent as an atom

	// feedOK marks selections a changefeed can follow (get_all, between,
	// filter on a table); feedMatch says which documents belong to the
	// selection (nil: all).
	feedOK    bool
	feedMatch func(doc map[string]any) (bool, error)
	// feedOrder and feedLimit describe order_by({index}).limit(n), whose
	// changefeed keeps the top n documents.
	feedOrder *feedOrder
	feedLimit int
	// slice is set on between's result (a TABLE_SLICE): order_by with
	// the same index reads the range in index order.
	slice *tableSlice
}

// tableSlice is the index range a between selected.
type tableSlice struct {
	index string
	r     KeyRange
}

// Func is a compiled FUNC with its captured scope.
type Func struct {
	params []int
	body   *Term
	scope  map[int]any
}

// Stream is a lazy sequence of datums. Next returns ok=false at the end.
// Close releases what the stream holds; it is safe to call twice.
type Stream interface {
	Next(ctx context.Context) (v any, ok bool, err error)
	Close() error
}

// evalCtx carries one query's evaluation state.
type evalCtx struct {
	ctx        context.Context
	env        *Env
	globalOpts map[string]*Term
	scope      map[int]any
	defaultDB  string
	now        time.Time
	feedNotes  []int // set by CHANGES: the response notes of the feed
	// rawRoot is the query's term when the caller takes Result.Raw (see
	// Query.RawResult): a GET there returns the stored JSON undecoded.
	rawRoot *Term
	// auth is the user the query runs as; nil: unrestricted (the admin
	// user, or an internal caller). See auth.go.
	auth *authState
}

// Result is a query's outcome: exactly one of Datum or Stream is meaningful
// (Stream is nil for an atom). Feed is set for changefeeds, whose Notes
// (SEQUENCE_FEED, ATOM_FEED, INCLUDES_STATES, ...) go on every batch.
// Raw, when set, is Datum's JSON encoding (a document returned as stored);
// with Query.RawResult, Datum may then be left nil.
type Result struct {
	Datum  any
	Raw    []byte
	Stream Stream
	Feed   bool
	Notes  []int
}

// ErrWouldBlock is returned by Next on a context made with Poll when no
// element is ready: the stream is not ended, and Next may be called again.
var ErrWouldBlock = errors.New("reql: no element ready")

type pollKey struct{}

// Poll returns a context under which a changefeed's Next does not wait:
// it returns ErrWouldBlock when nothing is queued. The wire layer uses it
// to send what a feed has without waiting for more.
func Poll(ctx context.Context) context.Context { return context.WithValue(ctx, pollKey{}, true) }

func polling(ctx context.Context) bool { return ctx.Value(pollKey{}) != nil }

// Run evaluates a compiled query. A stream result must be closed by the
// caller.
func (q *Query) Run(ctx context.Context, env *Env) (res Result, err error) {
	c := &evalCtx{ctx: ctx, env: env, globalOpts: q.GlobalOpts, scope: map[int]any{}, defaultDB: "test", now: time.Now(),
		auth: newAuthState(ctx, env)}
	if q.RawResult {
		c.rawRoot = q.Term
	}
	defer func() {
		// A bug in one term must never take the server down.
		if r := recover(); r != nil {
			err = &Error{Kind: KindRuntime, Type: ErrInternal, Msg: fmt.Sprintf("Internal error: %v", r), Backtrace: []any{}}
		}
	}()
	if dbt, ok := q.GlobalOpts["db"]; ok {
		v, err := c.eval(dbt)
		if err != nil {
			return Result{}, err
		}
		db, ok := v.(*Database)
		if !ok {
			return Result{}, newErr(ErrQueryLogic, "Expected type DATABASE but found %s.", typeName(v))
		}
		c.defaultDB = db.Name
	}
	v, err := c.eval(q.Term)
	if err != nil {
		return Result{}, err
	}
	res, err = c.toResult(v)
	if err == nil && res.Stream != nil && c.feedNotes != nil {
		res.Feed, res.Notes = true, c.feedNotes
	}
	return res, err
}

func (c *evalCtx) toResult(v any) (Result, error) {
	switch x := v.(type) {
	case *Table:
		return Result{Stream: newTableScan(c.ctx, x)}, nil
	case *Selection:
		if x.isArray {
			arr, err := c.drain(x, &Term{})
			return Result{Datum: arr}, err
		}
		return Result{Stream: x.stream}, nil
	case *SingleSelection:
		if x.doc == nil && x.raw == nil {
			return Result{Datum: nil}, nil
		}
		return Result{Datum: x.doc, Raw: x.raw}, nil
	case Stream:
		return Result{Stream: x}, nil
	case *Database:
		return Result{}, newErr(ErrQueryLogic, "Query result must be of type DATUM, GROUPED_DATA, or STREAM (got DATABASE).")
	case *Func:
		return Result{}, newErr(ErrQueryLogic, "Query result must be of type DATUM, GROUPED_DATA, or STREAM (got FUNCTION).")
	case datumer:
		d, err := x.reqlDatum()
		return Result{Datum: d}, err
	case *minValue:
		return Result{}, newErr(ErrQueryLogic, "Cannot convert `r.minval` to JSON.")
	case *maxValue:
		return Result{}, newErr(ErrQueryLogic, "Cannot convert `r.maxval` to JSON.")
	}
	return Result{Datum: v}, nil
}

// datumer is a non-plain value that has a datum form (GROUPED_DATA becomes
// its {"$reql_type$":"GROUPED_DATA","data":[...]} pseudo-type).
type datumer interface {
	reqlDatum() (any, error)
}

// mapStream applies f to every element of s, lazily.
func mapStream(s Stream, f func(v any) (any, error)) Stream {
	return &mappedStream{src: s, f: f}
}

type mappedStream struct {
	src Stream
	f   func(any) (any, error)
}

func (m *mappedStream) Next(ctx context.Context) (any, bool, error) {
	v, ok, err := m.src.Next(ctx)
	if err != nil || !ok {
		return nil, ok, err
	}
	out, err := m.f(v)
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}

func (m *mappedStream) Close() error { return m.src.Close() }

// eval evaluates a term, attaching its backtrace to errors raised inside it.
func (c *evalCtx) eval(t *Term) (any, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, newErr(ErrOpIndeterminate, "Query interrupted: %v.", err)
	}
	s := registry[t.Type]
	if t.spliced {
		var err error
		if t, err = c.spliceArgs(t, s); err != nil {
			return nil, err
		}
	}
	v, err := s.eval(c, t)
	if err != nil {
		return nil, withBacktrace(err, t.bt)
	}
	return v, nil
}

// spliceArgs expands r.args(array) arguments into a copy of t and checks the
// resulting arity.
func (c *evalCtx) spliceArgs(t *Term, s *spec) (*Term, error) {
	out := *t
	out.spliced = false
	out.Args = nil
	for _, a := range t.Args {
		if a.Type != TermArgs {
			out.Args = append(out.Args, a)
			continue
		}
		arr, err := c.evalArray(a.Args[0])
		if err != nil {
			return nil, err
		}
		for _, v := range arr {
			out.Args = append(out.Args, &Term{Type: TermDatum, Datum: v, bt: a.bt})
		}
	}
	if err := checkArity(s, len(out.Args)); err != nil {
		err.Backtrace = t.bt
		return nil, err
	}
	return &out, nil
}

// evalDatum evaluates t and requires a datum (selections become their
// documents; streams are read into arrays up to the array limit).
func (c *evalCtx) evalDatum(t *Term) (any, error) {
	v, err := c.eval(t)
	if err != nil {
		return nil, err
	}
	return c.toDatum(v, t)
}

func (c *evalCtx) toDatum(v any, t *Term) (any, error) {
	switch x := v.(type) {
	case *SingleSelection:
		if x.doc == nil {
			return nil, nil
		}
		return x.doc, nil
	case *Table, *Selection, Stream:
		return c.drain(v, t)
	case *Database, *Func:
		return nil, withBacktrace(newErr(ErrQueryLogic, "Expected type DATUM but found %s.", typeName(v)), t.bt)
	case datumer:
		return x.reqlDatum()
	}
	return v, nil
}

// arrayLimit is RethinkDB's default array size limit.
const arrayLimit = 100000

func (c *evalCtx) arrayLimit() int {
	if t, ok := c.globalOpts["array_limit"]; ok && t.Type == TermDatum {
		if n, ok := t.Datum.(float64); ok && n >= 1 {
			return int(n)
		}
	}
	return arrayLimit
}

// drain reads a sequence into an array, bounded by the array limit.
func (c *evalCtx) drain(v any, t *Term) ([]any, error) {
	s, err := c.toStream(v, t)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if isInfinite(s) {
		return nil, withBacktrace(errInfinite(), t.bt)
	}
	limit := c.arrayLimit()
	out := []any{}
	for {
		d, ok, err := s.Next(c.ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		if len(out) >= limit {
			return nil, withBacktrace(newErr(ErrResourceLimit, "Array over size limit `%d`.", limit), t.bt)
		}
		out = append(out, d)
	}
}

// toStream turns a sequence value into a Stream.
func (c *evalCtx) toStream(v any, t *Term) (Stream, error) {
	switch x := v.(type) {
	case *Table:
		return newTableScan(c.ctx, x), nil
	case *Selection:
		return x.stream, nil
	case Stream:
		return x, nil
	case []any:
		return &arrayStream{items: x}, nil
	}
	return nil, withBacktrace(newErr(ErrQueryLogic, "Cannot convert %s to SEQUENCE", typeName(v)), t.bt)
}

func (c *evalCtx) evalString(t *Term) (string, error) {
	v, err := c.evalDatum(t)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", withBacktrace(newErr(ErrQueryLogic, "Expected type STRING but found %s.", typeName(v)), t.bt)
	}
	return s, nil
}

// optString returns a string optarg, or def when absent.
func (c *evalCtx) optString(t *Term, name, def string) (string, error) {
	ot, ok := t.Optargs[name]
	if !ok {
		return def, nil
	}
	return c.evalString(ot)
}

// optDatum returns an optarg's datum, or def when absent.
func (c *evalCtx) optDatum(t *Term, name string, def any) (any, error) {
	ot, ok := t.Optargs[name]
	if !ok {
		return def, nil
	}
	return c.evalDatum(ot)
}

// globalString returns a string global optarg, or def.
func (c *evalCtx) globalString(name, def string) (string, error) {
	ot, ok := c.globalOpts[name]
	if !ok {
		return def, nil
	}
	return c.evalString(ot)
}

// arrayStream streams the items of an array.
type arrayStream struct {
	items []any
	i     int
}

func (s *arrayStream) Next(context.Context) (any, bool, error) {
	if s.i >= len(s.items) {
		return nil, false, nil
	}
	v := s.items[s.i]
	s.i++
	return v, true, nil
}

func (s *arrayStream) Close() error { return nil }

// tableScan streams a table's documents in primary key order.
type tableScan struct {
	it DocIterator
}

func newTableScan(ctx context.Context, t *Table) *tableScan {
	return &tableScan{it: t.store.Scan(ctx, false)}
}

func (s *tableScan) Next(context.Context) (any, bool, error) {
	if s.it.Next() {
		return s.it.Doc(), true, nil
	}
	return nil, false, s.it.Err()
}

func (s *tableScan) Close() error { return s.it.Close() }
