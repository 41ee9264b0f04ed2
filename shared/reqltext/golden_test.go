package reqltext

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// goldenCase is one entry of testdata/golden.json, produced by the real
// JS driver (testdata/gen.js): the wire JSON of the expression, or the
// message of the error the driver throws for it.
type goldenCase struct {
	Expr  string `json:"expr"`
	Wire  string `json:"wire,omitempty"`
	Error string `json:"error,omitempty"`
}

func loadGolden(t testing.TB) []goldenCase {
	t.Helper()
	data, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatalf("reading golden file: %v", err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatalf("decoding golden file: %v", err)
	}
	return cases
}

// normalizeVars renumbers function variables by first appearance so that
// trees built with different variable counters compare equal.
func normalizeVars(v any) any {
	ids := map[float64]float64{}
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case []any:
			if len(v) >= 2 {
				if tt, ok := v[0].(float64); ok {
					args, _ := v[1].([]any)
					switch {
					case tt == 69 && len(args) == 2: // FUNC
						if params, ok := args[0].([]any); ok && len(params) == 2 && params[0] == float64(2) {
							if list, ok := params[1].([]any); ok {
								renamed := make([]any, len(list))
								for i, id := range list {
									renamed[i] = id
									if f, ok := id.(float64); ok {
										if _, seen := ids[f]; !seen {
											ids[f] = float64(len(ids))
										}
										renamed[i] = ids[f]
									}
								}
								return []any{69.0, []any{[]any{2.0, renamed}, walk(args[1])}}
							}
						}
					case tt == 10 && len(args) == 1: // VAR
						if f, ok := args[0].(float64); ok {
							if n, ok := ids[f]; ok {
								return []any{10.0, []any{n}}
							}
						}
					}
				}
			}
			out := make([]any, len(v))
			for i := range v {
				out[i] = walk(v[i])
			}
			return out
		case map[string]any:
			// Walk members in a fixed order so both trees number alike.
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			out := make(map[string]any, len(v))
			for _, k := range keys {
				out[k] = walk(v[k])
			}
			return out
		}
		return v
	}
	return walk(v)
}

func semanticEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("invalid JSON %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	return reflect.DeepEqual(normalizeVars(va), normalizeVars(vb))
}

// TestGolden checks Parse against the official JS driver's output.
func TestGolden(t *testing.T) {
	cases := loadGolden(t)
	if len(cases) < 150 {
		t.Fatalf("only %d golden cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Expr, func(t *testing.T) {
			term, err := Parse(tc.Expr)
			if tc.Error != "" {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("Parse succeeded (or returned %T %v); the JS driver fails with %q", err, err, tc.Error)
				}
				if !strings.Contains(se.Msg, tc.Error) {
					t.Fatalf("error %q does not contain the driver's message %q", se.Msg, tc.Error)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v\nthe JS driver sends %s", err, tc.Wire)
			}
			// MarshalJSON gives JSON.stringify's exact bytes (json.Marshal
			// would additionally escape <, >, &, U+2028 and U+2029).
			got, err := term.MarshalJSON()
			if err != nil {
				t.Fatalf("MarshalJSON: %v", err)
			}
			if !semanticEqual(t, got, []byte(tc.Wire)) {
				t.Fatalf("wire mismatch\n got: %s\nwant: %s", got, tc.Wire)
			}
			// The generator resets the driver's variable counter, as in a
			// fresh process, so even the bytes must match.
			if string(got) != tc.Wire {
				t.Errorf("wire bytes differ (semantically equal)\n got: %s\nwant: %s", got, tc.Wire)
			}
		})
	}
}
