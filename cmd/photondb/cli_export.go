package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/photondb-io/photondb/shared/restclient"
)

// exportCommand is `photondb export`.
var exportCommand = cliCommand{
	usage: "export --db D [--table T] [--format json|csv] [--out PATH]",
	help: "Exports a database (every table) or one table to files: <out>/<db>/<table>.json (or .csv) and" +
		" <table>.info.json with the table's configuration. With --table and an --out ending in .json or .csv," +
		" writes that one file. JSON exports are canonical (keys sorted, primary-key order, one document per line)," +
		" so the same data always exports to the same bytes.",
	run: runExport,
}

// exportResult is what export did for one table (the --output json form).
type exportResult struct {
	DB        string  `json:"db"`
	Table     string  `json:"table"`
	File      string  `json:"file"`
	Format    string  `json:"format"`
	Documents int64   `json:"documents"`
	Seconds   float64 `json:"seconds"`
}

func runExport(c *cli, args []string) error {
	fs := c.flags()
	db := fs.String("db", "", "database to export (required)")
	table := fs.String("table", "", "export only this table")
	format := fs.String("format", "", "json or csv (default json, or the --out file's extension)")
	out := fs.String("out", ".", "output directory, or with --table a .json or .csv file")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *db == "" {
		return usagef("--db is required")
	}
	ext := strings.ToLower(filepath.Ext(*out))
	single := ext == ".json" || ext == ".csv"
	if single && *table == "" {
		return usagef("--out %s is a file; export one table to it with --table, or give a directory", *out)
	}
	if *format == "" {
		*format = "json"
		if single {
			*format = ext[1:]
		}
	}
	if *format != "json" && *format != "csv" {
		return usagef("--format must be json or csv, not %q", *format)
	}
	if single && ext[1:] != *format {
		return usagef("--format %s does not match --out %s", *format, *out)
	}

	var tables []restclient.Table
	if *table != "" {
		t, err := c.client.GetTable(c.ctx, *db, *table)
		if err != nil {
			return err
		}
		tables = []restclient.Table{t}
	} else {
		all, err := c.client.AllTables(c.ctx, *db)
		if err != nil {
			return err
		}
		tables = all
	}

	var results []exportResult
	for _, t := range tables {
		file, dir := *out, filepath.Join(*out, *db)
		if !single {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("export: %w", err)
			}
			file = filepath.Join(dir, t.Name+"."+*format)
		}
		start := time.Now()
		n, err := c.exportTable(t, file, *format)
		if err != nil {
			return err
		}
		if !single {
			if err := writeTableInfo(filepath.Join(dir, t.Name+".info.json"), t); err != nil {
				return fmt.Errorf("export %s.%s: %w", t.DB, t.Name, err)
			}
		}
		res := exportResult{DB: *db, Table: t.Name, File: file, Format: *format, Documents: n, Seconds: time.Since(start).Seconds()}
		results = append(results, res)
		if !c.json() {
			c.printf("exported %s from %s.%s to %s in %.1fs\n", plural(n, "document"), res.DB, res.Table, res.File, res.Seconds)
		}
	}
	if c.json() {
		if results == nil {
			results = []exportResult{}
		}
		return c.printJSON(results)
	}
	if len(tables) == 0 {
		c.printf("database %s has no tables; nothing exported\n", *db)
	}
	return nil
}

// writeTableInfo writes the table's configuration (not its size or
// identity, so that the file is the same on every export).
func writeTableInfo(path string, t restclient.Table) error {
	b, err := json.MarshalIndent(tableInfo{
		DB: t.DB, Name: t.Name, PrimaryKey: t.PrimaryKey, Shards: t.Shards, Replicas: t.Replicas,
		Durability: t.Durability, WriteAcks: t.WriteAcks, Indexes: t.Indexes,
	}, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, func(w *bufio.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// writeFileAtomic writes a file through a temporary file in the same
// directory, renamed into place once complete.
func writeFileAtomic(path string, write func(w *bufio.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// exportTable writes one table to file and returns its document count.
func (c *cli) exportTable(t restclient.Table, file, format string) (int64, error) {
	var total int64
	if t.Documents != nil {
		total = *t.Documents
	}
	p := c.newProgress(fmt.Sprintf("export %s.%s", t.DB, t.Name), total, false)
	defer p.done()
	var n int64
	err := writeFileAtomic(file, func(w *bufio.Writer) error {
		var err error
		if format == "csv" {
			n, err = c.exportCSV(t, w, p)
		} else {
			n, err = c.exportJSON(t, w, p)
		}
		return err
	})
	if err != nil {
		var apiErr *restclient.Error
		var te *restclient.TransportError
		if errors.As(err, &apiErr) || errors.As(err, &te) {
			return n, err
		}
		return n, fmt.Errorf("export %s.%s to %s: %w", t.DB, t.Name, file, err)
	}
	return n, nil
}

// exportJSON writes the canonical JSON array of a table's documents.
func (c *cli) exportJSON(t restclient.Table, bw *bufio.Writer, p *progress) (int64, error) {
	canon := newCanonEncoder()
	bw.WriteString("[\n")
	var n int64
	for raw, err := range c.prefetchDocuments(t.DB, t.Name) {
		if err != nil {
			return n, err
		}
		b, _, err := canon.document(raw)
		if err != nil {
			return n, fmt.Errorf("document %d: %w", n+1, err)
		}
		if n > 0 {
			bw.WriteString(",\n")
		}
		bw.Write(b)
		n++
		p.update(n, n)
	}
	if n > 0 {
		bw.WriteString("\n")
	}
	_, err := bw.WriteString("]\n")
	return n, err
}

// exportCSV writes a table as CSV. The header (every top-level field) is
// only known at the end, so the documents go to a temporary file of
// canonical JSON lines first.
func (c *cli) exportCSV(t restclient.Table, w io.Writer, p *progress) (int64, error) {
	tmp, err := os.CreateTemp("", "photondb-export-*.jsonl")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	canon := newCanonEncoder()
	tw := bufio.NewWriterSize(tmp, 1<<20)
	fields := map[string]struct{}{}
	var n int64
	for raw, err := range c.prefetchDocuments(t.DB, t.Name) {
		if err != nil {
			return n, err
		}
		b, v, err := canon.document(raw)
		if err != nil {
			return n, fmt.Errorf("document %d: %w", n+1, err)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return n, fmt.Errorf("document %d is not an object", n+1)
		}
		for k := range obj {
			fields[k] = struct{}{}
		}
		tw.Write(b)
		tw.WriteByte('\n')
		n++
		p.update(n, n)
	}
	if err := tw.Flush(); err != nil {
		return n, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return n, err
	}
	header := sortedKeys(fields)
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return n, err
	}
	sc := bufio.NewScanner(tmp)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	row := make([]string, len(header))
	for sc.Scan() {
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			return n, err
		}
		for i, k := range header {
			row[i] = ""
			if v, ok := obj[k]; ok {
				if row[i], err = canon.csvCell(v); err != nil {
					return n, err
				}
			}
		}
		if err := cw.Write(row); err != nil {
			return n, err
		}
	}
	if err := sc.Err(); err != nil {
		return n, err
	}
	cw.Flush()
	return n, cw.Error()
}

// prefetchDocuments iterates a table's documents in primary-key order,
// fetching the next page while the current one is written.
func (c *cli) prefetchDocuments(db, table string) func(yield func(json.RawMessage, error) bool) {
	return func(yield func(json.RawMessage, error) bool) {
		type page struct {
			docs []json.RawMessage
			err  error
		}
		pages := make(chan page, 1)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			defer close(pages)
			cursor := ""
			for {
				pg, err := c.client.ListDocuments(c.ctx, db, table, restclient.Page{Limit: restclient.MaxPageSize, Cursor: cursor})
				select {
				case pages <- page{pg.Documents, err}:
				case <-stop:
					return
				}
				if err != nil || pg.NextCursor == "" {
					return
				}
				if pg.NextCursor == cursor {
					select {
					case pages <- page{err: fmt.Errorf("list documents of %s.%s: the server returned the same cursor twice", db, table)}:
					case <-stop:
					}
					return
				}
				cursor = pg.NextCursor
			}
		}()
		for pg := range pages {
			if pg.err != nil {
				yield(nil, pg.err)
				return
			}
			for _, d := range pg.docs {
				if !yield(d, nil) {
					return
				}
			}
		}
	}
}
