package reql

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Secondary index support shared by the evaluator (which creates indexes and
// reads through them) and the shard layer (which maintains index entries on
// every write by calling IndexKeys).

// EncodeIndexKey encodes an index value in the order-preserving form of
// EncodeKey, without the primary key size limit. ok is false for values
// that cannot key an index (null, objects): such documents are left out of
// the index, as RethinkDB does.
func EncodeIndexKey(v any) (key []byte, ok bool) {
	var buf bytes.Buffer
	if err := encodeKey(&buf, v); err != nil {
		return nil, false
	}
	return buf.Bytes(), true
}

var indexFuncs sync.Map // IndexConfig.ID+function -> *compiledIndex

type compiledIndex struct {
	fn  *Term
	err error
}

// IndexKeys computes the encoded index values of doc under ix: the value of
// the index function, or each element of it for a multi index. A document
// on which the function fails (a missing field, a wrong type) has no
// entries, as in RethinkDB.
func IndexKeys(ix IndexConfig, doc map[string]any) (keys [][]byte, err error) {
	if doc == nil {
		return nil, nil
	}
	cacheKey := ix.ID + "\x00" + string(ix.Function)
	ci, _ := indexFuncs.Load(cacheKey)
	if ci == nil {
		c := &compiledIndex{}
		var raw any
		if err := json.Unmarshal(ix.Function, &raw); err != nil {
			c.err = fmt.Errorf("decode index function of %s: %w", ix.Name, err)
		} else {
			c.fn, c.err = compileTerm(raw, []any{}, 0)
		}
		ci, _ = indexFuncs.LoadOrStore(cacheKey, c)
	}
	compiled := ci.(*compiledIndex)
	if compiled.err != nil {
		return nil, compiled.err
	}
	defer func() {
		if r := recover(); r != nil {
			keys, err = nil, fmt.Errorf("index %s: function panicked: %v", ix.Name, r)
		}
	}()
	c := &evalCtx{ctx: context.Background(), env: &Env{}, scope: map[int]any{}, defaultDB: "test", now: time.Unix(0, 0)}
	fv, err := c.eval(compiled.fn)
	if err != nil {
		return nil, nil
	}
	f, ok := fv.(*Func)
	if !ok {
		return nil, fmt.Errorf("index %s: function is a %s", ix.Name, typeName(fv))
	}
	v, err := c.call(f, doc)
	if err != nil {
		return nil, nil
	}
	if ix.Geo {
		return geoIndexKeys(v, ix.Multi), nil
	}
	values := []any{v}
	if ix.Multi {
		arr, isArr := v.([]any)
		if !isArr {
			values = []any{v}
		} else {
			values = arr
		}
	}
	seen := map[string]bool{}
	for _, val := range values {
		k, ok := EncodeIndexKey(val)
		if !ok || seen[string(k)] {
			continue
		}
		seen[string(k)] = true
		keys = append(keys, k)
	}
	return keys, nil
}

// termToWire turns a compiled term back into its wire JSON, to store index
// functions in the catalog.
func termToWire(t *Term) any {
	if t.Type == TermDatum {
		return datumToWire(t.Datum)
	}
	if t.Type == TermMakeObj && len(t.Args) == 0 {
		obj := make(map[string]any, len(t.Optargs))
		for k, v := range t.Optargs {
			obj[k] = termToWire(v)
		}
		return obj
	}
	args := make([]any, len(t.Args))
	for i, a := range t.Args {
		args[i] = termToWire(a)
	}
	out := []any{float64(t.Type), args}
	if len(t.Optargs) > 0 {
		opts := make(map[string]any, len(t.Optargs))
		for k, v := range t.Optargs {
			opts[k] = termToWire(v)
		}
		out = append(out, opts)
	}
	return out
}

func datumToWire(v any) any {
	switch x := v.(type) {
	case []any:
		items := make([]any, len(x))
		for i, e := range x {
			items[i] = datumToWire(e)
		}
		return []any{float64(TermMakeArray), items}
	case map[string]any:
		obj := make(map[string]any, len(x))
		for k, e := range x {
			obj[k] = datumToWire(e)
		}
		return obj
	}
	return v
}

// nonDeterministic names the first term in t that RethinkDB refuses in
// index functions (and in atomic updates): randomness, time, table access,
// JavaScript and HTTP.
func nonDeterministic(t *Term) (string, bool) {
	switch t.Type {
	case TermNow, TermRandom, TermJavascript, TermHttp, TermTable, TermDb, TermGet, TermGetAll,
		TermBetween, TermSample:
		return t.Type.String(), true
	case TermLine, TermPolygon, TermCircle, TermDistance, TermIntersects, TermIncludes, TermGeojson,
		TermFill, TermPolygonSub, TermGetIntersecting, TermGetNearest:
		// Geometric computations may differ between machines (RethinkDB's
		// geo_term_t); only POINT and TO_GEOJSON are deterministic.
		return t.Type.String(), true
	case TermUuid:
		if len(t.Args) == 0 {
			return t.Type.String(), true
		}
	}
	for _, a := range t.Args {
		if name, bad := nonDeterministic(a); bad {
			return name, true
		}
	}
	for _, a := range t.Optargs {
		if name, bad := nonDeterministic(a); bad {
			return name, true
		}
	}
	return "", false
}

// secondaryIndex returns the configuration of a table's secondary index and
// its function, evaluated to a *Func in this query's context.
func (c *evalCtx) secondaryIndex(tbl *Table, name string) (IndexConfig, *Func, error) {
	for _, ix := range tbl.store.Indexes() {
		if ix.Name != name {
			continue
		}
		if !ix.Ready {
			return IndexConfig{}, nil, IndexNotReady(tbl.DB, tbl.Name, name)
		}
		var raw any
		if err := json.Unmarshal(ix.Function, &raw); err != nil {
			return IndexConfig{}, nil, fmt.Errorf("decode index function of %s: %w", name, err)
		}
		ft, err := compileTerm(raw, []any{}, 0)
		if err != nil {
			return IndexConfig{}, nil, err
		}
		fv, err := c.eval(ft)
		if err != nil {
			return IndexConfig{}, nil, err
		}
		f, ok := fv.(*Func)
		if !ok {
			return IndexConfig{}, nil, fmt.Errorf("index %s: function is a %s", name, typeName(fv))
		}
		return ix.IndexConfig, f, nil
	}
	return IndexConfig{}, nil, IndexNotFound(tbl.DB, tbl.Name, name)
}

// indexDistinct streams the distinct values of a secondary index in index
// order (DISTINCT with `index`).
func (c *evalCtx) indexDistinct(tbl *Table, name string) (any, error) {
	ix, f, err := c.secondaryIndex(tbl, name)
	if err != nil {
		return nil, err
	}
	src := &indexRangeStream{table: tbl, index: name}
	if !ix.Multi {
		var prev any
		first := true
		return &funcStream{next: func(ctx context.Context) (any, bool, error) {
			for {
				d, ok, err := src.Next(ctx)
				if err != nil || !ok {
					return nil, false, err
				}
				v, err := c.call(f, d)
				if err != nil {
					continue
				}
				if first || compareDatums(prev, v) != 0 {
					first, prev = false, v
					return v, true, nil
				}
			}
		}, close: src.Close}, nil
	}
	// A multi index lists a document once per value: collect, sort, dedupe.
	defer src.Close()
	var values []any
	for {
		d, ok, err := src.Next(c.ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		v, err := c.call(f, d)
		if err != nil {
			continue
		}
		arr, isArr := v.([]any)
		if !isArr {
			arr = []any{v}
		}
		values = append(values, arr...)
		if len(values) > c.arrayLimit() {
			return nil, c.errArrayLimit()
		}
	}
	sort.SliceStable(values, func(i, j int) bool { return compareDatums(values[i], values[j]) < 0 })
	out := []any{}
	for i, v := range values {
		if i == 0 || compareDatums(values[i-1], v) != 0 {
			out = append(out, v)
		}
	}
	return &arrayStream{items: out}, nil
}
