package reql

import (
	"encoding/json"
	"math"
)

// Arrays: APPEND, PREPEND, DIFFERENCE, SET_INSERT, SET_UNION,
// SET_INTERSECTION, SET_DIFFERENCE, INSERT_AT, DELETE_AT, CHANGE_AT,
// SPLICE_AT. Every result is a new array; the arguments are never changed.

func init() {
	register(TermAppend, spec{minArgs: 2, maxArgs: 2, eval: evalAppend})
	register(TermPrepend, spec{minArgs: 2, maxArgs: 2, eval: evalPrepend})
	register(TermDifference, spec{minArgs: 2, maxArgs: 2, eval: evalDifference})
	register(TermSetInsert, spec{minArgs: 2, maxArgs: 2, eval: evalSetInsert})
	register(TermSetUnion, spec{minArgs: 2, maxArgs: 2, eval: evalSetUnion})
	register(TermSetIntersection, spec{minArgs: 2, maxArgs: 2, eval: evalSetIntersection})
	register(TermSetDifference, spec{minArgs: 2, maxArgs: 2, eval: evalSetDifference})
	register(TermInsertAt, spec{minArgs: 3, maxArgs: 3, eval: evalInsertAt})
	register(TermDeleteAt, spec{minArgs: 2, maxArgs: 3, eval: evalDeleteAt})
	register(TermChangeAt, spec{minArgs: 3, maxArgs: 3, eval: evalChangeAt})
	register(TermSpliceAt, spec{minArgs: 3, maxArgs: 3, eval: evalSpliceAt})
}

// arrayAndDatum evaluates an array argument and a datum argument.
func (c *evalCtx) arrayAndDatum(t *Term) ([]any, any, error) {
	arr, err := c.evalArray(t.Args[0])
	if err != nil {
		return nil, nil, err
	}
	d, err := c.evalDatum(t.Args[1])
	if err != nil {
		return nil, nil, err
	}
	return arr, d, nil
}

func (c *evalCtx) checkArraySize(n int) error {
	if n > c.arrayLimit() {
		return c.errArrayLimit()
	}
	return nil
}

func evalAppend(c *evalCtx, t *Term) (any, error) {
	arr, d, err := c.arrayAndDatum(t)
	if err != nil {
		return nil, err
	}
	if err := c.checkArraySize(len(arr) + 1); err != nil {
		return nil, err
	}
	out := make([]any, 0, len(arr)+1)
	return append(append(out, arr...), d), nil
}

func evalPrepend(c *evalCtx, t *Term) (any, error) {
	arr, d, err := c.arrayAndDatum(t)
	if err != nil {
		return nil, err
	}
	if err := c.checkArraySize(len(arr) + 1); err != nil {
		return nil, err
	}
	out := make([]any, 0, len(arr)+1)
	return append(append(out, d), arr...), nil
}

// datumSet is a set of datums under ReQL equality.
type datumSet map[string]struct{}

// setKey is a datum's identity under ReQL equality: its JSON with object
// keys sorted, -0 as 0, and times by their instant only.
func setKey(v any) string {
	b, err := json.Marshal(normalizeForKey(v))
	if err != nil {
		return printDatum(v)
	}
	return string(b)
}

func normalizeForKey(v any) any {
	switch x := v.(type) {
	case float64:
		if x == 0 {
			return 0.0
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return formatNumber(x)
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeForKey(e)
		}
		return out
	case map[string]any:
		if x[reqlTypeField] == "TIME" {
			return map[string]any{reqlTypeField: "TIME", "epoch_time": normalizeForKey(x["epoch_time"])}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeForKey(e)
		}
		return out
	}
	return v
}

// add inserts v and reports whether it was new.
func (s datumSet) add(v any) bool {
	k := setKey(v)
	if _, ok := s[k]; ok {
		return false
	}
	s[k] = struct{}{}
	return true
}

func (s datumSet) has(v any) bool { _, ok := s[setKey(v)]; return ok }

func (s datumSet) remove(v any) { delete(s, setKey(v)) }

func evalSetInsert(c *evalCtx, t *Term) (any, error) {
	arr, d, err := c.arrayAndDatum(t)
	if err != nil {
		return nil, err
	}
	set := datumSet{}
	out := []any{}
	for _, e := range arr {
		if set.add(e) {
			out = append(out, e)
		}
	}
	if !set.has(d) {
		out = append(out, d)
	}
	return out, c.checkArraySize(len(out))
}

func (c *evalCtx) twoArrays(t *Term) ([]any, []any, error) {
	a, err := c.evalArray(t.Args[0])
	if err != nil {
		return nil, nil, err
	}
	b, err := c.evalArray(t.Args[1])
	if err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

func evalSetUnion(c *evalCtx, t *Term) (any, error) {
	a, b, err := c.twoArrays(t)
	if err != nil {
		return nil, err
	}
	set := datumSet{}
	out := []any{}
	for _, arr := range [][]any{a, b} {
		for _, e := range arr {
			if set.add(e) {
				out = append(out, e)
			}
		}
	}
	return out, c.checkArraySize(len(out))
}

func evalSetIntersection(c *evalCtx, t *Term) (any, error) {
	a, b, err := c.twoArrays(t)
	if err != nil {
		return nil, err
	}
	set := datumSet{}
	for _, e := range a {
		set.add(e)
	}
	out := []any{}
	for _, e := range b {
		if set.has(e) {
			out = append(out, e)
			set.remove(e)
		}
	}
	return out, nil
}

func evalSetDifference(c *evalCtx, t *Term) (any, error) {
	a, b, err := c.twoArrays(t)
	if err != nil {
		return nil, err
	}
	set := datumSet{}
	for _, e := range b {
		set.add(e)
	}
	out := []any{}
	for _, e := range a {
		if set.add(e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// evalDifference is RethinkDB's rewrite seq.filter(x => !arr.contains(x)):
// the first argument may be any sequence, the second is read when the
// first element is tested.
func evalDifference(c *evalCtx, t *Term) (any, error) {
	sv, err := c.evalSeq(t.Args[0])
	if err != nil {
		return nil, err
	}
	var set datumSet
	return c.transform(sv, t, false, func(v any, emit func(any) error) error {
		if set == nil {
			other, err := c.evalSeq(t.Args[1])
			if err != nil {
				return err
			}
			items, err := c.collect(other)
			if err != nil {
				return err
			}
			set = datumSet{}
			for _, e := range items {
				set.add(e)
			}
		}
		if set.has(v) {
			return nil
		}
		return emit(v)
	})
}

// atIndex canonicalizes INSERT_AT/SPLICE_AT/DELETE_AT/CHANGE_AT indexes;
// size is the number of elements or, for insertions, of gaps.
func atIndex(index int64, size int) (int, error) {
	real, oob := canonicalize(index, int64(size))
	if oob {
		return 0, newErr(ErrNonExistence, "Index out of bounds: %d", index)
	}
	if real > math.MaxInt32 {
		real = math.MaxInt32
	}
	return int(real), nil
}

func errIndexOOB(index, size int) error {
	return newErr(ErrNonExistence, "Index `%d` out of bounds for array of size: `%d`.", index, size)
}

// arrayAndIndex evaluates the array and index arguments of the *_AT terms.
func (c *evalCtx) arrayAndIndex(t *Term, gaps bool) ([]any, int, error) {
	arr, err := c.evalArray(t.Args[0])
	if err != nil {
		return nil, 0, err
	}
	if err := c.checkArraySize(len(arr)); err != nil {
		return nil, 0, err
	}
	n, err := c.evalInt(t.Args[1])
	if err != nil {
		return nil, 0, err
	}
	size := len(arr)
	if gaps {
		size++
	}
	i, err := atIndex(n, size)
	return arr, i, err
}

func evalInsertAt(c *evalCtx, t *Term) (any, error) {
	arr, i, err := c.arrayAndIndex(t, true)
	if err != nil {
		return nil, err
	}
	d, err := c.evalDatum(t.Args[2])
	if err != nil {
		return nil, err
	}
	if i > len(arr) {
		return nil, errIndexOOB(i, len(arr))
	}
	if err := c.checkArraySize(len(arr) + 1); err != nil {
		return nil, err
	}
	out := make([]any, 0, len(arr)+1)
	out = append(out, arr[:i]...)
	out = append(out, d)
	return append(out, arr[i:]...), nil
}

func evalSpliceAt(c *evalCtx, t *Term) (any, error) {
	arr, i, err := c.arrayAndIndex(t, true)
	if err != nil {
		return nil, err
	}
	ins, err := c.evalArray(t.Args[2])
	if err != nil {
		return nil, err
	}
	if i > len(arr) {
		return nil, errIndexOOB(i, len(arr))
	}
	if err := c.checkArraySize(len(arr) + len(ins)); err != nil {
		return nil, err
	}
	out := make([]any, 0, len(arr)+len(ins))
	out = append(out, arr[:i]...)
	out = append(out, ins...)
	return append(out, arr[i:]...), nil
}

func evalDeleteAt(c *evalCtx, t *Term) (any, error) {
	arr, start, err := c.arrayAndIndex(t, false)
	if err != nil {
		return nil, err
	}
	end := start + 1
	if len(t.Args) == 3 {
		n, err := c.evalInt(t.Args[2])
		if err != nil {
			return nil, err
		}
		if end, err = atIndex(n, len(arr)); err != nil {
			return nil, err
		}
		if start > len(arr) {
			return nil, errIndexOOB(start, len(arr))
		}
		if end > len(arr) {
			return nil, errIndexOOB(end, len(arr))
		}
		if start > end {
			return nil, newErr(ErrQueryLogic, "Start index `%d` is greater than end index `%d`.", start, end)
		}
	} else if start >= len(arr) {
		return nil, errIndexOOB(start, len(arr))
	}
	out := make([]any, 0, len(arr)-(end-start))
	out = append(out, arr[:start]...)
	return append(out, arr[end:]...), nil
}

func evalChangeAt(c *evalCtx, t *Term) (any, error) {
	arr, i, err := c.arrayAndIndex(t, false)
	if err != nil {
		return nil, err
	}
	d, err := c.evalDatum(t.Args[2])
	if err != nil {
		return nil, err
	}
	if i >= len(arr) {
		return nil, errIndexOOB(i, len(arr))
	}
	out := make([]any, len(arr))
	copy(out, arr)
	out[i] = d
	return out, nil
}
