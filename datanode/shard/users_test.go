package shard

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"
	"testing"

	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/datanode/storage"
	"github.com/photondb-io/photondb/datanode/wire"
)

func openStoreOpts(t *testing.T, dir string, o Options) (*Store, *storage.Engine) {
	t.Helper()
	eng, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(eng, nil, o)
	if err != nil {
		eng.Close()
		t.Fatal(err)
	}
	return s, eng
}

// checkPassword reports whether password matches the stored verifier, as
// the SCRAM server compares it.
func checkPassword(t *testing.T, s *Store, user, password string) bool {
	t.Helper()
	c, ok := s.Credentials(user)
	if !ok {
		return false
	}
	want, err := wire.DeriveCredentials(password, c.Salt, c.Iterations)
	if err != nil {
		t.Fatal(err)
	}
	return subtle.ConstantTimeCompare(want.StoredKey, c.StoredKey) == 1
}

func setUser(name string, pw *reql.PasswordChange, change func(u *reql.User)) func(*reql.User) (*reql.User, *reql.PasswordChange, error) {
	return func(u *reql.User) (*reql.User, *reql.PasswordChange, error) {
		if u == nil {
			u = &reql.User{Name: name, DBs: map[string]reql.Permissions{}, Tables: map[string]reql.Permissions{}}
		}
		if change != nil {
			change(u)
		}
		return u, pw, nil
	}
}

func TestInitialAdminPassword(t *testing.T) {
	tests := []struct {
		name, initial, try string
		want               bool
	}{
		{"no initial password: empty", "", "", true},
		{"initial password", "s3cret", "s3cret", true},
		{"initial password, wrong try", "s3cret", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, eng := openStoreOpts(t, dir, Options{InitialPassword: tt.initial, PasswordIterations: 16})
			if !s.FirstStart() {
				t.Fatal("a new data dir is a first start")
			}
			if got := checkPassword(t, s, reql.AdminUser, tt.try); got != tt.want {
				t.Fatalf("admin password %q accepted = %v, want %v", tt.try, got, tt.want)
			}
			u, _ := s.User(context.Background(), reql.AdminUser)
			if u == nil {
				t.Fatal("no admin user")
			}
			g := u.Global
			if u.HasPassword != (tt.initial != "") || g.Read == nil || g.Write == nil || g.Config == nil || g.Connect == nil ||
				!*g.Read || !*g.Write || !*g.Config || !*g.Connect {
				t.Fatalf("admin user %+v", u)
			}
			eng.Close()
			// Later starts ignore the initial password.
			s, eng = openStoreOpts(t, dir, Options{InitialPassword: "other"})
			defer eng.Close()
			if s.FirstStart() {
				t.Fatal("reopening is not a first start")
			}
			if checkPassword(t, s, reql.AdminUser, "other") || !checkPassword(t, s, reql.AdminUser, tt.initial) {
				t.Fatal("the initial password must only apply to a new data dir")
			}
		})
	}
}

func TestUsersPersistAndVerify(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, eng := openStoreOpts(t, dir, Options{PasswordIterations: 32})
	if _, ok := s.Credentials("bob"); ok {
		t.Fatal("bob does not exist yet")
	}
	old, bob, err := s.UpdateUser(ctx, "bob", setUser("bob", &reql.PasswordChange{Password: "pw1"}, func(u *reql.User) {
		tr := true
		u.Global.Read = &tr
	}))
	if err != nil || old != nil || bob == nil || !bob.HasPassword {
		t.Fatalf("create bob: %v %+v %+v", err, old, bob)
	}
	if c, _ := s.Credentials("bob"); c.Iterations != 32 {
		t.Fatalf("iterations %d, want the configured 32", c.Iterations)
	}
	if !checkPassword(t, s, "bob", "pw1") || checkPassword(t, s, "bob", "pw2") {
		t.Fatal("bob's password")
	}
	// Change the password with its own iteration count; new logins use it.
	if _, _, err := s.UpdateUser(ctx, "bob", setUser("bob", &reql.PasswordChange{Password: "pw2", Iterations: 64}, nil)); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Credentials("bob"); c.Iterations != 64 || !checkPassword(t, s, "bob", "pw2") || checkPassword(t, s, "bob", "pw1") {
		t.Fatal("password change")
	}
	// The record keeps no password, only the verifier.
	raw, err := eng.Get([]byte(prefixUser + "bob"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "pw2") || strings.Contains(string(raw), "pw1") {
		t.Fatalf("stored user record contains the password: %s", raw)
	}
	sum := sha256.Sum256([]byte("pw2"))
	if strings.Contains(string(raw), string(sum[:])) {
		t.Fatal("stored user record contains a bare hash of the password")
	}
	eng.Close()

	s, eng = openStoreOpts(t, dir, Options{})
	defer eng.Close()
	users, err := s.Users(ctx)
	if err != nil || len(users) != 2 || users[0].Name != reql.AdminUser || users[1].Name != "bob" {
		t.Fatalf("users after reopen: %+v %v", users, err)
	}
	if users[1].Global.Read == nil || !*users[1].Global.Read || !checkPassword(t, s, "bob", "pw2") {
		t.Fatalf("bob after reopen: %+v", users[1])
	}
	// Delete bob; the admin user cannot be deleted.
	if _, gone, err := s.UpdateUser(ctx, "bob", func(*reql.User) (*reql.User, *reql.PasswordChange, error) { return nil, nil, nil }); err != nil || gone != nil {
		t.Fatalf("delete bob: %v %+v", err, gone)
	}
	if _, ok := s.Credentials("bob"); ok {
		t.Fatal("deleted bob can still log in")
	}
	_, _, err = s.UpdateUser(ctx, reql.AdminUser, func(*reql.User) (*reql.User, *reql.PasswordChange, error) { return nil, nil, nil })
	if err == nil || !strings.Contains(err.Error(), "can't be deleted") {
		t.Fatalf("deleting admin: %v", err)
	}
	// An error from f changes nothing.
	boom := errors.New("boom")
	if _, _, err := s.UpdateUser(ctx, "carol", func(*reql.User) (*reql.User, *reql.PasswordChange, error) { return nil, nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("error from f: %v", err)
	}
	if u, _ := s.User(ctx, "carol"); u != nil {
		t.Fatal("carol was created by a failed update")
	}
}

// Permissions on a dropped database or table go with it, in the same batch,
// and dangling ones are dropped on open.
func TestPermissionsFollowDrops(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, eng := openStoreOpts(t, dir, Options{PasswordIterations: 1})
	db, err := s.CreateDB(ctx, reql.DBConfig{Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	t1, err := s.CreateTable(ctx, reql.TableConfig{DB: "app", Name: "t1", PrimaryKey: "id"})
	if err != nil {
		t.Fatal(err)
	}
	t2, err := s.CreateTable(ctx, reql.TableConfig{DB: "app", Name: "t2", PrimaryKey: "id"})
	if err != nil {
		t.Fatal(err)
	}
	test, _ := s.GetDB(ctx, "test")
	tr := true
	p := reql.Permissions{Read: &tr}
	sysTable := reql.SystemTableID("users")
	if _, _, err := s.UpdateUser(ctx, "bob", setUser("bob", nil, func(u *reql.User) {
		u.DBs[db.ID], u.DBs[test.ID], u.DBs[reql.SystemDBID] = p, p, p
		u.Tables[t1.ID], u.Tables[t2.ID], u.Tables[sysTable] = p, p, p
	})); err != nil {
		t.Fatal(err)
	}
	has := func(u *reql.User, dbs, tables []string) bool {
		if len(u.DBs) != len(dbs) || len(u.Tables) != len(tables) {
			return false
		}
		for _, id := range dbs {
			if _, ok := u.DBs[id]; !ok {
				return false
			}
		}
		for _, id := range tables {
			if _, ok := u.Tables[id]; !ok {
				return false
			}
		}
		return true
	}
	if _, err := s.DropTable(ctx, "app", "t1"); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.User(ctx, "bob"); !has(u, []string{db.ID, test.ID, reql.SystemDBID}, []string{t2.ID, sysTable}) {
		t.Fatalf("after table drop: %+v", u)
	}
	if _, _, err := s.DropDB(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.User(ctx, "bob"); !has(u, []string{test.ID, reql.SystemDBID}, []string{sysTable}) {
		t.Fatalf("after database drop: %+v", u)
	}
	// A dangling entry (e.g. a grant racing a drop) is pruned when the
	// store opens.
	if _, _, err := s.UpdateUser(ctx, "bob", setUser("bob", nil, func(u *reql.User) { u.Tables["gone"] = p; u.DBs["gone"] = p })); err != nil {
		t.Fatal(err)
	}
	eng.Close()
	s, eng = openStoreOpts(t, dir, Options{})
	defer eng.Close()
	if u, _ := s.User(ctx, "bob"); !has(u, []string{test.ID, reql.SystemDBID}, []string{sysTable}) {
		t.Fatalf("after reopen: %+v", u)
	}
}
