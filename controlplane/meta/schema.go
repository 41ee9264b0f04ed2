package meta

import (
	"context"
	"errors"

	"github.com/photondb-io/photondb/controlplane/catalog"
	m "github.com/photondb-io/photondb/shared/meta"
)

// DatabaseInfo is a database with its version and table count.
type DatabaseInfo struct {
	m.Database
	Version uint64
	Tables  int
}

// TableInfo is a table with its version.
type TableInfo struct {
	m.Table
	Version uint64
}

// tenantUsage reads a tenant and its usage counter (whose version guards
// the quota check of the write that follows).
func (s *Service) tenantUsage(ctx context.Context, tenant string) (m.Tenant, m.Usage, int64, error) {
	t, _, found, err := get[m.Tenant](ctx, s.cat, m.TenantKey(tenant))
	if err != nil {
		return t, m.Usage{}, 0, err
	}
	if !found {
		return t, m.Usage{}, 0, errorf(KindNotFound, "Tenant `%s` does not exist.", tenant)
	}
	u, v, found, err := get[m.Usage](ctx, s.cat, m.UsageKey(tenant))
	if err != nil {
		return t, u, 0, err
	}
	if !found {
		return t, u, catalog.Absent, nil
	}
	return t, u, int64(v), nil
}

// commit runs a transaction, turning a check failure into errRetry when
// one of the guarded keys moved; classify decides what a conflict means.
func (s *Service) commit(ctx context.Context, ops []catalog.Op, classify func() error) error {
	_, err := s.cat.Txn(ctx, ops)
	if errors.Is(err, catalog.ErrConflict) {
		if cerr := classify(); cerr != nil {
			return cerr
		}
		return errRetry
	}
	if err != nil {
		return err
	}
	s.notify()
	return nil
}

// ListDatabases lists the tenant's databases sorted by name.
func (s *Service) ListDatabases(ctx context.Context, tenant string) ([]DatabaseInfo, error) {
	dbs, versions, err := list[m.Database](ctx, s.cat, m.DatabasesPrefix)
	if err != nil {
		return nil, err
	}
	tables, _, err := list[m.Table](ctx, s.cat, m.TablesPrefix)
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	for _, t := range tables {
		count[t.DB]++
	}
	var out []DatabaseInfo
	for i, d := range dbs {
		if tenant == "" || d.Tenant == tenant {
			out = append(out, DatabaseInfo{Database: d, Version: versions[i], Tables: count[d.Name]})
		}
	}
	sortByName(out, func(d DatabaseInfo) string { return d.Name })
	return out, nil
}

// GetDatabase returns one of the tenant's databases ("" tenant: any).
func (s *Service) GetDatabase(ctx context.Context, tenant, name string) (DatabaseInfo, error) {
	d, v, found, err := get[m.Database](ctx, s.cat, m.DatabaseKey(name))
	if err != nil {
		return DatabaseInfo{}, err
	}
	if !found || (tenant != "" && d.Tenant != tenant) {
		return DatabaseInfo{}, dbNotFound(name)
	}
	entries, _, err := s.cat.List(ctx, m.TablesOf(name))
	if err != nil {
		return DatabaseInfo{}, err
	}
	return DatabaseInfo{Database: d, Version: v, Tables: len(entries)}, nil
}

// CreateDatabase creates a database owned by tenant; id (optional) keeps
// an existing database's id when a data node registers it.
func (s *Service) CreateDatabase(ctx context.Context, tenant, name, id string) (DatabaseInfo, error) {
	if err := validName("Database", name); err != nil {
		return DatabaseInfo{}, err
	}
	if reserved(name) {
		return DatabaseInfo{}, errorf(KindInvalid, "Database name `%s` is reserved.", name)
	}
	var out DatabaseInfo
	err := retry(ctx, func() error {
		t, u, uv, err := s.tenantUsage(ctx, tenant)
		if err != nil {
			return err
		}
		if t.Quotas.Databases > 0 && u.Databases >= t.Quotas.Databases {
			return errorf(KindQuota, "Quota exceeded: tenant `%s` may have at most %d databases.", tenant, t.Quotas.Databases)
		}
		if id == "" {
			id = newID()
		}
		d := m.Database{ID: id, Name: name, Tenant: tenant, CreatedAt: s.now().UTC()}
		u.Databases++
		err = s.commit(ctx, []catalog.Op{
			{Kind: catalog.OpPut, Key: m.UsageKey(tenant), Value: marshal(u), Expect: uv},
			{Kind: catalog.OpCheck, Key: m.TenantKey(tenant), Expect: catalog.Any},
			{Kind: catalog.OpPut, Key: m.DatabaseKey(name), Value: marshal(d), Expect: catalog.Absent},
		}, func() error {
			if _, err := s.cat.Get(ctx, m.DatabaseKey(name)); err == nil {
				return dbExists(name)
			}
			return nil
		})
		if err != nil {
			return err
		}
		out, err = s.GetDatabase(ctx, "", name)
		return err
	})
	return out, err
}

// DropDatabase drops a database; with force its tables go too, without
// it a database that has tables is refused. ifMatch (0: any) guards the
// database's version. It returns the dropped database and tables.
func (s *Service) DropDatabase(ctx context.Context, tenant, name string, force bool, ifMatch uint64) (m.Database, []m.Table, error) {
	info, err := s.GetDatabase(ctx, tenant, name)
	if err != nil {
		return m.Database{}, nil, err
	}
	if ifMatch != 0 && ifMatch != info.Version {
		return m.Database{}, nil, stale("Database `" + name + "`")
	}
	tables, _, err := list[m.Table](ctx, s.cat, m.TablesOf(name))
	if err != nil {
		return m.Database{}, nil, err
	}
	if len(tables) > 0 && !force {
		return m.Database{}, nil, errorf(KindConflict, "Database `%s` has %d tables; drop them first or use force.", name, len(tables))
	}
	var dropped []m.Table
	for _, t := range tables {
		if _, err := s.DropTable(ctx, tenant, name, t.Name, 0); err != nil && KindOf(err) != KindNotFound {
			return m.Database{}, dropped, err
		}
		dropped = append(dropped, t)
	}
	err = retry(ctx, func() error {
		_, u, uv, err := s.tenantUsage(ctx, info.Tenant)
		if err != nil {
			return err
		}
		cur, err := s.GetDatabase(ctx, tenant, name)
		if err != nil {
			return err
		}
		if cur.Tables > 0 {
			return errorf(KindConflict, "Database `%s` gained tables while being dropped; try again.", name)
		}
		if u.Databases > 0 {
			u.Databases--
		}
		return s.commit(ctx, []catalog.Op{
			{Kind: catalog.OpPut, Key: m.UsageKey(info.Tenant), Value: marshal(u), Expect: uv},
			{Kind: catalog.OpDelete, Key: m.DatabaseKey(name), Expect: int64(cur.Version)},
		}, func() error {
			if ifMatch != 0 {
				if e, err := s.cat.Get(ctx, m.DatabaseKey(name)); err == nil && e.ModifyIndex != ifMatch {
					return stale("Database `" + name + "`")
				}
			}
			return nil
		})
	})
	return info.Database, dropped, err
}

// TableSpec is a table to create; zero fields take defaults (primary key
// "id", 1 shard, 1 replica, hard durability, majority write acks).
type TableSpec struct {
	ID         string // optional: adopt an existing table's id
	Name       string
	PrimaryKey string
	Shards     int
	Replicas   int
	Durability string
	WriteAcks  string
}

// TablePatch changes a table's options; nil fields stay.
type TablePatch struct {
	Shards     *int
	Replicas   *int
	Durability *string
	WriteAcks  *string
}

// Limits RethinkDB applies.
const (
	MaxShards   = 64
	MaxReplicas = 16
)

func checkTableOptions(t m.Table) error {
	if t.Shards < 1 || t.Shards > MaxShards {
		return errorf(KindInvalid, "Every table must have at least one shard and at most %d (got %d).", MaxShards, t.Shards)
	}
	if t.Replicas < 1 || t.Replicas > MaxReplicas {
		return errorf(KindInvalid, "Every table must have at least one replica and at most %d (got %d).", MaxReplicas, t.Replicas)
	}
	if t.Durability != "hard" && t.Durability != "soft" {
		return errorf(KindInvalid, "Durability option `%s` unrecognized (options are \"hard\" and \"soft\").", t.Durability)
	}
	if t.WriteAcks != "majority" && t.WriteAcks != "single" {
		return errorf(KindInvalid, "`write_acks` must be \"single\" or \"majority\" (got \"%s\").", t.WriteAcks)
	}
	return nil
}

// ListTables lists a database's tables sorted by name.
func (s *Service) ListTables(ctx context.Context, tenant, db string) ([]TableInfo, error) {
	if _, err := s.GetDatabase(ctx, tenant, db); err != nil {
		return nil, err
	}
	tables, versions, err := list[m.Table](ctx, s.cat, m.TablesOf(db))
	if err != nil {
		return nil, err
	}
	out := make([]TableInfo, len(tables))
	for i, t := range tables {
		out[i] = TableInfo{Table: t, Version: versions[i]}
	}
	sortByName(out, func(t TableInfo) string { return t.Name })
	return out, nil
}

// AllTables lists every table of the tenant ("" tenant: all), sorted by
// database and name.
func (s *Service) AllTables(ctx context.Context, tenant string) ([]TableInfo, error) {
	dbs, err := s.ListDatabases(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []TableInfo
	for _, d := range dbs {
		tables, err := s.ListTables(ctx, tenant, d.Name)
		if err != nil && KindOf(err) != KindNotFound {
			return nil, err
		}
		out = append(out, tables...)
	}
	return out, nil
}

// GetTable returns one table.
func (s *Service) GetTable(ctx context.Context, tenant, db, name string) (TableInfo, error) {
	if _, err := s.GetDatabase(ctx, tenant, db); err != nil {
		return TableInfo{}, err
	}
	t, v, found, err := get[m.Table](ctx, s.cat, m.TableKey(db, name))
	if err != nil {
		return TableInfo{}, err
	}
	if !found {
		return TableInfo{}, tableNotFound(db, name)
	}
	return TableInfo{Table: t, Version: v}, nil
}

// CreateTable creates a table in one of the tenant's databases.
func (s *Service) CreateTable(ctx context.Context, tenant, db string, spec TableSpec) (TableInfo, error) {
	if err := validName("Table", spec.Name); err != nil {
		return TableInfo{}, err
	}
	t := m.Table{ID: spec.ID, DB: db, Name: spec.Name, PrimaryKey: spec.PrimaryKey, Shards: spec.Shards,
		Replicas: spec.Replicas, Durability: spec.Durability, WriteAcks: spec.WriteAcks}
	if t.ID == "" {
		t.ID = newID()
	}
	if t.PrimaryKey == "" {
		t.PrimaryKey = "id"
	}
	if t.Shards == 0 {
		t.Shards = 1
	}
	if t.Replicas == 0 {
		t.Replicas = 1
	}
	if t.Durability == "" {
		t.Durability = "hard"
	}
	if t.WriteAcks == "" {
		t.WriteAcks = "majority"
	}
	if err := checkTableOptions(t); err != nil {
		return TableInfo{}, err
	}
	var out TableInfo
	err := retry(ctx, func() error {
		d, err := s.GetDatabase(ctx, tenant, db)
		if err != nil {
			return err
		}
		tn, u, uv, err := s.tenantUsage(ctx, d.Tenant)
		if err != nil {
			return err
		}
		if tn.Quotas.Tables > 0 && u.Tables >= tn.Quotas.Tables {
			return errorf(KindQuota, "Quota exceeded: tenant `%s` may have at most %d tables.", d.Tenant, tn.Quotas.Tables)
		}
		t.DBID = d.ID
		t.CreatedAt = s.now().UTC()
		u.Tables++
		err = s.commit(ctx, []catalog.Op{
			{Kind: catalog.OpPut, Key: m.UsageKey(d.Tenant), Value: marshal(u), Expect: uv},
			{Kind: catalog.OpCheck, Key: m.DatabaseKey(db), Expect: int64(d.Version)},
			{Kind: catalog.OpPut, Key: m.TableKey(db, t.Name), Value: marshal(t), Expect: catalog.Absent},
		}, func() error {
			if _, err := s.cat.Get(ctx, m.TableKey(db, t.Name)); err == nil {
				return tableExists(db, t.Name)
			}
			return nil
		})
		if err != nil {
			return err
		}
		out, err = s.GetTable(ctx, "", db, t.Name)
		return err
	})
	return out, err
}

// UpdateTable applies a patch; ifMatch (0: any) guards the version.
func (s *Service) UpdateTable(ctx context.Context, tenant, db, name string, p TablePatch, ifMatch uint64) (old, updated TableInfo, err error) {
	err = retry(ctx, func() error {
		cur, err := s.GetTable(ctx, tenant, db, name)
		if err != nil {
			return err
		}
		if ifMatch != 0 && ifMatch != cur.Version {
			return stale("Table `" + db + "." + name + "`")
		}
		t := cur.Table
		if p.Shards != nil {
			t.Shards = *p.Shards
		}
		if p.Replicas != nil {
			t.Replicas = *p.Replicas
		}
		if p.Durability != nil {
			t.Durability = *p.Durability
		}
		if p.WriteAcks != nil {
			t.WriteAcks = *p.WriteAcks
		}
		if err := checkTableOptions(t); err != nil {
			return err
		}
		_, err = s.cat.Put(ctx, m.TableKey(db, name), marshal(t), int64(cur.Version))
		if errors.Is(err, catalog.ErrConflict) {
			if ifMatch != 0 {
				return stale("Table `" + db + "." + name + "`")
			}
			return errRetry
		}
		if err != nil {
			return err
		}
		s.notify()
		old = cur
		updated, err = s.GetTable(ctx, tenant, db, name)
		return err
	})
	return old, updated, err
}

// DropTable drops a table and its shard map; ifMatch (0: any) guards the
// version.
func (s *Service) DropTable(ctx context.Context, tenant, db, name string, ifMatch uint64) (m.Table, error) {
	var dropped m.Table
	err := retry(ctx, func() error {
		cur, err := s.GetTable(ctx, tenant, db, name)
		if err != nil {
			return err
		}
		if ifMatch != 0 && ifMatch != cur.Version {
			return stale("Table `" + db + "." + name + "`")
		}
		d, err := s.GetDatabase(ctx, "", db)
		if err != nil {
			return err
		}
		_, u, uv, err := s.tenantUsage(ctx, d.Tenant)
		if err != nil {
			return err
		}
		if u.Tables > 0 {
			u.Tables--
		}
		err = s.commit(ctx, []catalog.Op{
			{Kind: catalog.OpPut, Key: m.UsageKey(d.Tenant), Value: marshal(u), Expect: uv},
			{Kind: catalog.OpDelete, Key: m.TableKey(db, name), Expect: int64(cur.Version)},
			{Kind: catalog.OpDelete, Key: m.ShardMapKey(cur.ID), Expect: catalog.Any},
		}, func() error {
			if _, err := s.cat.Get(ctx, m.TableKey(db, name)); errors.Is(err, catalog.ErrNotFound) {
				return tableNotFound(db, name)
			}
			return nil
		})
		dropped = cur.Table
		return err
	})
	return dropped, err
}

// RenameTable renames a table within its database (the table keeps its id
// and data).
func (s *Service) RenameTable(ctx context.Context, tenant, db, oldName, newName string) error {
	if err := validName("Table", newName); err != nil {
		return err
	}
	return retry(ctx, func() error {
		cur, err := s.GetTable(ctx, tenant, db, oldName)
		if err != nil {
			return err
		}
		t := cur.Table
		t.Name = newName
		return s.commit(ctx, []catalog.Op{
			{Kind: catalog.OpDelete, Key: m.TableKey(db, oldName), Expect: int64(cur.Version)},
			{Kind: catalog.OpPut, Key: m.TableKey(db, newName), Value: marshal(t), Expect: catalog.Absent},
		}, func() error {
			if _, err := s.cat.Get(ctx, m.TableKey(db, newName)); err == nil {
				return tableExists(db, newName)
			}
			return nil
		})
	})
}

// RenameDatabase renames a database; its tables move with it.
func (s *Service) RenameDatabase(ctx context.Context, tenant, oldName, newName string) error {
	if err := validName("Database", newName); err != nil {
		return err
	}
	return retry(ctx, func() error {
		cur, err := s.GetDatabase(ctx, tenant, oldName)
		if err != nil {
			return err
		}
		entries, _, err := s.cat.List(ctx, m.TablesOf(oldName))
		if err != nil {
			return err
		}
		if 2+2*len(entries) > catalog.MaxTxnOps {
			return errorf(KindConflict, "Database `%s` has too many tables (%d) to rename at once.", oldName, len(entries))
		}
		d := cur.Database
		d.Name = newName
		ops := []catalog.Op{
			{Kind: catalog.OpDelete, Key: m.DatabaseKey(oldName), Expect: int64(cur.Version)},
			{Kind: catalog.OpPut, Key: m.DatabaseKey(newName), Value: marshal(d), Expect: catalog.Absent},
		}
		for _, e := range entries {
			t, err := m.Decode[m.Table](e.Key, e.Value)
			if err != nil {
				return err
			}
			t.DB = newName
			ops = append(ops,
				catalog.Op{Kind: catalog.OpDelete, Key: e.Key, Expect: int64(e.ModifyIndex)},
				catalog.Op{Kind: catalog.OpPut, Key: m.TableKey(newName, t.Name), Value: marshal(t), Expect: catalog.Absent})
		}
		return s.commit(ctx, ops, func() error {
			if _, err := s.cat.Get(ctx, m.DatabaseKey(newName)); err == nil {
				return dbExists(newName)
			}
			return nil
		})
	})
}
