package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// queryCommand is `photondb query`.
var queryCommand = cliCommand{
	usage: `query [--db D] "<ReQL text>"`,
	help: "Runs a ReQL query written as text, e.g. \"r.table('users').filter({active: true})\"," +
		" and prints its result as JSON (sequences as arrays). \"-\" reads the query from stdin.",
	run: runQuery,
}

func runQuery(c *cli, args []string) error {
	fs := c.flags()
	db := fs.String("db", "", "default database of the query")
	pos, err := c.parse(fs, args, 1, -1)
	if err != nil {
		return err
	}
	text := strings.Join(pos, " ")
	if text == "-" {
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			return fmt.Errorf("read the query from stdin: %w", err)
		}
		text = string(b)
	}
	if strings.TrimSpace(text) == "" {
		return usagef("the query is empty")
	}
	res, err := c.client.Query(c.ctx, text, *db)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if c.json() {
		err = json.Compact(&out, res)
	} else {
		err = json.Indent(&out, res, "", "  ")
	}
	if err != nil {
		return fmt.Errorf("the server's result is not JSON: %w", err)
	}
	out.WriteByte('\n')
	if _, err := c.stdout.Write(out.Bytes()); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
