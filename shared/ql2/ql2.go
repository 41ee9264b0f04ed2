// Package ql2 holds the ReQL wire protocol vocabulary of RethinkDB 2.4: the
// term numbers of ql2.proto as typed constants, their protocol names, and
// the tables that map the official JavaScript driver's method and function
// names (r.table(...).getAll(...), r.now(), r.minval, ...) to the terms they
// build.
//
// The package has no dependencies besides the standard library so that
// clients, tools and servers can share it.
package ql2

import (
	"sort"
	"strconv"
	"strings"
)

// TermType is a term number of ql2.proto (Term.TermType).
type TermType int

// String returns the ql2.proto enum name, e.g. "GET_ALL", or
// "TermType(N)" for a number ql2.proto does not define.
func (t TermType) String() string {
	if n, ok := termNames[t]; ok {
		return n
	}
	return "TermType(" + strconv.Itoa(int(t)) + ")"
}

// Name returns the lower-case snake_case name RethinkDB uses for the term in
// messages, e.g. "get_all" for TermGetAll, or "term_N" for an unknown
// number.
func (t TermType) Name() string {
	if n, ok := termNames[t]; ok {
		return strings.ToLower(n)
	}
	return "term_" + strconv.Itoa(int(t))
}

// Valid reports whether ql2.proto defines the term number.
func (t TermType) Valid() bool {
	_, ok := termNames[t]
	return ok
}

// termByName indexes termNames by both spellings of the name.
var termByName = func() map[string]TermType {
	m := make(map[string]TermType, 2*len(termNames))
	for t, n := range termNames {
		m[n] = t
		m[strings.ToLower(n)] = t
	}
	return m
}()

// TermTypeByName looks a term up by its ql2.proto name ("GET_ALL") or its
// snake_case name ("get_all").
func TermTypeByName(name string) (TermType, bool) {
	t, ok := termByName[name]
	return t, ok
}

// TermTypes returns every term number of ql2.proto in ascending order.
func TermTypes() []TermType {
	ts := make([]TermType, 0, len(termNames))
	for t := range termNames {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	return ts
}
