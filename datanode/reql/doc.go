// Package reql is PhotonDB's ReQL implementation: the datum model, the term
// compiler (wire JSON to a checked tree) and the evaluator.
//
//	wire JSON ──Compile──▶ *Query (terms checked: arity, optargs, known terms)
//	                            │
//	                          Run(env) ──▶ Result{Datum | Stream}
//	                            │
//	               Store / TableStore (implemented by the shard layer)
//
// Every term of ql2.proto has a number in termtype.go. A term is implemented
// when a family file (terms_*.go, one per family as in RethinkDB's
// src/rdb_protocol/terms/) registers it with its arity, optargs and
// evaluator; all other terms compile to "Term X is not yet implemented in
// PhotonDB." so that a query never silently does the wrong thing.
//
// Invariants:
//   - The evaluator never touches files; tables are reached through Store.
//   - Errors are *Error values with RethinkDB's class (ErrorType), message
//     and backtrace; the wire layer maps them to responses.
//   - A query runs as the user of its context (WithUser); every term checks
//     that user's permissions before it reads, writes or changes anything
//     (auth.go), with RethinkDB's PERMISSION_ERROR.
//   - Datums are plain Go values (nil, bool, float64, string, []any,
//     map[string]any) and are never mutated once stored.
package reql
