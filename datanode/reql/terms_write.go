package reql

import (
	"crypto/rand"
	"fmt"
)

// Writes: INSERT, UPDATE, REPLACE, DELETE. As in RethinkDB's rewrites, every
// write becomes a per-document replace: a function from the old document to
// the new one, applied by the table with the key locked.

var writeOptargs = []string{"durability", "return_changes", "ignore_write_hook"}

func init() {
	register(TermInsert, spec{minArgs: 2, maxArgs: 2, optargs: append([]string{"conflict"}, writeOptargs...), eval: evalInsert})
	register(TermUpdate, spec{minArgs: 2, maxArgs: 2, optargs: append([]string{"non_atomic"}, writeOptargs...), eval: evalUpdate})
	register(TermReplace, spec{minArgs: 2, maxArgs: 2, optargs: append([]string{"non_atomic"}, writeOptargs...), eval: evalReplace})
	register(TermDelete, spec{minArgs: 1, maxArgs: 1, optargs: writeOptargs, eval: evalDelete})
}

// writeChunk bounds how many documents one storage batch carries when a
// write runs over a stream.
const writeChunk = 1000

// writeStats accumulates RethinkDB's write result object.
type writeStats struct {
	inserted, replaced, unchanged, skipped, deleted, errors int
	firstError                                              string
	generatedKeys                                           []any
	changes                                                 []any
	returnChanges                                           any // false, true or "always"
}

func (s *writeStats) add(op *WriteOp) {
	change := func() {
		if s.returnChanges == true || s.returnChanges == "always" {
			s.changes = append(s.changes, map[string]any{"old_val": nilIfEmpty(op.Old), "new_val": nilIfEmpty(op.New)})
		}
	}
	switch {
	case op.Err != nil:
		s.errors++
		if s.firstError == "" {
			s.firstError = op.Err.Error()
		}
		if s.returnChanges == "always" {
			s.changes = append(s.changes, map[string]any{"old_val": nilIfEmpty(op.Old), "new_val": nilIfEmpty(op.Old), "error": op.Err.Error()})
		}
	case op.Old == nil && op.New == nil:
		s.skipped++
		if s.returnChanges == "always" {
			s.changes = append(s.changes, map[string]any{"old_val": nil, "new_val": nil})
		}
	case op.Old == nil:
		s.inserted++
		change()
	case op.New == nil:
		s.deleted++
		change()
	case datumEqual(op.Old, op.New) && !op.hidden:
		s.unchanged++
		if s.returnChanges == "always" {
			change()
		}
	default:
		s.replaced++
		change()
	}
}

func nilIfEmpty(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

func (s *writeStats) datum() map[string]any {
	out := map[string]any{
		"inserted": float64(s.inserted), "replaced": float64(s.replaced),
		"unchanged": float64(s.unchanged), "skipped": float64(s.skipped),
		"deleted": float64(s.deleted), "errors": float64(s.errors),
	}
	if s.errors > 0 {
		out["first_error"] = s.firstError
	}
	if len(s.generatedKeys) > 0 {
		out["generated_keys"] = s.generatedKeys
	}
	if s.returnChanges == true || s.returnChanges == "always" {
		if s.changes == nil {
			s.changes = []any{}
		}
		out["changes"] = s.changes
	}
	return out
}

// writeOptions reads the optargs every write term shares.
func (c *evalCtx) writeOptions(t *Term, tbl *Table) (durability string, returnChanges any, err error) {
	def, err := c.globalString("durability", tbl.store.Config().Durability)
	if err != nil {
		return "", nil, err
	}
	durability, err = c.optString(t, "durability", def)
	if err != nil {
		return "", nil, err
	}
	if durability != "hard" && durability != "soft" {
		return "", nil, newErr(ErrQueryLogic, "Durability option `%s` unrecognized (options are \"hard\" and \"soft\").", durability)
	}
	returnChanges, err = c.optDatum(t, "return_changes", false)
	if err != nil {
		return "", nil, err
	}
	switch returnChanges {
	case true, false, "always":
	default:
		return "", nil, newErr(ErrQueryLogic, "Invalid return_changes value `%s` (options are `true`, `false`, and `'always'`.)", printDatum(returnChanges))
	}
	return durability, returnChanges, nil
}

func evalInsert(c *evalCtx, t *Term) (any, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, err
	}
	durability, returnChanges, err := c.writeOptions(t, tbl)
	if err != nil {
		return nil, err
	}
	var conflict any = "error"
	if ct, ok := t.Optargs["conflict"]; ok {
		f, d, err := c.evalFunc(ct, true)
		if err != nil {
			return nil, err
		}
		if conflict = d; f != nil {
			conflict = f
		}
	}
	switch conflict.(type) {
	case *Func:
		if hookNonDeterministic(t.Optargs["conflict"]) {
			return nil, newErr(ErrQueryLogic, "Could not prove function deterministic.  Conflict functions must be deterministic.")
		}
	default:
		switch conflict {
		case "error", "replace", "update":
		default:
			return nil, newErr(ErrQueryLogic, "Conflict option `%s` unrecognized (options are \"error\", \"replace\" and \"update\").", printDatum(conflict))
		}
	}
	v, err := c.eval(t.Args[1])
	if err != nil {
		return nil, err
	}
	var docs []any
	switch x := v.(type) {
	case map[string]any:
		docs = []any{x}
	case *SingleSelection:
		docs = []any{x.doc}
	default:
		if docs, err = c.drain(v, t.Args[1]); err != nil {
			return nil, err
		}
	}
	pk := tbl.store.Config().PrimaryKey
	hook, err := c.writeHookWrap(t, tbl)
	if err != nil {
		return nil, err
	}
	stats := &writeStats{returnChanges: returnChanges}
	ops := make([]*WriteOp, 0, len(docs))
	var rejected []*WriteOp
	for _, d := range docs {
		doc, ok := d.(map[string]any)
		if !ok {
			rejected = append(rejected, &WriteOp{Err: newErr(ErrQueryLogic, "Expected type OBJECT but found %s.", typeName(d))})
			continue
		}
		key, has := doc[pk]
		if !has {
			key = newUUID()
			doc[pk] = key
			stats.generatedKeys = append(stats.generatedKeys, key)
		}
		if _, err := EncodeKey(key); err != nil {
			rejected = append(rejected, &WriteOp{Err: err})
			continue
		}
		apply := c.insertApply(doc, conflict, pk)
		if hook != nil {
			apply = hook(apply)
		}
		ops = append(ops, &WriteOp{Key: key, Apply: apply, Generated: !has})
	}
	if err := tbl.store.Write(c.ctx, ops, durability); err != nil {
		return nil, err
	}
	for _, op := range append(ops, rejected...) {
		stats.add(op)
	}
	return stats.datum(), nil
}

// insertApply resolves an insert against the existing document: by the
// conflict mode, or by calling the conflict function (id, old, new), whose
// result replaces the document (null deletes it).
func (c *evalCtx) insertApply(doc map[string]any, conflict any, pk string) func(map[string]any) (map[string]any, error) {
	return func(old map[string]any) (map[string]any, error) {
		if old == nil {
			return doc, nil
		}
		if f, ok := conflict.(*Func); ok {
			v, err := c.call(f, doc[pk], old, doc)
			if err != nil {
				return nil, err
			}
			if v == nil {
				return nil, nil
			}
			next, ok := v.(map[string]any)
			if !ok {
				return nil, newErr(ErrQueryLogic, "Expected type OBJECT but found %s.", typeName(v))
			}
			if !datumEqual(next[pk], old[pk]) {
				return nil, newErr(ErrOpFailed, "Primary key `%s` cannot be changed (`%s` -> `%s`).", pk, printDatum(old), printDatum(next))
			}
			return next, nil
		}
		switch conflict {
		case "replace":
			return doc, nil
		case "update":
			return mergeDeep(old, doc), nil
		}
		return nil, newErr(ErrOpFailed, "Duplicate primary key `%s`:\n%s\n%s", pk, printDatum(old), printDatum(doc))
	}
}

// mergeDeep merges patch into base recursively (objects merge, everything
// else is replaced), returning a new object.
func mergeDeep(base, patch map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(patch))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range patch {
		if pm, ok := v.(map[string]any); ok {
			if bm, ok := out[k].(map[string]any); ok && pm[reqlTypeField] == nil && bm[reqlTypeField] == nil {
				out[k] = mergeDeep(bm, pm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// newUUID returns a random (version 4) UUID, as RethinkDB generates keys.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// NewUUID returns a random (version 4) UUID string.
func NewUUID() string { return newUUID() }

// mutation computes a document's new value from its old value.
type mutation func(c *evalCtx, old map[string]any) (map[string]any, error)

func evalUpdate(c *evalCtx, t *Term) (any, error) {
	return c.writeSelection(t, func(pk string, patchOf func(map[string]any) (any, error)) mutation {
		return func(c *evalCtx, old map[string]any) (map[string]any, error) {
			if old == nil {
				return nil, nil
			}
			p, err := patchOf(old)
			if err != nil {
				return nil, err
			}
			if p == nil {
				return old, nil
			}
			if _, ok := p.(map[string]any); !ok {
				if _, lit := p.(*objLiteral); !lit {
					return nil, newErr(ErrQueryLogic, "Expected type OBJECT but found %s.", typeName(p))
				}
			}
			merged, err := objMergePatch(old, p) // handles r.literal
			if err != nil {
				return nil, err
			}
			next, ok := merged.(map[string]any)
			if !ok {
				return nil, newErr(ErrQueryLogic, "Expected type OBJECT but found %s.", typeName(merged))
			}
			if !datumEqual(next[pk], old[pk]) {
				return nil, newErr(ErrOpFailed, "Primary key `%s` cannot be changed (`%s` -> `%s`).", pk, printDatum(old), printDatum(next))
			}
			return next, nil
		}
	})
}

func evalReplace(c *evalCtx, t *Term) (any, error) {
	return c.writeSelection(t, func(pk string, valueOf func(map[string]any) (any, error)) mutation {
		return func(c *evalCtx, old map[string]any) (map[string]any, error) {
			v, err := valueOf(old)
			if err != nil {
				return nil, err
			}
			if v == nil {
				return nil, nil
			}
			next, ok := v.(map[string]any)
			if !ok {
				return nil, newErr(ErrQueryLogic, "Expected type OBJECT but found %s.", typeName(v))
			}
			if _, has := next[pk]; !has {
				return nil, newErr(ErrOpFailed, "Inserted object must have primary key `%s`:\n%s", pk, printDatum(next))
			}
			if old != nil && !datumEqual(next[pk], old[pk]) {
				return nil, newErr(ErrOpFailed, "Primary key `%s` cannot be changed (`%s` -> `%s`).", pk, printDatum(old), printDatum(next))
			}
			return next, nil
		}
	})
}

func evalDelete(c *evalCtx, t *Term) (any, error) {
	return c.writeSelection(t, nil)
}

// writeSelection runs a write over the selection in t.Args[0]. mk builds the
// mutation from the term's second argument (an object or a function); a nil
// mk deletes.
func (c *evalCtx) writeSelection(t *Term, mk func(pk string, arg func(map[string]any) (any, error)) mutation) (any, error) {
	if c.auth != nil && t.Args[0].Type == TermGet && constantTable(t.Args[0].Args[0]) {
		// A point write (table.get(k).update/replace/delete) checks write
		// before reading the document, as RethinkDB's single selection
		// writes without reading it first: a user without the permission
		// is told `write`, not `read`.
		tbl, err := c.evalTableArg(t.Args[0].Args[0])
		if err != nil {
			return nil, err
		}
		if err := c.requireTable(permWrite, tbl); err != nil {
			return nil, err
		}
	}
	target, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	var tbl *Table
	switch x := target.(type) {
	case *SingleSelection:
		tbl = x.table
	case *Selection:
		tbl = x.table
	case *Table:
		tbl = x
	default:
		return nil, withBacktrace(newErr(ErrQueryLogic, "Expected type SELECTION but found %s.", typeName(target)), t.Args[0].bt)
	}
	durability, returnChanges, err := c.writeOptions(t, tbl)
	if err != nil {
		return nil, err
	}
	pk := tbl.store.Config().PrimaryKey
	if mk != nil {
		nonAtomic, err := c.optDatum(t, "non_atomic", false)
		if err != nil {
			return nil, err
		}
		// r.now() is constant within a query, so allowed (RethinkDB's
		// constant_now); randomness, JavaScript, HTTP and reads are not.
		if hookNonDeterministic(t.Args[1]) && nonAtomic != true {
			return nil, withBacktrace(newErr(ErrQueryLogic, "Could not prove argument deterministic.  Maybe you want to use the non_atomic flag?"), t.Args[1].bt)
		}
	}
	mut := mutation(func(*evalCtx, map[string]any) (map[string]any, error) { return nil, nil })
	if mk != nil && t.Type == TermUpdate {
		// UPDATE's argument may hold r.literal, legal only in a merge patch:
		// evaluate it per document as a patch.
		argTerm := t.Args[1]
		mut = mk(pk, func(old map[string]any) (any, error) {
			var in any
			if old != nil {
				in = old
			}
			return c.objPatchFor(argTerm, in)
		})
	} else if mk != nil {
		argTerm := t.Args[1]
		av, err := c.eval(argTerm)
		if err != nil {
			return nil, err
		}
		var arg func(map[string]any) (any, error)
		if f, ok := av.(*Func); ok {
			arg = func(old map[string]any) (any, error) {
				var in any
				if old != nil {
					in = old
				}
				return c.call(f, in)
			}
		} else {
			d, err := c.toDatum(av, argTerm)
			if err != nil {
				return nil, err
			}
			arg = func(map[string]any) (any, error) { return cloneDatum(d), nil }
		}
		mut = mk(pk, arg)
	}
	hook, err := c.writeHookWrap(t, tbl)
	if err != nil {
		return nil, err
	}
	stats := &writeStats{returnChanges: returnChanges}
	newOp := func(key any) *WriteOp {
		apply := func(old map[string]any) (map[string]any, error) { return mut(c, old) }
		if hook != nil {
			apply = hook(apply)
		}
		return &WriteOp{Key: key, Apply: apply}
	}
	if s, ok := target.(*SingleSelection); ok {
		op := newOp(s.key)
		if err := tbl.store.Write(c.ctx, []*WriteOp{op}, durability); err != nil {
			return nil, err
		}
		stats.add(op)
		return stats.datum(), nil
	}
	stream, err := c.toStream(target, t.Args[0])
	if err != nil {
		return nil, err
	}
	defer stream.Close()
	for done := false; !done; {
		ops := make([]*WriteOp, 0, writeChunk)
		for len(ops) < writeChunk {
			v, ok, err := stream.Next(c.ctx)
			if err != nil {
				return nil, err
			}
			if !ok {
				done = true
				break
			}
			doc, _ := v.(map[string]any)
			ops = append(ops, newOp(doc[pk]))
		}
		if len(ops) == 0 {
			break
		}
		if err := tbl.store.Write(c.ctx, ops, durability); err != nil {
			return nil, err
		}
		for _, op := range ops {
			stats.add(op)
		}
	}
	return stats.datum(), nil
}

// constantTable reports whether t is a TABLE term of constant names
// (r.table("t") or r.db("d").table("t")), which can be evaluated twice
// without side effects.
func constantTable(t *Term) bool {
	if t.Type != TermTable || t.spliced {
		return false
	}
	for _, a := range t.Args {
		if a.Type == TermDb && len(a.Args) == 1 && a.Args[0].Type == TermDatum && !a.spliced {
			continue
		}
		if a.Type != TermDatum {
			return false
		}
	}
	for _, o := range t.Optargs {
		if o.Type != TermDatum {
			return false
		}
	}
	return true
}
