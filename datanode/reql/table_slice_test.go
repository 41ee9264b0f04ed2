package reql_test

import (
	"encoding/json"
	"testing"
)

// A between result is a TABLE_SLICE: order_by on the same index reads the
// range in index order (ascending or descending); another index is
// RethinkDB's error.
func TestBetweenOrderByIndex(t *testing.T) {
	env := openJoinEnv(t)
	pluckID := func(q string) string { return `[33,[` + q + `,"id"]]` }
	teamsPluck := func(q string) string { return `[33,[` + q + `,"code"]]` }
	tests := []struct{ term, want, err string }{
		{term: pluckID(`[41,[[182,[` + jUsers + `,2,[181,[]]]]],{"index":"id"}]`), want: `[{"id":2},{"id":3},{"id":4},{"id":5}]`},
		{term: pluckID(`[41,[[182,[` + jUsers + `,2,[181,[]]],{"left_bound":"open"}]],{"index":[74,["id"]]}]`), want: `[{"id":5},{"id":4},{"id":3}]`},
		{term: pluckID(`[71,[[41,[[182,[` + jUsers + `,[180,[]],[181,[]]]]],{"index":"id"}],2]]`), want: `[{"id":1},{"id":2}]`},
		{term: teamsPluck(`[41,[[182,[` + jTeams + `,"eu","eu"],{"index":"region","right_bound":"closed"}]],{"index":"region"}]`), want: `[{"code":10},{"code":30}]`},
		{term: `[41,[[182,[` + jTeams + `,"a","z"],{"index":"region"}]],{"index":"code"}]`, err: "Cannot order by index `code` after calling BETWEEN on index `region`."},
		{term: `[41,[[39,[[182,[` + jUsers + `,1,3]],[69,[[2,[1]],true]]]]],{"index":"id"}]`, err: "Indexed order_by can only be performed on a TABLE or TABLE_SLICE. Make sure order_by comes before any transformations (such as map) or filters."},
	}
	for _, tt := range tests {
		got, err := runJoin(t, env, tt.term, "")
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%s: error %v, want %q", tt.term, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.term, err)
		}
		b, _ := json.Marshal(got)
		if string(b) != tt.want {
			t.Errorf("%s = %s, want %s", tt.term, b, tt.want)
		}
	}
}
