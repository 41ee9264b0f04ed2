package shard

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/datanode/storage"
	"github.com/photondb-io/photondb/datanode/wire"
)

// Driver users (reql.UserStore, wire.Users), kept in the catalog key space:
//
//	c/user/<name>   userRecord (JSON): the SCRAM-SHA-256 verifier of the
//	                password (salt, iterations, StoredKey, ServerKey; never
//	                the password) and the user's permissions, by scope
//	                (databases and tables by ID, so renames keep them).
//
// The admin user always exists (created on first start with the initial
// password, or with none); its permissions are implicit (all of them).
// Readers use an immutable snapshot of all users (a login never waits for a
// write); writers serialize on userMu and publish a new snapshot after the
// write is durable. Dropping a database or table removes the permissions
// on it in the same batch as the catalog change.

const prefixUser = "c/user/"

// DefaultPasswordIterations is RethinkDB's PBKDF2 iteration count.
const DefaultPasswordIterations = wire.DefaultIterations

// userRecord is a user as stored.
type userRecord struct {
	Name        string                      `json:"name"`
	HasPassword bool                        `json:"has_password"`
	Salt        []byte                      `json:"salt"`
	Iterations  int                         `json:"iterations"`
	StoredKey   []byte                      `json:"stored_key"`
	ServerKey   []byte                      `json:"server_key"`
	Global      reql.Permissions            `json:"global"`
	DBs         map[string]reql.Permissions `json:"databases,omitempty"`
	Tables      map[string]reql.Permissions `json:"tables,omitempty"`
}

// userSet is a snapshot of all users; never modified once published.
type userSet map[string]*userRecord

var (
	_ reql.UserStore = (*Store)(nil)
	_ wire.Users     = (*Store)(nil)
)

// newUserRecord is a user with the given password and no permissions.
func (s *Store) newUserRecord(name, password string, iterations int) (*userRecord, error) {
	rec := &userRecord{Name: name}
	if err := s.setPassword(rec, password, iterations); err != nil {
		return nil, err
	}
	return rec, nil
}

// setPassword replaces rec's verifier (an empty password is "no password":
// a verifier of the empty string, as RethinkDB keeps it).
func (s *Store) setPassword(rec *userRecord, password string, iterations int) error {
	if iterations <= 0 {
		iterations = s.iterations
	}
	creds, err := wire.NewCredentials(password, iterations)
	if err != nil {
		return fmt.Errorf("hash the password of user %s: %w", rec.Name, err)
	}
	rec.HasPassword = password != ""
	rec.Salt, rec.Iterations, rec.StoredKey, rec.ServerKey = creds.Salt, creds.Iterations, creds.StoredKey, creds.ServerKey
	return nil
}

// loadUsers reads the users, creates the admin user of a catalog that has
// none (made before users existed) and drops permissions on databases and
// tables that no longer exist.
func (s *Store) loadUsers() error {
	set := userSet{}
	it := s.eng.NewIterator(storage.IterOptions{Prefix: []byte(prefixUser)})
	for it.Next() {
		var rec userRecord
		if err := json.Unmarshal(it.Value(), &rec); err != nil {
			it.Close()
			return fmt.Errorf("decode user entry %q: %w", it.Key(), err)
		}
		set[rec.Name] = &rec
	}
	if err := closeIter(it); err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	b := s.eng.NewBatch()
	if set[reql.AdminUser] == nil {
		admin, err := s.newUserRecord(reql.AdminUser, "", 0)
		if err != nil {
			return err
		}
		set[reql.AdminUser] = admin
		b.Put([]byte(prefixUser+reql.AdminUser), mustJSON(admin))
	}
	liveDBs, liveTables := map[string]bool{reql.SystemDBID: true}, map[string]bool{}
	for name, d := range s.dbs {
		liveDBs[d.ID] = true
		for _, t := range s.tables[name] {
			liveTables[t.cfg.ID] = true
		}
	}
	for name, rec := range set {
		if next, changed := prunePermissions(rec, func(id string) bool { return !liveDBs[id] },
			func(id string) bool { return !liveTables[id] && !reql.IsSystemTableID(id) }); changed {
			set[name] = next
			b.Put([]byte(prefixUser+name), mustJSON(next))
		}
	}
	if b.Len() > 0 {
		if err := s.eng.Apply(b, storage.Hard); err != nil {
			return fmt.Errorf("save users: %w", err)
		}
	}
	s.users.Store(&set)
	return nil
}

// prunePermissions returns rec without the permissions on the databases
// and tables that gone reports, and whether any were removed.
func prunePermissions(rec *userRecord, dbGone, tableGone func(id string) bool) (*userRecord, bool) {
	var next *userRecord
	clone := func() {
		if next == nil {
			c := *rec
			c.DBs, c.Tables = copyPerms(rec.DBs), copyPerms(rec.Tables)
			next = &c
		}
	}
	for id := range rec.DBs {
		if dbGone(id) {
			clone()
			delete(next.DBs, id)
		}
	}
	for id := range rec.Tables {
		if tableGone(id) {
			clone()
			delete(next.Tables, id)
		}
	}
	return next, next != nil
}

func copyPerms(m map[string]reql.Permissions) map[string]reql.Permissions {
	out := make(map[string]reql.Permissions, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// dropPermissions adds to b the users' records without their permissions
// on the database dbID (empty: none) and the tables tableIDs. It holds the
// users' write lock until done is called, with whether b was applied.
func (s *Store) dropPermissions(b *storage.Batch, dbID string, tableIDs []string) (done func(applied bool)) {
	s.userMu.Lock()
	gone := map[string]bool{}
	for _, id := range tableIDs {
		gone[id] = true
	}
	cur := *s.users.Load()
	next := userSet{}
	for name, rec := range cur {
		next[name] = rec
		if pruned, changed := prunePermissions(rec, func(id string) bool { return id == dbID }, func(id string) bool { return gone[id] }); changed {
			next[name] = pruned
			b.Put([]byte(prefixUser+name), mustJSON(pruned))
		}
	}
	return func(applied bool) {
		if applied {
			s.users.Store(&next)
		}
		s.userMu.Unlock()
	}
}

// toUser is a record as the evaluator sees it.
func toUser(rec *userRecord) *reql.User {
	if rec == nil {
		return nil
	}
	u := &reql.User{Name: rec.Name, HasPassword: rec.HasPassword, Global: rec.Global,
		DBs: copyPerms(rec.DBs), Tables: copyPerms(rec.Tables)}
	if rec.Name == reql.AdminUser {
		t := true
		u.Global = reql.Permissions{Read: &t, Write: &t, Config: &t, Connect: &t}
		u.DBs, u.Tables = map[string]reql.Permissions{}, map[string]reql.Permissions{}
	}
	return u
}

// Credentials implements wire.Users: the verifier of a user's password.
func (s *Store) Credentials(name string) (wire.Credentials, bool) {
	rec := (*s.users.Load())[name]
	if rec == nil {
		return wire.Credentials{}, false
	}
	return wire.Credentials{Salt: rec.Salt, Iterations: rec.Iterations, StoredKey: rec.StoredKey, ServerKey: rec.ServerKey}, true
}

// User implements reql.UserStore.
func (s *Store) User(_ context.Context, name string) (*reql.User, error) {
	return toUser((*s.users.Load())[name]), nil
}

// Users implements reql.UserStore.
func (s *Store) Users(context.Context) ([]reql.User, error) {
	set := *s.users.Load()
	out := make([]reql.User, 0, len(set))
	for _, rec := range set {
		out = append(out, *toUser(rec))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// UpdateUser implements reql.UserStore. The admin user cannot be deleted
// and keeps its implicit permissions.
func (s *Store) UpdateUser(ctx context.Context, name string, f func(old *reql.User) (*reql.User, *reql.PasswordChange, error)) (*reql.User, *reql.User, error) {
	s.userMu.Lock()
	defer s.userMu.Unlock()
	cur := *s.users.Load()
	rec := cur[name]
	old := toUser(rec)
	next, pw, err := f(old.Clone())
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("update user %s: %w", name, err)
	}
	b := s.eng.NewBatch()
	set := make(userSet, len(cur)+1)
	for k, v := range cur {
		set[k] = v
	}
	var updated *userRecord
	switch {
	case next == nil && rec == nil:
		return nil, nil, nil
	case next == nil && name == reql.AdminUser:
		return nil, nil, reql.OpFailedError("The user `admin` can't be deleted.")
	case next == nil:
		b.Delete([]byte(prefixUser + name))
		delete(set, name)
	default:
		updated = &userRecord{Name: name}
		if rec != nil {
			*updated = *rec
		}
		if name != reql.AdminUser {
			updated.Global, updated.DBs, updated.Tables = next.Global, copyPerms(next.DBs), copyPerms(next.Tables)
		}
		switch {
		case pw != nil:
			err = s.setPassword(updated, pw.Password, pw.Iterations)
		case rec == nil:
			err = s.setPassword(updated, "", 0)
		}
		if err != nil {
			return nil, nil, err
		}
		b.Put([]byte(prefixUser+name), mustJSON(updated))
		set[name] = updated
	}
	if err := s.eng.Apply(b, storage.Hard); err != nil {
		return nil, nil, fmt.Errorf("save user %s: %w", name, err)
	}
	s.users.Store(&set)
	return old, toUser(updated), nil
}
