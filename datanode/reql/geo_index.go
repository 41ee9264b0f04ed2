package reql

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/golang/geo/s1"
	"github.com/golang/geo/s2"
)

// Geospatial secondary indexes. A geo index stores one entry per S2 cell of
// a covering of the document's geometry (RethinkDB's compute_index_grid_keys,
// at most geoGoalCells cells), keyed by "GC" + the cell id in 16 hex digits,
// so that the byte order of keys is the order of cell ids. A query reads,
// for every cell q of the covering of its own geometry, the entries in
// [q.RangeMin, q.RangeMax] (q and its descendants) and the entries of q's
// ancestors: exactly the stored cells that intersect q. Candidates are then
// deduplicated and tested exactly.

const geoGoalCells = 8

func geoCellKeyString(id s2.CellID) string { return fmt.Sprintf("GC%016x", uint64(id)) }

func geoCellKey(id s2.CellID) []byte {
	k, _ := EncodeIndexKey(geoCellKeyString(id))
	return k
}

// geoCovering is the covering of a geometry used for index entries and
// queries.
func geoCovering(g *geoShape) []s2.CellID {
	switch g.kind {
	case geoPoint:
		return []s2.CellID{s2.CellFromPoint(g.pt).ID()}
	case geoLine:
		rc := &s2.RegionCoverer{MaxLevel: s2.MaxLevel, MaxCells: geoGoalCells, LevelMod: 1}
		return rc.Covering(g.line)
	default:
		rc := &s2.RegionCoverer{MaxLevel: s2.MaxLevel, MaxCells: geoGoalCells, LevelMod: 1}
		return rc.Covering(g.poly)
	}
}

// geoIndexKeys computes a geo index's entries for the value of its function:
// a geometry, or (multi) an array of geometries. Values that are not valid
// geometries have no entries, as in RethinkDB.
func geoIndexKeys(v any, multi bool) [][]byte {
	values := []any{v}
	if arr, ok := v.([]any); ok && multi {
		values = arr
	}
	seen := map[s2.CellID]bool{}
	var keys [][]byte
	for _, val := range values {
		if !isGeometry(val) {
			continue
		}
		g, err := parseGeometry(val)
		if err != nil {
			continue
		}
		for _, id := range geoCovering(g) {
			if !seen[id] {
				seen[id] = true
				keys = append(keys, geoCellKey(id))
			}
		}
	}
	return keys
}

// geoQueryRanges are the key ranges of a geo index that hold every entry
// whose cell intersects one of the cells.
func geoQueryRanges(cells []s2.CellID) []KeyRange {
	var out []KeyRange
	exact := map[s2.CellID]bool{}
	for _, q := range cells {
		out = append(out, KeyRange{Lower: geoCellKey(q.RangeMin()), Upper: geoCellKey(q.RangeMax())})
		for l := 0; l < q.Level(); l++ {
			exact[q.Parent(l)] = true
		}
	}
	ids := make([]s2.CellID, 0, len(exact))
	for id := range exact {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		k := geoCellKey(id)
		out = append(out, KeyRange{Lower: k, Upper: k})
	}
	return out
}

// geoIndexRefused is RethinkDB's error for reading a geo index with an
// ordinary indexed operation (between, get_all, order_by).
func geoIndexRefused(tbl *Table, index string) error {
	for _, ix := range tbl.store.Indexes() {
		if ix.Name == index && ix.Geo {
			return newErr(ErrQueryLogic, "Index `%s` is a geospatial index.  Only get_nearest and get_intersecting can use a geospatial index.", index)
		}
	}
	return nil
}

func init() {
	register(TermGetIntersecting, spec{minArgs: 2, maxArgs: 2, optargs: []string{"index"}, eval: evalGetIntersecting})
	register(TermGetNearest, spec{minArgs: 2, maxArgs: 2, optargs: []string{"index", "max_results", "max_dist", "geo_system", "unit"}, eval: evalGetNearest})
}

// geoIndexArg checks the `index` optarg of get_intersecting/get_nearest and
// returns the index with its function.
func (c *evalCtx) geoIndexArg(t *Term, tbl *Table, term string) (IndexConfig, *Func, error) {
	it, ok := t.Optargs["index"]
	if !ok {
		return IndexConfig{}, nil, newErr(ErrQueryLogic, "%s requires an index argument.", term)
	}
	name, err := c.evalString(it)
	if err != nil {
		return IndexConfig{}, nil, err
	}
	if name == tbl.store.Config().PrimaryKey {
		return IndexConfig{}, nil, newErr(ErrQueryLogic, "%s cannot use the primary index.", term)
	}
	ix, f, err := c.secondaryIndex(tbl, name)
	if err != nil {
		return IndexConfig{}, nil, err
	}
	if !ix.Geo {
		return IndexConfig{}, nil, newErr(ErrQueryLogic, "Index `%s` is not a geospatial index.  %s can only be used with a geospatial index.", name, term)
	}
	return ix, f, nil
}

// geoDocShapes evaluates a geo index's function on a document: its
// geometries (several for a multi index). Documents on which it fails have
// none.
func (c *evalCtx) geoDocShapes(ix IndexConfig, f *Func, doc any) []*geoShape {
	v, err := c.call(f, doc)
	if err != nil {
		return nil
	}
	values := []any{v}
	if arr, ok := v.([]any); ok && ix.Multi {
		values = arr
	}
	var out []*geoShape
	for _, val := range values {
		if !isGeometry(val) {
			continue
		}
		if g, err := parseGeometry(val); err == nil {
			out = append(out, g)
		}
	}
	return out
}

// geoCandidates streams the distinct documents found through a geo index
// over key ranges, keeping those that accept says to.
type geoCandidates struct {
	c      *evalCtx
	table  *Table
	index  string
	ranges []KeyRange
	cur    *indexRangeStream
	seen   map[string]bool
	accept func(doc map[string]any) (bool, error)
}

func (s *geoCandidates) Next(ctx context.Context) (any, bool, error) {
	pk := s.table.store.Config().PrimaryKey
	for {
		if s.cur == nil {
			if len(s.ranges) == 0 {
				return nil, false, nil
			}
			s.cur = &indexRangeStream{table: s.table, index: s.index, r: s.ranges[0]}
			s.ranges = s.ranges[1:]
		}
		v, ok, err := s.cur.Next(ctx)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			s.cur.Close()
			s.cur = nil
			continue
		}
		doc, _ := v.(map[string]any)
		k, _ := EncodeIndexKey(doc[pk])
		if s.seen[string(k)] {
			continue
		}
		s.seen[string(k)] = true
		keep, err := s.accept(doc)
		if err != nil {
			return nil, false, err
		}
		if keep {
			return doc, true, nil
		}
	}
}

func (s *geoCandidates) Close() error {
	s.ranges = nil
	if s.cur != nil {
		err := s.cur.Close()
		s.cur = nil
		return err
	}
	return nil
}

func evalGetIntersecting(c *evalCtx, t *Term) (any, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, err
	}
	qd, err := c.evalGeometry(t.Args[1])
	if err != nil {
		return nil, err
	}
	ix, f, err := c.geoIndexArg(t, tbl, "get_intersecting")
	if err != nil {
		return nil, err
	}
	q, err := parseGeometry(qd)
	if err != nil {
		return nil, err
	}
	scope := c.scope
	match := func(doc map[string]any) (bool, error) {
		saved := c.scope
		c.scope = scope
		defer func() { c.scope = saved }()
		for _, g := range c.geoDocShapes(ix, f, doc) {
			if geoIntersects(g, q) {
				return true, nil
			}
		}
		return false, nil
	}
	s := &geoCandidates{c: c, table: tbl, index: ix.Name, ranges: geoQueryRanges(geoCovering(q)), seen: map[string]bool{}, accept: match}
	return &Selection{table: tbl, stream: s, feedOK: true, feedMatch: match}, nil
}

// geoCapAngle is the angle of a spherical cap (on S2's sphere, with
// geodetic latitudes) that contains every point within geodesic distance d
// of its centre on the ellipsoid: the ellipsoid's radii of curvature are at
// least a(1-f)^2, so a path of length d spans at most d/(a(1-f)^2) radians.
func geoCapAngle(d float64, e ellipsoid) float64 {
	minCurv := e.a * (1 - e.f) * (1 - e.f)
	return d/minCurv*(1+1e-9) + 1e-12
}

type geoNearHit struct {
	dist float64
	key  string
	doc  map[string]any
}

func evalGetNearest(c *evalCtx, t *Term) (any, error) {
	tbl, err := c.evalTableArg(t.Args[0])
	if err != nil {
		return nil, err
	}
	center, err := c.evalDatum(t.Args[1])
	if err != nil {
		return nil, err
	}
	ix, f, err := c.geoIndexArg(t, tbl, "get_nearest")
	if err != nil {
		return nil, err
	}
	lon, lat, err := parsePointArg(center, t.Args[1])
	if err != nil {
		return nil, err
	}
	cp, err := geoS2Point(geoPair(lon, lat))
	if err != nil {
		return nil, err
	}
	e, err := c.geoSystem(t)
	if err != nil {
		return nil, err
	}
	unit, err := c.geoUnit(t)
	if err != nil {
		return nil, err
	}
	maxDist := 100000.0
	if mt, ok := t.Optargs["max_dist"]; ok {
		n, err := c.evalNumber(mt)
		if err != nil {
			return nil, err
		}
		maxDist = n * unit
		if !(maxDist > 0) {
			return nil, withBacktrace(geoErr("max_dist must be positive."), mt.bt)
		}
	}
	maxResults := int64(100)
	if mt, ok := t.Optargs["max_results"]; ok {
		if maxResults, err = c.evalInt(mt); err != nil {
			return nil, err
		}
		if maxResults <= 0 {
			return nil, withBacktrace(geoErr("max_results must be positive."), mt.bt)
		}
	}
	limit := int64(c.arrayLimit())
	if maxResults > limit {
		maxResults = limit + 1 // more than the limit fails below
	}
	pk := tbl.store.Config().PrimaryKey
	// Search caps of growing radius: after the round of radius r, every
	// document within r is known, so the nearest ones are final.
	r := math.Min(maxDist, e.a*1e-4)
	var hits []geoNearHit
	for {
		angle := geoCapAngle(r, e)
		var cells []s2.CellID
		if angle >= math.Pi {
			cells = []s2.CellID{}
			for face := 0; face < 6; face++ {
				cells = append(cells, s2.CellIDFromFace(face))
			}
		} else {
			capR := s2.CapFromCenterAngle(cp, s1.Angle(angle))
			rc := &s2.RegionCoverer{MaxLevel: s2.MaxLevel, MaxCells: geoGoalCells, LevelMod: 1}
			cells = rc.Covering(capR)
		}
		hits = hits[:0]
		src := &geoCandidates{c: c, table: tbl, index: ix.Name, ranges: geoQueryRanges(cells), seen: map[string]bool{}, accept: func(map[string]any) (bool, error) { return true, nil }}
		for {
			v, ok, err := src.Next(c.ctx)
			if err != nil {
				src.Close()
				return nil, err
			}
			if !ok {
				break
			}
			doc := v.(map[string]any)
			best := math.Inf(1)
			for _, g := range c.geoDocShapes(ix, f, doc) {
				if d := geoDistance(cp, g, e); d < best {
					best = d
				}
			}
			if best <= r {
				k, _ := EncodeIndexKey(doc[pk])
				hits = append(hits, geoNearHit{dist: best, key: string(k), doc: doc})
			}
		}
		src.Close()
		if int64(len(hits)) >= maxResults || r >= maxDist {
			break
		}
		r = math.Min(r*4, maxDist)
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].dist != hits[j].dist {
			return hits[i].dist < hits[j].dist
		}
		return hits[i].key < hits[j].key
	})
	if int64(len(hits)) > maxResults {
		hits = hits[:maxResults]
	}
	if int64(len(hits)) > limit {
		return nil, newErr(ErrResourceLimit, "Array over size limit `%d`.", limit)
	}
	out := make([]any, len(hits))
	for i, h := range hits {
		out[i] = map[string]any{"dist": h.dist / unit, "doc": h.doc}
	}
	return out, nil
}
