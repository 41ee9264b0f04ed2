package reql

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Strings: MATCH, SPLIT, UPCASE, DOWNCASE (RethinkDB's string.cc and
// case.cc).

func init() {
	register(TermMatch, spec{minArgs: 2, maxArgs: 2, eval: evalMatch})
	register(TermSplit, spec{minArgs: 1, maxArgs: 3, eval: evalSplit})
	register(TermUpcase, spec{minArgs: 1, maxArgs: 1, eval: coreCase('a', 'z', 'A'-'a')})
	register(TermDowncase, spec{minArgs: 1, maxArgs: 1, eval: coreCase('A', 'Z', 'a'-'A')})
}

// coreRegexCache keeps compiled regular expressions: queries often match the
// same pattern against every document. It is bounded; when full it is reset.
var coreRegexCache = struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}{m: map[string]*regexp.Regexp{}}

const coreRegexCacheSize = 1024

// coreRE2Codes maps Go's regexp syntax errors to RE2's texts (RethinkDB
// reports RE2's).
var coreRE2Codes = map[syntax.ErrorCode]string{
	syntax.ErrInternalError:         "unexpected error",
	syntax.ErrInvalidCharClass:      "invalid character class",
	syntax.ErrInvalidCharRange:      "invalid character class range",
	syntax.ErrInvalidEscape:         "invalid escape sequence",
	syntax.ErrInvalidNamedCapture:   "invalid named capture group",
	syntax.ErrInvalidPerlOp:         "invalid perl operator",
	syntax.ErrInvalidRepeatOp:       "bad repetition operator",
	syntax.ErrInvalidRepeatSize:     "invalid repetition size",
	syntax.ErrInvalidUTF8:           "invalid UTF-8",
	syntax.ErrMissingBracket:        "missing ]",
	syntax.ErrMissingParen:          "missing )",
	syntax.ErrMissingRepeatArgument: "no argument for repetition operator",
	syntax.ErrTrailingBackslash:     "trailing \\",
	syntax.ErrUnexpectedParen:       "unexpected )",
	syntax.ErrNestingDepth:          "expression nests too deeply",
	syntax.ErrLarge:                 "pattern too large - compile failed",
}

func coreCompileRegex(re string, t *Term) (*regexp.Regexp, error) {
	coreRegexCache.Lock()
	r, ok := coreRegexCache.m[re]
	coreRegexCache.Unlock()
	if ok {
		return r, nil
	}
	r, err := regexp.Compile(re)
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			text, ok := coreRE2Codes[se.Code]
			if !ok {
				text = string(se.Code)
			}
			return nil, coreErr(t, "Error in regexp `%s` (portion `%s`): %s: %s", re, se.Expr, text, se.Expr)
		}
		return nil, coreErr(t, "Error in regexp `%s` (portion ``): %s", re, err.Error())
	}
	coreRegexCache.Lock()
	if len(coreRegexCache.m) >= coreRegexCacheSize {
		coreRegexCache.m = map[string]*regexp.Regexp{}
	}
	coreRegexCache.m[re] = r
	coreRegexCache.Unlock()
	return r, nil
}

// evalMatch is s.match(re): null, or {str, start, end, groups} with byte
// offsets as RethinkDB reports them (RE2 offsets into the UTF-8 string);
// unmatched groups are null.
func evalMatch(c *evalCtx, t *Term) (any, error) {
	s, err := c.coreString(t.Args[0])
	if err != nil {
		return nil, err
	}
	re, err := c.coreString(t.Args[1])
	if err != nil {
		return nil, err
	}
	r, err := coreCompileRegex(re, t)
	if err != nil {
		return nil, err
	}
	loc := r.FindStringSubmatchIndex(s)
	if loc == nil {
		return nil, nil
	}
	groups := make([]any, 0, len(loc)/2-1)
	for i := 2; i+1 < len(loc); i += 2 {
		if loc[i] < 0 {
			groups = append(groups, nil)
			continue
		}
		groups = append(groups, map[string]any{
			"str": s[loc[i]:loc[i+1]], "start": float64(loc[i]), "end": float64(loc[i+1]),
		})
	}
	return map[string]any{
		"str": s[loc[0]:loc[1]], "start": float64(loc[0]), "end": float64(loc[1]), "groups": groups,
	}, nil
}

// evalSplit is s.split(), s.split(sep) and s.split(sep, max): on Unicode
// white space by default (or with a null separator), on each character
// (with its combining marks) for "", at most max splits.
func evalSplit(c *evalCtx, t *Term) (any, error) {
	s, err := c.coreString(t.Args[0])
	if err != nil {
		return nil, err
	}
	var delim *string
	if len(t.Args) > 1 {
		d, err := c.evalDatum(t.Args[1])
		if err != nil {
			return nil, err
		}
		if d != nil {
			ds, ok := d.(string)
			if !ok {
				return nil, coreTypeErr("STRING", d, t.Args[1])
			}
			delim = &ds
		}
	}
	limit := c.arrayLimit()
	maxSplits := -1
	if len(t.Args) > 2 {
		n, err := c.coreInteger(t.Args[2])
		if err != nil {
			return nil, err
		}
		if n < -1 || n > int64(limit)-1 {
			return nil, coreErr(t, "Error: `split` size argument must be in range [-1, %d].", limit-1)
		}
		maxSplits = int(n)
	}
	res := coreSplit(s, delim, maxSplits)
	if len(res) > limit {
		return nil, withBacktrace(newErr(ErrResourceLimit, "Array over size limit `%d`.", limit), t.bt)
	}
	return res, nil
}

func coreIsSpace(r rune) bool { return unicode.Is(unicode.White_Space, r) }

func coreIsCombining(r rune) bool { return unicode.Is(unicode.M, r) }

// coreIndexFunc is the byte offset of the first code point of s[from:]
// satisfying f (len(s) if none).
func coreIndexFunc(s string, from int, f func(rune) bool) int {
	for i := from; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if f(r) {
			return i
		}
		i += size
	}
	return len(s)
}

// coreSplit is RethinkDB's utf8_aware_split; maxSplits < 0 is unlimited.
func coreSplit(s string, delim *string, maxSplits int) []any {
	res := []any{}
	cur := 0
	notSpace := func(r rune) bool { return !coreIsSpace(r) }
	for {
		if maxSplits >= 0 && len(res) == maxSplits {
			if delim != nil {
				if *delim != "" || cur != len(s) {
					res = append(res, s[cur:])
				}
			} else if start := coreIndexFunc(s, cur, notSpace); start != len(s) {
				res = append(res, s[start:])
			}
			return res
		}
		switch {
		case delim != nil && *delim == "":
			if cur == len(s) {
				return res
			}
			_, size := utf8.DecodeRuneInString(s[cur:])
			next := coreIndexFunc(s, cur+size, func(r rune) bool { return !coreIsCombining(r) })
			res = append(res, s[cur:next])
			cur = next
			if cur == len(s) {
				return res
			}
		case delim != nil:
			i := strings.Index(s[cur:], *delim)
			if i < 0 {
				res = append(res, s[cur:])
				return res
			}
			res = append(res, s[cur:cur+i])
			cur += i + len(*delim)
		default:
			next := coreIndexFunc(s, cur, coreIsSpace)
			if next == len(s) {
				if start := coreIndexFunc(s, cur, notSpace); start != len(s) {
					res = append(res, s[start:])
				}
				return res
			}
			if cur != next {
				res = append(res, s[cur:next])
			}
			_, size := utf8.DecodeRuneInString(s[next:])
			cur = next + size
		}
	}
}

// coreCase changes the case of ASCII letters only, as RethinkDB does (C's
// toupper/tolower byte by byte).
func coreCase(lo, hi byte, delta int) func(c *evalCtx, t *Term) (any, error) {
	return func(c *evalCtx, t *Term) (any, error) {
		s, err := c.coreString(t.Args[0])
		if err != nil {
			return nil, err
		}
		b := []byte(s)
		for i, ch := range b {
			if ch >= lo && ch <= hi {
				b[i] = byte(int(ch) + delta)
			}
		}
		return string(b), nil
	}
}
