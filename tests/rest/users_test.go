package rest_test

import (
	"strings"
	"testing"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

// Operators manage the drivers' ReQL users and their grants over REST;
// the data node enforces them on driver connections.
func TestUsers(t *testing.T) { eachMode(t, testUsers) }

func testUsers(t *testing.T, m mode) {
	s := startServer(t, m)
	expect(t, s, "POST", "/api/v1/databases", `{"name":"app"}`, 201)
	expect(t, s, "POST", "/api/v1/databases/app/tables", `{"name":"t"}`, 201)
	expect(t, s, "POST", "/api/v1/databases/app/tables/t/documents", `{"documents":[{"id":1}]}`, 200)

	expect(t, s, "PUT", "/api/v1/users/bob", `{"password":"s3cret"}`, 204)
	resp := expect(t, s, "GET", "/api/v1/users", "", 200)
	if !strings.Contains(resp.Raw, `{"id":"bob","password":true}`) || strings.Contains(resp.Raw, "s3cret") {
		t.Errorf("users: %s", resp.Raw)
	}
	expectProblem(t, s, "PUT", "/api/v1/users/tenant_x", `{"password":"p"}`, 422, "")
	expectProblem(t, s, "POST", "/api/v1/users/ghost/grant", `{"read":true}`, 400, "User `ghost` not found.")
	resp = expect(t, s, "POST", "/api/v1/users/bob/grant", `{"db":"app","read":true}`, 200)
	if !strings.Contains(resp.Raw, `"granted":1`) {
		t.Errorf("grant: %s", resp.Raw)
	}
	resp = expect(t, s, "GET", "/api/v1/users/bob/permissions", "", 200)
	if !strings.Contains(resp.Raw, `"read":true`) {
		t.Errorf("permissions: %s", resp.Raw)
	}

	bob, err := r.Connect(r.ConnectOpts{Address: s.DriverAddr(), Username: "bob", Password: "s3cret"})
	if err != nil {
		t.Fatalf("bob logs in: %v", err)
	}
	defer bob.Close()
	cur, err := r.DB("app").Table("t").Count().Run(bob)
	if err != nil {
		t.Fatalf("bob reads: %v", err)
	}
	var n int
	if err := cur.One(&n); err != nil || n != 1 {
		t.Errorf("bob's count %d, %v", n, err)
	}
	_, err = r.DB("app").Table("t").Insert(map[string]any{"id": 2}).RunWrite(bob)
	if err == nil || !strings.Contains(err.Error(), "does not have the required `write` permission") {
		t.Errorf("bob writes without the write permission: %v", err)
	}
	expect(t, s, "DELETE", "/api/v1/users/bob", "", 204)
	expectProblem(t, s, "DELETE", "/api/v1/users/bob", "", 404, "User `bob` not found.")
	if _, err := r.Connect(r.ConnectOpts{Address: s.DriverAddr(), Username: "bob", Password: "s3cret"}); err == nil {
		t.Errorf("a deleted user still logs in")
	}
}
