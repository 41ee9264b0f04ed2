'use strict';
// WebSocket changefeeds served by `photondb serve` (GET /api/changes),
// read with a Node WebSocket client while the official driver writes.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { r, startServer, withTimeout } = require('./harness');

function open(url) {
  const ws = new WebSocket(url);
  const frames = [];
  const waiters = [];
  ws.on('message', (data) => {
    frames.push(JSON.parse(data.toString()));
    while (waiters.length && frames.length >= waiters[0].n) waiters.shift().resolve();
  });
  const next = (n) => withTimeout(new Promise((resolve) => {
    if (frames.length >= n) resolve(); else waiters.push({ n, resolve });
  }), 5000, `${n} WebSocket frames`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, next }));
    ws.once('unexpected-response', (req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('WebSocket changefeeds', { timeout: 60000 }, () => {
  let server;
  let conn;
  before(async () => {
    server = await startServer();
    conn = await server.connect();
    await r.tableCreate('live').run(conn);
    await r.table('live').insert({ id: 0, room: 'a' }).run(conn);
  });
  after(async () => { if (server) await server.dispose(); });

  it('streams initial documents, then changes, filtered', async () => {
    const base = `ws://127.0.0.1:${server.httpPort}/api/changes?db=test&table=live`;
    const c = await open(`${base}&include_initial=true&include_types=true&filter=${encodeURIComponent('{"room":"a"}')}`);
    await c.next(1);
    assert.deepEqual(c.frames[0], { old_val: null, new_val: { id: 0, room: 'a' }, type: 'initial' });
    await r.table('live').insert([{ id: 1, room: 'b' }, { id: 2, room: 'a' }]).run(conn);
    await r.table('live').get(2).update({ room: 'b' }).run(conn);
    await c.next(3);
    assert.deepEqual(c.frames.slice(1), [
      { old_val: null, new_val: { id: 2, room: 'a' }, type: 'add' },
      { old_val: { id: 2, room: 'a' }, new_val: null, type: 'remove' },
    ]);
    c.ws.close();
  });

  it('refuses a missing table, and ends the stream when the table is dropped', async () => {
    await assert.rejects(open(`ws://127.0.0.1:${server.httpPort}/api/changes?table=nope`), /HTTP 404/);
    const c = await open(`ws://127.0.0.1:${server.httpPort}/api/changes?table=live`);
    const closed = new Promise((resolve) => c.ws.once('close', resolve));
    await r.tableDrop('live').run(conn);
    await c.next(1);
    assert.deepEqual(c.frames[0], { error: 'Changefeed aborted (table unavailable).' });
    await withTimeout(closed, 5000, 'socket close after the drop');
  });
});
