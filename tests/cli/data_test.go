package cli_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// canonical writes docs as export writes JSON: an array, one document per
// line, keys sorted, Go's number format, no HTML escaping. Documents must
// come in primary-key order.
func canonical(t *testing.T, path string, n int, doc func(int) map[string]any) []byte {
	t.Helper()
	var out, line bytes.Buffer
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false)
	out.WriteString("[\n")
	for i := 0; i < n; i++ {
		line.Reset()
		if err := enc.Encode(doc(i)); err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			out.WriteString(",\n")
		}
		out.Write(bytes.TrimSuffix(line.Bytes(), []byte("\n")))
	}
	if n > 0 {
		out.WriteString("\n")
	}
	out.WriteString("]\n")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

var (
	names  = []string{"Ada", "Zoë", "Łukasz", "李雷", "Ωmega", "José", "Nguyễn", "Дмитрий", "أحمد", "😀 smile"}
	cities = []string{"Zürich", "São Paulo", "東京", "Kraków", "New York", "Reykjavík", "Đà Nẵng"}
)

// userDoc is document i of the big import: about 100 bytes, mixed types,
// nested objects, unicode (keys too), escapes, numbers JSON writers
// disagree on.
func userDoc(i int) map[string]any {
	d := map[string]any{
		"id":     fmt.Sprintf("u%06d", i),
		"name":   fmt.Sprintf("%s %d", names[i%len(names)], i),
		"age":    18 + i%60,
		"score":  float64(i%1000) / 8,
		"active": i%3 == 0,
		"addr":   map[string]any{"city": cities[i%len(cities)], "zip": fmt.Sprintf("%05d", (i*7919)%100000)},
	}
	switch i % 10 {
	case 0:
		d["tags"] = []any{"new", i % 7}
	case 1:
		d["note"] = nil
	case 2:
		d["big"] = 1e21 * float64(i%9+1)
	case 3:
		d["small"] = float64(i%97+1) * 1e-9
	case 4:
		d["text"] = "quote \" backslash \\ newline \n tab \t <html> & \u2028 end"
	case 5:
		d["neg"] = -float64(i) - 0.5
	case 6:
		d["nested"] = map[string]any{"a": map[string]any{"b": []any{1, "two", nil, true, map[string]any{}}}}
	case 7:
		d["maxsafe"] = 9007199254740991.0
	case 8:
		d["ключ"] = "значение"
	case 9:
		d["empty"] = ""
		d["none"] = []any{}
	}
	return d
}

// firstDiff describes where two exports differ.
func firstDiff(got, want []byte) string {
	gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(gl) && i < len(wl); i++ {
		if !bytes.Equal(gl[i], wl[i]) {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, gl[i], wl[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(gl), len(wl))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func expectSame(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s: %d bytes differ from the %d expected; first difference at %s", what, len(got), len(want), firstDiff(got, want))
	}
}

func mustRun(t *testing.T, limit time.Duration, args ...string) result {
	t.Helper()
	r := photondb(t, limit, nil, args...)
	if r.Code != 0 {
		t.Fatalf("photondb %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r
}

// TestImportExport100k is the test: 100,000 documents imported
// from a JSON file and exported back byte for byte.
func TestImportExport100k(t *testing.T) {
	const n = 100_000
	createDB(t, "cli_big")
	dir := t.TempDir()
	in := filepath.Join(dir, "users.json")
	want := canonical(t, in, n, userDoc)
	t.Logf("input: %d documents, %d bytes (%.0f per document)", n, len(want), float64(len(want))/n)

	r := mustRun(t, 90*time.Second, "import", "--db", "cli_big", "--table", "users", "--file", in, "--create")
	if !regexp.MustCompile(`^imported 100000 documents into cli_big\.users in \d+\.\ds\n$`).MatchString(r.Stdout) {
		t.Errorf("import summary: %q", r.Stdout)
	}
	t.Logf("import: %s", r.Elapsed)

	out := filepath.Join(dir, "export.json")
	r = mustRun(t, 90*time.Second, "export", "--db", "cli_big", "--table", "users", "--out", out)
	if !regexp.MustCompile(`^exported 100000 documents from cli_big\.users to ` + regexp.QuoteMeta(out) + ` in \d+\.\ds\n$`).MatchString(r.Stdout) {
		t.Errorf("export summary: %q", r.Stdout)
	}
	t.Logf("export: %s", r.Elapsed)
	expectSame(t, "export of the imported file", mustRead(t, out), want)

	runSteps(t, []step{{name: "count", args: []string{"table", "info", "cli_big.users", "--output", "json"},
		json: map[string]any{"documents": n, "primary_key": "id"}}})
}

// TestExportDatabase exports a whole database into a directory, imports the
// directory into another database and exports that: the same bytes.
func TestExportDatabase(t *testing.T) {
	createDB(t, "cli_exp")
	t.Cleanup(func() { dropQuietly(t, "cli_exp_copy") })
	dir := t.TempDir()
	users := canonical(t, filepath.Join(dir, "users.json"), 2500, func(i int) map[string]any {
		d := userDoc(i)
		d["uid"] = d["id"]
		delete(d, "id")
		return d
	})
	orders := canonical(t, filepath.Join(dir, "orders.json"), 30, func(i int) map[string]any {
		return map[string]any{"id": i, "user": fmt.Sprintf("u%06d", i%7), "total": float64(i) * 9.99, "lines": []any{map[string]any{"sku": "A-1", "qty": i%3 + 1}}}
	})
	mustRun(t, time.Minute, "import", "--db", "cli_exp", "--file", filepath.Join(dir, "users.json"), "--create", "--primary-key", "uid")
	mustRun(t, time.Minute, "import", "--db", "cli_exp", "--table", "orders", "--file", filepath.Join(dir, "orders.json"), "--create")
	mustRun(t, time.Minute, "table", "create", "--db", "cli_exp", "empty")

	out1, out2, out3 := filepath.Join(dir, "e1"), filepath.Join(dir, "e2"), filepath.Join(dir, "e3")
	r := mustRun(t, time.Minute, "export", "--db", "cli_exp", "--out", out1)
	for _, tbl := range []string{"empty", "orders", "users"} {
		if !regexp.MustCompile(`(?m)^exported \d+ documents? from cli_exp\.` + tbl + ` to ` + regexp.QuoteMeta(filepath.Join(out1, "cli_exp", tbl+".json")) + ` in \d+\.\ds$`).MatchString(r.Stdout) {
			t.Errorf("export output has no line for %s:\n%s", tbl, r.Stdout)
		}
	}
	expectSame(t, "users.json", mustRead(t, filepath.Join(out1, "cli_exp", "users.json")), users)
	expectSame(t, "orders.json", mustRead(t, filepath.Join(out1, "cli_exp", "orders.json")), orders)
	expectSame(t, "empty.json", mustRead(t, filepath.Join(out1, "cli_exp", "empty.json")), []byte("[\n]\n"))
	var info map[string]any
	if err := json.Unmarshal(mustRead(t, filepath.Join(out1, "cli_exp", "users.info.json")), &info); err != nil {
		t.Fatalf("users.info.json: %v", err)
	}
	if !contains(info, map[string]any{"db": "cli_exp", "name": "users", "primary_key": "uid", "shards": 1.0, "replicas": 1.0}) {
		t.Errorf("users.info.json: %v", info)
	}
	for _, k := range []string{"documents", "id", "created_at"} {
		if _, ok := info[k]; ok {
			t.Errorf("users.info.json has %q, which changes between exports", k)
		}
	}

	// A second export is identical, file by file.
	r = mustRun(t, time.Minute, "export", "--db", "cli_exp", "--out", out2, "--output", "json")
	var results []map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &results); err != nil {
		t.Fatalf("export --output json: %v\n%s", err, r.Stdout)
	}
	if !contains(normalize(t, results), normalize(t, []any{
		map[string]any{"db": "cli_exp", "table": "empty", "documents": 0, "format": "json"},
		map[string]any{"db": "cli_exp", "table": "orders", "documents": 30},
		map[string]any{"db": "cli_exp", "table": "users", "documents": 2500, "file": filepath.Join(out2, "cli_exp", "users.json")},
	})) {
		t.Errorf("export --output json: %s", r.Stdout)
	}
	for _, f := range []string{"empty.json", "empty.info.json", "orders.json", "orders.info.json", "users.json", "users.info.json"} {
		expectSame(t, "second export of "+f, mustRead(t, filepath.Join(out2, "cli_exp", f)), mustRead(t, filepath.Join(out1, "cli_exp", f)))
	}

	// import --dir into another database, then export that.
	r = mustRun(t, time.Minute, "import", "--dir", filepath.Join(out1, "cli_exp"), "--db", "cli_exp_copy")
	for _, want := range []string{`(?m)^imported 0 documents into cli_exp_copy\.empty in `, `(?m)^imported 30 documents into cli_exp_copy\.orders in `,
		`(?m)^imported 2500 documents into cli_exp_copy\.users in `} {
		if !regexp.MustCompile(want).MatchString(r.Stdout) {
			t.Errorf("import --dir output does not match %q:\n%s", want, r.Stdout)
		}
	}
	runSteps(t, []step{{name: "primary key kept", args: []string{"table", "info", "cli_exp_copy.users", "--output", "json"},
		json: map[string]any{"primary_key": "uid", "documents": 2500}}})
	mustRun(t, time.Minute, "export", "--db", "cli_exp_copy", "--out", out3)
	for _, f := range []string{"empty.json", "orders.json", "users.json"} {
		expectSame(t, "re-imported "+f, mustRead(t, filepath.Join(out3, "cli_exp_copy", f)), mustRead(t, filepath.Join(out1, "cli_exp", f)))
	}
}

// csvStrings are strings CSV must carry unchanged, including those that
// look like other types.
var csvStrings = []string{"", "42", "-1.5e3", "007", "true", "false", "null", "{not json", "[1,2]", `"quoted"`,
	"multi\nline", "cr\r\nlf", `comma, and "quotes"`, "  spaces  ", "Zoë 李雷 😀", "plain", "1e", "-"}

func csvDoc(i int) map[string]any {
	d := map[string]any{"id": fmt.Sprintf("r%04d", i), "s": csvStrings[i%len(csvStrings)], "n": float64(i)*1.25 - 100}
	if i%2 == 0 {
		d["obj"] = map[string]any{"k": csvStrings[(i+3)%len(csvStrings)], "arr": []any{i, nil, true}, "e": map[string]any{}}
	}
	if i%3 == 0 {
		d["flag"] = i%2 == 0
	}
	if i%5 == 0 {
		d["nil"] = nil
	}
	if i%7 == 0 {
		d["list"] = []any{}
	}
	if i%11 == 0 {
		d["ünï"] = "ok"
	}
	return d
}

// TestCSVRoundTrip: JSON in, CSV out, CSV in, JSON out: the same bytes.
func TestCSVRoundTrip(t *testing.T) {
	const n = 600
	createDB(t, "cli_csv")
	dir := t.TempDir()
	in := filepath.Join(dir, "src.json")
	want := canonical(t, in, n, csvDoc)
	mustRun(t, time.Minute, "import", "--db", "cli_csv", "--table", "src", "--file", in, "--create")

	csvFile := filepath.Join(dir, "src.csv")
	r := mustRun(t, time.Minute, "export", "--db", "cli_csv", "--table", "src", "--out", csvFile)
	if !strings.HasPrefix(r.Stdout, "exported 600 documents from cli_csv.src to "+csvFile) {
		t.Errorf("export: %q", r.Stdout)
	}
	f, err := os.Open(csvFile)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatalf("the export is not CSV: %v", err)
	}
	if got, want := strings.Join(rows[0], ","), "flag,id,list,n,nil,obj,s,ünï"; got != want {
		t.Errorf("CSV header %q, want %q", got, want)
	}
	if len(rows) != n+1 {
		t.Errorf("%d CSV rows, want %d", len(rows), n+1)
	}
	if got, want := strings.Join(rows[1], "|"), `true|r0000|[]|-100|null|{"arr":[0,null,true],"e":{},"k":"007"}|""|ok`; got != want {
		t.Errorf("first CSV row %q, want %q", got, want)
	}
	if got, want := strings.Join(rows[2], "|"), `|r0001||-98.75|||"42"|`; got != want {
		t.Errorf("second CSV row %q, want %q", got, want)
	}

	r = mustRun(t, time.Minute, "import", "--db", "cli_csv", "--table", "back", "--file", csvFile, "--create", "--primary-key", "id")
	if !strings.HasPrefix(r.Stdout, "imported 600 documents into cli_csv.back in ") {
		t.Errorf("import: %q", r.Stdout)
	}
	out := filepath.Join(dir, "back.json")
	mustRun(t, time.Minute, "export", "--db", "cli_csv", "--table", "back", "--out", out)
	expectSame(t, "CSV round trip", mustRead(t, out), want)

	// A whole-database CSV export lays out <out>/<db>/<table>.csv.
	mustRun(t, time.Minute, "export", "--db", "cli_csv", "--format", "csv", "--out", filepath.Join(dir, "all"))
	expectSame(t, "database CSV export", mustRead(t, filepath.Join(dir, "all", "cli_csv", "src.csv")), mustRead(t, csvFile))
	if _, err := os.Stat(filepath.Join(dir, "all", "cli_csv", "back.info.json")); err != nil {
		t.Errorf("no info file: %v", err)
	}
}

// TestImport covers the input forms, conflicts and failures of import.
func TestImport(t *testing.T) {
	createDB(t, "cli_imp")
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lines := write("people.jsonl", "{\"id\": 1, \"name\": \"Ada\"}\n{\"id\": 2, \"name\": \"Bob\"}\n\n{\"id\": 3, \"name\": \"Cy\"}\n")
	changed := write("changed.json", "\ufeff[{\"id\": 1, \"name\": \"Ada L.\"}, {\"id\": 4, \"name\": \"Di\"}]")
	// Documents before a format error are imported (the file is streamed).
	bad := write("bad.json", `[{"id": 10}, {"id": 2,}]`)
	notObj := write("notobj.json", `[{"id": 11}, 2]`)
	trailing := write("trailing.json", `[{"id": 12}] x`)
	empty := write("empty.json", "")
	badCSV := write("bad.csv", "id,,x\n1,2,3\n")
	missing := filepath.Join(dir, "nope.json")

	runSteps(t, []step{
		{name: "json lines, table from the file name", args: []string{"import", "--db", "cli_imp", "--file", lines, "--create"},
			stdout: []string{`^imported 3 documents into cli_imp\.people in \d+\.\ds\n$`}},
		{name: "duplicates fail per document", args: []string{"import", "--db", "cli_imp", "--table", "people", "--file", lines}, code: 1,
			stdout: []string{`^imported 0 documents into cli_imp\.people in \d+\.\ds; 3 documents failed\n  documents 1-3: Duplicate primary key ` + "`id`" + `: .+ \(3 errors in this batch\)\n$`},
			stderr: "^photondb: 3 of 3 documents were not imported into cli_imp\\.people; first error: documents 1-3: Duplicate primary key `id`: .+\n$"},
		{name: "duplicates json", args: []string{"import", "--db", "cli_imp", "--table", "people", "--file", lines, "--output", "json"}, code: 1,
			json:   []any{map[string]any{"db": "cli_imp", "table": "people", "documents": 3, "imported": 0, "errors": 3}},
			stderr: `^photondb: 3 of 3 documents were not imported`},
		{name: "replace", args: []string{"import", "--db", "cli_imp", "--table", "people", "--file", lines, "--conflict", "replace"},
			stdout: []string{`^imported 3 documents into cli_imp\.people in \d+\.\ds \(0 inserted, 0 replaced, 3 unchanged\)\n$`}},
		{name: "update, array with a BOM", args: []string{"import", "--db", "cli_imp", "--table", "people", "--file", changed, "--conflict", "update", "--output", "json"},
			json: []any{map[string]any{"documents": 2, "imported": 2, "inserted": 1, "replaced": 1, "errors": 0}}},
		{name: "stdin", args: []string{"import", "--db", "cli_imp", "--table", "people", "--file", "-", "--conflict", "update"},
			stdin: `{"id": 3, "age": 40}`, stdout: []string{`^imported 1 document into cli_imp\.people in \d+\.\ds \(0 inserted, 1 replaced, 0 unchanged\)\n$`}},
		{name: "stdin needs a table", args: []string{"import", "--db", "cli_imp", "--file", "-"}, code: 2,
			stderr: `^photondb import: --table is required when the file is stdin \(-\) `},
		{name: "empty file", args: []string{"import", "--db", "cli_imp", "--table", "people", "--file", empty},
			stdout: []string{`^imported 0 documents into cli_imp\.people in `}},
		{name: "missing table", args: []string{"import", "--db", "cli_imp", "--table", "nope", "--file", lines}, code: 1,
			stderr: problem("Table `cli_imp.nope` does not exist (use --create to create it)")},
		{name: "missing file", args: []string{"import", "--db", "cli_imp", "--file", missing}, code: 1,
			stderr: problem("import: open " + missing + ": no such file or directory")},
		{name: "invalid JSON", args: []string{"import", "--db", "cli_imp", "--table", "people", "--file", bad}, code: 1,
			stdout: []string{`^imported 1 document into cli_imp\.people in \d+\.\ds\n$`},
			stderr: `^photondb: import: ` + regexp.QuoteMeta(bad) + `: invalid JSON near byte \d+ \(after 1 document\): invalid character '}' .+\n$`},
		{name: "not an object", args: []string{"import", "--db", "cli_imp", "--table", "people", "--file", notObj}, code: 1,
			stdout: []string{`^imported 1 document into cli_imp\.people in \d+\.\ds\n$`},
			stderr: `^photondb: import: ` + regexp.QuoteMeta(notObj) + `: document 2 \(byte \d+\) is not a JSON object\n$`},
		{name: "data after the array", args: []string{"import", "--db", "cli_imp", "--table", "people", "--file", trailing}, code: 1,
			stdout: []string{`^imported 1 document into cli_imp\.people in \d+\.\ds\n$`},
			stderr: `^photondb: import: ` + regexp.QuoteMeta(trailing) + `: unexpected data after the JSON array \(after byte \d+\)\n$`},
		{name: "bad CSV header", args: []string{"import", "--db", "cli_imp", "--table", "people", "--file", badCSV}, code: 1,
			stderr: `^photondb: import: ` + regexp.QuoteMeta(badCSV) + `: CSV header: column 2 has no name\n$`},
		{name: "other primary key", args: []string{"import", "--db", "cli_imp", "--table", "people", "--file", lines, "--primary-key", "name"}, code: 1,
			stderr: problem(`table cli_imp.people has primary key "id", not "name"`)},
		{name: "bad conflict", args: []string{"import", "--db", "cli_imp", "--file", lines, "--conflict", "merge"}, code: 2,
			stderr: `^photondb import: --conflict must be error, replace or update, not "merge" \(usage: .+\)\n$`},
		{name: "no file", args: []string{"import", "--db", "cli_imp"}, code: 2, stderr: `^photondb import: --file \(or --dir\) is required `},
		{name: "no db", args: []string{"import", "--file", lines}, code: 2, stderr: `^photondb import: --db is required `},
		{name: "dir and file", args: []string{"import", "--dir", dir, "--file", lines}, code: 2, stderr: `^photondb import: --dir imports every table`},
		{name: "content", args: []string{"query", "--output", "json", `r.db('cli_imp').table('people').orderBy('id')`},
			stdout: []string{exact(`[{"id":1,"name":"Ada L."},{"id":2,"name":"Bob"},{"age":40,"id":3,"name":"Cy"},{"id":4,"name":"Di"},{"id":10},{"id":11},{"id":12}]` + "\n")}},
	})
}

// TestExportErrors covers export's failures.
func TestExportErrors(t *testing.T) {
	createDB(t, "cli_experr")
	dir := t.TempDir()
	runSteps(t, []step{
		{name: "missing db", args: []string{"export", "--db", "cli_nope", "--out", dir}, code: 1, stderr: problem("Database `cli_nope` does not exist.")},
		{name: "missing table", args: []string{"export", "--db", "cli_experr", "--table", "nope", "--out", dir}, code: 1,
			stderr: problem("Table `cli_experr.nope` does not exist.")},
		{name: "no tables", args: []string{"export", "--db", "cli_experr", "--out", dir}, stdout: []string{exact("database cli_experr has no tables; nothing exported\n")}},
		{name: "no tables json", args: []string{"export", "--db", "cli_experr", "--out", dir, "--output", "json"}, stdout: []string{exact("[]\n")}},
		{name: "no db", args: []string{"export"}, code: 2, stderr: `^photondb export: --db is required \(usage: photondb export --db D .+\)\n$`},
		{name: "bad format", args: []string{"export", "--db", "cli_experr", "--format", "xml"}, code: 2,
			stderr: `^photondb export: --format must be json or csv, not "xml" `},
		{name: "file without table", args: []string{"export", "--db", "cli_experr", "--out", "x.json"}, code: 2,
			stderr: `^photondb export: --out x\.json is a file; export one table to it with --table, or give a directory `},
		{name: "format and file disagree", args: []string{"export", "--db", "cli_experr", "--table", "t", "--format", "csv", "--out", "x.json"}, code: 2,
			stderr: `^photondb export: --format csv does not match --out x\.json `},
	})
}

func dropQuietly(t *testing.T, db string) {
	photondb(t, 30*time.Second, nil, "db", "drop", "--force", db)
}

// TestPseudoTypesRoundTrip: times, binaries and geometries export as their
// $reql_type$ objects and import back as the same types, through JSON and
// through CSV.
func TestPseudoTypesRoundTrip(t *testing.T) {
	createDB(t, "cli_pt")
	t.Cleanup(func() { dropQuietly(t, "cli_pt_copy") })
	mustRun(t, time.Minute, "table", "create", "cli_pt.things")
	mustRun(t, time.Minute, "query", "--db", "cli_pt", `r.table('things').insert([`+
		`{id: 1, t: r.time(2024, 1, 2, 3, 4, 5.5, '+02:00'), b: r.binary(r.expr('hello')), g: r.point(1, 2)},`+
		`{id: 2, l: r.line([0, 0], [1, 1]), nested: {at: r.epochTime(0)}}])`)
	dir := t.TempDir()
	mustRun(t, time.Minute, "export", "--db", "cli_pt", "--out", dir)
	want := "[\n" +
		`{"b":{"$reql_type$":"BINARY","data":"aGVsbG8="},"g":{"$reql_type$":"GEOMETRY","coordinates":[1,2],"type":"Point"},"id":1,"t":{"$reql_type$":"TIME","epoch_time":1704157445.5,"timezone":"+02:00"}},` + "\n" +
		`{"id":2,"l":{"$reql_type$":"GEOMETRY","coordinates":[[0,0],[1,1]],"type":"LineString"},"nested":{"at":{"$reql_type$":"TIME","epoch_time":0,"timezone":"+00:00"}}}` + "\n]\n"
	expectSame(t, "export", mustRead(t, filepath.Join(dir, "cli_pt", "things.json")), []byte(want))

	mustRun(t, time.Minute, "import", "--dir", filepath.Join(dir, "cli_pt"), "--db", "cli_pt_copy")
	runSteps(t, []step{{name: "types", args: []string{"query", "--output", "json",
		`r.db('cli_pt_copy').table('things').get(1).do(d => [d('t').typeOf(), d('b').typeOf(), d('g').typeOf(), d('t').hours(), d('b').count()])`},
		stdout: []string{exact(`["PTYPE<TIME>","PTYPE<BINARY>","PTYPE<GEOMETRY>",3,5]` + "\n")}}})

	csvFile := filepath.Join(dir, "things.csv")
	mustRun(t, time.Minute, "export", "--db", "cli_pt_copy", "--table", "things", "--out", csvFile)
	mustRun(t, time.Minute, "import", "--db", "cli_pt_copy", "--table", "from_csv", "--file", csvFile, "--create")
	out := filepath.Join(dir, "from_csv.json")
	mustRun(t, time.Minute, "export", "--db", "cli_pt_copy", "--table", "from_csv", "--out", out)
	expectSame(t, "CSV round trip", mustRead(t, out), []byte(want))
}
