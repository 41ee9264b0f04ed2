package reql

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"math"
	"reflect"
	"strconv"
)

// A datum is represented by plain Go values, exactly what encoding/json
// produces: nil, bool, float64, string, []any and map[string]any. Pseudo-types
// (TIME, BINARY, ...) are objects with a "$reql_type$" field, as on the wire.

const reqlTypeField = "$reql_type$"

// typeName is the name RethinkDB uses for a value's type in error messages
// and in TYPE_OF.
func typeName(v any) string {
	switch x := v.(type) {
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
		if pt, ok := x[reqlTypeField].(string); ok {
			return "PTYPE<" + pt + ">"
		}
		return "OBJECT"
	case *Database:
		return "DB"
	case *Table:
		return "TABLE"
	case *SingleSelection:
		return "SELECTION<OBJECT>"
	case *Selection:
		if x.isArray {
			return "SELECTION<ARRAY>"
		}
		return "SELECTION<STREAM>"
	case Stream:
		return "STREAM"
	case *Func:
		return "FUNCTION"
	case *minValue:
		return "MINVAL"
	case *maxValue:
		return "MAXVAL"
	case datumer:
		return "GROUPED_DATA"
	}
	return "DATUM"
}

// isDatum reports whether v is a datum (as opposed to a database, table,
// selection, stream or function).
func isDatum(v any) bool {
	switch v.(type) {
	case nil, bool, float64, string, []any, map[string]any:
		return true
	}
	return false
}

// datumEqual is ReQL equality of two datums.
func datumEqual(a, b any) bool { return reflect.DeepEqual(a, b) }

// printDatum renders a datum the way RethinkDB 2.4 prints datums inside
// error messages: rapidjson's pretty form with tabs, one object field or
// array element per line.
func printDatum(v any) string {
	out, err := corePrint(v)
	if err != nil {
		return "<unprintable: " + err.Error() + ">"
	}
	return out
}

// formatNumber prints a number as RethinkDB does: integers without a
// fraction, others with up to 17 significant digits.
func formatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e16 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// Key encoding: primary keys are stored in an order-preserving byte form so
// that the storage engine's byte order is ReQL's order for primary keys
// (ARRAY < BOOL < NUMBER < PTYPE<BINARY> < PTYPE<TIME> < STRING).
const (
	keyTagArray  = 0x10
	keyTagBool   = 0x30
	keyTagNumber = 0x50
	keyTagBinary = 0x64 // PTYPE<BINARY> sorts after OBJECT, before PTYPE<TIME>
	keyTagTime   = 0x68
	keyTagString = 0x70
)

// maxPrimaryKeyBytes is RethinkDB's primary key size limit.
const maxPrimaryKeyBytes = 127

// EncodeKey encodes a primary key datum into its order-preserving byte form.
// It fails with RethinkDB's errors for values that cannot be primary keys.
func EncodeKey(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := encodeKey(&buf, v); err != nil {
		return nil, err
	}
	if s, ok := v.(string); ok && len(s) > maxPrimaryKeyBytes {
		return nil, newErr(ErrQueryLogic, "Primary key too long (max %d characters): %s", maxPrimaryKeyBytes, printDatum(v))
	}
	return buf.Bytes(), nil
}

func encodeKey(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case float64:
		buf.WriteByte(keyTagNumber)
		bits := math.Float64bits(x)
		if x == 0 {
			bits = 0 // -0 and +0 are the same key
		}
		if bits&(1<<63) != 0 {
			bits = ^bits
		} else {
			bits |= 1 << 63
		}
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], bits)
		buf.Write(b[:])
	case string:
		buf.WriteByte(keyTagString)
		writeEscaped(buf, []byte(x))
	case bool:
		buf.WriteByte(keyTagBool)
		if x {
			buf.WriteByte(1)
		} else {
			buf.WriteByte(0)
		}
	case []any:
		buf.WriteByte(keyTagArray)
		for _, e := range x {
			if err := encodeKey(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(0)
	case map[string]any:
		switch x[reqlTypeField] {
		case "BINARY":
			s, _ := x["data"].(string)
			raw, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return newErr(ErrQueryLogic, "Invalid base64 format, data found: %s", s)
			}
			buf.WriteByte(keyTagBinary)
			writeEscaped(buf, raw)
		case "TIME":
			t, ok := x["epoch_time"].(float64)
			if !ok {
				return newErr(ErrQueryLogic, "Invalid time object: %s", printDatum(x))
			}
			buf.WriteByte(keyTagTime)
			var nb bytes.Buffer
			_ = encodeKey(&nb, t)
			buf.Write(nb.Bytes()[1:])
		default:
			return newErr(ErrQueryLogic, "Primary keys must be either a number, string, bool, pseudotype or array (got type %s):\n%s", typeName(v), printDatum(v))
		}
	default:
		return newErr(ErrQueryLogic, "Primary keys must be either a number, string, bool, pseudotype or array (got type %s):\n%s", typeName(v), printDatum(v))
	}
	return nil
}

// writeEscaped writes b with 0x00 escaped as 0x00 0xFF and a 0x00 0x01
// terminator, so that prefixes sort first and embedded NULs keep order.
func writeEscaped(buf *bytes.Buffer, b []byte) {
	for _, c := range b {
		if c == 0 {
			buf.Write([]byte{0, 0xFF})
		} else {
			buf.WriteByte(c)
		}
	}
	buf.Write([]byte{0, 1})
}

// cloneDatum deep-copies a datum so that a stored document is never mutated
// through an alias.
func cloneDatum(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneDatum(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneDatum(e)
		}
		return out
	}
	return v
}
