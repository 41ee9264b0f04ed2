package main

import (
	"fmt"
	"strings"

	"github.com/photondb-io/photondb/shared/restclient"
)

// dbCommands are `photondb db ...`.
var dbCommands = map[string]cliCommand{
	"create": {usage: "create NAME", help: "Creates a database.", run: dbCreate},
	"drop": {usage: "drop NAME [--force]", run: dbDrop,
		help: "Drops a database. A database that still has tables is only dropped with --force (with all its tables)."},
	"list": {usage: "list", help: "Lists the databases.", run: dbList},
	"info": {usage: "info NAME", help: "Shows a database and its tables.", run: dbInfo},
}

func dbCreate(c *cli, args []string) error {
	fs := c.flags()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	d, err := c.client.CreateDatabase(c.ctx, pos[0])
	if err != nil {
		return err
	}
	if c.json() {
		return c.printJSON(d)
	}
	c.printf("created database %s\n", d.Name)
	return nil
}

func dbDrop(c *cli, args []string) error {
	fs := c.flags()
	force := fs.Bool("force", false, "drop the database even if it has tables")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := c.client.DropDatabase(c.ctx, pos[0], restclient.DropOptions{Force: *force}); err != nil {
		return err
	}
	if c.json() {
		return c.printJSON(map[string]any{"db": pos[0], "dropped": true})
	}
	c.printf("dropped database %s\n", pos[0])
	return nil
}

func dbList(c *cli, args []string) error {
	fs := c.flags()
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	dbs, err := c.client.AllDatabases(c.ctx)
	if err != nil {
		return err
	}
	if c.json() {
		return c.printJSON(dbs)
	}
	rows := make([][]string, 0, len(dbs))
	for _, d := range dbs {
		rows = append(rows, []string{d.Name, fmt.Sprint(d.Tables), timeString(d.CreatedAt)})
	}
	return c.printTable([]string{"NAME", "TABLES", "CREATED"}, rows)
}

func dbInfo(c *cli, args []string) error {
	fs := c.flags()
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	d, err := c.client.GetDatabase(c.ctx, pos[0])
	if err != nil {
		return err
	}
	if c.json() {
		return c.printJSON(d)
	}
	tables, err := c.client.AllTables(c.ctx, d.Name)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(tables))
	for _, t := range tables {
		names = append(names, t.Name)
	}
	list := fmt.Sprint(len(tables))
	if len(names) > 0 {
		list += " (" + strings.Join(names, ", ") + ")"
	}
	tenant := d.Tenant
	if tenant == "" {
		tenant = "-"
	}
	return c.printFields([][2]string{
		{"name", d.Name},
		{"tenant", tenant},
		{"created", timeString(d.CreatedAt)},
		{"tables", list},
	})
}
