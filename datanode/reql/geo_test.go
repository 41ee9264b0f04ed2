package reql

import (
	"encoding/json"
	"math"
	"testing"
)

// Geometry constructors, validation errors, GeoJSON conversion and the
// predicates, with expectations from RethinkDB's test/rql_test/src/geo/*.yaml
// (converted to the current r.point(longitude, latitude) order) and its
// error messages.

const (
	gPt00  = `[159,[0,0]]`
	gSq01  = `[161,[[2,[0,0]],[2,[0,1]],[2,[1,1]],[2,[1,0]]]]`
	gInner = `[161,[[2,[0.1,0.1]],[2,[0.1,0.9]],[2,[0.9,0.9]],[2,[0.9,0.1]]]]`
)

func TestGeoConstructors(t *testing.T) {
	checkEvalCases(t, []evalCase{
		{name: "point", term: gPt00, want: `{"$reql_type$":"GEOMETRY","coordinates":[0,0],"type":"Point"}`},
		{name: "point south pole", term: `[159,[0,-90]]`, want: `{"$reql_type$":"GEOMETRY","coordinates":[0,-90],"type":"Point"}`},
		{name: "point lon 180 kept", term: `[159,[180,0]]`, want: `{"$reql_type$":"GEOMETRY","coordinates":[180,0],"type":"Point"}`},
		{name: "point lat too small", term: `[159,[0,-91]]`, errType: ErrQueryLogic, errMsg: "Latitude must be between -90 and 90.  Got -91."},
		{name: "point lat too big", term: `[159,[0,91]]`, errType: ErrQueryLogic, errMsg: "Latitude must be between -90 and 90.  Got 91."},
		{name: "point lon too small", term: `[159,[-181,0]]`, errType: ErrQueryLogic, errMsg: "Longitude must be between -180 and 180.  Got -181."},
		{name: "point lon fraction", term: `[159,[180.5,0]]`, errType: ErrQueryLogic, errMsg: "Longitude must be between -180 and 180.  Got 180.5."},
		{name: "point of a string", term: `[159,["a",0]]`, errType: ErrQueryLogic, errMsg: "Expected type NUMBER but found STRING."},
		{name: "point arity", term: `[159,[0]]`, errMsg: "Expected 2 arguments but found 1."},
		{name: "line", term: `[160,[[2,[0,0]],[2,[0,1]]]]`, want: `{"$reql_type$":"GEOMETRY","coordinates":[[0,0],[0,1]],"type":"LineString"}`},
		{name: "line back and forth", term: `[160,[[2,[0,0]],[2,[0,1]],[2,[0,0]]]]`, want: `{"$reql_type$":"GEOMETRY","coordinates":[[0,0],[0,1],[0,0]],"type":"LineString"}`},
		{name: "line of points", term: `[160,[[159,[0,0]],[159,[0,1]]]]`, want: `{"$reql_type$":"GEOMETRY","coordinates":[[0,0],[0,1]],"type":"LineString"}`},
		{name: "line duplicate", term: `[160,[[2,[0,0]],[2,[0,0]]]]`, errType: ErrQueryLogic, errMsg: "Invalid LineString.  Are there antipodal or duplicate vertices?"},
		{name: "line short pair", term: `[160,[[2,[0,0]],[2,[1]]]]`, errType: ErrQueryLogic, errMsg: "Expected point coordinate pair.  Got 1 element array instead of a 2 element one."},
		{name: "line long pair", term: `[160,[[2,[0,0]],[2,[1,0,0]]]]`, errType: ErrQueryLogic, errMsg: "Expected point coordinate pair.  Got 3 element array instead of a 2 element one."},
		{name: "line of a line", term: `[160,[[159,[0,0]],[159,[1,0]],[160,[[2,[0,0]],[2,[1,0]]]]]]`, errType: ErrQueryLogic, errMsg: "Expected geometry of type `Point` but found `LineString`."},
		{name: "line arity", term: `[160,[[2,[0,0]]]]`, errMsg: "Expected 2 or more arguments but found 1."},
		{name: "polygon closed", term: `[161,[[2,[0,0]],[2,[0,1]],[2,[1,0]]]]`, want: `{"$reql_type$":"GEOMETRY","coordinates":[[[0,0],[0,1],[1,0],[0,0]]],"type":"Polygon"}`},
		{name: "polygon already closed", term: `[161,[[2,[0,0]],[2,[0,1]],[2,[1,0]],[2,[0,0]]]]`, want: `{"$reql_type$":"GEOMETRY","coordinates":[[[0,0],[0,1],[1,0],[0,0]]],"type":"Polygon"}`},
		{name: "polygon degenerate", term: `[161,[[2,[0,0]],[2,[0,0]],[2,[0,0]],[2,[0,0]]]]`, errType: ErrQueryLogic, errMsg: "Invalid LinearRing.  Are there antipodal or duplicate vertices? Is it self-intersecting?"},
		{name: "polygon self-intersecting", term: `[161,[[2,[0,0]],[2,[0,1]],[2,[1,0]],[2,[-1,0.5]]]]`, errType: ErrQueryLogic, errMsg: "Invalid LinearRing.  Are there antipodal or duplicate vertices? Is it self-intersecting?"},
		{name: "polygon bowtie", term: `[161,[[2,[0,0]],[2,[1,1]],[2,[1,0]],[2,[0,1]]]]`, errType: ErrQueryLogic, errMsg: "Invalid LinearRing.  Are there antipodal or duplicate vertices? Is it self-intersecting?"},
		{name: "polygon bad pair", term: `[161,[[2,[0,0]],[2,[0,1]],[2,[0,1,0]]]]`, errType: ErrQueryLogic, errMsg: "Expected point coordinate pair.  Got 3 element array instead of a 2 element one."},
		{name: "polygon arity", term: `[161,[[2,[0,0]],[2,[0,0]]]]`, errMsg: "Expected 3 or more arguments but found 2."},
		{name: "polygon bad latitude", term: `[161,[[2,[0,0]],[2,[0,100]],[2,[1,0]]]]`, errType: ErrQueryLogic, errMsg: "Latitude must be between -90 and 90.  Got 100."},
	})
}

func TestGeoJSON(t *testing.T) {
	checkEvalCases(t, []evalCase{
		{name: "point", term: `[157,[{"coordinates":[2,[0,0]],"type":"Point"}]]`, want: `{"$reql_type$":"GEOMETRY","coordinates":[0,0],"type":"Point"}`},
		{name: "line", term: `[157,[{"coordinates":[2,[[2,[0,0]],[2,[0,1]]]],"type":"LineString"}]]`, want: `{"$reql_type$":"GEOMETRY","coordinates":[[0,0],[0,1]],"type":"LineString"}`},
		{name: "polygon", term: `[157,[{"coordinates":[2,[[2,[[2,[0,0]],[2,[0,1]],[2,[1,0]],[2,[0,0]]]]]],"type":"Polygon"}]]`, want: `{"$reql_type$":"GEOMETRY","coordinates":[[[0,0],[0,1],[1,0],[0,0]]],"type":"Polygon"}`},
		{name: "bbox dropped, crs null kept", term: `[157,[{"coordinates":[2,[0,0]],"type":"Point","crs":null,"bbox":[2,[0,0,0,0]]}]]`, want: `{"$reql_type$":"GEOMETRY","coordinates":[0,0],"type":"Point","crs":null}`},
		{name: "non-number coordinate", term: `[157,[{"coordinates":[2,[[2,[]],0]],"type":"Point"}]]`, errType: ErrQueryLogic, errMsg: "Expected type NUMBER but found ARRAY."},
		{name: "coordinates not array", term: `[157,[{"coordinates":true,"type":"Point"}]]`, errType: ErrQueryLogic, errMsg: "Expected type ARRAY but found BOOL."},
		{name: "missing coordinates", term: `[157,[{"type":"Point"}]]`, errType: ErrNonExistence, errMsg: "No attribute `coordinates` in object:\n{\n\t\"type\":\t\"Point\"\n}"},
		{name: "missing type", term: `[157,[{"coordinates":[2,[0,0]]}]]`, errType: ErrNonExistence, errMsg: "No attribute `type` in object:\n{\n\t\"coordinates\":\t[\n\t\t0,\n\t\t0\n\t]\n}"},
		{name: "unknown type", term: `[157,[{"coordinates":[2,[0,0]],"type":"foo"}]]`, errType: ErrQueryLogic, errMsg: "Unrecognized GeoJSON type `foo`."},
		{name: "unsupported type", term: `[157,[{"coordinates":[2,[0,0]],"type":"MultiPoint"}]]`, errType: ErrQueryLogic, errMsg: "GeoJSON type `MultiPoint` is not supported."},
		{name: "crs", term: `[157,[{"coordinates":[2,[0,0]],"type":"Point","crs":{"type":"name"}}]]`, errType: ErrQueryLogic, errMsg: "Non-default coordinate reference systems are not supported in GeoJSON objects.  Make sure the `crs` field of the geometry is null or non-existent."},
		{name: "altitude", term: `[157,[{"coordinates":[2,[0,0,0]],"type":"Point"}]]`, errType: ErrQueryLogic, errMsg: "A third altitude coordinate in GeoJSON positions was found, but is not supported."},
		{name: "too few", term: `[157,[{"coordinates":[2,[0]],"type":"Point"}]]`, errType: ErrQueryLogic, errMsg: "Too few coordinates.  Need at least longitude and latitude."},
		{name: "too many", term: `[157,[{"coordinates":[2,[0,0,0,0]],"type":"Point"}]]`, errType: ErrQueryLogic, errMsg: "Too many coordinates.  GeoJSON position should have no more than three coordinates, but got 4."},
		{name: "short line", term: `[157,[{"coordinates":[2,[[2,[0,0]]]],"type":"LineString"}]]`, errType: ErrQueryLogic, errMsg: "GeoJSON LineString must have at least two positions."},
		{name: "short ring", term: `[157,[{"coordinates":[2,[[2,[[2,[0,0]],[2,[0,1]],[2,[0,0]]]]]],"type":"Polygon"}]]`, errType: ErrQueryLogic, errMsg: "GeoJSON LinearRing must have at least four positions."},
		{name: "open ring", term: `[157,[{"coordinates":[2,[[2,[[2,[0,0]],[2,[0,1]],[2,[1,0]],[2,[1,1]]]]]],"type":"Polygon"}]]`, errType: ErrQueryLogic, errMsg: "First and last vertex of GeoJSON LinearRing must be identical."},
		{name: "crossing rings", term: `[157,[{"coordinates":[2,[[2,[[2,[0,0]],[2,[0,2]],[2,[2,2]],[2,[2,0]],[2,[0,0]]]],[2,[[2,[1,1]],[2,[1,3]],[2,[3,3]],[2,[3,1]],[2,[1,1]]]]]],"type":"Polygon"}]]`, errType: ErrQueryLogic, errMsg: "Some edges in GeoJSON polygon could not be used.  Are they intersecting?"},
		{name: "already geometry", term: `[157,[` + gPt00 + `]]`, errType: ErrQueryLogic, errMsg: "GeoJSON object already had a $reql_type$ field."},
		{name: "not an object", term: `[157,[1]]`, errType: ErrQueryLogic, errMsg: "Expected type OBJECT but found NUMBER."},
		{name: "to_geojson", term: `[158,[` + gPt00 + `]]`, want: `{"coordinates":[0,0],"type":"Point"}`},
		{name: "to_geojson of object", term: `[158,[{"a":1}]]`, errType: ErrQueryLogic, errMsg: "Expected type PTYPE<GEOMETRY> but found OBJECT."},
		{name: "to_geojson of null", term: `[158,[null]]`, errType: ErrNonExistence, errMsg: "Expected type PTYPE<GEOMETRY> but found NULL."},
		{name: "round trip", term: `[158,[[157,[[158,[` + gSq01 + `]]]]]]`, want: `{"coordinates":[[[0,0],[0,1],[1,1],[1,0],[0,0]]],"type":"Polygon"}`},
	})
}

func TestGeoCircleFill(t *testing.T) {
	tri := `[[0,-9.04369477050382e-06],[-7.779638566553426e-06,4.5218473852518965e-06],[7.779638566553426e-06,4.5218473852518965e-06],[0,-9.04369477050382e-06]]`
	checkGeoApprox(t, []evalCase{
		{name: "circle 3 vertices", term: `[165,[[2,[0,0]],1],{"num_vertices":3}]`, want: `{"$reql_type$":"GEOMETRY","coordinates":[` + tri + `],"type":"Polygon"}`},
		{name: "circle of a point", term: `[165,[` + gPt00 + `,1],{"num_vertices":3}]`, want: `{"$reql_type$":"GEOMETRY","coordinates":[` + tri + `],"type":"Polygon"}`},
		{name: "circle unfilled", term: `[165,[[2,[0,0]],1],{"num_vertices":3,"fill":false}]`, want: `{"$reql_type$":"GEOMETRY","coordinates":` + tri + `,"type":"LineString"}`},
		{name: "circle km", term: `[165,[[2,[0,0]],0.001],{"num_vertices":3,"unit":"km"}]`, want: `{"$reql_type$":"GEOMETRY","coordinates":[` + tri + `],"type":"Polygon"}`},
		{name: "circle unit sphere", term: `[165,[[2,[0,0]],0.1],{"num_vertices":3,"geo_system":"unit_sphere"}]`, want: `{"$reql_type$":"GEOMETRY","coordinates":[[[0,-5.729577951308232],[-4.966092947444857,2.861205754495701],[4.966092947444857,2.861205754495701],[0,-5.729577951308232]]],"type":"Polygon"}`},
	})
	checkEvalCases(t, []evalCase{
		{name: "circle too big", term: `[165,[[2,[0,0]],10000000]]`, errType: ErrQueryLogic, errMsg: "Radius must be smaller than a quarter of the circumference along the minor axis of the reference ellipsoid.  Got 10000000, but must be smaller than 9985163.1855612862855."},
		{name: "circle unit sphere too big", term: `[165,[[2,[0,0]],2],{"geo_system":"unit_sphere"}]`, errType: ErrQueryLogic, errMsg: "Radius must be smaller than a quarter of the circumference along the minor axis of the reference ellipsoid.  Got 2, but must be smaller than 1.570796326794896558."},
		{name: "circle zero radius", term: `[165,[[2,[0,0]],0]]`, errType: ErrQueryLogic, errMsg: "Radius must be positive"},
		{name: "circle zero vertices", term: `[165,[[2,[0,0]],1],{"num_vertices":0}]`, errType: ErrQueryLogic, errMsg: "num_vertices must be positive."},
		{name: "circle bad unit", term: `[165,[[2,[0,0]],1],{"unit":"parsec"}]`, errType: ErrQueryLogic, errMsg: "Unrecognized distance unit `parsec`."},
		{name: "circle bad geo system", term: `[165,[[2,[0,0]],1],{"geo_system":"mars"}]`, errType: ErrQueryLogic, errMsg: `Unrecognized geo system "mars" (valid options: "WGS84", "unit_sphere").`},
		{name: "circle bad flattening", term: `[165,[[2,[0,0]],1],{"geo_system":{"a":1,"f":1}}]`, errType: ErrQueryLogic, errMsg: "The flattening `f` must be in the range [0, 1)."},
		{name: "circle bad radius a", term: `[165,[[2,[0,0]],1],{"geo_system":{"a":0,"f":0}}]`, errType: ErrQueryLogic, errMsg: "The equator radius `a` must be positive."},
		{name: "circle optarg unknown", term: `[165,[[2,[0,0]],1],{"vertices":3}]`, errMsg: "Unrecognized optional argument `vertices`."},
		{name: "circle default 32 vertices", term: `[43,[[170,[[170,[[158,[[165,[[2,[0,0]],1]]]],"coordinates"]],0]]]]`, want: `33`},
		{name: "fill equals filled circle", term: `[17,[[167,[[165,[[2,[0,0]],1],{"fill":false}]]],[165,[[2,[0,0]],1]]]]`, want: `true`},
		{name: "unfilled differs", term: `[17,[[165,[[2,[0,0]],1],{"fill":false}],[165,[[2,[0,0]],1]]]]`, want: `false`},
		{name: "fill of a polygon", term: `[167,[` + gSq01 + `]]`, errType: ErrQueryLogic, errMsg: "Expected geometry of type `LineString` but found `Polygon`."},
		{name: "fill self-intersecting", term: `[167,[[160,[[2,[0,0]],[2,[1,1]],[2,[1,0]],[2,[0,1]]]]]]`, errType: ErrQueryLogic, errMsg: "Invalid LinearRing.  Are there antipodal or duplicate vertices? Is it self-intersecting?"},
		{name: "polygon_sub", term: `[171,[` + gSq01 + `,` + gInner + `]]`, want: `{"$reql_type$":"GEOMETRY","coordinates":[[[0,0],[0,1],[1,1],[1,0],[0,0]],[[0.1,0.1],[0.1,0.9],[0.9,0.9],[0.9,0.1],[0.1,0.1]]],"type":"Polygon"}`},
		{name: "polygon_sub not contained", term: `[171,[` + gSq01 + `,[161,[[2,[0,0]],[2,[0,2]],[2,[2,2]],[2,[2,0]]]]]]`, errType: ErrQueryLogic, errMsg: "The second argument to `polygon_sub` is not contained in the first one."},
		{name: "polygon_sub disjoint", term: `[171,[` + gSq01 + `,[161,[[2,[-2,0]],[2,[-2,1]],[2,[-1,1]],[2,[-1,0]]]]]]`, errType: ErrQueryLogic, errMsg: "The second argument to `polygon_sub` is not contained in the first one."},
		{name: "polygon_sub with holes", term: `[171,[` + gSq01 + `,[171,[` + gSq01 + `,` + gInner + `]]]]`, errType: ErrQueryLogic, errMsg: "The second argument to `polygon_sub` must be a Polygon with only an outer shell.  This one has holes."},
		{name: "polygon_sub of a point", term: `[171,[` + gPt00 + `,` + gInner + `]]`, errType: ErrQueryLogic, errMsg: "Expected geometry of type `Polygon` but found `Point`."},
		{name: "polygon_sub of a number", term: `[171,[1,` + gInner + `]]`, errType: ErrQueryLogic, errMsg: "Expected type PTYPE<GEOMETRY> but found NUMBER."},
	})
}

func TestGeoPredicates(t *testing.T) {
	tri := `[161,[[2,[-1,0]],[2,[1,0]],[2,[10,10]]]]`
	checkEvalCases(t, []evalCase{
		{name: "point in polygon", term: `[163,[` + gSq01 + `,[159,[0.5,0.5]]]]`, want: `true`},
		{name: "corner intersects", term: `[163,[` + gSq01 + `,[159,[0,0]]]]`, want: `true`},
		{name: "point outside", term: `[163,[` + gSq01 + `,[159,[2,2]]]]`, want: `false`},
		{name: "point point", term: `[163,[` + gPt00 + `,` + gPt00 + `]]`, want: `true`},
		{name: "point on line vertex", term: `[163,[[160,[[2,[0,0]],[2,[0,1]]]],` + gPt00 + `]]`, want: `true`},
		{name: "lines cross", term: `[163,[[160,[[2,[-1,0.5]],[2,[1,0.5]]]],[160,[[2,[0,0]],[2,[0,1]]]]]]`, want: `true`},
		{name: "lines apart", term: `[163,[[160,[[2,[2,0.5]],[2,[3,0.5]]]],[160,[[2,[0,0]],[2,[0,1]]]]]]`, want: `false`},
		{name: "line through polygon", term: `[163,[[160,[[2,[-1,0.5]],[2,[2,0.5]]]],` + gSq01 + `]]`, want: `true`},
		{name: "line inside polygon", term: `[163,[` + gSq01 + `,[160,[[2,[0.2,0.5]],[2,[0.8,0.5]]]]]]`, want: `true`},
		{name: "polygons overlap", term: `[163,[` + gSq01 + `,[161,[[2,[0.5,0.5]],[2,[0.5,2]],[2,[2,2]],[2,[2,0.5]]]]]]`, want: `true`},
		{name: "polygons apart", term: `[163,[` + gSq01 + `,[161,[[2,[5,5]],[2,[5,6]],[2,[6,6]]]]]]`, want: `false`},
		{name: "point in hole", term: `[163,[[171,[` + gSq01 + `,` + gInner + `]],[159,[0.5,0.5]]]]`, want: `false`},
		{name: "includes point", term: `[164,[` + gSq01 + `,[159,[0.5,0.5]]]]`, want: `true`},
		{name: "includes polygon", term: `[164,[` + gSq01 + `,` + gInner + `]]`, want: `true`},
		{name: "not includes bigger", term: `[164,[` + gInner + `,` + gSq01 + `]]`, want: `false`},
		{name: "includes line", term: `[164,[` + gSq01 + `,[160,[[2,[0.2,0.5]],[2,[0.8,0.5]]]]]]`, want: `true`},
		{name: "not includes line leaving", term: `[164,[` + gSq01 + `,[160,[[2,[0.2,0.5]],[2,[1.8,0.5]]]]]]`, want: `false`},
		{name: "includes of a point", term: `[164,[` + gPt00 + `,` + gPt00 + `]]`, errType: ErrQueryLogic, errMsg: "Expected geometry of type `Polygon` but found `Point`."},
		{name: "intersects filters array", term: `[163,[[2,[[159,[0.5,0.5]],[159,[3,3]],[159,[0,0]]]],` + gSq01 + `]]`, want: `[{"$reql_type$":"GEOMETRY","coordinates":[0.5,0.5],"type":"Point"},{"$reql_type$":"GEOMETRY","coordinates":[0,0],"type":"Point"}]`},
		{name: "includes filters array", term: `[164,[[2,[` + gSq01 + `,` + tri + `]],[159,[-0.2,0.5]]]]`, want: `[{"$reql_type$":"GEOMETRY","coordinates":[[[-1,0],[1,0],[10,10],[-1,0]]],"type":"Polygon"}]`},
		{name: "intersects on number", term: `[163,[1,` + gPt00 + `]]`, errType: ErrQueryLogic, errMsg: "Cannot perform intersects on a non-object non-sequence `1`."},
		{name: "intersects on object", term: `[163,[{"a":1},` + gPt00 + `]]`, errType: ErrQueryLogic, errMsg: "Expected type PTYPE<GEOMETRY> but found OBJECT."},
		{name: "intersects on time", term: `[163,[[101,[0]],` + gPt00 + `]]`, errType: ErrQueryLogic, errMsg: "Cannot call `intersects` on objects of type `PTYPE<TIME>`."},
		{name: "intersects with non-geometry", term: `[163,[` + gPt00 + `,[2,[0,0]]]]`, errType: ErrQueryLogic, errMsg: "Expected type PTYPE<GEOMETRY> but found ARRAY."},
		{name: "intersects array skips nulls", term: `[163,[[2,[null,` + gPt00 + `]],` + gPt00 + `]]`, want: `[{"$reql_type$":"GEOMETRY","coordinates":[0,0],"type":"Point"}]`},
	})
}

// TestGeoDistance checks DISTANCE against RethinkDB's results (Karney on
// WGS84) within 1e-9 relative.
func TestGeoDistance(t *testing.T) {
	cases := []struct {
		name string
		term string
		want float64
	}{
		{"one degree of longitude at 37N", `[162,[[159,[-122,37]],[159,[-123,37]]]]`, 89011.262538353315904},
		{"one degree of latitude", `[162,[[159,[-122,37]],[159,[-122,36]]]]`, 110968.30443995493988},
		{"method form", `[162,[[159,[-122,37]],[159,[-123,37]]],{"unit":"m","geo_system":"WGS84"}]`, 89011.262538353315904},
		{"km", `[162,[[159,[-122,37]],[159,[-123,37]]],{"unit":"km"}]`, 89.011262538353315904},
		{"mi", `[162,[[159,[-122,37]],[159,[-123,37]]],{"unit":"mi"}]`, 89011.262538353315904 / 1609.344},
		{"nm", `[162,[[159,[-122,37]],[159,[-123,37]]],{"unit":"nm"}]`, 89011.262538353315904 / 1852},
		{"ft", `[162,[[159,[-122,37]],[159,[-123,37]]],{"unit":"ft"}]`, 89011.262538353315904 / 0.3048},
		{"small planet", `[162,[[159,[-122,37]],[159,[-123,37]]],{"geo_system":{"a":637813.7,"f":0.0033528106647474805}}]`, 8901.1262538353315904},
		{"unit sphere", `[162,[[159,[-122,37]],[159,[-123,37]]],{"geo_system":"unit_sphere"}]`, 0.01393875509649327056},
		{"same point", `[162,[` + gPt00 + `,` + gPt00 + `]]`, 0},
		{"half equator", `[26,[[162,[` + gPt00 + `,[159,[180,0]]]],2]]`, 40007862.91725089401},
		{"pole to pole", `[26,[[162,[[159,[0,-90]],[159,[0,90]]]],2]]`, 40007862.91725089401},
		{"point on line", `[162,[` + gPt00 + `,[160,[[2,[0,0]],[2,[1,0]]]]]]`, 0},
		{"line first", `[162,[[160,[[2,[0,0]],[2,[1,0]]]],` + gPt00 + `]]`, 0},
		{"to a line", `[162,[` + gPt00 + `,[160,[[2,[5,-1]],[2,[4,2]]]]]]`, 492471.49900552548934},
		{"to a polygon", `[162,[` + gPt00 + `,[161,[[2,[5,-1]],[2,[4,2]],[2,[10,10]]]]]]`, 492471.49900552548934},
		{"inside a polygon", `[162,[[159,[0.5,0.5]],[161,[[2,[0,-1]],[2,[0,1]],[2,[10,10]]]]]]`, 0},
		{"JFK to SIN", `[162,[[159,[-73.78,40.64]],[159,[103.99,1.36]]]]`, 15347512.94051294},
		{"nearly antipodal", `[162,[[159,[0,-30]],[159,[179.8,29.9]]]]`, 19989832.82760953},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runTerm(t, tc.term)
			if err != nil {
				t.Fatal(err)
			}
			g, ok := got.(float64)
			if !ok {
				t.Fatalf("got %v", got)
			}
			if tc.want == 0 {
				if g != 0 {
					t.Fatalf("got %.17g, want 0", g)
				}
				return
			}
			if rel := math.Abs(g-tc.want) / tc.want; rel > 1e-9 {
				t.Fatalf("got %.17g, want %.17g (relative error %g)", g, tc.want, rel)
			}
		})
	}
	checkEvalCases(t, []evalCase{
		{name: "two lines", term: `[162,[[160,[[2,[0,0]],[2,[1,0]]]],[160,[[2,[0,0]],[2,[1,0]]]]]]`, errType: ErrQueryLogic, errMsg: "Expected geometry of type `Point` but found `LineString`."},
		{name: "not geometry", term: `[162,[[2,[0,0]],` + gPt00 + `]]`, errType: ErrQueryLogic, errMsg: "Expected type PTYPE<GEOMETRY> but found ARRAY."},
		{name: "bad unit", term: `[162,[` + gPt00 + `,` + gPt00 + `],{"unit":"yd"}]`, errType: ErrQueryLogic, errMsg: "Unrecognized distance unit `yd`."},
		{name: "unit not a string", term: `[162,[` + gPt00 + `,` + gPt00 + `],{"unit":1}]`, errType: ErrQueryLogic, errMsg: "Expected type STRING but found NUMBER."},
	})
}

// TestGeodesicReference checks the Karney port against values of
// GeographicLib (Geodesic.WGS84 Inverse/Direct) and the round trip.
func TestGeodesicReference(t *testing.T) {
	g := wgs84.geodesic()
	inv := []struct{ lat1, lon1, lat2, lon2, s12 float64 }{
		{37, -122, 37, -123, 89011.26253835202},
		{0, 0, 0.5, 179.5, 19936288.578965314},
		{-30, 0, 29.9, 179.8, 19989832.82760953},
		{40.64, -73.78, 1.36, 103.99, 15347512.94051294},
		{0, 0, 0, 180, 20003931.458625447},
	}
	for _, c := range inv {
		got := g.inverse(c.lat1, c.lon1, c.lat2, c.lon2)
		if math.Abs(got-c.s12) > 1e-9*c.s12 {
			t.Errorf("inverse(%v,%v,%v,%v) = %.17g, want %.17g", c.lat1, c.lon1, c.lat2, c.lon2, got, c.s12)
		}
	}
	lat2, lon2 := g.direct(40.64, -73.78, 3.3, 15347628)
	if math.Abs(lat2-1.359132147383403) > 1e-12 || math.Abs(lon2-103.99393724507829) > 1e-12 {
		t.Errorf("direct = %v %v", lat2, lon2)
	}
	for _, az := range []float64{-180, -135, -45, 0, 10, 90, 170} {
		for _, s := range []float64{1, 1000, 1e6, 9e6} {
			la, lo := g.direct(12.5, 33, az, s)
			if back := g.inverse(12.5, 33, la, lo); math.Abs(back-s) > 1e-9*s {
				t.Errorf("round trip az %v s %v: %v", az, s, back)
			}
		}
	}
}

func TestGeoDeterminism(t *testing.T) {
	// Geo terms other than POINT make an index function non-deterministic.
	for _, term := range []string{`[165,[[2,[0,0]],1]]`, `[160,[[2,[0,0]],[2,[0,1]]]]`} {
		var raw any
		_ = json.Unmarshal([]byte(term), &raw)
		ct, err := compileTerm(raw, []any{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, bad := nonDeterministic(ct); !bad {
			t.Errorf("%s should be non-deterministic", term)
		}
	}
	var raw any
	_ = json.Unmarshal([]byte(gPt00), &raw)
	ct, _ := compileTerm(raw, []any{}, 0)
	if _, bad := nonDeterministic(ct); bad {
		t.Error("point should be deterministic")
	}
}

// checkGeoApprox is checkEvalCases with numbers compared within 1e-12
// relative: RethinkDB's embedded GeographicLib is an older release whose
// results differ from this port in the last bit.
func checkGeoApprox(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runTerm(t, tc.term)
			if err != nil {
				t.Fatal(err)
			}
			var want any
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			if !geoApproxEqual(got, want) {
				gj, _ := json.Marshal(got)
				t.Fatalf("got %s, want %s", gj, tc.want)
			}
		})
	}
}

func geoApproxEqual(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.Abs(x-y) <= 1e-12*math.Max(math.Abs(x), math.Abs(y)))
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !geoApproxEqual(x[i], y[i]) {
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
			if !geoApproxEqual(v, y[k]) {
				return false
			}
		}
		return true
	}
	return datumEqual(a, b)
}
