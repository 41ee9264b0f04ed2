package reqltext

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/photondb-io/photondb/shared/ql2"
)

// Kind tells which of the three wire shapes a Term has.
type Kind uint8

const (
	// KindDatum is a JSON scalar: null, a boolean, a number or a string.
	KindDatum Kind = iota
	// KindObject is a JSON object whose member values are terms; the server
	// reads it as MAKE_OBJ. The JS driver sends every object this way.
	KindObject
	// KindOp is [TYPE, [args...]] or [TYPE, [args...], {optargs}].
	KindOp
)

// Term is one node of the ReQL wire term tree. Arrays are MAKE_ARRAY
// terms ([2, [...]]) and functions FUNC terms ([69, [[2, [ids...]], body]]),
// as the JS driver sends them.
//
// t.MarshalJSON() produces exactly the bytes JSON.stringify produces for
// the official JS driver's term.build(); json.Marshal(t) produces
// equivalent JSON (encoding/json additionally escapes <, >, &, U+2028 and
// U+2029 in its output).
type Term struct {
	Kind Kind
	// Type is the term number of a KindOp term.
	Type ql2.TermType
	// Datum is the value of a KindDatum term: nil, bool, float64 or string.
	Datum any
	// Args are the positional arguments of a KindOp term.
	Args []Term
	// Fields are the members of a KindObject term, or the optional
	// arguments of a KindOp term, in wire order.
	Fields []Field

	// implicit caches whether the tree contains IMPLICIT_VAR (r.row), which
	// the JS driver's funcWrap scans for.
	implicit bool
}

// Field is a named member of an object term or an optional argument.
type Field struct {
	Name  string
	Value Term
}

// DatumTerm returns a datum term for nil, a bool, a string or a number
// (Go integer and float types are converted to float64, the only number
// type a Term holds).
func DatumTerm(v any) Term {
	switch n := v.(type) {
	case int:
		v = float64(n)
	case int32:
		v = float64(n)
	case int64:
		v = float64(n)
	case uint32:
		v = float64(n)
	case uint64:
		v = float64(n)
	case float32:
		v = float64(n)
	}
	return Term{Kind: KindDatum, Datum: v}
}

// OpTerm returns the term [tt, [args...], {optargs...}].
func OpTerm(tt ql2.TermType, args []Term, optargs []Field) Term {
	t := Term{Kind: KindOp, Type: tt, Args: args, Fields: optargs}
	t.implicit = tt == ql2.TermImplicitVar || anyImplicit(args, optargs)
	return t
}

// ObjectTerm returns the JSON object term {fields...}.
func ObjectTerm(fields []Field) Term {
	return Term{Kind: KindObject, Fields: fields, implicit: anyImplicit(nil, fields)}
}

func anyImplicit(args []Term, fields []Field) bool {
	for i := range args {
		if args[i].implicit {
			return true
		}
	}
	for i := range fields {
		if fields[i].Value.implicit {
			return true
		}
	}
	return false
}

// Optarg returns the optional argument (or object member) name, if present.
func (t Term) Optarg(name string) (Term, bool) {
	for _, f := range t.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return Term{}, false
}

// MarshalJSON encodes the term as wire JSON, byte for byte what the JS
// driver sends: numbers and strings are formatted like JSON.stringify.
func (t Term) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := t.encode(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (t *Term) encode(buf *bytes.Buffer) error {
	switch t.Kind {
	case KindDatum:
		return encodeDatum(buf, t.Datum)
	case KindObject:
		return encodeFields(buf, t.Fields)
	case KindOp:
		buf.WriteByte('[')
		buf.WriteString(strconv.Itoa(int(t.Type)))
		buf.WriteString(",[")
		for i := range t.Args {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := t.Args[i].encode(buf); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		if len(t.Fields) > 0 {
			buf.WriteByte(',')
			if err := encodeFields(buf, t.Fields); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	}
	return fmt.Errorf("reqltext: invalid term kind %d", t.Kind)
}

func encodeFields(buf *bytes.Buffer, fs []Field) error {
	buf.WriteByte('{')
	for i := range fs {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeJSONString(buf, fs[i].Name)
		buf.WriteByte(':')
		if err := fs[i].Value.encode(buf); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

func encodeDatum(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	case float64:
		s, err := jsNumberString(v)
		if err != nil {
			return err
		}
		buf.WriteString(s)
	case string:
		writeJSONString(buf, v)
	default:
		return fmt.Errorf("reqltext: unsupported datum type %T", v)
	}
	return nil
}

// jsNumberString formats f like JavaScript's Number.prototype.toString (and
// JSON.stringify): shortest round-trip digits, exponent form outside
// [1e-7, 1e21), and -0 as "0".
func jsNumberString(f float64) (string, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "", fmt.Errorf("reqltext: non-finite number %v", f)
	}
	if f == 0 {
		return "0", nil
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs < 1e-6 || abs >= 1e21 {
		format = 'e'
	}
	b := strconv.AppendFloat(nil, f, format, -1, 64)
	if format == 'e' {
		// Go writes 1e-07; JavaScript writes 1e-7.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return string(b), nil
}

// writeJSONString quotes s like JSON.stringify: only '"', '\\' and control
// characters are escaped; invalid UTF-8 becomes U+FFFD.
func writeJSONString(buf *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	buf.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				buf.WriteString(`\"`)
			case '\\':
				buf.WriteString(`\\`)
			case '\b':
				buf.WriteString(`\b`)
			case '\f':
				buf.WriteString(`\f`)
			case '\n':
				buf.WriteString(`\n`)
			case '\r':
				buf.WriteString(`\r`)
			case '\t':
				buf.WriteString(`\t`)
			default:
				if c < 0x20 {
					buf.WriteString(`\u00`)
					buf.WriteByte(hex[c>>4])
					buf.WriteByte(hex[c&0xf])
				} else {
					buf.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf.WriteString("\ufffd")
		} else {
			buf.WriteString(s[i : i+size])
		}
		i += size
	}
	buf.WriteByte('"')
}

// UnmarshalJSON decodes wire JSON into the term, keeping the order of
// object members and optional arguments. Nesting deeper than MaxDepth is
// rejected.
func (t *Term) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeTerm(dec, 0)
	if err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("reqltext: trailing data after term")
	}
	*t = v
	return nil
}

func decodeTerm(dec *json.Decoder, depth int) (Term, error) {
	if depth > MaxDepth {
		return Term{}, fmt.Errorf("reqltext: term nested deeper than %d", MaxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return Term{}, fmt.Errorf("reqltext: decoding term: %w", err)
	}
	switch tok := tok.(type) {
	case nil, bool, string:
		return DatumTerm(tok), nil
	case json.Number:
		f, err := strconv.ParseFloat(string(tok), 64)
		if err != nil {
			return Term{}, fmt.Errorf("reqltext: bad number %s: %w", tok, err)
		}
		return DatumTerm(f), nil
	case json.Delim:
		switch tok {
		case '{':
			fields, err := decodeFields(dec, depth)
			if err != nil {
				return Term{}, err
			}
			return ObjectTerm(fields), nil
		case '[':
			return decodeOp(dec, depth)
		}
	}
	return Term{}, fmt.Errorf("reqltext: unexpected JSON token %v", tok)
}

// decodeFields decodes object members after the opening '{'.
func decodeFields(dec *json.Decoder, depth int) ([]Field, error) {
	var fields []Field
	seen := map[string]int{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("reqltext: decoding object key: %w", err)
		}
		name, _ := k.(string)
		v, err := decodeTerm(dec, depth+1)
		if err != nil {
			return nil, err
		}
		// Like JSON.parse, a repeated key keeps its place and the last value.
		if i, ok := seen[name]; ok {
			fields[i].Value = v
			continue
		}
		seen[name] = len(fields)
		fields = append(fields, Field{Name: name, Value: v})
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, fmt.Errorf("reqltext: decoding object: %w", err)
	}
	return fields, nil
}

// decodeOp decodes [TYPE, [args...], {optargs}] after the opening '['.
func decodeOp(dec *json.Decoder, depth int) (Term, error) {
	tok, err := dec.Token()
	if err != nil {
		return Term{}, fmt.Errorf("reqltext: decoding term: %w", err)
	}
	num, ok := tok.(json.Number)
	if !ok {
		return Term{}, fmt.Errorf("reqltext: a JSON array in term position must start with a term number (arrays are sent as [2, [...]]), found %v", tok)
	}
	n, err := strconv.Atoi(string(num))
	if err != nil || !ql2.TermType(n).Valid() {
		return Term{}, fmt.Errorf("reqltext: unknown term number %s", num)
	}
	var args []Term
	var optargs []Field
	if dec.More() {
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			return Term{}, fmt.Errorf("reqltext: %v: expected an array of arguments", ql2.TermType(n))
		}
		for dec.More() {
			a, err := decodeTerm(dec, depth+1)
			if err != nil {
				return Term{}, err
			}
			args = append(args, a)
		}
		if _, err := dec.Token(); err != nil {
			return Term{}, fmt.Errorf("reqltext: decoding arguments: %w", err)
		}
	}
	if dec.More() {
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return Term{}, fmt.Errorf("reqltext: %v: expected an object of optional arguments", ql2.TermType(n))
		}
		if optargs, err = decodeFields(dec, depth); err != nil {
			return Term{}, err
		}
	}
	if dec.More() {
		return Term{}, fmt.Errorf("reqltext: %v: unexpected fourth element", ql2.TermType(n))
	}
	if _, err := dec.Token(); err != nil {
		return Term{}, fmt.Errorf("reqltext: decoding term: %w", err)
	}
	return OpTerm(ql2.TermType(n), args, optargs), nil
}

// sortJSOrder puts entries into JavaScript property order: array-index
// keys first in ascending numeric order, then the other keys in insertion
// order. Entries must already be free of duplicates.
func sortJSOrder[E any](es []E, key func(*E) string) {
	hasIndex := false
	for i := range es {
		if _, ok := arrayIndex(key(&es[i])); ok {
			hasIndex = true
			break
		}
	}
	if !hasIndex {
		return
	}
	sort.SliceStable(es, func(i, j int) bool {
		a, aok := arrayIndex(key(&es[i]))
		b, bok := arrayIndex(key(&es[j]))
		switch {
		case aok && bok:
			return a < b
		case aok != bok:
			return aok
		}
		return false
	})
}

// arrayIndex reports whether s is a JavaScript array index: the canonical
// decimal form of an integer in [0, 2^32-2].
func arrayIndex(s string) (uint64, bool) {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, n < 1<<32-1
}
