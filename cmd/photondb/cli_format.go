package main

// The file formats of export and import.
//
// JSON export files are canonical, so that exporting the same data twice
// gives the same bytes and exports can be diffed: a JSON array with one
// document per line ("[\n", documents joined by ",\n", "\n]\n"; an empty
// table is "[\n]\n"), documents in the table's primary-key order, each
// document compact, object keys sorted (byte order), numbers as Go's
// encoding/json writes a float64 (1, 0.5, 1e+21, 1e-7), strings with only
// the escapes JSON requires (no HTML escaping).
//
// CSV files have a header row, the sorted union of the top-level fields of
// every document, and one row per document. A missing field is an empty
// cell; numbers, true, false and null are written as JSON; objects and
// arrays as canonical JSON text; strings as they are, except those that
// would read back as something else (empty, "true", "false", "null",
// numbers, text starting with '{', '[' or '"', and text with a carriage
// return, which CSV readers do not keep), which are written as
// JSON strings ("\"42\""). Import reads cells with the same rules, so a CSV
// export imports back to the same documents.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// canonEncoder re-encodes JSON documents in the canonical form.
type canonEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newCanonEncoder() *canonEncoder {
	c := &canonEncoder{}
	c.enc = json.NewEncoder(&c.buf)
	c.enc.SetEscapeHTML(false)
	return c
}

// value encodes a decoded value (maps are written with sorted keys). The
// result is only valid until the next call.
func (c *canonEncoder) value(v any) ([]byte, error) {
	c.buf.Reset()
	if err := c.enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(c.buf.Bytes(), []byte("\n")), nil
}

// document decodes raw and returns its canonical form (valid until the
// next call) and the decoded value.
func (c *canonEncoder) document(raw []byte) ([]byte, any, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, nil, fmt.Errorf("decode document: %w", err)
	}
	b, err := c.value(v)
	if err != nil {
		return nil, nil, fmt.Errorf("encode document: %w", err)
	}
	return b, v, nil
}

// sortedKeys returns a set's keys in byte order.
func sortedKeys(set map[string]struct{}) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// csvCell formats one top-level value as a CSV cell.
func (c *canonEncoder) csvCell(v any) (string, error) {
	switch x := v.(type) {
	case string:
		if !stringNeedsQuotes(x) {
			return x, nil
		}
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case nil:
		return "null", nil
	}
	b, err := c.value(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// stringNeedsQuotes reports whether a string cell would read back as
// something other than that string.
func stringNeedsQuotes(s string) bool {
	switch {
	case s == "", s == "true", s == "false", s == "null":
		return true
	case s[0] == '{' || s[0] == '[' || s[0] == '"':
		return true
	case strings.ContainsRune(s, '\r'): // CSV readers turn \r\n into \n
		return true
	}
	return isJSONNumber(s)
}

// isJSONNumber reports whether s is a number in JSON's grammar.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

// csvValue reads one CSV cell back; ok is false for an empty cell (the
// field is absent).
func csvValue(cell string) (v any, ok bool) {
	switch {
	case cell == "":
		return nil, false
	case cell == "true":
		return true, true
	case cell == "false":
		return false, true
	case cell == "null":
		return nil, true
	case isJSONNumber(cell):
		return json.Number(cell), true
	case cell[0] == '{' || cell[0] == '[' || cell[0] == '"':
		dec := json.NewDecoder(strings.NewReader(cell))
		dec.UseNumber()
		var x any
		if err := dec.Decode(&x); err == nil && !dec.More() {
			return x, true
		}
	}
	return cell, true
}

// tableInfo is the <table>.info.json export writes next to the data (like
// `rethinkdb export`), and import reads to create the table. Fields are in
// key order, so the file is canonical too.
type tableInfo struct {
	DB         string   `json:"db"`
	Durability string   `json:"durability,omitempty"`
	Indexes    []string `json:"indexes,omitempty"`
	Name       string   `json:"name"`
	PrimaryKey string   `json:"primary_key"`
	Replicas   int      `json:"replicas,omitempty"`
	Shards     int      `json:"shards,omitempty"`
	WriteAcks  string   `json:"write_acks,omitempty"`
}

// parseTableInfo reads an info file: ours, or one of `rethinkdb export`
// (where "db" is an object); unknown fields are ignored.
func parseTableInfo(b []byte) (tableInfo, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return tableInfo{}, err
	}
	var ti tableInfo
	for key, dst := range map[string]any{
		"db": &ti.DB, "durability": &ti.Durability, "indexes": &ti.Indexes, "name": &ti.Name,
		"primary_key": &ti.PrimaryKey, "replicas": &ti.Replicas, "shards": &ti.Shards, "write_acks": &ti.WriteAcks,
	} {
		if raw, ok := m[key]; ok {
			if err := json.Unmarshal(raw, dst); err != nil && key == "indexes" {
				ti.Indexes = nil // rethinkdb's index objects: not ours to recreate
			} // other fields of another shape (rethinkdb's "db") stay empty
		}
	}
	return ti, nil
}
