// Package reqltext parses ReQL queries written the way users type them
// for the official JavaScript driver (r.table('users').filter(doc =>
// doc('age').gt(18)).pluck('name')) into the RethinkDB wire term tree,
// and formats wire terms back into that syntax.
//
// Parse does not run JavaScript. It accepts the subset of JavaScript that
// queries are written in (r, method chains, literals, object literals,
// function(x) { return ...; } and arrow functions, comments) and mirrors
// the driver's ast.js exactly: which methods take an options object, the
// camelCase to snake_case conversion of option names, funcWrap of r.row,
// variable numbering of functions, r.expr's nesting limit and the driver's
// argument count errors. The testdata directory holds golden outputs of
// the real driver and the script that regenerates them.
package reqltext
