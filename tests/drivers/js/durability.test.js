'use strict';
// Data survives a graceful restart (SIGTERM) and a crash (SIGKILL) right
// after acknowledged writes, on the same data dir.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, withTimeout, toArray, plain } = require('./harness');

const userDbs = (list) => Array.from(list).filter((d) => d !== 'rethinkdb').sort();

describe('restart with SIGTERM', { timeout: 90000 }, () => {
  const servers = [];
  after(async () => { for (const s of servers) await s.dispose(); });

  it('keeps databases, tables, keys and documents', async () => {
    const first = await startServer();
    servers.push(first);
    let conn = await first.connect();
    const before = await conn.server();

    await r.dbCreate('persist').run(conn);
    await r.db('persist').tableCreate('things', { primaryKey: 'key' }).run(conn);
    await r.db('persist').tableCreate('empty').run(conn);
    await r.db('test').tableCreate('in_test').run(conn);
    await r.dbCreate('gone').run(conn);
    await r.dbDrop('gone').run(conn);
    await r.db('persist').tableCreate('dropped').run(conn);
    await r.db('persist').tableDrop('dropped').run(conn);

    const docs = [];
    for (let i = 0; i < 200; i++) docs.push({ key: `k${i}`, i, nested: { even: i % 2 === 0, list: [i, `s${i}`] } });
    assert.equal((await r.db('persist').table('things').insert(docs).run(conn)).inserted, 200);
    assert.equal((await r.db('persist').table('things').get('k0').update({ updated: true }).run(conn)).replaced, 1);
    assert.equal((await r.db('persist').table('things').get('k1').replace({ key: 'k1', replaced: true }).run(conn)).replaced, 1);
    assert.equal((await r.db('persist').table('things').get('k2').delete().run(conn)).deleted, 1);
    const gen = await r.db('test').table('in_test').insert({ v: 'generated' }).run(conn);
    const genKey = gen.generated_keys[0];

    const stopped = await first.stop();
    assert.deepEqual(stopped, { code: 0, signal: null }, `SIGTERM exit\n${first.logs()}`);

    const second = await startServer({ dataDir: first.dataDir });
    servers.push(second);
    conn = await second.connect();

    assert.deepEqual(userDbs(await r.dbList().run(conn)), ['persist', 'test']);
    assert.deepEqual(plain(await r.db('persist').tableList().run(conn)), ['empty', 'things']);
    assert.deepEqual(plain(await r.db('test').tableList().run(conn)), ['in_test']);

    const things = r.db('persist').table('things');
    assert.equal(await things.count().run(conn), 199);
    assert.equal(await r.db('persist').table('empty').count().run(conn), 0);
    const rows = await toArray(await things.run(conn));
    const byKey = new Map(rows.map((d) => [d.key, d]));
    assert.equal(byKey.size, 199);
    assert.deepEqual(byKey.get('k0'), { key: 'k0', i: 0, nested: { even: true, list: [0, 's0'] }, updated: true });
    assert.deepEqual(byKey.get('k1'), { key: 'k1', replaced: true });
    assert.equal(byKey.has('k2'), false);
    for (let i = 3; i < 200; i++) {
      assert.deepEqual(byKey.get(`k${i}`), { key: `k${i}`, i, nested: { even: i % 2 === 0, list: [i, `s${i}`] } });
    }
    assert.deepEqual(await r.db('test').table('in_test').get(genKey).run(conn), { id: genKey, v: 'generated' });

    // The custom primary key survived: it still decides conflicts.
    const dup = await things.insert({ key: 'k5', other: 1 }).run(conn);
    assert.equal(dup.errors, 1);
    assert.ok(dup.first_error.startsWith('Duplicate primary key `key`:'), dup.first_error);
    // And the db/table that were dropped stay dropped.
    await assert.rejects(r.db('gone').tableList().run(conn), r.Error.ReqlOpFailedError);
    await assert.rejects(r.db('persist').table('dropped').count().run(conn), r.Error.ReqlOpFailedError);

    // Writes work after the restart.
    assert.equal((await things.insert({ key: 'after' }).run(conn)).inserted, 1);
    assert.equal(await things.count().run(conn), 200);

    // RethinkDB keeps a server's identity in its data dir.
    assert.deepEqual(await conn.server(), before);

    const stopped2 = await second.stop();
    assert.deepEqual(stopped2, { code: 0, signal: null }, `SIGTERM exit\n${second.logs()}`);
  });
});

describe('kill -9 right after acknowledged writes', { timeout: 120000 }, () => {
  const servers = [];
  after(async () => { for (const s of servers) await s.dispose(); });

  it('keeps all 1,000 inserts acknowledged one by one before SIGKILL', async () => {
    const first = await startServer();
    servers.push(first);
    let conn = await first.connect();
    await r.dbCreate('crash').run(conn);
    await r.db('crash').tableCreate('acked').run(conn);
    const T = () => r.db('crash').table('acked');

    for (let i = 0; i < 1000; i++) {
      const res = await T().insert({ id: i, v: `value-${i}` }).run(conn);
      assert.equal(res.inserted, 1, `insert ${i}: ${JSON.stringify(res)}`);
    }
    const killed = await first.kill9(); // immediately after the last acknowledgement
    assert.equal(killed.signal, 'SIGKILL');

    const second = await startServer({ dataDir: first.dataDir });
    servers.push(second);
    conn = await second.connect();
    assert.ok(userDbs(await r.dbList().run(conn)).includes('crash'), 'db created before the crash');
    assert.deepEqual(plain(await r.db('crash').tableList().run(conn)), ['acked']);
    const rows = await withTimeout(toArray(await T().run(conn)), 30000, 'reading the table');
    rows.sort((a, b) => a.id - b.id);
    const missing = [];
    const have = new Set(rows.map((d) => d.id));
    for (let i = 0; i < 1000; i++) if (!have.has(i)) missing.push(i);
    assert.deepEqual(missing, [], `acknowledged inserts lost after SIGKILL (${missing.length})`);
    assert.equal(rows.length, 1000);
    for (let i = 0; i < 1000; i++) assert.deepEqual(rows[i], { id: i, v: `value-${i}` });
    assert.equal(await T().count().run(conn), 1000);
  });

  it('keeps acknowledged updates and deletes made just before SIGKILL', async () => {
    const first = await startServer();
    servers.push(first);
    let conn = await first.connect();
    await r.db('test').tableCreate('ud').run(conn);
    const T = () => r.db('test').table('ud');
    const docs = [];
    for (let i = 0; i < 100; i++) docs.push({ id: i, v: i });
    assert.equal((await T().insert(docs).run(conn)).inserted, 100);
    for (let i = 0; i < 10; i++) {
      assert.equal((await T().get(i).update({ touched: true }).run(conn)).replaced, 1);
    }
    for (let i = 10; i < 20; i++) {
      assert.equal((await T().get(i).replace({ id: i, replaced: i }).run(conn)).replaced, 1);
    }
    for (let i = 90; i < 100; i++) {
      assert.equal((await T().get(i).delete().run(conn)).deleted, 1);
    }
    assert.equal((await T().insert({ id: 0, v: 'conflict' }, { conflict: 'update' }).run(conn)).replaced, 1);
    await first.kill9();

    const second = await startServer({ dataDir: first.dataDir });
    servers.push(second);
    conn = await second.connect();
    const rows = (await toArray(await T().run(conn))).sort((a, b) => a.id - b.id);
    assert.equal(rows.length, 90);
    for (let i = 0; i < 90; i++) {
      let expected = { id: i, v: i };
      if (i === 0) expected = { id: 0, v: 'conflict', touched: true };
      else if (i < 10) expected = { id: i, v: i, touched: true };
      else if (i < 20) expected = { id: i, replaced: i };
      assert.deepEqual(rows[i], expected);
    }
  });

  it('keeps a db and table created right before the crash', async () => {
    const first = await startServer();
    servers.push(first);
    let conn = await first.connect();
    await r.dbCreate('fresh').run(conn);
    await r.db('fresh').tableCreate('t', { primaryKey: 'pk' }).run(conn);
    await r.db('fresh').table('t').insert({ pk: 'only' }).run(conn);
    await first.kill9();

    const second = await startServer({ dataDir: first.dataDir });
    servers.push(second);
    conn = await second.connect();
    assert.deepEqual(plain(await r.db('fresh').tableList().run(conn)), ['t']);
    assert.deepEqual(await r.db('fresh').table('t').get('only').run(conn), { pk: 'only' });
    const dup = await r.db('fresh').table('t').insert({ pk: 'only' }).run(conn);
    assert.ok(dup.first_error && dup.first_error.startsWith('Duplicate primary key `pk`:'), JSON.stringify(dup));
  });
});
