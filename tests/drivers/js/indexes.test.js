'use strict';
// Secondary indexes through the official driver: lifecycle, reads through
// an index, maintenance on writes, and persistence across a restart.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, expectReject, toArray, plain } = require('./harness');

describe('secondary indexes', { timeout: 120000 }, () => {
  let server;
  let conn;
  const T = () => r.table('people');
  const ids = async (q) => (await toArray(await q.run(conn))).map((d) => d.id).sort((a, b) => a - b);

  before(async () => {
    server = await startServer();
    conn = await server.connect();
    await r.tableCreate('people').run(conn);
    const docs = [];
    for (let i = 0; i < 1000; i++) {
      docs.push({ id: i, age: i % 40, name: `p${i}`, tags: [`t${i % 3}`, 'all'] });
    }
    assert.equal((await T().insert(docs).run(conn)).inserted, 1000);
  });
  after(async () => { if (server) await server.dispose(); });

  it('creates field, function, compound and multi indexes and waits for them', async () => {
    assert.deepEqual(await T().indexCreate('age').run(conn), { created: 1 });
    assert.deepEqual(await T().indexCreate('double_age', (p) => p('age').mul(2)).run(conn), { created: 1 });
    assert.deepEqual(await T().indexCreate('age_name', [r.row('age'), r.row('name')]).run(conn), { created: 1 });
    assert.deepEqual(await T().indexCreate('tags', { multi: true }).run(conn), { created: 1 });
    const waited = await T().indexWait().run(conn);
    assert.deepEqual(waited.map((s) => [s.index, s.ready, s.multi, s.geo, s.outdated]), [
      ['age', true, false, false, false],
      ['age_name', true, false, false, false],
      ['double_age', true, false, false, false],
      ['tags', true, true, false, false],
    ]);
    assert.ok(Buffer.isBuffer(waited[0].function), 'function is BINARY');
    assert.deepEqual(plain(await T().indexList().run(conn)), ['age', 'age_name', 'double_age', 'tags']);
    const cfg = await r.tableList().run(conn);
    assert.ok(cfg.includes('people'));
  });

  it('refuses duplicate, primary-key, invalid and non-deterministic indexes', async () => {
    let err = await expectReject(T().indexCreate('age').run(conn), r.Error.ReqlOpFailedError);
    assert.equal(err.msg, 'Index `age` already exists on table `test.people`.');
    err = await expectReject(T().indexCreate('id').run(conn), r.Error.ReqlQueryLogicError);
    assert.equal(err.msg, 'Index name conflict: `id` is the name of the primary key.');
    err = await expectReject(T().indexCreate('a b').run(conn), r.Error.ReqlQueryLogicError);
    assert.equal(err.msg, 'Index name `a b` invalid (Use A-Z, a-z, 0-9, _ and - only).');
    err = await expectReject(T().indexCreate('rnd', () => r.random()).run(conn), r.Error.ReqlQueryLogicError);
    assert.equal(err.msg, 'Could not prove function deterministic.  Index functions must be deterministic.');
    err = await expectReject(T().indexStatus('nope').run(conn), r.Error.ReqlOpFailedError);
    assert.equal(err.msg, 'Index `nope` was not found on table `test.people`.');
  });

  it('reads through indexes: getAll, between, orderBy', async () => {
    assert.equal(await T().getAll(7, { index: 'age' }).count().run(conn), 25);
    assert.equal(await T().getAll(7, 8, { index: 'age' }).count().run(conn), 50);
    assert.equal(await T().getAll(14, { index: 'double_age' }).count().run(conn), 25);
    assert.equal(await T().getAll('t1', { index: 'tags' }).count().run(conn), 333);
    assert.deepEqual(await ids(T().getAll([3, 'p3'], { index: 'age_name' })), [3]);
    assert.equal(await T().between(10, 12, { index: 'age' }).count().run(conn), 50);
    assert.equal(await T().between(10, 12, { index: 'age', rightBound: 'closed' }).count().run(conn), 75);
    assert.equal(await T().between(10, 12, { index: 'age', leftBound: 'open' }).count().run(conn), 25);
    assert.equal(await T().between(r.minval, 2, { index: 'age' }).count().run(conn), 50);
    assert.equal(await T().between(995, r.maxval).count().run(conn), 5);
    const oldest = await toArray(await T().orderBy({ index: r.desc('age') }).limit(3).run(conn));
    assert.deepEqual(oldest.map((d) => d.age), [39, 39, 39]);
    const youngest = await toArray(await T().orderBy({ index: 'age_name' }).limit(2).run(conn));
    assert.deepEqual(youngest.map((d) => d.name), ['p0', 'p120']);
    const err = await expectReject(T().between(null, 3, { index: 'age' }).run(conn), r.Error.ReqlQueryLogicError);
    assert.match(err.msg, /Cannot use `null` in BETWEEN/);
  });

  it('distinct, min, max and group through an index', async () => {
    const ages = plain(await toArray(await T().distinct({ index: 'age' }).run(conn)));
    assert.equal(ages.length, 40);
    assert.deepEqual(ages.slice(0, 3), [0, 1, 2]);
    assert.deepEqual(plain(await toArray(await T().distinct({ index: 'tags' }).run(conn))), ['all', 't0', 't1', 't2']);
    assert.equal((await T().min({ index: 'age' }).run(conn)).age, 0);
    assert.equal((await T().max({ index: 'age' }).run(conn)).age, 39);
    const groups = await T().group({ index: 'age' }).count().ungroup().limit(2).run(conn);
    assert.deepEqual(plain(groups), [{ group: 0, reduction: 25 }, { group: 1, reduction: 25 }]);
    const byTag = await T().group({ index: 'tags' }).count().ungroup().run(conn);
    assert.deepEqual(plain(byTag).map((g) => [g.group, g.reduction]), [['all', 1000], ['t0', 334], ['t1', 333], ['t2', 333]]);
  });

  it('keeps indexes in step with inserts, updates and deletes', async () => {
    await T().get(7).update({ age: 1000, tags: ['solo'] }).run(conn);
    assert.deepEqual(await ids(T().getAll(1000, { index: 'age' })), [7]);
    assert.equal(await T().getAll(7, { index: 'age' }).count().run(conn), 24);
    assert.deepEqual(await ids(T().getAll('solo', { index: 'tags' })), [7]);
    await T().between(0, 100).delete().run(conn);
    assert.equal(await T().getAll('all', { index: 'tags' }).count().run(conn), 900);
    await T().insert({ id: 5000, age: 1000 }).run(conn);
    assert.deepEqual(await ids(T().getAll(1000, { index: 'age' })), [5000]);
  });

  it('renames and drops indexes', async () => {
    let err = await expectReject(T().indexRename('age', 'tags').run(conn), r.Error.ReqlOpFailedError);
    assert.equal(err.msg, 'Index `tags` already exists on table `test.people`.');
    assert.deepEqual(await T().indexRename('double_age', 'twice').run(conn), { renamed: 1 });
    assert.equal(await T().getAll(20, { index: 'twice' }).count().run(conn), 22);
    assert.deepEqual(await T().indexDrop('twice').run(conn), { dropped: 1 });
    err = await expectReject(T().getAll(20, { index: 'twice' }).run(conn), r.Error.ReqlOpFailedError);
    assert.equal(err.msg, 'Index `twice` was not found on table `test.people`.');
    assert.deepEqual(plain(await T().indexList().run(conn)), ['age', 'age_name', 'tags']);
  });

  it('keeps indexes across a restart', async () => {
    const before = await T().getAll(9, { index: 'age' }).count().run(conn);
    const { code } = await server.stop();
    assert.equal(code, 0);
    server = await startServer({ dataDir: server.dataDir });
    conn = await server.connect();
    assert.deepEqual(plain(await T().indexList().run(conn)), ['age', 'age_name', 'tags']);
    assert.equal(await T().getAll(9, { index: 'age' }).count().run(conn), before);
    await T().insert({ id: 6000, age: 9 }).run(conn);
    assert.equal(await T().getAll(9, { index: 'age' }).count().run(conn), before + 1);
  });
});
