package reql

import (
	"fmt"
	"math"

	"github.com/golang/geo/s1"
	"github.com/golang/geo/s2"
)

// GEOMETRY pseudo-type: parsing and validation of the GeoJSON subset that
// RethinkDB supports (Point, LineString, Polygon), with RethinkDB's error
// messages (src/rdb_protocol/geo/geojson.cc), and the S2 predicates behind
// INTERSECTS, INCLUDES and DISTANCE.

const geometryType = "GEOMETRY"

// geoErr is a geo_exception_t: a QUERY_LOGIC error.
func geoErr(format string, args ...any) error {
	return newErr(ErrQueryLogic, format, args...)
}

// fmtReconstructable prints a number as RethinkDB's PR_RECONSTRUCTABLE_DOUBLE
// ("%.20g").
func fmtReconstructable(f float64) string { return fmt.Sprintf("%.20g", f) }

type geoKind int

const (
	geoPoint geoKind = iota
	geoLine
	geoPolygon
)

// geoShape is a validated geometry in S2 form.
type geoShape struct {
	kind geoKind
	pt   s2.Point
	line *s2.Polyline
	poly *s2.Polygon
}

// geoField reads a required field of a GeoJSON object ("No attribute `x` in
// object", NON_EXISTENCE).
func geoField(m map[string]any, key string) (any, error) {
	v, ok := m[key]
	if !ok {
		return nil, newErr(ErrNonExistence, "No attribute `%s` in object:\n%s", key, printDatum(m))
	}
	return v, nil
}

func geoArray(v any) ([]any, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, typeErr("ARRAY", v, nil)
	}
	return a, nil
}

func geoNum(v any) (float64, error) {
	n, ok := v.(float64)
	if !ok {
		return 0, typeErr("NUMBER", v, nil)
	}
	return n, nil
}

// geoType returns a geometry object's `type` field.
func geoType(m map[string]any) (string, error) {
	tv, err := geoField(m, "type")
	if err != nil {
		return "", err
	}
	s, ok := tv.(string)
	if !ok {
		return "", typeErr("STRING", tv, nil)
	}
	return s, nil
}

// geoPosition parses a GeoJSON position into (longitude, latitude).
func geoPosition(v any) (lon, lat float64, err error) {
	a, err := geoArray(v)
	if err != nil {
		return 0, 0, err
	}
	switch {
	case len(a) < 2:
		return 0, 0, geoErr("Too few coordinates.  Need at least longitude and latitude.")
	case len(a) > 3:
		return 0, 0, geoErr("Too many coordinates.  GeoJSON position should have no more than three coordinates, but got %d.", len(a))
	case len(a) == 3:
		return 0, 0, geoErr("A third altitude coordinate in GeoJSON positions was found, but is not supported.")
	}
	if lon, err = geoNum(a[0]); err != nil {
		return 0, 0, err
	}
	if lat, err = geoNum(a[1]); err != nil {
		return 0, 0, err
	}
	return lon, lat, nil
}

// geoS2Point parses and range-checks a position.
func geoS2Point(v any) (s2.Point, error) {
	lon, lat, err := geoPosition(v)
	if err != nil {
		return s2.Point{}, err
	}
	if lon < -180 || lon > 180 || math.IsNaN(lon) {
		return s2.Point{}, geoErr("Longitude must be between -180 and 180.  Got %s.", fmtReconstructable(lon))
	}
	if lon == 180 {
		lon = -180
	}
	if lat < -90 || lat > 90 || math.IsNaN(lat) {
		return s2.Point{}, geoErr("Latitude must be between -90 and 90.  Got %s.", fmtReconstructable(lat))
	}
	return s2.PointFromLatLng(s2.LatLngFromDegrees(lat, lon)), nil
}

func geoS2Points(coords any) ([]s2.Point, error) {
	a, err := geoArray(coords)
	if err != nil {
		return nil, err
	}
	pts := make([]s2.Point, 0, len(a))
	for _, e := range a {
		p, err := geoS2Point(e)
		if err != nil {
			return nil, err
		}
		pts = append(pts, p)
	}
	return pts, nil
}

func geoPolylineFrom(coords any) (*s2.Polyline, error) {
	a, err := geoArray(coords)
	if err != nil {
		return nil, err
	}
	if len(a) < 2 {
		return nil, geoErr("GeoJSON LineString must have at least two positions.")
	}
	pts, err := geoS2Points(a)
	if err != nil {
		return nil, err
	}
	line := s2.Polyline(pts)
	if line.Validate() != nil {
		return nil, geoErr("Invalid LineString.  Are there antipodal or duplicate vertices?")
	}
	return &line, nil
}

// geoLoopValid is S2Loop::IsValid: at least three vertices, no duplicate
// or antipodal adjacent vertices, no duplicate vertices at all, and no
// crossing between non-adjacent edges.
func geoLoopValid(pts []s2.Point) bool {
	n := len(pts)
	if n < 3 {
		return false
	}
	seen := make(map[s2.Point]bool, n)
	for i, p := range pts {
		if seen[p] {
			return false
		}
		seen[p] = true
		q := pts[(i+1)%n]
		if p == (s2.Point{Vector: q.Mul(-1)}) {
			return false
		}
	}
	for i := 0; i < n; i++ {
		a, b := pts[i], pts[(i+1)%n]
		for j := i + 2; j < n; j++ {
			if i == 0 && j == n-1 {
				continue // adjacent through the closing edge
			}
			if s2.CrossingSign(a, b, pts[j], pts[(j+1)%n]) != s2.DoNotCross {
				return false
			}
		}
	}
	return true
}

func geoLoopFrom(coords any) (*s2.Loop, []s2.Point, error) {
	a, err := geoArray(coords)
	if err != nil {
		return nil, nil, err
	}
	if len(a) < 4 {
		return nil, nil, geoErr("GeoJSON LinearRing must have at least four positions.")
	}
	pts, err := geoS2Points(a)
	if err != nil {
		return nil, nil, err
	}
	if pts[0] != pts[len(pts)-1] {
		return nil, nil, geoErr("First and last vertex of GeoJSON LinearRing must be identical.")
	}
	pts = pts[:len(pts)-1]
	if !geoLoopValid(pts) {
		return nil, nil, geoErr("Invalid LinearRing.  Are there antipodal or duplicate vertices? Is it self-intersecting?")
	}
	loop := s2.LoopFromPoints(pts)
	loop.Normalize()
	return loop, pts, nil
}

func geoPolygonFrom(coords any) (*s2.Polygon, error) {
	a, err := geoArray(coords)
	if err != nil {
		return nil, err
	}
	loops := make([]*s2.Loop, 0, len(a))
	rings := make([][]s2.Point, 0, len(a))
	for _, ring := range a {
		l, pts, err := geoLoopFrom(ring)
		if err != nil {
			return nil, err
		}
		loops = append(loops, l)
		rings = append(rings, pts)
	}
	// Loops that cross each other cannot be assembled into a polygon.
	for i := range rings {
		for j := i + 1; j < len(rings); j++ {
			if geoRingsCross(rings[i], rings[j]) {
				return nil, geoErr("Some edges in GeoJSON polygon could not be used.  Are they intersecting?")
			}
		}
	}
	if len(loops) == 0 {
		return &s2.Polygon{}, nil
	}
	return s2.PolygonFromLoops(loops), nil
}

func geoRingsCross(a, b []s2.Point) bool {
	for i := range a {
		c := s2.NewChainEdgeCrosser(a[i], a[(i+1)%len(a)], b[0])
		for j := 1; j <= len(b); j++ {
			if c.ChainCrossingSign(b[j%len(b)]) == s2.Cross {
				return true
			}
		}
	}
	return false
}

// parseGeometry is visit_geojson: it converts a GEOMETRY (or plain GeoJSON)
// object into S2 form, validating it.
func parseGeometry(v any) (*geoShape, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, typeErr("OBJECT", v, nil)
	}
	typ, err := geoType(m)
	if err != nil {
		return nil, err
	}
	coords, err := geoField(m, "coordinates")
	if err != nil {
		return nil, err
	}
	switch typ {
	case "Point":
		p, err := geoS2Point(coords)
		if err != nil {
			return nil, err
		}
		return &geoShape{kind: geoPoint, pt: p}, nil
	case "LineString":
		l, err := geoPolylineFrom(coords)
		if err != nil {
			return nil, err
		}
		return &geoShape{kind: geoLine, line: l}, nil
	case "Polygon":
		p, err := geoPolygonFrom(coords)
		if err != nil {
			return nil, err
		}
		return &geoShape{kind: geoPolygon, poly: p}, nil
	case "MultiPoint", "MultiLineString", "MultiPolygon", "GeometryCollection", "Feature", "FeatureCollection":
		return nil, geoErr("GeoJSON type `%s` is not supported.", typ)
	}
	return nil, geoErr("Unrecognized GeoJSON type `%s`.", typ)
}

// validateGeoJSON is validate_geojson: no `crs`, and a valid geometry.
func validateGeoJSON(v any) (*geoShape, error) {
	if m, ok := v.(map[string]any); ok {
		if crs, has := m["crs"]; has && crs != nil {
			return nil, geoErr("Non-default coordinate reference systems are not supported in GeoJSON objects.  Make sure the `crs` field of the geometry is null or non-existent.")
		}
	}
	return parseGeometry(v)
}

// isGeometry reports whether v is a GEOMETRY pseudo-type.
func isGeometry(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m[reqlTypeField] == geometryType
}

// asGeometry is as_ptype(GEOMETRY).
func asGeometry(v any, t *Term) (map[string]any, error) {
	if !isGeometry(v) {
		return nil, typeErr("PTYPE<GEOMETRY>", v, t)
	}
	return v.(map[string]any), nil
}

// Constructors (construct_geo_*): coordinates as given, rings closed.

func geoPair(lon, lat float64) []any { return []any{lon, lat} }

func makeGeoPoint(lon, lat float64) map[string]any {
	return map[string]any{reqlTypeField: geometryType, "type": "Point", "coordinates": geoPair(lon, lat)}
}

func geoLineCoords(pts [][2]float64) []any {
	out := make([]any, len(pts))
	for i, p := range pts {
		out[i] = geoPair(p[0], p[1])
	}
	return out
}

func geoLoopCoords(pts [][2]float64) []any {
	out := geoLineCoords(pts)
	if len(pts) >= 1 && pts[0] != pts[len(pts)-1] {
		out = append(out, geoPair(pts[0][0], pts[0][1]))
	}
	return out
}

func makeGeoLine(pts [][2]float64) map[string]any {
	return map[string]any{reqlTypeField: geometryType, "type": "LineString", "coordinates": geoLineCoords(pts)}
}

func makeGeoPolygon(shell [][2]float64) map[string]any {
	return map[string]any{reqlTypeField: geometryType, "type": "Polygon", "coordinates": []any{geoLoopCoords(shell)}}
}

// Predicates.

// geoPolygonProject returns the distance (angle) from x to the polygon: 0
// inside or on it, else to its nearest edge, with that nearest point.
func geoPolygonProject(p *s2.Polygon, x s2.Point) (s1.Angle, s2.Point) {
	if p.ContainsPoint(x) {
		return 0, x
	}
	best := s1.InfAngle()
	bestPt := x
	for _, l := range p.Loops() {
		n := l.NumVertices()
		for i := 0; i < n; i++ {
			a, b := l.Vertex(i), l.Vertex(i+1)
			if d := s2.DistanceFromSegment(x, a, b); d < best {
				best = d
				bestPt = s2.Project(x, a, b)
			}
		}
	}
	return best, bestPt
}

// geoLineProject is the distance from x to a polyline and its nearest point.
func geoLineProject(l *s2.Polyline, x s2.Point) (s1.Angle, s2.Point) {
	best := s1.InfAngle()
	bestPt := x
	for i := 1; i < len(*l); i++ {
		a, b := (*l)[i-1], (*l)[i]
		if d := s2.DistanceFromSegment(x, a, b); d < best {
			best = d
			bestPt = s2.Project(x, a, b)
		}
	}
	return best, bestPt
}

func geoPolygonHasEdges(p *s2.Polygon) bool { return p.NumEdges() > 0 }

// lineTouchesPolygon: some vertex of the line in the polygon, or an edge
// of the line crossing an edge of the polygon.
func lineTouchesPolygon(l *s2.Polyline, p *s2.Polygon) bool {
	if !geoPolygonHasEdges(p) {
		return false
	}
	for _, v := range *l {
		if d, _ := geoPolygonProject(p, v); d == 0 {
			return true
		}
	}
	for i := 1; i < len(*l); i++ {
		for _, lp := range p.Loops() {
			c := s2.NewChainEdgeCrosser((*l)[i-1], (*l)[i], lp.Vertex(0))
			for j := 1; j <= lp.NumVertices(); j++ {
				if c.ChainCrossingSign(lp.Vertex(j)) != s2.DoNotCross {
					return true
				}
			}
		}
	}
	return false
}

// geoIntersects is geo_does_intersect.
func geoIntersects(a, b *geoShape) bool {
	if a.kind > b.kind {
		a, b = b, a
	}
	switch {
	case a.kind == geoPoint && b.kind == geoPoint:
		return a.pt == b.pt
	case a.kind == geoPoint && b.kind == geoLine:
		d, _ := geoLineProject(b.line, a.pt)
		return d == 0
	case a.kind == geoPoint && b.kind == geoPolygon:
		if !geoPolygonHasEdges(b.poly) {
			return false
		}
		d, _ := geoPolygonProject(b.poly, a.pt)
		return d == 0
	case a.kind == geoLine && b.kind == geoLine:
		return a.line.Intersects(b.line)
	case a.kind == geoLine && b.kind == geoPolygon:
		return lineTouchesPolygon(a.line, b.poly)
	default:
		if !geoPolygonHasEdges(a.poly) || !geoPolygonHasEdges(b.poly) {
			return false
		}
		return a.poly.Intersects(b.poly)
	}
}

// geoIncludes is geo_does_include: polygon p contains g entirely.
func geoIncludes(p *s2.Polygon, g *geoShape) bool {
	switch g.kind {
	case geoPoint:
		return geoIntersects(&geoShape{kind: geoPolygon, poly: p}, g)
	case geoLine:
		l := g.line
		for _, v := range *l {
			if d, _ := geoPolygonProject(p, v); d != 0 {
				return false
			}
		}
		// No edge may leave the polygon: no proper crossing with its boundary,
		// and the midpoint of every edge inside.
		for i := 1; i < len(*l); i++ {
			a, b := (*l)[i-1], (*l)[i]
			for _, lp := range p.Loops() {
				c := s2.NewChainEdgeCrosser(a, b, lp.Vertex(0))
				for j := 1; j <= lp.NumVertices(); j++ {
					if c.ChainCrossingSign(lp.Vertex(j)) == s2.Cross {
						return false
					}
				}
			}
			mid := s2.Point{Vector: a.Add(b.Vector).Normalize()}
			if d, _ := geoPolygonProject(p, mid); d != 0 {
				return false
			}
		}
		return true
	default:
		return p.Contains(g.poly)
	}
}

// ellipsoid is a reference ellipsoid (equator radius a, flattening f).
type ellipsoid struct{ a, f float64 }

var (
	wgs84      = ellipsoid{6378137.0, 1.0 / 298.257223563}
	unitSphere = ellipsoid{1.0, 0.0}
)

func (e ellipsoid) polesRadius() float64 { return (1 - e.f) * e.a }

func (e ellipsoid) geodesic() *geodesic { return newGeodesic(e.a, e.f) }

func s2Degrees(p s2.Point) (lat, lon float64) {
	ll := s2.LatLngFromPoint(p)
	return ll.Lat.Degrees(), ll.Lng.Degrees()
}

// geoDistance is geodesic_distance(point, geometry): the geodesic distance
// from p to the nearest point of g (its projection on the sphere), metres.
func geoDistance(p s2.Point, g *geoShape, e ellipsoid) float64 {
	lat1, lon1 := s2Degrees(p)
	gd := e.geodesic()
	var target s2.Point
	switch g.kind {
	case geoPoint:
		target = g.pt
	case geoLine:
		d, prj := geoLineProject(g.line, p)
		if d == 0 || prj == p {
			return 0
		}
		target = prj
	default:
		d, prj := geoPolygonProject(g.poly, p)
		if d == 0 || prj == p {
			return 0
		}
		target = prj
	}
	lat2, lon2 := s2Degrees(target)
	return gd.inverse(lat1, lon1, lat2, lon2)
}

// Distance units (parse_dist_unit).
func unitToMeters(u string) (float64, error) {
	switch u {
	case "m":
		return 1, nil
	case "km":
		return 1000, nil
	case "mi":
		return 1609.344, nil
	case "nm":
		return 1852, nil
	case "ft":
		return 0.3048, nil
	}
	return 0, geoErr("Unrecognized distance unit `%s`.", u)
}

// buildCircle is build_circle: num_vertices points at distance radius
// (metres) around center, closed.
func buildCircle(lon, lat, radius float64, n int, e ellipsoid) ([][2]float64, error) {
	if radius <= 0 {
		return nil, geoErr("Radius must be positive")
	}
	maxRadius := 0.5 * math.Pi * math.Min(e.a, e.polesRadius())
	if radius >= maxRadius {
		return nil, geoErr("Radius must be smaller than a quarter of the circumference along the minor axis of the reference ellipsoid.  Got %s, but must be smaller than %s.", fmtReconstructable(radius), fmtReconstructable(maxRadius))
	}
	gd := e.geodesic()
	out := make([][2]float64, 0, n+1)
	for i := 0; i < n; i++ {
		azimuth := -180.0 + (360.0 / float64(n) * float64(i))
		lat2, lon2 := gd.direct(lat, lon, azimuth, radius)
		out = append(out, [2]float64{lon2 + 0, lat2 + 0})
	}
	if n > 0 {
		out = append(out, out[0])
	}
	return out, nil
}
