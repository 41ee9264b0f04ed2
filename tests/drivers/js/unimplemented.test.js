'use strict';
// Every term of ql2.proto is implemented now (GRANT was the last one); a
// term the server does not know (one from a newer protocol) answers with a
// compile error naming it, without crashing the server or breaking the
// connection.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, expectReject } = require('./harness');

// A term with a number no ql2.proto has: the driver builds [tt, args,
// optargs] from the term's `tt`, so overriding it sends an unknown term.
function unknownTerm(n = 9999) {
  return Object.assign(r.db('test'), { tt: n });
}

function assertUnknownTerm(err, n = 9999) {
  assert.ok(err instanceof r.Error.ReqlCompileError, `expected ReqlCompileError, got ${err.constructor.name}`);
  // The driver's class for a server COMPILE_ERROR response.
  assert.ok(err instanceof r.Error.ReqlServerCompileError, `expected ReqlServerCompileError, got ${err.constructor.name}`);
  assert.equal(err.msg, `Unrecognized TermType: ${n}.`);
}

describe('unknown terms', { timeout: 60000 }, () => {
  let server;
  let conn;
  before(async () => {
    server = await startServer();
    conn = await server.connect();
    await r.db('test').tableCreate('u').run(conn);
  });
  after(async () => { if (server) await server.dispose(); });

  it('r.grant() is implemented: granting to a missing user is RethinkDB\'s "User `bob` not found."', async () => {
    const err = await expectReject(r.grant('bob', { read: true }).run(conn), r.Error.ReqlOpFailedError, 'r.grant');
    assert.equal(err.msg, 'User `bob` not found.');
    assert.equal(await r.expr(2).run(conn), 2);
  });

  it('an unknown term nested in known ones fails the whole query before it runs', async () => {
    let err = await expectReject(r.expr([1, { a: unknownTerm() }]).run(conn), r.Error.ReqlCompileError, 'nested unknown term');
    assertUnknownTerm(err);
    err = await expectReject(r.db('test').table('u').insert({ id: 1, v: unknownTerm(4242) }).run(conn),
      r.Error.ReqlCompileError, 'insert with an unknown term inside');
    assertUnknownTerm(err, 4242);
    // Nothing was written.
    assert.equal(await r.db('test').table('u').count().run(conn), 0);
    assert.equal(await r.db('test').table('u').get(1).run(conn), null);
  });

  it('many unknown-term queries in flight with good ones: each gets its own answer', async () => {
    const settled = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => (
      i % 3 === 0 ? unknownTerm(9000 + i).run(conn) : r.expr(i).run(conn))));
    settled.forEach((s, i) => {
      if (i % 3 === 0) {
        assert.equal(s.status, 'rejected', `#${i}`);
        assertUnknownTerm(s.reason, 9000 + i);
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
