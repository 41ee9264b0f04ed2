'use strict';
// ReQL objects (getField, bracket, keys, values, object, hasFields, withFields,
// pluck, without, merge, literal) and times (now, time, epochTime, ISO8601,
// toISO8601, toEpochTime, inTimezone, timezone, during, date, timeOfDay, the
// portions and the day/month constants) through the official driver.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, expectReject, toArray } = require('./harness');

const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const STRAY = 'Stray literal keyword found: literal is only legal inside of the object passed to merge or update and cannot nest inside other literals.';

describe('objects and times', { timeout: 60000 }, () => {
  let server;
  let conn;
  const T = () => r.db('test').table('objs');
  const obj = { a: 1, b: 2, c: 'str', d: null, e: { f: 'buzz' } };

  // Array results carry the driver's cursor methods: compare plain copies.
  const arr = (v) => Array.from(v);

  async function fails(query, errClass, msg) {
    const err = await expectReject(query.run(conn), errClass);
    assert.equal(err.msg, msg);
    return err;
  }

  before(async () => {
    server = await startServer();
    conn = await server.connect();
    await r.db('test').tableCreate('objs').run(conn);
    await T().insert([
      { id: 1, name: 'ann', tags: { x: 1, y: 2 }, tmp: true },
      { id: 2, name: 'bob', tags: { x: 3 } },
      { id: 3, other: 'carl' },
    ]).run(conn);
  });
  after(async () => { if (server) await server.dispose(); });

  it('getField and bracket read fields, with RethinkDB errors', async () => {
    assert.equal(await r.expr(obj)('a').run(conn), 1);
    assert.equal(await r.expr(obj).getField('c').run(conn), 'str');
    assert.equal(await r.expr(obj)('d').run(conn), null);
    assert.deepEqual(await r.expr(obj)('e')('f').run(conn), 'buzz');
    await fails(r.expr({ a: 1 })('z'), r.Error.ReqlNonExistenceError, 'No attribute `z` in object:\n{\n\t"a":\t1\n}');
    await fails(r.expr('a')('b'), r.Error.ReqlQueryLogicError, 'Cannot perform bracket on a non-object non-sequence `"a"`.');
    await fails(r.expr([1, 2, 3])('foo'), r.Error.ReqlQueryLogicError, 'Cannot perform bracket on a non-object non-sequence `1`.');
    // default() catches the missing field.
    assert.equal(await r.expr({ a: 1 })('z').default(5).run(conn), 5);
  });

  it('bracket with a number is nth', async () => {
    assert.equal(await r.expr([10, 20, 30])(1).run(conn), 20);
    assert.equal(await r.expr([10, 20, 30])(-1).run(conn), 30);
    await fails(r.expr([10, 20, 30])(3), r.Error.ReqlNonExistenceError, 'Index out of bounds.');
    await fails(r.expr([10, 20, 30])(-4), r.Error.ReqlNonExistenceError, 'Index out of bounds: -4');
    await fails(r.expr({ a: 1 })(0), r.Error.ReqlQueryLogicError, 'Expected type ARRAY but found OBJECT.');
  });

  it('getField over a table skips documents without the field', async () => {
    const names = await toArray(await T()('name').run(conn));
    assert.deepEqual(names.sort(), ['ann', 'bob']);
    assert.deepEqual(arr(await r.expr([{ a: 1 }, { b: 2 }, null, { a: 3 }])('a').run(conn)), [1, 3]);
    // A stream's nth through bracket.
    const some = await T()(0).run(conn);
    assert.ok([1, 2, 3].includes(some.id), JSON.stringify(some));
    await fails(T()(5), r.Error.ReqlNonExistenceError, 'Index out of bounds: 5');
    await fails(T()(-2), r.Error.ReqlQueryLogicError, 'Cannot use an index < -1 (-2) on a stream.');
  });

  it('keys, values and r.object', async () => {
    assert.deepEqual(arr(await r.expr(obj).keys().run(conn)), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(arr(await r.expr(obj).values().run(conn)), [1, 2, 'str', null, { f: 'buzz' }]);
    await fails(r.expr(1).keys(), r.Error.ReqlQueryLogicError, 'Cannot call `keys` on objects of type `NUMBER`.');
    assert.deepEqual(await r.object('a', 1, 'b', r.expr('x')).run(conn), { a: 1, b: 'x' });
    assert.deepEqual(await r.object().run(conn), {});
    await fails(r.object('o', 'd', 'd'), r.Error.ReqlQueryLogicError, 'OBJECT expects an even number of arguments (but found 3).');
    await fails(r.object(1, 1), r.Error.ReqlQueryLogicError, 'Expected type STRING but found NUMBER.');
    await fails(r.object('e', 4, 'e', 5), r.Error.ReqlQueryLogicError, 'Duplicate key "e" in object.  (got 4 and 5 as values)');
  });

  it('hasFields tests objects and filters sequences and tables', async () => {
    assert.equal(await r.expr(obj).hasFields('b').run(conn), true);
    assert.equal(await r.expr(obj).hasFields('d').run(conn), false);
    assert.equal(await r.expr(obj).hasFields({ e: 'f' }).run(conn), true);
    assert.equal(await r.expr(obj).hasFields({ e: { g: true } }).run(conn), false);
    assert.equal(await r.expr([obj, r.expr(obj).pluck('a', 'b')]).hasFields('a', 'c').count().run(conn), 1);
    const rows = await toArray(await T().hasFields({ tags: 'y' }).run(conn));
    assert.deepEqual(rows.map((d) => d.id), [1]);
    await fails(r.expr(obj).hasFields(1), r.Error.ReqlQueryLogicError, 'Invalid path argument `1`.');
  });

  it('hasFields on a table keeps the selection: writes can follow it', async () => {
    await T().insert([{ id: 10, tmp: true }, { id: 11, tmp: null }]).run(conn);
    const res = await T().hasFields('tmp').delete().run(conn);
    assert.equal(res.deleted, 2); // ids 1 and 10 (null does not count)
    assert.equal(await T().get(10).run(conn), null);
    assert.deepEqual(await T().get(11).run(conn), { id: 11, tmp: null });
    await T().get(11).delete().run(conn);
    await T().insert({ id: 1, name: 'ann', tags: { x: 1, y: 2 }, tmp: true }).run(conn);
  });

  it('pluck, without and withFields, nested and over tables', async () => {
    assert.deepEqual(await r.expr(obj).pluck('a', 'b').run(conn), { a: 1, b: 2 });
    assert.deepEqual(await r.expr({ a: { b: 1, c: 2 }, d: 3 }).pluck({ a: ['c'] }).run(conn), { a: { c: 2 } });
    assert.deepEqual(await r.expr(obj).without('a', 'b', 'c', 'd').run(conn), { e: { f: 'buzz' } });
    assert.deepEqual(await r.expr(obj).without({ e: 'f' }).run(conn), { a: 1, b: 2, c: 'str', d: null, e: {} });
    const plucked = await toArray(await T().pluck('id', { tags: 'x' }).run(conn));
    assert.deepEqual(plucked.sort(byId), [{ id: 1, tags: { x: 1 } }, { id: 2, tags: { x: 3 } }, { id: 3 }]);
    const without = await toArray(await T().without('tags', 'tmp').run(conn));
    assert.deepEqual(without.sort(byId), [{ id: 1, name: 'ann' }, { id: 2, name: 'bob' }, { id: 3, other: 'carl' }]);
    const withFields = await toArray(await T().withFields('id', 'name').run(conn));
    assert.deepEqual(withFields.sort(byId), [{ id: 1, name: 'ann' }, { id: 2, name: 'bob' }]);
    await fails(r.expr([[1]]).pluck('a'), r.Error.ReqlQueryLogicError, 'Cannot perform pluck on a sequence of sequences.');
    await fails(r.expr({ a: 1 }).withFields('a'), r.Error.ReqlQueryLogicError, 'Cannot perform pluck on a non-object non-sequence `true`.');
  });

  it('merge: objects, functions, deep merge, literals', async () => {
    assert.deepEqual(await r.expr(obj).merge({ e: { g: 'quux' } }).run(conn),
      { a: 1, b: 2, c: 'str', d: null, e: { f: 'buzz', g: 'quux' } });
    assert.deepEqual(await r.expr(obj).merge({ e: r.literal({ g: 'quux' }) }).run(conn),
      { a: 1, b: 2, c: 'str', d: null, e: { g: 'quux' } });
    assert.deepEqual(await r.expr(obj).merge({ e: r.literal() }).run(conn), { a: 1, b: 2, c: 'str', d: null });
    assert.deepEqual(await r.expr({ a: 1 }).merge({ b: 2 }, { c: 3 }).run(conn), { a: 1, b: 2, c: 3 });
    assert.equal(await r.expr(obj).merge(1).run(conn), 1);
    const o = { a: { b: 1, c: 2 }, d: 3 };
    assert.deepEqual(arr(await r.expr([o, { a: 1, d: 4 }]).merge((row) => ({ e: row('d') })).run(conn)),
      [{ a: { b: 1, c: 2 }, d: 3, e: 3 }, { a: 1, d: 4, e: 4 }]);
    assert.deepEqual(arr(await r.expr([o]).merge(() => ({ a: r.literal({ b: 2 }) })).run(conn)), [{ a: { b: 2 }, d: 3 }]);
    const merged = await toArray(await T().merge((d) => ({ again: d('id'), tags: r.literal() })).run(conn));
    assert.deepEqual(merged.map((d) => [d.id, d.again, 'tags' in d]).sort(), [[1, 1, false], [2, 2, false], [3, 3, false]]);
    const tagged = await toArray(await T().merge({ seen: true }).run(conn));
    assert.equal(tagged.length, 3);
    assert.ok(tagged.every((d) => d.seen === true));
    await fails(r.literal('foo'), r.Error.ReqlQueryLogicError, STRAY);
    await fails(r.expr(obj).merge(r.literal('foo')), r.Error.ReqlQueryLogicError, STRAY);
    await fails(r.expr(obj).merge({ foo: r.literal(r.literal('foo')) }), r.Error.ReqlQueryLogicError, STRAY);
    await fails(r.expr(obj).merge(r.epochTime(0)), r.Error.ReqlQueryLogicError, 'Cannot merge objects of type `PTYPE<TIME>`.');
    await fails(r.epochTime(0).merge({ a: 1 }), r.Error.ReqlQueryLogicError, 'Cannot call `merge` on objects of type `PTYPE<TIME>`.');
  });

  it('times: constructors and conversions', async () => {
    assert.equal(await r.time(2013, r.july, 29, 23, 30, 0.1, '-07:00').toEpochTime().run(conn), 1375165800.1);
    assert.equal(await r.time(2013, r.july, 29, 23, 30, 0.1, '-07:00').timezone().run(conn), '-07:00');
    assert.equal(await r.time(2013, r.july, 29, '-07:00').toEpochTime().run(conn), 1375081200);
    assert.equal(await r.ISO8601('2013-07-30T20:56:05-07:00').toEpochTime().run(conn), 1375242965);
    assert.equal(await r.ISO8601('2013-07-30T20:56:05', { defaultTimezone: '-07' }).toISO8601().run(conn), '2013-07-30T20:56:05-07:00');
    assert.equal(await r.epochTime(1375242965).inTimezone('-07:00').toISO8601().run(conn), '2013-07-30T20:56:05-07:00');
    assert.equal(await r.epochTime(1.4444445).toEpochTime().run(conn), 1.444);
    assert.equal(await r.epochTime(1.4444445).toISO8601().run(conn), '1970-01-01T00:00:01.444+00:00');
    // Times come back to the driver as Dates; Dates go to the server as times.
    const d = await r.epochTime(1375147296.68).run(conn);
    assert.ok(d instanceof Date);
    assert.equal(d.getTime(), 1375147296680);
    assert.equal(await r.expr(new Date(1375147296680)).toISO8601().run(conn), '2013-07-30T01:21:36.680+00:00');
    const now = await r.now().run(conn);
    assert.ok(now instanceof Date && Math.abs(now.getTime() - Date.now()) < 60000, String(now));
    assert.deepEqual(await r.expr([r.now(), r.now()]).run(conn).then(([x, y]) => x.getTime() === y.getTime()), true);
  });

  it('times: validation errors as RethinkDB reports them', async () => {
    await fails(r.time(2013, r.july, 29, 23, 30, 0.1), r.Error.ReqlQueryLogicError, 'Got 6 arguments to TIME (expected 4 or 7).');
    await fails(r.time(2013, r.july, 29, 23), r.Error.ReqlQueryLogicError, 'Expected type STRING but found NUMBER.');
    await fails(r.time(2013, 2, 29, 'Z'), r.Error.ReqlQueryLogicError, 'Error in time logic: Day of month is not valid for year.');
    await fails(r.ISO8601('2013-07-30T20:56:05'), r.Error.ReqlQueryLogicError, 'ISO 8601 string has no time zone, and no default time zone was provided.');
    await fails(r.ISO8601('2013-0101'), r.Error.ReqlQueryLogicError, 'Date string `2013-0101` must have 0 or 2 hyphens.');
    await fails(r.now().inTimezone('-00'), r.Error.ReqlQueryLogicError, '`-00` is not a valid time offset.');
    await fails(r.now().inTimezone('+25:00'), r.Error.ReqlQueryLogicError, 'Hours out of range in `+25:00`.');
    await fails(r.expr(1).toEpochTime(), r.Error.ReqlQueryLogicError, 'Not a TIME pseudotype: `1`.');
    await fails(r.epochTime(253430000000).toISO8601(), r.Error.ReqlQueryLogicError, 'Year `10000` out of valid ISO 8601 range [0, 9999].');
    await fails(r.epochTime(253440000000).year(), r.Error.ReqlQueryLogicError, 'Error in time logic: Year is out of valid range: 1400..10000.');
    await fails(r.expr({ $reql_type$: 'TIME', timezone: '+00:00' }).toEpochTime(), r.Error.ReqlQueryLogicError,
      'Invalid time object constructed (no field `epoch_time`):\n{\n\t"$reql_type$":\t"TIME",\n\t"timezone":\t"+00:00"\n}');
  });

  it('times: during, date, timeOfDay, portions and constants', async () => {
    const t1 = r.epochTime(1375147296.6812);
    const t2 = r.epochTime(1375148296.681);
    assert.equal(await t1.during(t1, t2).run(conn), true);
    assert.equal(await t1.during(t1, t2, { leftBound: 'open' }).run(conn), false);
    assert.equal(await t1.during(t1, t1).run(conn), false);
    assert.equal(await t1.during(t1, t1, { rightBound: 'closed' }).run(conn), true);
    await fails(t1.during(t1, t2, { leftBound: 'half' }), r.Error.ReqlQueryLogicError, 'Expected `open` or `closed` for optarg `left_bound` (got `"half"`).');
    assert.equal(await t1.date().toEpochTime().run(conn), 1375142400);
    assert.equal(await t1.timeOfDay().run(conn), 4896.681);
    assert.deepEqual(arr(await r.expr([t1.year(), t1.month(), t1.day(), t1.dayOfWeek(), t1.dayOfYear(), t1.hours(), t1.minutes(), t1.seconds()]).run(conn)),
      [2013, 7, 30, 2, 211, 1, 21, 36.681]);
    assert.equal(await r.epochTime(1436428422.339).inTimezone('-08:00').date().toISO8601().run(conn), '2015-07-08T00:00:00-08:00');
    assert.deepEqual(arr(await r.expr([r.monday, r.tuesday, r.wednesday, r.thursday, r.friday, r.saturday, r.sunday]).run(conn)), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(arr(await r.expr([r.january, r.february, r.march, r.april, r.may, r.june, r.july, r.august, r.september, r.october, r.november, r.december]).run(conn)),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('times stored in documents round-trip', async () => {
    await T().insert({ id: 'when', at: r.time(2020, 2, 29, 12, 0, 0, '+05:30') }).run(conn);
    assert.equal(await T().get('when')('at').toISO8601().run(conn), '2020-02-29T12:00:00+05:30');
    assert.equal(await T().get('when')('at').dayOfWeek().run(conn), 6);
    const at = await T().get('when')('at').run(conn);
    assert.ok(at instanceof Date);
    assert.equal(at.toISOString(), '2020-02-29T06:30:00.000Z');
    await T().get('when').delete().run(conn);
  });
});
