package reql

import "math"

// Math and comparison: ADD, SUB, MUL, DIV, MOD, FLOOR, CEIL, ROUND,
// BIT_AND/OR/XOR/NOT/SAL/SAR, EQ, NE, LT, LE, GT, GE (RethinkDB's arith.cc
// and pred.cc).

func init() {
	register(TermAdd, spec{minArgs: 1, maxArgs: -1, eval: coreArith(coreAdd)})
	register(TermSub, spec{minArgs: 1, maxArgs: -1, eval: coreArith(coreSub)})
	register(TermMul, spec{minArgs: 1, maxArgs: -1, eval: coreArith(coreMul)})
	register(TermDiv, spec{minArgs: 1, maxArgs: -1, eval: coreArith(coreDiv)})
	register(TermMod, spec{minArgs: 2, maxArgs: 2, eval: evalMod})
	register(TermFloor, spec{minArgs: 1, maxArgs: 1, eval: coreRounding(math.Floor)})
	register(TermCeil, spec{minArgs: 1, maxArgs: 1, eval: coreRounding(math.Ceil)})
	register(TermRound, spec{minArgs: 1, maxArgs: 1, eval: coreRounding(math.Round)})
	register(TermBitAnd, spec{minArgs: 1, maxArgs: -1, eval: coreBitArith(func(a, b int64) int64 { return a & b })})
	register(TermBitOr, spec{minArgs: 1, maxArgs: -1, eval: coreBitArith(func(a, b int64) int64 { return a | b })})
	register(TermBitXor, spec{minArgs: 1, maxArgs: -1, eval: coreBitArith(func(a, b int64) int64 { return a ^ b })})
	register(TermBitNot, spec{minArgs: 1, maxArgs: 1, eval: evalBitNot})
	register(TermBitSal, spec{minArgs: 2, maxArgs: 2, eval: coreBitShift(coreSal)})
	register(TermBitSar, spec{minArgs: 2, maxArgs: 2, eval: coreBitShift(coreSar)})
	register(TermEq, spec{minArgs: 2, maxArgs: -1, eval: coreCompare(func(c int) bool { return c == 0 }, false)})
	register(TermNe, spec{minArgs: 2, maxArgs: -1, eval: coreCompare(func(c int) bool { return c == 0 }, true)})
	register(TermLt, spec{minArgs: 2, maxArgs: -1, eval: coreCompare(func(c int) bool { return c < 0 }, false)})
	register(TermLe, spec{minArgs: 2, maxArgs: -1, eval: coreCompare(func(c int) bool { return c <= 0 }, false)})
	register(TermGt, spec{minArgs: 2, maxArgs: -1, eval: coreCompare(func(c int) bool { return c > 0 }, false)})
	register(TermGe, spec{minArgs: 2, maxArgs: -1, eval: coreCompare(func(c int) bool { return c >= 0 }, false)})
}

// coreArithOp combines the accumulator (from args[:i]) with args[i]; lt and
// rt are the terms the two values came from, for error backtraces.
type coreArithOp func(c *evalCtx, lhs, rhs any, lt, rt *Term) (any, error)

// coreArith folds a variadic arithmetic term left to right.
func coreArith(op coreArithOp) func(c *evalCtx, t *Term) (any, error) {
	return func(c *evalCtx, t *Term) (any, error) {
		acc, err := c.evalDatum(t.Args[0])
		if err != nil {
			return nil, err
		}
		accTerm := t.Args[0]
		for _, a := range t.Args[1:] {
			rhs, err := c.evalDatum(a)
			if err != nil {
				return nil, err
			}
			if acc, err = op(c, acc, rhs, accTerm, a); err != nil {
				return nil, withBacktrace(err, t.bt)
			}
			accTerm = t
		}
		return acc, nil
	}
}

func coreAdd(c *evalCtx, lhs, rhs any, lt, rt *Term) (any, error) {
	if isPtype(lhs, "TIME") || isPtype(rhs, "TIME") {
		return coreTimeAdd(lhs, rhs, lt, rt)
	}
	switch x := lhs.(type) {
	case float64:
		y, ok := rhs.(float64)
		if !ok {
			return nil, coreTypeErr("NUMBER", rhs, rt)
		}
		return coreFinite(x + y)
	case string:
		y, ok := rhs.(string)
		if !ok {
			return nil, coreTypeErr("STRING", rhs, rt)
		}
		return x + y, nil
	case []any:
		y, ok := rhs.([]any)
		if !ok {
			return nil, coreTypeErr("ARRAY", rhs, rt)
		}
		if len(x)+len(y) > c.arrayLimit() {
			return nil, newErr(ErrResourceLimit, "Array over size limit `%d`.", c.arrayLimit())
		}
		out := make([]any, 0, len(x)+len(y))
		return append(append(out, x...), y...), nil
	}
	return nil, coreTypeErr("NUMBER", lhs, lt)
}

func coreSub(_ *evalCtx, lhs, rhs any, lt, rt *Term) (any, error) {
	if isPtype(lhs, "TIME") {
		return coreTimeSub(lhs.(map[string]any), rhs, rt)
	}
	x, ok := lhs.(float64)
	if !ok {
		return nil, coreTypeErr("NUMBER", lhs, lt)
	}
	y, ok := rhs.(float64)
	if !ok {
		return nil, coreTypeErr("NUMBER", rhs, rt)
	}
	return coreFinite(x - y)
}

func coreMul(c *evalCtx, lhs, rhs any, lt, rt *Term) (any, error) {
	arr, isArr := lhs.([]any)
	num, numTerm := rhs, rt
	if !isArr {
		if arr, isArr = rhs.([]any); isArr {
			num, numTerm = lhs, lt
		}
	}
	if isArr {
		f, ok := num.(float64)
		if !ok {
			return nil, coreTypeErr("NUMBER", num, numTerm)
		}
		n, err := coreAsInt(f, numTerm)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, newErr(ErrQueryLogic, "Cannot multiply an ARRAY by a negative number.")
		}
		if len(arr) > 0 && n > int64(c.arrayLimit()/len(arr)) {
			return nil, newErr(ErrResourceLimit, "Array over size limit `%d`.", c.arrayLimit())
		}
		out := make([]any, 0, int(n)*len(arr))
		for i := int64(0); i < n; i++ {
			out = append(out, arr...)
		}
		return out, nil
	}
	x, ok := lhs.(float64)
	if !ok {
		return nil, coreTypeErr("NUMBER", lhs, lt)
	}
	y, ok := rhs.(float64)
	if !ok {
		return nil, coreTypeErr("NUMBER", rhs, rt)
	}
	return coreFinite(x * y)
}

func coreDiv(_ *evalCtx, lhs, rhs any, lt, rt *Term) (any, error) {
	x, ok := lhs.(float64)
	if !ok {
		return nil, coreTypeErr("NUMBER", lhs, lt)
	}
	y, ok := rhs.(float64)
	if !ok {
		return nil, coreTypeErr("NUMBER", rhs, rt)
	}
	if y == 0 {
		return nil, newErr(ErrQueryLogic, "Cannot divide by zero.")
	}
	return coreFinite(x / y)
}

// coreTimeEpoch reads a TIME's epoch_time.
func coreTimeEpoch(m map[string]any) float64 {
	f, _ := m["epoch_time"].(float64)
	return f
}

// coreTimeWithEpoch is a copy of the TIME m at another instant, rounded to
// RethinkDB's millisecond precision.
func coreTimeWithEpoch(m map[string]any, epoch float64) (any, error) {
	epoch = math.Round(epoch*1000) / 1000
	if _, err := coreFinite(epoch); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	out["epoch_time"] = epoch
	return out, nil
}

// coreTimeAdd is TIME + NUMBER (either order): a TIME moved by that many
// seconds, with the time zone of the TIME.
func coreTimeAdd(lhs, rhs any, lt, rt *Term) (any, error) {
	tm, dur, durTerm := lhs, rhs, rt
	if !isPtype(lhs, "TIME") {
		tm, dur, durTerm = rhs, lhs, lt
	}
	d, ok := dur.(float64)
	if !ok {
		return nil, coreTypeErr("NUMBER", dur, durTerm)
	}
	m := tm.(map[string]any)
	return coreTimeWithEpoch(m, coreTimeEpoch(m)+d)
}

// coreTimeSub is TIME - NUMBER (a TIME) or TIME - TIME (seconds between).
func coreTimeSub(tm map[string]any, rhs any, rt *Term) (any, error) {
	if other, ok := rhs.(map[string]any); ok && isPtype(other, "TIME") {
		return coreFinite(math.Round((coreTimeEpoch(tm)-coreTimeEpoch(other))*1000) / 1000)
	}
	d, ok := rhs.(float64)
	if !ok {
		return nil, coreTypeErr("NUMBER", rhs, rt)
	}
	return coreTimeWithEpoch(tm, coreTimeEpoch(tm)-d)
}

func evalMod(c *evalCtx, t *Term) (any, error) {
	a, err := c.coreInteger(t.Args[0])
	if err != nil {
		return nil, err
	}
	b, err := c.coreInteger(t.Args[1])
	if err != nil {
		return nil, err
	}
	if b == 0 {
		return nil, coreErr(t, "Cannot take a number modulo 0.")
	}
	return float64(a % b), nil
}

func coreRounding(f func(float64) float64) func(c *evalCtx, t *Term) (any, error) {
	return func(c *evalCtx, t *Term) (any, error) {
		n, err := c.coreNumber(t.Args[0])
		if err != nil {
			return nil, err
		}
		return f(n), nil
	}
}

// coreBitInt evaluates an operand of a bitwise term: an integer in
// [-2^53, 2^53).
func (c *evalCtx) coreBitInt(a *Term, t *Term) (int64, error) {
	n, err := c.coreInteger(a)
	if err != nil {
		return 0, err
	}
	if n >= coreMaxDblInt {
		return 0, coreErr(t, "Integer too large: %d", n)
	}
	return n, nil
}

func coreBitArith(op func(a, b int64) int64) func(c *evalCtx, t *Term) (any, error) {
	return func(c *evalCtx, t *Term) (any, error) {
		acc, err := c.coreBitInt(t.Args[0], t)
		if err != nil {
			return nil, err
		}
		for _, a := range t.Args[1:] {
			n, err := c.coreBitInt(a, t)
			if err != nil {
				return nil, err
			}
			acc = op(acc, n)
		}
		return float64(acc), nil
	}
}

func evalBitNot(c *evalCtx, t *Term) (any, error) {
	n, err := c.coreBitInt(t.Args[0], t)
	if err != nil {
		return nil, err
	}
	return float64(^n), nil
}

func coreBitShift(op func(a, b int64) float64) func(c *evalCtx, t *Term) (any, error) {
	return func(c *evalCtx, t *Term) (any, error) {
		a, err := c.coreBitInt(t.Args[0], t)
		if err != nil {
			return nil, err
		}
		b, err := c.coreInteger(t.Args[1])
		if err != nil {
			return nil, err
		}
		if b < 0 {
			return nil, coreErr(t, "Cannot bit-shift by a negative value")
		}
		f, err := coreFinite(op(a, b))
		if err != nil {
			return nil, withBacktrace(err, t.bt)
		}
		return f, nil
	}
}

// coreSal is a * 2^b as a double (overflowing to infinity, which is then
// rejected), as RethinkDB computes it with ldexp.
func coreSal(a, b int64) float64 {
	if b >= 4096 {
		if a == 0 {
			return 0
		}
		return math.Inf(int(a))
	}
	return math.Ldexp(float64(a), int(b))
}

// coreSar is an arithmetic right shift.
func coreSar(a, b int64) float64 {
	if b > 63 {
		if a < 0 {
			return -1
		}
		return 0
	}
	return float64(a >> uint(b))
}

// coreCompare is a variadic comparison: true when pred holds for every pair
// of neighbours (NE is "not all equal").
func coreCompare(pred func(int) bool, invert bool) func(c *evalCtx, t *Term) (any, error) {
	return func(c *evalCtx, t *Term) (any, error) {
		lhs, err := c.coreComparable(t.Args[0])
		if err != nil {
			return nil, err
		}
		for _, a := range t.Args[1:] {
			rhs, err := c.coreComparable(a)
			if err != nil {
				return nil, err
			}
			if !pred(compareDatums(lhs, rhs)) {
				return invert, nil
			}
			lhs = rhs
		}
		return !invert, nil
	}
}

// coreComparable evaluates an operand of a comparison: a datum (r.minval and
// r.maxval included).
func (c *evalCtx) coreComparable(t *Term) (any, error) {
	v, err := c.eval(t)
	if err != nil {
		return nil, err
	}
	if err := coreNotDatumErr(v, t); err != nil {
		return nil, err
	}
	return c.toDatum(v, t)
}
