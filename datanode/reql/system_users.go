package reql

import (
	"context"
	"errors"
	"regexp"
)

// The `rethinkdb.users` and `rethinkdb.permissions` system tables, with
// RethinkDB 2.4's shapes, rules and messages
// (users_artificial_table_backend.cc, permissions_artificial_table_backend.cc,
// user.cc, password.cc):
//
//	users        {id: name, password: true|false}; insert {id, password}
//	             to create, update password (a string, {password,
//	             iterations}, or false for none), delete to remove.
//	permissions  {id: [user], permissions}
//	             {id: [user, db id], database, permissions}
//	             {id: [user, db id, table id], database, table, permissions}
//	             with only the permissions that are set; writing merges
//	             them, deleting (or unsetting all) removes the row.

// maxPasswordIterations bounds the PBKDF2 iterations a password may ask
// for, so that one write cannot keep the server hashing for minutes.
// PhotonDB limit: RethinkDB takes any 32-bit count.
const maxPasswordIterations = 1 << 20

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// userRow is a user as rethinkdb.users shows it; nil for no user.
func userRow(u *User) map[string]any {
	if u == nil {
		return nil
	}
	return map[string]any{"id": u.Name, "password": u.HasPassword}
}

func (s *systemTable) userDocs(ctx context.Context) ([]map[string]any, error) {
	users := s.c.env.Users
	if users == nil {
		return []map[string]any{{"id": AdminUser, "password": false}}, nil
	}
	list, err := users.Users(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(list))
	for i := range list {
		out = append(out, userRow(&list[i]))
	}
	return out, nil
}

// catalogNames maps database and table IDs to names, the system database
// and tables included.
type catalogNames struct {
	dbs    map[string]string // id -> name
	tables map[string]struct{ dbID, db, name string }
}

func (s *systemTable) catalogNames(ctx context.Context) (catalogNames, error) {
	n := catalogNames{dbs: map[string]string{SystemDBID: systemDB}, tables: map[string]struct{ dbID, db, name string }{}}
	for _, name := range systemTables {
		n.tables[SystemTableID(name)] = struct{ dbID, db, name string }{SystemDBID, systemDB, name}
	}
	store := s.c.env.Store
	dbs, err := store.ListDBs(ctx)
	if err != nil {
		return n, err
	}
	for _, d := range dbs {
		n.dbs[d.ID] = d.Name
		tables, err := store.ListTables(ctx, d.Name)
		if err != nil {
			return n, err
		}
		for _, t := range tables {
			n.tables[t.ID] = struct{ dbID, db, name string }{d.ID, d.Name, t.Name}
		}
	}
	return n, nil
}

// permissionRow is one scope's row of rethinkdb.permissions (nil when no
// permission is set there, or the database or table no longer exists).
func (s *systemTable) permissionRow(n catalogNames, user string, p Permissions, dbID, tableID string) map[string]any {
	perms := permissionsDatum(p)
	if perms == nil {
		return nil
	}
	row := map[string]any{"permissions": perms}
	switch {
	case tableID != "":
		t, ok := n.tables[tableID]
		if !ok || (dbID != "" && t.dbID != dbID) {
			return nil
		}
		row["id"] = []any{user, t.dbID, tableID}
		row["database"], row["table"] = t.db, t.name
		if s.uuidIDs {
			row["database"], row["table"] = t.dbID, tableID
		}
	case dbID != "":
		name, ok := n.dbs[dbID]
		if !ok {
			return nil
		}
		row["id"] = []any{user, dbID}
		row["database"] = name
		if s.uuidIDs {
			row["database"] = dbID
		}
	default:
		row["id"] = []any{user}
	}
	return row
}

func (s *systemTable) permissionDocs(ctx context.Context) ([]map[string]any, error) {
	users := s.c.env.Users
	var list []User
	if users == nil {
		list = []User{adminUser()}
	} else {
		var err error
		if list, err = users.Users(ctx); err != nil {
			return nil, err
		}
	}
	n, err := s.catalogNames(ctx)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	add := func(row map[string]any) {
		if row != nil {
			out = append(out, row)
		}
	}
	for _, u := range list {
		add(s.permissionRow(n, u.Name, u.Global, "", ""))
		for id, p := range u.DBs {
			add(s.permissionRow(n, u.Name, p, id, ""))
		}
		for id, p := range u.Tables {
			add(s.permissionRow(n, u.Name, p, "", id))
		}
	}
	return out, nil
}

// adminUser is the admin user as a server without a user store has it.
func adminUser() User {
	t := true
	return User{Name: AdminUser, Global: Permissions{Read: &t, Write: &t, Config: &t, Connect: &t}}
}

// isPermissionError reports whether err is a PERMISSION_ERROR.
func isPermissionError(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == KindRuntime && e.Type == ErrPermission
}

// opError files err as op's own failure when it is a ReQL error about
// that document; other errors (storage, permissions) fail the whole write.
func opError(op *WriteOp, err error) error {
	var e *Error
	if errors.As(err, &e) && e.Type != ErrPermission {
		op.Err = err
		return nil
	}
	return err
}

func (s *systemTable) writeUsers(ctx context.Context, ops []*WriteOp) error {
	users := s.c.env.Users
	for _, op := range ops {
		name, ok := op.Key.(string)
		if !ok || op.Generated || name == "" {
			op.Err = newErr(ErrOpFailed, "Expected a username as the primary key, got %s.", printDatum(op.Key))
			continue
		}
		if users == nil {
			op.Err = newErr(ErrOpFailed, "Users cannot be changed on this server.")
			continue
		}
		var written, oldRow map[string]any
		old, updated, err := users.UpdateUser(ctx, name, func(u *User) (*User, *PasswordChange, error) {
			oldRow = userRow(u)
			next, err := op.Apply(oldRow)
			if err != nil {
				return nil, nil, err
			}
			written = next
			if next == nil {
				switch {
				case u == nil:
					return nil, nil, newErr(ErrOpFailed, "User `%s` not found.", name)
				case name == AdminUser:
					return nil, nil, newErr(ErrOpFailed, "The user `%s` can't be deleted.", name)
				}
				return nil, nil, nil
			}
			return mergeUser(u, name, next)
		})
		if err != nil {
			op.Old, op.New = oldRow, oldRow
			if err := opError(op, err); err != nil {
				return err
			}
			continue
		}
		op.Old, op.New = userRow(old), userRow(updated)
		// A new password shows as `password: true` again; the write still
		// replaced the row, as RethinkDB counts it (old row vs. row written).
		op.hidden = updated != nil && !datumEqual(op.Old, written)
	}
	return nil
}

// mergeUser applies a users row to the user u (nil: a new user), as
// RethinkDB's user_t::merge does.
func mergeUser(u *User, name string, row map[string]any) (*User, *PasswordChange, error) {
	if _, ok := row["id"]; !ok {
		return nil, nil, newErr(ErrOpFailed, "Expected a field named `id`.")
	}
	pw, ok := row["password"]
	if !ok {
		return nil, nil, newErr(ErrOpFailed, "Expected a field named `password`.")
	}
	if len(row) != 2 {
		keys := map[string]bool{}
		for k := range row {
			if k != "id" && k != "password" {
				keys[k] = true
			}
		}
		return nil, nil, unexpectedKeys(keys)
	}
	next := u
	if next == nil {
		next = &User{Name: name, DBs: map[string]Permissions{}, Tables: map[string]Permissions{}}
	}
	switch x := pw.(type) {
	case string:
		return next, &PasswordChange{Password: x}, nil
	case map[string]any:
		change, err := passwordObject(x)
		return next, change, err
	case bool:
		if !x {
			return next, &PasswordChange{}, nil
		}
		if !next.HasPassword {
			return nil, nil, newErr(ErrOpFailed, "Expected an object or string to set the password, or `false` to keep it unset, got true.")
		}
		return next, nil, nil
	}
	return nil, nil, newErr(ErrOpFailed, "Expected an object, string or boolean for `password`, got %s.", printDatum(pw))
}

// passwordObject reads {password, iterations} (RethinkDB's password_t).
func passwordObject(obj map[string]any) (*PasswordChange, error) {
	keys := map[string]bool{}
	for k := range obj {
		keys[k] = true
	}
	it, ok := obj["iterations"]
	if !ok {
		return nil, newErr(ErrOpFailed, "Expected a field named `iterations`.")
	}
	n, isNum := it.(float64)
	if !isNum || n < 1 || n != float64(int64(n)) {
		return nil, newErr(ErrOpFailed, "Expected iterations to be a number greater than zero, got %s.", printDatum(it))
	}
	if n > maxPasswordIterations {
		return nil, newErr(ErrOpFailed, "Expected iterations to be at most %d, got %s.", maxPasswordIterations, printDatum(it))
	}
	delete(keys, "iterations")
	p, ok := obj["password"]
	if !ok {
		return nil, newErr(ErrOpFailed, "Expected a field named `password`.")
	}
	str, isStr := p.(string)
	if !isStr {
		return nil, newErr(ErrOpFailed, "Expected `password` to be a string, got %s.", printDatum(p))
	}
	delete(keys, "password")
	if len(keys) > 0 {
		return nil, unexpectedKeys(keys)
	}
	return &PasswordChange{Password: str, Iterations: int(n)}, nil
}

// permissionKey is a parsed rethinkdb.permissions primary key.
type permissionKey struct {
	user          string
	dbID, tableID string
	size          int
}

// parsePermissionKey parses [user], [user, db id] or [user, db id, table
// id] (permissions_artificial_table_backend_t::parse_primary_key).
func (s *systemTable) parsePermissionKey(n catalogNames, key any) (permissionKey, error) {
	arr, ok := key.([]any)
	if !ok || len(arr) < 1 || len(arr) > 3 {
		return permissionKey{}, newErr(ErrOpFailed, "Expected an array of one to three items in the primary key, got %s.", printDatum(key))
	}
	k := permissionKey{size: len(arr)}
	if k.user, ok = arr[0].(string); !ok {
		return k, newErr(ErrOpFailed, "Expected a string as the username, got %s.", printDatum(arr[0]))
	}
	if len(arr) > 1 {
		if k.dbID, ok = arr[1].(string); !ok || !uuidPattern.MatchString(k.dbID) {
			return k, newErr(ErrOpFailed, "Expected a UUID as the database, got %s.", printDatum(arr[1]))
		}
		if _, exists := n.dbs[k.dbID]; !exists {
			return k, newErr(ErrOpFailed, "No database with UUID `%s` exists.", k.dbID)
		}
	}
	if len(arr) > 2 {
		if k.tableID, ok = arr[2].(string); !ok || !uuidPattern.MatchString(k.tableID) {
			return k, newErr(ErrOpFailed, "Expected a UUID as the table, got %s.", printDatum(arr[2]))
		}
		if t, exists := n.tables[k.tableID]; !exists || t.dbID != k.dbID {
			return k, newErr(ErrOpFailed, "No table with UUID `%s` exists.", k.tableID)
		}
	}
	return k, nil
}

// of returns the permissions of u at the key's scope.
func (k permissionKey) of(u *User) Permissions {
	switch k.size {
	case 1:
		return u.Global
	case 2:
		return u.DBs[k.dbID]
	}
	return u.Tables[k.tableID]
}

// set stores p at the key's scope of u (removing empty entries).
func (k permissionKey) set(u *User, p Permissions) {
	switch k.size {
	case 1:
		u.Global = p
	case 2:
		if p.IsEmpty() {
			delete(u.DBs, k.dbID)
		} else {
			u.DBs[k.dbID] = p
		}
	default:
		if p.IsEmpty() {
			delete(u.Tables, k.tableID)
		} else {
			u.Tables[k.tableID] = p
		}
	}
}

func (s *systemTable) writePermissions(ctx context.Context, ops []*WriteOp) error {
	users := s.c.env.Users
	n, err := s.catalogNames(ctx)
	if err != nil {
		return err
	}
	for _, op := range ops {
		if op.Generated {
			op.Err = newErr(ErrOpFailed, "You must specify a primary key.")
			continue
		}
		k, err := s.parsePermissionKey(n, op.Key)
		if err != nil {
			op.Err = err
			continue
		}
		if users == nil {
			op.Err = newErr(ErrOpFailed, "No user named `%s`.", k.user)
			continue
		}
		var oldRow map[string]any
		old, updated, err := users.UpdateUser(ctx, k.user, func(u *User) (*User, *PasswordChange, error) {
			if u != nil {
				oldRow = s.permissionRow(n, u.Name, k.of(u), k.dbID, k.tableID)
			}
			next, err := op.Apply(oldRow)
			if err != nil {
				return nil, nil, err
			}
			switch {
			case u == nil:
				return nil, nil, newErr(ErrOpFailed, "No user named `%s`.", k.user)
			case u.Name == AdminUser:
				return nil, nil, newErr(ErrOpFailed, "The permissions of the user `%s` can't be modified.", u.Name)
			}
			if next == nil {
				k.set(u, Permissions{})
				return u, nil, nil
			}
			p, err := s.mergePermissionRow(n, k, k.of(u), next)
			if err != nil {
				return nil, nil, err
			}
			k.set(u, p)
			return u, nil, nil
		})
		if err != nil {
			op.Old, op.New = oldRow, oldRow
			if err := opError(op, err); err != nil {
				return err
			}
			continue
		}
		op.Old = s.permissionRow(n, old.Name, k.of(old), k.dbID, k.tableID)
		op.New = s.permissionRow(n, updated.Name, k.of(updated), k.dbID, k.tableID)
	}
	return nil
}

// mergePermissionRow applies a written permissions row to the scope's
// permissions p (permissions_artificial_table_backend_t::write_row).
func (s *systemTable) mergePermissionRow(n catalogNames, k permissionKey, p Permissions, row map[string]any) (Permissions, error) {
	keys := map[string]bool{}
	for key := range row {
		keys[key] = true
	}
	delete(keys, "id")
	if k.size > 1 {
		if v, ok := row["database"]; ok {
			delete(keys, "database")
			want := n.dbs[k.dbID]
			if s.uuidIDs {
				want = k.dbID
			}
			if v != want {
				return p, newErr(ErrOpFailed, "The key `database` does not match the primary key.")
			}
		}
	}
	if k.size > 2 {
		if v, ok := row["table"]; ok {
			delete(keys, "table")
			want := n.tables[k.tableID].name
			if s.uuidIDs {
				want = k.tableID
			}
			if v != want {
				return p, newErr(ErrOpFailed, "The key `table` does not match the primary key.")
			}
		}
	}
	perms, ok := row["permissions"]
	if !ok {
		return p, newErr(ErrOpFailed, "Expected a field `permissions`.")
	}
	delete(keys, "permissions")
	merged, err := mergePermissions(p, perms, k.size == 1)
	if err != nil {
		return p, err
	}
	if len(keys) > 0 {
		return p, unexpectedKeys(keys)
	}
	return merged, nil
}
