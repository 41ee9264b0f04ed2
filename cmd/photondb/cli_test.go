package main

// Unit tests of the CLI's pieces that need no server: argument parsing,
// the canonical JSON and CSV cell codecs, the streaming readers and the
// progress bar. The commands themselves are tested end to end against a
// real server in tests/cli.

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestRunCLIDispatch(t *testing.T) {
	for _, cmd := range []string{"status", "serve", "version", "nope"} {
		if _, handled := runCLI(cmd, nil, &bytes.Buffer{}, &bytes.Buffer{}); handled {
			t.Errorf("runCLI handled %q", cmd)
		}
	}
	var out, errOut bytes.Buffer
	code, handled := runCLI("db", nil, &out, &errOut)
	if !handled || code != exitUsage || !strings.Contains(errOut.String(), "photondb db create NAME") {
		t.Errorf("db without subcommand: %d %v %q", code, handled, errOut.String())
	}
	out.Reset()
	code, _ = runCLI("table", []string{"help"}, &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), "photondb table list --db D") {
		t.Errorf("table help: %d %q", code, out.String())
	}
	out.Reset()
	code, _ = runCLI("export", []string{"-h"}, &out, &errOut)
	if code != 0 || !strings.HasPrefix(out.String(), "Usage: photondb export --db D") || !strings.Contains(out.String(), "-format") {
		t.Errorf("export -h: %d %q", code, out.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(cliUsage), "\n") {
		if strings.HasPrefix(line, "  photondb ") {
			words := strings.Fields(line)
			if _, handled := runCLI(words[1], []string{"--help"}, &bytes.Buffer{}, &bytes.Buffer{}); !handled {
				t.Errorf("cliUsage names %q, which runCLI does not handle", words[1])
			}
		}
	}
}

func TestParseFlagsAnywhere(t *testing.T) {
	tests := []struct {
		args    []string
		pos     []string
		db, key string
		output  string
		err     string
	}{
		{args: []string{"--db", "D", "NAME", "--primary-key", "K"}, pos: []string{"NAME"}, db: "D", key: "K", output: "table"},
		{args: []string{"NAME", "--db=D", "--output", "json"}, pos: []string{"NAME"}, db: "D", output: "json"},
		{args: []string{"-db", "D", "--", "-NAME"}, pos: []string{"-NAME"}, db: "D", output: "table"},
		{args: []string{"--", "x", "--db"}, err: `unexpected argument "--db"`},
		{args: []string{"a", "b"}, err: `unexpected argument "b"`},
		{args: []string{}, err: "missing arguments"},
		{args: []string{"x", "--nope"}, err: "flag provided but not defined: -nope"},
		{args: []string{"x", "--output", "yaml"}, err: `--output must be table or json, not "yaml"`},
		{args: []string{"x", "--api-url", "ftp://h"}, err: `--api-url "ftp://h" is not an http(s) URL`},
		{args: []string{"x", "--api-url", "localhost:9"}, pos: []string{"x"}, output: "table"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			c := &cli{ctx: context.Background(), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, name: "table create"}
			fs := c.flags()
			db := fs.String("db", "", "")
			key := fs.String("primary-key", "", "")
			pos, err := c.parse(fs, tt.args, 1, 1)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(pos, "|") != strings.Join(tt.pos, "|") || *db != tt.db || *key != tt.key || c.output != tt.output {
				t.Errorf("pos %q db %q key %q output %q", pos, *db, *key, c.output)
			}
		})
	}
}

func TestCanonicalDocument(t *testing.T) {
	in := `{"b": 1.0, "a": {"d": [1.50, 2e0, -0.1], "c": "<&> é \u00e9 \u2028"}, "e": 1e21, "f": 0.0000001, "ä": null, "Z": true}`
	want := `{"Z":true,"a":{"c":"<&> é é \u2028","d":[1.5,2,-0.1]},"b":1,"e":1e+21,"f":1e-7,"ä":null}`
	got, _, err := newCanonEncoder().document([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("canonical\n got %s\nwant %s", got, want)
	}
}

func TestIsJSONNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "-0": true, "42": true, "-1.5e3": true, "1E+2": true, "0.5": true,
		"": false, "-": false, "007": false, "1.": false, ".5": false, "1e": false, "+1": false, "0x1": false, "1 ": false, "NaN": false,
	} {
		if got := isJSONNumber(s); got != want {
			t.Errorf("isJSONNumber(%q) = %v", s, got)
		}
	}
}

// TestCSVCells: every value survives csvCell then csvValue.
func TestCSVCells(t *testing.T) {
	values := []any{"", "plain", "42", "007", "-1.5e3", "true", "false", "null", "{x", "[1]", `"q"`, "a\nb", "a\r\nb", " pad ", "Zoë",
		1.0, -2.5, 1e21, true, false, nil, map[string]any{"k": []any{1.0, nil}}, []any{}}
	enc := newCanonEncoder()
	for _, v := range values {
		cell, err := enc.csvCell(v)
		if err != nil {
			t.Fatal(err)
		}
		back, ok := csvValue(cell)
		if !ok {
			t.Errorf("%#v: cell %q reads as absent", v, cell)
			continue
		}
		want, _ := json.Marshal(v)
		got, _ := json.Marshal(back)
		if !bytes.Equal(normalizeJSON(t, got), normalizeJSON(t, want)) {
			t.Errorf("%#v: cell %q reads back as %s", v, cell, got)
		}
	}
	if _, ok := csvValue(""); ok {
		t.Error("an empty cell is a value")
	}
}

func normalizeJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	out, _, err := newCanonEncoder().document(b)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), out...)
}

func TestReadJSONDocs(t *testing.T) {
	tests := []struct {
		name, in string
		docs     []string
		err      string
	}{
		{"array", "[\n{\"a\":1},\n{\"a\":2}\n]\n", []string{`{"a":1}`, `{"a":2}`}, ""},
		{"bom", "\ufeff[{\"a\":1}]", []string{`{"a":1}`}, ""},
		{"lines", "{\"a\":1}\n\n{\"a\":2}\n", []string{`{"a":1}`, `{"a":2}`}, ""},
		{"concatenated", `{"a":1}{"a":2}`, []string{`{"a":1}`, `{"a":2}`}, ""},
		{"empty", "", nil, ""},
		{"blank", " \n\t", nil, ""},
		{"empty array", "[ ]", nil, ""},
		{"syntax", `[{"a":1},{"a":}]`, []string{`{"a":1}`}, "invalid JSON near byte 13 (after 1 document): invalid character '}' looking for beginning of value"},
		{"truncated", `[{"a":1}`, []string{`{"a":1}`}, "the JSON ends early (after 1 document)"},
		{"scalar", `[1]`, nil, "document 1 (byte 1) is not a JSON object"},
		{"trailing", `[{"a":1}] [`, []string{`{"a":1}`}, "unexpected data after the JSON array (after byte 9)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			var last int64
			err := readJSONDocs(strings.NewReader(tt.in), func(d json.RawMessage, off int64) error {
				got = append(got, string(d))
				if off <= last {
					t.Errorf("offset %d after %d", off, last)
				}
				last = off
				return nil
			})
			if (err == nil) != (tt.err == "") || (err != nil && err.Error() != tt.err) {
				t.Errorf("error %v, want %q", err, tt.err)
			}
			if strings.Join(got, ",") != strings.Join(tt.docs, ",") {
				t.Errorf("documents %q, want %q", got, tt.docs)
			}
		})
	}
}

func TestReadCSVDocs(t *testing.T) {
	in := "\ufeffid,name,n,obj\n1,Ada,2.5,\"{\"\"k\"\":[1]}\"\n\"\"\"2\"\"\",,null,\n"
	var got []string
	err := readCSVDocs(strings.NewReader(in), func(d json.RawMessage, _ int64) error {
		got = append(got, string(d))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`{"id":1,"n":2.5,"name":"Ada","obj":{"k":[1]}}`, `{"id":"2","n":null}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("documents\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for in, msg := range map[string]string{
		"a,a\n1,2\n": `CSV header: column "a" appears twice`,
		"a,\n1,2\n":  "CSV header: column 2 has no name",
		"a,b\n1\n":   "CSV: record on line 2: wrong number of fields",
	} {
		err := readCSVDocs(strings.NewReader(in), func(json.RawMessage, int64) error { return nil })
		if err == nil || err.Error() != msg {
			t.Errorf("%q: error %v, want %q", in, err, msg)
		}
	}
}

func TestTableInfo(t *testing.T) {
	ours, err := parseTableInfo([]byte(`{"db":"shop","name":"users","primary_key":"uid","shards":2,"indexes":["by_name"]}`))
	if err != nil || ours.PrimaryKey != "uid" || ours.Shards != 2 || ours.DB != "shop" || len(ours.Indexes) != 1 {
		t.Errorf("ours: %+v, %v", ours, err)
	}
	// rethinkdb export's info file: "db" is an object, indexes are objects.
	theirs, err := parseTableInfo([]byte(`{"db":{"id":"x","name":"shop"},"name":"users","primary_key":"uid","indexes":[{"index":"a","function":{}}],"write_hook":null}`))
	if err != nil || theirs.PrimaryKey != "uid" || theirs.DB != "" || theirs.Indexes != nil {
		t.Errorf("rethinkdb's: %+v, %v", theirs, err)
	}
}

// TestProgress: nothing for the first half second, then at most one
// redraw per 100 ms, and done clears the line.
func TestProgress(t *testing.T) {
	var out bytes.Buffer
	now := time.Unix(0, 0)
	p := newProgressOn(&out, "import shop.users", 1000, true, func() time.Time { return now })
	p.update(100, 10)
	now = now.Add(400 * time.Millisecond)
	p.update(200, 20)
	if out.Len() != 0 {
		t.Fatalf("drawn before 500ms: %q", out.String())
	}
	now = now.Add(200 * time.Millisecond)
	p.update(500, 50)
	first := out.String()
	if !strings.HasPrefix(first, "\rimport shop.users [============            ]  50% 50 docs, 83 docs/s, ETA 1s") {
		t.Errorf("bar %q", first)
	}
	now = now.Add(50 * time.Millisecond)
	p.update(600, 60)
	if out.String() != first {
		t.Errorf("redrawn within 100ms: %q", out.String())
	}
	now = now.Add(60 * time.Millisecond)
	p.update(700, 70)
	if strings.Count(out.String(), "\r") != 2 {
		t.Errorf("not redrawn after 100ms: %q", out.String())
	}
	p.done()
	if !strings.HasSuffix(out.String(), "\r") || strings.Count(out.String(), "\r") != 4 {
		t.Errorf("done did not clear the line: %q", out.String())
	}
	var nilBar *progress
	nilBar.update(1, 1) // no terminal: a nil bar does nothing
	nilBar.done()
	if isTerminal(&out) {
		t.Error("a buffer is a terminal")
	}
}
