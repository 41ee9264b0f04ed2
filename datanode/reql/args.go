package reql

// Argument helpers shared by every term family. Each evaluates a term and
// checks its type with RethinkDB's message ("Expected type X but found Y.")
// and the argument's backtrace.

// typeErr is "Expected type X but found Y.": NON_EXISTENCE when the value
// found is null (so that DEFAULT catches it), QUERY_LOGIC otherwise.
func typeErr(want string, v any, t *Term) error {
	return coreTypeErr(want, v, t)
}

func (c *evalCtx) evalNumber(t *Term) (float64, error) {
	v, err := c.evalDatum(t)
	if err != nil {
		return 0, err
	}
	n, ok := v.(float64)
	if !ok {
		return 0, typeErr("NUMBER", v, t)
	}
	return n, nil
}

// evalInt evaluates an integer argument ("Number not an integer: 1.5").
func (c *evalCtx) evalInt(t *Term) (int64, error) {
	n, err := c.evalNumber(t)
	if err != nil {
		return 0, err
	}
	return asInt(n, t)
}

func asInt(n float64, t *Term) (int64, error) {
	return coreAsInt(n, t)
}

func (c *evalCtx) evalBool(t *Term) (bool, error) {
	v, err := c.evalDatum(t)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, typeErr("BOOL", v, t)
	}
	return b, nil
}

func (c *evalCtx) evalArray(t *Term) ([]any, error) {
	v, err := c.evalDatum(t)
	if err != nil {
		return nil, err
	}
	a, ok := v.([]any)
	if !ok {
		return nil, typeErr("ARRAY", v, t)
	}
	return a, nil
}

func (c *evalCtx) evalObject(t *Term) (map[string]any, error) {
	v, err := c.evalDatum(t)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok || m[reqlTypeField] != nil {
		return nil, typeErr("OBJECT", v, t)
	}
	return m, nil
}

// evalFunc evaluates a function argument. A non-function datum is accepted
// where RethinkDB accepts one in place of a function (it becomes a constant
// function) only if constOK is set.
func (c *evalCtx) evalFunc(t *Term, constOK bool) (*Func, any, error) {
	v, err := c.eval(t)
	if err != nil {
		return nil, nil, err
	}
	if f, ok := v.(*Func); ok {
		return f, nil, nil
	}
	if !constOK {
		return nil, nil, typeErr("FUNCTION", v, t)
	}
	d, err := c.toDatum(v, t)
	return nil, d, err
}

// checkFinite rejects NaN and infinities as RethinkDB does.
func checkFinite(n float64) (float64, error) {
	if _, err := coreFinite(n); err != nil {
		return 0, err
	}
	return n, nil
}
