package reql_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/datanode/shard"
	"github.com/photondb-io/photondb/datanode/storage"
)

// FuzzQuery compiles and runs arbitrary wire JSON against a real (temporary)
// store: a query may fail, but never with an INTERNAL error (which is what a
// panic in a term becomes) and never by hanging.
func FuzzQuery(f *testing.F) {
	seeds := []string{
		`[24,[1,2]]`, `[56,[[15,["t"]],{"id":1,"a":[2,[1,2]]}]]`, `[39,[[15,["t"]],{"a":1}]]`,
		`[41,[[2,[3,1,2]],[74,["x"]]]]`, `[144,[[2,[{"a":1},{"a":2}]],"a"]]`, `[71,[[173,[]],5]]`,
		`[99,["2015-01-01T00:00:00Z"]]`, `[35,[{"a":{"b":1}},{"a":[137,[{"c":2}]]}]]`,
		`[97,["abc","(b)"]]`, `[51,["1.5","NUMBER"]]`, `[64,[[69,[[2,[1]],[13,[]]]],3]]`,
		`[16,[[15,["t"]],1]]`, `[53,[[15,["t"]],{"b":2}]]`, `[54,[[15,["t"]]]]`, `[187,[[2,[1,2]],0,[69,[[2,[1,2]],[24,[[10,[1]],[10,[2]]]]]]]]`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	eng, err := storage.Open(f.TempDir(), storage.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer eng.Close()
	st, err := shard.Open(eng, nil)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := st.CreateTable(context.Background(), reql.TableConfig{DB: "test", Name: "t", PrimaryKey: "id", Durability: "soft"}); err != nil {
		f.Fatal(err)
	}
	env := &reql.Env{Store: st, ServerName: "fuzz", ServerID: "fuzz"}
	f.Fuzz(func(t *testing.T, term []byte) {
		if !json.Valid(term) {
			return
		}
		q, err := reql.Compile(term, map[string]json.RawMessage{"array_limit": json.RawMessage("1000")})
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		res, err := q.Run(ctx, env)
		if err == nil && res.Stream != nil {
			for i := 0; i < 2000; i++ {
				if _, ok, err2 := res.Stream.Next(ctx); !ok || err2 != nil {
					err = err2
					break
				}
			}
			res.Stream.Close()
		}
		var e *reql.Error
		if errors.As(err, &e) && e.Type == reql.ErrInternal {
			t.Fatalf("internal error for %s: %s", term, e.Msg)
		}
	})
}
