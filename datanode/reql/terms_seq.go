package reql

import (
	"context"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"sort"
	"unicode/utf8"
)

// Sequences: MAP, CONCAT_MAP, FILTER, SLICE, SKIP, LIMIT, NTH, IS_EMPTY,
// CONTAINS, OFFSETS_OF, UNION, ZIP, SAMPLE, DISTINCT, ORDER_BY (with ASC and
// DESC), RANGE, FOR_EACH.
//
// As in RethinkDB, an operation on an array yields an array (computed at
// once), an operation on a stream (a table, a selection, r.range(), ...)
// yields a lazy stream, and filters, limits and orderings of a table or
// selection stay selections, so that writes can follow them.

func init() {
	register(TermMap, spec{minArgs: 2, maxArgs: -1, eval: evalMap})
	register(TermConcatMap, spec{minArgs: 2, maxArgs: 2, eval: evalConcatMap})
	register(TermFilter, spec{minArgs: 2, maxArgs: 2, optargs: []string{"default"}, eval: evalFilter})
	register(TermSlice, spec{minArgs: 2, maxArgs: 3, optargs: []string{"left_bound", "right_bound"}, eval: evalSlice})
	register(TermSkip, spec{minArgs: 2, maxArgs: 2, eval: evalSkip})
	register(TermLimit, spec{minArgs: 2, maxArgs: 2, eval: evalLimit})
	register(TermNth, spec{minArgs: 2, maxArgs: 2, eval: evalNth})
	register(TermIsEmpty, spec{minArgs: 1, maxArgs: 1, eval: evalIsEmpty})
	register(TermContains, spec{minArgs: 1, maxArgs: -1, eval: evalContains})
	register(TermOffsetsOf, spec{minArgs: 2, maxArgs: 2, eval: evalOffsetsOf})
	register(TermUnion, spec{minArgs: 0, maxArgs: -1, optargs: []string{"interleave"}, eval: evalUnion})
	register(TermZip, spec{minArgs: 1, maxArgs: 1, eval: evalZip})
	register(TermSample, spec{minArgs: 2, maxArgs: 2, eval: evalSample})
	register(TermDistinct, spec{minArgs: 1, maxArgs: 1, optargs: []string{"index"}, eval: evalDistinct})
	register(TermOrderBy, spec{minArgs: 1, maxArgs: -1, optargs: []string{"index"}, eval: evalOrderBy})
	// ASC and DESC only mark an ORDER_BY (or UNION interleave) key; on their
	// own they evaluate to their argument, as in RethinkDB.
	register(TermAsc, spec{minArgs: 1, maxArgs: 1, eval: evalOrderMarker})
	register(TermDesc, spec{minArgs: 1, maxArgs: 1, eval: evalOrderMarker})
	register(TermRange, spec{minArgs: 0, maxArgs: 2, eval: evalRange})
	register(TermForEach, spec{minArgs: 2, maxArgs: 2, eval: evalForEach})
}

// ---------------------------------------------------------------------------
// Sequence values.

// seqVal is an evaluated sequence argument: an array (computed eagerly) or a
// lazy stream. table is set when the sequence is a table or a selection.
type seqVal struct {
	arr   []any
	isArr bool
	s     Stream
	table *Table
}

// stream returns the sequence as a Stream (arrays are streamed).
func (sv *seqVal) stream() Stream {
	if sv.isArr {
		return &arrayStream{items: sv.arr}
	}
	return sv.s
}

// close releases the stream of a sequence that will not be read further.
func (sv *seqVal) close() {
	if !sv.isArr && sv.s != nil {
		_ = sv.s.Close()
	}
}

// errGroupedStream is RethinkDB's error for a term that cannot operate on
// the output of GROUP.
func errGroupedStream() error {
	return newErr(ErrQueryLogic, "Cannot treat the output of `group` as a stream (did you mean to `ungroup`?)")
}

// asSeq converts an evaluated value into a sequence, with RethinkDB's
// "Cannot convert X to SEQUENCE" for anything else.
func (c *evalCtx) asSeq(v any, t *Term) (*seqVal, error) {
	switch x := v.(type) {
	case []any:
		return &seqVal{arr: x, isArr: true}, nil
	case *Table:
		return &seqVal{s: &lazyTableScan{table: x}, table: x}, nil
	case *Selection:
		return &seqVal{s: x.stream, table: x.table}, nil
	case Stream:
		return &seqVal{s: x}, nil
	case *groupedData:
		return nil, withBacktrace(errGroupedStream(), t.bt)
	case *SingleSelection:
		if x.doc == nil {
			return nil, withBacktrace(newErr(ErrQueryLogic, "Cannot convert NULL to SEQUENCE"), t.bt)
		}
		return nil, withBacktrace(newErr(ErrQueryLogic, "Cannot convert OBJECT to SEQUENCE"), t.bt)
	}
	return nil, withBacktrace(newErr(ErrQueryLogic, "Cannot convert %s to SEQUENCE", typeName(v)), t.bt)
}

// evalSeq evaluates t as a sequence.
func (c *evalCtx) evalSeq(t *Term) (*seqVal, error) {
	v, err := c.eval(t)
	if err != nil {
		return nil, err
	}
	return c.asSeq(v, t)
}

// lazyTableScan scans a table in primary key order, opening the scan only
// when the first document is wanted.
type lazyTableScan struct {
	table   *Table
	reverse bool
	it      DocIterator
	closed  bool
}

func (s *lazyTableScan) Next(ctx context.Context) (any, bool, error) {
	if s.closed {
		return nil, false, nil
	}
	if s.it == nil {
		s.it = s.table.store.Scan(ctx, s.reverse)
	}
	if s.it.Next() {
		return s.it.Doc(), true, nil
	}
	return nil, false, s.it.Err()
}

func (s *lazyTableScan) Close() error {
	s.closed = true
	if s.it != nil {
		it := s.it
		s.it = nil
		return it.Close()
	}
	return nil
}

// funcStream is a lazy stream built from closures. inf marks infinite
// streams (r.range() and what is derived from it without a bound).
type funcStream struct {
	next   func(ctx context.Context) (any, bool, error)
	close  func() error
	inf    bool
	done   bool
	closed bool
}

func (s *funcStream) Next(ctx context.Context) (any, bool, error) {
	if s.done || s.closed {
		return nil, false, nil
	}
	v, ok, err := s.next(ctx)
	if (err != nil && !errors.Is(err, ErrWouldBlock)) || (err == nil && !ok) {
		s.done = true
	}
	return v, ok, err
}

func (s *funcStream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.close != nil {
		return s.close()
	}
	return nil
}

func (s *funcStream) infinite() bool { return s.inf }

// isInfinite reports whether a stream never ends.
func isInfinite(s Stream) bool {
	i, ok := s.(interface{ infinite() bool })
	return ok && i.infinite()
}

func errInfinite() error {
	return newErr(ErrQueryLogic, "Cannot use an infinite stream with an aggregation function (`reduce`, `count`, etc.) or coerce it to an array.")
}

func (c *evalCtx) errArrayLimit() error {
	return newErr(ErrResourceLimit, "Array over size limit `%d`.", c.arrayLimit())
}

// each calls fn on every element of a sequence until fn returns stop. The
// stream is closed afterwards. Infinite streams are refused when whole is
// set (the caller needs every element).
func (c *evalCtx) each(sv *seqVal, whole bool, fn func(v any) (stop bool, err error)) error {
	if sv.isArr {
		for _, v := range sv.arr {
			stop, err := fn(v)
			if err != nil || stop {
				return err
			}
		}
		return nil
	}
	defer sv.s.Close()
	if whole && isInfinite(sv.s) {
		return errInfinite()
	}
	for {
		v, ok, err := sv.s.Next(c.ctx)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		stop, err := fn(v)
		if err != nil || stop {
			return err
		}
	}
}

// collect reads a whole sequence into a new array, bounded by the array
// limit.
func (c *evalCtx) collect(sv *seqVal) ([]any, error) {
	if sv.isArr {
		return sv.arr, nil
	}
	out := []any{}
	limit := c.arrayLimit()
	err := c.each(sv, true, func(v any) (bool, error) {
		if len(out) >= limit {
			return true, c.errArrayLimit()
		}
		out = append(out, v)
		return false, nil
	})
	return out, err
}

// seqResult wraps a derived stream: a selection when the source was a table
// or selection and keepSel is set, else the stream.
func seqResult(sv *seqVal, s Stream, keepSel bool) any {
	if keepSel && sv.table != nil {
		return &Selection{table: sv.table, stream: s}
	}
	return s
}

// ---------------------------------------------------------------------------
// Functions and their shortcuts.

// fnShortcut says what a non-function datum means where a function is
// expected: nothing (an error), a constant, or a field name.
type fnShortcut int

const (
	noShortcut fnShortcut = iota
	constShortcut
	fieldShortcut
)

// reqlFn is a function argument: a *Func, or a datum used through a
// shortcut.
type reqlFn struct {
	f        *Func
	shortcut fnShortcut
	val      any
}

func (c *evalCtx) evalFn(t *Term, sc fnShortcut) (*reqlFn, error) {
	v, err := c.eval(t)
	if err != nil {
		return nil, err
	}
	return c.asFn(v, t, sc)
}

func (c *evalCtx) asFn(v any, t *Term, sc fnShortcut) (*reqlFn, error) {
	if f, ok := v.(*Func); ok {
		return &reqlFn{f: f}, nil
	}
	if sc == noShortcut {
		return nil, typeErr("FUNCTION", v, t)
	}
	d, err := c.toDatum(v, t)
	if err != nil {
		return nil, err
	}
	return &reqlFn{shortcut: sc, val: d}, nil
}

// arity is the number of parameters of a function (-1 for shortcuts).
func (fn *reqlFn) arity() int {
	if fn.f == nil {
		return -1
	}
	return len(fn.f.params)
}

// apply calls the function. As in RethinkDB, a function with no parameters
// may be called with any arguments.
func (c *evalCtx) apply(fn *reqlFn, args ...any) (any, error) {
	switch {
	case fn.f != nil && len(fn.f.params) == 0:
		return c.call(fn.f)
	case fn.f != nil:
		return c.call(fn.f, args...)
	case fn.shortcut == constShortcut:
		return cloneDatum(fn.val), nil
	}
	return getFieldOf(args[0], fn.val)
}

// getFieldOf is r.row(key) as the field-name shortcut uses it.
func getFieldOf(v, key any) (any, error) {
	k, ok := key.(string)
	if !ok {
		if n, isNum := key.(float64); isNum {
			if arr, isArr := v.([]any); isArr {
				return nthOfArray(arr, n)
			}
		}
		return nil, newErr(ErrQueryLogic, "Expected type STRING but found %s.", typeName(key))
	}
	switch x := v.(type) {
	case map[string]any:
		if x[reqlTypeField] == nil {
			f, ok := x[k]
			if !ok {
				return nil, newErr(ErrNonExistence, "No attribute `%s` in object:\n%s", k, printDatum(x))
			}
			return f, nil
		}
	case []any:
		out := []any{}
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				if f, ok := m[k]; ok {
					out = append(out, f)
				}
				continue
			}
			return nil, newErr(ErrQueryLogic, "Cannot perform get_field on a non-object non-sequence `%s`.", printDatum(e))
		}
		return out, nil
	}
	return nil, newErr(ErrQueryLogic, "Cannot perform get_field on a non-object non-sequence `%s`.", printDatum(v))
}

func nthOfArray(arr []any, n float64) (any, error) {
	i := int64(n)
	if float64(i) != n {
		return nil, newErr(ErrQueryLogic, "Number not an integer: %s", formatNumber(n))
	}
	if i < 0 {
		if -i > int64(len(arr)) {
			return nil, newErr(ErrNonExistence, "Index out of bounds: %d", i)
		}
		i += int64(len(arr))
	}
	if i >= int64(len(arr)) {
		return nil, newErr(ErrNonExistence, "Index out of bounds: %d", i)
	}
	return arr[i], nil
}

// isNonExistence reports whether err is of RethinkDB's NON_EXISTENCE class.
func isNonExistence(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == KindRuntime && e.Type == ErrNonExistence
}

// filterPred is FILTER's predicate with its `default`.
type filterPred struct {
	fn      *reqlFn
	pattern bool  // the function's body is an object literal
	def     *Term // the `default` optarg, nil if absent
}

func (c *evalCtx) newFilterPred(t *Term, def *Term) (*filterPred, error) {
	fn, err := c.evalFn(t, constShortcut)
	if err != nil {
		return nil, err
	}
	p := &filterPred{fn: fn, def: def}
	if fn.f != nil {
		p.pattern = fn.f.body.Type == TermMakeObj || fn.f.body.Type == TermDatum
	} else {
		p.pattern = true
	}
	return p, nil
}

// test is RethinkDB's filter_call: object results are matched as patterns,
// other results by truthiness; NON_EXISTENCE errors give the default.
func (c *evalCtx) test(p *filterPred, v any) (bool, error) {
	ok, err := c.testRaw(p, v)
	if err == nil || !isNonExistence(err) {
		return ok, err
	}
	if p.def == nil {
		return false, nil
	}
	if p.def.Type == TermError && len(p.def.Args) == 0 {
		// r.error() as the default re-raises the original error.
		return false, err
	}
	d, derr := c.evalDatum(p.def)
	if derr != nil {
		var e *Error
		if errors.As(derr, &e) && e.Msg == "Empty ERROR term outside a default block." {
			return false, err
		}
		return false, derr
	}
	return truthy(d), nil
}

func (c *evalCtx) testRaw(p *filterPred, v any) (bool, error) {
	r, err := c.apply(p.fn, v)
	if err != nil {
		return false, err
	}
	if m, ok := r.(map[string]any); ok && p.pattern && m[reqlTypeField] == nil {
		return filterMatch(m, v)
	}
	if isPtype(r, "LITERAL") && p.pattern {
		return datumEq(r.(map[string]any)["value"], v), nil
	}
	return truthy(r), nil
}

// filterMatch matches an object pattern against a value: every field of
// the pattern must be present and equal (nested objects match recursively).
func filterMatch(pattern map[string]any, v any) (bool, error) {
	obj, _ := v.(map[string]any)
	for _, k := range sortedKeys(pattern) {
		pv := pattern[k]
		var elt any
		var has bool
		if obj != nil {
			elt, has = obj[k]
		}
		if !has {
			return false, newErr(ErrNonExistence, "No attribute `%s` in object.", k)
		}
		pm, pIsObj := pv.(map[string]any)
		em, eIsObj := elt.(map[string]any)
		if pIsObj && eIsObj && pm[reqlTypeField] == nil && em[reqlTypeField] == nil {
			ok, err := filterMatch(pm, em)
			if err != nil || !ok {
				return ok, err
			}
			continue
		}
		if !datumEq(elt, pv) {
			return false, nil
		}
	}
	return true, nil
}

// datumEq is ReQL equality (==): equal in ReQL's order.
func datumEq(a, b any) bool { return compareDatums(a, b) == 0 }

// ---------------------------------------------------------------------------
// MAP, CONCAT_MAP, FILTER.

func evalMap(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	if g, ok := v.(*groupedData); ok && len(t.Args) == 2 {
		return c.perGroup(g, true, func(val any) (any, error) { return c.mapOne(t, val) })
	}
	if len(t.Args) == 2 {
		return c.mapOne(t, v)
	}
	seqs := []*seqVal{}
	for i, a := range t.Args[:len(t.Args)-1] {
		var sv *seqVal
		if i == 0 {
			sv, err = c.asSeq(v, a)
		} else {
			sv, err = c.evalSeq(a)
		}
		if err != nil {
			for _, s := range seqs {
				s.close()
			}
			return nil, err
		}
		seqs = append(seqs, sv)
	}
	closeAll := func() {
		for _, s := range seqs {
			s.close()
		}
	}
	fn, err := c.evalFn(t.Args[len(t.Args)-1], noShortcut)
	if err != nil {
		closeAll()
		return nil, err
	}
	if err := checkMapArity(fn, len(seqs)); err != nil {
		closeAll()
		return nil, err
	}
	allArr := true
	for _, s := range seqs {
		allArr = allArr && s.isArr
	}
	if allArr {
		n := len(seqs[0].arr)
		for _, s := range seqs[1:] {
			n = min(n, len(s.arr))
		}
		out := make([]any, 0, n)
		for i := 0; i < n; i++ {
			args := make([]any, len(seqs))
			for j, s := range seqs {
				args[j] = s.arr[i]
			}
			r, err := c.apply(fn, args...)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}
	streams := make([]Stream, len(seqs))
	inf := true
	for i, s := range seqs {
		streams[i] = s.stream()
		inf = inf && (!s.isArr && isInfinite(s.s))
	}
	bt := t.bt
	return &funcStream{
		inf: inf,
		next: func(ctx context.Context) (any, bool, error) {
			args := make([]any, len(streams))
			for i, s := range streams {
				v, ok, err := s.Next(ctx)
				if err != nil || !ok {
					return nil, false, err
				}
				args[i] = v
			}
			r, err := c.apply(fn, args...)
			if err != nil {
				return nil, false, withBacktrace(err, bt)
			}
			return r, true, nil
		},
		close: func() error {
			var first error
			for _, s := range streams {
				if err := s.Close(); err != nil && first == nil {
					first = err
				}
			}
			return first
		},
	}, nil
}

func checkMapArity(fn *reqlFn, nseq int) error {
	a := fn.arity()
	if a > 0 && a != nseq {
		was := "s were"
		if nseq == 1 {
			was = " was"
		}
		return newErr(ErrQueryLogic, "The function passed to `map` expects %d argument%s, but %d sequence%s found.", a, plural(a), nseq, was)
	}
	return nil
}

// mapOne is the one-sequence MAP of v.
func (c *evalCtx) mapOne(t *Term, v any) (any, error) {
	sv, err := c.asSeq(v, t.Args[0])
	if err != nil {
		return nil, err
	}
	fn, err := c.evalFn(t.Args[1], noShortcut)
	if err != nil {
		sv.close()
		return nil, err
	}
	if err := checkMapArity(fn, 1); err != nil {
		sv.close()
		return nil, err
	}
	res, err := c.transform(sv, t, false, func(v any, emit func(any) error) error {
		r, err := c.apply(fn, v)
		if err != nil {
			return err
		}
		return emit(r)
	})
	if err != nil {
		return nil, err
	}
	// map over a table can be followed by changes().
	return deriveTerm(v, res, t.Args[1], func(x any) (any, bool, error) {
		r, err := c.apply(fn, x)
		return r, err == nil, err
	}), nil
}

// arrayEmitter collects emitted elements into an array bounded by the
// array limit; out returns what was collected.
func (c *evalCtx) arrayEmitter() (emit func(any) error, out func() []any) {
	res := []any{}
	limit := c.arrayLimit()
	emit = func(x any) error {
		if len(res) >= limit {
			return c.errArrayLimit()
		}
		res = append(res, x)
		return nil
	}
	return emit, func() []any { return res }
}

// transform applies step to every element: eagerly on arrays (the result is
// an array within the array limit), lazily on streams. step calls emit for
// each output element.
func (c *evalCtx) transform(sv *seqVal, t *Term, keepSel bool, step func(v any, emit func(any) error) error) (any, error) {
	if sv.isArr {
		emit, out := c.arrayEmitter()
		for _, v := range sv.arr {
			if err := step(v, emit); err != nil {
				return nil, err
			}
		}
		return out(), nil
	}
	src := sv.s
	var pending []any
	bt := t.bt
	s := &funcStream{
		inf: isInfinite(src),
		next: func(ctx context.Context) (any, bool, error) {
			for len(pending) == 0 {
				v, ok, err := src.Next(ctx)
				if err != nil || !ok {
					return nil, false, err
				}
				if err := step(v, func(r any) error { pending = append(pending, r); return nil }); err != nil {
					return nil, false, withBacktrace(err, bt)
				}
			}
			r := pending[0]
			pending = pending[1:]
			return r, true, nil
		},
		close: src.Close,
	}
	return seqResult(sv, s, keepSel), nil
}

func evalConcatMap(c *evalCtx, t *Term) (any, error) {
	return c.groupwise(t, groupsStream, func(v any) (any, error) { return c.concatMapOne(t, v) })
}

func (c *evalCtx) concatMapOne(t *Term, v any) (any, error) {
	sv, err := c.asSeq(v, t.Args[0])
	if err != nil {
		return nil, err
	}
	fn, err := c.evalFn(t.Args[1], noShortcut)
	if err != nil {
		sv.close()
		return nil, err
	}
	return c.transform(sv, t, false, func(v any, emit func(any) error) error {
		r, err := c.apply(fn, v)
		if err != nil {
			return err
		}
		arr, ok := r.([]any)
		if !ok {
			return newErr(ErrQueryLogic, "Cannot convert %s to SEQUENCE", typeName(r))
		}
		for _, e := range arr {
			if err := emit(e); err != nil {
				return err
			}
		}
		return nil
	})
}

func evalFilter(c *evalCtx, t *Term) (any, error) {
	return c.groupwise(t, groupsStream, func(v any) (any, error) { return c.filterOne(t, v) })
}

func (c *evalCtx) filterOne(t *Term, v any) (any, error) {
	sv, err := c.asSeq(v, t.Args[0])
	if err != nil {
		return nil, err
	}
	p, err := c.newFilterPred(t.Args[1], t.Optargs["default"])
	if err != nil {
		sv.close()
		return nil, err
	}
	res, err := c.transform(sv, t, true, func(v any, emit func(any) error) error {
		ok, err := c.test(p, v)
		if err != nil || !ok {
			return err
		}
		return emit(v)
	})
	if _, derived := v.(*feedable); derived && err == nil {
		return deriveTerm(v, res, t.Args[1], func(x any) (any, bool, error) {
			ok, err := c.test(p, x)
			return x, ok, err
		}), nil
	}
	// A filter on a table (or on a feedable selection) can be followed by
	// a changefeed: documents belong to it when they pass the predicate.
	if sel, ok := res.(*Selection); ok && err == nil {
		var inner func(map[string]any) (bool, error)
		switch src := v.(type) {
		case *Table:
			sel.feedOK = true
		case *Selection:
			sel.feedOK, inner = src.feedOK, src.feedMatch
		}
		sel.feedMatch = func(doc map[string]any) (bool, error) {
			if inner != nil {
				if in, err := inner(doc); err != nil || !in {
					return false, err
				}
			}
			return c.test(p, doc)
		}
	}
	return res, err
}

// ---------------------------------------------------------------------------
// SLICE, SKIP, LIMIT, NTH.

// canonicalize turns a possibly negative index into an offset from the
// start of a sequence of the given size; oob reports a negative index
// beyond the start.
func canonicalize(index, size int64) (real int64, oob bool) {
	if index >= 0 {
		return index, false
	}
	if -index > size {
		return 0, true
	}
	return size + index, false
}

// boundOpen reads a `left_bound`/`right_bound` optarg.
func (c *evalCtx) boundOpen(t *Term, key string, def bool) (bool, error) {
	ot, ok := t.Optargs[key]
	if !ok {
		return def, nil
	}
	v, err := c.evalDatum(ot)
	if err != nil {
		return false, err
	}
	s, ok := v.(string)
	if !ok {
		return false, typeErr("STRING", v, ot)
	}
	switch s {
	case "open":
		return true, nil
	case "closed":
		return false, nil
	}
	return false, withBacktrace(newErr(ErrQueryLogic, "Expected `open` or `closed` for optarg `%s` (got `%s`).", key, printDatum(v)), ot.bt)
}

func evalSlice(c *evalCtx, t *Term) (any, error) {
	return c.groupwise(t, groupsKeep, func(v any) (any, error) { return c.sliceOne(t, v, false) })
}

// evalSkip is r.slice(seq, n, -1, right_bound: closed), as RethinkDB
// rewrites it.
func evalSkip(c *evalCtx, t *Term) (any, error) {
	return c.groupwise(t, groupsKeep, func(v any) (any, error) { return c.sliceOne(t, v, true) })
}

func (c *evalCtx) sliceOne(t *Term, v any, skip bool) (any, error) {
	leftOpen, rightOpen := false, false
	var err error
	fakeR := int64(-1)
	if !skip {
		if leftOpen, err = c.boundOpen(t, "left_bound", false); err != nil {
			return nil, err
		}
	}
	fakeL, err := c.evalInt(t.Args[1])
	if err != nil {
		return nil, err
	}
	if !skip && len(t.Args) == 3 {
		if rightOpen, err = c.boundOpen(t, "right_bound", true); err != nil {
			return nil, err
		}
		if fakeR, err = c.evalInt(t.Args[2]); err != nil {
			return nil, err
		}
	}
	canon := func(size int64) (int64, int64) {
		l, loob := canonicalize(fakeL, size)
		if leftOpen && !loob {
			l++
		}
		r, roob := canonicalize(fakeR, size)
		if !rightOpen && !roob {
			r++
		}
		return l, min(r, size)
	}
	switch x := v.(type) {
	case []any:
		l, r := canon(int64(len(x)))
		if l >= r {
			return []any{}, nil
		}
		out := make([]any, r-l)
		copy(out, x[l:r])
		return out, nil
	case string:
		runes := []rune(x)
		l, r := canon(int64(len(runes)))
		if l >= r {
			return "", nil
		}
		return string(runes[l:r]), nil
	case map[string]any:
		if isPtype(x, "BINARY") {
			b := binaryBytes(x)
			l, r := canon(int64(len(b)))
			if l >= r {
				return binaryDatum(nil), nil
			}
			return binaryDatum(b[l:r]), nil
		}
	}
	if isDatum(v) {
		return nil, withBacktrace(newErr(ErrQueryLogic, "Expected ARRAY, BINARY, or STRING, but found %s.", typeName(v)), t.Args[0].bt)
	}
	if d, ok := v.(*SingleSelection); ok {
		return c.sliceOne(t, nilIfEmpty(d.doc), skip)
	}
	sv, err := c.asSeq(v, t.Args[0])
	if err != nil {
		return nil, err
	}
	if fakeL < 0 {
		sv.close()
		return nil, newErr(ErrQueryLogic, "Cannot use a negative left index on a stream.")
	}
	from := fakeL
	if leftOpen {
		from++
	}
	to := int64(-1) // unbounded
	switch {
	case fakeR < -1:
		sv.close()
		return nil, newErr(ErrQueryLogic, "Cannot use a right index < -1 on a stream.")
	case fakeR == -1:
		if rightOpen {
			sv.close()
			return nil, newErr(ErrQueryLogic, "Cannot slice to an open right index of -1 on a stream.")
		}
	case rightOpen:
		to = fakeR
	default:
		to = fakeR + 1
	}
	return seqResult(sv, sliceStream(sv.s, from, to), true), nil
}

// sliceStream yields the elements of src with index in [from, to) (to < 0:
// unbounded), lazily.
func sliceStream(src Stream, from, to int64) Stream {
	i := int64(0)
	return &funcStream{
		inf: to < 0 && isInfinite(src),
		next: func(ctx context.Context) (any, bool, error) {
			for {
				if to >= 0 && i >= to {
					return nil, false, nil
				}
				v, ok, err := src.Next(ctx)
				if err != nil || !ok {
					return nil, false, err
				}
				i++
				if i > from {
					return v, true, nil
				}
			}
		},
		close: src.Close,
	}
}

func evalLimit(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	if g, ok := v.(*groupedData); ok {
		return c.perGroup(g, g.stream, func(val any) (any, error) { return c.limitOne(t, val) })
	}
	res, err := c.limitOne(t, v)
	// order_by({index}).limit(n) can be followed by a changefeed.
	if src, ok := v.(*Selection); ok && err == nil && src.feedOrder != nil {
		if sel, ok := res.(*Selection); ok {
			n, _ := c.evalInt(t.Args[1])
			sel.feedOrder, sel.feedLimit = src.feedOrder, int(n)
		}
	}
	return res, err
}

func (c *evalCtx) limitOne(t *Term, v any) (any, error) {
	sv, err := c.asSeq(v, t.Args[0])
	if err != nil {
		return nil, err
	}
	n, err := c.evalInt(t.Args[1])
	if err != nil {
		sv.close()
		return nil, err
	}
	if n < 0 {
		sv.close()
		return nil, newErr(ErrQueryLogic, "LIMIT takes a non-negative argument (got %d)", n)
	}
	if sv.isArr {
		n = min(n, int64(len(sv.arr)))
		out := make([]any, n)
		copy(out, sv.arr[:n])
		return out, nil
	}
	return seqResult(sv, sliceStream(sv.s, 0, n), true), nil
}

func evalNth(c *evalCtx, t *Term) (any, error) {
	return c.groupwise(t, groupsReduce, func(v any) (any, error) { return c.nthOne(t, v) })
}

func (c *evalCtx) nthOne(t *Term, v any) (any, error) {
	n, err := c.evalInt(t.Args[1])
	if err != nil {
		return nil, err
	}
	if s, ok := v.(*SingleSelection); ok {
		v = nilIfEmpty(s.doc)
	}
	if isDatum(v) {
		arr, ok := v.([]any)
		if !ok {
			return nil, typeErr("ARRAY", v, t.Args[0])
		}
		return nthOfArray(arr, float64(n))
	}
	sv, err := c.asSeq(v, t.Args[0])
	if err != nil {
		return nil, err
	}
	if n < -1 {
		sv.close()
		return nil, newErr(ErrQueryLogic, "Cannot use an index < -1 (%d) on a stream.", n)
	}
	var found any
	got := false
	i := int64(0)
	err = c.each(sv, n == -1, func(e any) (bool, error) {
		if n == -1 {
			found, got = e, true
			return false, nil
		}
		if i == n {
			found, got = e, true
			return true, nil
		}
		i++
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if !got {
		return nil, newErr(ErrNonExistence, "Index out of bounds: %d", n)
	}
	if sv.table != nil {
		doc, _ := found.(map[string]any)
		return &SingleSelection{table: sv.table, key: doc[sv.table.store.Config().PrimaryKey], doc: doc}, nil
	}
	return found, nil
}

// ---------------------------------------------------------------------------
// IS_EMPTY, CONTAINS, OFFSETS_OF.

func evalIsEmpty(c *evalCtx, t *Term) (any, error) {
	sv, err := c.evalSeq(t.Args[0])
	if err != nil {
		return nil, err
	}
	empty := true
	err = c.each(sv, false, func(any) (bool, error) { empty = false; return true, nil })
	return empty, err
}

func evalContains(c *evalCtx, t *Term) (any, error) {
	sv, err := c.evalSeq(t.Args[0])
	if err != nil {
		return nil, err
	}
	var vals []any
	var fns []*reqlFn
	for _, a := range t.Args[1:] {
		v, err := c.eval(a)
		if err != nil {
			sv.close()
			return nil, err
		}
		if f, ok := v.(*Func); ok {
			fns = append(fns, &reqlFn{f: f})
			continue
		}
		d, err := c.toDatum(v, a)
		if err != nil {
			sv.close()
			return nil, err
		}
		vals = append(vals, d)
	}
	found := false
	err = c.each(sv, false, func(e any) (bool, error) {
		for i, want := range vals {
			if datumEq(want, e) {
				vals = append(vals[:i:i], vals[i+1:]...)
				break
			}
		}
		for i, fn := range fns {
			r, err := c.apply(fn, e)
			if err != nil {
				return true, err
			}
			if truthy(r) {
				fns = append(fns[:i:i], fns[i+1:]...)
				break
			}
		}
		if len(vals) == 0 && len(fns) == 0 {
			found = true
			return true, nil
		}
		return false, nil
	})
	return found, err
}

func evalOffsetsOf(c *evalCtx, t *Term) (any, error) {
	sv, err := c.evalSeq(t.Args[0])
	if err != nil {
		return nil, err
	}
	v, err := c.eval(t.Args[1])
	if err != nil {
		sv.close()
		return nil, err
	}
	var match func(e any) (bool, error)
	if f, ok := v.(*Func); ok {
		fn := &reqlFn{f: f}
		match = func(e any) (bool, error) {
			r, err := c.apply(fn, e)
			return err == nil && truthy(r), err
		}
	} else {
		d, err := c.toDatum(v, t.Args[1])
		if err != nil {
			sv.close()
			return nil, err
		}
		match = func(e any) (bool, error) { return datumEq(e, d), nil }
	}
	i := -1
	return c.transform(sv, t, false, func(e any, emit func(any) error) error {
		i++
		ok, err := match(e)
		if err != nil || !ok {
			return err
		}
		return emit(float64(i))
	})
}

// ---------------------------------------------------------------------------
// UNION, ZIP, SAMPLE, DISTINCT.

func evalUnion(c *evalCtx, t *Term) (any, error) {
	var seqs []*seqVal
	closeAll := func() {
		for _, s := range seqs {
			s.close()
		}
	}
	for _, a := range t.Args {
		sv, err := c.evalSeq(a)
		if err != nil {
			closeAll()
			return nil, err
		}
		seqs = append(seqs, sv)
	}
	var keys []orderKey
	if it, ok := t.Optargs["interleave"]; ok {
		var err error
		keys, err = c.interleaveKeys(it)
		if err != nil {
			closeAll()
			return nil, err
		}
	}
	allArr := true
	for _, s := range seqs {
		allArr = allArr && s.isArr
	}
	if allArr && len(keys) == 0 {
		n := 0
		for _, s := range seqs {
			n += len(s.arr)
		}
		if n > c.arrayLimit() {
			return nil, c.errArrayLimit()
		}
		out := make([]any, 0, n)
		for _, s := range seqs {
			out = append(out, s.arr...)
		}
		return out, nil
	}
	streams := make([]Stream, len(seqs))
	inf := false
	for i, s := range seqs {
		streams[i] = s.stream()
		inf = inf || (!s.isArr && isInfinite(s.s))
	}
	closer := func() error {
		var first error
		for _, s := range streams {
			if err := s.Close(); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	var s Stream
	if len(keys) == 0 && c.feedNotes != nil {
		// A union with changefeeds among its inputs is itself a feed. The
		// SEQUENCE_FEED note comes first: the official JS driver (2.4.2)
		// builds its cursor from the first feed note it knows, and its
		// UnionedFeed class is not exported, so UNIONED_FEED alone would
		// break it.
		notes := []int{noteSequenceFeed, noteUnionedFeed}
		for _, n := range c.feedNotes {
			if n == noteIncludesStates {
				notes = append(notes, n)
			}
		}
		c.feedNotes = notes
		return &unionFeed{members: streams}, nil
	}
	if len(keys) == 0 {
		cur := 0
		s = &funcStream{inf: inf, close: closer, next: func(ctx context.Context) (any, bool, error) {
			for cur < len(streams) {
				v, ok, err := streams[cur].Next(ctx)
				if err != nil {
					return nil, false, err
				}
				if ok {
					return v, true, nil
				}
				cur++
			}
			return nil, false, nil
		}}
	} else {
		s = c.mergeStreams(streams, keys, inf, closer, t.bt)
	}
	if allArr {
		return c.collect(&seqVal{s: s})
	}
	return s, nil
}

// interleaveKeys reads UNION's `interleave`: true/false (no ordering, the
// sequences are concatenated) or a field name, function, r.asc/r.desc, or
// an array of them, by which sorted inputs are merged.
func (c *evalCtx) interleaveKeys(it *Term) ([]orderKey, error) {
	if it.Type == TermMakeArray {
		return c.orderKeys(it.Args)
	}
	if it.Type == TermAsc || it.Type == TermDesc {
		return c.orderKeys([]*Term{it})
	}
	v, err := c.eval(it)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case bool:
		return nil, nil
	case string, *Func:
		fn, err := c.asFn(x, it, fieldShortcut)
		if err != nil {
			return nil, err
		}
		return []orderKey{{fn: fn}}, nil
	case []any:
		var keys []orderKey
		for _, e := range x {
			if _, ok := e.(string); !ok {
				return nil, withBacktrace(newErr(ErrQueryLogic, "Expected type STRING but found %s.", typeName(e)), it.bt)
			}
			keys = append(keys, orderKey{fn: &reqlFn{shortcut: fieldShortcut, val: e}})
		}
		return keys, nil
	}
	return nil, withBacktrace(newErr(ErrQueryLogic, "Expected type BOOL, STRING, FUNCTION or ARRAY but found %s.", typeName(v)), it.bt)
}

// mergeStreams merges streams already ordered by keys, taking the least
// head each time (the earliest stream on ties).
func (c *evalCtx) mergeStreams(streams []Stream, keys []orderKey, inf bool, closer func() error, bt []any) Stream {
	type head struct {
		v    any
		keys []sortKey
		ok   bool
	}
	heads := make([]*head, len(streams))
	return &funcStream{inf: inf, close: closer, next: func(ctx context.Context) (any, bool, error) {
		best := -1
		for i, s := range streams {
			if heads[i] == nil {
				v, ok, err := s.Next(ctx)
				if err != nil {
					return nil, false, err
				}
				h := &head{v: v, ok: ok}
				if ok {
					if h.keys, err = c.sortKeys(keys, v); err != nil {
						return nil, false, withBacktrace(err, bt)
					}
				}
				heads[i] = h
			}
			if !heads[i].ok {
				continue
			}
			if best < 0 || lessKeys(keys, heads[i].keys, heads[best].keys) {
				best = i
			}
		}
		if best < 0 {
			return nil, false, nil
		}
		v := heads[best].v
		heads[best] = nil
		return v, true, nil
	}}
}

func evalZip(c *evalCtx, t *Term) (any, error) {
	sv, err := c.evalSeq(t.Args[0])
	if err != nil {
		return nil, err
	}
	return c.transform(sv, t, false, func(v any, emit func(any) error) error {
		m, _ := v.(map[string]any)
		left, ok := m["left"]
		if !ok {
			return newErr(ErrQueryLogic, "ZIP can only be called on the result of a join.")
		}
		right, ok := m["right"]
		if !ok {
			return emit(left)
		}
		lm, lok := left.(map[string]any)
		rm, rok := right.(map[string]any)
		if !lok || !rok {
			bad := left
			if lok {
				bad = right
			}
			return newErr(ErrQueryLogic, "Expected type OBJECT but found %s.", typeName(bad))
		}
		out := make(map[string]any, len(lm)+len(rm))
		for k, x := range lm {
			out[k] = x
		}
		for k, x := range rm {
			out[k] = x
		}
		return emit(out)
	})
}

func evalSample(c *evalCtx, t *Term) (any, error) {
	sv, err := c.evalSeq(t.Args[0])
	if err != nil {
		return nil, err
	}
	n, err := c.evalInt(t.Args[1])
	if err != nil {
		sv.close()
		return nil, err
	}
	if n < 0 {
		sv.close()
		return nil, newErr(ErrQueryLogic, "Number of items to sample must be non-negative, got `%d`.", n)
	}
	// Reservoir sampling.
	var out []any
	seen := int64(0)
	err = c.each(sv, true, func(v any) (bool, error) {
		seen++
		if int64(len(out)) < n {
			out = append(out, v)
		} else if j := rand.Int64N(seen); j < n {
			out[j] = v
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []any{}
	}
	if int64(len(out)) > int64(c.arrayLimit()) {
		return nil, c.errArrayLimit()
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	if sv.table != nil {
		return &Selection{table: sv.table, stream: &arrayStream{items: out}, isArray: true}, nil
	}
	return out, nil
}

func evalDistinct(c *evalCtx, t *Term) (any, error) {
	return c.groupwise(t, groupsKeep, func(v any) (any, error) { return c.distinctOne(t, v) })
}

func (c *evalCtx) distinctOne(t *Term, v any) (any, error) {
	idx, hasIdx := t.Optargs["index"]
	if tbl, ok := v.(*Table); ok {
		pk := tbl.store.Config().PrimaryKey
		if !hasIdx {
			// Every document of a table is distinct: the table in key order.
			return &lazyTableScan{table: tbl}, nil
		}
		name, err := c.evalString(idx)
		if err != nil {
			return nil, err
		}
		if name != pk {
			return c.indexDistinct(tbl, name)
		}
		return mapStream(&lazyTableScan{table: tbl}, func(d any) (any, error) {
			return d.(map[string]any)[pk], nil
		}), nil
	}
	if hasIdx {
		return nil, newErr(ErrQueryLogic, "Can only perform an indexed distinct on a TABLE.")
	}
	sv, err := c.asSeq(v, t.Args[0])
	if err != nil {
		return nil, err
	}
	var out []any
	limit := c.arrayLimit()
	err = c.each(sv, true, func(e any) (bool, error) {
		i := sort.Search(len(out), func(i int) bool { return compareDatums(out[i], e) >= 0 })
		if i < len(out) && compareDatums(out[i], e) == 0 {
			return false, nil
		}
		if len(out) >= limit {
			return true, c.errArrayLimit()
		}
		out = append(out, nil)
		copy(out[i+1:], out[i:])
		out[i] = e
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []any{}
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// ORDER_BY.

// orderKey is one ORDER_BY key: a field name or function and a direction.
type orderKey struct {
	desc bool
	fn   *reqlFn
}

// sortKey is an element's value for one key; missing is set when the key
// raised a NON_EXISTENCE error (such elements sort first, as in RethinkDB).
type sortKey struct {
	v       any
	missing bool
}

func evalOrderMarker(c *evalCtx, t *Term) (any, error) {
	return c.eval(t.Args[0])
}

// orderKeys reads ORDER_BY keys from their terms: r.asc/r.desc are told
// apart by the term itself, as RethinkDB does.
func (c *evalCtx) orderKeys(terms []*Term) ([]orderKey, error) {
	keys := make([]orderKey, 0, len(terms))
	for _, kt := range terms {
		k := orderKey{}
		inner := kt
		switch kt.Type {
		case TermDesc:
			k.desc = true
			inner = kt.Args[0]
		case TermAsc:
			inner = kt.Args[0]
		}
		fn, err := c.evalFn(inner, fieldShortcut)
		if err != nil {
			return nil, err
		}
		k.fn = fn
		keys = append(keys, k)
	}
	return keys, nil
}

func (c *evalCtx) sortKeys(keys []orderKey, v any) ([]sortKey, error) {
	out := make([]sortKey, len(keys))
	for i, k := range keys {
		r, err := c.apply(k.fn, v)
		if err != nil {
			if !isNonExistence(err) {
				return nil, err
			}
			out[i].missing = true
			continue
		}
		out[i].v = r
	}
	return out, nil
}

// lessKeys is RethinkDB's lt_cmp_t.
func lessKeys(keys []orderKey, a, b []sortKey) bool {
	for i, k := range keys {
		x, y := a[i], b[i]
		switch {
		case x.missing && y.missing:
			continue
		case x.missing:
			return !k.desc
		case y.missing:
			return k.desc
		}
		cmp := compareDatums(x.v, y.v)
		if cmp == 0 {
			continue
		}
		return (cmp < 0) != k.desc
	}
	return false
}

func evalOrderBy(c *evalCtx, t *Term) (any, error) {
	return c.groupwise(t, groupsKeep, func(v any) (any, error) { return c.orderByOne(t, v) })
}

func (c *evalCtx) orderByOne(t *Term, v any) (any, error) {
	keys, err := c.orderKeys(t.Args[1:])
	if err != nil {
		return nil, err
	}
	if it, ok := t.Optargs["index"]; ok {
		tbl, isTbl := v.(*Table)
		sel, isSel := v.(*Selection)
		if !isTbl && !(isSel && sel.slice != nil) {
			return nil, newErr(ErrQueryLogic, "Indexed order_by can only be performed on a TABLE or TABLE_SLICE. Make sure order_by comes before any transformations (such as map) or filters.")
		}
		desc := it.Type == TermDesc
		name, err := c.evalString(it)
		if err != nil {
			return nil, err
		}
		var scan Stream
		switch {
		case isSel:
			// A TABLE_SLICE: read its range through the same index.
			if name != sel.slice.index {
				return nil, newErr(ErrQueryLogic, "Cannot order by index `%s` after calling BETWEEN on index `%s`.", name, sel.slice.index)
			}
			sel.stream.Close()
			tbl = sel.table
			scan = &indexRangeStream{table: tbl, index: name, r: sel.slice.r, reverse: desc}
		default:
			scan = &lazyTableScan{table: tbl, reverse: desc}
		}
		if !isSel && name != tbl.store.Config().PrimaryKey {
			if err := geoIndexRefused(tbl, name); err != nil {
				return nil, err
			}
			scan = &indexRangeStream{table: tbl, index: name, reverse: desc}
		}
		if len(keys) == 0 {
			return &Selection{table: tbl, stream: scan, feedOrder: &feedOrder{index: name, desc: desc}}, nil
		}
		// Sorted by the index first, then (stably) by the keys.
		v = &Selection{table: tbl, stream: scan}
	}
	sv, err := c.asSeq(v, t.Args[0])
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		sv.close()
		return nil, newErr(ErrQueryLogic, "Must specify something to order by.")
	}
	type item struct {
		v    any
		keys []sortKey
	}
	var items []item
	limit := c.arrayLimit()
	err = c.each(sv, true, func(e any) (bool, error) {
		if len(items) >= limit {
			return true, c.errArrayLimit()
		}
		ks, err := c.sortKeys(keys, e)
		if err != nil {
			return true, err
		}
		items = append(items, item{v: e, keys: ks})
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(items, func(i, j int) bool { return lessKeys(keys, items[i].keys, items[j].keys) })
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = it.v
	}
	if sv.table != nil {
		return &Selection{table: sv.table, stream: &arrayStream{items: out}, isArray: true}, nil
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// RANGE.

func evalRange(c *evalCtx, t *Term) (any, error) {
	var start, stop int64
	var err error
	switch len(t.Args) {
	case 0:
		i := int64(0)
		return &funcStream{inf: true, next: func(context.Context) (any, bool, error) {
			v := float64(i)
			i++
			return v, true, nil
		}}, nil
	case 1:
		if stop, err = c.evalInt(t.Args[0]); err != nil {
			return nil, err
		}
	default:
		if start, err = c.evalInt(t.Args[0]); err != nil {
			return nil, err
		}
		if stop, err = c.evalInt(t.Args[1]); err != nil {
			return nil, err
		}
	}
	i := start
	return &funcStream{next: func(context.Context) (any, bool, error) {
		if i >= stop {
			return nil, false, nil
		}
		v := float64(i)
		i++
		return v, true, nil
	}}, nil
}

// ---------------------------------------------------------------------------
// FOR_EACH.

func evalForEach(c *evalCtx, t *Term) (any, error) {
	sv, err := c.evalSeq(t.Args[0])
	if err != nil {
		return nil, err
	}
	fn, err := c.evalFn(t.Args[1], constShortcut)
	if err != nil {
		sv.close()
		return nil, err
	}
	stats := map[string]any{}
	var warnings []string
	fail := func() error {
		return withBacktrace(newErr(ErrQueryLogic, "FOR_EACH expects one or more basic write queries."), t.Args[1].bt)
	}
	err = c.each(sv, true, func(row any) (bool, error) {
		r, err := c.apply(fn, row)
		if err != nil {
			return true, err
		}
		var results []any
		switch x := r.(type) {
		case map[string]any:
			results = []any{x}
		case []any:
			results = x
		default:
			return true, fail()
		}
		for _, res := range results {
			m, ok := res.(map[string]any)
			if !ok {
				return true, fail()
			}
			if stats, err = c.mergeStats(stats, m, &warnings); err != nil {
				return true, err
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if len(warnings) > 0 {
		w := []any{}
		for _, s := range warnings {
			w = append(w, s)
		}
		stats["warnings"] = w
	}
	return stats, nil
}

// mergeStats merges one write result into FOR_EACH's totals as RethinkDB's
// stats_merge does: numbers add, arrays concatenate (truncated at the array
// limit with a warning), strings keep the first value.
func (c *evalCtx) mergeStats(stats, r map[string]any, warnings *[]string) (map[string]any, error) {
	out := make(map[string]any, len(stats)+len(r))
	for k, v := range stats {
		out[k] = v
	}
	for k, rv := range r {
		lv, ok := out[k]
		if !ok {
			out[k] = rv
			continue
		}
		switch l := lv.(type) {
		case float64:
			if n, ok := rv.(float64); ok {
				out[k] = l + n
				continue
			}
		case []any:
			if ra, ok := rv.([]any); ok {
				limit := c.arrayLimit()
				merged := make([]any, 0, min(len(l)+len(ra), limit))
				merged = append(merged, l...)
				for _, e := range ra {
					if len(merged) >= limit {
						msg := "Too many changes, array truncated to " + formatNumber(float64(limit)) + "."
						if !contains(*warnings, msg) {
							*warnings = append(*warnings, msg)
						}
						break
					}
					merged = append(merged, e)
				}
				out[k] = merged
				continue
			}
		case string:
			if _, ok := rv.(string); ok {
				continue
			}
		}
		return nil, newErr(ErrQueryLogic, "Cannot merge statistics `%s` (type %s) and `%s` (type %s).", printDatum(lv), typeName(lv), printDatum(rv), typeName(rv))
	}
	return out, nil
}

// binaryDatum builds a BINARY pseudo-type.
func binaryDatum(b []byte) map[string]any {
	return map[string]any{reqlTypeField: "BINARY", "data": base64.StdEncoding.EncodeToString(b)}
}

// runeCount is a string's length in code points.
func runeCount(s string) int { return utf8.RuneCountInString(s) }
