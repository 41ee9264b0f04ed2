package reql

// Datum construction: DATUM, MAKE_ARRAY, MAKE_OBJ.

func init() {
	register(TermDatum, spec{eval: evalDatumTerm})
	register(TermMakeArray, spec{minArgs: 0, maxArgs: -1, eval: evalMakeArray})
	register(TermMakeObj, spec{anyOptargs: true, eval: evalMakeObj})
}

// evalDatumTerm returns a copy of the literal datum; pseudo-types sent by
// drivers (times) are validated as RethinkDB does.
func evalDatumTerm(_ *evalCtx, t *Term) (any, error) {
	return tmSanitizeDatum(cloneDatum(t.Datum))
}

func evalMakeArray(c *evalCtx, t *Term) (any, error) {
	if len(t.Args) > c.arrayLimit() {
		return nil, newErr(ErrResourceLimit, "Array over size limit `%d`.", c.arrayLimit())
	}
	out := make([]any, 0, len(t.Args))
	for _, a := range t.Args {
		v, err := c.evalDatum(a)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func evalMakeObj(c *evalCtx, t *Term) (any, error) {
	out := make(map[string]any, len(t.Optargs))
	for k, a := range t.Optargs {
		v, err := c.evalDatum(a)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	if out[reqlTypeField] == "TIME" {
		return tmSanitizePtype(out)
	}
	return out, nil
}
