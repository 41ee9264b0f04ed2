package reqltext

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// SyntaxError reports why Parse rejected its input and where: Line and Col
// are 1-based, Col counts Unicode characters. Errors the official JS
// driver would raise while building the query (wrong argument counts,
// nesting depth, ...) are reported the same way, with the driver's message.
type SyntaxError struct {
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("Syntax error at %d:%d: %s", e.Line, e.Col, e.Msg)
}

// pos is a position in the source.
type pos struct {
	off, line, col int
}

// clip shortens a name quoted in an error message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func errAt(p pos, format string, args ...any) *SyntaxError {
	return &SyntaxError{Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, args...)}
}

// suggest returns the candidate closest to name, or "" if none is close:
// first a case- and underscore-insensitive match (order_by -> orderBy),
// then the smallest edit distance within a third of the name's length
// (ties go to the alphabetically first candidate).
func suggest(name string, candidates []string) string {
	if len(name) > 64 {
		return ""
	}
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	n := norm(name)
	for _, c := range candidates {
		if norm(c) == n {
			return c
		}
	}
	best, bestD := "", 0
	// One edit per three characters, at most three; none for very short
	// names, where any single-letter name would be "close".
	limit := min(len(name)/3, 3)
	if limit == 0 {
		return ""
	}
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	lower := strings.ToLower(name)
	for _, c := range sorted {
		d := editDistance(lower, strings.ToLower(c), limit)
		if d <= limit && (best == "" || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal-string-alignment distance between a and b,
// giving up (returning limit+1) once it exceeds limit.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit || len(ra) > 64 || len(rb) > 64 {
		return limit + 1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
