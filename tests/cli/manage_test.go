package cli_test

import (
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"testing"
	"time"

	"github.com/photondb-io/photondb/shared/restclient"
	"github.com/photondb-io/photondb/tests/testbin"
)

func TestDB(t *testing.T) {
	t.Cleanup(func() {
		for _, db := range []string{"cli_db", "cli_db2"} {
			_ = client().DropDatabase(testCtx(t), db, restclient.DropOptions{Force: true})
		}
	})
	runSteps(t, []step{
		{name: "create", args: []string{"db", "create", "cli_db"}, stdout: []string{exact("created database cli_db\n")}},
		{name: "create json", args: []string{"db", "create", "--output", "json", "cli_db2"},
			json: map[string]any{"name": "cli_db2", "tables": 0, "tenant": "default"}},
		{name: "duplicate", args: []string{"db", "create", "cli_db"}, code: 1,
			stderr: problem("Database `cli_db` already exists.")},
		{name: "duplicate json", args: []string{"db", "create", "cli_db", "--output", "json"}, code: 1,
			stderr: problem("Database `cli_db` already exists.")},
		{name: "bad name", args: []string{"db", "create", "bad name"}, code: 1,
			stderr: problem("Database name `bad name` invalid (Use A-Z, a-z, 0-9, _ and - only).")},
		{name: "list", args: []string{"db", "list"},
			stdout: []string{`(?m)^NAME +TABLES +CREATED\n`, `(?m)^cli_db +0 +\d{4}-\d\d-\d\dT\S+Z$`, `(?m)^cli_db2 +0 `}},
		{name: "list json", args: []string{"db", "list", "--output=json"},
			json: []any{map[string]any{"name": "cli_db", "tables": 0}, map[string]any{"name": "cli_db2"}}},
		{name: "info", args: []string{"db", "info", "cli_db"},
			stdout: []string{`(?m)^name: +cli_db$`, `(?m)^tenant: +default$`, `(?m)^tables: +0$`, `(?m)^created: +\d{4}-`}},
		{name: "info json", args: []string{"db", "info", "cli_db", "--output", "json"},
			json: map[string]any{"name": "cli_db", "tables": 0, "tenant": "default"}},
		{name: "info missing", args: []string{"db", "info", "cli_nope"}, code: 1,
			stderr: problem("Database `cli_nope` does not exist.")},
		{name: "add a table", args: []string{"table", "create", "--db", "cli_db", "t1"}, stdout: []string{exact("created table cli_db.t1 (primary key id)\n")}},
		{name: "info lists tables", args: []string{"db", "info", "cli_db"}, stdout: []string{`(?m)^tables: +1 \(t1\)$`}},
		{name: "drop non-empty", args: []string{"db", "drop", "cli_db"}, code: 1,
			stderr: "^photondb: Database `cli_db` has 1 tables?; drop them first or use (--)?force\\.?\n$"},
		{name: "still there", args: []string{"db", "info", "cli_db", "--output", "json"}, json: map[string]any{"tables": 1}},
		{name: "drop force", args: []string{"db", "drop", "cli_db", "--force"}, stdout: []string{exact("dropped database cli_db\n")}},
		{name: "drop json", args: []string{"db", "drop", "--output", "json", "cli_db2"},
			json: map[string]any{"db": "cli_db2", "dropped": true}},
		{name: "drop missing", args: []string{"db", "drop", "cli_db"}, code: 1,
			stderr: problem("Database `cli_db` does not exist.")},
		{name: "gone from list", args: []string{"db", "list"}, notStdout: []string{`(?m)^cli_db `}},
		{name: "missing name", args: []string{"db", "create"}, code: 2,
			stderr: exact("photondb db create: missing arguments (usage: photondb db create NAME)\n")},
		{name: "extra argument", args: []string{"db", "info", "a", "b"}, code: 2,
			stderr: exact("photondb db info: unexpected argument \"b\" (usage: photondb db info NAME)\n")},
		{name: "unknown flag", args: []string{"db", "list", "--bogus"}, code: 2,
			stderr: exact("photondb db list: flag provided but not defined: -bogus (usage: photondb db list)\n")},
		{name: "unknown subcommand", args: []string{"db", "frob"}, code: 2,
			stderr: exact("photondb: unknown command \"db frob\" (want db create|drop|info|list)\n")},
		{name: "bad output", args: []string{"db", "list", "--output", "yaml"}, code: 2,
			stderr: exact("photondb db list: --output must be table or json, not \"yaml\" (usage: photondb db list)\n")},
		{name: "help", args: []string{"db", "create", "--help"}, stdout: []string{`^Usage: photondb db create NAME\n\nCreates a database\.\n`, `-api-url`}},
	})
}

func TestTable(t *testing.T) {
	createDB(t, "cli_tbl")
	steps := []step{
		{name: "create, flags after the name", args: []string{"table", "create", "--db", "cli_tbl", "users", "--primary-key", "uid", "--shards", "2", "--replicas", "1"},
			stdout: []string{exact("created table cli_tbl.users (primary key uid)\n")}},
		{name: "create json, DB.NAME", args: []string{"table", "create", "cli_tbl.orders", "--output", "json"},
			json: map[string]any{"db": "cli_tbl", "name": "orders", "primary_key": "id", "shards": 1, "replicas": 1, "durability": "hard"}},
		{name: "duplicate", args: []string{"table", "create", "--db", "cli_tbl", "users"}, code: 1,
			stderr: problem("Table `cli_tbl.users` already exists.")},
		{name: "bad name", args: []string{"table", "create", "--db", "cli_tbl", "bad name"}, code: 1,
			stderr: problem("Table name `bad name` invalid (Use A-Z, a-z, 0-9, _ and - only).")},
		{name: "missing db", args: []string{"table", "create", "--db", "cli_nope", "x"}, code: 1,
			stderr: problem("Database `cli_nope` does not exist.")},
		{name: "no db", args: []string{"table", "create", "x"}, code: 2,
			stderr: `^photondb table create: --db is required \(or name the table as DB\.TABLE\) \(usage: photondb table create --db D NAME .*\)\n$`},
		{name: "list", args: []string{"table", "list", "--db", "cli_tbl"},
			stdout: []string{`(?m)^NAME +PRIMARY KEY +SHARDS +REPLICAS +DURABILITY +DOCUMENTS$`,
				`(?m)^orders +id +1 +1 +hard +(0|-)$`, `(?m)^users +uid +2 +1 +hard +(0|-)$`}},
		{name: "list json", args: []string{"table", "list", "--db", "cli_tbl", "--output", "json"},
			json: []any{map[string]any{"name": "orders", "primary_key": "id"}, map[string]any{"name": "users", "primary_key": "uid", "shards": 2}}},
		{name: "list missing db", args: []string{"table", "list", "--db", "cli_nope"}, code: 1,
			stderr: problem("Database `cli_nope` does not exist.")},
		{name: "list without db", args: []string{"table", "list"}, code: 2,
			stderr: exact("photondb table list: --db is required (usage: photondb table list --db D)\n")},
		{name: "info", args: []string{"table", "info", "--db", "cli_tbl", "users"},
			stdout: []string{`(?m)^db: +cli_tbl$`, `(?m)^name: +users$`, `(?m)^primary key: +uid$`, `(?m)^shards: +2$`,
				`(?m)^replicas: +1$`, `(?m)^documents: +0$`, `(?m)^id: +[0-9a-f-]{36}$`}},
		{name: "info json", args: []string{"table", "info", "cli_tbl.users", "--output", "json"},
			json: map[string]any{"db": "cli_tbl", "name": "users", "primary_key": "uid", "shards": 2, "documents": 0}},
		{name: "info missing", args: []string{"table", "info", "--db", "cli_tbl", "nope"}, code: 1,
			stderr: problem("Table `cli_tbl.nope` does not exist.")},
	}
	runSteps(t, steps)

	ctx := testCtx(t)
	docs := []json.RawMessage{json.RawMessage(`{"uid":"a","n":1}`), json.RawMessage(`{"uid":"b","n":2}`)}
	if res, err := client().InsertDocuments(ctx, "cli_tbl", "users", docs, ""); err != nil || res.Inserted != 2 {
		t.Fatalf("insert: %+v, %v", res, err)
	}
	runSteps(t, []step{
		{name: "count", args: []string{"table", "info", "--db", "cli_tbl", "users"}, stdout: []string{`(?m)^documents: +2$`}},
		{name: "drop non-empty", args: []string{"table", "drop", "--db", "cli_tbl", "users"}, code: 1,
			stderr: problem("Table `cli_tbl.users` has 2 documents; use --force to drop it with its documents")},
		{name: "drop force", args: []string{"table", "drop", "--force", "--db", "cli_tbl", "users"},
			stdout: []string{exact("dropped table cli_tbl.users\n")}},
		{name: "drop empty json", args: []string{"table", "drop", "cli_tbl.orders", "--output", "json"},
			json: map[string]any{"db": "cli_tbl", "table": "orders", "dropped": true}},
		{name: "drop missing", args: []string{"table", "drop", "--db", "cli_tbl", "users"}, code: 1,
			stderr: problem("Table `cli_tbl.users` does not exist.")},
		{name: "empty list", args: []string{"table", "list", "--db", "cli_tbl"},
			stdout: []string{exact("NAME  PRIMARY KEY  SHARDS  REPLICAS  DURABILITY  DOCUMENTS\n")}},
		{name: "empty list json", args: []string{"table", "list", "--db", "cli_tbl", "--output", "json"},
			stdout: []string{exact("[]\n")}},
	})
}

func TestQuery(t *testing.T) {
	createDB(t, "cli_q")
	if _, err := client().CreateTable(testCtx(t), "cli_q", restclient.TableSpec{Name: "people"}); err != nil {
		t.Fatal(err)
	}
	runSteps(t, []step{
		{name: "insert", args: []string{"query", "--db", "cli_q", `r.table('people').insert([{id: 1, name: 'Ada', tags: ['x']}, {id: 2, name: 'Zoë'}])`, "--output", "json"},
			json: map[string]any{"inserted": 2, "errors": 0}},
		{name: "read json", args: []string{"query", `r.db('cli_q').table('people').orderBy('id').pluck('id', 'name')`, "--output", "json"},
			stdout: []string{exact(`[{"id":1,"name":"Ada"},{"id":2,"name":"Zoë"}]` + "\n")}},
		{name: "read human", args: []string{"query", "--db", "cli_q", `r.table('people').get(1)`},
			stdout: []string{exact("{\n  \"id\": 1,\n  \"name\": \"Ada\",\n  \"tags\": [\n    \"x\"\n  ]\n}\n")}},
		{name: "arrow function", args: []string{"query", "--db", "cli_q", `r.table('people').filter(p => p('id').gt(1)).count()`},
			stdout: []string{exact("1\n")}},
		{name: "syntax error", args: []string{"query", "r.table("}, code: 1, stderr: `^photondb: Syntax error at 1:\d+: .+\n$`},
		{name: "missing table", args: []string{"query", `r.db('cli_q').table('nope').count()`}, code: 1,
			stderr: problem("Table `cli_q.nope` does not exist.")},
		{name: "runtime error", args: []string{"query", `r.expr(1).add('a')`}, code: 1,
			stderr: `^photondb: Expected type NUMBER but found STRING\.?\n$`},
		{name: "no query", args: []string{"query"}, code: 2, stderr: `^photondb query: missing arguments `},
	})
}

func TestAdmin(t *testing.T) {
	runSteps(t, []step{
		{name: "compact", args: []string{"admin", "compact"}, stdout: []string{`^compacted, reclaimed \d+(\.\d)? (B|KiB|MiB|GiB)\n$`}},
		{name: "compact json", args: []string{"admin", "compact", "--output", "json"}, json: map[string]any{"compacted": true}},
		{name: "stats", args: []string{"admin", "stats"},
			stdout: []string{`(?m)^databases: +\d+$`, `(?m)^tables: +\d+$`, `(?m)^documents: +\d+$`, `(?m)^storage_bytes: +\d+`}},
		{name: "stats json", args: []string{"admin", "stats", "--output", "json"}},
		{name: "unknown", args: []string{"admin", "frob"}, code: 2, stderr: exact("photondb: unknown command \"admin frob\" (want admin compact|stats)\n")},
	})
	r := photondb(t, 30*time.Second, nil, "admin", "stats", "--output", "json")
	var stats map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &stats); err != nil {
		t.Fatalf("admin stats --output json: %v\n%s", err, r.Stdout)
	}
	for _, k := range []string{"databases", "tables", "documents", "storage_bytes"} {
		if _, ok := stats[k].(float64); !ok {
			t.Errorf("admin stats: %q is %v, want a number", k, stats[k])
		}
	}
}

// TestUnreachable: a wrong API URL is one clear line, exit 1.
func TestUnreachable(t *testing.T) {
	port, err := testbin.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dead := fmt.Sprintf("http://127.0.0.1:%d", port)
	refused := `^photondb: cannot reach the PhotonDB API at ` + regexp.QuoteMeta(dead) + `: .*connection refused.* \(is the server running\? set --api-url or PHOTONDB_API_URL\)\n$`
	// A listener that accepts connections and never answers.
	hung, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hung.Close()
	go func() {
		for {
			conn, err := hung.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	hungURL := "http://" + hung.Addr().String()
	runSteps(t, []step{
		{name: "flag", args: []string{"db", "list", "--api-url", dead}, code: 1, stderr: refused},
		{name: "timeout", args: []string{"db", "list", "--api-url", hungURL, "--timeout", "300ms"}, code: 1,
			stderr: problem("the PhotonDB API at " + hungURL + " did not answer GET /api/v1/databases within 300ms (--timeout)")},
		{name: "env", args: []string{"table", "list", "--db", "x"}, env: []string{"PHOTONDB_API_URL=" + dead}, code: 1, stderr: refused},
		{name: "flag wins over env", args: []string{"db", "list", "--api-url", srv.URL("")}, env: []string{"PHOTONDB_API_URL=" + dead},
			stdout: []string{`^NAME +TABLES +CREATED\n`}},
		{name: "json output too", args: []string{"db", "create", "x", "--output", "json", "--api-url", dead}, code: 1, stderr: refused},
		{name: "not a URL", args: []string{"db", "list", "--api-url", "ftp://x"}, code: 2,
			stderr: exact("photondb db list: --api-url \"ftp://x\" is not an http(s) URL (usage: photondb db list)\n")},
		{name: "bad token accepted in dev mode", args: []string{"db", "list"}, env: []string{"PHOTONDB_TOKEN=pdb_whatever"},
			stdout: []string{`^NAME +TABLES +CREATED\n`}},
	})
}
