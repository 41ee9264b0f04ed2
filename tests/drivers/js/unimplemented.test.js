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

  it('r.grant() (permissions come with the auth work) is a compile error naming GRANT', async () => {
    const err = await expectReject(r.grant('bob', { read: true }).run(conn), r.Error.ReqlCompileError, 'r.grant');
    assertNotImplemented(err, /grant/i);
    assert.equal(await r.expr(2).run(conn), 2);
  });

  it('an unimplemented term nested in implemented ones fails the whole query before it runs', async () => {
    let err = await expectReject(r.expr([1, { a: r.grant('bob', { read: true }) }]).run(conn), r.Error.ReqlCompileError, 'nested r.grant');
    assertNotImplemented(err, /grant/i);
    err = await expectReject(r.db('test').table('u').insert({ id: 1, v: r.grant('bob', { read: true }) }).run(conn),
      r.Error.ReqlCompileError, 'insert with r.grant inside');
    assertNotImplemented(err, /grant/i);
    // Nothing was written.
    assert.equal(await r.db('test').table('u').count().run(conn), 0);
    assert.equal(await r.db('test').table('u').get(1).run(conn), null);
  });

  it('many unimplemented queries in flight with good ones: each gets its own answer', async () => {
    const settled = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => (
      i % 3 === 0 ? r.grant(`user${i}`, { read: true }).run(conn) : r.expr(i).run(conn))));
    settled.forEach((s, i) => {
      if (i % 3 === 0) {
        assert.equal(s.status, 'rejected', `#${i}`);
        assertNotImplemented(s.reason, /grant/i);
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
