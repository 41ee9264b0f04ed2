package reql

import "errors"

// Control and logic: BRANCH, OR, AND, NOT, DEFAULT, ERROR (RethinkDB's
// control.cc, pred.cc and error.cc).

func init() {
	register(TermBranch, spec{minArgs: 3, maxArgs: -1, eval: evalBranch})
	register(TermOr, spec{minArgs: 0, maxArgs: -1, eval: evalOr})
	register(TermAnd, spec{minArgs: 0, maxArgs: -1, eval: evalAnd})
	register(TermNot, spec{minArgs: 1, maxArgs: 1, eval: evalNot})
	register(TermDefault, spec{minArgs: 2, maxArgs: 2, eval: evalDefault})
	register(TermError, spec{minArgs: 0, maxArgs: 1, eval: evalError})
}

// evalBranch is r.branch(c1, v1, c2, v2, ..., else): the value of the first
// true condition, else the last argument. Only the chosen value is evaluated.
func evalBranch(c *evalCtx, t *Term) (any, error) {
	if len(t.Args)%2 == 0 {
		return nil, coreErr(t, "Cannot call `branch` term with an even number of arguments.")
	}
	for i := 0; i+1 < len(t.Args); i += 2 {
		b, err := c.coreTruthy(t.Args[i])
		if err != nil {
			return nil, err
		}
		if b {
			return c.eval(t.Args[i+1])
		}
	}
	return c.eval(t.Args[len(t.Args)-1])
}

// evalOr returns the first true argument (unevaluated after it), else false.
func evalOr(c *evalCtx, t *Term) (any, error) {
	for _, a := range t.Args {
		v, err := c.eval(a)
		if err != nil {
			return nil, err
		}
		b, err := c.coreValueTruthy(v, a)
		if err != nil {
			return nil, err
		}
		if b {
			return v, nil
		}
	}
	return false, nil
}

// evalAnd returns the first false argument (unevaluated after it), else the
// last argument; r.and() is true.
func evalAnd(c *evalCtx, t *Term) (any, error) {
	var last any = true
	for _, a := range t.Args {
		v, err := c.eval(a)
		if err != nil {
			return nil, err
		}
		b, err := c.coreValueTruthy(v, a)
		if err != nil {
			return nil, err
		}
		last = v
		if !b {
			break
		}
	}
	return last, nil
}

func evalNot(c *evalCtx, t *Term) (any, error) {
	b, err := c.coreTruthy(t.Args[0])
	if err != nil {
		return nil, err
	}
	return !b, nil
}

// coreEmptyErrorMsg is the message of r.error() outside a default block.
const coreEmptyErrorMsg = "Empty ERROR term outside a default block."

// coreEmptyUserError is the error of r.error() with no argument (RethinkDB's
// EMPTY_USER class): a USER error to the client, which DEFAULT recognises to
// rethrow the error it caught (or return the null it got).
type coreEmptyUserError struct{ err *Error }

func (e *coreEmptyUserError) Error() string { return e.err.Msg }
func (e *coreEmptyUserError) Unwrap() error { return e.err }

func evalError(c *evalCtx, t *Term) (any, error) {
	if len(t.Args) == 0 {
		return nil, &coreEmptyUserError{err: newErr(ErrUser, coreEmptyErrorMsg)}
	}
	msg, err := c.coreString(t.Args[0])
	if err != nil {
		return nil, err
	}
	return nil, newErr(ErrUser, "%s", msg)
}

// evalDefault is x.default(d): d (or d(message)) when x is null or fails
// with a NON_EXISTENCE error; other errors pass through.
func evalDefault(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	var funcArg any
	var caught error
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindRuntime || e.Type != ErrNonExistence {
			return nil, err
		}
		caught, funcArg = err, e.Msg
	} else {
		switch x := v.(type) {
		case *SingleSelection:
			if x.doc != nil {
				return v, nil
			}
		case nil:
		default:
			// Any other value, datum or not, is returned as is.
			return v, nil
		}
	}
	def, err := c.eval(t.Args[1])
	if err == nil {
		if f, ok := def.(*Func); ok {
			def, err = c.call(f, funcArg)
		}
	}
	if err != nil {
		var empty *coreEmptyUserError
		if errors.As(err, &empty) {
			if caught != nil {
				return nil, caught
			}
			return v, nil
		}
		return nil, err
	}
	return def, nil
}
