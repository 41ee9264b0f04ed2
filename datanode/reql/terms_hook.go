package reql

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Write hooks: SET_WRITE_HOOK and GET_WRITE_HOOK, as RethinkDB 2.4's
// src/rdb_protocol/terms/write_hook.cc, and their application on every
// write (btree_batched_replacer_t::apply_write_hook): the hook is called
// with ({primary_key, timestamp}, old_val, new_val) after the write has
// computed the new document, and its result is written instead.
//
// The hook is kept in the table's configuration (TableConfig.WriteHook) as
// the wire JSON of its FUNC term; get_write_hook returns it as a BINARY
// prefixed with RethinkDB's "$reql_write_hook_function$" (which
// set_write_hook accepts back) and as the query string
// "setWriteHook(<wire JSON>)" (RethinkDB prints the function as
// JavaScript; PhotonDB prints its wire form, as index_status does).

const writeHookBlobPrefix = "$reql_write_hook_function$"

func init() {
	register(TermSetWriteHook, spec{minArgs: 2, maxArgs: 2, eval: evalSetWriteHook})
	register(TermGetWriteHook, spec{minArgs: 1, maxArgs: 1, eval: evalGetWriteHook})
}

func evalSetWriteHook(c *evalCtx, t *Term) (any, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, err
	}
	if err := c.requireTable(permConfig, tbl); err != nil {
		return nil, err
	}
	existed := tbl.store.Config().WriteHook != nil
	v, err := c.eval(t.Args[1])
	if err != nil {
		return nil, err
	}
	var hook *WriteHookConfig
	message := "deleted"
	switch x := v.(type) {
	case *Func:
		if t.Args[1].Type != TermFunc || x.body.Type == termJSCall {
			return nil, newErr(ErrQueryLogic, "Could not prove function deterministic.  Write hook functions must be deterministic.")
		}
		fn := c.inlineCaptures(t.Args[1], x.scope)
		if hook, err = checkWriteHookFunc(fn); err != nil {
			return nil, err
		}
	default:
		d, err := c.toDatum(v, t.Args[1])
		if err != nil {
			return nil, err
		}
		switch {
		case d == nil:
		case isPtype(d, "BINARY"):
			blob := string(binaryBytes(d.(map[string]any)))
			if !strings.HasPrefix(blob, writeHookBlobPrefix) {
				return nil, newErr(ErrQueryLogic, "Cannot create a write hook except from a reql_write_hook_function returned from `get_write_hook`.")
			}
			var raw any
			if err := json.Unmarshal([]byte(blob[len(writeHookBlobPrefix):]), &raw); err != nil {
				return nil, newErr(ErrQueryLogic, "Cannot create a write hook except from a reql_write_hook_function returned from `get_write_hook`.")
			}
			fn, err := compileTerm(raw, []any{}, 0)
			if err != nil {
				return nil, err
			}
			if fn.Type != TermFunc {
				return nil, newErr(ErrQueryLogic, "Cannot create a write hook except from a reql_write_hook_function returned from `get_write_hook`.")
			}
			if hook, err = checkWriteHookFunc(fn); err != nil {
				return nil, err
			}
		default:
			return nil, typeErr("FUNCTION", d, t.Args[1])
		}
	}
	if hook != nil {
		message = "created"
		if existed {
			message = "replaced"
		}
	}
	if err := c.env.Store.SetWriteHook(c.ctx, tbl.DB, tbl.Name, hook); err != nil {
		return nil, err
	}
	return map[string]any{message: 1.0}, nil
}

// checkWriteHookFunc checks a write hook's FUNC term as RethinkDB does
// (deterministic except for r.now, three parameters) and encodes it.
func checkWriteHookFunc(fn *Term) (*WriteHookConfig, error) {
	if hookNonDeterministic(fn) {
		return nil, newErr(ErrQueryLogic, "Could not prove function deterministic.  Write hook functions must be deterministic.")
	}
	if len(fn.Args) != 2 || len(funcParams(fn.Args[0])) != 3 {
		return nil, newErr(ErrQueryLogic, "Write hook functions must expect 3 arguments.")
	}
	raw, err := json.Marshal(termToWire(fn))
	if err != nil {
		return nil, fmt.Errorf("encode write hook: %w", err)
	}
	return &WriteHookConfig{Function: raw}, nil
}

// hookNonDeterministic is nonDeterministic for write hooks, which may call
// r.now (RethinkDB's DET_CONSTANT_NOW: the time of the write).
func hookNonDeterministic(t *Term) bool {
	if t.Type == TermNow {
		return false
	}
	shallow := &Term{Type: t.Type}
	if t.Type == TermUuid {
		shallow.Args = t.Args
	}
	if _, bad := nonDeterministic(shallow); bad {
		return true
	}
	for _, a := range t.Args {
		if hookNonDeterministic(a) {
			return true
		}
	}
	for _, a := range t.Optargs {
		if hookNonDeterministic(a) {
			return true
		}
	}
	return false
}

// inlineCaptures replaces the variables a FUNC term uses but does not bind
// with their values in scope, so that the stored function stands alone
// (RethinkDB's wire functions carry their captured scope).
func (c *evalCtx) inlineCaptures(fn *Term, scope map[int]any) *Term {
	bound := map[int]bool{}
	var walk func(t *Term) *Term
	walk = func(t *Term) *Term {
		if t.Type == TermVar && len(t.Args) == 1 && t.Args[0].Type == TermDatum {
			if n, ok := t.Args[0].Datum.(float64); ok && !bound[int(n)] {
				if v, ok := scope[int(n)]; ok && isDatum(v) {
					return &Term{Type: TermDatum, Datum: v, bt: t.bt}
				}
			}
			return t
		}
		var params []int
		if t.Type == TermFunc && len(t.Args) == 2 {
			params = funcParams(t.Args[0])
		}
		var added []int
		for _, p := range params {
			if !bound[p] {
				bound[p] = true
				added = append(added, p)
			}
		}
		out := *t
		out.Args = make([]*Term, len(t.Args))
		for i, a := range t.Args {
			out.Args[i] = walk(a)
		}
		if t.Optargs != nil {
			out.Optargs = make(map[string]*Term, len(t.Optargs))
			for k, a := range t.Optargs {
				out.Optargs[k] = walk(a)
			}
		}
		for _, p := range added {
			delete(bound, p)
		}
		return &out
	}
	return walk(fn)
}

func evalGetWriteHook(c *evalCtx, t *Term) (any, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, err
	}
	if err := c.requireTable(permConfig, tbl); err != nil {
		return nil, err
	}
	hook := tbl.store.Config().WriteHook
	if hook == nil {
		return nil, nil
	}
	return writeHookDatum(hook), nil
}

func writeHookDatum(hook *WriteHookConfig) map[string]any {
	blob := append([]byte(writeHookBlobPrefix), hook.Function...)
	return map[string]any{
		"function": map[string]any{reqlTypeField: "BINARY", "data": base64.StdEncoding.EncodeToString(blob)},
		"query":    "setWriteHook(" + string(hook.Function) + ")",
	}
}

// writeHookWrap returns what a write term applies to each document's
// mutation to run the table's write hook, or nil when there is none or
// ignore_write_hook is set.
func (c *evalCtx) writeHookWrap(t *Term, tbl *Table) (func(func(map[string]any) (map[string]any, error)) func(map[string]any) (map[string]any, error), error) {
	ignore, err := c.optDatum(t, "ignore_write_hook", false)
	if err != nil {
		return nil, err
	}
	if _, ok := ignore.(bool); !ok {
		return nil, typeErr("BOOL", ignore, t.Optargs["ignore_write_hook"])
	}
	if ignore == true {
		// Skipping the hook is a configuration privilege (RethinkDB's
		// ignore_write_hook_t::YES "requires config permissions"), on top
		// of the write itself.
		if err := c.requireTable(permWrite, tbl); err != nil {
			return nil, err
		}
		if err := c.requireTable(permConfig, tbl); err != nil {
			return nil, err
		}
	}
	cfg := tbl.store.Config()
	if ignore == true || cfg.WriteHook == nil {
		return nil, nil
	}
	hook, err := c.compileWriteHook(cfg.WriteHook)
	if err != nil {
		return nil, err
	}
	pk := cfg.PrimaryKey
	return func(apply func(map[string]any) (map[string]any, error)) func(map[string]any) (map[string]any, error) {
		return func(old map[string]any) (map[string]any, error) {
			res, err := apply(old)
			if err != nil {
				return nil, err
			}
			return c.applyWriteHook(hook, pk, old, res)
		}
	}, nil
}

func (c *evalCtx) compileWriteHook(h *WriteHookConfig) (*Func, error) {
	var raw any
	if err := json.Unmarshal(h.Function, &raw); err != nil {
		return nil, fmt.Errorf("decode write hook: %w", err)
	}
	ft, err := compileTerm(raw, []any{}, 0)
	if err != nil {
		return nil, err
	}
	saved := c.scope
	c.scope = map[int]any{}
	defer func() { c.scope = saved }()
	v, err := c.eval(ft)
	if err != nil {
		return nil, err
	}
	f, ok := v.(*Func)
	if !ok {
		return nil, newErr(ErrInternal, "Write hook is not a function.")
	}
	return f, nil
}

// applyWriteHook is RethinkDB's apply_write_hook.
func (c *evalCtx) applyWriteHook(hook *Func, pk string, old, res map[string]any) (map[string]any, error) {
	var key any
	if res != nil {
		key = res[pk]
	} else if old != nil {
		key = old[pk]
	}
	info := map[string]any{"primary_key": key, "timestamp": tmMake(float64(c.now.UnixMicro())/1e6, "+00:00")}
	saved := c.scope
	v, err := c.call(hook, info, nilIfEmpty(old), nilIfEmpty(res))
	c.scope = saved
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, &Error{Kind: e.Kind, Type: e.Type, Msg: "Error in write hook: " + e.Msg, Backtrace: e.Backtrace}
		}
		return nil, err
	}
	if res == nil && v != nil {
		return nil, newErr(ErrOpFailed, "A write hook function must not turn a deletion into a replace/insert.")
	}
	if res != nil && v == nil {
		return nil, newErr(ErrOpFailed, "A write hook function must not turn a replace/insert into a deletion.")
	}
	if v == nil {
		return nil, nil
	}
	next, ok := v.(map[string]any)
	if !ok || next[reqlTypeField] != nil {
		return nil, newErr(ErrQueryLogic, "Inserted value must be an OBJECT (got %s):\n%s", typeName(v), printDatum(v))
	}
	if _, has := next[pk]; !has {
		return nil, newErr(ErrOpFailed, "Inserted object must have primary key `%s`:\n%s", pk, printDatum(next))
	}
	if !datumEqual(next[pk], res[pk]) {
		return nil, newErr(ErrOpFailed, "Primary key `%s` cannot be changed (`%s` -> `%s`).", pk, printDatum(res), printDatum(next))
	}
	return next, nil
}
