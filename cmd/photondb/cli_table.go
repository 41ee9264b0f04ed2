package main

import (
	"fmt"
	"strings"

	"github.com/photondb-io/photondb/shared/restclient"
)

// tableCommands are `photondb table ...`.
var tableCommands = map[string]cliCommand{
	"create": {usage: "create --db D NAME [--primary-key K] [--shards N] [--replicas N]", run: tableCreate,
		help: "Creates a table."},
	"drop": {usage: "drop --db D NAME [--force]", run: tableDrop,
		help: "Drops a table. A table that has documents is only dropped with --force."},
	"list": {usage: "list --db D", run: tableList, help: "Lists a database's tables."},
	"info": {usage: "info --db D NAME", run: tableShow, help: "Shows a table's configuration and size (NAME may be D.NAME)."},
}

func tableCreate(c *cli, args []string) error {
	fs := c.flags()
	db := fs.String("db", "", "database (required unless NAME is DB.TABLE)")
	var spec restclient.TableSpec
	fs.StringVar(&spec.PrimaryKey, "primary-key", "", "primary key field (default id)")
	fs.IntVar(&spec.Shards, "shards", 0, "number of shards (default: the server's, 1)")
	fs.IntVar(&spec.Replicas, "replicas", 0, "replicas per shard (default: the server's, 1)")
	fs.StringVar(&spec.Durability, "durability", "", "default write durability: hard or soft")
	fs.StringVar(&spec.WriteAcks, "write-acks", "", "write acknowledgements: majority or single")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if spec.Shards < 0 || spec.Replicas < 0 {
		return usagef("--shards and --replicas must be positive")
	}
	d, name, err := dbTable(*db, pos[0])
	if err != nil {
		return err
	}
	spec.Name = name
	t, err := c.client.CreateTable(c.ctx, d, spec)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printJSON(t)
	}
	c.printf("created table %s.%s (primary key %s)\n", t.DB, t.Name, t.PrimaryKey)
	return nil
}

func tableDrop(c *cli, args []string) error {
	fs := c.flags()
	db := fs.String("db", "", "database (required unless NAME is DB.TABLE)")
	force := fs.Bool("force", false, "drop the table even if it has documents")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	d, name, err := dbTable(*db, pos[0])
	if err != nil {
		return err
	}
	if !*force {
		n, err := c.documentCount(d, name)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("Table `%s.%s` has %s; use --force to drop it with its documents", d, name, plural(n, "document"))
		}
	}
	if err := c.client.DropTable(c.ctx, d, name, restclient.DropOptions{}); err != nil {
		return err
	}
	if c.json() {
		return c.printJSON(map[string]any{"db": d, "table": name, "dropped": true})
	}
	c.printf("dropped table %s.%s\n", d, name)
	return nil
}

// documentCount is the table's document count as the server reports it,
// or, when it does not, 0 or 1 from reading one document.
func (c *cli) documentCount(db, table string) (int64, error) {
	t, err := c.client.GetTable(c.ctx, db, table)
	if err != nil {
		return 0, err
	}
	if t.Documents != nil {
		return *t.Documents, nil
	}
	page, err := c.client.ListDocuments(c.ctx, db, table, restclient.Page{Limit: 1})
	if err != nil {
		return 0, err
	}
	return int64(len(page.Documents)), nil
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func tableList(c *cli, args []string) error {
	fs := c.flags()
	db := fs.String("db", "", "database (required)")
	pos, err := c.parse(fs, args, 0, 1)
	if err != nil {
		return err
	}
	if *db == "" && len(pos) == 1 {
		*db = pos[0] // `table list shop` reads naturally too
	}
	if *db == "" {
		return usagef("--db is required")
	}
	tables, err := c.client.AllTables(c.ctx, *db)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printJSON(tables)
	}
	rows := make([][]string, 0, len(tables))
	for _, t := range tables {
		rows = append(rows, []string{t.Name, t.PrimaryKey, intString(t.Shards), intString(t.Replicas),
			dash(t.Durability), countString(t.Documents)})
	}
	return c.printTable([]string{"NAME", "PRIMARY KEY", "SHARDS", "REPLICAS", "DURABILITY", "DOCUMENTS"}, rows)
}

func tableShow(c *cli, args []string) error {
	fs := c.flags()
	db := fs.String("db", "", "database (required unless NAME is DB.TABLE)")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	d, name, err := dbTable(*db, pos[0])
	if err != nil {
		return err
	}
	t, err := c.client.GetTable(c.ctx, d, name)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printJSON(t)
	}
	indexes := "-"
	if len(t.Indexes) > 0 {
		indexes = strings.Join(t.Indexes, ", ")
	}
	return c.printFields([][2]string{
		{"db", t.DB},
		{"name", t.Name},
		{"id", dash(t.ID)},
		{"primary key", t.PrimaryKey},
		{"shards", intString(t.Shards)},
		{"replicas", intString(t.Replicas)},
		{"durability", dash(t.Durability)},
		{"write acks", dash(t.WriteAcks)},
		{"documents", countString(t.Documents)},
		{"indexes", indexes},
		{"created", timeString(t.CreatedAt)},
	})
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func intString(n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}
