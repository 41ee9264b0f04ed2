package reql

import (
	"context"
	"sort"
)

// Aggregation and grouping: REDUCE, FOLD, SUM, AVG, MIN, MAX, GROUP,
// UNGROUP (COUNT lives with the table reads in terms_table.go and uses
// countSeq here).
//
// GROUP yields a *groupedData: the groups' keys and values, sorted by key in
// ReQL's order. Terms that RethinkDB applies per group (map, filter,
// concat_map, order_by, distinct, limit, skip, slice, nth, count, sum, avg,
// min, max, reduce) do so; the result is again grouped data, sent to the
// client as the GROUPED_DATA pseudo-type.

func init() {
	register(TermReduce, spec{minArgs: 2, maxArgs: 2, optargs: []string{"base"}, eval: evalReduce})
	register(TermFold, spec{minArgs: 3, maxArgs: 3, optargs: []string{"emit", "final_emit"}, eval: evalFold})
	register(TermSum, spec{minArgs: 1, maxArgs: 2, optargs: []string{"index"}, eval: evalSum})
	register(TermAvg, spec{minArgs: 1, maxArgs: 2, optargs: []string{"index"}, eval: evalAvg})
	register(TermMin, spec{minArgs: 1, maxArgs: 2, optargs: []string{"index"}, eval: evalMin})
	register(TermMax, spec{minArgs: 1, maxArgs: 2, optargs: []string{"index"}, eval: evalMax})
	register(TermGroup, spec{minArgs: 1, maxArgs: -1, optargs: []string{"index", "multi"}, eval: evalGroup})
	register(TermUngroup, spec{minArgs: 1, maxArgs: 1, eval: evalUngroup})
}

// ---------------------------------------------------------------------------
// Grouped data.

type groupEntry struct {
	key, val any
}

// groupedData is the value of GROUP and of operations on it. stream is set
// while the groups are still sequences (before a reduction): operations
// that leave a group empty then drop it, as RethinkDB does.
type groupedData struct {
	groups []groupEntry
	stream bool
	limit  int // the array limit, which bounds the elements of grouped sequences
}

func (g *groupedData) reqlDatum() (any, error) {
	data := make([]any, len(g.groups))
	total := 0
	for i, e := range g.groups {
		data[i] = []any{e.key, e.val}
		if arr, ok := e.val.([]any); ok && g.stream {
			total += len(arr)
		}
	}
	if total > g.limit {
		return nil, newErr(ErrResourceLimit, "Grouped data over size limit `%d`.  Try putting a reduction (like `.reduce` or `.count`) on the end.", g.limit)
	}
	return map[string]any{reqlTypeField: "GROUPED_DATA", "data": data}, nil
}

// errDropGroup is returned by a per-group operation for a group that has
// nothing to reduce (all its elements were skipped): the group is dropped.
var errDropGroup = &Error{Kind: KindRuntime, Type: ErrInternal, Msg: "drop group"}

// groupMode says what a term does to grouped data: keeps each group a
// stream (map, filter, ...), reduces each (count, reduce, nth, ...), or
// keeps whatever the groups were (limit, slice, order_by, ...).
type groupMode int

const (
	groupsStream groupMode = iota
	groupsReduce
	groupsKeep
)

// groupwise evaluates t's first argument and applies one to it, or to each
// group when it is grouped data.
func (c *evalCtx) groupwise(t *Term, mode groupMode, one func(v any) (any, error)) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	if g, ok := v.(*groupedData); ok {
		return c.perGroup(g, mode == groupsStream || (mode == groupsKeep && g.stream), one)
	}
	return one(v)
}

// perGroup applies fn to every group's value. keepStream says whether the
// result is still a grouped sequence.
func (c *evalCtx) perGroup(g *groupedData, keepStream bool, fn func(val any) (any, error)) (any, error) {
	out := &groupedData{stream: keepStream, limit: c.arrayLimit()}
	for _, e := range g.groups {
		r, err := fn(e.val)
		if err == errDropGroup {
			continue
		}
		if err != nil {
			return nil, err
		}
		d, err := c.valueDatum(r)
		if err != nil {
			return nil, err
		}
		if arr, ok := d.([]any); ok && keepStream && len(arr) == 0 {
			continue
		}
		out.groups = append(out.groups, groupEntry{key: e.key, val: d})
	}
	return out, nil
}

// valueDatum turns a result into a datum (streams are read in full).
func (c *evalCtx) valueDatum(v any) (any, error) {
	switch x := v.(type) {
	case *SingleSelection:
		return nilIfEmpty(x.doc), nil
	case *Table, *Selection, Stream:
		sv, err := c.asSeq(v, &Term{})
		if err != nil {
			return nil, err
		}
		return c.collect(sv)
	}
	return v, nil
}

// ---------------------------------------------------------------------------
// REDUCE and FOLD.

func evalReduce(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	if g, ok := v.(*groupedData); ok {
		return c.perGroup(g, false, func(val any) (any, error) { return c.reduceOne(t, val, true) })
	}
	return c.reduceOne(t, v, false)
}

func (c *evalCtx) reduceOne(t *Term, v any, grouped bool) (any, error) {
	sv, err := c.asSeq(v, t.Args[0])
	if err != nil {
		return nil, err
	}
	fn, err := c.evalFn(t.Args[1], noShortcut)
	if err != nil {
		sv.close()
		return nil, err
	}
	var acc any
	has := false
	err = c.each(sv, true, func(e any) (bool, error) {
		if !has {
			acc, has = e, true
			return false, nil
		}
		acc, err = c.apply(fn, acc, e)
		return err != nil, err
	})
	if err != nil {
		return nil, err
	}
	if !has {
		if grouped {
			return nil, errDropGroup
		}
		return nil, withBacktrace(newErr(ErrNonExistence, "Cannot reduce over an empty stream."), t.Args[1].bt)
	}
	return acc, nil
}

func evalFold(c *evalCtx, t *Term) (any, error) {
	sv, err := c.evalSeq(t.Args[0])
	if err != nil {
		return nil, err
	}
	base, err := c.evalDatum(t.Args[1])
	if err != nil {
		sv.close()
		return nil, err
	}
	acc, err := c.evalFn(t.Args[2], noShortcut)
	if err != nil {
		sv.close()
		return nil, err
	}
	var emit, final *reqlFn
	if et, ok := t.Optargs["emit"]; ok {
		if emit, err = c.evalFn(et, noShortcut); err != nil {
			sv.close()
			return nil, err
		}
	}
	if ft, ok := t.Optargs["final_emit"]; ok {
		if final, err = c.evalFn(ft, noShortcut); err != nil {
			sv.close()
			return nil, err
		}
	}
	if emit == nil {
		if final != nil {
			sv.close()
			return nil, newErr(ErrQueryLogic, "`final_emit` can only be used with `emit`.")
		}
		err := c.each(sv, true, func(e any) (bool, error) {
			base, err = c.apply(acc, base, e)
			return err != nil, err
		})
		return base, err
	}
	emitted := func(r any) ([]any, error) {
		arr, ok := r.([]any)
		if !ok {
			return nil, newErr(ErrQueryLogic, "Cannot convert %s to SEQUENCE", typeName(r))
		}
		return arr, nil
	}
	state := base
	step := func(e any, out func(any) error) error {
		next, err := c.apply(acc, state, e)
		if err != nil {
			return err
		}
		r, err := c.apply(emit, state, e, next)
		if err != nil {
			return err
		}
		state = next
		arr, err := emitted(r)
		if err != nil {
			return err
		}
		for _, x := range arr {
			if err := out(x); err != nil {
				return err
			}
		}
		return nil
	}
	finish := func(out func(any) error) error {
		if final == nil {
			return nil
		}
		r, err := c.apply(final, state)
		if err != nil {
			return err
		}
		arr, err := emitted(r)
		if err != nil {
			return err
		}
		for _, x := range arr {
			if err := out(x); err != nil {
				return err
			}
		}
		return nil
	}
	if sv.isArr {
		out, res := c.arrayEmitter()
		for _, e := range sv.arr {
			if err := step(e, out); err != nil {
				return nil, err
			}
		}
		if err := finish(out); err != nil {
			return nil, err
		}
		return res(), nil
	}
	src := sv.s
	var pending []any
	ended := false
	push := func(x any) error { pending = append(pending, x); return nil }
	return &funcStream{
		inf:   isInfinite(src),
		close: src.Close,
		next: func(ctx context.Context) (any, bool, error) {
			for len(pending) == 0 {
				if ended {
					return nil, false, nil
				}
				v, ok, err := src.Next(ctx)
				if err != nil {
					return nil, false, err
				}
				if !ok {
					ended = true
					if err := finish(push); err != nil {
						return nil, false, withBacktrace(err, t.bt)
					}
					continue
				}
				if err := step(v, push); err != nil {
					return nil, false, withBacktrace(err, t.bt)
				}
			}
			x := pending[0]
			pending = pending[1:]
			return x, true, nil
		},
	}, nil
}

// ---------------------------------------------------------------------------
// SUM, AVG, MIN, MAX.

type aggKind int

const (
	aggSum aggKind = iota
	aggAvg
	aggMin
	aggMax
)

var aggNames = map[aggKind]string{aggSum: "sum", aggAvg: "avg", aggMin: "min", aggMax: "max"}

func evalSum(c *evalCtx, t *Term) (any, error) { return c.evalAgg(t, aggSum) }
func evalAvg(c *evalCtx, t *Term) (any, error) { return c.evalAgg(t, aggAvg) }
func evalMin(c *evalCtx, t *Term) (any, error) { return c.evalAgg(t, aggMin) }
func evalMax(c *evalCtx, t *Term) (any, error) { return c.evalAgg(t, aggMax) }

func (c *evalCtx) evalAgg(t *Term, kind aggKind) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	if g, ok := v.(*groupedData); ok {
		return c.perGroup(g, false, func(val any) (any, error) { return c.aggOne(t, val, kind, true) })
	}
	return c.aggOne(t, v, kind, false)
}

func (c *evalCtx) aggOne(t *Term, v any, kind aggKind, grouped bool) (any, error) {
	name := aggNames[kind]
	var fn *reqlFn
	if len(t.Args) == 2 {
		var err error
		if fn, err = c.evalFn(t.Args[1], fieldShortcut); err != nil {
			return nil, err
		}
	}
	it, hasIdx := t.Optargs["index"]
	switch {
	case fn != nil && hasIdx:
		return nil, newErr(ErrQueryLogic, "Cannot provide both a function and an index to %s.", name)
	case hasIdx && (kind == aggSum || kind == aggAvg):
		return nil, newErr(ErrQueryLogic, "Cannot call %s on an index.", name)
	}
	if tbl, ok := v.(*Table); ok && (kind == aggMin || kind == aggMax) && (hasIdx || fn == nil) {
		// min/max of a table without a function use its primary index.
		pk := tbl.store.Config().PrimaryKey
		if hasIdx {
			idx, err := c.evalString(it)
			if err != nil {
				return nil, err
			}
			if idx != pk {
				// The first document in the index's order.
				if _, _, err := c.secondaryIndex(tbl, idx); err != nil {
					return nil, err
				}
				s := &indexRangeStream{table: tbl, index: idx, reverse: kind == aggMax}
				defer s.Close()
				d, ok, err := s.Next(c.ctx)
				if err != nil {
					return nil, err
				}
				if !ok {
					return nil, newErr(ErrNonExistence, "`%s` found no entries in the specified index.", name)
				}
				doc := d.(map[string]any)
				return &SingleSelection{table: tbl, key: doc[pk], doc: doc, feedOrder: &feedOrder{index: idx, desc: kind == aggMax}}, nil
			}
		}
		s := &lazyTableScan{table: tbl, reverse: kind == aggMax}
		defer s.Close()
		d, ok, err := s.Next(c.ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, newErr(ErrNonExistence, "`%s` found no entries in the specified index.", name)
		}
		doc := d.(map[string]any)
		return &SingleSelection{table: tbl, key: doc[pk], doc: doc, feedOrder: &feedOrder{index: pk, desc: kind == aggMax}}, nil
	}
	if hasIdx {
		return nil, typeErr("TABLE", v, t.Args[0])
	}
	sv, err := c.asSeq(v, t.Args[0])
	if err != nil {
		return nil, err
	}
	sum, count := 0.0, 0
	var best, bestVal any
	err = c.each(sv, true, func(e any) (bool, error) {
		val := e
		if fn != nil {
			r, err := c.apply(fn, e)
			if err != nil {
				if isNonExistence(err) {
					return false, nil
				}
				return true, err
			}
			val = r
		}
		switch kind {
		case aggSum, aggAvg:
			n, ok := val.(float64)
			if !ok {
				return true, newErr(ErrQueryLogic, "Expected type NUMBER but found %s.", typeName(val))
			}
			sum += n
		case aggMin:
			if count == 0 || compareDatums(val, bestVal) < 0 {
				best, bestVal = e, val
			}
		case aggMax:
			if count == 0 || compareDatums(val, bestVal) > 0 {
				best, bestVal = e, val
			}
		}
		count++
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if count == 0 && grouped {
		return nil, errDropGroup
	}
	switch kind {
	case aggSum:
		return sum, nil
	case aggAvg:
		if count == 0 {
			return nil, newErr(ErrNonExistence, "Cannot take the average of an empty stream.  (If you passed `avg` a field name, it may be that no elements of the stream had that field.)")
		}
		return sum / float64(count), nil
	}
	if count == 0 {
		return nil, newErr(ErrNonExistence, "Cannot take the %s of an empty stream.  (If you passed `%s` a field name, it may be that no elements of the stream had that field.)", name, name)
	}
	if sv.table != nil {
		doc, _ := best.(map[string]any)
		return &SingleSelection{table: sv.table, key: doc[sv.table.store.Config().PrimaryKey], doc: doc}, nil
	}
	return best, nil
}

// ---------------------------------------------------------------------------
// COUNT (called from evalCount).

// countValue is COUNT of an evaluated value, with an optional value or
// predicate to count matches of.
func (c *evalCtx) countValue(t *Term, v any) (any, error) {
	if g, ok := v.(*groupedData); ok {
		return c.perGroup(g, false, func(val any) (any, error) {
			n, err := c.countOne(t, val)
			if err == nil && n == 0.0 {
				return nil, errDropGroup
			}
			return n, err
		})
	}
	return c.countOne(t, v)
}

func (c *evalCtx) countOne(t *Term, v any) (any, error) {
	if s, ok := v.(*SingleSelection); ok {
		v = nilIfEmpty(s.doc)
	}
	if len(t.Args) == 1 {
		switch x := v.(type) {
		case string:
			return float64(runeCount(x)), nil
		case map[string]any:
			if isPtype(x, "BINARY") {
				return float64(len(binaryBytes(x))), nil
			}
			if x[reqlTypeField] == nil {
				return float64(len(x)), nil
			}
		case []any:
			return float64(len(x)), nil
		case *Table:
			n, err := x.store.Count(c.ctx)
			return float64(n), err
		}
	}
	sv, err := c.asSeq(v, t.Args[0])
	if err != nil {
		return nil, err
	}
	match := func(any) (bool, error) { return true, nil }
	if len(t.Args) == 2 {
		pv, err := c.eval(t.Args[1])
		if err != nil {
			sv.close()
			return nil, err
		}
		if f, ok := pv.(*Func); ok {
			p := &filterPred{fn: &reqlFn{f: f}, pattern: f.body.Type == TermMakeObj || f.body.Type == TermDatum}
			match = func(e any) (bool, error) { return c.test(p, e) }
		} else {
			want, err := c.toDatum(pv, t.Args[1])
			if err != nil {
				sv.close()
				return nil, err
			}
			match = func(e any) (bool, error) { return datumEq(e, want), nil }
		}
	}
	n := 0
	err = c.each(sv, true, func(e any) (bool, error) {
		ok, err := match(e)
		if ok {
			n++
		}
		return err != nil, err
	})
	return float64(n), err
}

// ---------------------------------------------------------------------------
// GROUP and UNGROUP.

func evalGroup(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	var fns []*reqlFn
	groupByMultiIndex := false // grouping by a multi index groups by each value
	for _, a := range t.Args[1:] {
		fn, err := c.evalFn(a, fieldShortcut)
		if err != nil {
			return nil, err
		}
		fns = append(fns, fn)
	}
	if it, ok := t.Optargs["index"]; ok {
		idx, err := c.evalString(it)
		if err != nil {
			return nil, err
		}
		tbl, ok := v.(*Table)
		if !ok {
			return nil, typeErr("TABLE", v, t.Args[0])
		}
		if idx != tbl.store.Config().PrimaryKey {
			ix, f, err := c.secondaryIndex(tbl, idx)
			if err != nil {
				return nil, err
			}
			fns = append(fns, &reqlFn{f: f})
			groupByMultiIndex = ix.Multi
		} else {
			fns = append(fns, &reqlFn{shortcut: fieldShortcut, val: idx})
		}
	}
	if len(fns) == 0 {
		return nil, newErr(ErrQueryLogic, "Cannot group by nothing.")
	}
	multi := groupByMultiIndex
	if mt, ok := t.Optargs["multi"]; ok {
		if multi, err = c.evalBool(mt); err != nil {
			return nil, err
		}
	}
	sv, err := c.asSeq(v, t.Args[0])
	if err != nil {
		return nil, err
	}
	type group struct {
		key  any
		vals []any
	}
	byKey := map[string]*group{}
	var order []*group
	limit := c.arrayLimit()
	add := func(key, e any) error {
		k := setKey(key)
		g, ok := byKey[k]
		if !ok {
			if len(order) >= limit {
				return newErr(ErrResourceLimit, "Too many groups (> %d).", limit)
			}
			g = &group{key: key}
			byKey[k] = g
			order = append(order, g)
		}
		g.vals = append(g.vals, e)
		return nil
	}
	err = c.each(sv, true, func(e any) (bool, error) {
		keys := make([]any, len(fns))
		for i, fn := range fns {
			r, err := c.apply(fn, e)
			if err != nil {
				if !isNonExistence(err) {
					return true, err
				}
				r = nil
			}
			keys[i] = r
		}
		if !multi {
			if len(keys) == 1 {
				return false, add(keys[0], e)
			}
			return false, add(keys, e)
		}
		return false, addPerms(keys, len(fns) == 1, func(key any) error { return add(key, e) })
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(order, func(i, j int) bool { return compareDatums(order[i].key, order[j].key) < 0 })
	out := &groupedData{stream: true, limit: limit, groups: make([]groupEntry, len(order))}
	for i, g := range order {
		out.groups[i] = groupEntry{key: g.key, val: g.vals}
	}
	return out, nil
}

// addPerms calls add for every combination of the keys, where array keys
// stand for each of their elements (an empty array for null), as `multi`
// grouping does.
func addPerms(keys []any, single bool, add func(key any) error) error {
	choices := make([][]any, len(keys))
	for i, k := range keys {
		if arr, ok := k.([]any); ok {
			if len(arr) == 0 {
				choices[i] = []any{nil}
			} else {
				choices[i] = arr
			}
		} else {
			choices[i] = []any{k}
		}
	}
	inst := make([]any, 0, len(keys))
	var rec func(i int) error
	rec = func(i int) error {
		if i == len(choices) {
			if single {
				return add(inst[0])
			}
			key := make([]any, len(inst))
			copy(key, inst)
			return add(key)
		}
		for _, ch := range choices[i] {
			inst = append(inst, ch)
			if err := rec(i + 1); err != nil {
				return err
			}
			inst = inst[:len(inst)-1]
		}
		return nil
	}
	return rec(0)
}

func evalUngroup(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	g, ok := v.(*groupedData)
	if !ok {
		name := typeName(v)
		if _, isStream := v.(Stream); isStream {
			name = "SEQUENCE"
		}
		return nil, withBacktrace(newErr(ErrQueryLogic, "Expected type GROUPED_DATA but found %s.", name), t.Args[0].bt)
	}
	out := make([]any, len(g.groups))
	for i, e := range g.groups {
		out[i] = map[string]any{"group": e.key, "reduction": e.val}
	}
	return out, nil
}
