package reql

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf16"
	"unicode/utf8"
)

// A JSON codec specialised to datums (nil, bool, float64, string, []any,
// map[string]any), the hot path of every query: documents are decoded from
// storage, queries from the wire, and results encoded back. It produces
// exactly what encoding/json produces (Marshal: sorted object keys, HTML
// escaping, ES6 number formatting; Unmarshal into any: float64 numbers,
// invalid UTF-8 coerced to U+FFFD, last duplicate key wins) without
// reflection, and falls back to encoding/json for anything else, including
// every error, so that results and error messages are unchanged. The fuzz
// test FuzzJSONCodec checks the equivalence.

// MarshalJSON is json.Marshal(v), faster for datums.
func MarshalJSON(v any) ([]byte, error) {
	return AppendJSON(nil, v)
}

// AppendJSON appends json.Marshal(v) to dst.
func AppendJSON(dst []byte, v any) ([]byte, error) {
	e := encoderPool.Get().(*jsonEncoder)
	out, ok := e.encode(dst, v, 0)
	e.keys = e.keys[:0]
	encoderPool.Put(e)
	if ok {
		return out, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

type jsonEncoder struct {
	keys []string // sort scratch for the objects being encoded, innermost last
}

var encoderPool = sync.Pool{New: func() any { return &jsonEncoder{keys: make([]string, 0, 64)} }}

// maxEncodeDepth leaves deeper values (and cycles) to encoding/json.
const maxEncodeDepth = 500

// encode appends v; ok is false when v needs encoding/json (a type other
// than a datum's, a non-finite number, too deep a nesting).
func (e *jsonEncoder) encode(dst []byte, v any, depth int) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case bool:
		if x {
			return append(dst, "true"...), true
		}
		return append(dst, "false"...), true
	case float64:
		return appendFloat(dst, x)
	case string:
		return appendJSONString(dst, x), true
	case []any:
		if x == nil {
			return append(dst, "null"...), true
		}
		if depth >= maxEncodeDepth {
			return dst, false
		}
		dst = append(dst, '[')
		for i, el := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = e.encode(dst, el, depth+1); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), true
		}
		if depth >= maxEncodeDepth {
			return dst, false
		}
		start := len(e.keys)
		for k := range x {
			e.keys = append(e.keys, k)
		}
		slices.Sort(e.keys[start:])
		dst = append(dst, '{')
		for i := start; i < len(e.keys); i++ {
			if i > start {
				dst = append(dst, ',')
			}
			k := e.keys[i]
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			var ok bool
			if dst, ok = e.encode(dst, x[k], depth+1); !ok {
				return dst, false
			}
		}
		e.keys = e.keys[:start]
		return append(dst, '}'), true
	}
	return dst, false
}

// appendFloat is encoding/json's float64 encoding.
func appendFloat(dst []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, false
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	n0 := len(dst)
	if format == 'f' && f == math.Trunc(f) && abs < 1e15 {
		dst = strconv.AppendInt(dst, int64(f), 10)
		if f == 0 && math.Signbit(f) {
			dst = append(dst[:n0], "-0"...)
		}
		return dst, true
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, true
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes encoding/json writes unescaped (with HTML
// escaping on: not <, > and &).
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// plain8 reports whether the 8 bytes packed in x are all ASCII that
// appendJSONString copies as they are.
func plain8(x uint64) bool {
	hasZero := func(v uint64) uint64 { return (v - lsb) & ^v & msb }
	bad := x & msb                   // non-ASCII
	bad |= (x - lsb*0x20) & ^x & msb // a byte < 0x20
	bad |= hasZero(x ^ (lsb * '"'))
	bad |= hasZero(x ^ (lsb * '\\'))
	bad |= hasZero(x ^ (lsb * '<'))
	bad |= hasZero(x ^ (lsb * '>'))
	bad |= hasZero(x ^ (lsb * '&'))
	return bad == 0
}

// plainRaw8 reports whether the 8 bytes packed in x are all ASCII that
// a JSON string holds as they are (no quote, backslash or control byte).
func plainRaw8(x uint64) bool {
	hasZero := func(v uint64) uint64 { return (v - lsb) & ^v & msb }
	bad := x & msb
	bad |= (x - lsb*0x20) & ^x & msb
	bad |= hasZero(x ^ (lsb * '"'))
	bad |= hasZero(x ^ (lsb * '\\'))
	return bad == 0
}

// appendJSONString is encoding/json's string encoding (HTML-escaped).
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			if plain8(x) {
				i += 8
				continue
			}
		}
		if b := s[i]; b < utf8.RuneSelf {
			if jsonSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// UnmarshalJSON is json.Unmarshal(data, &v) for v of type any.
func UnmarshalJSON(data []byte) (any, error) {
	d := jsonDecoder{data: data}
	if v, ok := d.top(); ok {
		return v, nil
	}
	var v any
	err := json.Unmarshal(data, &v)
	return v, err
}

// UnmarshalObject is json.Unmarshal(data, &m) for m of type map[string]any.
func UnmarshalObject(data []byte) (map[string]any, error) {
	d := jsonDecoder{data: data}
	if v, ok := d.top(); ok {
		switch m := v.(type) {
		case map[string]any:
			return m, nil
		case nil:
			return nil, nil
		}
	}
	var m map[string]any
	err := json.Unmarshal(data, &m)
	return m, err
}

// DecodeValid decodes data as UnmarshalJSON does when it is one JSON
// value the fast decoder accepts; ok is false otherwise (the caller then
// uses encoding/json for the exact outcome).
func DecodeValid(data []byte) (any, bool) {
	d := jsonDecoder{data: data}
	return d.top()
}

// jsonDecoder is a strict recursive-descent JSON parser; any input it does
// not accept is left to encoding/json (which then reports the error).
type jsonDecoder struct {
	data []byte
	pos  int
	kv   []kv // members of the objects being decoded, innermost last
}

type kv struct {
	k string
	v any
}

// maxDecodeDepth is below encoding/json's nesting limit (10000): deeper
// input goes to encoding/json, which accepts or rejects it as before.
const maxDecodeDepth = 5000

func (d *jsonDecoder) top() (any, bool) {
	d.skipSpace()
	v, ok := d.value(0)
	if !ok {
		return nil, false
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, false
	}
	return v, true
}

func (d *jsonDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (any, bool) {
	if d.pos >= len(d.data) {
		return nil, false
	}
	switch c := d.data[d.pos]; c {
	case '{':
		if depth >= maxDecodeDepth {
			return nil, false
		}
		return d.object(depth)
	case '[':
		if depth >= maxDecodeDepth {
			return nil, false
		}
		return d.array(depth)
	case '"':
		return d.str()
	case 't':
		if d.literal("true") {
			return true, true
		}
	case 'f':
		if d.literal("false") {
			return false, true
		}
	case 'n':
		if d.literal("null") {
			return nil, true
		}
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return d.number()
		}
	}
	return nil, false
}

func (d *jsonDecoder) literal(lit string) bool {
	if len(d.data)-d.pos >= len(lit) && string(d.data[d.pos:d.pos+len(lit)]) == lit {
		d.pos += len(lit)
		return true
	}
	return false
}

func (d *jsonDecoder) object(depth int) (any, bool) {
	d.pos++ // {
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return map[string]any{}, true
	}
	start := len(d.kv)
	defer func() { clear(d.kv[start:]); d.kv = d.kv[:start] }()
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, false
		}
		k, ok := d.key()
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, false
		}
		d.pos++
		d.skipSpace()
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		d.kv = append(d.kv, kv{k, v})
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, false
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
		case '}':
			d.pos++
			members := d.kv[start:]
			m := make(map[string]any, len(members))
			for _, e := range members {
				m[e.k] = e.v // a later duplicate wins, as in encoding/json
			}
			return m, true
		default:
			return nil, false
		}
	}
}

// key parses an object key; short plain keys (field names repeat from
// document to document) come from a small shared cache.
func (d *jsonDecoder) key() (string, bool) {
	s := d.data
	i := d.pos + 1
	var h uint32 = 2166136261
	for i < len(s) && i-d.pos <= maxInternedKey {
		c := s[i]
		if c == '"' {
			b := s[d.pos+1 : i]
			slot := &keyCache[h%uint32(len(keyCache))]
			if p := slot.Load(); p != nil && *p == string(b) {
				d.pos = i + 1
				return *p, true
			}
			k := string(b)
			slot.Store(&k)
			d.pos = i + 1
			return k, true
		}
		if c == '\\' || c < ' ' || c >= utf8.RuneSelf {
			break
		}
		h = (h ^ uint32(c)) * 16777619
		i++
	}
	v, ok := d.str()
	if !ok {
		return "", false
	}
	return v.(string), true
}

// maxInternedKey bounds the keys kept in keyCache.
const maxInternedKey = 32

// keyCache holds recently decoded object keys, indexed by their FNV-1a hash.
var keyCache [4096]atomic.Pointer[string]

func (d *jsonDecoder) array(depth int) (any, bool) {
	d.pos++ // [
	arr := []any{}
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return arr, true
	}
	for {
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		arr = append(arr, v)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, false
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.skipSpace()
		case ']':
			d.pos++
			return arr, true
		default:
			return nil, false
		}
	}
}

// number parses a JSON number into a float64 as strconv.ParseFloat does;
// a number out of float64's range is left to encoding/json.
func (d *jsonDecoder) number() (any, bool) {
	s := d.data
	i := d.pos
	if s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return nil, false
	}
	intStart := i
	if s[i] == '0' {
		i++
	} else if s[i] >= '1' && s[i] <= '9' {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	} else {
		return nil, false
	}
	simple := i-intStart <= 15 // an integer of at most 15 digits is exact
	if i < len(s) && s[i] == '.' {
		simple = false
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return nil, false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		simple = false
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return nil, false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	lit := s[d.pos:i]
	d.pos = i
	if simple {
		var n int64
		for _, c := range s[intStart:i] {
			n = n*10 + int64(c-'0')
		}
		f := float64(n)
		if lit[0] == '-' {
			f = -f
		}
		return f, true
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		return nil, false
	}
	return f, true
}

// str parses a string as encoding/json does (escapes, surrogate pairs,
// invalid UTF-8 and lone surrogates become U+FFFD).
func (d *jsonDecoder) str() (any, bool) {
	s := d.data
	i := d.pos + 1
	start := i
	// Fast path: no escapes, all ASCII or valid UTF-8.
	for i < len(s) {
		if i+8 <= len(s) && plainRaw8(binary.LittleEndian.Uint64(s[i:])) {
			i += 8
			continue
		}
		c := s[i]
		if c == '"' {
			d.pos = i + 1
			return string(s[start:i]), true
		}
		if c == '\\' || c < ' ' {
			break
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	b := make([]byte, i-start, i-start+16)
	copy(b, s[start:i])
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return string(b), true
		case c < ' ':
			return nil, false
		case c == '\\':
			if i+1 >= len(s) {
				return nil, false
			}
			switch s[i+1] {
			case '"', '\\', '/':
				b = append(b, s[i+1])
				i += 2
			case 'b':
				b = append(b, '\b')
				i += 2
			case 'f':
				b = append(b, '\f')
				i += 2
			case 'n':
				b = append(b, '\n')
				i += 2
			case 'r':
				b = append(b, '\r')
				i += 2
			case 't':
				b = append(b, '\t')
				i += 2
			case 'u':
				rr := hex4(s[i:])
				if rr < 0 {
					return nil, false
				}
				i += 6
				if utf16.IsSurrogate(rr) {
					rr1 := hex4(s[i:])
					if dec := utf16.DecodeRune(rr, rr1); dec != utf8.RuneError {
						i += 6
						b = utf8.AppendRune(b, dec)
						break
					}
					rr = utf8.RuneError
				}
				b = utf8.AppendRune(b, rr)
			default:
				return nil, false
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\uFFFD"...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
	}
	return nil, false
}

// hex4 decodes a \uXXXX escape at the start of s, or returns -1.
func hex4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c = c - '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
