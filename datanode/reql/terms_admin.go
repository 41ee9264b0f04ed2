package reql

import (
	"time"
)

// Table administration: CONFIG, STATUS, WAIT, RECONFIGURE, REBALANCE, SYNC.
// On one node they give the single-node answers in RethinkDB's shapes; the
// cluster work makes shards and replicas real.

func init() {
	register(TermConfig, spec{minArgs: 1, maxArgs: 1, eval: evalConfig})
	register(TermStatus, spec{minArgs: 1, maxArgs: 1, eval: evalStatus})
	register(TermWait, spec{minArgs: 0, maxArgs: 1, optargs: []string{"wait_for", "timeout"}, eval: evalWait})
	register(TermReconfigure, spec{minArgs: 1, maxArgs: 1,
		optargs: []string{"shards", "replicas", "primary_replica_tag", "nonvoting_replica_tags", "dry_run", "emergency_repair"},
		eval:    evalReconfigure})
	register(TermRebalance, spec{minArgs: 1, maxArgs: 1, eval: evalRebalance})
	register(TermSync, spec{minArgs: 1, maxArgs: 1, eval: evalSync})
}

func evalConfig(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case *Table:
		if err := c.requireTable(permConfig, x); err != nil {
			return nil, err
		}
		cfg := c.tableConfigDatum(x.store.Config())
		cfg["write_hook"] = nil
		return cfg, nil
	case *Database:
		if x.Name == systemDB {
			return nil, newErr(ErrOpFailed, "Database `rethinkdb` is special; you can't configure it.")
		}
		d, err := c.env.Store.GetDB(c.ctx, x.Name)
		if err != nil {
			return nil, err
		}
		if err := c.require(permConfig, d.ID, ""); err != nil {
			return nil, err
		}
		return dbConfigDatum(d), nil
	}
	return nil, typeErr("TABLE", v, t.Args[0])
}

// tableStatusDatum is a table's entry as rethinkdb.table_status shows it.
func (c *evalCtx) tableStatusDatum(cfg TableConfig) map[string]any {
	shards := []any{}
	for i := 0; i < max(cfg.Shards, 1); i++ {
		shards = append(shards, map[string]any{
			"primary_replicas": []any{c.env.ServerName},
			"replicas":         []any{map[string]any{"server": c.env.ServerName, "state": "ready"}},
		})
	}
	return map[string]any{
		"db":          cfg.DB,
		"id":          cfg.ID,
		"name":        cfg.Name,
		"raft_leader": c.env.ServerName,
		"shards":      shards,
		"status": map[string]any{
			"all_replicas_ready":       true,
			"ready_for_outdated_reads": true,
			"ready_for_reads":          true,
			"ready_for_writes":         true,
		},
	}
}

func evalStatus(c *evalCtx, t *Term) (any, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, err
	}
	return c.tableStatusDatum(tbl.store.Config()), nil
}

// evalWait waits for tables to be ready: one table, every table of a
// database, or (no argument) every table. A single node's tables are always
// ready, so it checks that they exist and answers at once.
func evalWait(c *evalCtx, t *Term) (any, error) {
	waitFor, err := c.optString(t, "wait_for", "all_replicas_ready")
	if err != nil {
		return nil, err
	}
	switch waitFor {
	case "ready_for_outdated_reads", "ready_for_reads", "ready_for_writes", "all_replicas_ready":
	default:
		return nil, newErr(ErrQueryLogic, "Unknown wait_for value `%s` (options are \"ready_for_outdated_reads\", \"ready_for_reads\", \"ready_for_writes\", and \"all_replicas_ready\").", waitFor)
	}
	if ot, ok := t.Optargs["timeout"]; ok {
		n, err := c.evalNumber(ot)
		if err != nil {
			return nil, err
		}
		if n < 0 || time.Duration(n*float64(time.Second)) < 0 {
			return nil, newErr(ErrQueryLogic, "The value of `timeout` must be a non-negative number.")
		}
	}
	if len(t.Args) == 0 {
		dbs, err := c.env.Store.ListDBs(c.ctx)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, d := range dbs {
			tables, err := c.env.Store.ListTables(c.ctx, d.Name)
			if err != nil {
				return nil, err
			}
			n += len(tables)
		}
		return map[string]any{"ready": float64(n)}, nil
	}
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case *Table:
		return map[string]any{"ready": 1.0}, nil
	case *Database:
		tables, err := c.env.Store.ListTables(c.ctx, x.Name)
		if err != nil {
			return nil, err
		}
		return map[string]any{"ready": float64(len(tables))}, nil
	}
	return nil, typeErr("TABLE", v, t.Args[0])
}

func evalReconfigure(c *evalCtx, t *Term) (any, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, err
	}
	if err := c.requireTable(permConfig, tbl); err != nil {
		return nil, err
	}
	if _, ok := t.Optargs["emergency_repair"]; ok {
		return nil, newErr(ErrQueryLogic, "This table doesn't need to be repaired.")
	}
	if _, ok := t.Optargs["shards"]; !ok {
		return nil, newErr(ErrQueryLogic, "Missing required argument `shards`.")
	}
	if _, ok := t.Optargs["replicas"]; !ok {
		return nil, newErr(ErrQueryLogic, "Missing required argument `replicas`.")
	}
	shards, err := c.optPositiveInt(t, "shards", 1, 64, "Every table must have at least one shard.", "Maximum number of shards is 64.")
	if err != nil {
		return nil, err
	}
	replicas, err := c.optPositiveInt(t, "replicas", 1, 0, "Every table must have at least one replica.", "")
	if err != nil {
		return nil, err
	}
	if replicas > 1 {
		return nil, newErr(ErrOpFailed, "Can't put %d replicas on servers with the tag `default` because there are only 1 servers with the tag `default`. It's impossible to have more replicas of the data than there are servers.", replicas)
	}
	dryRun, err := c.optDatum(t, "dry_run", false)
	if err != nil {
		return nil, err
	}
	oldCfg := tbl.store.Config()
	newCfg := oldCfg
	newCfg.Shards, newCfg.Replicas = shards, replicas
	if dryRun != true {
		if oldCfg, newCfg, err = c.env.Store.ReconfigureTable(c.ctx, tbl.DB, tbl.Name, shards, replicas); err != nil {
			return nil, err
		}
	}
	reconfigured := 1.0
	if dryRun == true {
		reconfigured = 0
	}
	return map[string]any{
		"reconfigured":   reconfigured,
		"config_changes": []any{map[string]any{"old_val": c.tableConfigDatum(oldCfg), "new_val": c.tableConfigDatum(newCfg)}},
		"status_changes": []any{map[string]any{"old_val": c.tableStatusDatum(oldCfg), "new_val": c.tableStatusDatum(newCfg)}},
	}, nil
}

func evalRebalance(c *evalCtx, t *Term) (any, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, err
	}
	if err := c.requireTable(permConfig, tbl); err != nil {
		return nil, err
	}
	st := c.tableStatusDatum(tbl.store.Config())
	return map[string]any{
		"rebalanced":     1.0,
		"status_changes": []any{map[string]any{"old_val": st, "new_val": st}},
	}, nil
}

func evalSync(c *evalCtx, t *Term) (any, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, err
	}
	if err := c.requireTable(permWrite, tbl); err != nil {
		return nil, err
	}
	if err := c.env.Store.Sync(c.ctx); err != nil {
		return nil, err
	}
	return map[string]any{"synced": 1.0}, nil
}
