'use strict';
// Joins through the official driver: eqJoin (primary key, secondary index,
// multi index, ordered), innerJoin, outerJoin and zip, with RethinkDB's
// errors.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, expectReject, toArray, plain } = require('./harness');

describe('joins', { timeout: 120000 }, () => {
  let server;
  let conn;
  const players = () => r.table('players');
  const teams = () => r.table('teams');
  const rows = async (q) => toArray(await q.run(conn));

  before(async () => {
    server = await startServer();
    conn = await server.connect();
    await r.tableCreate('players').run(conn);
    await r.tableCreate('teams', { primaryKey: 'code' }).run(conn);
    await players().insert([
      { id: 1, player: 'George', gameId: 1, team: 'red' },
      { id: 2, player: 'Agatha', gameId: 3, team: 'blue' },
      { id: 3, player: 'Fred', gameId: 3, team: 'red' },
      { id: 4, player: 'Marie', gameId: 2 },
      { id: 5, player: 'Earnest', gameId: 1, team: null },
      { id: 6, player: 'Beth', gameId: 9, team: 'green' },
    ]).run(conn);
    await r.tableCreate('games').run(conn);
    await r.table('games').insert([
      { id: 1, field: 'Little Delving' },
      { id: 2, field: 'Rushock Bog' },
      { id: 3, field: 'Bucklebury' },
    ]).run(conn);
    await teams().insert([
      { code: 'red', color: 'r', league: 'north', players: [1, 3, 3] },
      { code: 'blue', color: 'b', league: 'south', players: [2, 3] },
      { code: 'gold', color: 'g', league: 'north', players: [] },
    ]).run(conn);
    await teams().indexCreate('league').run(conn);
    await teams().indexCreate('players', { multi: true }).run(conn);
    await teams().indexWait().run(conn);
  });
  after(async () => { if (server) await server.dispose(); });

  it('eqJoin on the primary key, then zip (API reference example)', async () => {
    // zip merges right over left: the API reference drops right.id first.
    const got = await rows(players().eqJoin('gameId', r.table('games')).without({ right: 'id' }).zip().orderBy('id'));
    assert.deepEqual(got.map((d) => [d.id, d.player, d.field]), [
      [1, 'George', 'Little Delving'],
      [2, 'Agatha', 'Bucklebury'],
      [3, 'Fred', 'Bucklebury'],
      [4, 'Marie', 'Rushock Bog'],
      [5, 'Earnest', 'Little Delving'],
    ]);
    // Pairs are {left, right}.
    const pairs = await rows(players().eqJoin('gameId', r.table('games')).filter({ left: { id: 2 } }));
    assert.deepEqual(pairs, [{ left: { id: 2, player: 'Agatha', gameId: 3, team: 'blue' }, right: { id: 3, field: 'Bucklebury' } }]);
  });

  it('eqJoin skips rows whose value is missing, null or unmatched; right table primary key is the default index', async () => {
    const got = await rows(players().eqJoin('team', teams()).map((p) => [p('left')('id'), p('right')('code')]));
    assert.deepEqual(got.sort((a, b) => a[0] - b[0]), [[1, 'red'], [2, 'blue'], [3, 'red']]);
    assert.equal(await players().eqJoin((p) => p('team'), teams()).count().run(conn), 3);
    assert.equal(await players().eqJoin('nope', teams()).count().run(conn), 0);
    assert.equal(await players().eqJoin(() => null, teams()).count().run(conn), 0);
    assert.equal(await players().eqJoin(r.row('team'), teams()).count().run(conn), 3);
  });

  it('eqJoin with a secondary index, then zip', async () => {
    const got = await rows(r.expr([{ l: 'north', n: 1 }, { l: 'south', n: 2 }, { l: 'east', n: 3 }])
      .eqJoin('l', teams(), { index: 'league' }).zip());
    assert.deepEqual(plain(got), [
      { l: 'north', n: 1, code: 'gold', color: 'g', league: 'north', players: [] },
      { l: 'north', n: 1, code: 'red', color: 'r', league: 'north', players: [1, 3, 3] },
      { l: 'south', n: 2, code: 'blue', color: 'b', league: 'south', players: [2, 3] },
    ]);
  });

  it('eqJoin with a multi index gives one result per matching document', async () => {
    const got = await rows(players().eqJoin('id', teams(), { index: 'players' })
      .map((p) => [p('left')('id'), p('right')('code')]));
    assert.deepEqual(got.sort(), [[1, 'red'], [2, 'blue'], [3, 'blue'], [3, 'red']].sort());
  });

  it('eqJoin ordered keeps the order of the left sequence', async () => {
    const got = await rows(players().orderBy({ index: r.desc('id') })
      .eqJoin('gameId', r.table('games'), { ordered: true })('left')('id'));
    assert.deepEqual(got, [5, 4, 3, 2, 1]);
  });

  it('eqJoin streams lazily over an infinite left sequence', async () => {
    const got = await rows(r.range().eqJoin((x) => x, r.table('games')).limit(2));
    assert.deepEqual(got, [{ left: 1, right: { id: 1, field: 'Little Delving' } }, { left: 2, right: { id: 2, field: 'Rushock Bog' } }]);
    const zipped = await rows(r.range().map((x) => ({ g: x })).eqJoin('g', r.table('games')).zip().limit(1));
    assert.deepEqual(zipped, [{ g: 1, id: 1, field: 'Little Delving' }]);
  });

  it('eqJoin errors', async () => {
    let err = await expectReject(r.expr([]).eqJoin('a', r.expr([])).run(conn), r.Error.ReqlQueryLogicError);
    assert.equal(err.msg, 'Expected type TABLE but found ARRAY.');
    err = await expectReject(r.expr(1).eqJoin('a', teams()).run(conn), r.Error.ReqlQueryLogicError);
    assert.equal(err.msg, 'Cannot convert NUMBER to SEQUENCE');
    err = await expectReject(r.expr([{ a: 'red' }]).eqJoin('a', teams(), { index: 'nope' }).run(conn), r.Error.ReqlOpFailedError);
    assert.equal(err.msg, 'Index `nope` was not found on table `test.teams`.');
    err = await expectReject(r.expr([]).eqJoin('a', teams(), { index: 1 }).run(conn), r.Error.ReqlQueryLogicError);
    assert.equal(err.msg, 'Expected type STRING but found NUMBER.');
    err = await expectReject(r.expr([]).eqJoin('a', teams(), { ordered: 'yes' }).run(conn), r.Error.ReqlQueryLogicError);
    assert.equal(err.msg, 'Expected type BOOL but found STRING.');
    err = await expectReject(r.expr([1]).eqJoin('a', teams()).run(conn), r.Error.ReqlQueryLogicError);
    assert.equal(err.msg, 'Cannot perform get_field on a non-object non-sequence `1`.');
  });

  it('innerJoin and outerJoin on arrays (joins.yaml)', async () => {
    const left = r.expr([{ a: 1 }, { a: 2 }, { a: 3 }]);
    const right = r.expr([{ b: 2 }, { b: 3 }]);
    assert.deepEqual(plain(await left.innerJoin(right, (l, rr) => l('a').eq(rr('b'))).zip().run(conn)),
      [{ a: 2, b: 2 }, { a: 3, b: 3 }]);
    assert.deepEqual(plain(await left.outerJoin(right, (l, rr) => l('a').eq(rr('b'))).zip().run(conn)),
      [{ a: 1 }, { a: 2, b: 2 }, { a: 3, b: 3 }]);
    assert.deepEqual(plain(await left.outerJoin(right, (l, rr) => l('a').eq(rr('b'))).run(conn)),
      [{ left: { a: 1 } }, { left: { a: 2 }, right: { b: 2 } }, { left: { a: 3 }, right: { b: 3 } }]);
  });

  it('innerJoin and outerJoin on tables', async () => {
    const ij = players().innerJoin(teams(), (p, t) => p('team').default(null).eq(t('code'))).zip();
    assert.deepEqual((await rows(ij.pluck('id', 'color'))).sort((a, b) => a.id - b.id),
      [{ id: 1, color: 'r' }, { id: 2, color: 'b' }, { id: 3, color: 'r' }]);
    const oj = players().outerJoin(teams(), (p, t) => p('team').default(null).eq(t('code')))
      .map((x) => [x('left')('id'), x('right')('code').default(null)]);
    assert.deepEqual((await rows(oj)).sort((a, b) => a[0] - b[0]),
      [[1, 'red'], [2, 'blue'], [3, 'red'], [4, null], [5, null], [6, null]]);
    assert.equal(await players().innerJoin(teams(), true).count().run(conn), 18);
    assert.deepEqual(await rows(r.range().innerJoin(r.expr([1, 3]), (a, b) => a.eq(b)).limit(2)),
      [{ left: 1, right: 1 }, { left: 3, right: 3 }]);
  });

  it('innerJoin and outerJoin errors', async () => {
    let err = await expectReject(r.expr(5).innerJoin(r.expr([]), (a, b) => true).run(conn), r.Error.ReqlQueryLogicError);
    assert.equal(err.msg, 'Cannot convert NUMBER to SEQUENCE');
    err = await expectReject(r.expr([1]).outerJoin(r.expr(5), (a, b) => true).run(conn), r.Error.ReqlQueryLogicError);
    assert.equal(err.msg, 'Cannot convert NUMBER to SEQUENCE');
    err = await expectReject(r.expr([1]).innerJoin(r.expr([1]), (a) => true).run(conn), r.Error.ReqlQueryLogicError);
    assert.equal(err.msg, 'Expected function with 2 arguments but found function with 1 argument.');
    err = await expectReject(players().innerJoin(teams(), (p, t) => p('team').eq(t('code'))).run(conn), r.Error.ReqlNonExistenceError);
    assert.match(err.msg, /^No attribute `team` in object:/);
    err = await expectReject(r.expr([1]).outerJoin(r.range(), (a, b) => true).run(conn), r.Error.ReqlQueryLogicError);
    assert.equal(err.msg, 'Cannot use an infinite stream with an aggregation function (`reduce`, `count`, etc.) or coerce it to an array.');
    err = await expectReject(r.expr([{ a: 1 }]).zip().run(conn), r.Error.ReqlQueryLogicError);
    assert.equal(err.msg, 'ZIP can only be called on the result of a join.');
  });
});
