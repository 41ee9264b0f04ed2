package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/photondb-io/photondb/shared/restclient"
)

// importCommand is `photondb import`.
var importCommand = cliCommand{
	usage: "import --db D --table T --file F [--format json|csv] [--primary-key K] [--conflict error|replace|update] [--create] | import --dir DIR [--db D]",
	help: "Imports documents into a table from a JSON array, newline-delimited JSON or CSV file (the format" +
		" follows the extension unless --format says), streaming it in batches of at most 1000 documents." +
		" --create creates the database and table when missing, with the primary key from --primary-key or the" +
		" file's sibling <table>.info.json. --dir imports every table of an export directory (<out>/<db>)," +
		" creating what is missing; the database defaults to the directory's name.",
	run: runImport,
}

// importBatchBytes bounds a batch's JSON size (the server's default body
// limit is 10 MB).
const importBatchBytes = 4 << 20

// maxReportedErrors is how many batches' first errors import prints.
const maxReportedErrors = 10

// importJob is one file to import into one table.
type importJob struct {
	db, table, file, format string
	primaryKey              string
	conflict                string
	create                  bool
}

// importResult is what an import did (the --output json form).
type importResult struct {
	DB          string   `json:"db"`
	Table       string   `json:"table"`
	File        string   `json:"file"`
	Documents   int64    `json:"documents"` // read from the file
	Imported    int64    `json:"imported"`  // inserted + replaced + unchanged
	Inserted    int64    `json:"inserted"`
	Replaced    int64    `json:"replaced"`
	Unchanged   int64    `json:"unchanged"`
	Errors      int64    `json:"errors"`
	FirstErrors []string `json:"first_errors,omitempty"`
	Seconds     float64  `json:"seconds"`
}

func runImport(c *cli, args []string) error {
	fs := c.flags()
	var job importJob
	fs.StringVar(&job.db, "db", "", "database (required with --file; with --dir default: the directory's name)")
	fs.StringVar(&job.table, "table", "", "table (default: the file's name without extension)")
	fs.StringVar(&job.file, "file", "", "file to import (- for stdin)")
	dir := fs.String("dir", "", "export directory to import (every <table>.json or .csv in it)")
	fs.StringVar(&job.format, "format", "", "json or csv (default: by extension; JSON accepts an array or one document per line)")
	fs.StringVar(&job.primaryKey, "primary-key", "", "primary key of a table created by --create (default: the .info.json's, else id)")
	fs.StringVar(&job.conflict, "conflict", restclient.ConflictError, "when a primary key exists: error, replace or update")
	fs.BoolVar(&job.create, "create", false, "create the database and table if missing")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	switch job.conflict {
	case restclient.ConflictError, restclient.ConflictReplace, restclient.ConflictUpdate:
	default:
		return usagef("--conflict must be error, replace or update, not %q", job.conflict)
	}
	if job.format != "" && job.format != "json" && job.format != "csv" {
		return usagef("--format must be json or csv, not %q", job.format)
	}
	if *dir != "" {
		if job.file != "" || job.table != "" || job.primaryKey != "" {
			return usagef("--dir imports every table of a directory (primary keys from the .info.json files); it does not go with --file, --table or --primary-key")
		}
		return c.importDir(*dir, job)
	}
	if job.file == "" {
		return usagef("--file (or --dir) is required")
	}
	if job.db == "" {
		return usagef("--db is required")
	}
	if job.table == "" {
		if job.file == "-" {
			return usagef("--table is required when the file is stdin (-)")
		}
		job.table = tableNameOf(job.file)
	}
	if job.format == "" {
		job.format = formatOf(job.file)
	}
	res, err := c.importFile(job)
	return c.reportImport([]importResult{res}, err)
}

// tableNameOf is a data file's name without its extension.
func tableNameOf(file string) string {
	base := filepath.Base(file)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// formatOf picks the format from a file's extension (JSON by default).
func formatOf(file string) string {
	if strings.EqualFold(filepath.Ext(file), ".csv") {
		return "csv"
	}
	return "json"
}

// isDataFile reports whether a directory entry is a table's data (not its
// .info.json).
func isDataFile(name string) bool {
	if strings.HasSuffix(name, ".info.json") || strings.HasPrefix(name, ".") {
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".jsonl", ".ndjson", ".csv":
		return true
	}
	return false
}

func (c *cli) importDir(dir string, tmpl importJob) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if tmpl.db == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		tmpl.db = filepath.Base(abs)
	}
	byTable := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !isDataFile(e.Name()) {
			continue
		}
		if tmpl.format != "" && formatOf(e.Name()) != tmpl.format {
			continue
		}
		table := tableNameOf(e.Name())
		if prev, ok := byTable[table]; ok {
			return fmt.Errorf("import: %s has two files for table %s (%s and %s); choose one with --format", dir, table, prev, e.Name())
		}
		byTable[table] = e.Name()
	}
	if len(byTable) == 0 {
		return fmt.Errorf("import: no .json or .csv table files in %s", dir)
	}
	tables := make([]string, 0, len(byTable))
	for t := range byTable {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	var results []importResult
	for _, t := range tables {
		job := tmpl
		job.table, job.file, job.create = t, filepath.Join(dir, byTable[t]), true
		job.format = formatOf(job.file)
		res, err := c.importFile(job)
		results = append(results, res)
		if err != nil {
			return c.reportImport(results, err)
		}
	}
	return c.reportImport(results, nil)
}

// reportImport prints the summaries, with each failing batch's first
// error under its table's line, and returns the error that ends the
// command, if any (its one line names the first per-document error).
func (c *cli) reportImport(results []importResult, err error) error {
	var failed []importResult
	for _, r := range results {
		if r.Errors > 0 {
			failed = append(failed, r)
		}
		if c.json() || (err != nil && r.Documents == 0) {
			continue
		}
		line := fmt.Sprintf("imported %s into %s.%s in %.1fs", plural(r.Imported, "document"), r.DB, r.Table, r.Seconds)
		if r.Replaced > 0 || r.Unchanged > 0 {
			line += fmt.Sprintf(" (%d inserted, %d replaced, %d unchanged)", r.Inserted, r.Replaced, r.Unchanged)
		}
		if r.Errors > 0 {
			line += fmt.Sprintf("; %s failed", plural(r.Errors, "document"))
		}
		c.printf("%s\n", line)
		for _, e := range r.FirstErrors {
			c.printf("  %s\n", oneLine(e))
		}
	}
	if c.json() {
		if perr := c.printJSON(results); perr != nil && err == nil {
			err = perr
		}
	}
	if err != nil || len(failed) == 0 {
		return err
	}
	r := failed[0]
	msg := fmt.Sprintf("%d of %s were not imported into %s.%s", r.Errors, plural(r.Documents, "document"), r.DB, r.Table)
	if len(r.FirstErrors) > 0 {
		msg += "; first error: " + r.FirstErrors[0]
	}
	return errors.New(msg)
}

// prepareTable checks (or, with job.create, makes) the target table.
func (c *cli) prepareTable(job importJob) error {
	t, err := c.client.GetTable(c.ctx, job.db, job.table)
	if err == nil {
		if job.primaryKey != "" && t.PrimaryKey != job.primaryKey {
			return fmt.Errorf("table %s.%s has primary key %q, not %q", job.db, job.table, t.PrimaryKey, job.primaryKey)
		}
		return nil
	}
	var apiErr *restclient.Error
	if !restclient.IsNotFound(err) || !errors.As(err, &apiErr) {
		return err
	}
	if !job.create {
		return fmt.Errorf("%s (use --create to create it)", strings.TrimSuffix(apiErr.Error(), "."))
	}
	spec := restclient.TableSpec{Name: job.table}
	infoPath := strings.TrimSuffix(job.file, filepath.Ext(job.file)) + ".info.json"
	if job.file == "-" {
		infoPath = ""
	}
	if b, err := os.ReadFile(infoPath); infoPath != "" && err == nil {
		ti, err := parseTableInfo(b)
		if err != nil {
			return fmt.Errorf("import: %s: %w", infoPath, err)
		}
		spec.PrimaryKey, spec.Durability = ti.PrimaryKey, ti.Durability
	} else if infoPath != "" && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("import: %w", err)
	}
	if job.primaryKey != "" {
		spec.PrimaryKey = job.primaryKey
	}
	if _, err := c.client.CreateDatabase(c.ctx, job.db); err != nil && !restclient.IsConflict(err) {
		return err
	}
	if _, err := c.client.CreateTable(c.ctx, job.db, spec); err != nil && !restclient.IsConflict(err) {
		return err
	}
	return nil
}

// batch is up to 1000 documents read from a file.
type batch struct {
	docs  []json.RawMessage
	first int64 // number of the first document (1-based)
	end   int64 // file offset after the batch
	err   error // reading stopped here
}

// importFile streams one file into one table.
func (c *cli) importFile(job importJob) (res importResult, err error) {
	res = importResult{DB: job.db, Table: job.table, File: job.file}
	start := time.Now()
	defer func() { res.Seconds = time.Since(start).Seconds() }()
	f := os.Stdin
	if job.file != "-" {
		if f, err = os.Open(job.file); err != nil {
			return res, fmt.Errorf("import: %w", err)
		}
		defer f.Close()
	}
	var size int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	if err := c.prepareTable(job); err != nil {
		return res, err
	}

	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	batches := make(chan batch, 2)
	go func() {
		defer close(batches)
		b := batch{first: 1}
		var batchBytes int
		emit := func(doc json.RawMessage, offset int64) error {
			b.docs = append(b.docs, doc)
			batchBytes += len(doc)
			b.end = offset
			if len(b.docs) < restclient.MaxInsertBatch && batchBytes < importBatchBytes {
				return nil
			}
			select {
			case batches <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
			b = batch{first: b.first + int64(len(b.docs))}
			batchBytes = 0
			return nil
		}
		var err error
		if job.format == "csv" {
			err = readCSVDocs(f, emit)
		} else {
			err = readJSONDocs(f, emit)
		}
		if err != nil {
			err = fmt.Errorf("import: %s: %w", job.file, err)
		}
		b.err = err
		if len(b.docs) > 0 || err != nil {
			select {
			case batches <- b:
			case <-ctx.Done():
			}
		}
	}()

	p := c.newProgress(fmt.Sprintf("import %s.%s", job.db, job.table), size, true)
	defer p.done()
	for b := range batches {
		if len(b.docs) > 0 {
			r, err := c.client.InsertDocuments(ctx, job.db, job.table, b.docs, job.conflict)
			if err != nil {
				return res, fmt.Errorf("import into %s.%s, documents %d-%d: %s", job.db, job.table,
					b.first, b.first+int64(len(b.docs))-1, c.errorMessage(err))
			}
			res.Documents += int64(len(b.docs))
			res.Inserted += int64(r.Inserted)
			res.Replaced += int64(r.Replaced)
			res.Unchanged += int64(r.Unchanged)
			res.Imported = res.Inserted + res.Replaced + res.Unchanged
			res.Errors += int64(r.Errors)
			if r.Errors > 0 && len(res.FirstErrors) < maxReportedErrors {
				res.FirstErrors = append(res.FirstErrors, fmt.Sprintf("documents %d-%d: %s (%s in this batch)",
					b.first, b.first+int64(len(b.docs))-1, r.FirstError, plural(int64(r.Errors), "error")))
			}
			p.update(b.end, res.Documents)
		}
		if b.err != nil {
			return res, b.err
		}
	}
	if err := c.ctx.Err(); err != nil {
		return res, fmt.Errorf("import into %s.%s interrupted after %s", job.db, job.table, plural(res.Documents, "document"))
	}
	return res, nil
}

// readJSONDocs streams the documents of a JSON array, or of a sequence of
// JSON documents (one per line, or just concatenated), to emit with the
// file offset after each.
func readJSONDocs(r io.Reader, emit func(json.RawMessage, int64) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	var skipped int64
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
		skipped = 3
	}
	first, err := peekNonSpace(br)
	if err == io.EOF {
		return nil // an empty file has no documents
	}
	if err != nil {
		return err
	}
	dec := json.NewDecoder(br)
	var n int64
	next := func() error {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		n++
		if raw[0] != '{' {
			return fmt.Errorf("document %d (byte %d) is not a JSON object", n, skipped+dec.InputOffset()-int64(len(raw)))
		}
		return emit(raw, skipped+dec.InputOffset())
	}
	if first != '[' {
		for {
			err := next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return jsonError(err, n, skipped)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return jsonError(err, n, skipped)
	}
	for dec.More() {
		if err := next(); err != nil {
			return jsonError(err, n, skipped)
		}
	}
	if _, err := dec.Token(); err != nil { // ']'
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return jsonError(err, n, skipped)
	}
	end := skipped + dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("unexpected data after the JSON array (after byte %d)", end)
	}
	return nil
}

// jsonError adds where a JSON syntax error is.
func jsonError(err error, docs, skipped int64) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON near byte %d (after %s): %w", skipped+se.Offset, plural(docs, "document"), err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the JSON ends early (after %s)", plural(docs, "document"))
	}
	return err
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, br.UnreadByte()
	}
}

// readCSVDocs streams a CSV file's rows as documents (the header names the
// fields; cells are read as described in cli_format.go).
func readCSVDocs(r io.Reader, emit func(json.RawMessage, int64) error) error {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("CSV header: %w", err)
	}
	header = append([]string(nil), header...)
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	seen := map[string]bool{}
	for i, h := range header {
		if h == "" {
			return fmt.Errorf("CSV header: column %d has no name", i+1)
		}
		if seen[h] {
			return fmt.Errorf("CSV header: column %q appears twice", h)
		}
		seen[h] = true
	}
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("CSV: %w", err)
		}
		doc := make(map[string]any, len(header))
		for i, cell := range rec {
			if v, ok := csvValue(cell); ok {
				doc[header[i]] = v
			}
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			return fmt.Errorf("CSV row %d: %w", row, err)
		}
		if err := emit(raw, cr.InputOffset()); err != nil {
			return err
		}
	}
}
