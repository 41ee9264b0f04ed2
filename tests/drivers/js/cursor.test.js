'use strict';
// Table scans come back as cursors, in batches: SUCCESS_PARTIAL answers the
// START and each CONTINUE until the last batch (SUCCESS_SEQUENCE).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, withTimeout, expectReject } = require('./harness');

const N = 10000;
const PAD = 'x'.repeat(120); // ~1.4 MB in all: more than one batch for RethinkDB too

// Protocol numbers (ql2.proto).
const Q = { START: 1, CONTINUE: 2, STOP: 3 };
const R = { SUCCESS_SEQUENCE: 2, SUCCESS_PARTIAL: 3 };

// Records, per token, the query types the driver sends and the response types
// it receives. Uses two methods of the driver's Connection (rethinkdb 2.4.2 is
// pinned exactly): _sendQuery(query) and _processResponse(response, token).
function spyOn(conn) {
  const sent = new Map();
  const received = new Map();
  const push = (m, token, v) => { if (!m.has(token)) m.set(token, []); m.get(token).push(v); };
  const origSend = conn._sendQuery;
  const origProcess = conn._processResponse;
  conn._sendQuery = function (query) { push(sent, query.token, query.type); return origSend.call(this, query); };
  conn._processResponse = function (response, token) {
    push(received, token, { t: response.t, rows: Array.isArray(response.r) ? response.r.length : 0 });
    return origProcess.call(this, response, token);
  };
  return {
    sent: (token) => sent.get(token) || [],
    received: (token) => received.get(token) || [],
    restore() { conn._sendQuery = origSend; conn._processResponse = origProcess; },
  };
}

async function readAll(cursor) {
  const rows = [];
  for (let i = 0; i <= N + 1; i++) { // bounded: one more than the table holds
    try {
      rows.push(await cursor.next());
    } catch (e) {
      if (e instanceof r.Error.ReqlDriverError && e.message === 'No more rows in the cursor.') return rows;
      throw e;
    }
  }
  throw new Error(`cursor yielded more than ${N + 1} rows`);
}

function assertAllIdsOnce(rows) {
  assert.equal(rows.length, N);
  const seen = new Uint8Array(N);
  for (const row of rows) {
    assert.ok(Number.isInteger(row.id) && row.id >= 0 && row.id < N, `unexpected id ${row.id}`);
    assert.equal(seen[row.id], 0, `id ${row.id} seen twice`);
    seen[row.id] = 1;
    assert.deepEqual(row, { id: row.id, pad: PAD, sq: row.id * row.id });
  }
}

describe('cursors', { timeout: 90000 }, () => {
  let server;
  let conn;
  const T = () => r.db('test').table('big');
  before(async () => {
    server = await startServer();
    conn = await server.connect();
    await r.db('test').tableCreate('big').run(conn);
    await r.db('test').tableCreate('empty').run(conn);
    for (let start = 0; start < N; start += 1000) {
      const docs = [];
      for (let i = start; i < start + 1000; i++) docs.push({ id: i, pad: PAD, sq: i * i });
      const res = await T().insert(docs).run(conn);
      assert.equal(res.inserted, 1000);
    }
    assert.equal(await T().count().run(conn), N);
  });
  after(async () => { if (server) await server.dispose(); });

  it('reads 10,000 documents to the end, in several batches', async () => {
    const spy = spyOn(conn);
    let cursor;
    try {
      cursor = await T().run(conn);
      const rows = await withTimeout(readAll(cursor), 30000, 'reading the cursor');
      assertAllIdsOnce(rows);

      const token = cursor._token;
      const received = spy.received(token);
      const sent = spy.sent(token);
      assert.ok(received.length >= 2, `expected several batches, got ${JSON.stringify(received)}`);
      assert.equal(received[0].t, R.SUCCESS_PARTIAL, 'the first batch is SUCCESS_PARTIAL');
      assert.equal(received[received.length - 1].t, R.SUCCESS_SEQUENCE, 'the last batch is SUCCESS_SEQUENCE');
      for (const resp of received.slice(0, -1)) assert.equal(resp.t, R.SUCCESS_PARTIAL);
      assert.equal(received.reduce((n, resp) => n + resp.rows, 0), N, 'rows over all batches');
      assert.equal(sent[0], Q.START);
      const continues = sent.filter((t) => t === Q.CONTINUE).length;
      assert.equal(continues, received.length - 1, 'one CONTINUE per batch after the first');
      assert.ok(!sent.includes(Q.STOP), 'no STOP for a cursor read to the end');
    } finally {
      spy.restore();
    }
    // The connection is still fine.
    assert.equal(await r.expr('after').run(conn), 'after');
  });

  it('toArray() reads the whole table too', async () => {
    const rows = await withTimeout((await T().run(conn)).toArray(), 30000, 'toArray');
    assertAllIdsOnce(rows);
  });

  it('an empty table gives an empty cursor', async () => {
    const cursor = await r.db('test').table('empty').run(conn);
    assert.deepEqual(await cursor.toArray(), []);
  });

  it('a cursor closed after its first batch is stopped by the server (STOP -> SUCCESS_SEQUENCE)', async () => {
    const spy = spyOn(conn);
    let cursor;
    try {
      cursor = await T().run(conn);
      // Nothing consumed yet, so the driver has not prefetched: the server holds
      // an open cursor and STOP is the only request in flight for this token.
      assert.deepEqual(spy.received(cursor._token).map((x) => x.t), [R.SUCCESS_PARTIAL]);
      // close() resolves only once the server answers the STOP.
      await withTimeout(cursor.close(), 10000, 'cursor.close()');
      assert.deepEqual(spy.sent(cursor._token), [Q.START, Q.STOP]);
      assert.deepEqual(spy.received(cursor._token).map((x) => x.t), [R.SUCCESS_PARTIAL, R.SUCCESS_SEQUENCE]);
    } finally {
      spy.restore();
    }
    assert.equal(await r.expr('still here').run(conn), 'still here');
  });

  it('closing a cursor after a few rows: close() resolves and the connection still works', async () => {
    const spy = spyOn(conn);
    let cursor;
    try {
      cursor = await T().run(conn);
      const first = [];
      for (let i = 0; i < 5; i++) first.push(await cursor.next());
      assert.equal(new Set(first.map((d) => d.id)).size, 5);
      // The driver has prefetched the next batch (CONTINUE) when the first row
      // was read; STOP may cross its answer. Either way close() must resolve.
      await withTimeout(cursor.close(), 10000, 'cursor.close()');
      assert.ok(spy.sent(cursor._token).includes(Q.STOP), 'the driver sent STOP');
    } finally {
      spy.restore();
    }
    const err = await expectReject(cursor.next(), r.Error.ReqlDriverError, 'next() after close()');
    assert.match(err.message, /Cursor is closed/);
    assert.equal(conn.isOpen(), true);
    assert.deepEqual(await r.expr({ ok: [1, 2] }).run(conn), { ok: [1, 2] });
    assert.equal(await T().count().run(conn), N);
    assert.deepEqual(await T().get(1234).run(conn), { id: 1234, pad: PAD, sq: 1234 * 1234 });
    assertAllIdsOnce(await withTimeout((await T().run(conn)).toArray(), 30000, 'toArray after close'));
  });

  it('two cursors on one connection, read interleaved, each see every row once', async () => {
    const a = await T().run(conn);
    const b = await T().run(conn);
    const rowsA = [];
    const rowsB = [];
    await withTimeout((async () => {
      for (let i = 0; i < N; i++) {
        rowsA.push(await a.next());
        rowsB.push(await b.next());
      }
    })(), 30000, 'interleaved cursors');
    await expectReject(a.next(), r.Error.ReqlDriverError, 'cursor a past its end');
    await expectReject(b.next(), r.Error.ReqlDriverError, 'cursor b past its end');
    assertAllIdsOnce(rowsA);
    assertAllIdsOnce(rowsB);
  });

  it('a cursor closed right away, while other queries run, leaves them correct', async () => {
    const c = await T().run(conn);
    const [closed, got, count] = await withTimeout(Promise.all([
      c.close(),
      T().get(42).run(conn),
      T().count().run(conn),
    ]), 10000, 'close with concurrent queries');
    assert.equal(closed, undefined);
    assert.deepEqual(got, { id: 42, pad: PAD, sq: 42 * 42 });
    assert.equal(count, N);
  });
});
