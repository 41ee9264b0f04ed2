package reql

import "context"

// Reading tables: GET, GET_ALL, COUNT.

func init() {
	register(TermGet, spec{minArgs: 2, maxArgs: 2, eval: evalGet})
	register(TermGetAll, spec{minArgs: 1, maxArgs: -1, optargs: []string{"index"}, eval: evalGetAll})
	register(TermCount, spec{minArgs: 1, maxArgs: 2, eval: evalCount})
}

func (c *evalCtx) evalTableArg(t *Term) (*Table, error) {
	v, err := c.eval(t)
	if err != nil {
		return nil, err
	}
	tbl, ok := v.(*Table)
	if !ok {
		return nil, withBacktrace(newErr(ErrQueryLogic, "Expected type TABLE but found %s.", typeName(v)), t.bt)
	}
	return tbl, nil
}

func evalGet(c *evalCtx, t *Term) (any, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, err
	}
	key, err := c.evalDatum(t.Args[1])
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, newErr(ErrNonExistence, "Keys cannot be NULL.")
	}
	if _, err := EncodeKey(key); err != nil {
		return nil, err
	}
	// The query's result itself (r.table(..).get(k) run on its own) is
	// sent as stored, and need not be decoded when the caller takes raw
	// results.
	doc, raw, err := getDoc(c.ctx, tbl.store, key, t != c.rawRoot)
	if err != nil {
		return nil, err
	}
	return &SingleSelection{table: tbl, key: key, doc: doc, raw: raw}, nil
}

func evalGetAll(c *evalCtx, t *Term) (any, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, err
	}
	index, err := c.optString(t, "index", tbl.store.Config().PrimaryKey)
	if err != nil {
		return nil, err
	}
	if index != tbl.store.Config().PrimaryKey {
		if err := geoIndexRefused(tbl, index); err != nil {
			return nil, err
		}
		var keys [][]byte
		for _, a := range t.Args[1:] {
			k, err := c.evalDatum(a)
			if err != nil {
				return nil, err
			}
			if k == nil {
				return nil, withBacktrace(newErr(ErrNonExistence, "Keys cannot be NULL."), a.bt)
			}
			if enc, ok := EncodeIndexKey(k); ok {
				keys = append(keys, enc)
			}
		}
		return c.getAllSelection(tbl, index, keys, &indexEqualStream{table: tbl, index: index, keys: keys}), nil
	}
	keys := make([]any, 0, len(t.Args)-1)
	for _, a := range t.Args[1:] {
		k, err := c.evalDatum(a)
		if err != nil {
			return nil, err
		}
		if k == nil {
			return nil, withBacktrace(newErr(ErrNonExistence, "Keys cannot be NULL."), a.bt)
		}
		if _, err := EncodeKey(k); err != nil {
			return nil, withBacktrace(err, a.bt)
		}
		keys = append(keys, k)
	}
	var enc [][]byte
	for _, k := range keys {
		e, _ := EncodeIndexKey(k)
		enc = append(enc, e)
	}
	return c.getAllSelection(tbl, index, enc, &getAllStream{table: tbl, keys: keys}), nil
}

// getAllSelection is GET_ALL's result: its stream, and the changefeed
// predicate "one of the document's index values is one of the keys".
func (c *evalCtx) getAllSelection(tbl *Table, index string, keys [][]byte, s Stream) *Selection {
	set := make(map[string]bool, len(keys))
	for _, k := range keys {
		set[string(k)] = true
	}
	return &Selection{table: tbl, stream: s, feedOK: true,
		feedMatch: c.indexMatcher(tbl, index, func(k []byte) bool { return set[string(k)] })}
}

// getAllStream looks keys up lazily, one per Next, skipping missing ones.
type getAllStream struct {
	table *Table
	keys  []any
}

func (s *getAllStream) Next(ctx context.Context) (any, bool, error) {
	for len(s.keys) > 0 {
		k := s.keys[0]
		s.keys = s.keys[1:]
		doc, err := s.table.store.Get(ctx, k)
		if err != nil {
			return nil, false, err
		}
		if doc != nil {
			return doc, true, nil
		}
	}
	return nil, false, nil
}

func (s *getAllStream) Close() error { s.keys = nil; return nil }

func evalCount(c *evalCtx, t *Term) (any, error) {
	// COUNT of a sequence (optionally of the elements equal to a value or
	// matching a predicate), of a string's code points, of a binary's bytes
	// or of an object's fields; per group on grouped data. See countValue in
	// terms_agg.go.
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	return c.countValue(t, v)
}
