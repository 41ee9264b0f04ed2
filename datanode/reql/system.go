package reql

import (
	"context"

	"github.com/photondb-io/photondb/datanode/changefeed"
	"os"
	"runtime"
	"sort"
	"time"
)

// The `rethinkdb` system database: read-only views of the catalog and of
// this server in RethinkDB's document shapes. Writes to them (creating a
// database by inserting into db_config, ...) are not implemented yet and
// fail with an error that says so.

var systemTables = []string{
	"cluster_config", "current_issues", "db_config", "jobs", "logs", "permissions",
	"server_config", "server_status", "stats", "table_config", "table_status", "users",
}

var processStart = time.Now()

// LiveSource is where the system tables read what the server is doing: the
// same counters /_metrics exports, and the recent log records.
type LiveSource interface {
	// QueryEngine returns client_connections, clients_active,
	// queries_per_sec, read_docs_per_sec, written_docs_per_sec and the
	// read_docs_total / written_docs_total counters.
	QueryEngine() map[string]any
	// Logs returns the recent log records, oldest first, each with
	// id, level, message and timestamp (a TIME).
	Logs() []map[string]any
}

func (s *systemTable) queryEngine() map[string]any {
	if s.c.env.Live == nil {
		return map[string]any{"client_connections": 0.0, "clients_active": 0.0, "queries_per_sec": 0.0,
			"read_docs_per_sec": 0.0, "written_docs_per_sec": 0.0, "read_docs_total": 0.0, "written_docs_total": 0.0}
	}
	return s.c.env.Live.QueryEngine()
}

func (c *evalCtx) systemTable(name string, uuidIDs bool) (*Table, error) {
	i := sort.SearchStrings(systemTables, name)
	if i == len(systemTables) || systemTables[i] != name {
		return nil, TableNotFound(systemDB, name)
	}
	return &Table{DB: systemDB, Name: name, store: &systemTable{c: c, name: name, uuidIDs: uuidIDs}}, nil
}

// systemTable is a TableStore whose documents are computed on each read.
type systemTable struct {
	c       *evalCtx
	name    string
	uuidIDs bool
}

func (s *systemTable) Config() TableConfig {
	return TableConfig{ID: SystemTableID(s.name), DB: systemDB, DBID: SystemDBID, Name: s.name, PrimaryKey: "id", Durability: "hard", Shards: 1, Replicas: 1}
}

func (s *systemTable) docs(ctx context.Context) ([]map[string]any, error) {
	c, env := s.c, s.c.env
	var out []map[string]any
	switch s.name {
	case "server_config":
		out = append(out, map[string]any{"id": env.ServerID, "name": env.ServerName, "tags": []any{"default"}, "cache_size_mb": "auto"})
	case "server_status":
		host, _ := os.Hostname()
		out = append(out, map[string]any{
			"id": env.ServerID, "name": env.ServerName,
			"network": map[string]any{"hostname": host, "time_connected": timeDatum(processStart), "connected_to": map[string]any{}},
			"process": map[string]any{"argv": toAnySlice(os.Args), "pid": float64(os.Getpid()), "time_started": timeDatum(processStart),
				"version": "PhotonDB " + runtime.Version(), "cache_size_mb": 0.0},
		})
	case "db_config":
		dbs, err := env.Store.ListDBs(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range dbs {
			out = append(out, dbConfigDatum(d))
		}
	case "table_config", "table_status":
		dbs, err := env.Store.ListDBs(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range dbs {
			tables, err := env.Store.ListTables(ctx, d.Name)
			if err != nil {
				return nil, err
			}
			for _, tc := range tables {
				var doc map[string]any
				if s.name == "table_config" {
					doc = c.tableConfigDatum(tc)
					doc["write_hook"] = nil
				} else {
					doc = c.tableStatusDatum(tc)
				}
				if s.uuidIDs {
					doc["db"] = d.ID
				}
				out = append(out, doc)
			}
		}
	case "users":
		users, err := s.userDocs(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, users...)
	case "permissions":
		perms, err := s.permissionDocs(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, perms...)
	case "cluster_config":
		out = append(out,
			map[string]any{"id": "auth", "auth_key": nil},
			map[string]any{"id": "heartbeat", "heartbeat_timeout_secs": 10.0})
	case "stats":
		qe := s.queryEngine()
		cluster := map[string]any{}
		for _, k := range []string{"client_connections", "clients_active", "queries_per_sec", "read_docs_per_sec", "written_docs_per_sec"} {
			cluster[k] = qe[k]
		}
		out = append(out, map[string]any{"id": []any{"cluster"}, "query_engine": cluster})
		out = append(out, map[string]any{"id": []any{"server", env.ServerID}, "server": env.ServerName, "query_engine": qe})
	case "jobs":
		out = append(out, map[string]any{"id": []any{"query", NewUUID()}, "type": "query", "servers": []any{env.ServerName},
			"duration_sec": time.Since(c.now).Seconds(), "info": map[string]any{"client_address": "", "client_port": 0.0}})
	case "logs":
		if env.Live != nil {
			for _, l := range env.Live.Logs() {
				l["server"] = env.ServerName
				out = append(out, l)
			}
		}
	case "current_issues":
		// Nothing to report on a healthy single node.
	}
	sort.Slice(out, func(i, j int) bool { return compareDatums(out[i]["id"], out[j]["id"]) < 0 })
	return out, nil
}

func timeDatum(t time.Time) map[string]any {
	return map[string]any{reqlTypeField: "TIME", "epoch_time": float64(t.UnixMilli()) / 1000, "timezone": "+00:00"}
}

func toAnySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func (s *systemTable) Get(ctx context.Context, key any) (map[string]any, error) {
	docs, err := s.docs(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		if datumEqual(d["id"], key) {
			return d, nil
		}
	}
	return nil, nil
}

func (s *systemTable) Scan(ctx context.Context, reverse bool) DocIterator {
	docs, err := s.docs(ctx)
	if reverse {
		for i, j := 0, len(docs)-1; i < j; i, j = i+1, j-1 {
			docs[i], docs[j] = docs[j], docs[i]
		}
	}
	return &sliceDocIter{docs: docs, i: -1, err: err}
}

func (s *systemTable) Count(ctx context.Context) (int64, error) {
	docs, err := s.docs(ctx)
	return int64(len(docs)), err
}

// Write applies writes to db_config and table_config as catalog changes,
// as RethinkDB does: an insert creates, a delete drops, an update renames
// (or reconfigures a table's shards); to users and permissions as user
// changes (system_users.go). Other system tables are read-only. Writing
// needs read and write on the table, and a catalog change also the config
// permission the change needs.
func (s *systemTable) Write(ctx context.Context, ops []*WriteOp, _ string) error {
	id := SystemTableID(s.name)
	if err := s.c.require(permRead, SystemDBID, id); err != nil {
		return err
	}
	if err := s.c.require(permWrite, SystemDBID, id); err != nil {
		return err
	}
	switch s.name {
	case "db_config", "table_config":
	case "users":
		return s.writeUsers(ctx, ops)
	case "permissions":
		return s.writePermissions(ctx, ops)
	default:
		return newErr(ErrOpFailed, "It's illegal to write to the `rethinkdb.%s` table.", s.name)
	}
	for _, op := range ops {
		old, err := s.Get(ctx, op.Key)
		if err != nil {
			return err
		}
		op.Old = old
		next, err := op.Apply(old)
		if err != nil {
			op.Err, op.New = err, old
			continue
		}
		op.New = next
		if err := s.apply(ctx, old, next); err != nil {
			if isPermissionError(err) {
				return err // the whole write fails, as in RethinkDB
			}
			op.Err, op.New = err, old
			continue
		}
		if next != nil {
			// Report the entry as the catalog now shows it.
			if now, err := s.Get(ctx, next["id"]); err == nil && now != nil {
				op.New = now
			}
		}
	}
	return nil
}

func (s *systemTable) apply(ctx context.Context, old, next map[string]any) error {
	if err := s.requireCatalogConfig(ctx, old, next); err != nil {
		return err
	}
	store := s.c.env.Store
	str := func(m map[string]any, k string) (string, error) {
		v, ok := m[k].(string)
		if !ok {
			return "", newErr(ErrOpFailed, "Expected a field `%s` of type STRING in:\n%s", k, printDatum(m))
		}
		return v, nil
	}
	switch {
	case old == nil && next == nil:
		return nil
	case s.name == "db_config" && old == nil:
		name, err := str(next, "name")
		if err != nil {
			return err
		}
		if err := checkName("Database", name); err != nil {
			return err
		}
		id, _ := next["id"].(string)
		_, err = store.CreateDB(ctx, DBConfig{ID: id, Name: name})
		return err
	case s.name == "db_config" && next == nil:
		_, _, err := store.DropDB(ctx, old["name"].(string))
		return err
	case s.name == "db_config":
		name, err := str(next, "name")
		if err != nil {
			return err
		}
		if err := checkName("Database", name); err != nil {
			return err
		}
		if name == old["name"] {
			return nil
		}
		return store.RenameDB(ctx, old["name"].(string), name)
	case old == nil: // table_config insert
		db, err := str(next, "db")
		if err != nil {
			return err
		}
		name, err := str(next, "name")
		if err != nil {
			return err
		}
		if err := checkName("Table", name); err != nil {
			return err
		}
		pk := "id"
		if v, ok := next["primary_key"].(string); ok {
			pk = v
		}
		durability := "hard"
		if v, ok := next["durability"].(string); ok {
			durability = v
		}
		id, _ := next["id"].(string)
		if s.uuidIDs {
			if db, err = s.dbName(ctx, db); err != nil {
				return err
			}
		}
		_, err = store.CreateTable(ctx, TableConfig{ID: id, DB: db, Name: name, PrimaryKey: pk, Durability: durability, Shards: 1, Replicas: 1})
		return err
	case next == nil: // table_config delete
		_, err := store.DropTable(ctx, s.oldDB(ctx, old), old["name"].(string))
		return err
	default: // table_config update
		db := s.oldDB(ctx, old)
		if !datumEqual(next["db"], old["db"]) {
			return newErr(ErrOpFailed, "Moving a table between databases is not yet implemented in PhotonDB.")
		}
		if !datumEqual(next["primary_key"], old["primary_key"]) {
			return newErr(ErrOpFailed, "It's illegal to change a table's primary key.")
		}
		name, err := str(next, "name")
		if err != nil {
			return err
		}
		if err := checkName("Table", name); err != nil {
			return err
		}
		if name != old["name"] {
			if err := store.RenameTable(ctx, db, old["name"].(string), name); err != nil {
				return err
			}
		}
		if shards, ok := next["shards"].([]any); ok && len(shards) != len(old["shards"].([]any)) {
			if len(shards) < 1 || len(shards) > 64 {
				return newErr(ErrOpFailed, "A table must have between 1 and 64 shards.")
			}
			if _, _, err := store.ReconfigureTable(ctx, db, name, len(shards), 1); err != nil {
				return err
			}
		}
		return nil
	}
}

// requireCatalogConfig requires the config permission a db_config or
// table_config write needs, as the DDL terms do: global to create or drop
// a database (drop: also on each of its tables), on the database to rename
// it or create a table in it, on the table to change or drop it.
func (s *systemTable) requireCatalogConfig(ctx context.Context, old, next map[string]any) error {
	c := s.c
	if c.auth == nil {
		return nil
	}
	idOf := func(m map[string]any) string { id, _ := m["id"].(string); return id }
	switch {
	case old == nil && next == nil:
		return nil
	case s.name == "db_config" && old == nil:
		return c.require(permConfig, "", "")
	case s.name == "db_config" && next == nil:
		name, _ := old["name"].(string)
		tables, err := c.env.Store.ListTables(ctx, name)
		if err != nil {
			return err
		}
		ids := make([]string, len(tables))
		for i, t := range tables {
			ids[i] = t.ID
		}
		return c.requireConfigAll(idOf(old), ids)
	case s.name == "db_config":
		return c.require(permConfig, idOf(old), "")
	case old == nil:
		db, _ := next["db"].(string)
		if !s.uuidIDs {
			d, err := c.env.Store.GetDB(ctx, db)
			if err != nil {
				return err
			}
			db = d.ID
		}
		return c.require(permConfig, db, "")
	default:
		dbID, err := c.dbID(s.oldDB(ctx, old))
		if err != nil {
			return err
		}
		return c.require(permConfig, dbID, idOf(old))
	}
}

// oldDB is the database name of a table_config entry (which holds the
// database's ID under identifier_format uuid).
func (s *systemTable) oldDB(ctx context.Context, entry map[string]any) string {
	db, _ := entry["db"].(string)
	if s.uuidIDs {
		if name, err := s.dbName(ctx, db); err == nil {
			return name
		}
	}
	return db
}

func (s *systemTable) dbName(ctx context.Context, id string) (string, error) {
	dbs, err := s.c.env.Store.ListDBs(ctx)
	if err != nil {
		return "", err
	}
	for _, d := range dbs {
		if d.ID == id {
			return d.Name, nil
		}
	}
	return "", newErr(ErrOpFailed, "Database `%s` does not exist.", id)
}

func (s *systemTable) Indexes() []IndexStatus { return nil }

func (s *systemTable) Subscribe(context.Context, FeedOptions) (*changefeed.Sub, DocIterator, error) {
	return nil, nil, newErr(ErrOpFailed, "Changefeeds on the system table `rethinkdb.%s` are not yet implemented in PhotonDB.", s.name)
}

func (s *systemTable) IndexScan(ctx context.Context, index string, _ KeyRange, reverse bool) (DocIterator, error) {
	if index != "id" {
		return nil, IndexNotFound(systemDB, s.name, index)
	}
	return s.Scan(ctx, reverse), nil
}

type sliceDocIter struct {
	docs []map[string]any
	i    int
	err  error
}

func (it *sliceDocIter) Next() bool {
	if it.err != nil || it.i+1 >= len(it.docs) {
		return false
	}
	it.i++
	return true
}

func (it *sliceDocIter) Doc() map[string]any { return it.docs[it.i] }
func (it *sliceDocIter) Err() error          { return it.err }
func (it *sliceDocIter) Close() error        { return nil }
