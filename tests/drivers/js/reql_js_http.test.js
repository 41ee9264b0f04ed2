'use strict';
// r.js, r.http and write hooks through the official driver.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { r, startServer, expectReject, plain, toArray } = require('./harness');

describe('r.js, r.http and write hooks', { timeout: 60000 }, () => {
  let server;
  let conn;
  let web;
  let base;
  before(async () => {
    server = await startServer(); // --dev-mode: r.http reaches any host
    conn = await server.connect();
    web = http.createServer((req, res) => {
      const u = new URL(req.url, 'http://x');
      if (u.pathname === '/json') {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ hello: 'world', q: u.search }));
      } else if (u.pathname === '/pages') {
        const p = Number(u.searchParams.get('page') || '1');
        if (p < 3) res.setHeader('Link', `<${base}/pages?page=${p + 1}>; rel="next"`);
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify([p * 10, p * 10 + 1]));
      } else if (u.pathname === '/echo') {
        let body = '';
        req.on('data', (c) => { body += c; });
        req.on('end', () => {
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ method: req.method, body }));
        });
      } else {
        res.statusCode = 404;
        res.setHeader('Content-Type', 'text/plain');
        res.end('missing');
      }
    });
    await new Promise((resolve) => web.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${web.address().port}`;
    await r.db('test').tableCreate('hooked').run(conn);
  });
  after(async () => {
    if (conn) await conn.close();
    if (web) await new Promise((resolve) => web.close(resolve));
    if (server) await server.stop();
  });

  async function fails(q, errClass, msg) {
    const err = await expectReject(q.run(conn), errClass);
    if (msg instanceof RegExp) assert.match(err.msg, msg);
    else assert.equal(err.msg, msg);
  }

  it('r.js evaluates expressions', async () => {
    assert.equal(await r.js('1 + 2').run(conn), 3);
    assert.deepEqual(await r.js("({a: [1, 'x'], b: null})").run(conn), { a: [1, 'x'], b: null });
    const t = await r.js('new Date(1500000000000)').run(conn);
    assert.equal(t.getTime(), 1500000000000);
  });

  it('r.js functions work in map, filter and reduce', async () => {
    assert.deepEqual(plain(await r.expr([1, 2, 3]).map(r.js('(function(x) { return x * 10; })')).run(conn)), [10, 20, 30]);
    assert.deepEqual(plain(await r.expr([1, 2, 3, 4]).filter(r.js('(function(x) { return x > 2; })')).run(conn)), [3, 4]);
    assert.equal(await r.expr([1, 2, 3]).reduce(r.js('(function(a, b) { return a + b; })')).run(conn), 6);
  });

  it('r.js errors are RethinkDB\'s', async () => {
    await fails(r.js('undefined'), r.Error.ReqlQueryLogicError, 'Cannot convert javascript `undefined` to ql::datum_t.');
    await fails(r.js("throw new Error('boom')"), r.Error.ReqlQueryLogicError, 'Error: boom');
    await fails(r.js('while(true) {}', { timeout: 0.3 }), r.Error.ReqlQueryLogicError, 'JavaScript query `while(true) {}` timed out after 0.300 seconds.');
    await fails(r.js('(function(x) { return x; })'), r.Error.ReqlQueryLogicError, 'Query result must be of type DATUM, GROUPED_DATA, or STREAM (got FUNCTION).');
    await fails(r.expr([1]).map(r.js('(function(x) { return function() {}; })')), r.Error.ReqlQueryLogicError, 'Returning functions from within `r.js` is unsupported.');
  });

  it('r.http gets, posts and reports errors', async () => {
    assert.deepEqual(await r.http(`${base}/json`, { params: { a: 1 } }).run(conn), { hello: 'world', q: '?a=1' });
    assert.deepEqual(await r.http(`${base}/echo`, { method: 'POST', data: { x: 'y' } }).run(conn), { method: 'POST', body: 'x=y' });
    assert.deepEqual(await r.http(`${base}/echo`, { method: 'PUT', data: { x: 1 } }).run(conn), { method: 'PUT', body: '{"x":1}' });
    await fails(r.http(`${base}/missing`), r.Error.ReqlNonExistenceError, /^Error in HTTP GET of `http:\/\/127\.0\.0\.1:\d+\/missing`: status code 404\./);
    assert.equal(await r.http(`${base}/missing`).default('fallback').run(conn), 'fallback');
    await fails(r.http(`${base}/json`, { method: 'GETS' }), r.Error.ReqlQueryLogicError, '`method` (GETS) is not recognized (GET, HEAD, POST, PUT, PATCH and DELETE are allowed).');
  });

  it('r.http paginates lazily', async () => {
    const cursor = await r.http(`${base}/pages`, { page: 'link-next', page_limit: -1 }).run(conn);
    assert.deepEqual(plain(await cursor.toArray()), [10, 11, 20, 21, 30, 31]);
    assert.deepEqual(await toArray(await r.http(`${base}/pages`, { page: 'link-next', page_limit: -1 }).limit(1).run(conn)), [10]);
    await fails(r.http(`${base}/pages`, { page: 'link-next' }), r.Error.ReqlQueryLogicError,
      'Cannot use `page` without specifying `page_limit` (a positive number performs that many requests, -1 is unlimited).');
  });

  it('write hooks run on every write unless ignored', async () => {
    const t = r.table('hooked');
    assert.equal(await t.getWriteHook().run(conn), null);
    assert.deepEqual(await t.setWriteHook((ctx, oldVal, newVal) => newVal.merge({ pk: ctx('primary_key'), hooked: true })).run(conn), { created: 1 });
    const hook = await t.getWriteHook().run(conn);
    assert.ok(Buffer.isBuffer(hook.function));
    assert.match(hook.query, /^setWriteHook\(/);
    await t.insert({ id: 1, a: 1 }).run(conn);
    assert.deepEqual(await t.get(1).run(conn), { id: 1, a: 1, pk: 1, hooked: true });
    await t.get(1).replace({ id: 1 }, { ignoreWriteHook: true }).run(conn);
    assert.deepEqual(await t.get(1).run(conn), { id: 1 });
    const res = await t.get(1).delete().run(conn);
    assert.equal(res.errors, 1);
    assert.match(res.first_error, /^Error in write hook: /);
    await fails(t.setWriteHook((a, b) => b), r.Error.ReqlQueryLogicError, 'Write hook functions must expect 3 arguments.');
    await fails(t.setWriteHook((a, b, c) => r.random()), r.Error.ReqlQueryLogicError, 'Could not prove function deterministic.  Write hook functions must be deterministic.');
    assert.deepEqual(await t.setWriteHook(null).run(conn), { deleted: 1 });
    assert.deepEqual(await t.setWriteHook(hook.function).run(conn), { created: 1 });
    assert.deepEqual(await t.setWriteHook(null).run(conn), { deleted: 1 });
    assert.equal((await t.get(1).delete().run(conn)).deleted, 1);
  });
});
