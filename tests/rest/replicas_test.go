package rest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/photondb-io/photondb/tests/consulagent"
	"github.com/photondb-io/photondb/tests/testbin"
)

// Any control-plane replica answers any request: DDL through a replica the
// data node does not follow still returns only once the node has applied
// it (the replica asks the node), so the table is usable at once.
func TestControlPlaneReplicas(t *testing.T) {
	agent := consulagent.Shared(t)
	prefix := fmt.Sprintf("replicas-%d/", prefixes.Add(1))
	a, err := testbin.Cluster(serverBin, t.TempDir(), agent.Addr, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	b, err := testbin.ControlPlane(serverBin, agent.Addr, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := b.Stop(); err != nil {
			t.Errorf("stop replica B: %v", err)
		}
	}()
	post := func(s *testbin.Server, path, body string) (int, string) {
		resp, err := http.Post(s.URL(path), "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v json.RawMessage
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, string(v)
	}
	for i := 0; i < 5; i++ {
		db := fmt.Sprintf("rep%d", i)
		if st, body := post(b, "/api/v1/databases", `{"name":"`+db+`"}`); st != 201 {
			t.Fatalf("create database on replica B: %d %s", st, body)
		}
		if st, body := post(b, "/api/v1/databases/"+db+"/tables", `{"name":"t"}`); st != 201 {
			t.Fatalf("create table on replica B: %d %s", st, body)
		}
		// Straight to the data node, through replica A's query endpoint.
		if st, body := post(a, "/api/query", `{"query":"r.db('`+db+`').table('t').count()"}`); st != 200 || !strings.Contains(body, `"result":0`) {
			t.Fatalf("table %s.t right after B created it: %d %s", db, st, body)
		}
	}
}
