package reqltext

// Parse parses one ReQL query written in the JavaScript driver's syntax
// and returns the term tree the official JavaScript driver would send for
// it; the result's MarshalJSON gives the exact wire JSON. Function
// variables are numbered from 0, as by a freshly started JS driver.
//
// The input is a single expression rooted at r (a bare literal or
// function is treated like r.expr(...)), optionally followed by
// .run(...) and semicolons, so that pasted driver code works; the
// arguments of .run (connection, run options, callback) are not part of
// the query and are ignored. JS comments are allowed. Errors are
// *SyntaxError values with 1-based line:column positions.
func Parse(src string) (Term, error) {
	if len(src) > MaxInputSize {
		return Term{}, &SyntaxError{Line: 1, Col: 1, Msg: "input too large: " + itoa(len(src)) + " bytes (the limit is " + itoa(MaxInputSize) + ")"}
	}
	p := parser{lx: newLexer(src)}
	n, err := p.parseProgram()
	if err != nil {
		return Term{}, err
	}
	var e evaluator
	v, err := e.eval(n, nil)
	if err != nil {
		return Term{}, err
	}
	if v.kind == vR {
		return Term{}, errAt(v.pos, "r alone is not a query: start with e.g. r.table('users') or r.expr(...)")
	}
	return e.toTerm(v, defaultNesting)
}
