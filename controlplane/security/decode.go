package security

import (
	"strings"
	"unicode/utf8"
)

// maxDecodeRounds bounds repeated URL decoding: a payload encoded more than
// this many times is matched in its partly decoded form. Each round either
// shortens the string or leaves it unchanged, so decoding always terminates.
const maxDecodeRounds = 4

// unhex is the value of a hex digit, or -1.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// decodeOnce is one round of lenient URL decoding: %XX is a byte, %uXXXX
// (IIS style) a code point in UTF-8, '+' a space when plus is set; anything
// malformed is kept as it is. It reports whether anything changed.
func decodeOnce(s string, plus bool) (string, bool) {
	i := strings.IndexByte(s, '%')
	if plus {
		if j := strings.IndexByte(s, '+'); j >= 0 && (i < 0 || j < i) {
			i = j
		}
	}
	if i < 0 {
		return s, false
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	changed := false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+' && plus:
			b.WriteByte(' ')
			changed = true
			continue
		case c != '%':
			b.WriteByte(c)
			continue
		}
		if i+2 < len(s) && unhex(s[i+1]) >= 0 && unhex(s[i+2]) >= 0 {
			b.WriteByte(byte(unhex(s[i+1])<<4 | unhex(s[i+2])))
			i += 2
			changed = true
			continue
		}
		if i+5 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
			r := 0
			for k := 2; k < 6 && r >= 0; k++ {
				if h := unhex(s[i+k]); h >= 0 {
					r = r<<4 | h
				} else {
					r = -1
				}
			}
			if r >= 0 {
				b.WriteRune(rune(r))
				i += 5
				changed = true
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String(), changed
}

// urlDecode decodes s repeatedly (double and triple encoding), at most
// maxDecodeRounds times.
func urlDecode(s string, plus bool) string {
	for range maxDecodeRounds {
		d, changed := decodeOnce(s, plus)
		if !changed {
			break
		}
		s = d
	}
	return s
}

// Lookalikes that servers and frameworks have been known to map to the
// ASCII characters that matter: overlong UTF-8 encodings (invalid UTF-8, so
// this runs on bytes) and fullwidth forms.
var lookalikes = strings.NewReplacer(
	"\xc0\xae", ".", "\xe0\x80\xae", ".",
	"\xc0\xaf", "/", "\xe0\x80\xaf", "/",
	"\xc1\x9c", `\`, "\xc0\xbc", "<", "\xc0\x80", "\x00",
	"．", ".", "／", "/", "∕", "/", "＼", `\`, "＜", "<", "＞", ">",
)

// entities are the HTML and JavaScript escapes of '<' (matched after
// lowercasing).
var entities = strings.NewReplacer(
	"&lt;", "<", "&#60;", "<", "&#060;", "<", "&#x3c;", "<", "&#x003c;", "<",
	`\u003c`, "<", `\x3c`, "<",
)

// hasUpperOrHigh reports whether s has an upper-case ASCII letter or a
// non-ASCII byte.
func hasUpperOrHigh(s string) (upper, high bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			high = true
		} else if 'A' <= c && c <= 'Z' {
			upper = true
		}
	}
	return upper, high
}

// normalize is what the rules match: s URL-decoded (repeatedly), with
// lookalike characters mapped to ASCII, lower-cased, HTML/JS escapes of '<'
// resolved. Values without anything to decode come back without copying.
func normalize(s string, plus bool) string {
	s = urlDecode(s, plus)
	upper, high := hasUpperOrHigh(s)
	if high {
		s = lookalikes.Replace(s)
	}
	if upper || high {
		s = lowerASCII(s)
	}
	if strings.ContainsAny(s, `&\`) {
		s = entities.Replace(s)
	}
	return s
}

// lowerASCII lower-cases ASCII letters only, leaving other bytes (invalid
// UTF-8 included) as they are.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
