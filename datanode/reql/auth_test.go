package reql

import (
	"context"
	"errors"
	"testing"
)

func bp(b bool) *bool { return &b }

// RethinkDB's override rules (user.cc): the narrowest scope with the
// permission set decides; write needs read too; connect is global only.
func TestPermissionOverrides(t *testing.T) {
	const db, tbl, other = "db1", "t1", "t2"
	tests := []struct {
		name          string
		user          User
		p             perm
		dbID, tableID string
		want          bool
	}{
		{"nothing granted", User{Name: "u"}, permRead, db, tbl, false},
		{"global read", User{Name: "u", Global: Permissions{Read: bp(true)}}, permRead, db, tbl, true},
		{"global read, db denies", User{Name: "u", Global: Permissions{Read: bp(true)}, DBs: map[string]Permissions{db: {Read: bp(false)}}}, permRead, db, tbl, false},
		{"db denies, table allows", User{Name: "u", DBs: map[string]Permissions{db: {Read: bp(false)}}, Tables: map[string]Permissions{tbl: {Read: bp(true)}}}, permRead, db, tbl, true},
		{"table grant does not leak to another table", User{Name: "u", Tables: map[string]Permissions{tbl: {Read: bp(true)}}}, permRead, db, other, false},
		{"unset table inherits db", User{Name: "u", DBs: map[string]Permissions{db: {Read: bp(true)}}, Tables: map[string]Permissions{tbl: {Write: bp(true)}}}, permRead, db, tbl, true},
		{"write without read", User{Name: "u", Global: Permissions{Write: bp(true)}}, permWrite, db, tbl, false},
		{"write with read", User{Name: "u", Global: Permissions{Read: bp(true), Write: bp(true)}}, permWrite, db, tbl, true},
		{"write: table denies", User{Name: "u", Global: Permissions{Read: bp(true), Write: bp(true)}, Tables: map[string]Permissions{tbl: {Write: bp(false)}}}, permWrite, db, tbl, false},
		{"config on table from db", User{Name: "u", DBs: map[string]Permissions{db: {Config: bp(true)}}}, permConfig, db, tbl, true},
		{"config on db only", User{Name: "u", DBs: map[string]Permissions{db: {Config: bp(true)}}}, permConfig, db, "", true},
		{"config global needs global", User{Name: "u", DBs: map[string]Permissions{db: {Config: bp(true)}}}, permConfig, "", "", false},
		{"table config does not give db config", User{Name: "u", Tables: map[string]Permissions{tbl: {Config: bp(true)}}}, permConfig, db, "", false},
		{"connect global", User{Name: "u", Global: Permissions{Connect: bp(true)}}, permConnect, "", "", true},
		{"connect not granted", User{Name: "u", Global: Permissions{Read: bp(true)}}, permConnect, "", "", false},
		{"admin has everything", User{Name: AdminUser}, permConfig, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.user.allowed(tt.p, tt.dbID, tt.tableID); got != tt.want {
				t.Fatalf("allowed(%s) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
	var missing *User
	if missing.allowed(permRead, db, tbl) {
		t.Fatal("a deleted user must have no permission")
	}
}

func TestMergePermissions(t *testing.T) {
	tests := []struct {
		name   string
		start  Permissions
		in     any
		global bool
		want   any // permissionsDatum of the result
		err    string
	}{
		{"set", Permissions{}, map[string]any{"read": true, "write": false}, false, map[string]any{"read": true, "write": false}, ""},
		{"merge keeps others", Permissions{Read: bp(true)}, map[string]any{"config": true}, false, map[string]any{"read": true, "config": true}, ""},
		{"null resets", Permissions{Read: bp(true)}, map[string]any{"read": nil}, false, nil, ""},
		{"connect global", Permissions{}, map[string]any{"connect": true}, true, map[string]any{"connect": true}, ""},
		{"connect not global", Permissions{}, map[string]any{"connect": true}, false, nil, "The `connect` permission is only valid at the global scope."},
		{"not bool", Permissions{}, map[string]any{"read": 1.0}, false, nil, "Expected a boolean or null for `read`, got 1."},
		{"unexpected keys sorted", Permissions{}, map[string]any{"zz": true, "aa": true, "read": true}, false, nil, "Unexpected key(s) `aa`, `zz`."},
		{"not an object", Permissions{}, "read", false, nil, `Expected an object, got "read".`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mergePermissions(tt.start, tt.in, tt.global)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := permissionsDatum(got); !datumEqual(d, tt.want) {
				t.Fatalf("permissions %v, want %v", d, tt.want)
			}
		})
	}
}

func TestMergeUser(t *testing.T) {
	withPW := &User{Name: "bob", HasPassword: true}
	noPW := &User{Name: "bob"}
	tests := []struct {
		name     string
		user     *User
		row      map[string]any
		password *PasswordChange
		err      string
	}{
		{"new with password", nil, map[string]any{"id": "bob", "password": "secret"}, &PasswordChange{Password: "secret"}, ""},
		{"new without password", nil, map[string]any{"id": "bob", "password": false}, &PasswordChange{}, ""},
		{"iterations", nil, map[string]any{"id": "bob", "password": map[string]any{"password": "s", "iterations": 1024.0}}, &PasswordChange{Password: "s", Iterations: 1024}, ""},
		{"true keeps a password", withPW, map[string]any{"id": "bob", "password": true}, nil, ""},
		{"true without one", noPW, map[string]any{"id": "bob", "password": true}, nil, "Expected an object or string to set the password, or `false` to keep it unset, got true."},
		{"no password field", nil, map[string]any{"id": "bob"}, nil, "Expected a field named `password`."},
		{"extra field", nil, map[string]any{"id": "bob", "password": "x", "admin": true}, nil, "Unexpected key(s) `admin`."},
		{"bad password type", nil, map[string]any{"id": "bob", "password": 3.0}, nil, "Expected an object, string or boolean for `password`, got 3."},
		{"iterations missing", nil, map[string]any{"id": "bob", "password": map[string]any{"password": "s"}}, nil, "Expected a field named `iterations`."},
		{"iterations zero", nil, map[string]any{"id": "bob", "password": map[string]any{"password": "s", "iterations": 0.0}}, nil, "Expected iterations to be a number greater than zero, got 0."},
		{"iterations too many", nil, map[string]any{"id": "bob", "password": map[string]any{"password": "s", "iterations": 1e9}}, nil, "Expected iterations to be at most 1048576, got 1000000000."},
		{"password not a string", nil, map[string]any{"id": "bob", "password": map[string]any{"password": 1.0, "iterations": 1.0}}, nil, "Expected `password` to be a string, got 1."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, pw, err := mergeUser(tt.user.Clone(), "bob", tt.row)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u == nil || u.Name != "bob" {
				t.Fatalf("user %+v", u)
			}
			if (pw == nil) != (tt.password == nil) || pw != nil && *pw != *tt.password {
				t.Fatalf("password change %+v, want %+v", pw, tt.password)
			}
		})
	}
}

func TestPermissionErrorIsRethinkDBs(t *testing.T) {
	err := PermissionError("bob", "read")
	var e *Error
	if !errors.As(err, &e) || e.Type != ErrPermission || e.Kind != KindRuntime {
		t.Fatalf("%#v is not a PERMISSION_ERROR", err)
	}
	if e.Msg != "User `bob`does not have the required `read` permission." {
		t.Fatalf("message %q", e.Msg)
	}
}

func TestUserContext(t *testing.T) {
	ctx := context.Background()
	if _, ok := UserFromContext(ctx); ok {
		t.Fatal("a plain context has no user")
	}
	if name, ok := UserFromContext(WithUser(ctx, "bob")); !ok || name != "bob" {
		t.Fatalf("user %q %v", name, ok)
	}
	env := &Env{}
	if newAuthState(ctx, env) != nil || newAuthState(WithUser(ctx, AdminUser), env) != nil {
		t.Fatal("internal callers and admin run unrestricted")
	}
	if a := newAuthState(WithUser(ctx, "bob"), env); a == nil || a.name != "bob" {
		t.Fatal("a user's queries are checked")
	}
}

func TestSystemIDsAreStable(t *testing.T) {
	if SystemDBID != nameUUID(systemDBNamespace, "rethinkdb") || !uuidPattern.MatchString(SystemDBID) {
		t.Fatalf("system db id %q", SystemDBID)
	}
	seen := map[string]bool{}
	for _, name := range systemTables {
		id := SystemTableID(name)
		if !uuidPattern.MatchString(id) || seen[id] || !IsSystemTableID(id) {
			t.Fatalf("system table %s: id %q", name, id)
		}
		seen[id] = true
	}
	if IsSystemTableID(NewUUID()) {
		t.Fatal("a random id is not a system table's")
	}
}
