'use strict';
// Writes as RethinkDB returns them: conflict functions, return_changes,
// per-document errors, non-deterministic functions and non_atomic, writes on
// selections, for_each, and concurrent updates losing nothing.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, expectReject, toArray, plain } = require('./harness');

const counts = (c = {}) => ({ deleted: 0, errors: 0, inserted: 0, replaced: 0, skipped: 0, unchanged: 0, ...c });

describe('writes', { timeout: 90000 }, () => {
  let server;
  let conn;
  const T = () => r.table('w');
  before(async () => {
    server = await startServer();
    conn = await server.connect();
    await r.tableCreate('w').run(conn);
  });
  after(async () => { if (server) await server.dispose(); });

  it('insert with a conflict function merges old and new', async () => {
    await T().insert({ id: 1, n: 1, tags: ['a'] }).run(conn);
    const res = await T().insert({ id: 1, n: 5, tags: ['b'] }, {
      conflict: (id, oldDoc, newDoc) => newDoc.merge({ n: oldDoc('n').add(newDoc('n')), tags: oldDoc('tags').add(newDoc('tags')) }),
    }).run(conn);
    assert.deepEqual(res, counts({ replaced: 1 }));
    assert.deepEqual(plain(await T().get(1).run(conn)), { id: 1, n: 6, tags: ['a', 'b'] });
    const del = await T().insert({ id: 1 }, { conflict: () => null }).run(conn);
    assert.deepEqual(del, counts({ deleted: 1 }));
    assert.equal(await T().get(1).run(conn), null);
    const err = await expectReject(T().insert({ id: 2 }, { conflict: () => r.random() }).run(conn), r.Error.ReqlQueryLogicError);
    assert.match(err.msg, /deterministic/);
  });

  it('return_changes true and "always"', async () => {
    let res = await T().insert([{ id: 10, v: 1 }, { id: 11, v: 1 }], { returnChanges: true }).run(conn);
    assert.equal(res.inserted, 2);
    assert.deepEqual(plain(res.changes).sort((a, b) => a.new_val.id - b.new_val.id),
      [{ old_val: null, new_val: { id: 10, v: 1 } }, { old_val: null, new_val: { id: 11, v: 1 } }]);
    res = await T().get(10).update({ v: 1 }, { returnChanges: true }).run(conn);
    assert.deepEqual(res, { ...counts({ unchanged: 1 }), changes: [] });
    res = await T().get(10).update({ v: 1 }, { returnChanges: 'always' }).run(conn);
    assert.deepEqual(plain(res.changes), [{ old_val: { id: 10, v: 1 }, new_val: { id: 10, v: 1 } }]);
    res = await T().get(11).delete({ returnChanges: true }).run(conn);
    assert.deepEqual(plain(res.changes), [{ old_val: { id: 11, v: 1 }, new_val: null }]);
  });

  it('per-document errors do not abort the batch', async () => {
    const res = await T().insert([{ id: 20 }, { id: 20 }, { id: { bad: 1 } }, { id: 21 }]).run(conn);
    assert.equal(res.inserted, 2);
    assert.equal(res.errors, 2);
    assert.match(res.first_error, /^Duplicate primary key `id`:/);
    assert.equal(await T().getAll(20, 21).count().run(conn), 2);
  });

  it('non-deterministic update functions need non_atomic', async () => {
    await T().insert({ id: 30, n: 0 }).run(conn);
    const err = await expectReject(T().get(30).update({ r: r.random() }).run(conn), r.Error.ReqlQueryLogicError);
    assert.equal(err.msg, 'Could not prove argument deterministic.  Maybe you want to use the non_atomic flag?');
    let res = await T().get(30).update({ r: r.random() }, { nonAtomic: true }).run(conn);
    assert.equal(res.replaced, 1);
    // r.now() is constant within a query: allowed without non_atomic.
    res = await T().get(30).update({ at: r.now() }).run(conn);
    assert.equal(res.replaced, 1);
    assert.ok((await T().get(30).run(conn)).at instanceof Date);
    await T().get(30).update((d) => ({ n: d('n').add(1) })).run(conn);
    assert.equal((await T().get(30).run(conn)).n, 1);
  });

  it('writes on selections: filter, between, getAll, limit; forEach', async () => {
    const docs = [];
    for (let i = 100; i < 150; i++) docs.push({ id: i, g: i % 5 });
    await T().insert(docs).run(conn);
    assert.equal((await T().filter({ g: 0 }).update({ zero: true }).run(conn)).replaced, 10);
    assert.equal(await T().filter({ zero: true }).count().run(conn), 10);
    assert.equal((await T().between(100, 110).delete().run(conn)).deleted, 10);
    assert.equal((await T().getAll(120, 121, 999).replace((d) => d.without('g')).run(conn)).replaced, 2);
    assert.equal((await T().orderBy({ index: 'id' }).limit(3).delete().run(conn)).deleted, 3);
    const fe = await r.expr([200, 201, 202]).forEach((id) => T().insert({ id })).run(conn);
    assert.deepEqual(fe, counts({ inserted: 3 }));
    assert.equal(await T().getAll(200, 201, 202).count().run(conn), 3);
  });

  it('concurrent increments of shared counters lose no update', async () => {
    await T().insert([{ id: 'c1', n: 0 }, { id: 'c2', n: 0 }]).run(conn);
    const conns = await Promise.all(Array.from({ length: 8 }, () => server.connect()));
    const rounds = 40;
    await Promise.all(conns.map(async (c, w) => {
      for (let i = 0; i < rounds; i++) {
        const id = (i + w) % 2 ? 'c1' : 'c2';
        const res = await T().get(id).update((d) => ({ n: d('n').add(1) })).run(c);
        assert.equal(res.replaced, 1);
      }
    }));
    const total = (await T().get('c1').run(conn)).n + (await T().get('c2').run(conn)).n;
    assert.equal(total, 8 * rounds);
  });
});
