'use strict';
// ReQL arrays, sequences, aggregation and grouping through the official driver.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, expectReject, toArray, plain } = require('./harness');

describe('ReQL sequences', { timeout: 60000 }, () => {
  let server;
  let conn;
  const T = () => r.db('test').table('seq');
  const run = async (q) => toArray(await q.run(conn));
  before(async () => {
    server = await startServer();
    conn = await server.connect();
    await r.db('test').tableCreate('seq').run(conn);
    const docs = [];
    for (let i = 0; i < 20; i++) docs.push({ id: i, even: i % 2 === 0, g: i % 3 });
    await T().insert(docs).run(conn);
  });
  after(async () => { if (server) await server.dispose(); });

  it('array terms', async () => {
    assert.deepEqual(plain(await r.expr([1, 2]).append(3).run(conn)), [1, 2, 3]);
    assert.deepEqual(plain(await r.expr([1, 2]).prepend(0).run(conn)), [0, 1, 2]);
    assert.deepEqual(plain(await r.expr([1, 2, 3, 2]).difference([2]).run(conn)), [1, 3]);
    assert.deepEqual(plain(await r.expr([1, 2]).setInsert(2).run(conn)), [1, 2]);
    assert.deepEqual(plain(await r.expr([1, 2]).setUnion([2, 3]).run(conn)), [1, 2, 3]);
    assert.deepEqual(plain(await r.expr([1, 2, 3]).setIntersection([3, 1]).run(conn)), [3, 1]);
    assert.deepEqual(plain(await r.expr([1, 2, 3]).setDifference([2]).run(conn)), [1, 3]);
    assert.deepEqual(plain(await r.expr(['a', 'c']).insertAt(1, 'b').run(conn)), ['a', 'b', 'c']);
    assert.deepEqual(plain(await r.expr(['a', 'b', 'c']).deleteAt(0, 2).run(conn)), ['c']);
    assert.deepEqual(plain(await r.expr(['a', 'b']).changeAt(-1, 'z').run(conn)), ['a', 'z']);
    assert.deepEqual(plain(await r.expr([1, 4]).spliceAt(1, [2, 3]).run(conn)), [1, 2, 3, 4]);
    let err = await expectReject(r.expr([1, 2, 3]).insertAt(5, 0).run(conn), r.Error.ReqlNonExistenceError, 'insertAt');
    assert.equal(err.msg, 'Index `5` out of bounds for array of size: `3`.');
    err = await expectReject(r.expr(1).append(2).run(conn), r.Error.ReqlQueryLogicError, 'append');
    assert.equal(err.msg, 'Expected type ARRAY but found NUMBER.');
    err = await expectReject(r.expr([1, 2, 3]).deleteAt(2, 1).run(conn), r.Error.ReqlQueryLogicError, 'deleteAt');
    assert.equal(err.msg, 'Start index `2` is greater than end index `1`.');
  });

  it('slice, skip, limit, nth', async () => {
    assert.deepEqual(plain(await r.expr([0, 1, 2, 3, 4]).slice(1, 3).run(conn)), [1, 2]);
    assert.deepEqual(plain(await r.expr([0, 1, 2, 3, 4]).slice(-2).run(conn)), [3, 4]);
    assert.deepEqual(plain(await r.expr([0, 1, 2, 3, 4]).slice(1, 3, { leftBound: 'open', rightBound: 'closed' }).run(conn)), [2, 3]);
    assert.equal(await r.expr('héllo').slice(1, 3).run(conn), 'él');
    assert.deepEqual(plain(await r.binary(Buffer.from([1, 2, 3])).slice(1).run(conn)), Buffer.from([2, 3]));
    assert.deepEqual(await run(r.range(10).slice(2, 4)), [2, 3]);
    assert.deepEqual(await run(r.range(5).skip(3)), [3, 4]);
    assert.deepEqual(plain(await r.expr([1, 2, 3]).limit(2).run(conn)), [1, 2]);
    assert.equal(await r.expr([1, 2, 3]).nth(-1).run(conn), 3);
    assert.equal(await r.range().nth(100).run(conn), 100);
    let err = await expectReject(r.expr([1, 2, 3]).nth(3).run(conn), r.Error.ReqlNonExistenceError, 'nth');
    assert.equal(err.msg, 'Index out of bounds: 3');
    err = await expectReject(r.range(3).slice(-1).run(conn), r.Error.ReqlQueryLogicError, 'slice stream');
    assert.equal(err.msg, 'Cannot use a negative left index on a stream.');
    err = await expectReject(r.expr([1]).limit(-1).run(conn), r.Error.ReqlQueryLogicError, 'limit');
    assert.equal(err.msg, 'LIMIT takes a non-negative argument (got -1)');
    err = await expectReject(r.expr([1]).slice(0, 1, { leftBound: 'half' }).run(conn), r.Error.ReqlQueryLogicError, 'bound');
    assert.equal(err.msg, 'Expected `open` or `closed` for optarg `left_bound` (got `"half"`).');
  });

  it('map, concatMap, filter', async () => {
    assert.deepEqual(plain(await r.expr([1, 2, 3]).map((x) => x.mul(2)).run(conn)), [2, 4, 6]);
    assert.deepEqual(plain(await r.map([1, 2, 3], [10, 20], (a, b) => a.add(b)).run(conn)), [11, 22]);
    assert.deepEqual(plain(await r.expr([1, 2]).concatMap((x) => [x, x]).run(conn)), [1, 1, 2, 2]);
    assert.deepEqual(plain(await r.expr([{ a: 1 }, { a: 2 }, { b: 3 }]).filter({ a: 2 }).run(conn)), [{ a: 2 }]);
    assert.deepEqual(plain(await r.expr([{ a: 1 }, { b: 3 }]).filter(r.row('a').eq(1)).run(conn)), [{ a: 1 }]);
    assert.deepEqual(plain(await r.expr([{ a: 1 }, { b: 3 }]).filter((d) => d('a').eq(1), { default: true }).run(conn)), [{ a: 1 }, { b: 3 }]);
    const err = await expectReject(r.expr([{ b: 3 }]).filter((d) => d('a').eq(1), { default: r.error() }).run(conn),
      r.Error.ReqlNonExistenceError, 'filter default r.error()');
    assert.match(err.msg, /No attribute `a`/);
    const err2 = await expectReject(r.expr([1]).map((a, b) => a).run(conn), r.Error.ReqlQueryLogicError, 'map arity');
    assert.equal(err2.msg, 'The function passed to `map` expects 2 arguments, but 1 sequence was found.');
  });

  it('streams over tables stay lazy and selections stay writable', async () => {
    assert.deepEqual(await run(T().filter({ even: false }).limit(2)), [{ id: 1, even: false, g: 1 }, { id: 3, even: false, g: 0 }]);
    assert.deepEqual(await run(r.range().map((x) => x.mul(x)).limit(4)), [0, 1, 4, 9]);
    assert.deepEqual(await run(T().orderBy({ index: r.desc('id') }).limit(2).map((d) => d('id'))), [19, 18]);
    assert.equal(await T().nth(0)('id').run(conn), 0);
    const upd = await T().filter({ g: 0 }).update({ tagged: true }).run(conn);
    assert.equal(upd.replaced, 7);
    assert.equal(await T().count((d) => d('tagged').default(false)).run(conn), 7);
    assert.equal((await T().orderBy(r.desc('id')).limit(1).delete().run(conn)).deleted, 1);
    assert.equal(await T().count().run(conn), 19);
    assert.equal((await T().get(1).update({ x: 1 }).run(conn)).replaced, 1);
  });

  it('contains, isEmpty, offsetsOf, union, zip, sample, distinct, orderBy, range', async () => {
    assert.equal(await r.expr([1, 2, 3]).contains(2, 3).run(conn), true);
    assert.equal(await r.expr([1, 2, 3]).contains((x) => x.gt(5)).run(conn), false);
    assert.equal(await r.expr([]).isEmpty().run(conn), true);
    assert.equal(await T().isEmpty().run(conn), false);
    assert.deepEqual(plain(await r.expr(['a', 'b', 'a']).offsetsOf('a').run(conn)), [0, 2]);
    assert.deepEqual(plain(await r.expr([1, 2]).union([3], [4]).run(conn)), [1, 2, 3, 4]);
    assert.deepEqual(plain(await r.expr([{ a: 1 }, { a: 3 }]).union([{ a: 2 }], { interleave: 'a' }).run(conn)), [{ a: 1 }, { a: 2 }, { a: 3 }]);
    assert.deepEqual(plain(await r.expr([{ left: { a: 1 }, right: { b: 2 } }]).zip().run(conn)), [{ a: 1, b: 2 }]);
    const s = await r.expr([1, 2, 3, 4, 5]).sample(3).run(conn);
    assert.equal(s.length, 3);
    assert.equal(new Set(s).size, 3);
    assert.deepEqual(plain(await r.expr([3, 1, 3, 2]).distinct().run(conn)), [1, 2, 3]);
    assert.deepEqual(plain(await r.expr([{ a: 2 }, { a: 1 }, {}]).orderBy('a').run(conn)), [{}, { a: 1 }, { a: 2 }]);
    assert.deepEqual(plain(await r.expr([{ a: 2, b: 1 }, { a: 1, b: 1 }]).orderBy('b', r.desc('a')).run(conn)), [{ a: 2, b: 1 }, { a: 1, b: 1 }]);
    assert.deepEqual(await run(r.range(2, 5)), [2, 3, 4]);
    assert.deepEqual(await run(r.range().limit(3)), [0, 1, 2]);
    const cur = await r.range().run(conn);
    assert.equal(typeof cur.next, 'function', 'an infinite range is a cursor');
    assert.equal(await cur.next(), 0);
    assert.equal(await cur.next(), 1);
    await cur.close();
    const err = await expectReject(r.expr([1]).orderBy().run(conn), r.Error.ReqlQueryLogicError, 'orderBy nothing');
    assert.equal(err.msg, 'Must specify something to order by.');
    const err2 = await expectReject(r.range().count().run(conn), r.Error.ReqlQueryLogicError, 'count infinite');
    assert.match(err2.msg, /infinite stream/);
  });

  it('reduce, fold, sum, avg, min, max, count', async () => {
    assert.equal(await r.expr([1, 2, 3]).reduce((a, b) => a.add(b)).run(conn), 6);
    let err = await expectReject(r.expr([]).reduce((a, b) => a.add(b)).run(conn), r.Error.ReqlNonExistenceError, 'reduce empty');
    assert.equal(err.msg, 'Cannot reduce over an empty stream.');
    assert.equal(await r.expr(['a', 'b']).fold('', (acc, w) => acc.add(w)).run(conn), 'ab');
    assert.deepEqual(plain(await r.expr([1, 2, 3]).fold(0, (acc, x) => acc.add(x), { emit: (old, x, acc) => [acc] }).run(conn)), [1, 3, 6]);
    assert.deepEqual(plain(await r.expr([1, 2]).fold(0, (acc, x) => acc.add(x),
      { emit: () => [], finalEmit: (acc) => [acc, 'end'] }).run(conn)), [3, 'end']);
    assert.equal(await r.expr([1, 2, 3]).sum().run(conn), 6);
    assert.equal(await r.expr([{ v: 1 }, { v: 3 }, {}]).avg('v').run(conn), 2);
    assert.deepEqual(plain(await r.expr([{ v: 1 }, { v: 3 }]).max('v').run(conn)), { v: 3 });
    assert.equal(await r.expr([3, 1, 2]).min().run(conn), 1);
    assert.equal(await T().sum('id').run(conn), 171);
    assert.equal((await T().min('id').run(conn)).id, 0);
    err = await expectReject(r.expr([]).avg().run(conn), r.Error.ReqlNonExistenceError, 'avg empty');
    assert.match(err.msg, /^Cannot take the average of an empty stream\./);
    err = await expectReject(r.expr([]).max().run(conn), r.Error.ReqlNonExistenceError, 'max empty');
    assert.match(err.msg, /^Cannot take the max of an empty stream\./);
    err = await expectReject(r.expr([1, 'a']).sum().run(conn), r.Error.ReqlQueryLogicError, 'sum string');
    assert.equal(err.msg, 'Expected type NUMBER but found STRING.');
    assert.equal(await r.expr([1, 2, 1]).count(1).run(conn), 2);
    assert.equal(await r.expr([1, 2, 3]).count((x) => x.gt(1)).run(conn), 2);
    assert.equal(await r.expr('héllo').count().run(conn), 5);
    assert.equal(await r.binary(Buffer.from([1, 2, 3])).count().run(conn), 3);
    assert.equal(await r.expr({ a: 1, b: 2 }).count().run(conn), 2);
  });

  it('group, ungroup and grouped operations', async () => {
    const people = [{ n: 'a', t: 'x', age: 30 }, { n: 'b', t: 'y', age: 20 }, { n: 'c', t: 'x', age: 40 }];
    assert.deepEqual(plain(await r.expr(people).group('t').count().run(conn)),
      [{ group: 'x', reduction: 2 }, { group: 'y', reduction: 1 }]);
    assert.deepEqual(plain(await r.expr(people).group('t').sum('age').run(conn)),
      [{ group: 'x', reduction: 70 }, { group: 'y', reduction: 20 }]);
    assert.deepEqual(plain(await r.expr(people).group('t').map((p) => p('n')).run(conn)),
      [{ group: 'x', reduction: ['a', 'c'] }, { group: 'y', reduction: ['b'] }]);
    assert.deepEqual(plain(await r.expr(people).group('t').max('age').run(conn)),
      [{ group: 'x', reduction: people[2] }, { group: 'y', reduction: people[1] }]);
    const raw = await r.expr(people).group('t').count().run(conn, { groupFormat: 'raw' });
    assert.deepEqual(raw, { $reql_type$: 'GROUPED_DATA', data: [['x', 2], ['y', 1]] });
    assert.deepEqual(plain(await r.expr(people).group((p) => p('age').gt(25)).count().ungroup().orderBy(r.desc('reduction')).run(conn)),
      [{ group: true, reduction: 2 }, { group: false, reduction: 1 }]);
    assert.deepEqual(plain(await r.expr([{ tags: ['a', 'b'] }, { tags: ['b'] }]).group('tags', { multi: true }).count().run(conn)),
      [{ group: 'a', reduction: 1 }, { group: 'b', reduction: 2 }]);
    assert.deepEqual(plain(await T().group('g').count().run(conn)),
      [{ group: 0, reduction: 7 }, { group: 1, reduction: 6 }, { group: 2, reduction: 6 }]);
    const err = await expectReject(r.expr([1]).group().run(conn), r.Error.ReqlQueryLogicError, 'group nothing');
    assert.equal(err.msg, 'Cannot group by nothing.');
  });

  it('forEach merges write results', async () => {
    const res = await r.expr([100, 101, 102]).forEach((i) => T().insert({ id: i })).run(conn);
    assert.deepEqual(res, { deleted: 0, errors: 0, inserted: 3, replaced: 0, skipped: 0, unchanged: 0 });
    const res2 = await r.expr([100, 101]).forEach((i) => T().get(i).delete()).run(conn);
    assert.equal(res2.deleted, 2);
    const err = await expectReject(r.expr([1, 2]).forEach((x) => x).run(conn), r.Error.ReqlQueryLogicError, 'forEach');
    assert.equal(err.msg, 'FOR_EACH expects one or more basic write queries.');
  });
});
