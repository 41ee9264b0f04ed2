package reql

import (
	"context"
	"crypto/sha1"
	"github.com/photondb-io/photondb/shared/meta"
	"sort"
	"strings"
	"sync"

	"github.com/photondb-io/photondb/datanode/changefeed"
)

// Users and permissions, as RethinkDB 2.4 has them (its
// src/clustering/administration/auth/): every driver user has a password
// (a SCRAM verifier, kept by the store) and permissions `read`, `write`,
// `config` and `connect` at three scopes, global, database and table. A
// narrower scope overrides a wider one, and an unset permission (null)
// inherits the wider scope's. `connect` exists at the global scope only.
// The `admin` user always exists, has every permission and cannot lose
// any.
//
// A query runs as the user its context names (WithUser, set by the wire
// layer after the handshake); a context without a user is an internal
// caller and runs unrestricted. Each term checks what it needs before it
// touches anything (in particular before DDL is routed to the control
// plane), with RethinkDB's PERMISSION_ERROR:
//
//	reads                 read on the table (table → database → global)
//	writes                read and write on the table
//	sync                  read and write on the table
//	index_*, config,      config on the table (table → database → global)
//	reconfigure, rebalance,
//	set/get_write_hook,
//	ignore_write_hook
//	table_create          config on the database (database → global)
//	table_drop            config on the table
//	db_create             config, global
//	db_drop               config on the database and on each of its tables
//	r.http                connect, global
//	rethinkdb.* tables    read (and write to change them) on the table, with
//	                      the `rethinkdb` database as a database like any
//	                      other (RethinkDB 2.4; global grants apply)
//	grant                 read and write on rethinkdb.permissions

// AdminUser is the user that always exists and has every permission.
const AdminUser = "admin"

// ClusterUser is the control plane's own login on a data node: it exists
// only when the node has a cluster secret (its password), has the admin's
// rights, and is not listed in rethinkdb.users.
const ClusterUser = meta.ClusterUser

// Permissions are one scope's permissions; nil means unset (inherit).
// Connect is meaningful at the global scope only.
type Permissions struct {
	Read    *bool `json:"read,omitempty"`
	Write   *bool `json:"write,omitempty"`
	Config  *bool `json:"config,omitempty"`
	Connect *bool `json:"connect,omitempty"`
}

// IsEmpty reports whether no permission is set.
func (p Permissions) IsEmpty() bool {
	return p.Read == nil && p.Write == nil && p.Config == nil && p.Connect == nil
}

// User is a driver user and its permissions (the password itself stays in
// the store).
type User struct {
	Name        string
	HasPassword bool
	Global      Permissions
	DBs         map[string]Permissions // by database ID
	Tables      map[string]Permissions // by table ID
}

// Clone returns a deep copy of u (maps included), safe to modify.
func (u *User) Clone() *User {
	if u == nil {
		return nil
	}
	out := *u
	out.DBs = make(map[string]Permissions, len(u.DBs))
	for k, v := range u.DBs {
		out.DBs[k] = v
	}
	out.Tables = make(map[string]Permissions, len(u.Tables))
	for k, v := range u.Tables {
		out.Tables[k] = v
	}
	return &out
}

// PasswordChange is a new password for UserStore.UpdateUser; Iterations 0
// means the store's default. An empty Password removes the password.
type PasswordChange struct {
	Password   string
	Iterations int
}

// UserStore keeps the driver users and their permissions (rethinkdb.users,
// rethinkdb.permissions, GRANT). The shard layer implements it; permissions
// of dropped databases and tables are removed with them.
type UserStore interface {
	// User returns the user named name, or nil if there is none. The admin
	// user always exists, with every permission.
	User(ctx context.Context, name string) (*User, error)
	// Users lists every user, sorted by name.
	Users(ctx context.Context) ([]User, error)
	// UpdateUser changes one user atomically: f gets a copy of the current
	// user (nil if absent) and returns the new one (nil deletes the user)
	// and, to change the password, the new password. UpdateUser returns the
	// user before and after; an error from f is returned as is.
	UpdateUser(ctx context.Context, name string, f func(old *User) (*User, *PasswordChange, error)) (old, updated *User, err error)
}

// userKey is the context key of the user a query runs as.
type userKey struct{}

// WithUser returns a context whose queries run as the driver user name,
// with that user's permissions checked.
func WithUser(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, userKey{}, name)
}

// UserFromContext returns the user set by WithUser.
func UserFromContext(ctx context.Context) (string, bool) {
	name, ok := ctx.Value(userKey{}).(string)
	return name, ok
}

// perm is one of the four permissions.
type perm int

const (
	permRead perm = iota
	permWrite
	permConfig
	permConnect
)

func (p perm) String() string {
	return [...]string{"read", "write", "config", "connect"}[p]
}

// PermissionError is RethinkDB's PERMISSION_ERROR for a user missing a
// permission. The text is RethinkDB's exactly (permission_error.hpp, 2.3
// and 2.4), including the missing space after the user name.
func PermissionError(user, permission string) error {
	return newErr(ErrPermission, "User `%s`does not have the required `%s` permission.", user, permission)
}

// authState is the user a query runs as; the user's permissions are read
// once, at the first check, and used for the whole query.
type authState struct {
	name  string
	users UserStore
	once  sync.Once
	user  *User
	err   error
}

func (a *authState) load(ctx context.Context) (*User, error) {
	a.once.Do(func() {
		if a.users == nil {
			return // no user store: the user has no permissions
		}
		a.user, a.err = a.users.User(ctx, a.name)
	})
	return a.user, a.err
}

// newAuthState is the permission state of a query run under ctx: nil when
// unrestricted (an internal caller, or the admin user).
func newAuthState(ctx context.Context, env *Env) *authState {
	name, ok := UserFromContext(ctx)
	if !ok || name == AdminUser || name == ClusterUser {
		return nil
	}
	return &authState{name: name, users: env.Users}
}

// tri resolves a permission through scopes, narrowest first: the first
// set value wins; unset everywhere is false.
func tri(vals ...*bool) bool {
	for _, v := range vals {
		if v != nil {
			return *v
		}
	}
	return false
}

func (u *User) scopes(dbID, tableID string) (tbl, db Permissions) {
	if tableID != "" {
		tbl = u.Tables[tableID]
	}
	if dbID != "" {
		db = u.DBs[dbID]
	}
	return tbl, db
}

// allowed reports whether u has permission p on the table (dbID, tableID),
// the database dbID (tableID empty) or globally (both empty), with
// RethinkDB's override rules (user.cc: has_*_permission). Write needs read
// too, as in user_context.cc.
func (u *User) allowed(p perm, dbID, tableID string) bool {
	if u == nil {
		return false
	}
	if u.Name == AdminUser {
		return true
	}
	t, d := u.scopes(dbID, tableID)
	read := tri(t.Read, d.Read, u.Global.Read)
	switch p {
	case permRead:
		return read
	case permWrite:
		return read && tri(t.Write, d.Write, u.Global.Write)
	case permConfig:
		return tri(t.Config, d.Config, u.Global.Config)
	case permConnect:
		return tri(u.Global.Connect)
	}
	return false
}

// require fails with PERMISSION_ERROR unless the query's user has p on the
// given scope (see allowed).
func (c *evalCtx) require(p perm, dbID, tableID string) error {
	if c.auth == nil {
		return nil
	}
	// The system database is the admin's alone (users, permissions,
	// cluster configuration): no grant opens it to other users.
	if dbID == SystemDBID {
		return PermissionError(c.auth.name, p.String())
	}
	u, err := c.auth.load(c.ctx)
	if err != nil {
		return err
	}
	if !u.allowed(p, dbID, tableID) {
		return PermissionError(c.auth.name, p.String())
	}
	return nil
}

// requireConfigAll requires config on the database dbID and on each of
// the tables (db_drop: user_context.cc's require_config_permission over a
// set of tables).
func (c *evalCtx) requireConfigAll(dbID string, tableIDs []string) error {
	if err := c.require(permConfig, dbID, ""); err != nil {
		return err
	}
	for _, id := range tableIDs {
		if err := c.require(permConfig, dbID, id); err != nil {
			return err
		}
	}
	return nil
}

// dbID returns the ID of the database name (the fixed ID of `rethinkdb`
// for the system database).
func (c *evalCtx) dbID(name string) (string, error) {
	if name == systemDB {
		return SystemDBID, nil
	}
	d, err := c.env.Store.GetDB(c.ctx, name)
	if err != nil {
		return "", err
	}
	return d.ID, nil
}

// tableIDs returns the database and table IDs of tbl.
func (c *evalCtx) tableIDs(tbl *Table) (dbID, tableID string, err error) {
	if tbl.DB == systemDB {
		return SystemDBID, SystemTableID(tbl.Name), nil
	}
	cfg := tbl.store.Config()
	if cfg.DBID != "" {
		return cfg.DBID, cfg.ID, nil
	}
	dbID, err = c.dbID(tbl.DB)
	return dbID, cfg.ID, err
}

// requireTable requires p on tbl.
func (c *evalCtx) requireTable(p perm, tbl *Table) error {
	if c.auth == nil {
		return nil
	}
	dbID, tableID, err := c.tableIDs(tbl)
	if err != nil {
		return err
	}
	return c.require(p, dbID, tableID)
}

// guardTable wraps a user table's store so that reading it requires read
// and writing it requires write, whichever term does it.
func (c *evalCtx) guardTable(ts TableStore, db string) (TableStore, error) {
	if c.auth == nil {
		return ts, nil
	}
	cfg := ts.Config()
	dbID := cfg.DBID
	if dbID == "" {
		var err error
		if dbID, err = c.dbID(db); err != nil {
			return nil, err
		}
	}
	return &guardedTable{TableStore: ts, c: c, dbID: dbID, tableID: cfg.ID}, nil
}

// guardedTable is a TableStore whose reads and writes check the query
// user's permissions first. Config and Indexes are not guarded (config and
// index_list check what they need themselves).
type guardedTable struct {
	TableStore
	c             *evalCtx
	dbID, tableID string
}

func (g *guardedTable) check(p perm) error { return g.c.require(p, g.dbID, g.tableID) }

func (g *guardedTable) Get(ctx context.Context, key any) (map[string]any, error) {
	if err := g.check(permRead); err != nil {
		return nil, err
	}
	return g.TableStore.Get(ctx, key)
}

// GetRaw keeps the inner store's RawGetter.
func (g *guardedTable) GetRaw(ctx context.Context, key any, decode bool) (map[string]any, []byte, error) {
	if err := g.check(permRead); err != nil {
		return nil, nil, err
	}
	return getDoc(ctx, g.TableStore, key, decode)
}

func (g *guardedTable) Scan(ctx context.Context, reverse bool) DocIterator {
	if err := g.check(permRead); err != nil {
		return &sliceDocIter{i: -1, err: err}
	}
	return g.TableStore.Scan(ctx, reverse)
}

func (g *guardedTable) Count(ctx context.Context) (int64, error) {
	if err := g.check(permRead); err != nil {
		return 0, err
	}
	return g.TableStore.Count(ctx)
}

func (g *guardedTable) IndexScan(ctx context.Context, index string, r KeyRange, reverse bool) (DocIterator, error) {
	if err := g.check(permRead); err != nil {
		return nil, err
	}
	return g.TableStore.IndexScan(ctx, index, r, reverse)
}

func (g *guardedTable) Write(ctx context.Context, ops []*WriteOp, durability string) error {
	if err := g.check(permWrite); err != nil {
		return err
	}
	return g.TableStore.Write(ctx, ops, durability)
}

// Subscribe requires read: a changefeed reads the table.
func (g *guardedTable) Subscribe(ctx context.Context, o FeedOptions) (*changefeed.Sub, DocIterator, error) {
	if err := g.check(permRead); err != nil {
		return nil, nil, err
	}
	return g.TableStore.Subscribe(ctx, o)
}

// The system database and its tables have fixed IDs (as RethinkDB's do),
// so that permissions can be granted on them.
var (
	systemDBNamespace    = [16]byte{0x39, 0xa2, 0x49, 0x24, 0x14, 0xec, 0x4d, 0xeb, 0x99, 0xf1, 0x74, 0x2e, 0xda, 0x7a, 0xba, 0x5e}
	systemTableNamespace = [16]byte{0x0e, 0xab, 0xef, 0x01, 0x6d, 0xeb, 0x40, 0x69, 0x9a, 0x2d, 0x44, 0x8d, 0xb0, 0x57, 0xab, 0x1e}
)

// SystemDBID is the ID of the `rethinkdb` database.
var SystemDBID = nameUUID(systemDBNamespace, systemDB)

// SystemTableID is the ID of the system table name.
func SystemTableID(name string) string { return nameUUID(systemTableNamespace, name) }

// IsSystemTableID reports whether id is the ID of a system table.
func IsSystemTableID(id string) bool {
	for _, name := range systemTables {
		if SystemTableID(name) == id {
			return true
		}
	}
	return false
}

// nameUUID is the version 5 (SHA-1, name-based) UUID of name in ns.
func nameUUID(ns [16]byte, name string) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return coreFormatUUID(u)
}

// permissionsDatum is a scope's permissions as RethinkDB shows them
// (permissions_t::to_datum): only the set ones, null when none is set.
func permissionsDatum(p Permissions) any {
	out := map[string]any{}
	for name, v := range map[string]*bool{"read": p.Read, "write": p.Write, "config": p.Config, "connect": p.Connect} {
		if v != nil {
			out[name] = *v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// mergePermissions applies a permissions object (RethinkDB's
// permissions_t::merge): each of read, write, config (and connect, at the
// global scope only) set to a boolean or reset to null; other keys are
// errors.
func mergePermissions(p Permissions, d any, global bool) (Permissions, error) {
	obj, ok := d.(map[string]any)
	if !ok {
		return p, newErr(ErrOpFailed, "Expected an object, got %s.", printDatum(d))
	}
	keys := map[string]bool{}
	for k := range obj {
		keys[k] = true
	}
	set := func(field string, dst **bool) error {
		v, has := obj[field]
		if !has {
			return nil
		}
		delete(keys, field)
		switch x := v.(type) {
		case nil:
			*dst = nil
		case bool:
			b := x
			*dst = &b
		default:
			return newErr(ErrOpFailed, "Expected a boolean or null for `%s`, got %s.", field, printDatum(v))
		}
		return nil
	}
	for _, f := range []struct {
		name string
		dst  **bool
	}{{"read", &p.Read}, {"write", &p.Write}, {"config", &p.Config}} {
		if err := set(f.name, f.dst); err != nil {
			return p, err
		}
	}
	if _, has := obj["connect"]; has {
		if !global {
			return p, newErr(ErrOpFailed, "The `connect` permission is only valid at the global scope.")
		}
		if err := set("connect", &p.Connect); err != nil {
			return p, err
		}
	}
	if len(keys) > 0 {
		return p, unexpectedKeys(keys)
	}
	return p, nil
}

// unexpectedKeys is RethinkDB's "Unexpected key(s) `a`, `b`." (sorted).
func unexpectedKeys(keys map[string]bool) error {
	list := make([]string, 0, len(keys))
	for k := range keys {
		list = append(list, k)
	}
	sort.Strings(list)
	return newErr(ErrOpFailed, "Unexpected key(s) `%s`.", strings.Join(list, "`, `"))
}
