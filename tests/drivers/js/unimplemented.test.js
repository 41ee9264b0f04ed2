'use strict';
// Terms the server does not implement answer with a compile error naming the
// term, without crashing the server or breaking the connection.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, expectReject } = require('./harness');

function assertNotImplemented(err, termPattern) {
  assert.ok(err instanceof r.Error.ReqlCompileError, `expected ReqlCompileError, got ${err.constructor.name}`);
  // The driver's class for a server COMPILE_ERROR response.
  assert.ok(err instanceof r.Error.ReqlServerCompileError, `expected ReqlServerCompileError, got ${err.constructor.name}`);
  assert.match(err.msg, /not/i, err.msg);
  assert.match(err.msg, /implemented/i, err.msg);
  assert.match(err.msg, termPattern, `the message names the term: ${err.msg}`);
}

describe('unimplemented terms', { timeout: 60000 }, () => {
  let server;
  let conn;
  before(async () => {
    server = await startServer();
    conn = await server.connect();
    await r.db('test').tableCreate('u').run(conn);
  });
  after(async () => { if (server) await server.dispose(); });

  it('r.js() is a compile error naming JAVASCRIPT', async () => {
    const err = await expectReject(r.js('1 + 1').run(conn), r.Error.ReqlCompileError, 'r.js');
    assertNotImplemented(err, /javascript|\bjs\b/i);
    assert.equal(await r.expr(2).run(conn), 2);
  });

  it('r.http() is a compile error naming HTTP', async () => {
    const err = await expectReject(r.http('http://127.0.0.1:1/').run(conn), r.Error.ReqlCompileError, 'r.http');
    assertNotImplemented(err, /http/i);
    assert.equal(await r.expr('ok').run(conn), 'ok');
  });

  it('an unimplemented term nested in implemented ones fails the whole query before it runs', async () => {
    let err = await expectReject(r.expr([1, { a: r.js('2') }]).run(conn), r.Error.ReqlCompileError, 'nested r.js');
    assertNotImplemented(err, /javascript|\bjs\b/i);
    err = await expectReject(r.db('test').table('u').insert({ id: 1, v: r.js('2') }).run(conn),
      r.Error.ReqlCompileError, 'insert with r.js inside');
    assertNotImplemented(err, /javascript|\bjs\b/i);
    // Nothing was written.
    assert.equal(await r.db('test').table('u').count().run(conn), 0);
    assert.equal(await r.db('test').table('u').get(1).run(conn), null);
  });

  it('many unimplemented queries in flight with good ones: each gets its own answer', async () => {
    const settled = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => (
      i % 3 === 0 ? r.js(String(i)).run(conn) : r.expr(i).run(conn))));
    settled.forEach((s, i) => {
      if (i % 3 === 0) {
        assert.equal(s.status, 'rejected', `#${i}`);
        assertNotImplemented(s.reason, /javascript|\bjs\b/i);
      } else {
        assert.deepEqual(s, { status: 'fulfilled', value: i }, `#${i}`);
      }
    });
  });

  it('the server keeps working after all that', async () => {
    assert.equal(server.exited, false, server.logs());
    assert.equal((await r.db('test').table('u').insert({ id: 'after' }).run(conn)).inserted, 1);
    assert.deepEqual(await r.db('test').table('u').get('after').run(conn), { id: 'after' });
    const other = await server.connect();
    assert.equal(await r.db('test').table('u').count().run(other), 1);
  });
});
