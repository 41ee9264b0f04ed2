package datanode

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"

	"github.com/photondb-io/photondb/datanode/wire"
)

// fastAuth keeps failed logins quick in tests.
var fastAuth = wire.AuthLimits{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}

func dialAs(n *Node, user, password string) (*r.Session, error) {
	return r.Connect(r.ConnectOpts{Address: n.DriverAddr().String(), Username: user, Password: password,
		Timeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second})
}

func startAt(t *testing.T, dir string, cfg Config) *Node {
	t.Helper()
	cfg.DataDir, cfg.DriverAddr, cfg.Log, cfg.AuthLimits = dir, "127.0.0.1:0", quietLog(), fastAuth
	n, err := Start(cfg)
	if err != nil {
		t.Fatalf("start data node: %v", err)
	}
	return n
}

var printedPassword = regexp.MustCompile(`initial password of the admin user is: (\S+)`)

func TestInitialPassword(t *testing.T) {
	tests := []struct {
		name, initial   string
		wantPrinted     bool
		restartInitial  string // --initial-password at the second start
		wantRestartPass string // InitialPassword() after the restart
	}{
		{"none: empty admin password", "", false, "", ""},
		{"value: set at first start only", "s3cret", false, "changed", "changed"},
		{"auto: generated and printed once", "auto", true, "auto", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var out bytes.Buffer
			n := startAt(t, dir, Config{InitialPassword: tt.initial, InitialPasswordOut: &out})
			password := tt.initial
			if m := printedPassword.FindStringSubmatch(out.String()); (m != nil) != tt.wantPrinted {
				t.Fatalf("printed %q", out.String())
			} else if m != nil {
				password = m[1]
				if len(password) < 20 {
					t.Fatalf("generated password %q is short", password)
				}
			}
			if n.InitialPassword() != password {
				t.Fatalf("InitialPassword() = %q, want %q", n.InitialPassword(), password)
			}
			s, err := dialAs(n, "admin", password)
			if err != nil {
				t.Fatalf("admin with the initial password: %v", err)
			}
			s.Close()
			if password != "" {
				if _, err := dialAs(n, "admin", ""); err == nil || !strings.Contains(err.Error(), "Wrong password") {
					t.Fatalf("admin with the empty password: %v", err)
				}
			}
			if err := n.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}

			out.Reset()
			n = startAt(t, dir, Config{InitialPassword: tt.restartInitial, InitialPasswordOut: &out})
			defer n.Shutdown(context.Background())
			if out.Len() != 0 {
				t.Fatalf("printed at a later start: %q", out.String())
			}
			if n.InitialPassword() != tt.wantRestartPass {
				t.Fatalf("InitialPassword() after restart = %q, want %q", n.InitialPassword(), tt.wantRestartPass)
			}
			s, err = dialAs(n, "admin", password)
			if err != nil {
				t.Fatalf("the first start's password must stay: %v", err)
			}
			s.Close()
		})
	}
}

// New users log in at once; a password change applies to new connections
// (existing ones stay, as in RethinkDB); wrong passwords and unknown users
// get the same answer.
func TestUsersLogIn(t *testing.T) {
	n := startAt(t, t.TempDir(), Config{})
	defer n.Shutdown(context.Background())
	admin := session(t, n, 1)
	exec(t, admin, r.DB("rethinkdb").Table("users").Insert(map[string]any{"id": "bob", "password": "pw1"}))
	exec(t, admin, r.DB("test").TableCreate("t"))
	exec(t, admin, r.DB("test").Table("t").Grant("bob", map[string]any{"read": true}))

	bob, err := dialAs(n, "bob", "pw1")
	if err != nil {
		t.Fatalf("bob logs in: %v", err)
	}
	defer bob.Close()
	exec(t, bob, r.DB("test").Table("t").Count())
	if _, err := r.DB("test").Table("t").Insert(map[string]any{"id": 1}).RunWrite(bob); err == nil ||
		!strings.HasPrefix(err.Error(), "rethinkdb: User `bob`does not have the required `write` permission.") {
		t.Fatalf("bob writes: %v", err)
	}

	exec(t, admin, r.DB("rethinkdb").Table("users").Get("bob").Update(map[string]any{"password": "pw2"}))
	for _, c := range []struct{ user, password string }{{"bob", "pw1"}, {"nobody", "pw1"}} {
		_, err := dialAs(n, c.user, c.password)
		var authErr r.RQLAuthError
		if !errors.As(err, &authErr) || !strings.Contains(err.Error(), "Wrong password") {
			t.Fatalf("%s/%s: %v, want the same Wrong password error", c.user, c.password, err)
		}
	}
	bob2, err := dialAs(n, "bob", "pw2")
	if err != nil {
		t.Fatalf("bob with the new password: %v", err)
	}
	bob2.Close()
	exec(t, bob, r.DB("test").Table("t").Count()) // the old connection goes on

	// A deleted user's connection loses every permission at once.
	exec(t, admin, r.DB("rethinkdb").Table("users").Get("bob").Delete())
	if _, err := r.DB("test").Table("t").Count().Run(bob); err == nil || !strings.Contains(err.Error(), "does not have the required `read` permission") {
		t.Fatalf("deleted bob reads: %v", err)
	}
}
