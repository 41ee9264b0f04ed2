package reql

import (
	"regexp"
	"sort"
)

// Databases and tables: DB, TABLE, DB_CREATE, DB_DROP, DB_LIST, TABLE_CREATE,
// TABLE_DROP, TABLE_LIST.

// systemDB is RethinkDB's system database. It always exists; its tables come
// with the "ReQL on tables" work.
const systemDB = "rethinkdb"

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func init() {
	register(TermDb, spec{minArgs: 1, maxArgs: 1, eval: evalDB})
	register(TermTable, spec{minArgs: 1, maxArgs: 2, optargs: []string{"read_mode", "identifier_format", "use_outdated"}, eval: evalTable})
	register(TermDbCreate, spec{minArgs: 1, maxArgs: 1, eval: evalDBCreate})
	register(TermDbDrop, spec{minArgs: 1, maxArgs: 1, eval: evalDBDrop})
	register(TermDbList, spec{minArgs: 0, maxArgs: 0, eval: evalDBList})
	register(TermTableCreate, spec{minArgs: 1, maxArgs: 2,
		optargs: []string{"primary_key", "shards", "replicas", "primary_replica_tag", "nonvoting_replica_tags", "durability"},
		eval:    evalTableCreate})
	register(TermTableDrop, spec{minArgs: 1, maxArgs: 2, eval: evalTableDrop})
	register(TermTableList, spec{minArgs: 0, maxArgs: 1, eval: evalTableList})
}

func checkName(kind, name string) error {
	if !validName.MatchString(name) {
		return newErr(ErrQueryLogic, "%s name `%s` invalid (Use A-Z, a-z, 0-9, _ and - only).", kind, name)
	}
	return nil
}

func evalDB(c *evalCtx, t *Term) (any, error) {
	name, err := c.evalString(t.Args[0])
	if err != nil {
		return nil, err
	}
	if err := checkName("Database", name); err != nil {
		return nil, err
	}
	return &Database{Name: name}, nil
}

// dbAndName splits the arguments of TABLE-like terms: (db, name) or (name)
// with the query's default database.
func (c *evalCtx) dbAndName(t *Term) (string, string, error) {
	db := c.defaultDB
	nameTerm := t.Args[0]
	if len(t.Args) == 2 {
		v, err := c.eval(t.Args[0])
		if err != nil {
			return "", "", err
		}
		d, ok := v.(*Database)
		if !ok {
			return "", "", newErr(ErrQueryLogic, "Expected type DATABASE but found %s.", typeName(v))
		}
		db = d.Name
		nameTerm = t.Args[1]
	}
	name, err := c.evalString(nameTerm)
	if err != nil {
		return "", "", err
	}
	return db, name, nil
}

// checkUserDB refuses table creation and deletion in the system database.
func (c *evalCtx) checkUserDB(db, verb string) error {
	if db == systemDB {
		return newErr(ErrOpFailed, "Database `rethinkdb` is special; you can't %s.", verb)
	}
	return nil
}

func evalTable(c *evalCtx, t *Term) (any, error) {
	db, name, err := c.dbAndName(t)
	if err != nil {
		return nil, err
	}
	if err := checkName("Table", name); err != nil {
		return nil, err
	}
	if db == systemDB {
		format, err := c.optString(t, "identifier_format", "name")
		if err != nil {
			return nil, err
		}
		if format != "name" && format != "uuid" {
			return nil, newErr(ErrQueryLogic, "Identifier format `%s` unrecognized (options are \"name\" and \"uuid\").", format)
		}
		tbl, err := c.systemTable(name, format == "uuid")
		if err != nil {
			return nil, err
		}
		// Every use of a system table reads it (writes need read too).
		if err := c.require(permRead, SystemDBID, SystemTableID(name)); err != nil {
			return nil, err
		}
		return tbl, nil
	}
	ts, err := c.env.Store.OpenTable(c.ctx, db, name)
	if err != nil {
		return nil, err
	}
	if ts, err = c.guardTable(ts, db); err != nil {
		return nil, err
	}
	return &Table{DB: db, Name: name, store: ts}, nil
}

func evalDBCreate(c *evalCtx, t *Term) (any, error) {
	name, err := c.evalString(t.Args[0])
	if err != nil {
		return nil, err
	}
	if err := checkName("Database", name); err != nil {
		return nil, err
	}
	if name == systemDB {
		return nil, DBExists(name)
	}
	if err := c.require(permConfig, "", ""); err != nil {
		return nil, err
	}
	cfg, err := c.env.Store.CreateDB(c.ctx, DBConfig{Name: name})
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"dbs_created":    1.0,
		"config_changes": []any{map[string]any{"old_val": nil, "new_val": dbConfigDatum(cfg)}},
	}, nil
}

func evalDBDrop(c *evalCtx, t *Term) (any, error) {
	name, err := c.evalString(t.Args[0])
	if err != nil {
		return nil, err
	}
	if err := checkName("Database", name); err != nil {
		return nil, err
	}
	if name == systemDB {
		return nil, newErr(ErrOpFailed, "Database `rethinkdb` is special; you can't delete it.")
	}
	if c.auth != nil {
		// config on the database and on every table in it (db_drop_uuid).
		d, err := c.env.Store.GetDB(c.ctx, name)
		if err != nil {
			return nil, err
		}
		tables, err := c.env.Store.ListTables(c.ctx, name)
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(tables))
		for i, tc := range tables {
			ids[i] = tc.ID
		}
		if err := c.requireConfigAll(d.ID, ids); err != nil {
			return nil, err
		}
	}
	cfg, tables, err := c.env.Store.DropDB(c.ctx, name)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"dbs_dropped":    1.0,
		"tables_dropped": float64(len(tables)),
		"config_changes": []any{map[string]any{"old_val": dbConfigDatum(cfg), "new_val": nil}},
	}, nil
}

func evalDBList(c *evalCtx, _ *Term) (any, error) {
	dbs, err := c.env.Store.ListDBs(c.ctx)
	if err != nil {
		return nil, err
	}
	out := []any{systemDB}
	for _, d := range dbs {
		out = append(out, d.Name)
	}
	sortStrings(out)
	return out, nil
}

func evalTableCreate(c *evalCtx, t *Term) (any, error) {
	db, name, err := c.dbAndName(t)
	if err != nil {
		return nil, err
	}
	if err := checkName("Table", name); err != nil {
		return nil, err
	}
	if err := c.checkUserDB(db, "create new tables in it"); err != nil {
		return nil, err
	}
	if c.auth != nil {
		dbID, err := c.dbID(db)
		if err != nil {
			return nil, err
		}
		if err := c.require(permConfig, dbID, ""); err != nil {
			return nil, err
		}
	}
	pk, err := c.optString(t, "primary_key", "id")
	if err != nil {
		return nil, err
	}
	durability, err := c.optString(t, "durability", "hard")
	if err != nil {
		return nil, err
	}
	if durability != "hard" && durability != "soft" {
		return nil, newErr(ErrQueryLogic, "Durability option `%s` unrecognized (options are \"hard\" and \"soft\").", durability)
	}
	shards, err := c.optPositiveInt(t, "shards", 1, 64, "Every table must have at least one shard.", "Maximum number of shards is 64.")
	if err != nil {
		return nil, err
	}
	replicas, err := c.optPositiveInt(t, "replicas", 1, 0, "Every table must have at least one replica.", "")
	if err != nil {
		return nil, err
	}
	cfg, err := c.env.Store.CreateTable(c.ctx, TableConfig{DB: db, Name: name, PrimaryKey: pk, Durability: durability, Shards: shards, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"tables_created": 1.0,
		"config_changes": []any{map[string]any{"old_val": nil, "new_val": c.tableConfigDatum(cfg)}},
	}, nil
}

// optPositiveInt reads an integer optarg in [1, max] (max 0: unbounded).
func (c *evalCtx) optPositiveInt(t *Term, name string, def, max int, tooSmall, tooBig string) (int, error) {
	v, err := c.optDatum(t, name, float64(def))
	if err != nil {
		return 0, err
	}
	n, ok := v.(float64)
	if !ok {
		return 0, newErr(ErrQueryLogic, "Expected type NUMBER but found %s.", typeName(v))
	}
	if n != float64(int(n)) {
		return 0, newErr(ErrQueryLogic, "Number not an integer: %s", formatNumber(n))
	}
	if n < 1 {
		return 0, newErr(ErrQueryLogic, "%s", tooSmall)
	}
	if max > 0 && int(n) > max {
		return 0, newErr(ErrQueryLogic, "%s", tooBig)
	}
	return int(n), nil
}

func evalTableDrop(c *evalCtx, t *Term) (any, error) {
	db, name, err := c.dbAndName(t)
	if err != nil {
		return nil, err
	}
	if err := checkName("Table", name); err != nil {
		return nil, err
	}
	if err := c.checkUserDB(db, "delete tables from it"); err != nil {
		return nil, err
	}
	if c.auth != nil {
		ts, err := c.env.Store.OpenTable(c.ctx, db, name)
		if err != nil {
			return nil, err
		}
		if err := c.requireTable(permConfig, &Table{DB: db, Name: name, store: ts}); err != nil {
			return nil, err
		}
	}
	cfg, err := c.env.Store.DropTable(c.ctx, db, name)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"tables_dropped": 1.0,
		"config_changes": []any{map[string]any{"old_val": c.tableConfigDatum(cfg), "new_val": nil}},
	}, nil
}

func evalTableList(c *evalCtx, t *Term) (any, error) {
	db := c.defaultDB
	if len(t.Args) == 1 {
		v, err := c.eval(t.Args[0])
		if err != nil {
			return nil, err
		}
		d, ok := v.(*Database)
		if !ok {
			return nil, newErr(ErrQueryLogic, "Expected type DATABASE but found %s.", typeName(v))
		}
		db = d.Name
	}
	if db == systemDB {
		return toAnySlice(systemTables), nil
	}
	tables, err := c.env.Store.ListTables(c.ctx, db)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, tc := range tables {
		out = append(out, tc.Name)
	}
	sortStrings(out)
	return out, nil
}

func dbConfigDatum(cfg DBConfig) map[string]any {
	return map[string]any{"id": cfg.ID, "name": cfg.Name}
}

// tableConfigDatum is a table's entry as rethinkdb.table_config shows it.
func (c *evalCtx) tableConfigDatum(cfg TableConfig) map[string]any {
	shards := []any{}
	for i := 0; i < max(cfg.Shards, 1); i++ {
		shards = append(shards, map[string]any{
			"primary_replica":    c.env.ServerName,
			"replicas":           []any{c.env.ServerName},
			"nonvoting_replicas": []any{},
		})
	}
	return map[string]any{
		"db":          cfg.DB,
		"durability":  cfg.Durability,
		"id":          cfg.ID,
		"indexes":     indexNames(cfg),
		"name":        cfg.Name,
		"primary_key": cfg.PrimaryKey,
		"shards":      shards,
		"write_acks":  "majority",
	}
}

func sortStrings(list []any) {
	sort.Slice(list, func(i, j int) bool { return list[i].(string) < list[j].(string) })
}

func indexNames(cfg TableConfig) []any {
	out := []any{}
	for _, ix := range cfg.Indexes {
		out = append(out, ix.Name)
	}
	sortStrings(out)
	return out
}
