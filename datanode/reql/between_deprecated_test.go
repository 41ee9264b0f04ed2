package reql_test

import (
	"encoding/json"
	"testing"
)

// BETWEEN_DEPRECATED (36) is the pre-2.1 between: null bounds mean
// unbounded; otherwise it is BETWEEN.
func TestBetweenDeprecated(t *testing.T) {
	env := openJoinEnv(t)
	tests := []struct{ term, want string }{
		{`[43,[[36,[` + jUsers + `,null,null]]]]`, `5`},
		{`[43,[[36,[` + jUsers + `,2,null]]]]`, `4`},
		{`[43,[[36,[` + jUsers + `,null,3]]]]`, `2`},
		{`[43,[[36,[` + jUsers + `,2,4],{"right_bound":"closed"}]]]`, `3`},
	}
	for _, tt := range tests {
		got, err := runJoin(t, env, tt.term, "")
		if err != nil {
			t.Fatalf("%s: %v", tt.term, err)
		}
		b, _ := json.Marshal(got)
		if string(b) != tt.want {
			t.Errorf("%s = %s, want %s", tt.term, b, tt.want)
		}
	}
}
