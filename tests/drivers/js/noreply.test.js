'use strict';
// noreply queries: applied by the server without an answer; noreplyWait()
// returns once all of them are applied.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, withTimeout, toArray } = require('./harness');

describe('noreply', { timeout: 60000 }, () => {
  let server;
  before(async () => {
    server = await startServer();
    const conn = await server.connect();
    await r.db('test').tableCreate('nr').run(conn);
    await r.db('test').tableCreate('nr_close').run(conn);
  });
  after(async () => { if (server) await server.dispose(); });

  it('300 noreply inserts are all readable after noreplyWait()', async () => {
    const conn = await server.connect();
    const T = r.db('test').table('nr');
    const runs = [];
    for (let i = 0; i < 300; i++) {
      runs.push(T.insert({ id: i, v: `nr-${i}` }).run(conn, { noreply: true }));
    }
    // run() with noreply resolves at once, with no result.
    const results = await withTimeout(Promise.all(runs), 5000, 'noreply run() calls');
    assert.ok(results.every((x) => x === undefined), 'noreply run() resolves with undefined');
    await withTimeout(conn.noreplyWait(), 20000, 'noreplyWait()');

    assert.equal(await T.count().run(conn), 300);
    const rows = (await toArray(await T.run(conn))).sort((a, b) => a.id - b.id);
    assert.equal(rows.length, 300);
    rows.forEach((row, i) => assert.deepEqual(row, { id: i, v: `nr-${i}` }));
    // Visible from another connection too.
    const other = await server.connect();
    assert.equal(await T.count().run(other), 300);
  });

  it('noreply updates and deletes are applied in order', async () => {
    const conn = await server.connect();
    const T = r.db('test').table('nr');
    for (let i = 0; i < 100; i++) T.get(i).update({ round: 1 }).run(conn, { noreply: true });
    for (let i = 0; i < 100; i++) T.get(i).update({ round: 2 }).run(conn, { noreply: true });
    for (let i = 200; i < 300; i++) T.get(i).delete().run(conn, { noreply: true });
    await withTimeout(conn.noreplyWait(), 20000, 'noreplyWait()');
    assert.equal(await T.count().run(conn), 200);
    for (const i of [0, 50, 99]) assert.deepEqual(await T.get(i).run(conn), { id: i, v: `nr-${i}`, round: 2 });
    assert.deepEqual(await T.get(100).run(conn), { id: 100, v: 'nr-100' });
    assert.equal(await T.get(250).run(conn), null);
  });

  it('a failing noreply query does not disturb the connection', async () => {
    const conn = await server.connect();
    r.db('test').table('no_such_table').insert({ id: 1 }).run(conn, { noreply: true });
    r.db('test').table('nr').insert({ id: 0 }).run(conn, { noreply: true }); // duplicate key
    await withTimeout(conn.noreplyWait(), 10000, 'noreplyWait()');
    assert.equal(await r.expr('fine').run(conn), 'fine');
    assert.deepEqual(await r.db('test').table('nr').get(0).run(conn), { id: 0, v: 'nr-0', round: 2 });
  });

  it('noreplyWait() with nothing pending returns at once', async () => {
    const conn = await server.connect();
    await withTimeout(conn.noreplyWait(), 5000, 'noreplyWait()');
  });

  it('close() waits for noreply writes by default', async () => {
    const conn = await server.connect();
    for (let i = 0; i < 200; i++) {
      r.db('test').table('nr_close').insert({ id: i }).run(conn, { noreply: true });
    }
    await withTimeout(conn.close(), 20000, 'conn.close()');
    const other = await server.connect();
    assert.equal(await r.db('test').table('nr_close').count().run(other), 200);
  });
});
