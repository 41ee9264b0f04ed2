package reql

import "maps"

// Functions and variables: FUNC, VAR, FUNCALL.

func init() {
	register(TermFunc, spec{minArgs: 2, maxArgs: 2, eval: evalFunc})
	register(TermVar, spec{minArgs: 1, maxArgs: 1, eval: evalVar})
	register(TermFuncall, spec{minArgs: 1, maxArgs: -1, eval: evalFuncall})
	// ARGS is spliced into its parent's arguments (see spliceArgs); alone it
	// is an error, as in RethinkDB.
	register(TermArgs, spec{minArgs: 1, maxArgs: 1, eval: func(*evalCtx, *Term) (any, error) {
		return nil, newErr(ErrQueryLogic, "r.args is not legal here; it may only be an argument of another term.")
	}})
	// IMPLICIT_VAR is rewritten to VAR by the compiler (see implicitVar).
	register(TermImplicitVar, spec{minArgs: 0, maxArgs: 0, eval: func(*evalCtx, *Term) (any, error) {
		return nil, newErr(ErrInternal, "IMPLICIT_VAR reached the evaluator.")
	}})
}

func evalFunc(c *evalCtx, t *Term) (any, error) {
	params, err := c.evalDatum(t.Args[0])
	if err != nil {
		return nil, err
	}
	list, ok := params.([]any)
	if !ok {
		return nil, newErr(ErrQueryLogic, "Expected type ARRAY but found %s.", typeName(params))
	}
	f := &Func{body: t.Args[1], scope: c.scope}
	for _, p := range list {
		n, ok := p.(float64)
		if !ok {
			return nil, newErr(ErrQueryLogic, "Expected type NUMBER but found %s.", typeName(p))
		}
		f.params = append(f.params, int(n))
	}
	return f, nil
}

func evalVar(c *evalCtx, t *Term) (any, error) {
	id, err := c.evalDatum(t.Args[0])
	if err != nil {
		return nil, err
	}
	n, ok := id.(float64)
	if !ok {
		return nil, newErr(ErrQueryLogic, "Expected type NUMBER but found %s.", typeName(id))
	}
	v, ok := c.scope[int(n)]
	if !ok {
		return nil, newErr(ErrQueryLogic, "Unrecognized variable %d.", int(n))
	}
	return v, nil
}

func evalFuncall(c *evalCtx, t *Term) (any, error) {
	fv, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	f, ok := fv.(*Func)
	if !ok {
		return nil, newErr(ErrQueryLogic, "Expected type FUNCTION but found %s.", typeName(fv))
	}
	args := make([]any, 0, len(t.Args)-1)
	for _, a := range t.Args[1:] {
		v, err := c.evalDatum(a)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	return c.call(f, args...)
}

// call applies f to args in a scope extending the one f captured.
func (c *evalCtx) call(f *Func, args ...any) (any, error) {
	// A function without parameters ignores its arguments, as in RethinkDB.
	if len(f.params) != len(args) && len(f.params) > 0 {
		return nil, newErr(ErrQueryLogic, "Expected function with %d argument%s but found function with %d argument%s.",
			len(args), plural(len(args)), len(f.params), plural(len(f.params)))
	}
	scope := maps.Clone(f.scope)
	if scope == nil {
		scope = map[int]any{}
	}
	for i, p := range f.params {
		scope[p] = args[i]
	}
	saved := c.scope
	c.scope = scope
	defer func() { c.scope = saved }()
	v, err := c.eval(f.body)
	if err != nil {
		return nil, err
	}
	return c.toDatum(v, f.body)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
