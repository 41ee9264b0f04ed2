'use strict';
// Malformed traffic on the driver port: each bad connection is dropped, and
// the server keeps serving every other connection.

const { describe, it, before, after, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { r, startServer, withTimeout } = require('./harness');

const V1_0 = 0x34c2bdc3;
const CLIENT_ERROR = 16;

function u32le(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

function tokenBuf(token) {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(token % 0x100000000, 0);
  b.writeUInt32LE(Math.floor(token / 0x100000000), 4);
  return b;
}

// Opens a raw TCP connection, writes `bytes`, and collects what the server
// sends until it closes the connection or `ms` pass.
function rawExchange(port, bytes, ms = 5000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => finish(false), ms);
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('error', (e) => {
      // A reset by the server counts as closing the connection.
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') finish(true);
      else if (!done) { done = true; clearTimeout(timer); reject(e); }
    });
  });
}

describe('malformed traffic on the driver port', { timeout: 90000 }, () => {
  let server;
  let bystander; // a connection opened before the bad traffic
  let n = 0;
  before(async () => {
    server = await startServer();
    const conn = await server.connect();
    await r.db('test').tableCreate('proto').run(conn);
  });
  after(async () => { if (server) await server.dispose(); });
  beforeEach(async () => {
    bystander = await server.connect();
    assert.equal(await r.expr('ready').run(bystander), 'ready');
  });
  // After every case: the server process is alive, the connection opened
  // before still works, and a new driver connection does real work.
  afterEach(async () => {
    assert.equal(server.exited, false, `the server died: code ${server.exitCode} signal ${server.exitSignal}\n${server.logs()}`);
    n += 1;
    assert.deepEqual(await withTimeout(r.db('test').table('proto').insert({ id: `by-${n}` }).run(bystander), 5000, 'bystander insert'),
      { deleted: 0, errors: 0, inserted: 1, replaced: 0, skipped: 0, unchanged: 0 });
    const conn = await withTimeout(server.connect(), 5000, 'new connection');
    assert.deepEqual(await r.db('test').table('proto').get(`by-${n}`).run(conn), { id: `by-${n}` });
    assert.equal((await r.db('test').table('proto').insert({ id: `new-${n}` }).run(conn)).inserted, 1);
    await conn.close();
    await bystander.close();
  });

  it('garbage bytes instead of a handshake: the connection is closed', async () => {
    const garbage = Buffer.concat([
      Buffer.from('\x00\xff\xfe\x13garbage garbage {not json}\x00\x00'),
      Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37 + 11) & 0xff)),
    ]);
    const res = await rawExchange(server.driverPort, garbage);
    assert.equal(res.closed, true, `the server kept a garbage connection open (got ${JSON.stringify(res.data.toString())})`);
  });

  it('a wrong magic number gets a NUL-terminated error text and a close', async () => {
    const hello = Buffer.concat([u32le(0x12345678), Buffer.from('{"protocol_version":0}\0')]);
    const res = await rawExchange(server.driverPort, hello);
    assert.equal(res.closed, true, 'the server kept the connection open');
    assert.ok(res.data.length > 1, 'the server sent no error text');
    assert.equal(res.data[res.data.length - 1], 0, `error text is not NUL-terminated: ${JSON.stringify(res.data.toString())}`);
    assert.ok(res.data.indexOf(0) === res.data.length - 1, 'exactly one NUL, at the end');
  });

  it('the right magic followed by a non-JSON handshake message: the connection is closed', async () => {
    const hello = Buffer.concat([u32le(V1_0), Buffer.from('this is not json\0')]);
    const res = await rawExchange(server.driverPort, hello);
    assert.equal(res.closed, true, `the server kept the connection open (got ${JSON.stringify(res.data.toString())})`);
  });

  it('a client that hangs up in the middle of the handshake', async () => {
    const first = JSON.stringify({
      protocol_version: 0,
      authentication_method: 'SCRAM-SHA-256',
      authentication: 'n,,n=admin,r=rOprNGfwEbeRWgbNEkqO',
    });
    await new Promise((resolve, reject) => {
      const sock = net.connect(server.driverPort, '127.0.0.1');
      sock.on('error', reject);
      sock.on('connect', () => sock.write(Buffer.concat([u32le(V1_0), Buffer.from(first + '\0')])));
      sock.once('data', () => { sock.destroy(); resolve(); }); // got the server's first answer; leave
      setTimeout(() => { sock.destroy(); resolve(); }, 3000);
    });
    // Also: the magic alone, then gone.
    await new Promise((resolve) => {
      const sock = net.connect(server.driverPort, '127.0.0.1');
      sock.on('error', () => resolve());
      sock.on('connect', () => { sock.end(u32le(V1_0)); setTimeout(resolve, 100); });
    });
  });

  it('an oversized frame header (length 0x7fffffff) makes the server close that connection', async () => {
    const conn = await server.connect();
    assert.equal(await r.expr(1).run(conn), 1);
    const TOKEN = 987654321;
    const answers = [];
    const origProcess = conn._processResponse;
    conn._processResponse = function (response, token) {
      if (token === TOKEN) answers.push(response);
      return origProcess.call(this, response, token);
    };
    const sock = conn.rawSocket;
    const closed = new Promise((resolve) => sock.once('close', resolve));
    sock.write(Buffer.concat([tokenBuf(TOKEN), u32le(0x7fffffff)]));
    await withTimeout(closed, 10000, 'the server closing the connection after an oversized frame header');
    assert.equal(conn.isOpen(), false);
    // If the server answered before closing, it was a CLIENT_ERROR for that token.
    for (const a of answers) {
      assert.equal(a.t, CLIENT_ERROR, `answer to the oversized frame: ${JSON.stringify(a)}`);
      assert.equal(typeof a.r[0], 'string');
    }
  });

  it('an oversized frame header with some body bytes behind it', async () => {
    const conn = await server.connect();
    const sock = conn.rawSocket;
    const closed = new Promise((resolve) => sock.once('close', resolve));
    sock.write(Buffer.concat([tokenBuf(5), u32le(0x7fffffff), Buffer.alloc(64 * 1024, 0x5b)]));
    await withTimeout(closed, 10000, 'the server closing the connection');
  });

  it('a query frame whose body is not JSON: CLIENT_ERROR for that token or a close', async () => {
    const conn = await server.connect();
    const TOKEN = 4242424242;
    const answers = [];
    const origProcess = conn._processResponse;
    conn._processResponse = function (response, token) {
      if (token === TOKEN) answers.push(response);
      return origProcess.call(this, response, token);
    };
    const sock = conn.rawSocket;
    let isClosed = false;
    const closed = new Promise((resolve) => sock.once('close', () => { isClosed = true; resolve(); }));
    const body = Buffer.from('[1, {not json at all');
    sock.write(Buffer.concat([tokenBuf(TOKEN), u32le(body.length), body]));
    await withTimeout(Promise.race([closed, (async () => {
      for (let i = 0; i < 200 && answers.length === 0; i++) await new Promise((res) => setTimeout(res, 25));
    })()]), 10000, 'an answer or a close');
    assert.ok(isClosed || answers.length > 0, 'neither an answer nor a close within 5 s');
    for (const a of answers) assert.equal(a.t, CLIENT_ERROR, `answer: ${JSON.stringify(a)}`);
    if (!isClosed) {
      // The connection survived: it must still answer real queries.
      assert.equal(await r.expr('alive').run(conn), 'alive');
    }
  });

  it('many bad connections at once', async () => {
    const bad = [];
    for (let i = 0; i < 20; i++) {
      bad.push(rawExchange(server.driverPort, i % 2 ? Buffer.from('GARBAGE!') : u32le(0xdeadbeef)));
    }
    const results = await Promise.all(bad);
    results.forEach((res, i) => assert.equal(res.closed, true, `bad connection #${i} left open`));
  });
});
