package reql

import "context"

// Joins: EQ_JOIN, INNER_JOIN, OUTER_JOIN (ZIP is in terms_seq.go).
//
// RethinkDB defines INNER_JOIN and OUTER_JOIN as rewrites into nested
// CONCAT_MAPs (src/rdb_protocol/terms/rewrites.cc):
//
//	inner: left.concatMap(n => right.concatMap(m => r.branch(f(n, m), [{left: n, right: m}], [])))
//	outer: left.concatMap(n => right.concatMap(...same...).coerceTo("array").do(lst =>
//	           r.branch(lst.count() > 0, lst, [{left: n}])))
//
// so the right sequence is evaluated again for every left row, the predicate
// is called through FUNCALL (a non-function is a constant) and tested with
// BRANCH's truthiness, and OUTER_JOIN materialises the matches of one left
// row as an array (bounded by the array limit). Both stream lazily over the
// left sequence; on an array they return an array.
//
// EQ_JOIN looks each left row's join value up in the right table, through
// its primary key or a secondary index (`index`), one lookup per left row.
// Rows that are null, whose join value is null or missing (a NON_EXISTENCE
// error of the field or function), or that have no match are skipped, as
// RethinkDB does. Results come in the order of the left sequence, which is
// what `ordered: true` asks for, so `ordered` is checked but needs no work.
// On a multi index a right document matches once per left row even if
// several of its index values are equal to the join value.

func init() {
	register(TermEqJoin, spec{minArgs: 3, maxArgs: 3, optargs: []string{"index", "ordered"}, eval: evalEqJoin})
	register(TermInnerJoin, spec{minArgs: 3, maxArgs: 3, eval: evalInnerJoin})
	register(TermOuterJoin, spec{minArgs: 3, maxArgs: 3, eval: evalOuterJoin})
}

// joinPair is a join result {left, right}; right is omitted when absent
// (OUTER_JOIN without a match).
func joinPair(left, right any, hasRight bool) map[string]any {
	if !hasRight {
		return map[string]any{"left": left}
	}
	return map[string]any{"left": left, "right": right}
}

// joinResult turns a join stream into the term's value: an array when the
// left sequence was an array (bounded by the array limit), else the stream.
func (c *evalCtx) joinResult(sv *seqVal, s Stream, t *Term) (any, error) {
	if !sv.isArr {
		return s, nil
	}
	defer s.Close()
	out := []any{}
	limit := c.arrayLimit()
	for {
		v, ok, err := s.Next(c.ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		if len(out) >= limit {
			return nil, withBacktrace(c.errArrayLimit(), t.bt)
		}
		out = append(out, v)
	}
}

// ---------------------------------------------------------------------------
// EQ_JOIN

func evalEqJoin(c *evalCtx, t *Term) (any, error) {
	sv, err := c.evalSeq(t.Args[0])
	if err != nil {
		return nil, err
	}
	fn, err := c.evalFn(t.Args[1], fieldShortcut)
	if err != nil {
		sv.close()
		return nil, err
	}
	tbl, err := c.evalTableArg(t.Args[2])
	if err != nil {
		sv.close()
		return nil, err
	}
	pkey := tbl.store.Config().PrimaryKey
	index, err := c.optString(t, "index", pkey)
	if err != nil {
		sv.close()
		return nil, err
	}
	if ot, ok := t.Optargs["ordered"]; ok {
		if _, err := c.evalBool(ot); err != nil {
			sv.close()
			return nil, err
		}
	}
	s := &eqJoinStream{
		c:       c,
		src:     sv.stream(),
		fn:      fn,
		table:   tbl,
		index:   index,
		primary: index == pkey,
		bt:      t.bt,
	}
	return c.joinResult(sv, s, t)
}

// eqJoinStream emits {left, right} for every left row and every right
// document matching the row's join value, looking the value up lazily.
type eqJoinStream struct {
	c       *evalCtx
	src     Stream
	fn      *reqlFn
	table   *Table
	index   string
	primary bool
	bt      []any

	left   any               // the left row whose matches cur yields
	cur    *indexRangeStream // secondary index matches of left
	done   bool
	closed bool
}

func (s *eqJoinStream) infinite() bool { return isInfinite(s.src) }

func (s *eqJoinStream) Next(ctx context.Context) (any, bool, error) {
	if s.done || s.closed {
		return nil, false, nil
	}
	v, ok, err := s.next(ctx)
	if err != nil || !ok {
		s.done = true
		s.closeCur()
	}
	if err != nil {
		return nil, false, withBacktrace(err, s.bt)
	}
	return v, ok, nil
}

func (s *eqJoinStream) next(ctx context.Context) (any, bool, error) {
	for {
		if s.cur != nil {
			doc, ok, err := s.cur.Next(ctx)
			if err != nil {
				return nil, false, err
			}
			if ok {
				return joinPair(s.left, doc, true), true, nil
			}
			s.closeCur()
		}
		row, ok, err := s.src.Next(ctx)
		if err != nil || !ok {
			return nil, false, err
		}
		if row == nil {
			continue
		}
		key, err := s.c.apply(s.fn, row)
		if err != nil {
			if isNonExistence(err) {
				continue // RethinkDB: get_all(...).default([])
			}
			return nil, false, err
		}
		if key == nil {
			continue
		}
		if s.primary {
			if _, err := EncodeKey(key); err != nil {
				return nil, false, err
			}
			doc, err := s.table.store.Get(ctx, key)
			if err != nil {
				return nil, false, err
			}
			if doc == nil {
				continue
			}
			return joinPair(row, doc, true), true, nil
		}
		enc, ok := EncodeIndexKey(key)
		if !ok {
			continue // a value no index entry can have
		}
		s.left = row
		s.cur = &indexRangeStream{table: s.table, index: s.index, r: KeyRange{Lower: enc, Upper: enc}}
	}
}

func (s *eqJoinStream) closeCur() {
	if s.cur != nil {
		_ = s.cur.Close()
		s.cur = nil
	}
}

func (s *eqJoinStream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.closeCur()
	return s.src.Close()
}

// ---------------------------------------------------------------------------
// INNER_JOIN, OUTER_JOIN

func evalInnerJoin(c *evalCtx, t *Term) (any, error) { return c.nestedJoin(t, false) }

func evalOuterJoin(c *evalCtx, t *Term) (any, error) { return c.nestedJoin(t, true) }

func (c *evalCtx) nestedJoin(t *Term, outer bool) (any, error) {
	sv, err := c.evalSeq(t.Args[0])
	if err != nil {
		return nil, err
	}
	// FUNCALL's CONSTANT_SHORTCUT: a non-function predicate is a constant.
	fn, err := c.evalFn(t.Args[2], constShortcut)
	if err != nil {
		sv.close()
		return nil, err
	}
	s := &nestedJoinStream{
		c:     c,
		src:   sv.stream(),
		right: t.Args[1],
		scope: c.scope,
		fn:    fn,
		outer: outer,
		bt:    t.bt,
	}
	return c.joinResult(sv, s, t)
}

// nestedJoinStream is the nested loop of INNER_JOIN and OUTER_JOIN: for
// every left row the right term is evaluated again (in the scope the join
// was evaluated in) and every right row tested with the predicate.
type nestedJoinStream struct {
	c     *evalCtx
	src   Stream
	right *Term
	scope map[int]any
	fn    *reqlFn
	outer bool
	bt    []any

	left    any
	rs      *seqVal // the right sequence being scanned for left (inner)
	pending []any   // the matches of left still to emit (outer)
	done    bool
	closed  bool
}

func (s *nestedJoinStream) infinite() bool { return isInfinite(s.src) }

func (s *nestedJoinStream) Next(ctx context.Context) (any, bool, error) {
	if s.done || s.closed {
		return nil, false, nil
	}
	v, ok, err := s.next(ctx)
	if err != nil || !ok {
		s.done = true
		s.closeRight()
	}
	if err != nil {
		return nil, false, withBacktrace(err, s.bt)
	}
	return v, ok, nil
}

// evalRight evaluates the right sequence for one left row.
func (s *nestedJoinStream) evalRight() (*seqVal, error) {
	saved := s.c.scope
	s.c.scope = s.scope
	defer func() { s.c.scope = saved }()
	return s.c.evalSeq(s.right)
}

// match applies the predicate to a pair, with BRANCH's truthiness.
func (s *nestedJoinStream) match(l, r any) (bool, error) {
	v, err := s.c.apply(s.fn, l, r)
	if err != nil {
		return false, err
	}
	return truthy(v), nil
}

func (s *nestedJoinStream) next(ctx context.Context) (any, bool, error) {
	for {
		if len(s.pending) > 0 {
			v := s.pending[0]
			s.pending = s.pending[1:]
			return v, true, nil
		}
		if s.rs != nil {
			r, ok, err := s.nextRight(ctx)
			if err != nil {
				return nil, false, err
			}
			if !ok {
				s.closeRight()
				continue
			}
			m, err := s.match(s.left, r)
			if err != nil {
				return nil, false, err
			}
			if m {
				return joinPair(s.left, r, true), true, nil
			}
			continue
		}
		row, ok, err := s.src.Next(ctx)
		if err != nil || !ok {
			return nil, false, err
		}
		rs, err := s.evalRight()
		if err != nil {
			return nil, false, err
		}
		s.left = row
		if !s.outer {
			s.rs = rs
			continue
		}
		matches, err := s.outerMatches(ctx, row, rs)
		if err != nil {
			return nil, false, err
		}
		if len(matches) == 0 {
			return joinPair(row, nil, false), true, nil
		}
		s.pending = matches
	}
}

// nextRight reads the next row of the right sequence being scanned.
func (s *nestedJoinStream) nextRight(ctx context.Context) (any, bool, error) {
	if s.rs.isArr {
		if len(s.rs.arr) == 0 {
			return nil, false, nil
		}
		v := s.rs.arr[0]
		s.rs.arr = s.rs.arr[1:]
		return v, true, nil
	}
	return s.rs.s.Next(ctx)
}

// outerMatches collects the pairs of one left row, as RethinkDB's
// coerce_to("ARRAY") of the inner concat_map: bounded by the array limit,
// and refused on an infinite right stream.
func (s *nestedJoinStream) outerMatches(ctx context.Context, row any, rs *seqVal) ([]any, error) {
	if !rs.isArr {
		defer rs.s.Close()
		if isInfinite(rs.s) {
			return nil, errInfinite()
		}
	}
	s.rs = rs
	defer func() { s.rs = nil }()
	var out []any
	limit := s.c.arrayLimit()
	for {
		r, ok, err := s.nextRight(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		m, err := s.match(row, r)
		if err != nil {
			return nil, err
		}
		if !m {
			continue
		}
		if len(out) >= limit {
			return nil, s.c.errArrayLimit()
		}
		out = append(out, joinPair(row, r, true))
	}
}

func (s *nestedJoinStream) closeRight() {
	if s.rs != nil {
		s.rs.close()
		s.rs = nil
	}
}

func (s *nestedJoinStream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.closeRight()
	s.pending = nil
	return s.src.Close()
}
