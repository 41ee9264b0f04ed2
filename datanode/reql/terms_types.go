package reql

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"strconv"
	"strings"
)

// Types and values: COERCE_TO, TYPE_OF, INFO, JSON, TO_JSON_STRING, UUID,
// RANDOM, MINVAL, MAXVAL, BINARY (RethinkDB's type_manip.cc, json.cc,
// uuid.cc, random.cc and datum_terms.cc), plus the helpers of the "core"
// family (logic, math, strings): RethinkDB's typed errors, integer checks,
// number printing and its two JSON printers.

func init() {
	register(TermCoerceTo, spec{minArgs: 2, maxArgs: 2, eval: evalCoerceTo})
	register(TermTypeOf, spec{minArgs: 1, maxArgs: 1, eval: evalTypeOf})
	register(TermInfo, spec{minArgs: 1, maxArgs: 1, eval: evalInfo})
	register(TermJson, spec{minArgs: 1, maxArgs: 1, eval: evalJSON})
	register(TermToJsonString, spec{minArgs: 1, maxArgs: 1, eval: evalToJSONString})
	register(TermUuid, spec{minArgs: 0, maxArgs: 1, eval: evalUUID})
	register(TermRandom, spec{minArgs: 0, maxArgs: 2, optargs: []string{"float"}, eval: evalRandom})
	register(TermMinval, spec{minArgs: 0, maxArgs: 0, eval: func(*evalCtx, *Term) (any, error) { return MinVal, nil }})
	register(TermMaxval, spec{minArgs: 0, maxArgs: 0, eval: func(*evalCtx, *Term) (any, error) { return MaxVal, nil }})
	register(TermBinary, spec{minArgs: 1, maxArgs: 1, eval: evalBinary})
}

// ---------------------------------------------------------------------------
// Helpers shared by the core family.

// coreTypeErr is RethinkDB's typed-target error: "Expected type X but found
// Y." of class QUERY_LOGIC, or NON_EXISTENCE when the value found is null
// (so that DEFAULT catches it).
func coreTypeErr(want string, v any, t *Term) error {
	return coreTypedErr(v, t, "Expected type %s but found %s.", want, typeName(v))
}

// coreTypedErr fails on value v (NON_EXISTENCE if v is null, else
// QUERY_LOGIC) with the backtrace of t when t is not nil.
func coreTypedErr(v any, t *Term, format string, args ...any) error {
	et := ErrQueryLogic
	if v == nil {
		et = ErrNonExistence
	}
	err := newErr(et, format, args...)
	if t != nil {
		return withBacktrace(err, t.bt)
	}
	return err
}

// coreErr is a QUERY_LOGIC error with t's backtrace.
func coreErr(t *Term, format string, args ...any) error {
	return withBacktrace(newErr(ErrQueryLogic, format, args...), t.bt)
}

// coreNumber evaluates t as a NUMBER.
func (c *evalCtx) coreNumber(t *Term) (float64, error) {
	v, err := c.evalDatum(t)
	if err != nil {
		return 0, err
	}
	n, ok := v.(float64)
	if !ok {
		return 0, coreTypeErr("NUMBER", v, t)
	}
	return n, nil
}

// coreString evaluates t as a STRING.
func (c *evalCtx) coreString(t *Term) (string, error) {
	v, err := c.evalDatum(t)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", coreTypeErr("STRING", v, t)
	}
	return s, nil
}

// coreInteger evaluates t as an integer (RethinkDB's as_int).
func (c *evalCtx) coreInteger(t *Term) (int64, error) {
	n, err := c.coreNumber(t)
	if err != nil {
		return 0, err
	}
	return coreAsInt(n, t)
}

const coreMaxDblInt = 1 << 53 // doubles represent every integer in [-2^53, 2^53]

// coreAsInt converts a number to an integer with RethinkDB's errors.
func coreAsInt(n float64, t *Term) (int64, error) {
	if n >= -coreMaxDblInt && n <= coreMaxDblInt && n == math.Trunc(n) {
		return int64(n), nil
	}
	qual := ""
	switch {
	case n < -coreMaxDblInt:
		qual = " (<-2^53)"
	case n > coreMaxDblInt:
		qual = " (>2^53)"
	}
	return 0, coreErr(t, "Number not an integer%s: %s", qual, coreFmtG(n))
}

// coreFmtG prints a double as C's "%.20g" (RethinkDB's
// PR_RECONSTRUCTABLE_DOUBLE), which RethinkDB uses in error messages.
func coreFmtG(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return fmt.Sprintf("%.20g", f)
}

// coreFinite makes a number datum, rejecting NaN and infinities as
// RethinkDB's datum_t(double) does.
func coreFinite(f float64) (any, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, newErr(ErrQueryLogic, "Non-finite number: %s", coreFmtG(f))
	}
	return f, nil
}

// coreTruthy evaluates t for its truth value (RethinkDB's val_t::as_bool):
// false and null are false, every other datum is true, and databases,
// tables, selections and functions are not datums.
func (c *evalCtx) coreTruthy(t *Term) (bool, error) {
	v, err := c.eval(t)
	if err != nil {
		return false, err
	}
	return c.coreValueTruthy(v, t)
}

func (c *evalCtx) coreValueTruthy(v any, t *Term) (bool, error) {
	if err := coreNotDatumErr(v, t); err != nil {
		return false, err
	}
	d, err := c.toDatum(v, t)
	if err != nil {
		return false, err
	}
	return truthy(d), nil
}

// coreNotDatumErr is RethinkDB's error for a non-datum value where a datum
// is required ("Expected type DATUM but found TABLE:\ntable(\"t\")"); nil
// for datums and for values that convert to one.
func coreNotDatumErr(v any, t *Term) error {
	var kind, printed string
	switch x := v.(type) {
	case *Database:
		kind, printed = "DATABASE", fmt.Sprintf("db(%q)", x.Name)
	case *Table:
		kind, printed = "TABLE", fmt.Sprintf("table(%q)", x.Name)
	case *Selection:
		kind, printed = "SELECTION", fmt.Sprintf("OPAQUE SELECTION ON table(%s)", x.table.Name)
	case *Func:
		kind, printed = "FUNCTION", "OPAQUE VALUE FUNCTION"
	default:
		return nil
	}
	return coreErr(t, "Expected type DATUM but found %s:\n%s", kind, printed)
}

// ---------------------------------------------------------------------------
// JSON printing as RethinkDB does it (rapidjson): compact for
// TO_JSON_STRING and COERCE_TO string, pretty (tabs, ":\t") for INFO.

// coreJSON renders a datum as RethinkDB's compact JSON (sorted keys).
func coreJSON(v any) (string, error) {
	var b strings.Builder
	if err := coreWriteJSON(&b, v, false, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

// corePrint renders a datum as RethinkDB's datum_t::print (pretty JSON with
// tab indentation and ":\t" after keys).
func corePrint(v any) (string, error) {
	var b strings.Builder
	if err := coreWriteJSON(&b, v, true, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func coreWriteJSON(b *strings.Builder, v any, pretty bool, level int) error {
	newline := func(l int) {
		if pretty {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat("\t", l))
		}
	}
	switch x := v.(type) {
	case *minValue:
		return newErr(ErrQueryLogic, "Cannot convert `r.minval` to JSON.")
	case *maxValue:
		return newErr(ErrQueryLogic, "Cannot convert `r.maxval` to JSON.")
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case float64:
		b.WriteString(coreJSONNumber(x))
	case string:
		coreJSONString(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			newline(level + 1)
			if err := coreWriteJSON(b, e, pretty, level+1); err != nil {
				return err
			}
		}
		if len(x) > 0 {
			newline(level)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b.WriteByte(',')
			}
			newline(level + 1)
			coreJSONString(b, k)
			b.WriteByte(':')
			if pretty {
				b.WriteByte('\t')
			}
			if err := coreWriteJSON(b, x[k], pretty, level+1); err != nil {
				return err
			}
		}
		if len(x) > 0 {
			newline(level)
		}
		b.WriteByte('}')
	default:
		return newErr(ErrQueryLogic, "Expected type DATUM but found %s.", typeName(v))
	}
	return nil
}

// coreJSONString writes a JSON string as rapidjson's Writer does: only '"',
// '\\' and control characters are escaped; other bytes are written as is.
func coreJSONString(b *strings.Builder, s string) {
	const hexDigits = "0123456789ABCDEF"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xF])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

// coreJSONNumber prints a number as RethinkDB's JSON writer: integers in
// [-2^53, 2^53] (but not -0) as integers, other numbers in rapidjson's
// shortest form ("1.5", "-0.0", "1e21", "1e-7").
func coreJSONNumber(f float64) string {
	if f >= -coreMaxDblInt && f <= coreMaxDblInt && f == math.Trunc(f) && !(f == 0 && math.Signbit(f)) {
		return strconv.FormatInt(int64(f), 10)
	}
	if f == 0 {
		return "-0.0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	// Shortest round-trip digits and decimal exponent.
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expStr, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expStr)
	length := len(digits)
	kk := exp + 1 // 10^(kk-1) <= f < 10^kk
	var out string
	switch {
	case length <= kk && kk <= 21:
		out = digits + strings.Repeat("0", kk-length) + ".0"
	case 0 < kk && kk <= 21:
		out = digits[:kk] + "." + digits[kk:]
	case -6 < kk && kk <= 0:
		out = "0." + strings.Repeat("0", -kk) + digits
	case length == 1:
		out = digits + "e" + strconv.Itoa(kk-1)
	default:
		out = digits[:1] + "." + digits[1:] + "e" + strconv.Itoa(kk-1)
	}
	return sign + out
}

// ---------------------------------------------------------------------------
// COERCE_TO

// coreCoerceNames are the type names COERCE_TO accepts (after upcasing).
var coreCoerceNames = map[string]bool{
	"DB": true, "TABLE": true, "TABLE_SLICE": true, "SELECTION<STREAM>": true,
	"SELECTION<ARRAY>": true, "STREAM": true, "SELECTION<OBJECT>": true,
	"DATUM": true, "FUNCTION": true, "GROUPED_DATA": true,
	"NULL": true, "BINARY": true, "BOOL": true, "NUMBER": true, "STRING": true,
	"ARRAY": true, "OBJECT": true, "MINVAL": true, "MAXVAL": true,
}

// coreDatumKind is the COERCE_TO name of a datum's raw type: pseudo-types
// other than BINARY (TIME, ...) are OBJECTs.
func coreDatumKind(d any) string {
	switch x := d.(type) {
	case nil:
		return "NULL"
	case bool:
		return "BOOL"
	case float64:
		return "NUMBER"
	case string:
		return "STRING"
	case []any:
		return "ARRAY"
	case map[string]any:
		if x[reqlTypeField] == "BINARY" {
			return "BINARY"
		}
		return "OBJECT"
	case *minValue:
		return "MINVAL"
	case *maxValue:
		return "MAXVAL"
	}
	return typeName(d)
}

func evalCoerceTo(c *evalCtx, t *Term) (any, error) {
	val, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	name, err := c.coreString(t.Args[1])
	if err != nil {
		return nil, err
	}
	end := strings.ToUpper(name)
	if !coreCoerceNames[end] {
		return nil, coreErr(t, "Unknown Type: %s", end)
	}
	// The start type: datums (and single selections, which convert to one)
	// by their datum type, other values by their value type.
	isDatum := false
	var d any
	start := ""
	switch x := val.(type) {
	case *SingleSelection:
		isDatum = true
		if x.doc != nil {
			d = x.doc
		}
	case *Database, *Table, *Selection, *Func, Stream:
	case datumer:
		start = "GROUPED_DATA"
	default:
		isDatum, d = true, val
	}
	if isDatum {
		start = coreDatumKind(d)
	} else if start == "" {
		start = typeName(val)
	}
	// Identity, and coercion to a value type the value already converts to.
	if start == end || (end == "DATUM" && isDatum) || coreConvertsTo(val, end) {
		return val, nil
	}
	if end == "BOOL" {
		return !(isDatum && d == nil), nil
	}
	if isDatum {
		switch {
		case start == "BINARY" && end == "STRING":
			return string(binaryBytes(d.(map[string]any))), nil
		case start == "STRING" && end == "BINARY":
			return coreMakeBinary(d.(string)), nil
		case end == "STRING":
			s, err := coreJSON(d)
			if err != nil {
				return nil, withBacktrace(err, t.bt)
			}
			return s, nil
		case start == "OBJECT" && end == "ARRAY":
			m := d.(map[string]any)
			if len(m) > c.arrayLimit() {
				return nil, withBacktrace(newErr(ErrResourceLimit, "Array over size limit `%d`.", c.arrayLimit()), t.bt)
			}
			out := make([]any, 0, len(m))
			for _, k := range sortedKeys(m) {
				out = append(out, []any{k, m[k]})
			}
			return out, nil
		case start == "STRING" && end == "NUMBER":
			n, ok := coreParseNumber(d.(string))
			if !ok {
				return nil, coreErr(t, "Could not coerce `%s` to NUMBER.", d.(string))
			}
			f, err := coreFinite(n)
			if err != nil {
				return nil, withBacktrace(err, t.bt)
			}
			return f, nil
		case start == "ARRAY" && end == "OBJECT":
			return coreArrayToObject(d.([]any), t)
		}
		return nil, coreTypedErr(d, t, "Cannot coerce %s to %s.", start, end)
	}
	switch val.(type) {
	case *Table, *Selection, Stream:
		switch end {
		case "ARRAY", "DATUM":
			return c.drain(val, t.Args[0])
		case "OBJECT":
			arr, err := c.drain(val, t.Args[0])
			if err != nil {
				return nil, err
			}
			return coreArrayToObject(arr, t)
		}
	}
	return nil, coreErr(t, "Cannot coerce %s to %s.", start, end)
}

// coreConvertsTo reports whether a non-datum value is already of (or
// converts to) the value type named end: a table is a selection and a
// stream, a selection is a stream.
func coreConvertsTo(v any, end string) bool {
	switch v.(type) {
	case *Table:
		return end == "TABLE" || end == "SELECTION<STREAM>" || end == "STREAM"
	case *Selection:
		return end == "SELECTION<STREAM>" || end == "STREAM"
	case *SingleSelection:
		return end == "SELECTION<OBJECT>"
	case *Database:
		return end == "DB"
	case *Func:
		return end == "FUNCTION"
	case Stream:
		return end == "STREAM"
	}
	return false
}

// coreArrayToObject turns [[key, value], ...] into an object.
func coreArrayToObject(arr []any, t *Term) (any, error) {
	out := make(map[string]any, len(arr))
	for _, p := range arr {
		pair, ok := p.([]any)
		if !ok {
			return nil, coreTypeErr("ARRAY", p, t)
		}
		if len(pair) != 2 {
			return nil, coreErr(t, "Expected array of size 2, but got size %d.", len(pair))
		}
		k, ok := pair[0].(string)
		if !ok {
			return nil, coreTypeErr("STRING", pair[0], t)
		}
		if prev, dup := out[k]; dup {
			ks, _ := coreJSON(k)
			ps, _ := corePrint(prev)
			vs, _ := corePrint(pair[1])
			return nil, coreErr(t, "Duplicate key %s in coerced object.  (got %s and %s as values)", ks, ps, vs)
		}
		out[k] = pair[1]
	}
	return out, nil
}

// coreParseNumber parses a string as C's sscanf("%lf%c") does when it
// matches exactly one number with nothing after it: leading white space,
// decimal and hexadecimal forms, "inf" and "nan".
func coreParseNumber(s string) (float64, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	body := s
	neg := false
	if body != "" && (body[0] == '+' || body[0] == '-') {
		neg = body[0] == '-'
		body = body[1:]
	}
	lower := strings.ToLower(body)
	var f float64
	switch {
	case lower == "inf" || lower == "infinity":
		f = math.Inf(1)
	case lower == "nan" || (strings.HasPrefix(lower, "nan(") && strings.HasSuffix(lower, ")") && coreIsNanSeq(lower[4:len(lower)-1])):
		f = math.NaN()
	case strings.HasPrefix(lower, "0x"):
		mantissa, exp, hasExp := strings.Cut(lower[2:], "p")
		digits := strings.Replace(mantissa, ".", "", 1)
		if digits == "" || strings.Trim(digits, "0123456789abcdef") != "" {
			return 0, false
		}
		if hasExp {
			e := strings.TrimLeft(exp, "+-")
			if len(exp)-len(e) > 1 || e == "" || strings.Trim(e, "0123456789") != "" {
				return 0, false
			}
		} else {
			exp = "0"
		}
		v, err := strconv.ParseFloat("0x"+mantissa+"p"+exp, 64)
		if err != nil && !coreIsRangeErr(err) {
			return 0, false
		}
		f = v
	default:
		if body == "" || strings.Trim(body, "0123456789.eE+-") != "" {
			return 0, false
		}
		if body[0] == '+' || body[0] == '-' {
			return 0, false
		}
		v, err := strconv.ParseFloat(body, 64)
		if err != nil && !coreIsRangeErr(err) {
			return 0, false
		}
		f = v
	}
	if neg {
		f = -f
	}
	return f, true
}

func coreIsNanSeq(s string) bool {
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == ""
}

func coreIsRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// ---------------------------------------------------------------------------
// TYPE_OF and INFO

// coreValueTypeName is TYPE_OF's name for any value.
func coreValueTypeName(v any) string {
	if _, ok := v.(datumer); ok {
		return "GROUPED_DATA"
	}
	return typeName(v)
}

func evalTypeOf(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	return coreValueTypeName(v), nil
}

func evalInfo(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	return c.coreInfo(v, t)
}

func (c *evalCtx) coreInfo(v any, t *Term) (any, error) {
	info := map[string]any{"type": coreValueTypeName(v)}
	switch x := v.(type) {
	case *Database:
		cfg, err := c.env.Store.GetDB(c.ctx, x.Name)
		if err != nil {
			return nil, withBacktrace(err, t.bt)
		}
		info["name"] = x.Name
		info["id"] = coreNullIfEmpty(cfg.ID)
	case *Table:
		cfg := x.store.Config()
		n, err := x.store.Count(c.ctx)
		if err != nil {
			return nil, withBacktrace(err, t.bt)
		}
		db, err := c.coreInfo(&Database{Name: x.DB}, t)
		if err != nil {
			return nil, err
		}
		info["name"] = x.Name
		info["primary_key"] = cfg.PrimaryKey
		info["db"] = db
		info["id"] = coreNullIfEmpty(cfg.ID)
		info["doc_count_estimates"] = []any{float64(n)}
		info["indexes"] = []any{}
	case *Selection:
		tbl, err := c.coreInfo(x.table, t)
		if err != nil {
			return nil, err
		}
		info["table"] = tbl
	case *SingleSelection:
		tbl, err := c.coreInfo(x.table, t)
		if err != nil {
			return nil, err
		}
		info["table"] = tbl
	case *Func, Stream, datumer, nil, *minValue, *maxValue:
	default:
		if m, ok := x.(map[string]any); ok && m[reqlTypeField] == "BINARY" {
			info["count"] = float64(len(binaryBytes(m)))
		}
		s, err := corePrint(x)
		if err != nil {
			return nil, withBacktrace(err, t.bt)
		}
		info["value"] = s
	}
	return info, nil
}

func coreNullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ---------------------------------------------------------------------------
// JSON and TO_JSON_STRING

func evalToJSONString(c *evalCtx, t *Term) (any, error) {
	d, err := c.evalDatum(t.Args[0])
	if err != nil {
		return nil, err
	}
	s, err := coreJSON(d)
	if err != nil {
		return nil, withBacktrace(err, t.bt)
	}
	return s, nil
}

func evalJSON(c *evalCtx, t *Term) (any, error) {
	s, err := c.coreString(t.Args[0])
	if err != nil {
		return nil, err
	}
	// RethinkDB parses the string as a C string: it ends at a NUL byte.
	text := s
	if i := strings.IndexByte(text, 0); i >= 0 {
		text = text[:i]
	}
	p := &coreJSONParser{s: text, limit: c.arrayLimit()}
	v, perr := p.parseDocument()
	if perr != nil {
		if e, ok := perr.(*Error); ok {
			return nil, withBacktrace(e, t.bt)
		}
		shown := s
		if len(s) > 40 {
			shown = s[:37] + "..."
		}
		return nil, coreErr(t, "Failed to parse \"%s\" as JSON: %s", shown, perr.Error())
	}
	return v, nil
}

// coreJSONParser is a JSON parser with rapidjson's grammar and error
// messages (RethinkDB parses r.json with rapidjson).
type coreJSONParser struct {
	s     string
	i     int
	limit int
}

type coreJSONSyntaxErr string

func (e coreJSONSyntaxErr) Error() string { return string(e) }

const (
	coreJSONErrEmpty        coreJSONSyntaxErr = "The document is empty."
	coreJSONErrNotSingular  coreJSONSyntaxErr = "The document root must not follow by other values."
	coreJSONErrValue        coreJSONSyntaxErr = "Invalid value."
	coreJSONErrMissName     coreJSONSyntaxErr = "Missing a name for object member."
	coreJSONErrMissColon    coreJSONSyntaxErr = "Missing a colon after a name of object member."
	coreJSONErrObjComma     coreJSONSyntaxErr = "Missing a comma or '}' after an object member."
	coreJSONErrArrComma     coreJSONSyntaxErr = "Missing a comma or ']' after an array element."
	coreJSONErrHex          coreJSONSyntaxErr = "Incorrect hex digit after \\u escape in string."
	coreJSONErrSurrogate    coreJSONSyntaxErr = "The surrogate pair in string is invalid."
	coreJSONErrEscape       coreJSONSyntaxErr = "Invalid escape character in string."
	coreJSONErrQuote        coreJSONSyntaxErr = "Missing a closing quotation mark in string."
	coreJSONErrTooBig       coreJSONSyntaxErr = "Number too big to be stored in double."
	coreJSONErrMissFraction coreJSONSyntaxErr = "Miss fraction part in number."
	coreJSONErrMissExponent coreJSONSyntaxErr = "Miss exponent in number."
)

func (p *coreJSONParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *coreJSONParser) take() byte {
	c := p.peek()
	if p.i < len(p.s) {
		p.i++
	}
	return c
}

func (p *coreJSONParser) skipWS() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\n', '\r', '\t':
			p.i++
		default:
			return
		}
	}
}

func (p *coreJSONParser) parseDocument() (any, error) {
	p.skipWS()
	if p.peek() == 0 {
		return nil, coreJSONErrEmpty
	}
	v, err := p.parseValue(0)
	if err != nil {
		return nil, err
	}
	p.skipWS()
	if p.peek() != 0 {
		return nil, coreJSONErrNotSingular
	}
	return v, nil
}

func (p *coreJSONParser) parseValue(depth int) (any, error) {
	if depth > maxDepth {
		return nil, newErr(ErrResourceLimit, "Maximum expression depth exceeded (%d).", maxDepth)
	}
	switch p.peek() {
	case 'n':
		return nil, p.literal("null")
	case 't':
		return true, p.literal("true")
	case 'f':
		return false, p.literal("false")
	case '"':
		return p.parseString()
	case '{':
		return p.parseObject(depth)
	case '[':
		return p.parseArray(depth)
	}
	return p.parseNumber()
}

func (p *coreJSONParser) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if p.take() != word[i] {
			return coreJSONErrValue
		}
	}
	return nil
}

func (p *coreJSONParser) parseObject(depth int) (any, error) {
	p.take() // '{'
	out := map[string]any{}
	p.skipWS()
	if p.peek() == '}' {
		p.take()
		return out, nil
	}
	for {
		if p.peek() != '"' {
			return nil, coreJSONErrMissName
		}
		k, err := p.parseString()
		if err != nil {
			return nil, err
		}
		p.skipWS()
		if p.take() != ':' {
			return nil, coreJSONErrMissColon
		}
		p.skipWS()
		v, err := p.parseValue(depth + 1)
		if err != nil {
			return nil, err
		}
		key := k.(string)
		if _, dup := out[key]; dup {
			ks, _ := coreJSON(key)
			return nil, newErr(ErrQueryLogic, "Duplicate key %s in JSON.", ks)
		}
		out[key] = v
		p.skipWS()
		switch p.take() {
		case ',':
			p.skipWS()
		case '}':
			return out, nil
		default:
			return nil, coreJSONErrObjComma
		}
	}
}

func (p *coreJSONParser) parseArray(depth int) (any, error) {
	p.take() // '['
	out := []any{}
	p.skipWS()
	if p.peek() == ']' {
		p.take()
		return out, nil
	}
	for {
		v, err := p.parseValue(depth + 1)
		if err != nil {
			return nil, err
		}
		if len(out) >= p.limit {
			return nil, newErr(ErrResourceLimit, "Array over size limit `%d`.", p.limit)
		}
		out = append(out, v)
		p.skipWS()
		switch p.take() {
		case ',':
			p.skipWS()
		case ']':
			return out, nil
		default:
			return nil, coreJSONErrArrComma
		}
	}
}

func (p *coreJSONParser) hex4() (rune, error) {
	var r rune
	for k := 0; k < 4; k++ {
		c := p.take()
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, coreJSONErrHex
		}
		r = r<<4 | rune(d)
	}
	return r, nil
}

func (p *coreJSONParser) parseString() (any, error) {
	p.take() // '"'
	var b strings.Builder
	for {
		c := p.peek()
		switch {
		case c == '\\':
			p.take()
			e := p.take()
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, err := p.hex4()
				if err != nil {
					return nil, err
				}
				if r >= 0xD800 && r <= 0xDBFF {
					if p.take() != '\\' || p.take() != 'u' {
						return nil, coreJSONErrSurrogate
					}
					r2, err := p.hex4()
					if err != nil {
						return nil, err
					}
					if r2 < 0xDC00 || r2 > 0xDFFF {
						return nil, coreJSONErrSurrogate
					}
					r = ((r - 0xD800) << 10) + (r2 - 0xDC00) + 0x10000
				}
				b.WriteRune(r)
			default:
				return nil, coreJSONErrEscape
			}
		case c == '"':
			p.take()
			return b.String(), nil
		case c == 0:
			return nil, coreJSONErrQuote
		case c < 0x20:
			return nil, coreJSONErrEscape
		default:
			b.WriteByte(p.take())
		}
	}
}

func (p *coreJSONParser) parseNumber() (any, error) {
	start := p.i
	if p.peek() == '-' {
		p.take()
	}
	switch c := p.peek(); {
	case c == '0':
		p.take()
	case c >= '1' && c <= '9':
		for p.peek() >= '0' && p.peek() <= '9' {
			p.take()
		}
	default:
		return nil, coreJSONErrValue
	}
	if p.peek() == '.' {
		p.take()
		if !(p.peek() >= '0' && p.peek() <= '9') {
			return nil, coreJSONErrMissFraction
		}
		for p.peek() >= '0' && p.peek() <= '9' {
			p.take()
		}
	}
	if p.peek() == 'e' || p.peek() == 'E' {
		p.take()
		if p.peek() == '+' || p.peek() == '-' {
			p.take()
		}
		if !(p.peek() >= '0' && p.peek() <= '9') {
			return nil, coreJSONErrMissExponent
		}
		for p.peek() >= '0' && p.peek() <= '9' {
			p.take()
		}
	}
	f, err := strconv.ParseFloat(p.s[start:p.i], 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, coreJSONErrTooBig
	}
	return f, nil
}

// ---------------------------------------------------------------------------
// UUID, RANDOM, BINARY

// coreUUIDNamespace is the namespace RethinkDB hashes r.uuid(name) in.
var coreUUIDNamespace = [16]byte{0x91, 0x46, 0x1c, 0x99, 0xf8, 0x9d, 0x49, 0xd2, 0xaf, 0x96, 0xd8, 0xe2, 0xe1, 0x4e, 0x9b, 0x58}

func evalUUID(c *evalCtx, t *Term) (any, error) {
	var u [16]byte
	if len(t.Args) == 1 {
		name, err := c.coreString(t.Args[0])
		if err != nil {
			return nil, err
		}
		h := sha1.New()
		h.Write(coreUUIDNamespace[:])
		h.Write([]byte(name))
		copy(u[:], h.Sum(nil))
		u[6] = u[6]&0x0f | 0x50 // version 5
	} else {
		if _, err := rand.Read(u[:]); err != nil {
			return nil, newErr(ErrInternal, "Internal error: cannot generate a UUID: %v", err)
		}
		u[6] = u[6]&0x0f | 0x40 // version 4
	}
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return coreFormatUUID(u), nil
}

func coreFormatUUID(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func evalRandom(c *evalCtx, t *Term) (any, error) {
	useFloat := len(t.Args) == 0
	if ft, ok := t.Optargs["float"]; ok {
		b, err := c.coreTruthy(ft)
		if err != nil {
			return nil, err
		}
		useFloat = b
	}
	if useFloat {
		lower, upper := 0.0, 1.0
		var err error
		switch len(t.Args) {
		case 1:
			if upper, err = c.coreNumber(t.Args[0]); err != nil {
				return nil, err
			}
		case 2:
			if lower, err = c.coreNumber(t.Args[0]); err != nil {
				return nil, err
			}
			if upper, err = c.coreNumber(t.Args[1]); err != nil {
				return nil, err
			}
		}
		scaled := false
		// The range may overflow: draw in a quarter of it and scale back.
		if (lower > 0) != (upper > 0) && math.Abs(lower) > math.MaxFloat64/2-math.Abs(upper) {
			scaled = true
			lower, upper = lower/4, upper/4
		}
		r := lower + mrand.Float64()*(upper-lower)
		if (upper > lower && r >= upper) || (upper <= lower && r <= upper) {
			r = lower
		}
		if scaled {
			r *= 4
		}
		f, err := coreFinite(r)
		if err != nil {
			return nil, withBacktrace(err, t.bt)
		}
		return f, nil
	}
	if len(t.Args) == 0 {
		return nil, coreErr(t, "Generating a random integer requires one or two bounds.")
	}
	bound := func(a *Term, which string) (int64, error) {
		n, err := c.coreNumber(a)
		if err != nil {
			return 0, err
		}
		if n < -coreMaxDblInt || n > coreMaxDblInt || n != math.Trunc(n) {
			return 0, coreErr(t, "%s bound (%s) could not be safely converted to an integer.", which, coreFmtG(n))
		}
		return int64(n), nil
	}
	var lower, upper int64
	var err error
	if len(t.Args) == 1 {
		if upper, err = bound(t.Args[0], "Upper"); err != nil {
			return nil, err
		}
	} else {
		if lower, err = bound(t.Args[0], "Lower"); err != nil {
			return nil, err
		}
		if upper, err = bound(t.Args[1], "Upper"); err != nil {
			return nil, err
		}
	}
	if lower >= upper {
		return nil, coreErr(t, "Lower bound (%d) is not less than upper bound (%d).", lower, upper)
	}
	return float64(lower + mrand.Int64N(upper-lower)), nil
}

// coreMakeBinary is the BINARY pseudo-type holding the bytes of s.
func coreMakeBinary(s string) map[string]any {
	return map[string]any{reqlTypeField: "BINARY", "data": base64.StdEncoding.EncodeToString([]byte(s))}
}

func evalBinary(c *evalCtx, t *Term) (any, error) {
	d, err := c.evalDatum(t.Args[0])
	if err != nil {
		return nil, err
	}
	if isPtype(d, "BINARY") {
		return d, nil
	}
	s, ok := d.(string)
	if !ok {
		return nil, coreTypeErr("STRING", d, t.Args[0])
	}
	return coreMakeBinary(s), nil
}
