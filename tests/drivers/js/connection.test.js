'use strict';
// Connecting, authentication, conn.server() and many queries in flight on one
// connection.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, withTimeout, expectReject, toArray, plain, UUID_RE } = require('./harness');

describe('connection', { timeout: 60000 }, () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { if (server) await server.dispose(); });

  it('connects as admin with the empty password, runs a query and closes', async () => {
    const conn = await r.connect({ host: '127.0.0.1', port: server.driverPort, timeout: 10 });
    try {
      assert.equal(conn.isOpen(), true);
      assert.deepEqual(await r.expr({ a: 1, b: [true, null, 'x'] }).run(conn), { a: 1, b: [true, null, 'x'] });
    } finally {
      await withTimeout(conn.close(), 5000, 'conn.close()');
    }
    assert.equal(conn.isOpen(), false);
    await expectReject(r.expr(1).run(conn), r.Error.ReqlDriverError, 'query on a closed connection');
  });

  it('connects with explicit user admin and password ""', async () => {
    const conn = await r.connect({ host: '127.0.0.1', port: server.driverPort, user: 'admin', password: '', timeout: 10 });
    try {
      assert.equal(await r.expr('hello').run(conn), 'hello');
    } finally {
      await conn.close();
    }
  });

  it('rejects a wrong password with ReqlAuthError "Wrong password"', async () => {
    // The driver (2.4.2) leaves its connect timer armed after a handshake error
    // and later emits a ReqlTimeoutError on the connection; r.connect gives no
    // handle to listen for it, so build the driver's own TcpConnection directly
    // (exactly what r.connect does) and swallow that late event.
    let conn;
    const err = await withTimeout(new Promise((resolve, reject) => {
      conn = new r.net.TcpConnection(
        { host: '127.0.0.1', port: server.driverPort, user: 'admin', password: 'wrong', timeout: 3 },
        (e, c) => (e ? resolve(e) : reject(new Error('connected with a wrong password'))));
      conn.on('error', () => {});
    }), 10000, 'handshake with a wrong password');
    try {
      assert.ok(err instanceof r.Error.ReqlAuthError,
        `expected ReqlAuthError, got ${err.constructor.name}: ${err.message}`);
      assert.match(err.message, /Wrong password/);
      assert.equal(conn.isOpen(), false);
    } finally {
      if (conn.rawSocket) conn.rawSocket.destroy();
    }
    // The server still accepts the right password afterwards.
    const ok = await server.connect();
    assert.equal(await r.expr(7).run(ok), 7);
  });

  it('rejects a wrong password through r.connect too', async () => {
    // See above: silence the driver's late ReqlTimeoutError (emitted with no
    // listener left) for the connections made during this test only.
    const proto = r.net.TcpConnection.prototype;
    const origEmit = proto.emit;
    proto.emit = function (ev, ...args) {
      if (ev === 'error' && this.listenerCount('error') === 0 && args[0] instanceof r.Error.ReqlTimeoutError) return false;
      return origEmit.call(this, ev, ...args);
    };
    try {
      const p = r.connect({ host: '127.0.0.1', port: server.driverPort, user: 'admin', password: 'wrong', timeout: 1 });
      const err = await expectReject(withTimeout(p, 10000, 'r.connect'), r.Error.ReqlAuthError, 'r.connect with a wrong password');
      assert.match(err.message, /Wrong password/);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // let the stray timer fire here
    } finally {
      proto.emit = origEmit;
    }
  });

  it('rejects an unknown user with ReqlAuthError', async () => {
    let conn;
    const err = await withTimeout(new Promise((resolve, reject) => {
      conn = new r.net.TcpConnection(
        { host: '127.0.0.1', port: server.driverPort, user: 'nobody_here', password: 'x', timeout: 3 },
        (e) => (e ? resolve(e) : reject(new Error('connected as an unknown user'))));
      conn.on('error', () => {});
    }), 10000, 'handshake with an unknown user');
    if (conn.rawSocket) conn.rawSocket.destroy();
    assert.ok(err instanceof r.Error.ReqlAuthError,
      `expected ReqlAuthError, got ${err.constructor.name}: ${err.message}`);
  });

  it('conn.server() returns {id, name, proxy:false}', async () => {
    const conn = await server.connect();
    const info = await conn.server();
    assert.deepEqual(Object.keys(info).sort(), ['id', 'name', 'proxy']);
    assert.equal(typeof info.id, 'string');
    assert.equal(typeof info.name, 'string');
    assert.ok(info.name.length > 0, 'server name is empty');
    assert.equal(info.proxy, false);
    assert.match(info.id, UUID_RE, 'server id is a UUID in RethinkDB');
    // Stable: same answer again and on another connection.
    assert.deepEqual(await conn.server(), info);
    const other = await server.connect();
    assert.deepEqual(await other.server(), info);
  });

  it('answers 50 concurrent queries on one connection, each under its own token', async () => {
    const conn = await server.connect();
    await r.db('test').tableCreate('conc').run(conn);
    const docs = [];
    for (let i = 0; i < 20; i++) docs.push({ id: i, sq: i * i, tag: `t${i}` });
    const ins = await r.db('test').table('conc').insert(docs).run(conn);
    assert.equal(ins.inserted, 20);

    const queries = [];
    const expected = [];
    for (let i = 0; i < 50; i++) {
      switch (i % 5) {
        case 0:
          queries.push(r.expr(i).run(conn));
          expected.push(i);
          break;
        case 1:
          queries.push(r.expr({ n: i, s: `s${i}`, arr: [i, [i]] }).run(conn));
          expected.push({ n: i, s: `s${i}`, arr: [i, [i]] });
          break;
        case 2:
          queries.push(r.db('test').table('conc').get(i % 20).run(conn));
          expected.push({ id: i % 20, sq: (i % 20) * (i % 20), tag: `t${i % 20}` });
          break;
        case 3:
          queries.push(r.db('test').table('conc').get(1000 + i).run(conn));
          expected.push(null);
          break;
        default:
          queries.push(r.db('test').table('conc').getAll(i % 20, (i + 1) % 20).run(conn)
            .then(toArray).then((rows) => rows.sort((a, b) => a.id - b.id)));
          expected.push([i % 20, (i + 1) % 20].sort((a, b) => a - b)
            .map((k) => ({ id: k, sq: k * k, tag: `t${k}` })));
      }
    }
    const results = await withTimeout(Promise.all(queries), 20000, '50 concurrent queries');
    for (let i = 0; i < 50; i++) {
      assert.deepEqual(results[i], expected[i], `query #${i}`);
    }
  });

  it('one failing query among concurrent ones fails alone', async () => {
    const conn = await server.connect();
    const settled = await Promise.allSettled([
      r.expr('a').run(conn),
      r.db('test').table('no_such_table').get(1).run(conn),
      r.expr('b').run(conn),
      r.db('no_such_db').table('x').get(1).run(conn),
      r.expr('c').run(conn),
    ]);
    assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual([settled[0].value, settled[2].value, settled[4].value], ['a', 'b', 'c']);
    assert.ok(settled[1].reason instanceof r.Error.ReqlOpFailedError, `got ${settled[1].reason}`);
    assert.equal(settled[1].reason.msg, 'Table `test.no_such_table` does not exist.');
    assert.ok(settled[3].reason instanceof r.Error.ReqlOpFailedError, `got ${settled[3].reason}`);
    assert.equal(settled[3].reason.msg, 'Database `no_such_db` does not exist.');
    assert.equal(await r.expr('still ok').run(conn), 'still ok');
  });

  it('error responses carry the backtrace "b" the driver needs', async () => {
    // RethinkDB sends {t, e, r:[message], b:[backtrace]} for runtime errors and
    // {t, r, b} for compile errors; the JS driver reads b to underline the
    // failing term and throws (inside its socket handler) when it is missing.
    const conn = await server.connect();
    const seen = [];
    const orig = conn._processResponse;
    conn._processResponse = function (response, token) {
      seen.push(JSON.parse(JSON.stringify(response)));
      return orig.call(this, response, token);
    };
    await assert.rejects(r.dbDrop('js_no_such_db').run(conn));
    // A term number no ql2.proto has (the driver sends the term's tt): a compile error.
    await assert.rejects(Object.assign(r.db('test'), { tt: 9999 }).run(conn));
    const [runtime, compile] = seen;
    assert.deepEqual(runtime, { t: 18, e: 4100000, r: ['Database `js_no_such_db` does not exist.'], b: [] });
    assert.equal(compile.t, 17);
    assert.ok(Array.isArray(compile.b), `compile error response without b: ${JSON.stringify(compile)}`);
  });

  it('serves several connections at once', async () => {
    const conns = await Promise.all(Array.from({ length: 10 }, () => server.connect()));
    const results = await Promise.all(conns.map((c, i) => r.expr([i, 'x']).run(c).then(plain)));
    results.forEach((res, i) => assert.deepEqual(res, [i, 'x']));
  });
});
