package reql

// Geospatial terms (RethinkDB's src/rdb_protocol/terms/geo.cc): GEOJSON,
// TO_GEOJSON, POINT, LINE, POLYGON, CIRCLE, DISTANCE, INTERSECTS, INCLUDES,
// FILL, POLYGON_SUB; GET_INTERSECTING and GET_NEAREST are in geo_index.go.

func init() {
	register(TermGeojson, spec{minArgs: 1, maxArgs: 1, eval: evalGeojson})
	register(TermToGeojson, spec{minArgs: 1, maxArgs: 1, eval: evalToGeojson})
	register(TermPoint, spec{minArgs: 2, maxArgs: 2, eval: evalPoint})
	register(TermLine, spec{minArgs: 2, maxArgs: -1, eval: evalLine})
	register(TermPolygon, spec{minArgs: 3, maxArgs: -1, eval: evalPolygon})
	register(TermCircle, spec{minArgs: 2, maxArgs: 2, optargs: []string{"geo_system", "unit", "fill", "num_vertices"}, eval: evalCircle})
	register(TermDistance, spec{minArgs: 2, maxArgs: 2, optargs: []string{"geo_system", "unit"}, eval: evalDistance})
	register(TermIntersects, spec{minArgs: 2, maxArgs: 2, eval: evalIntersects})
	register(TermIncludes, spec{minArgs: 2, maxArgs: 2, eval: evalIncludes})
	register(TermFill, spec{minArgs: 1, maxArgs: 1, eval: evalFill})
	register(TermPolygonSub, spec{minArgs: 2, maxArgs: 2, eval: evalPolygonSub})
}

// evalGeometry evaluates an argument that must be a GEOMETRY.
func (c *evalCtx) evalGeometry(t *Term) (map[string]any, error) {
	v, err := c.evalDatum(t)
	if err != nil {
		return nil, err
	}
	return asGeometry(v, t)
}

func evalGeojson(c *evalCtx, t *Term) (any, error) {
	v, err := c.evalDatum(t.Args[0])
	if err != nil {
		return nil, err
	}
	if _, err := validateGeoJSON(v); err != nil {
		return nil, err
	}
	m := v.(map[string]any)
	if _, dup := m[reqlTypeField]; dup {
		return nil, newErr(ErrQueryLogic, "GeoJSON object already had a $reql_type$ field.")
	}
	out := make(map[string]any, len(m)+1)
	for k, e := range m {
		if k != "bbox" {
			out[k] = e
		}
	}
	out[reqlTypeField] = geometryType
	return out, nil
}

func evalToGeojson(c *evalCtx, t *Term) (any, error) {
	g, err := c.evalGeometry(t.Args[0])
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(g))
	for k, e := range g {
		if k != reqlTypeField {
			out[k] = e
		}
	}
	return out, nil
}

func evalPoint(c *evalCtx, t *Term) (any, error) {
	lon, err := c.evalNumber(t.Args[0])
	if err != nil {
		return nil, err
	}
	lat, err := c.evalNumber(t.Args[1])
	if err != nil {
		return nil, err
	}
	p := makeGeoPoint(lon, lat)
	if _, err := validateGeoJSON(p); err != nil {
		return nil, err
	}
	return p, nil
}

// parsePointArg is parse_point_argument: a Point geometry or a [lon, lat]
// pair.
func parsePointArg(v any, t *Term) (lon, lat float64, err error) {
	if isGeometry(v) {
		m := v.(map[string]any)
		typ, err := geoType(m)
		if err != nil {
			return 0, 0, err
		}
		if typ != "Point" {
			return 0, 0, geoErr("Expected geometry of type `Point` but found `%s`.", typ)
		}
		coords, err := geoField(m, "coordinates")
		if err != nil {
			return 0, 0, err
		}
		return geoPosition(coords)
	}
	a, ok := v.([]any)
	if !ok {
		return 0, 0, typeErr("ARRAY", v, t)
	}
	if len(a) != 2 {
		return 0, 0, withBacktrace(geoErr("Expected point coordinate pair.  Got %d element array instead of a 2 element one.", len(a)), t.bt)
	}
	if lon, err = geoNum(a[0]); err != nil {
		return 0, 0, err
	}
	if lat, err = geoNum(a[1]); err != nil {
		return 0, 0, err
	}
	return lon, lat, nil
}

func (c *evalCtx) geoLineArgs(t *Term) ([][2]float64, error) {
	pts := make([][2]float64, 0, len(t.Args))
	for _, a := range t.Args {
		v, err := c.evalDatum(a)
		if err != nil {
			return nil, err
		}
		lon, lat, err := parsePointArg(v, a)
		if err != nil {
			return nil, err
		}
		pts = append(pts, [2]float64{lon, lat})
	}
	return pts, nil
}

func geoValidated(g map[string]any) (any, error) {
	if _, err := validateGeoJSON(g); err != nil {
		return nil, err
	}
	return g, nil
}

func evalLine(c *evalCtx, t *Term) (any, error) {
	pts, err := c.geoLineArgs(t)
	if err != nil {
		return nil, err
	}
	return geoValidated(makeGeoLine(pts))
}

func evalPolygon(c *evalCtx, t *Term) (any, error) {
	pts, err := c.geoLineArgs(t)
	if err != nil {
		return nil, err
	}
	return geoValidated(makeGeoPolygon(pts))
}

// geoSystem is pick_reference_ellipsoid.
func (c *evalCtx) geoSystem(t *Term) (ellipsoid, error) {
	ot, ok := t.Optargs["geo_system"]
	if !ok {
		return wgs84, nil
	}
	v, err := c.evalDatum(ot)
	if err != nil {
		return ellipsoid{}, err
	}
	if m, isObj := v.(map[string]any); isObj && m[reqlTypeField] == nil {
		av, err := geoField(m, "a")
		if err != nil {
			return ellipsoid{}, err
		}
		a, err := geoNum(av)
		if err != nil {
			return ellipsoid{}, err
		}
		fv, err := geoField(m, "f")
		if err != nil {
			return ellipsoid{}, err
		}
		f, err := geoNum(fv)
		if err != nil {
			return ellipsoid{}, err
		}
		if !(a > 0) {
			return ellipsoid{}, withBacktrace(geoErr("The equator radius `a` must be positive."), ot.bt)
		}
		if !(f >= 0 && f < 1) {
			return ellipsoid{}, withBacktrace(geoErr("The flattening `f` must be in the range [0, 1)."), ot.bt)
		}
		return ellipsoid{a, f}, nil
	}
	s, ok := v.(string)
	if !ok {
		return ellipsoid{}, typeErr("STRING", v, ot)
	}
	switch s {
	case "WGS84":
		return wgs84, nil
	case "unit_sphere":
		return unitSphere, nil
	}
	return ellipsoid{}, withBacktrace(geoErr("Unrecognized geo system \"%s\" (valid options: \"WGS84\", \"unit_sphere\").", s), ot.bt)
}

// geoUnit is pick_dist_unit: metres per unit.
func (c *evalCtx) geoUnit(t *Term) (float64, error) {
	u, err := c.optString(t, "unit", "m")
	if err != nil {
		return 0, err
	}
	return unitToMeters(u)
}

func evalDistance(c *evalCtx, t *Term) (any, error) {
	g1, err := c.evalGeometry(t.Args[0])
	if err != nil {
		return nil, err
	}
	g2, err := c.evalGeometry(t.Args[1])
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
	typ, err := geoType(g1)
	if err != nil {
		return nil, err
	}
	pg, other := g2, g1
	if typ == "Point" {
		pg, other = g1, g2
	}
	ptyp, err := geoType(pg)
	if err != nil {
		return nil, err
	}
	if ptyp != "Point" {
		return nil, geoErr("Expected geometry of type `Point` but found `%s`.", ptyp)
	}
	p, err := parseGeometry(pg)
	if err != nil {
		return nil, err
	}
	g, err := parseGeometry(other)
	if err != nil {
		return nil, err
	}
	return geoDistance(p.pt, g, e) / unit, nil
}

func evalCircle(c *evalCtx, t *Term) (any, error) {
	center, err := c.evalDatum(t.Args[0])
	if err != nil {
		return nil, err
	}
	radius, err := c.evalNumber(t.Args[1])
	if err != nil {
		return nil, err
	}
	fill := true
	if ft, ok := t.Optargs["fill"]; ok {
		if fill, err = c.evalBool(ft); err != nil {
			return nil, err
		}
	}
	n := int64(32)
	if nt, ok := t.Optargs["num_vertices"]; ok {
		if n, err = c.evalInt(nt); err != nil {
			return nil, err
		}
		if n <= 0 {
			return nil, withBacktrace(geoErr("num_vertices must be positive."), nt.bt)
		}
		if n > int64(c.arrayLimit()) {
			return nil, withBacktrace(newErr(ErrResourceLimit, "Array over size limit `%d`.", c.arrayLimit()), nt.bt)
		}
	}
	e, err := c.geoSystem(t)
	if err != nil {
		return nil, err
	}
	unit, err := c.geoUnit(t)
	if err != nil {
		return nil, err
	}
	lon, lat, err := parsePointArg(center, t.Args[0])
	if err != nil {
		return nil, err
	}
	if _, err := geoS2Point(geoPair(lon, lat)); err != nil {
		return nil, err
	}
	pts, err := buildCircle(lon, lat, radius*unit, int(n), e)
	if err != nil {
		return nil, err
	}
	if fill {
		return geoValidated(makeGeoPolygon(pts))
	}
	return geoValidated(makeGeoLine(pts))
}

func evalFill(c *evalCtx, t *Term) (any, error) {
	g, err := c.evalGeometry(t.Args[0])
	if err != nil {
		return nil, err
	}
	typ, err := geoType(g)
	if err != nil {
		return nil, err
	}
	if typ != "LineString" {
		return nil, geoErr("Expected geometry of type `LineString` but found `%s`.", typ)
	}
	coords, err := geoField(g, "coordinates")
	if err != nil {
		return nil, err
	}
	a, err := geoArray(coords)
	if err != nil {
		return nil, err
	}
	pts := make([][2]float64, 0, len(a))
	for _, e := range a {
		lon, lat, err := geoPosition(e)
		if err != nil {
			return nil, err
		}
		pts = append(pts, [2]float64{lon, lat})
	}
	return geoValidated(makeGeoPolygon(pts))
}

func evalPolygonSub(c *evalCtx, t *Term) (any, error) {
	lhs, err := c.evalGeometry(t.Args[0])
	if err != nil {
		return nil, err
	}
	rhs, err := c.evalGeometry(t.Args[1])
	if err != nil {
		return nil, err
	}
	rc, err := geoField(rhs, "coordinates")
	if err != nil {
		return nil, err
	}
	ra, err := geoArray(rc)
	if err != nil {
		return nil, err
	}
	if len(ra) > 1 {
		return nil, withBacktrace(geoErr("The second argument to `polygon_sub` must be a Polygon with only an outer shell.  This one has holes."), t.Args[1].bt)
	}
	lc, err := geoField(lhs, "coordinates")
	if err != nil {
		return nil, err
	}
	la, err := geoArray(lc)
	if err != nil {
		return nil, err
	}
	if len(la) < 1 {
		return nil, withBacktrace(geoErr("The first argument to `polygon_sub` is an empty polygon.  It must at least have an outer shell."), t.Args[0].bt)
	}
	ltyp, err := geoType(lhs)
	if err != nil {
		return nil, err
	}
	if ltyp != "Polygon" {
		return nil, geoErr("Expected geometry of type `Polygon` but found `%s`.", ltyp)
	}
	lp, err := parseGeometry(lhs)
	if err != nil {
		return nil, err
	}
	rg, err := parseGeometry(rhs)
	if err != nil {
		return nil, err
	}
	if !geoIncludes(lp.poly, rg) {
		return nil, geoErr("The second argument to `polygon_sub` is not contained in the first one.")
	}
	if len(ra) < 1 {
		return nil, geoErr("The polygon is empty. It must have at least an outer shell.")
	}
	coords := make([]any, 0, len(la)+1)
	coords = append(coords, la...)
	coords = append(coords, ra[0])
	if len(coords) > c.arrayLimit() {
		return nil, newErr(ErrResourceLimit, "Array over size limit `%d`.", c.arrayLimit())
	}
	out := map[string]any{reqlTypeField: geometryType, "type": "Polygon", "coordinates": coords}
	return geoValidated(out)
}

// INTERSECTS and INCLUDES are obj-or-seq terms: on a geometry they test, on
// a sequence they filter (RethinkDB's geo_obj_or_seq_op_term_t).

func evalIntersects(c *evalCtx, t *Term) (any, error) {
	return c.geoObjOrSeq(t, "intersects", func(g map[string]any, other map[string]any) (bool, error) {
		a, err := parseGeometry(g)
		if err != nil {
			return false, err
		}
		b, err := parseGeometry(other)
		if err != nil {
			return false, err
		}
		return geoIntersects(a, b), nil
	})
}

func evalIncludes(c *evalCtx, t *Term) (any, error) {
	return c.geoObjOrSeq(t, "includes", func(g map[string]any, other map[string]any) (bool, error) {
		typ, err := geoType(g)
		if err != nil {
			return false, err
		}
		if typ != "Polygon" {
			return false, geoErr("Expected geometry of type `Polygon` but found `%s`.", typ)
		}
		a, err := parseGeometry(g)
		if err != nil {
			return false, err
		}
		b, err := parseGeometry(other)
		if err != nil {
			return false, err
		}
		return geoIncludes(a.poly, b), nil
	})
}

func (c *evalCtx) geoObjOrSeq(t *Term, name string, test func(g, other map[string]any) (bool, error)) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	var other map[string]any
	otherOf := func() (map[string]any, error) {
		if other == nil {
			o, err := c.evalGeometry(t.Args[1])
			if err != nil {
				return nil, err
			}
			other = o
		}
		return other, nil
	}
	one := func(d any, nested bool) (bool, error) {
		switch x := d.(type) {
		case map[string]any:
			if pt, ok := x[reqlTypeField].(string); ok && pt != geometryType {
				return false, newErr(ErrQueryLogic, "Cannot call `%s` on objects of type `%s`.", name, typeName(x))
			}
			if _, err := asGeometry(x, t.Args[0]); err != nil {
				return false, err
			}
			o, err := otherOf()
			if err != nil {
				return false, err
			}
			return test(x, o)
		case []any:
			if nested {
				return false, newErr(ErrQueryLogic, "Cannot perform %s on a sequence of sequences.", name)
			}
		}
		return false, newErr(objIsExc(d), "Cannot perform %s on a non-object non-sequence `%s`.", name, tmTruncPrint(d))
	}
	keep := func(e any) (bool, error) {
		ok, err := one(e, true)
		if err != nil {
			if objIsNonExistence(err) {
				return false, nil
			}
			return false, withBacktrace(err, t.bt)
		}
		return ok, nil
	}
	switch x := v.(type) {
	case *Database, *Func:
		return nil, newErr(ErrQueryLogic, "Cannot perform %s on a non-object non-sequence `%s`.", name, objValuePrint(v))
	case *SingleSelection:
		var d any
		if x.doc != nil {
			d = x.doc
		}
		return one(d, false)
	case *Table, *Selection, Stream:
		if _, err := otherOf(); err != nil {
			return nil, err
		}
		src, err := c.toStream(v, t.Args[0])
		if err != nil {
			return nil, err
		}
		s := &objStream{src: src, f: func(e any) (any, bool, error) {
			ok, err := keep(e)
			return e, ok, err
		}}
		switch tv := v.(type) {
		case *Table:
			return &Selection{table: tv, stream: s}, nil
		case *Selection:
			return &Selection{table: tv.table, stream: s}, nil
		}
		return s, nil
	case []any:
		if _, err := otherOf(); err != nil {
			return nil, err
		}
		out := []any{}
		for _, e := range x {
			ok, err := keep(e)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, e)
			}
		}
		return out, nil
	}
	return one(v, false)
}
