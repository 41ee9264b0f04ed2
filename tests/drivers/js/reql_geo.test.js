'use strict';
// Geospatial ReQL through the official driver: constructors and validation,
// GeoJSON, distances (Karney on WGS84, as RethinkDB), predicates, and geo
// indexes with getIntersecting / getNearest.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, expectReject, toArray } = require('./harness');

const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

describe('ReQL geospatial', { timeout: 60000 }, () => {
  let server;
  let conn;
  const T = () => r.db('test').table('geo');
  before(async () => {
    server = await startServer();
    conn = await server.connect();
    await r.db('test').tableCreate('geo').run(conn);
    await T().insert([
      { id: 0, g: r.point(10, 10), m: [r.point(0, 0), r.point(1, 0), r.point(2, 0)] },
      { id: 1, g: r.polygon([0, 0], [0, 1], [1, 1], [1, 0]) },
      { id: 2, g: r.line([0.000002, -1], [-0.000001, 1]) },
    ]).run(conn);
    await T().indexCreate('g', { geo: true }).run(conn);
    await T().indexCreate('m', { geo: true, multi: true }).run(conn);
    await T().indexCreate('other').run(conn);
    await T().indexWait().run(conn);
  });
  after(async () => { if (server) await server.dispose(); });

  const plain = (x) => JSON.parse(JSON.stringify(x));
  const run = async (q) => plain(await q.run(conn));
  async function fails(q, errClass, msg) {
    const err = await expectReject(run(q), errClass, String(q));
    assert.equal(err.msg, msg);
    return err;
  }

  it('point, line, polygon and their validation errors', async () => {
    assert.deepEqual(await run(r.point(-122.4, 37.7)),
      { $reql_type$: 'GEOMETRY', type: 'Point', coordinates: [-122.4, 37.7] });
    assert.deepEqual(await run(r.line([0, 0], r.point(0, 1))),
      { $reql_type$: 'GEOMETRY', type: 'LineString', coordinates: [[0, 0], [0, 1]] });
    assert.deepEqual(await run(r.polygon([0, 0], [0, 1], [1, 0])),
      { $reql_type$: 'GEOMETRY', type: 'Polygon', coordinates: [[[0, 0], [0, 1], [1, 0], [0, 0]]] });
    await fails(r.point(0, 91), r.Error.ReqlQueryLogicError, 'Latitude must be between -90 and 90.  Got 91.');
    await fails(r.point(-181, 0), r.Error.ReqlQueryLogicError, 'Longitude must be between -180 and 180.  Got -181.');
    await fails(r.line([0, 0], [0, 0]), r.Error.ReqlQueryLogicError,
      'Invalid LineString.  Are there antipodal or duplicate vertices?');
    await fails(r.line([0, 0], [1]), r.Error.ReqlQueryLogicError,
      'Expected point coordinate pair.  Got 1 element array instead of a 2 element one.');
    await fails(r.polygon([0, 0], [0, 1], [1, 0], [-1, 0.5]), r.Error.ReqlQueryLogicError,
      'Invalid LinearRing.  Are there antipodal or duplicate vertices? Is it self-intersecting?');
    await fails(r.polygon(r.point(0, 0), r.point(0, 1), r.line([0, 0], [0, 1])), r.Error.ReqlQueryLogicError,
      'Expected geometry of type `Point` but found `LineString`.');
    await fails(r.polygon([0, 0], [0, 1]), r.Error.ReqlCompileError, 'Expected 3 or more arguments but found 2.');
  });

  it('geojson and toGeojson', async () => {
    assert.deepEqual(await run(r.geojson({ type: 'Point', coordinates: [1, 2], bbox: [1, 2, 1, 2] })),
      { $reql_type$: 'GEOMETRY', type: 'Point', coordinates: [1, 2] });
    assert.deepEqual(await run(r.point(1, 2).toGeojson()), { type: 'Point', coordinates: [1, 2] });
    await fails(r.geojson({ type: 'MultiPoint', coordinates: [[0, 0]] }), r.Error.ReqlQueryLogicError,
      'GeoJSON type `MultiPoint` is not supported.');
    await fails(r.geojson({ type: 'foo', coordinates: [0, 0] }), r.Error.ReqlQueryLogicError,
      'Unrecognized GeoJSON type `foo`.');
    await fails(r.geojson({ coordinates: [0, 0] }), r.Error.ReqlNonExistenceError,
      'No attribute `type` in object:\n{\n\t"coordinates":\t[\n\t\t0,\n\t\t0\n\t]\n}');
    await fails(r.expr({ a: 1 }).toGeojson(), r.Error.ReqlQueryLogicError, 'Expected type PTYPE<GEOMETRY> but found OBJECT.');
  });

  it('distance in every unit and geo system, equal to RethinkDB', async () => {
    const d = await run(r.distance(r.point(-122, 37), r.point(-123, 37)));
    assert.ok(close(d, 89011.262538353315904), String(d));
    assert.ok(close(await run(r.point(-122, 37).distance(r.point(-122, 36))), 110968.30443995493988));
    assert.ok(close(await run(r.distance(r.point(-122, 37), r.point(-123, 37), { unit: 'km' })), 89.011262538353315904));
    assert.ok(close(await run(r.distance(r.point(-122, 37), r.point(-123, 37), { unit: 'mi' })), 89011.262538353315904 / 1609.344));
    assert.ok(close(await run(r.distance(r.point(-122, 37), r.point(-123, 37), { unit: 'nm' })), 89011.262538353315904 / 1852));
    assert.ok(close(await run(r.distance(r.point(-122, 37), r.point(-123, 37), { unit: 'ft' })), 89011.262538353315904 / 0.3048));
    assert.ok(close(await run(r.distance(r.point(-122, 37), r.point(-123, 37), { geoSystem: 'unit_sphere' })), 0.01393875509649327056));
    assert.ok(close(await run(r.distance(r.point(0, 0), r.point(180, 0)).mul(2)), 40007862.91725089401));
    assert.ok(close(await run(r.distance(r.point(0, 0), r.line([5, -1], [4, 2]))), 492471.49900552548934));
    assert.equal(await run(r.distance(r.point(0.5, 0.5), r.polygon([0, -1], [0, 1], [10, 10]))), 0);
    await fails(r.distance(r.point(0, 0), r.point(1, 1), { unit: 'yd' }), r.Error.ReqlQueryLogicError,
      'Unrecognized distance unit `yd`.');
    await fails(r.distance(r.point(0, 0), r.point(1, 1), { geoSystem: 'mars' }), r.Error.ReqlQueryLogicError,
      'Unrecognized geo system "mars" (valid options: "WGS84", "unit_sphere").');
  });

  it('circle, fill and polygonSub', async () => {
    const c = await run(r.circle([0, 0], 1, { numVertices: 3 }));
    assert.equal(c.type, 'Polygon');
    const want = [[0, -9.04369477050382e-06], [-7.779638566553426e-06, 4.5218473852518965e-06],
      [7.779638566553426e-06, 4.5218473852518965e-06], [0, -9.04369477050382e-06]];
    c.coordinates[0].forEach((p, i) => { assert.ok(close(p[0] * 1e6, want[i][0] * 1e6) && close(p[1] * 1e6, want[i][1] * 1e6)); });
    assert.equal((await run(r.circle(r.point(0, 0), 1, { fill: false }))).type, 'LineString');
    assert.equal(await run(r.circle([0, 0], 1, { fill: false }).fill().eq(r.circle([0, 0], 1))), true);
    assert.equal((await run(r.circle([0, 0], 1)))['coordinates'][0].length, 33);
    await fails(r.circle([0, 0], 10000000), r.Error.ReqlQueryLogicError,
      'Radius must be smaller than a quarter of the circumference along the minor axis of the reference ellipsoid.  Got 10000000, but must be smaller than 9985163.1855612862855.');
    await fails(r.circle([0, 0], 1, { numVertices: 0 }), r.Error.ReqlQueryLogicError, 'num_vertices must be positive.');
    const outer = r.polygon([0, 0], [0, 1], [1, 1], [1, 0]);
    const inner = r.polygon([0.1, 0.1], [0.1, 0.9], [0.9, 0.9], [0.9, 0.1]);
    assert.deepEqual((await run(outer.polygonSub(inner))).coordinates.length, 2);
    assert.equal(await run(outer.polygonSub(inner).intersects(r.point(0.5, 0.5))), false);
    await fails(inner.polygonSub(outer), r.Error.ReqlQueryLogicError,
      'The second argument to `polygon_sub` is not contained in the first one.');
  });

  it('intersects and includes, also as filters on sequences', async () => {
    const sq = r.polygon([0, 0], [0, 1], [1, 1], [1, 0]);
    assert.equal(await run(sq.intersects(r.point(0.5, 0.5))), true);
    assert.equal(await run(sq.intersects(r.line([-1, 0.5], [2, 0.5]))), true);
    assert.equal(await run(sq.intersects(r.point(2, 2))), false);
    assert.equal(await run(sq.includes(r.line([0.2, 0.5], [0.8, 0.5]))), true);
    assert.equal(await run(sq.includes(r.line([0.2, 0.5], [1.8, 0.5]))), false);
    const pts = await run(r.expr([r.point(0.5, 0.5), r.point(3, 3)]).intersects(sq));
    assert.deepEqual(pts.map((p) => p.coordinates), [[0.5, 0.5]]);
    const ids = await run(T()('g').intersects(r.point(0.5, 0.5)).count());
    assert.equal(ids, 1);
    await fails(r.expr(1).intersects(sq), r.Error.ReqlQueryLogicError, 'Cannot perform intersects on a non-object non-sequence `1`.');
    await fails(r.point(0, 0).includes(r.point(0, 0)), r.Error.ReqlQueryLogicError,
      'Expected geometry of type `Polygon` but found `Point`.');
  });

  it('getIntersecting through geo and multi geo indexes', async () => {
    const ids = async (q) => plain(await toArray(await q.run(conn))).map((d) => d.id).sort();
    assert.deepEqual(await ids(T().getIntersecting(r.point(0, 0), { index: 'g' })), [1]);
    assert.deepEqual(await ids(T().getIntersecting(r.line([0, 0], [10, 10]), { index: 'g' })), [0, 1, 2]);
    assert.deepEqual(await ids(T().getIntersecting(r.polygon([0, 0], [1, 0], [1, 1], [0, 1]), { index: 'g' })), [1, 2]);
    assert.deepEqual(await ids(T().getIntersecting(r.point(1, 0), { index: 'm' })), [0]);
    assert.deepEqual(await ids(T().getIntersecting(r.circle([0, 0], 500000), { index: 'm' })), [0]);
    assert.equal(await run(T().getIntersecting(r.point(0, 0), { index: 'g' }).typeOf()), 'SELECTION<STREAM>');
    await fails(T().getIntersecting(r.point(0, 0), { index: 'other' }), r.Error.ReqlQueryLogicError,
      'Index `other` is not a geospatial index.  get_intersecting can only be used with a geospatial index.');
    await fails(T().getIntersecting(r.point(0, 0), { index: 'id' }), r.Error.ReqlQueryLogicError,
      'get_intersecting cannot use the primary index.');
    await fails(T().between(0, 1, { index: 'g' }), r.Error.ReqlQueryLogicError,
      'Index `g` is a geospatial index.  Only get_nearest and get_intersecting can use a geospatial index.');
    const st = await run(T().indexStatus('g'));
    assert.equal(st[0].geo, true);
  });

  it('getNearest sorted by distance, with max_dist, max_results and units', async () => {
    const near = async (pt, opts) => (await run(T().getNearest(pt, Object.assign({ index: 'g' }, opts))))
      .map((h) => [h.doc.id, h.dist]);
    let res = await near(r.point(0, 0), {});
    assert.deepEqual(res.map((h) => h[0]), [1, 2]);
    assert.ok(close(res[1][1], 0.055659745396754216));
    res = await near(r.point(0, 0), { maxDist: 1566, unit: 'km' });
    assert.deepEqual(res.map((h) => h[0]), [1, 2, 0]);
    assert.ok(close(res[2][1], 1565.1090992178897));
    res = await near(r.point(0, 0), { maxDist: 1565110, maxResults: 2 });
    assert.deepEqual(res.map((h) => h[0]), [1, 2]);
    // Beyond RethinkDB, which refuses a max_dist of a quarter circumference.
    res = await near(r.point(-170, 0), { maxDist: 20000000 });
    assert.deepEqual(res.map((h) => h[0]), [0, 2, 1]);
    await fails(T().getNearest(r.point(0, 0), { index: 'g', maxDist: -1 }), r.Error.ReqlQueryLogicError, 'max_dist must be positive.');
    await fails(T().getNearest(r.point(0, 0)), r.Error.ReqlQueryLogicError, 'get_nearest requires an index argument.');
  });
});
