package reql

import (
	"context"
	"errors"
	"fmt"
)

// Objects: GET_FIELD, BRACKET, KEYS, VALUES, OBJECT, HAS_FIELDS, WITH_FIELDS,
// PLUCK, WITHOUT, MERGE and LITERAL, as in RethinkDB's
// src/rdb_protocol/terms/obj.cc, obj_or_seq.cc and pathspec.cc.
//
// The terms that take an object also take a sequence (RethinkDB's
// obj_or_seq_op_term_t): on a sequence they apply themselves to every element
// (lazily on tables, selections and streams; at once on arrays, whose result
// is an array). GET_FIELD and BRACKET skip elements whose field is missing,
// HAS_FIELDS filters (keeping the selection), the others map.

func init() {
	register(TermGetField, spec{minArgs: 2, maxArgs: 2, eval: objEvalGetField})
	register(TermBracket, spec{minArgs: 2, maxArgs: 2, eval: objEvalBracket})
	register(TermKeys, spec{minArgs: 1, maxArgs: 1, eval: objKeysValues("keys")})
	register(TermValues, spec{minArgs: 1, maxArgs: 1, eval: objKeysValues("values")})
	register(TermObject, spec{minArgs: 0, maxArgs: -1, eval: objEvalObject})
	register(TermHasFields, spec{minArgs: 1, maxArgs: -1, eval: objEvalHasFields})
	register(TermWithFields, spec{minArgs: 1, maxArgs: -1, eval: objEvalWithFields})
	register(TermPluck, spec{minArgs: 1, maxArgs: -1, eval: objEvalPluck})
	register(TermWithout, spec{minArgs: 1, maxArgs: -1, eval: objEvalWithout})
	register(TermMerge, spec{minArgs: 1, maxArgs: -1, eval: objEvalMerge})
	// LITERAL is only legal inside the object given to MERGE (or UPDATE),
	// where objEvalPatch evaluates it; anywhere else it is an error.
	register(TermLiteral, spec{minArgs: 0, maxArgs: 1, eval: func(*evalCtx, *Term) (any, error) {
		return nil, objErrStrayLiteral()
	}})
}

func objErrStrayLiteral() *Error {
	return newErr(ErrQueryLogic, "Stray literal keyword found: literal is only legal inside of the object passed to merge or update and cannot nest inside other literals.")
}

// objLiteral is the value of r.literal(...) inside a MERGE or UPDATE patch:
// the field it is in is replaced by value (not merged into), or removed when
// r.literal() has no argument.
type objLiteral struct {
	value any
	has   bool
}

// reqlDatum makes a literal that escaped its patch fail as RethinkDB does.
func (l *objLiteral) reqlDatum() (any, error) { return nil, objErrStrayLiteral() }

// objPoly is how an object term applies to a sequence.
type objPoly int

const (
	objMap     objPoly = iota // map every element
	objFilter                 // keep the elements for which it is true
	objSkipMap                // map, skipping elements that fail with NON_EXISTENCE
)

// objOp describes one obj-or-seq term.
type objOp struct {
	name string
	poly objPoly
	// eval applies the term to one object (never a pseudo-type).
	eval func(c *evalCtx, obj map[string]any) (any, error)
}

// objValuePrint prints any value for "non-object non-sequence `...`".
func objValuePrint(v any) string {
	switch x := v.(type) {
	case *Database:
		return fmt.Sprintf("db(%q)", x.Name)
	case *Func:
		return "OPAQUE VALUE FUNCTION"
	}
	return tmTruncPrint(v)
}

// objIsExc is RethinkDB's exc_type: errors about a null are NON_EXISTENCE
// (so that default() catches them), the others QUERY_LOGIC.
func objIsExc(v any) ErrorType {
	if v == nil {
		return ErrNonExistence
	}
	return ErrQueryLogic
}

// objApply runs op on v, which is either an object or a sequence. nested is set
// for the elements of a sequence, which may not themselves be sequences.
func (c *evalCtx) objApply(t *Term, op *objOp, v any, nested bool) (any, error) {
	isDatum := true
	var d any
	switch x := v.(type) {
	case *SingleSelection:
		if x.doc != nil {
			d = x.doc
		}
	case *Table, *Selection, Stream:
		isDatum = false
	case *Database, *Func:
		return nil, newErr(ErrQueryLogic, "Cannot perform %s on a non-object non-sequence `%s`.", op.name, objValuePrint(v))
	default:
		d = v
	}
	if isDatum {
		switch x := d.(type) {
		case map[string]any:
			if pt, ok := x[reqlTypeField].(string); ok {
				if pt == "BINARY" { // not an object in RethinkDB
					break
				}
				return nil, newErr(ErrQueryLogic, "Cannot call `%s` on objects of type `%s`.", op.name, typeName(x))
			}
			return op.eval(c, x)
		case []any:
			if nested {
				return nil, newErr(ErrQueryLogic, "Cannot perform %s on a sequence of sequences.", op.name)
			}
			return c.objApplyArray(t, op, x)
		}
		return nil, newErr(objIsExc(d), "Cannot perform %s on a non-object non-sequence `%s`.", op.name, tmTruncPrint(d))
	}
	if nested {
		return nil, newErr(ErrQueryLogic, "Cannot perform %s on a sequence of sequences.", op.name)
	}
	return c.objApplyStream(t, op, v)
}

// objElem applies op to one element of a sequence.
func (c *evalCtx) objElem(t *Term, op *objOp, v any) (out any, keep bool, err error) {
	out, err = c.objApply(t, op, v, true)
	switch op.poly {
	case objFilter:
		if err != nil {
			if objIsNonExistence(err) {
				return nil, false, nil
			}
			return nil, false, err
		}
		return v, truthy(out), nil
	case objSkipMap:
		if err != nil {
			if objIsNonExistence(err) {
				return nil, false, nil
			}
			return nil, false, err
		}
		return out, true, nil
	}
	return out, err == nil, err
}

func objIsNonExistence(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == KindRuntime && e.Type == ErrNonExistence
}

// objApplyArray applies op to every element of an array, giving an array.
func (c *evalCtx) objApplyArray(t *Term, op *objOp, arr []any) (any, error) {
	out := make([]any, 0, len(arr))
	for _, e := range arr {
		r, keep, err := c.objElem(t, op, e)
		if err != nil {
			return nil, err
		}
		if keep {
			out = append(out, r)
		}
	}
	return out, nil
}

// objApplyStream applies op lazily to a table, selection or stream. A
// filter keeps the selection (so that writes can follow it).
func (c *evalCtx) objApplyStream(t *Term, op *objOp, v any) (any, error) {
	src, err := c.toStream(v, t)
	if err != nil {
		return nil, err
	}
	scope := c.scope
	s := &objStream{src: src, f: func(e any) (any, bool, error) {
		saved := c.scope
		c.scope = scope
		defer func() { c.scope = saved }()
		r, keep, err := c.objElem(t, op, e)
		if err != nil {
			return nil, false, withBacktrace(err, t.bt)
		}
		return r, keep, nil
	}}
	if op.poly == objFilter {
		switch x := v.(type) {
		case *Table:
			return &Selection{table: x, stream: s}, nil
		case *Selection:
			return &Selection{table: x.table, stream: s}, nil
		}
	}
	// pluck/without/merge/... over a table can be followed by changes().
	return derive(v, s, func(x any) (any, bool, error) { return c.objElem(t, op, x) }), nil
}

// objStream maps a stream, dropping the elements f does not keep.
type objStream struct {
	src Stream
	f   func(any) (any, bool, error)
}

func (s *objStream) Next(ctx context.Context) (any, bool, error) {
	for {
		v, ok, err := s.src.Next(ctx)
		if err != nil || !ok {
			return nil, ok, err
		}
		out, keep, err := s.f(v)
		if err != nil {
			return nil, false, err
		}
		if keep {
			return out, true, nil
		}
	}
}

func (s *objStream) Close() error { return s.src.Close() }

// objGetField is datum_t::get_field: a missing field is a NON_EXISTENCE
// error that prints the object.
func objGetField(obj map[string]any, key string) (any, error) {
	v, ok := obj[key]
	if !ok {
		return nil, newErr(ErrNonExistence, "No attribute `%s` in object:\n%s", key, printDatum(obj))
	}
	return v, nil
}

func objEvalGetField(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	op := &objOp{name: "get_field", poly: objSkipMap, eval: func(c *evalCtx, obj map[string]any) (any, error) {
		key, err := c.evalString(t.Args[1])
		if err != nil {
			return nil, err
		}
		return objGetField(obj, key)
	}}
	return c.objApply(t, op, v, false)
}

func objEvalBracket(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	k, err := c.evalDatum(t.Args[1])
	if err != nil {
		return nil, err
	}
	switch key := k.(type) {
	case float64:
		return c.objNth(t, v, key)
	case string:
		op := &objOp{name: "bracket", poly: objSkipMap, eval: func(_ *evalCtx, obj map[string]any) (any, error) {
			return objGetField(obj, key)
		}}
		return c.objApply(t, op, v, false)
	}
	return nil, newErr(objIsExc(k), "Expected NUMBER or STRING as second argument to `bracket` but found %s.", typeName(k))
}

// objNth is r.expr(x)(n): RethinkDB's nth.
func (c *evalCtx) objNth(t *Term, v any, f float64) (any, error) {
	n, err := asInt(f, t.Args[1])
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case *Table, *Selection, Stream:
		return c.objNthStream(t, x, n)
	case *SingleSelection:
		if x.doc == nil {
			v = nil
		} else {
			v = x.doc
		}
	}
	arr, ok := v.([]any)
	if !ok {
		if !isDatum(v) {
			return nil, newErr(ErrQueryLogic, "Expected type ARRAY but found %s.", typeName(v))
		}
		return nil, newErr(objIsExc(v), "Expected type ARRAY but found %s.", typeName(v))
	}
	i := n
	if i < 0 {
		if -i > int64(len(arr)) {
			return nil, newErr(ErrNonExistence, "Index out of bounds: %d", n)
		}
		i += int64(len(arr))
	}
	if i >= int64(len(arr)) {
		return nil, newErr(ErrNonExistence, "Index out of bounds.")
	}
	return arr[i], nil
}

func (c *evalCtx) objNthStream(t *Term, v any, n int64) (any, error) {
	if n < -1 {
		return nil, newErr(ErrQueryLogic, "Cannot use an index < -1 (%d) on a stream.", n)
	}
	s, err := c.toStream(v, t)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var last any
	has := false
	for i := int64(0); ; i++ {
		d, ok, err := s.Next(c.ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			if n != -1 || !has {
				return nil, newErr(ErrNonExistence, "Index out of bounds: %d", n)
			}
			d = last
		} else if i != n {
			last, has = d, true
			continue
		}
		var tbl *Table
		switch x := v.(type) {
		case *Table:
			tbl = x
		case *Selection:
			tbl = x.table
		}
		if doc, isObj := d.(map[string]any); tbl != nil && isObj {
			return &SingleSelection{table: tbl, key: doc[tbl.store.Config().PrimaryKey], doc: doc}, nil
		}
		return d, nil
	}
}

func objKeysValues(name string) func(*evalCtx, *Term) (any, error) {
	return func(c *evalCtx, t *Term) (any, error) {
		d, err := c.evalDatum(t.Args[0])
		if err != nil {
			return nil, err
		}
		m, ok := d.(map[string]any)
		if !ok || m[reqlTypeField] != nil {
			return nil, withBacktrace(newErr(ErrQueryLogic, "Cannot call `%s` on objects of type `%s`.", name, typeName(d)), t.Args[0].bt)
		}
		keys := sortedKeys(m)
		out := make([]any, len(keys))
		for i, k := range keys {
			if name == "keys" {
				out[i] = k
			} else {
				out[i] = m[k]
			}
		}
		return out, nil
	}
}

func objEvalObject(c *evalCtx, t *Term) (any, error) {
	if len(t.Args)%2 != 0 {
		return nil, newErr(ErrQueryLogic, "OBJECT expects an even number of arguments (but found %d).", len(t.Args))
	}
	out := make(map[string]any, len(t.Args)/2)
	for i := 0; i < len(t.Args); i += 2 {
		key, err := c.evalString(t.Args[i])
		if err != nil {
			return nil, err
		}
		val, err := c.evalDatum(t.Args[i+1])
		if err != nil {
			return nil, err
		}
		if old, dup := out[key]; dup {
			return nil, newErr(ErrQueryLogic, "Duplicate key %s in object.  (got %s and %s as values)", printDatum(key), tmTruncPrint(old), tmTruncPrint(val))
		}
		out[key] = val
	}
	if out[reqlTypeField] == "TIME" {
		return tmSanitizePtype(out)
	}
	return out, nil
}

// Paths (RethinkDB's pathspec_t): a field name, a list of paths, or an
// object mapping fields to sub-paths (true meaning the whole field).
type objPath struct {
	str   string
	isStr bool
	vec   []*objPath
	isVec bool
	m     map[string]*objPath
}

func objParsePath(d any) (*objPath, error) {
	var p *objPath
	switch x := d.(type) {
	case string:
		return &objPath{str: x, isStr: true}, nil
	case []any:
		p = &objPath{isVec: true}
		for _, e := range x {
			sub, err := objParsePath(e)
			if err != nil {
				return nil, err
			}
			p.vec = append(p.vec, sub)
		}
	case map[string]any:
		var vec []*objPath
		m := map[string]*objPath{}
		for _, k := range sortedKeys(x) {
			if x[k] == true {
				vec = append(vec, &objPath{str: k, isStr: true})
				continue
			}
			sub, err := objParsePath(x[k])
			if err != nil {
				return nil, err
			}
			m[k] = sub
		}
		if len(vec) == 0 {
			p = &objPath{m: m}
		} else {
			if len(m) > 0 {
				vec = append(vec, &objPath{m: m})
			}
			p = &objPath{isVec: true, vec: vec}
		}
	default:
		return nil, newErr(ErrQueryLogic, "Invalid path argument `%s`.", printDatum(d))
	}
	if p.isVec && len(p.vec) == 1 {
		return p.vec[0], nil
	}
	return p, nil
}

// objEvalPaths evaluates the path arguments t.Args[1:] as one path list.
func (c *evalCtx) objEvalPaths(t *Term) (*objPath, error) {
	paths := make([]any, 0, len(t.Args)-1)
	for _, a := range t.Args[1:] {
		d, err := c.evalDatum(a)
		if err != nil {
			return nil, err
		}
		paths = append(paths, d)
	}
	return objParsePath(paths)
}

// objProject keeps only the paths of p (pluck). ok is false where RethinkDB
// raises a datum error that its caller swallows (a path into a non-object).
func objProject(d any, p *objPath, recurse bool) (any, bool) {
	if arr, isArr := d.([]any); isArr && recurse {
		out := make([]any, 0, len(arr))
		for _, e := range arr {
			r, ok := objProject(e, p, false)
			if !ok {
				return nil, false
			}
			out = append(out, r)
		}
		return out, true
	}
	obj, isObj := d.(map[string]any)
	if !isObj {
		return nil, false
	}
	out := map[string]any{}
	switch {
	case p.isStr:
		if v, has := obj[p.str]; has {
			out[p.str] = v
		}
	case p.isVec:
		for _, sub := range p.vec {
			r, ok := objProject(obj, sub, recurse)
			if !ok {
				return nil, false
			}
			for k, v := range r.(map[string]any) {
				out[k] = v
			}
		}
	default:
		for k, sub := range p.m {
			if v, has := obj[k]; has {
				if r, ok := objProject(v, sub, true); ok {
					out[k] = r
				}
			}
		}
	}
	return out, true
}

// objUnproject removes the paths of p (without).
func objUnproject(d any, p *objPath, recurse bool) (any, bool) {
	if arr, isArr := d.([]any); isArr && recurse {
		out := make([]any, 0, len(arr))
		for _, e := range arr {
			r, ok := objUnproject(e, p, false)
			if !ok {
				return nil, false
			}
			out = append(out, r)
		}
		return out, true
	}
	obj, isObj := d.(map[string]any)
	if !isObj {
		return nil, false
	}
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		out[k] = v
	}
	objUnprojectInto(out, p)
	return out, true
}

func objUnprojectInto(out map[string]any, p *objPath) {
	switch {
	case p.isStr:
		delete(out, p.str)
	case p.isVec:
		for _, sub := range p.vec {
			objUnprojectInto(out, sub)
		}
	default:
		for k, sub := range p.m {
			if v, has := out[k]; has {
				if r, ok := objUnproject(v, sub, true); ok {
					out[k] = r
				}
			}
		}
	}
}

// objContains reports whether all the paths of p exist (and are not null).
func objContains(d any, p *objPath) bool {
	obj, isObj := d.(map[string]any)
	switch {
	case p.isStr:
		v, has := obj[p.str]
		return isObj && has && v != nil
	case p.isVec:
		for _, sub := range p.vec {
			if !objContains(d, sub) {
				return false
			}
		}
		return true
	}
	if !isObj {
		return len(p.m) == 0
	}
	for k, sub := range p.m {
		v, has := obj[k]
		if !has || !objContains(v, sub) {
			return false
		}
	}
	return true
}

func objHasFieldsOp(t *Term) *objOp {
	return &objOp{name: "has_fields", poly: objFilter, eval: func(c *evalCtx, obj map[string]any) (any, error) {
		p, err := c.objEvalPaths(t)
		if err != nil {
			return nil, err
		}
		return objContains(obj, p), nil
	}}
}

func objPluckOp(t *Term) *objOp {
	return &objOp{name: "pluck", poly: objMap, eval: func(c *evalCtx, obj map[string]any) (any, error) {
		p, err := c.objEvalPaths(t)
		if err != nil {
			return nil, err
		}
		out, _ := objProject(obj, p, false)
		return out, nil
	}}
}

func objEvalHasFields(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	return c.objApply(t, objHasFieldsOp(t), v, false)
}

func objEvalPluck(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	return c.objApply(t, objPluckOp(t), v, false)
}

// WITH_FIELDS is RethinkDB's rewrite x.has_fields(paths).pluck(paths).
func objEvalWithFields(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	h, err := c.objApply(t, objHasFieldsOp(t), v, false)
	if err != nil {
		return nil, err
	}
	return c.objApply(t, objPluckOp(t), h, false)
}

func objEvalWithout(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	op := &objOp{name: "without", poly: objMap, eval: func(c *evalCtx, obj map[string]any) (any, error) {
		p, err := c.objEvalPaths(t)
		if err != nil {
			return nil, err
		}
		out, _ := objUnproject(obj, p, false)
		return out, nil
	}}
	return c.objApply(t, op, v, false)
}

func objEvalMerge(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	op := &objOp{name: "merge", poly: objMap, eval: func(c *evalCtx, obj map[string]any) (any, error) {
		var d any = obj
		for _, a := range t.Args[1:] {
			p, err := c.objPatchFor(a, d)
			if err != nil {
				return nil, err
			}
			if d, err = objMergePatch(d, p); err != nil {
				return nil, withBacktrace(err, a.bt)
			}
		}
		return d, nil
	}}
	return c.objApply(t, op, v, false)
}

// objPatchFor evaluates one MERGE/UPDATE argument against the current value
// d: an object (which may hold r.literal values), any other datum, or a
// function of d returning one.
func (c *evalCtx) objPatchFor(a *Term, d any) (any, error) {
	p, err := c.objEvalPatch(a)
	if err != nil {
		return nil, err
	}
	if f, ok := p.(*Func); ok {
		if p, err = c.objCallPatch(f, d); err != nil {
			return nil, err
		}
	}
	if m, ok := p.(map[string]any); ok {
		if pt, isPt := m[reqlTypeField]; isPt && pt != "LITERAL" {
			return nil, withBacktrace(newErr(ErrQueryLogic, "Cannot merge objects of type `%s`.", typeName(m)), a.bt)
		}
	}
	return p, nil
}

// objEvalPatch evaluates a term where r.literal is legal (RethinkDB's
// LITERAL_OK flag): the argument of MERGE, the body of a function given to
// MERGE, and, through MAKE_OBJ, the objects nested in them. Literals become
// objLiteral values inside the returned objects; everything else evaluates
// as usual (functions stay functions).
func (c *evalCtx) objEvalPatch(t *Term) (any, error) {
	switch t.Type {
	case TermLiteral:
		if t.spliced {
			st, err := c.spliceArgs(t, registry[t.Type])
			if err != nil {
				return nil, err
			}
			t = st
		}
		lit := &objLiteral{}
		if len(t.Args) == 1 {
			v, err := c.evalDatum(t.Args[0])
			if err != nil {
				return nil, err
			}
			lit.value, lit.has = v, true
		}
		return lit, nil
	case TermMakeObj:
		out := make(map[string]any, len(t.Optargs))
		for k, sub := range t.Optargs {
			v, err := c.objEvalPatch(sub)
			if err != nil {
				return nil, err
			}
			switch v.(type) {
			case *objLiteral, map[string]any:
			default:
				if v, err = c.toDatum(v, sub); err != nil {
					return nil, err
				}
			}
			out[k] = v
		}
		return out, nil
	}
	v, err := c.eval(t)
	if err != nil {
		return nil, err
	}
	if _, ok := v.(*Func); ok {
		return v, nil
	}
	return c.toDatum(v, t)
}

// objCallPatch calls a MERGE/UPDATE function with its body evaluated where
// r.literal is legal (as c.call otherwise).
func (c *evalCtx) objCallPatch(f *Func, arg any) (any, error) {
	// As RethinkDB's func_t::call, a function of no arguments ignores them.
	if len(f.params) != 1 && len(f.params) != 0 {
		return nil, newErr(ErrQueryLogic, "Expected function with 1 argument but found function with %d argument%s.", len(f.params), plural(len(f.params)))
	}
	scope := make(map[int]any, len(f.scope)+1)
	for k, v := range f.scope {
		scope[k] = v
	}
	if len(f.params) == 1 {
		scope[f.params[0]] = arg
	}
	saved := c.scope
	c.scope = scope
	defer func() { c.scope = saved }()
	v, err := c.objEvalPatch(f.body)
	if err != nil {
		return nil, err
	}
	if _, ok := v.(*Func); ok {
		return c.toDatum(v, f.body)
	}
	return v, nil
}

// objIsMergeable reports whether RethinkDB merges into v as an object
// (objects and pseudo-types other than BINARY, which is not an object).
func objIsMergeable(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok || m[reqlTypeField] == "BINARY" {
		return nil, false
	}
	return m, true
}

// objMergePatch merges a patch (from objEvalPatch/objPatchFor) into base as
// RethinkDB's datum_t::merge does: objects merge recursively, r.literal(v)
// replaces a field with v, r.literal() removes it, anything else replaces.
// A literal at the top of the patch is a stray literal. It never modifies
// base or patch.
func objMergePatch(base, patch any) (any, error) {
	if _, ok := patch.(*objLiteral); ok {
		return nil, objErrStrayLiteral()
	}
	return objMergeInto(base, patch)
}

func objMergeInto(base, patch any) (any, error) {
	bm, bok := objIsMergeable(base)
	pm, pok := objIsMergeable(patch)
	if !bok || !pok {
		return objDropLiterals(patch), nil
	}
	out := make(map[string]any, len(bm)+len(pm))
	for k, v := range bm {
		out[k] = v
	}
	for k, pv := range pm {
		if lit, ok := pv.(*objLiteral); ok {
			if lit.has {
				out[k] = lit.value
			} else {
				delete(out, k)
			}
			continue
		}
		sub, has := out[k]
		if _, isObj := pv.(map[string]any); isObj && has {
			merged, err := objMergeInto(sub, pv)
			if err != nil {
				return nil, err
			}
			out[k] = merged
			continue
		}
		out[k] = objDropLiterals(pv)
	}
	switch out[reqlTypeField] {
	case "TIME":
		return tmSanitizePtype(out)
	case "LITERAL": // a LITERAL pseudo-type sent as a datum
		return nil, objErrStrayLiteral()
	}
	return out, nil
}

// objDropLiterals replaces the literals left in a patch value by their
// values (removing the fields of empty ones), copying only what changes.
func objDropLiterals(v any) any {
	switch x := v.(type) {
	case *objLiteral:
		return x.value
	case map[string]any:
		var out map[string]any
		for k, e := range x {
			lit, isLit := e.(*objLiteral)
			sub, isMap := e.(map[string]any)
			if !isLit && !isMap {
				continue
			}
			if out == nil {
				out = make(map[string]any, len(x))
				for k2, e2 := range x {
					out[k2] = e2
				}
			}
			switch {
			case isLit && lit.has:
				out[k] = lit.value
			case isLit:
				delete(out, k)
			default:
				out[k] = objDropLiterals(sub)
			}
		}
		if out != nil {
			return out
		}
	}
	return v
}
