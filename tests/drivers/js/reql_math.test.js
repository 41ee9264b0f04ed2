'use strict';
// ReQL core, part A, through the official driver: control flow and logic,
// types and values, math and comparison, strings.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, expectReject, UUID_RE } = require('./harness');

describe('ReQL core: control, types, math, strings', { timeout: 60000 }, () => {
  let server;
  let conn;
  const T = () => r.db('test').table('core');
  before(async () => {
    server = await startServer();
    conn = await server.connect();
    await r.db('test').tableCreate('core').run(conn);
    await T().insert([{ id: 1, n: 10, s: 'abc' }, { id: 2, n: 20, s: 'de f' }]).run(conn);
  });
  after(async () => { if (server) await server.dispose(); });

  // Array results come back with cursor methods mixed in: compare plain copies.
  const plain = (x) => (Buffer.isBuffer(x) || x instanceof Date ? x : JSON.parse(JSON.stringify(x)));
  const run = async (q) => plain(await q.run(conn));
  async function fails(q, errClass, msg) {
    const err = await expectReject(run(q), errClass, String(q));
    assert.equal(err.msg, msg);
    return err;
  }

  it('branch, with several conditions and only the chosen value evaluated', async () => {
    assert.equal(await run(r.branch(true, 1, 2)), 1);
    assert.equal(await run(r.branch(null, 1, 2)), 2);
    assert.equal(await run(r.branch(0, 'zero is true', 'no')), 'zero is true');
    assert.equal(await run(r.branch(false, 1, false, 2, 3)), 3);
    assert.equal(await run(r.branch(false, 1, true, 2, 3)), 2);
    assert.equal(await run(r.branch(true, 'ok', r.error('not evaluated'))), 'ok');
    await fails(r.branch(true, 1, true, 2), r.Error.ReqlQueryLogicError,
      'Cannot call `branch` term with an even number of arguments.');
    await fails(r.branch(r.error('a'), 1, 2), r.Error.ReqlUserError, 'a');
    await fails(r.branch(T(), 1, 2), r.Error.ReqlQueryLogicError,
      'Expected type DATUM but found TABLE:\ntable("core")');
  });

  it('and / or / not', async () => {
    assert.equal(await run(r.and(true, true, false)), false);
    assert.equal(await run(r.and(1, 'x')), 'x');
    assert.equal(await run(r.and()), true);
    assert.equal(await run(r.or(false, null, 'str')), 'str');
    assert.equal(await run(r.or()), false);
    assert.equal(await run(r.or(true, r.error('short-circuit'))), true);
    assert.equal(await run(r.and(false, r.error('short-circuit'))), false);
    assert.equal(await run(r.expr(null).not()), true);
    assert.equal(await run(r.expr(1).not()), false);
  });

  it('default catches null and non-existence errors only', async () => {
    assert.equal(await run(r.expr(null).default(2)), 2);
    assert.equal(await run(r.expr(false).default(2)), false);
    assert.equal(await run(r.expr(null).add(5).default(2)), 2);
    assert.equal(await run(r.expr(null).add(5).default((e) => e)), 'Expected type NUMBER but found NULL.');
    assert.equal(await run(T().get(99).default('missing')), 'missing');
    assert.equal(await run(r.expr(null).default(r.error())), null);
    await fails(r.expr(null).add(5).default(r.error()), r.Error.ReqlNonExistenceError,
      'Expected type NUMBER but found NULL.');
    await fails(r.expr('a').add(5).default(2), r.Error.ReqlQueryLogicError,
      'Expected type STRING but found NUMBER.');
  });

  it('error', async () => {
    await fails(r.error('Hello World'), r.Error.ReqlUserError, 'Hello World');
    await fails(r.error(), r.Error.ReqlUserError, 'Empty ERROR term outside a default block.');
    await fails(r.error(5), r.Error.ReqlQueryLogicError, 'Expected type STRING but found NUMBER.');
  });

  it('typeOf on values, tables, selections and functions', async () => {
    assert.equal(await run(r.expr(null).typeOf()), 'NULL');
    assert.equal(await run(r.expr({ a: 1 }).typeOf()), 'OBJECT');
    assert.equal(await run(r.binary(r.expr('x')).typeOf()), 'PTYPE<BINARY>');
    assert.equal(await run(r.epochTime(0).typeOf()), 'PTYPE<TIME>');
    assert.equal(await run(r.db('test').typeOf()), 'DB');
    assert.equal(await run(T().typeOf()), 'TABLE');
    assert.equal(await run(T().get(1).typeOf()), 'SELECTION<OBJECT>');
    assert.equal(await run(r.minval.typeOf()), 'MINVAL');
    assert.equal(await run(r.expr(function () { return 1; }).typeOf()), 'FUNCTION');
  });

  it('coerceTo between the types RethinkDB allows', async () => {
    assert.equal(await run(r.expr(1.5).coerceTo('string')), '1.5');
    assert.equal(await run(r.expr({ b: 1, a: [true, null] }).coerceTo('STRING')), '{"a":[true,null],"b":1}');
    assert.equal(await run(r.expr('0xa').coerceTo('number')), 10);
    assert.deepEqual(await run(r.expr({ b: 2, a: 1 }).coerceTo('array')), [['a', 1], ['b', 2]]);
    assert.deepEqual(await run(r.expr([['a', 1], ['b', 2]]).coerceTo('object')), { a: 1, b: 2 });
    assert.equal(await run(r.expr(null).coerceTo('bool')), false);
    assert.equal(await run(r.expr('').coerceTo('bool')), true);
    assert.deepEqual(await run(r.expr('foo').coerceTo('binary')), Buffer.from('foo'));
    assert.equal(await run(r.binary(r.expr('foo')).coerceTo('string')), 'foo');
    const rows = await run(T().coerceTo('array'));
    assert.deepEqual(rows.map((d) => d.id).sort(), [1, 2]);
    await fails(r.expr('--1.2').coerceTo('number'), r.Error.ReqlQueryLogicError, 'Could not coerce `--1.2` to NUMBER.');
    await fails(r.expr([1, 2]).coerceTo('number'), r.Error.ReqlQueryLogicError, 'Cannot coerce ARRAY to NUMBER.');
    await fails(r.expr(null).coerceTo('number'), r.Error.ReqlNonExistenceError, 'Cannot coerce NULL to NUMBER.');
    await fails(r.expr(1).coerceTo('foo'), r.Error.ReqlQueryLogicError, 'Unknown Type: FOO');
    await fails(r.expr([[]]).coerceTo('object'), r.Error.ReqlQueryLogicError, 'Expected array of size 2, but got size 0.');
    await fails(r.minval.coerceTo('string'), r.Error.ReqlQueryLogicError, 'Cannot convert `r.minval` to JSON.');
  });

  it('info on values and tables', async () => {
    assert.deepEqual(await run(r.expr([1, 2]).info()), { type: 'ARRAY', value: '[\n\t1,\n\t2\n]' });
    assert.deepEqual(await run(r.expr({ a: 'x' }).info()), { type: 'OBJECT', value: '{\n\t"a":\t"x"\n}' });
    assert.deepEqual(await run(r.expr(null).info()), { type: 'NULL' });
    assert.deepEqual(await run(r.binary(r.expr('ab')).info()),
      { type: 'PTYPE<BINARY>', count: 2, value: '{\n\t"$reql_type$":\t"BINARY",\n\t"data":\t"YWI="\n}' });
    const info = await run(T().info());
    assert.equal(info.type, 'TABLE');
    assert.equal(info.name, 'core');
    assert.equal(info.primary_key, 'id');
    assert.equal(info.db.type, 'DB');
    assert.equal(info.db.name, 'test');
    assert.match(info.id, UUID_RE);
  });

  it('json and toJsonString', async () => {
    assert.deepEqual(await run(r.json('[1,{"a":null}]')), [1, { a: null }]);
    assert.equal(await run(r.json('{"b":1,"a":2}').toJsonString()), '{"a":2,"b":1}');
    assert.equal(await run(r.expr({ x: -0.5, y: 'é' }).toJSON()), '{"x":-0.5,"y":"é"}');
    await fails(r.json('[1,2'), r.Error.ReqlQueryLogicError,
      'Failed to parse "[1,2" as JSON: Missing a comma or \']\' after an array element.');
    await fails(r.maxval.toJsonString(), r.Error.ReqlQueryLogicError, 'Cannot convert `r.maxval` to JSON.');
  });

  it('uuid v4 and v5', async () => {
    const a = await run(r.uuid());
    assert.match(a, UUID_RE);
    assert.notEqual(a, await run(r.uuid()));
    assert.equal(await run(r.uuid('magic')), '97dd10a5-4fc4-554f-86c5-0d2c2e3d5330');
  });

  it('random integers and floats', async () => {
    for (let i = 0; i < 20; i++) {
      const n = await run(r.random(10, 20));
      assert.ok(Number.isInteger(n) && n >= 10 && n < 20, String(n));
      const f = await run(r.random(1.5, 2.5, { float: true }));
      assert.ok(f >= 1.5 && f < 2.5, String(f));
    }
    const u = await run(r.random());
    assert.ok(u >= 0 && u < 1);
    await fails(r.random(0.25), r.Error.ReqlQueryLogicError, 'Upper bound (0.25) could not be safely converted to an integer.');
    await fails(r.random(20, 2), r.Error.ReqlQueryLogicError, 'Lower bound (20) is not less than upper bound (2).');
    await fails(r.random({ float: false }), r.Error.ReqlQueryLogicError, 'Generating a random integer requires one or two bounds.');
  });

  it('minval, maxval and binary', async () => {
    assert.equal(await run(r.lt(r.minval, [], false, null, 0, {}, 'a', r.maxval)), true);
    assert.deepEqual(await run(r.binary(r.expr('foo'))), Buffer.from('foo'));
    assert.deepEqual(await run(r.binary(r.binary(r.expr('foo')))), Buffer.from('foo'));
    await fails(r.binary(r.expr({})), r.Error.ReqlQueryLogicError, 'Expected type STRING but found OBJECT.');
  });

  it('add, sub, mul, div, mod', async () => {
    assert.equal(await run(r.expr(1).add(2, 3, 4, 5)), 15);
    assert.equal(await run(r.expr('a').add('b', 'c')), 'abc');
    assert.deepEqual(await run(r.expr([1, 2]).add([3], [4])), [1, 2, 3, 4]);
    assert.equal(await run(r.expr(10).sub(1, 2)), 7);
    assert.deepEqual(await run(r.expr([1, 2]).mul(2)), [1, 2, 1, 2]);
    assert.equal(await run(r.expr(1.5).mul(4.5)), 6.75);
    assert.equal(await run(r.expr(12).div(3, 2)), 2);
    assert.equal(await run(r.expr(-10).mod(3)), -1);
    assert.equal(await run(r.expr(4).add(r.expr(2).mul(r.expr(26).mod(18))).div(5).sub(3)), 1);
    await fails(r.expr(1).add('a'), r.Error.ReqlQueryLogicError, 'Expected type NUMBER but found STRING.');
    await fails(r.expr('a').mul(2), r.Error.ReqlQueryLogicError, 'Expected type NUMBER but found STRING.');
    await fails(r.expr([1]).mul(1.5), r.Error.ReqlQueryLogicError, 'Number not an integer: 1.5');
    await fails(r.expr(1).div(0), r.Error.ReqlQueryLogicError, 'Cannot divide by zero.');
    await fails(r.expr(1).mod(0), r.Error.ReqlQueryLogicError, 'Cannot take a number modulo 0.');
    await fails(r.expr(1e308).mul(10), r.Error.ReqlQueryLogicError, 'Non-finite number: inf');
    await fails(r.expr(null).sub(1), r.Error.ReqlNonExistenceError, 'Expected type NUMBER but found NULL.');
  });

  it('time arithmetic', async () => {
    const t = await run(r.epochTime(1000).add(60.5));
    assert.ok(t instanceof Date);
    assert.equal(t.getTime(), 1060500);
    const raw = plain(await r.epochTime(1000).sub(100).run(conn, { timeFormat: 'raw' }));
    assert.deepEqual(raw, { $reql_type$: 'TIME', epoch_time: 900, timezone: '+00:00' });
    assert.equal(await run(r.epochTime(1000).sub(r.epochTime(400))), 600);
  });

  it('floor, ceil, round', async () => {
    assert.equal(await run(r.expr(-1.5).floor()), -2);
    assert.equal(await run(r.expr(-1.5).ceil()), -1);
    assert.equal(await run(r.expr(-0.5).round()), -1);
    assert.equal(await run(r.round(2.5)), 3);
    await fails(r.expr('X').floor(), r.Error.ReqlQueryLogicError, 'Expected type NUMBER but found STRING.');
  });

  it('bit operations', async () => {
    assert.equal(await run(r.expr(3).bitAnd(6)), 2);
    assert.equal(await run(r.expr(3).bitOr(4)), 7);
    assert.equal(await run(r.expr(3).bitXor(6)), 5);
    assert.equal(await run(r.expr(2).bitNot()), -3);
    assert.equal(await run(r.expr(1).bitSal(3)), 8);
    assert.equal(await run(r.expr(-16).bitSar(2)), -4);
    await fails(r.expr(9007199254740992).bitAnd(0), r.Error.ReqlQueryLogicError, 'Integer too large: 9007199254740992');
    await fails(r.expr(5).bitSal(-1), r.Error.ReqlQueryLogicError, 'Cannot bit-shift by a negative value');
    await fails(r.expr(1.5).bitAnd(3), r.Error.ReqlQueryLogicError, 'Number not an integer: 1.5');
  });

  it('comparisons are variadic and follow ReQL order', async () => {
    assert.equal(await run(r.expr(1).lt(2, 3, 4)), true);
    assert.equal(await run(r.expr(1).lt(2, 3, 2)), false);
    assert.equal(await run(r.expr(4).ge(4, 2, 2)), true);
    assert.equal(await run(r.expr(1).eq(1, 1)), true);
    assert.equal(await run(r.expr(1).ne(3, 2, 3)), true);
    assert.equal(await run(r.expr({ a: 0, b: 1 }).eq({ b: 1, a: 0 })), true);
    assert.equal(await run(r.expr([]).lt(true)), true);
    assert.equal(await run(r.expr(null).lt(-2)), true);
    assert.equal(await run(r.expr('zzz').gt({})), true);
    assert.equal(await run(r.epochTime(0).gt(12)), true);
    assert.equal(await run(T().get(1)('n').le(T().get(2)('n'))), true);
    await fails(T().eq(1), r.Error.ReqlQueryLogicError, 'Expected type DATUM but found TABLE:\ntable("core")');
  });

  it('match', async () => {
    assert.deepEqual(await run(r.expr('abcdefg').match('a(b.e)|b(c.e)')),
      { str: 'bcde', start: 1, end: 5, groups: [null, { str: 'cde', start: 2, end: 5 }] });
    assert.equal(await run(r.expr('abcdefg').match('x')), null);
    assert.deepEqual(await run(r.expr('abcdefg').match('(?i)B(C)')),
      { str: 'bc', start: 1, end: 3, groups: [{ str: 'c', start: 2, end: 3 }] });
    await fails(r.expr('').match('ab\\9'), r.Error.ReqlQueryLogicError,
      'Error in regexp `ab\\9` (portion `\\9`): invalid escape sequence: \\9');
  });

  it('split, upcase, downcase', async () => {
    assert.deepEqual(await run(r.expr('  aaaa bbbb  cccc ').split()), ['aaaa', 'bbbb', 'cccc']);
    assert.deepEqual(await run(r.expr('aaaa bbbb  cccc ').split(' ')), ['aaaa', 'bbbb', '', 'cccc', '']);
    assert.deepEqual(await run(r.expr('aaaa bbbb  cccc ').split(null, 1)), ['aaaa', 'bbbb  cccc ']);
    assert.deepEqual(await run(r.expr('abc').split('')), ['a', 'b', 'c']);
    assert.deepEqual(await run(r.expr('a,b,c').split(',', 1)), ['a', 'b,c']);
    assert.deepEqual(await run(r.expr('foo\u00a0bar\u2028baz').split()), ['foo', 'bar', 'baz']);
    assert.equal(await run(r.expr('abc-dEf').upcase()), 'ABC-DEF');
    assert.equal(await run(r.expr('ÀBC').downcase()), 'Àbc');
    await fails(r.expr('a').split(null, -2), r.Error.ReqlQueryLogicError,
      'Error: `split` size argument must be in range [-1, 99999].');
    await fails(r.expr(1).upcase(), r.Error.ReqlQueryLogicError, 'Expected type STRING but found NUMBER.');
  });

  it('the server survives all of the above', async () => {
    assert.equal(server.exited, false, server.logs());
    assert.equal(await run(r.expr(1).add(1)), 2);
  });
});
