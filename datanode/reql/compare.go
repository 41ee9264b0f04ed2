package reql

import (
	"bytes"
	"encoding/base64"
	"sort"
	"strings"
)

// minValue and maxValue are r.minval and r.maxval: they sort before and after
// every datum and may only be used as bounds.
type minValue struct{}
type maxValue struct{}

// MinVal and MaxVal are the values of MINVAL and MAXVAL.
var (
	MinVal = &minValue{}
	MaxVal = &maxValue{}
)

// typeRank orders datum types as RethinkDB's datum_t::cmp does:
// MINVAL < ARRAY < BOOL < NULL < NUMBER < OBJECT < PTYPE<...> < STRING < MAXVAL.
// Pseudo-types sort among themselves by type name (PTYPE<BINARY> <
// PTYPE<GEOMETRY> < PTYPE<TIME>), which places them between OBJECT and
// STRING, as RethinkDB's order_by documentation lists.
func typeRank(v any) (int, string) {
	switch x := v.(type) {
	case *minValue:
		return 0, ""
	case []any:
		return 1, ""
	case bool:
		return 3, ""
	case nil:
		return 4, ""
	case float64:
		return 5, ""
	case map[string]any:
		if pt, ok := x[reqlTypeField].(string); ok {
			return 7, "PTYPE<" + pt + ">"
		}
		return 6, ""
	case string:
		return 8, ""
	case *maxValue:
		return 9, ""
	}
	return 10, typeName(v)
}

// compareDatums is ReQL's total order on datums: negative if a < b, zero if
// equal, positive if a > b.
func compareDatums(a, b any) int {
	ra, na := typeRank(a)
	rb, nb := typeRank(b)
	if ra != rb {
		return ra - rb
	}
	if na != nb {
		return strings.Compare(na, nb)
	}
	switch x := a.(type) {
	case []any:
		y := b.([]any)
		for i := 0; i < len(x) && i < len(y); i++ {
			if c := compareDatums(x[i], y[i]); c != 0 {
				return c
			}
		}
		return len(x) - len(y)
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case float64:
		y := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		return strings.Compare(x, b.(string))
	case map[string]any:
		y := b.(map[string]any)
		switch x[reqlTypeField] {
		case "BINARY":
			return bytes.Compare(binaryBytes(x), binaryBytes(y))
		case "TIME":
			ex, _ := x["epoch_time"].(float64)
			ey, _ := y["epoch_time"].(float64)
			return compareDatums(ex, ey)
		}
		return compareObjects(x, y)
	}
	return 0
}

// compareObjects orders objects by their (key, value) pairs in key order.
func compareObjects(x, y map[string]any) int {
	kx, ky := sortedKeys(x), sortedKeys(y)
	for i := 0; i < len(kx) && i < len(ky); i++ {
		if c := strings.Compare(kx[i], ky[i]); c != 0 {
			return c
		}
		if c := compareDatums(x[kx[i]], y[ky[i]]); c != 0 {
			return c
		}
	}
	return len(kx) - len(ky)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// binaryBytes decodes a BINARY pseudo-type's data (invalid base64 decodes to
// nothing; pseudo-types are validated where they enter).
func binaryBytes(m map[string]any) []byte {
	s, _ := m["data"].(string)
	b, _ := base64.StdEncoding.DecodeString(s)
	return b
}

// isPtype reports whether v is the pseudo-type named pt.
func isPtype(v any, pt string) bool {
	m, ok := v.(map[string]any)
	return ok && m[reqlTypeField] == pt
}

// truthy is ReQL truthiness: everything but false and null is true.
func truthy(v any) bool {
	return v != nil && v != false
}
