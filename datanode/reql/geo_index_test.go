package reql_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/datanode/shard"
	"github.com/photondb-io/photondb/datanode/storage"
)

// Geo indexes (geo_index.go) against a real storage engine and shard store:
// RethinkDB's test/rql_test/src/geo/indexing.yaml, then get_intersecting and
// get_nearest compared with a brute-force scan on random geometries.

const gTbl = `[15,["geo"]]`

func geoEnv(t *testing.T) *reql.Env {
	t.Helper()
	eng, err := storage.Open(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	st, err := shard.Open(eng, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateTable(context.Background(), reql.TableConfig{DB: "test", Name: "geo", PrimaryKey: "id", Durability: "soft"}); err != nil {
		t.Fatal(err)
	}
	return &reql.Env{Store: st, ServerName: "test", ServerID: "00000000-0000-0000-0000-000000000000"}
}

func geoRun(t *testing.T, env *reql.Env, term string) (any, error) {
	t.Helper()
	q, err := reql.Compile([]byte(term), nil)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := q.Run(ctx, env)
	if err != nil {
		return nil, err
	}
	if res.Stream == nil {
		return res.Datum, nil
	}
	defer res.Stream.Close()
	out := []any{}
	for {
		v, ok, err := res.Stream.Next(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, v)
	}
}

func geoMust(t *testing.T, env *reql.Env, term string) any {
	t.Helper()
	v, err := geoRun(t, env, term)
	if err != nil {
		t.Fatalf("%s: %v", term, err)
	}
	return v
}

// geoClose compares JSON values, numbers within 1e-9 relative.
func geoClose(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y)))
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !geoClose(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if !geoClose(v, y[k]) {
				return false
			}
		}
		return true
	}
	aj, _ := json.Marshal(a)
	bj, _ := json.Marshal(b)
	return string(aj) == string(bj)
}

func TestGeoIndexRethinkDBCases(t *testing.T) {
	env := geoEnv(t)
	for _, q := range []string{
		`[56,[` + gTbl + `,[2,[{"id":0,"g":[159,[10,10]],"m":[2,[[159,[0,0]],[159,[1,0]],[159,[2,0]]]]},{"id":1,"g":[161,[[2,[0,0]],[2,[0,1]],[2,[1,1]],[2,[1,0]]]]},{"id":2,"g":[160,[[2,[0.000002,-1]],[2,[-0.000001,1]]]]}]]]]`,
		`[75,[` + gTbl + `,"g"],{"geo":true}]`,
		`[75,[` + gTbl + `,"m"],{"geo":true,"multi":true}]`,
		`[75,[` + gTbl + `,"other"]]`,
		`[140,[` + gTbl + `]]`,
	} {
		geoMust(t, env, q)
	}
	gi := func(geom, index string) string {
		return `[166,[` + gTbl + `,` + geom + `],{"index":"` + index + `"}]`
	}
	gn := func(pt, opts string) string {
		return `[33,[[168,[` + gTbl + `,` + pt + `],{"index":"g"` + opts + `}],"dist",{"doc":"id"}]]`
	}
	cnt := func(x string) string { return `[43,[` + x + `]]` }
	p00 := `[159,[0,0]]`
	cases := []struct {
		name, term, want, errMsg string
	}{
		{"not geo index", cnt(gi(p00, "other")), "", "Index `other` is not a geospatial index.  get_intersecting can only be used with a geospatial index."},
		{"missing index", cnt(gi(p00, "missing")), "", "Index `missing` was not found on table `test.geo`."},
		{"no index", cnt(`[166,[` + gTbl + `,` + p00 + `]]`), "", "get_intersecting requires an index argument."},
		{"primary index", cnt(gi(p00, "id")), "", "get_intersecting cannot use the primary index."},
		{"between on geo index", cnt(`[182,[` + gTbl + `,0,1],{"index":"g"}]`), "", "Index `g` is a geospatial index.  Only get_nearest and get_intersecting can use a geospatial index."},
		{"on a selection", cnt(`[166,[[78,[` + gTbl + `,0]],` + p00 + `],{"index":"g"}]`), "", "Expected type TABLE but found SELECTION<STREAM>."},
		{"query not geometry", cnt(gi(`[2,[0,0]]`, "g")), "", "Expected type PTYPE<GEOMETRY> but found ARRAY."},
		{"point at corner", cnt(gi(p00, "g")), `1`, ""},
		{"point", cnt(gi(`[159,[10,10]]`, "g")), `1`, ""},
		{"point inside polygon", cnt(gi(`[159,[0.5,0.5]]`, "g")), `1`, ""},
		{"far point", cnt(gi(`[159,[20,20]]`, "g")), `0`, ""},
		{"polygon", cnt(gi(`[161,[[2,[0,0]],[2,[1,0]],[2,[1,1]],[2,[0,1]]]]`, "g")), `2`, ""},
		{"line", cnt(gi(`[160,[[2,[0,0]],[2,[10,10]]]]`, "g")), `3`, ""},
		{"selection type", `[52,[` + gi(p00, "g") + `]]`, `"SELECTION<STREAM>"`, ""},
		{"filtered type", `[52,[[39,[` + gi(p00, "g") + `,true]]]]`, `"SELECTION<STREAM>"`, ""},
		{"multi 0", cnt(gi(p00, "m")), `1`, ""},
		{"multi 1", cnt(gi(`[159,[1,0]]`, "m")), `1`, ""},
		{"multi 2", cnt(gi(`[159,[2,0]]`, "m")), `1`, ""},
		{"multi 3", cnt(gi(`[159,[3,0]]`, "m")), `0`, ""},
		{"multi once", cnt(gi(`[161,[[2,[0,0]],[2,[0,1]],[2,[1,1]],[2,[1,0]]]]`, "m")), `1`, ""},
		{"nearest not geo", `[168,[` + gTbl + `,` + p00 + `],{"index":"other"}]`, "", "Index `other` is not a geospatial index.  get_nearest can only be used with a geospatial index."},
		{"nearest no index", `[168,[` + gTbl + `,` + p00 + `]]`, "", "get_nearest requires an index argument."},
		{"nearest primary", `[168,[` + gTbl + `,` + p00 + `],{"index":"id"}]`, "", "get_nearest cannot use the primary index."},
		{"nearest default", gn(p00, ``), `[{"dist":0,"doc":{"id":1}},{"dist":0.055659745396754216,"doc":{"id":2}}]`, ""},
		{"nearest on line", gn(`[159,[-0.000001,1]]`, ``), `[{"dist":0,"doc":{"id":2}},{"dist":0.11130264976984369,"doc":{"id":1}}]`, ""},
		{"nearest max_dist", gn(p00, `,"max_dist":1565110`), `[{"dist":0,"doc":{"id":1}},{"dist":0.055659745396754216,"doc":{"id":2}},{"dist":1565109.0992178896,"doc":{"id":0}}]`, ""},
		{"nearest max_results", gn(p00, `,"max_dist":1565110,"max_results":2`), `[{"dist":0,"doc":{"id":1}},{"dist":0.055659745396754216,"doc":{"id":2}}]`, ""},
		// RethinkDB refuses this max_dist (issue #5773); PhotonDB answers.
		{"nearest beyond RethinkDB", gn(p00, `,"max_dist":10000000`), `[{"dist":0,"doc":{"id":1}},{"dist":0.055659745396754216,"doc":{"id":2}},{"dist":1565109.0992178896,"doc":{"id":0}}]`, ""},
		{"nearest km", gn(p00, `,"max_dist":1566,"unit":"km"`), `[{"dist":0,"doc":{"id":1}},{"dist":0.00005565974539675422,"doc":{"id":2}},{"dist":1565.1090992178897,"doc":{"id":0}}]`, ""},
		{"nearest unit sphere", gn(p00, `,"max_dist":1,"geo_system":"unit_sphere"`), `[{"dist":0,"doc":{"id":1}},{"dist":8.726646259990191e-09,"doc":{"id":2}},{"dist":0.24619691677893205,"doc":{"id":0}}]`, ""},
		{"nearest type", `[52,[[168,[` + gTbl + `,` + p00 + `],{"index":"g"}]]]`, `"ARRAY"`, ""},
		{"nearest pair", gn(`[2,[10,10]]`, `,"max_results":1`), `[{"dist":0,"doc":{"id":0}}]`, ""},
		{"nearest max_dist zero", gn(p00, `,"max_dist":0`), "", "max_dist must be positive."},
		{"nearest max_results zero", gn(p00, `,"max_results":0`), "", "max_results must be positive."},
		{"nearest of a line", gn(`[160,[[2,[0,0]],[2,[1,1]]]]`, ``), "", "Expected geometry of type `Point` but found `LineString`."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := geoRun(t, env, tc.term)
			if tc.errMsg != "" {
				var e *reql.Error
				if !errors.As(err, &e) || e.Msg != tc.errMsg {
					t.Fatalf("got %v / %v, want error %q", got, err, tc.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want any
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			gj, _ := json.Marshal(got)
			var norm any
			_ = json.Unmarshal(gj, &norm)
			if !geoClose(norm, want) {
				t.Fatalf("got %s, want %s", gj, tc.want)
			}
		})
	}
	// Index entries follow updates and deletes.
	geoMust(t, env, `[53,[[16,[`+gTbl+`,0]],{"g":[159,[20,20]]}]]`)
	if got := geoMust(t, env, cnt(gi(`[159,[20,20]]`, "g"))); got != 1.0 {
		t.Fatalf("after update: %v", got)
	}
	if got := geoMust(t, env, cnt(gi(`[159,[10,10]]`, "g"))); got != 0.0 {
		t.Fatalf("old entry left: %v", got)
	}
	geoMust(t, env, `[54,[[16,[`+gTbl+`,0]]]]`)
	if got := geoMust(t, env, cnt(gi(`[159,[20,20]]`, "g"))); got != 0.0 {
		t.Fatalf("after delete: %v", got)
	}
}

// TestGeoIndexBruteForce compares index queries with full scans on random
// points, lines and polygons, including get_nearest over distances that
// RethinkDB refuses.
func TestGeoIndexBruteForce(t *testing.T) {
	env := geoEnv(t)
	rng := rand.New(rand.NewSource(7))
	var docs []string
	pt := func() (float64, float64) {
		return math.Round((rng.Float64()*360-180)*1e4) / 1e4, math.Round((rng.Float64()*170-85)*1e4) / 1e4
	}
	for i := 0; i < 400; i++ {
		lon, lat := pt()
		var g string
		switch i % 4 {
		case 0, 1:
			g = fmt.Sprintf(`[159,[%v,%v]]`, lon, lat)
		case 2:
			g = fmt.Sprintf(`[160,[[2,[%v,%v]],[2,[%v,%v]]]]`, lon, lat, math.Min(180, lon+rng.Float64()*3), math.Min(89, lat+rng.Float64()*3))
		default:
			d := 0.1 + rng.Float64()*2
			g = fmt.Sprintf(`[161,[[2,[%v,%v]],[2,[%v,%v]],[2,[%v,%v]]]]`, lon, lat, math.Min(180, lon+d), lat, lon, math.Min(89, lat+d))
		}
		docs = append(docs, fmt.Sprintf(`{"id":%d,"g":%s,"m":[2,[%s,[159,[%v,%v]]]]}`, i, g, g, lon/2, lat/2))
	}
	geoMust(t, env, `[56,[`+gTbl+`,[2,[`+strings.Join(docs, ",")+`]]]]`)
	geoMust(t, env, `[75,[`+gTbl+`,"g"],{"geo":true}]`)
	geoMust(t, env, `[75,[`+gTbl+`,"m"],{"geo":true,"multi":true}]`)
	geoMust(t, env, `[140,[`+gTbl+`]]`)

	ids := func(v any) []float64 {
		var out []float64
		for _, d := range v.([]any) {
			out = append(out, d.(map[string]any)["id"].(float64))
		}
		sort.Float64s(out)
		return out
	}
	queries := []string{
		`[165,[[2,[10,10]],2000000]]`,
		`[165,[[2,[-170,60]],3000000]]`,
		`[161,[[2,[-20,-20]],[2,[40,-20]],[2,[40,30]],[2,[-20,30]]]]`,
		`[160,[[2,[-100,-50]],[2,[60,40]],[2,[179,-10]]]]`,
		`[165,[[2,[0,89]],900000]]`,
	}
	for i, q := range queries {
		for _, index := range []string{"g", "m"} {
			got := geoMust(t, env, `[166,[`+gTbl+`,`+q+`],{"index":"`+index+`"}]`)
			body := `[163,[[31,[[10,[1]],"` + index + `"]],` + q + `]]`
			if index == "m" {
				body = `[43,[[163,[[31,[[10,[1]],"m"]],` + q + `]]]]`
				body = `[21,[` + body + `,0]]`
			}
			want := geoMust(t, env, `[39,[`+gTbl+`,[69,[[2,[1]],`+body+`]]]]`)
			g, w := ids(got), ids(want)
			if fmt.Sprint(g) != fmt.Sprint(w) {
				t.Errorf("query %d index %s: index gives %d docs %v, scan %d docs %v", i, index, len(g), g, len(w), w)
			}
			if len(w) == 0 {
				t.Errorf("query %d matches nothing: a weak test", i)
			}
		}
	}
	// get_nearest: the index's answer equals sorting the scan by distance.
	type hit struct {
		id, dist float64
	}
	for _, c := range []struct {
		lon, lat, maxDist float64
		maxResults        int
	}{
		{0, 0, 1500000, 100},
		{100, -40, 3000000, 5},
		{-60, 70, 15000000, 30},    // beyond RethinkDB's limit
		{30, 10, 20003931.4, 1000}, // half the circumference: everything
	} {
		center := fmt.Sprintf(`[159,[%v,%v]]`, c.lon, c.lat)
		got := geoMust(t, env, fmt.Sprintf(`[168,[%s,%s],{"index":"g","max_dist":%v,"max_results":%d}]`, gTbl, center, c.maxDist, c.maxResults)).([]any)
		all := geoMust(t, env, `[38,[`+gTbl+`,[69,[[2,[1]],[2,[[31,[[10,[1]],"id"]],[162,[[31,[[10,[1]],"g"]],`+center+`]]]]]]]]`).([]any)
		var want []hit
		for _, a := range all {
			p := a.([]any)
			if d := p[1].(float64); d <= c.maxDist {
				want = append(want, hit{p[0].(float64), d})
			}
		}
		sort.Slice(want, func(i, j int) bool { return want[i].dist < want[j].dist })
		if len(want) > c.maxResults {
			want = want[:c.maxResults]
		}
		if len(got) != len(want) {
			t.Fatalf("nearest %v: %d results, want %d", c, len(got), len(want))
		}
		if len(want) == 0 {
			t.Fatalf("nearest %v: a weak test", c)
		}
		for i, g := range got {
			m := g.(map[string]any)
			d := m["dist"].(float64)
			if math.Abs(d-want[i].dist) > 1e-9*math.Max(1, want[i].dist) {
				t.Fatalf("nearest %v #%d: dist %v, want %v", c, i, d, want[i].dist)
			}
		}
	}
}
