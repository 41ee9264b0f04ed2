package wire

import (
	"encoding/json"
	"testing"

	"github.com/photondb-io/photondb/datanode/reql"
)

func TestQueryDescription(t *testing.T) {
	tests := []struct {
		term, opts      string
		family, summary string
		db, table       string
	}{
		{`[16,[[15,["users"]],1]]`, ``, "read", "table.get", "test", "users"},
		{`[16,[[15,["users"]],1]]`, `{"db":[14,["app"]]}`, "read", "table.get", "app", "users"},
		{`[43,[[39,[[15,[[14,["app"]],"users"]],{"a":1}]]]]`, ``, "read", "db.table.filter.count", "app", "users"},
		{`[56,[[15,["users"]],{"id":1}]]`, ``, "write", "table.insert", "test", "users"},
		{`[60,["t"]]`, ``, "admin", "table_create", "", ""},
		{`[43,[[173,[10]]]]`, ``, "compute", "range.count", "", ""},
		{`1`, ``, "compute", "datum", "", ""},
	}
	for _, tt := range tests {
		var opts map[string]json.RawMessage
		if tt.opts != "" {
			if err := json.Unmarshal([]byte(tt.opts), &opts); err != nil {
				t.Fatal(err)
			}
		}
		q, err := reql.Compile(json.RawMessage(tt.term), opts)
		if err != nil {
			t.Fatalf("compile %s: %v", tt.term, err)
		}
		if f := familyNames[classify(q.Term)]; f != tt.family {
			t.Errorf("%s: family %s, want %s", tt.term, f, tt.family)
		}
		if s := summarize(q.Term); s != tt.summary {
			t.Errorf("%s: summary %q, want %q", tt.term, s, tt.summary)
		}
		if db, table := tableOf(q); db != tt.db || table != tt.table {
			t.Errorf("%s: table %s.%s, want %s.%s", tt.term, db, table, tt.db, tt.table)
		}
	}
}
