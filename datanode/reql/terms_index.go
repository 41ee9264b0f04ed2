package reql

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// Secondary indexes: INDEX_CREATE, INDEX_DROP, INDEX_LIST, INDEX_STATUS,
// INDEX_WAIT, INDEX_RENAME, and the reads through an index: BETWEEN and
// (in terms_table.go and terms_seq.go) GET_ALL and ORDER_BY with `index`.

func init() {
	register(TermIndexCreate, spec{minArgs: 2, maxArgs: 3, optargs: []string{"multi", "geo"}, eval: evalIndexCreate})
	register(TermIndexDrop, spec{minArgs: 2, maxArgs: 2, eval: evalIndexDrop})
	register(TermIndexList, spec{minArgs: 1, maxArgs: 1, eval: evalIndexList})
	register(TermIndexStatus, spec{minArgs: 1, maxArgs: -1, eval: evalIndexStatus})
	register(TermIndexWait, spec{minArgs: 1, maxArgs: -1, eval: evalIndexWait})
	register(TermIndexRename, spec{minArgs: 3, maxArgs: 3, optargs: []string{"overwrite"}, eval: evalIndexRename})
	register(TermBetween, spec{minArgs: 3, maxArgs: 3, optargs: []string{"index", "left_bound", "right_bound"}, eval: evalBetween})
	// BETWEEN_DEPRECATED is the pre-2.1 between, where null meant unbounded
	// (older drivers still send it).
	register(TermBetweenDeprecated, spec{minArgs: 3, maxArgs: 3, optargs: []string{"index", "left_bound", "right_bound"}, eval: evalBetweenDeprecated})
}

func (c *evalCtx) indexName(t *Term, tbl *Table) (string, error) {
	name, err := c.evalString(t)
	if err != nil {
		return "", err
	}
	if !validName.MatchString(name) {
		return "", withBacktrace(newErr(ErrQueryLogic, "Index name `%s` invalid (Use A-Z, a-z, 0-9, _ and - only).", name), t.bt)
	}
	return name, nil
}

func evalIndexCreate(c *evalCtx, t *Term) (any, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, err
	}
	if err := c.requireTable(permConfig, tbl); err != nil {
		return nil, err
	}
	name, err := c.indexName(t.Args[1], tbl)
	if err != nil {
		return nil, err
	}
	cfg := tbl.store.Config()
	if name == cfg.PrimaryKey {
		return nil, newErr(ErrQueryLogic, "Index name conflict: `%s` is the name of the primary key.", name)
	}
	multi, err := c.optDatum(t, "multi", false)
	if err != nil {
		return nil, err
	}
	if _, ok := multi.(bool); !ok {
		return nil, typeErr("BOOL", multi, t.Optargs["multi"])
	}
	geo, err := c.optDatum(t, "geo", false)
	if err != nil {
		return nil, err
	}
	if _, ok := geo.(bool); !ok {
		return nil, typeErr("BOOL", geo, t.Optargs["geo"])
	}
	// The function: given, or r.row(name) by default. A non-function value
	// is a constant function, as in RethinkDB.
	var fn any
	switch {
	case len(t.Args) < 3:
		fn = []any{float64(TermFunc), []any{[]any{float64(TermMakeArray), []any{1.0}}, []any{float64(TermGetField), []any{[]any{float64(TermVar), []any{1.0}}, name}}}}
	case t.Args[2].Type == TermFunc:
		if _, found := nonDeterministic(t.Args[2]); found {
			return nil, newErr(ErrQueryLogic, "Could not prove function deterministic.  Index functions must be deterministic.")
		}
		fn = termToWire(t.Args[2])
	default:
		if _, found := nonDeterministic(t.Args[2]); found {
			return nil, newErr(ErrQueryLogic, "Could not prove function deterministic.  Index functions must be deterministic.")
		}
		fn = []any{float64(TermFunc), []any{[]any{float64(TermMakeArray), []any{}}, termToWire(t.Args[2])}}
	}
	raw, err := json.Marshal(fn)
	if err != nil {
		return nil, fmt.Errorf("encode index function: %w", err)
	}
	if _, err := c.env.Store.CreateIndex(c.ctx, tbl.DB, tbl.Name, IndexConfig{Name: name, Function: raw, Multi: multi.(bool), Geo: geo.(bool)}); err != nil {
		return nil, err
	}
	return map[string]any{"created": 1.0}, nil
}

func evalIndexDrop(c *evalCtx, t *Term) (any, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, err
	}
	if err := c.requireTable(permConfig, tbl); err != nil {
		return nil, err
	}
	name, err := c.evalString(t.Args[1])
	if err != nil {
		return nil, err
	}
	if err := c.env.Store.DropIndex(c.ctx, tbl.DB, tbl.Name, name); err != nil {
		return nil, err
	}
	return map[string]any{"dropped": 1.0}, nil
}

func evalIndexList(c *evalCtx, t *Term) (any, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, ix := range tbl.store.Indexes() {
		out = append(out, ix.Name)
	}
	return out, nil
}

func evalIndexRename(c *evalCtx, t *Term) (any, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, err
	}
	if err := c.requireTable(permConfig, tbl); err != nil {
		return nil, err
	}
	oldName, err := c.evalString(t.Args[1])
	if err != nil {
		return nil, err
	}
	newName, err := c.indexName(t.Args[2], tbl)
	if err != nil {
		return nil, err
	}
	if newName == tbl.store.Config().PrimaryKey {
		return nil, newErr(ErrQueryLogic, "Index name conflict: `%s` is the name of the primary key.", newName)
	}
	overwrite, err := c.optDatum(t, "overwrite", false)
	if err != nil {
		return nil, err
	}
	if err := c.env.Store.RenameIndex(c.ctx, tbl.DB, tbl.Name, oldName, newName, overwrite == true); err != nil {
		return nil, err
	}
	renamed := 1.0
	if oldName == newName {
		renamed = 0
	}
	return map[string]any{"renamed": renamed}, nil
}

// indexStatuses returns the status objects of the named indexes (all when
// none are named), as RethinkDB's index_status shows them.
func (c *evalCtx) indexStatuses(t *Term) (*Table, []any, bool, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, nil, false, err
	}
	all := tbl.store.Indexes()
	byName := map[string]IndexStatus{}
	for _, ix := range all {
		byName[ix.Name] = ix
	}
	var chosen []IndexStatus
	if len(t.Args) == 1 {
		chosen = all
	} else {
		for _, a := range t.Args[1:] {
			name, err := c.evalString(a)
			if err != nil {
				return nil, nil, false, err
			}
			ix, ok := byName[name]
			if !ok {
				return nil, nil, false, IndexNotFound(tbl.DB, tbl.Name, name)
			}
			chosen = append(chosen, ix)
		}
	}
	out := []any{}
	ready := true
	for _, ix := range chosen {
		st := map[string]any{
			"index":    ix.Name,
			"ready":    ix.Ready,
			"function": map[string]any{reqlTypeField: "BINARY", "data": base64.StdEncoding.EncodeToString(ix.Function)},
			"multi":    ix.Multi,
			"geo":      ix.Geo,
			"outdated": false,
			"query":    fmt.Sprintf("indexCreate(%q, %s)", ix.Name, ix.Function),
		}
		if !ix.Ready {
			st["progress"] = ix.Progress
			ready = false
		}
		out = append(out, st)
	}
	return tbl, out, ready, nil
}

func evalIndexStatus(c *evalCtx, t *Term) (any, error) {
	_, out, _, err := c.indexStatuses(t)
	return out, err
}

func evalIndexWait(c *evalCtx, t *Term) (any, error) {
	for {
		_, out, ready, err := c.indexStatuses(t)
		if err != nil || ready {
			return out, err
		}
		select {
		case <-c.ctx.Done():
			return nil, newErr(ErrOpIndeterminate, "Query interrupted while waiting for indexes.")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// indexBound encodes a BETWEEN bound: r.minval/r.maxval are unbounded.
func (c *evalCtx) indexBound(t *Term) ([]byte, error) {
	v, err := c.eval(t)
	if err != nil {
		return nil, err
	}
	switch v.(type) {
	case *minValue, *maxValue:
		return nil, nil
	case nil:
		return nil, withBacktrace(newErr(ErrQueryLogic, "Cannot use `null` in BETWEEN, use `r.minval` or `r.maxval` to denote unboundedness."), t.bt)
	}
	d, err := c.toDatum(v, t)
	if err != nil {
		return nil, err
	}
	k, ok := EncodeIndexKey(d)
	if !ok {
		return nil, withBacktrace(newErr(ErrQueryLogic, "Cannot use %s as a BETWEEN bound.", typeName(d)), t.bt)
	}
	return k, nil
}

func evalBetween(c *evalCtx, t *Term) (any, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, err
	}
	index, err := c.optString(t, "index", tbl.store.Config().PrimaryKey)
	if err != nil {
		return nil, err
	}
	if err := geoIndexRefused(tbl, index); err != nil {
		return nil, err
	}
	lo, err := c.indexBound(t.Args[1])
	if err != nil {
		return nil, err
	}
	hi, err := c.indexBound(t.Args[2])
	if err != nil {
		return nil, err
	}
	leftOpen, err := c.boundOpen(t, "left_bound", false)
	if err != nil {
		return nil, err
	}
	rightOpen, err := c.boundOpen(t, "right_bound", true)
	if err != nil {
		return nil, err
	}
	// An upper bound of r.minval (or a lower of r.maxval) selects nothing.
	if v, _ := c.eval(t.Args[2]); v == MinVal {
		return &Selection{table: tbl, stream: &arrayStream{}}, nil
	}
	if v, _ := c.eval(t.Args[1]); v == MaxVal {
		return &Selection{table: tbl, stream: &arrayStream{}}, nil
	}
	r := KeyRange{Lower: lo, Upper: hi, LowerOpen: leftOpen, UpperOpen: rightOpen}
	sel := &Selection{table: tbl, stream: &indexRangeStream{table: tbl, index: index, r: r}, feedOK: true,
		slice: &tableSlice{index: index, r: r}}
	sel.feedMatch = c.indexMatcher(tbl, index, func(k []byte) bool { return r.contains(k) })
	return sel, nil
}

// contains reports whether an encoded value lies in the range.
func (r KeyRange) contains(k []byte) bool {
	if r.Lower != nil {
		c := bytes.Compare(k, r.Lower)
		if c < 0 || (c == 0 && r.LowerOpen) {
			return false
		}
	}
	if r.Upper != nil {
		c := bytes.Compare(k, r.Upper)
		if c > 0 || (c == 0 && r.UpperOpen) {
			return false
		}
	}
	return true
}

// indexMatcher returns a changefeed predicate: a document belongs when one
// of its values under the index (the primary key, or a secondary index's
// function) satisfies want.
func (c *evalCtx) indexMatcher(tbl *Table, index string, want func(k []byte) bool) func(map[string]any) (bool, error) {
	cfg := tbl.store.Config()
	if index == cfg.PrimaryKey {
		return func(doc map[string]any) (bool, error) {
			k, ok := EncodeIndexKey(doc[cfg.PrimaryKey])
			return ok && want(k), nil
		}
	}
	return func(doc map[string]any) (bool, error) {
		for _, ix := range tbl.store.Config().Indexes {
			if ix.Name != index {
				continue
			}
			keys, err := IndexKeys(ix, doc)
			if err != nil {
				return false, err
			}
			for _, k := range keys {
				if want(k) {
					return true, nil
				}
			}
		}
		return false, nil
	}
}

// indexRangeStream reads a table through an index lazily: the scan opens on
// the first Next, so errors (a missing index) surface when the query runs.
type indexRangeStream struct {
	table   *Table
	index   string
	r       KeyRange
	reverse bool
	it      DocIterator
	done    bool
}

func (s *indexRangeStream) Next(ctx context.Context) (any, bool, error) {
	if s.done {
		return nil, false, nil
	}
	if s.it == nil {
		it, err := s.table.store.IndexScan(ctx, s.index, s.r, s.reverse)
		if err != nil {
			s.done = true
			return nil, false, err
		}
		s.it = it
	}
	if s.it.Next() {
		return s.it.Doc(), true, nil
	}
	s.done = true
	return nil, false, s.it.Err()
}

func (s *indexRangeStream) Close() error {
	s.done = true
	if s.it != nil {
		err := s.it.Close()
		s.it = nil
		return err
	}
	return nil
}

// indexEqualStream concatenates index lookups of several values (GET_ALL
// with an index).
type indexEqualStream struct {
	table *Table
	index string
	keys  [][]byte
	cur   *indexRangeStream
}

func (s *indexEqualStream) Next(ctx context.Context) (any, bool, error) {
	for {
		if s.cur == nil {
			if len(s.keys) == 0 {
				return nil, false, nil
			}
			k := s.keys[0]
			s.keys = s.keys[1:]
			s.cur = &indexRangeStream{table: s.table, index: s.index, r: KeyRange{Lower: k, Upper: k}}
		}
		v, ok, err := s.cur.Next(ctx)
		if err != nil || ok {
			return v, ok, err
		}
		s.cur.Close()
		s.cur = nil
	}
}

func (s *indexEqualStream) Close() error {
	s.keys = nil
	if s.cur != nil {
		return s.cur.Close()
	}
	return nil
}

func evalBetweenDeprecated(c *evalCtx, t *Term) (any, error) {
	nt := *t
	nt.Args = append([]*Term{}, t.Args...)
	for i := 1; i <= 2; i++ {
		if a := nt.Args[i]; a.Type == TermDatum && a.Datum == nil {
			bound := TermMinval
			if i == 2 {
				bound = TermMaxval
			}
			nt.Args[i] = &Term{Type: bound, bt: a.bt}
		}
	}
	return evalBetween(c, &nt)
}
