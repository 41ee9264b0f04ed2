package reqltext

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tNum
	tStr
	tPunct
)

// token is one lexical token. For tIdent and tPunct, text is the source
// text; for tNum, num is the value and text the source; for tStr (string
// and template literals), str is the decoded value.
type token struct {
	kind tokKind
	text string
	str  string
	num  float64
	pos  pos
	// nl is set when a line terminator precedes the token.
	nl bool
}

func (t token) is(punct string) bool { return t.kind == tPunct && t.text == punct }

func (t token) isIdent(name string) bool { return t.kind == tIdent && t.text == name }

// describe names the token for error messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tIdent:
		return "'" + clip(t.text) + "'"
	case tNum:
		return "number " + clip(t.text)
	case tStr:
		return "string literal"
	}
	return "'" + t.text + "'"
}

// lexer produces tokens on demand; it is a small value, so copying it
// saves its state for backtracking lookahead.
type lexer struct {
	src string
	p   pos
}

func newLexer(src string) lexer {
	l := lexer{src: src, p: pos{line: 1, col: 1}}
	if strings.HasPrefix(src, "\ufeff") { // byte order mark
		l.p.off = 3
	}
	return l
}

// peekRune returns the rune at the current offset.
func (l *lexer) peekRune() (rune, int) {
	if l.p.off >= len(l.src) {
		return -1, 0
	}
	c := l.src[l.p.off]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(l.src[l.p.off:])
}

// advance moves past one rune, keeping line and column current. "\r\n"
// counts as one line break.
func (l *lexer) advance() {
	r, size := l.peekRune()
	if size == 0 {
		return
	}
	l.p.off += size
	switch r {
	case '\n', '\u2028', '\u2029':
		l.p.line++
		l.p.col = 1
	case '\r':
		if l.p.off < len(l.src) && l.src[l.p.off] == '\n' {
			l.p.col++ // the '\n' ends the line
		} else {
			l.p.line++
			l.p.col = 1
		}
	default:
		l.p.col++
	}
}

func isLineTerminator(r rune) bool {
	return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029'
}

func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\v', '\f', '\u00a0', '\ufeff':
		return true
	}
	return r > 0x7f && unicode.Is(unicode.Zs, r)
}

func isIDStart(r rune) bool {
	return r == '$' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
		(r > 0x7f && (unicode.IsLetter(r) || unicode.Is(unicode.Nl, r)))
}

func isIDPart(r rune) bool {
	return isIDStart(r) || (r >= '0' && r <= '9') || r == '\u200c' || r == '\u200d' ||
		(r > 0x7f && unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc))
}

// skipSpace skips white space and comments and reports whether it crossed
// a line terminator.
func (l *lexer) skipSpace() (nl bool, err error) {
	for {
		r, _ := l.peekRune()
		switch {
		case r < 0:
			return nl, nil
		case isLineTerminator(r):
			nl = true
			l.advance()
		case isSpace(r):
			l.advance()
		case r == '/' && strings.HasPrefix(l.src[l.p.off:], "//"):
			for {
				r, _ := l.peekRune()
				if r < 0 || isLineTerminator(r) {
					break
				}
				l.advance()
			}
		case r == '/' && strings.HasPrefix(l.src[l.p.off:], "/*"):
			start := l.p
			l.advance()
			l.advance()
			for {
				if strings.HasPrefix(l.src[l.p.off:], "*/") {
					l.advance()
					l.advance()
					break
				}
				r, _ := l.peekRune()
				if r < 0 {
					return nl, errAt(start, "unterminated /* comment")
				}
				if isLineTerminator(r) {
					nl = true
				}
				l.advance()
			}
		default:
			return nl, nil
		}
	}
}

// puncts lists the punctuators recognised, longest first. Only ( ) [ ] { }
// , . : ; => are part of the grammar; the rest exist for error messages.
var puncts = []string{
	">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=",
	"=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=",
	"/=", "%=", "&=", "|=", "^=", "**", "<<", ">>",
	"(", ")", "[", "]", "{", "}", ",", ".", ":", ";",
	"+", "-", "*", "/", "%", "<", ">", "=", "!", "~", "?", "&", "|", "^", "@", "#",
}

func (l *lexer) next() (token, error) {
	nl, err := l.skipSpace()
	if err != nil {
		return token{}, err
	}
	start := l.p
	r, _ := l.peekRune()
	switch {
	case r < 0:
		return token{kind: tEOF, pos: start, nl: nl}, nil
	case r == utf8.RuneError:
		if _, size := utf8.DecodeRuneInString(l.src[l.p.off:]); size == 1 {
			return token{}, errAt(start, "input is not valid UTF-8")
		}
	case isIDStart(r):
		for {
			r, _ := l.peekRune()
			if r < 0 || !isIDPart(r) {
				break
			}
			l.advance()
		}
		return token{kind: tIdent, text: l.src[start.off:l.p.off], pos: start, nl: nl}, nil
	case r >= '0' && r <= '9', r == '.' && l.p.off+1 < len(l.src) && l.src[l.p.off+1] >= '0' && l.src[l.p.off+1] <= '9':
		t, err := l.number()
		t.nl = nl
		return t, err
	case r == '"' || r == '\'' || r == '`':
		t, err := l.stringLit(r)
		t.nl = nl
		return t, err
	case r == '\\':
		return token{}, errAt(start, "unexpected '\\' (escapes are only allowed inside strings)")
	}
	rest := l.src[l.p.off:]
	for _, p := range puncts {
		if strings.HasPrefix(rest, p) {
			for range p {
				l.advance()
			}
			return token{kind: tPunct, text: p, pos: start, nl: nl}, nil
		}
	}
	return token{}, errAt(start, "unexpected character %q", r)
}

// number scans a numeric literal: decimal (with fraction, exponent and _
// separators), 0x, 0o or 0b.
func (l *lexer) number() (token, error) {
	start := l.p
	src := l.src
	digits := func(ok func(byte) bool) (string, error) {
		var sb strings.Builder
		last := byte(0)
		for l.p.off < len(src) {
			c := src[l.p.off]
			if c == '_' {
				if last == 0 || last == '_' || l.p.off+1 >= len(src) || !ok(src[l.p.off+1]) {
					return "", errAt(l.p, "numeric separator '_' must be between digits")
				}
			} else if ok(c) {
				sb.WriteByte(c)
			} else {
				break
			}
			last = c
			l.advance()
		}
		return sb.String(), nil
	}
	isDec := func(c byte) bool { return c >= '0' && c <= '9' }
	var value float64
	if src[l.p.off] == '0' && l.p.off+1 < len(src) && strings.ContainsRune("xXoObB", rune(src[l.p.off+1])) {
		base := map[byte]int{'x': 16, 'X': 16, 'o': 8, 'O': 8, 'b': 2, 'B': 2}[src[l.p.off+1]]
		l.advance()
		l.advance()
		ds, err := digits(func(c byte) bool {
			v, err := strconv.ParseUint(string(c), base, 8)
			return err == nil && int(v) < base
		})
		if err != nil {
			return token{}, err
		}
		if ds == "" {
			return token{}, errAt(start, "missing digits after %q", src[start.off:l.p.off])
		}
		n, _ := new(big.Int).SetString(ds, base)
		value, _ = new(big.Float).SetInt(n).Float64()
	} else {
		var text strings.Builder
		intPart, err := digits(isDec)
		if err != nil {
			return token{}, err
		}
		if len(intPart) > 1 && intPart[0] == '0' {
			return token{}, errAt(start, "numbers with leading zeros (legacy octal) are not allowed")
		}
		text.WriteString(intPart)
		if l.p.off < len(src) && src[l.p.off] == '.' {
			l.advance()
			frac, err := digits(isDec)
			if err != nil {
				return token{}, err
			}
			text.WriteString(".")
			text.WriteString(frac)
			if intPart == "" && frac == "" {
				return token{}, errAt(start, "malformed number")
			}
		}
		if l.p.off < len(src) && (src[l.p.off] == 'e' || src[l.p.off] == 'E') {
			text.WriteString("e")
			l.advance()
			if l.p.off < len(src) && (src[l.p.off] == '+' || src[l.p.off] == '-') {
				text.WriteByte(src[l.p.off])
				l.advance()
			}
			exp, err := digits(isDec)
			if err != nil {
				return token{}, err
			}
			if exp == "" {
				return token{}, errAt(start, "missing exponent digits in number")
			}
			text.WriteString(exp)
		}
		s := text.String()
		if strings.HasPrefix(s, ".") {
			s = "0" + s
		}
		var perr error
		value, perr = strconv.ParseFloat(s, 64)
		if perr != nil && !math.IsInf(value, 0) {
			// Only overflow is tolerated: JavaScript reads it as Infinity.
			if ne, ok := perr.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
				return token{}, errAt(start, "malformed number")
			}
		}
	}
	if r, _ := l.peekRune(); r == 'n' {
		return token{}, errAt(start, "BigInt literals are not supported")
	} else if r >= 0 && (isIDStart(r) || (r >= '0' && r <= '9')) {
		return token{}, errAt(l.p, "identifier starts immediately after numeric literal")
	}
	return token{kind: tNum, text: src[start.off:l.p.off], num: value, pos: start}, nil
}

// stringLit scans a '...', "..." or `...` literal (templates only without
// ${} substitutions) and decodes its escapes. UTF-16 surrogate pairs
// written as \uD83D\uDE00 are combined; a lone surrogate is an error
// because it cannot be sent as UTF-8.
func (l *lexer) stringLit(quote rune) (token, error) {
	start := l.p
	l.advance()
	var sb strings.Builder
	// pendingHigh is a high surrogate from an escape awaiting its pair.
	var pendingHigh rune
	var pendingPos pos
	flush := func() error {
		if pendingHigh != 0 {
			return errAt(pendingPos, "lone UTF-16 surrogate \\u%04X in string (it cannot be encoded as UTF-8)", pendingHigh)
		}
		return nil
	}
	for {
		r, _ := l.peekRune()
		if r < 0 {
			return token{}, errAt(start, "unterminated string literal")
		}
		if r == quote {
			if err := flush(); err != nil {
				return token{}, err
			}
			l.advance()
			return token{kind: tStr, str: sb.String(), text: l.src[start.off:l.p.off], pos: start}, nil
		}
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(l.src[l.p.off:]); size == 1 {
				return token{}, errAt(l.p, "input is not valid UTF-8")
			}
		}
		if quote == '`' && r == '$' && strings.HasPrefix(l.src[l.p.off:], "${") {
			return token{}, errAt(l.p, "template literal substitutions ${...} are not supported")
		}
		if r != '\\' {
			if err := flush(); err != nil {
				return token{}, err
			}
			if isLineTerminator(r) && r != '\u2028' && r != '\u2029' {
				if quote != '`' {
					return token{}, errAt(start, "unterminated string literal (line break inside quotes)")
				}
				// Template values normalise CRLF and CR to LF.
				if r == '\r' {
					l.advance()
					if nr, _ := l.peekRune(); nr == '\n' {
						l.advance()
					}
					sb.WriteByte('\n')
					continue
				}
			}
			sb.WriteRune(r)
			l.advance()
			continue
		}
		escPos := l.p
		l.advance()
		e, _ := l.peekRune()
		if e < 0 {
			return token{}, errAt(start, "unterminated string literal")
		}
		var cu rune = -1 // a \u or \x code unit / code point
		switch e {
		case 'n':
			sb.WriteByte('\n')
		case 't':
			sb.WriteByte('\t')
		case 'r':
			sb.WriteByte('\r')
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'v':
			sb.WriteByte('\v')
		case '0':
			if l.p.off+1 < len(l.src) && l.src[l.p.off+1] >= '0' && l.src[l.p.off+1] <= '9' {
				return token{}, errAt(escPos, "octal escape sequences are not allowed")
			}
			sb.WriteByte(0)
		case '1', '2', '3', '4', '5', '6', '7', '8', '9':
			return token{}, errAt(escPos, "octal escape sequences are not allowed")
		case '\r':
			l.advance()
			if nr, _ := l.peekRune(); nr == '\n' {
				l.advance()
			}
			continue // line continuation
		case '\n', '\u2028', '\u2029':
			// line continuation
		case 'x':
			l.advance()
			v, ok := l.hexDigits(2)
			if !ok {
				return token{}, errAt(escPos, "invalid \\x escape: expected 2 hex digits")
			}
			cu = v
		case 'u':
			l.advance()
			if r, _ := l.peekRune(); r == '{' {
				l.advance()
				var v rune
				n := 0
				for {
					r, _ := l.peekRune()
					if r == '}' {
						break
					}
					d, ok := hexVal(r)
					if !ok {
						return token{}, errAt(escPos, "invalid \\u{...} escape")
					}
					v = v*16 + d
					n++
					if v > unicode.MaxRune {
						return token{}, errAt(escPos, "\\u{...} escape is beyond U+10FFFF")
					}
					l.advance()
				}
				if n == 0 {
					return token{}, errAt(escPos, "invalid \\u{...} escape")
				}
				l.advance() // '}'
				cu = v
			} else {
				v, ok := l.hexDigits(4)
				if !ok {
					return token{}, errAt(escPos, "invalid \\u escape: expected 4 hex digits")
				}
				cu = v
			}
		default:
			sb.WriteRune(e) // identity escape: \' \" \\ \a -> a
		}
		if cu < 0 {
			if err := flush(); err != nil {
				return token{}, err
			}
			l.advance()
			continue
		}
		switch {
		case utf16.IsSurrogate(cu) && cu < 0xdc00: // high surrogate
			if err := flush(); err != nil {
				return token{}, err
			}
			pendingHigh, pendingPos = cu, escPos
		case utf16.IsSurrogate(cu): // low surrogate
			if pendingHigh == 0 {
				return token{}, errAt(escPos, "lone UTF-16 surrogate \\u%04X in string (it cannot be encoded as UTF-8)", cu)
			}
			sb.WriteRune(utf16.DecodeRune(pendingHigh, cu))
			pendingHigh = 0
		default:
			if err := flush(); err != nil {
				return token{}, err
			}
			sb.WriteRune(cu)
		}
	}
}

func hexVal(r rune) (rune, bool) {
	switch {
	case r >= '0' && r <= '9':
		return r - '0', true
	case r >= 'a' && r <= 'f':
		return r - 'a' + 10, true
	case r >= 'A' && r <= 'F':
		return r - 'A' + 10, true
	}
	return 0, false
}

// hexDigits reads exactly n hex digits.
func (l *lexer) hexDigits(n int) (rune, bool) {
	var v rune
	for i := 0; i < n; i++ {
		r, _ := l.peekRune()
		d, ok := hexVal(r)
		if !ok {
			return 0, false
		}
		v = v*16 + d
		l.advance()
	}
	return v, true
}
