'use strict';
// The `rethinkdb` system database: read-only views in RethinkDB's shapes.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, expectReject, toArray, plain, withTimeout } = require('./harness');

describe('system tables', { timeout: 60000 }, () => {
  let server;
  let conn;
  let info;
  const sys = (t, opts) => (opts ? r.db('rethinkdb').table(t, opts) : r.db('rethinkdb').table(t));
  before(async () => {
    server = await startServer();
    conn = await server.connect();
    info = await conn.server();
    await r.dbCreate('app').run(conn);
    await r.db('app').tableCreate('users').run(conn);
  });
  after(async () => { if (server) await server.dispose(); });

  it('lists its tables and refuses to create or drop tables in it', async () => {
    const tables = plain(await r.db('rethinkdb').tableList().run(conn));
    for (const t of ['db_config', 'table_config', 'table_status', 'server_config', 'server_status', 'users', 'permissions', 'jobs', 'stats', 'logs', 'current_issues', 'cluster_config']) {
      assert.ok(tables.includes(t), `tableList has ${t}`);
    }
    let err = await expectReject(r.db('rethinkdb').tableCreate('x').run(conn), r.Error.ReqlOpFailedError);
    assert.equal(err.msg, "Database `rethinkdb` is special; you can't create new tables in it.");
    err = await expectReject(r.db('rethinkdb').tableDrop('users').run(conn), r.Error.ReqlOpFailedError);
    assert.equal(err.msg, "Database `rethinkdb` is special; you can't delete tables from it.");
    err = await expectReject(sys('nope').run(conn), r.Error.ReqlOpFailedError);
    assert.equal(err.msg, 'Table `rethinkdb.nope` does not exist.');
  });

  it('db_config, table_config and table_status follow the catalog', async () => {
    const dbs = (await toArray(await sys('db_config').run(conn))).map((d) => d.name).sort();
    assert.deepEqual(dbs, ['app', 'test']);
    const tc = await toArray(await sys('table_config').filter({ name: 'users' }).run(conn));
    assert.equal(tc.length, 1);
    assert.equal(tc[0].db, 'app');
    assert.equal(tc[0].primary_key, 'id');
    const byUUID = await toArray(await sys('table_config', { identifierFormat: 'uuid' }).filter({ name: 'users' }).run(conn));
    const appID = (await r.db('app').config().run(conn)).id;
    assert.equal(byUUID[0].db, appID);
    const ts = await sys('table_status').get(tc[0].id).run(conn);
    assert.equal(ts.status.ready_for_writes, true);
    await r.db('app').tableDrop('users').run(conn);
    assert.equal(await sys('table_config').filter({ db: 'app' }).count().run(conn), 0);
  });

  it('server_config, server_status and users describe this server', async () => {
    const sc = await toArray(await sys('server_config').run(conn));
    assert.deepEqual(sc.map((s) => [s.id, s.name]), [[info.id, info.name]]);
    const ss = await sys('server_status').get(info.id).run(conn);
    assert.equal(ss.name, info.name);
    assert.ok(ss.process.time_started instanceof Date);
    assert.deepEqual(plain(await toArray(await sys('users').run(conn))), [{ id: 'admin', password: false }]);
  });

  it('db_config and table_config are writable: insert creates, update renames, delete drops', async () => {
    let res = await sys('db_config').insert({ name: 'made' }).run(conn);
    assert.equal(res.inserted, 1);
    const dbID = res.generated_keys[0];
    assert.equal((await r.db('made').config().run(conn)).id, dbID);
    res = await sys('table_config').insert({ db: 'made', name: 'things', primary_key: 'k' }).run(conn);
    assert.equal(res.inserted, 1);
    assert.deepEqual(await r.db('made').table('things').insert({ k: 1 }).run(conn).then((x) => x.inserted), 1);
    const tid = res.generated_keys[0];
    res = await sys('table_config').get(tid).update({ name: 'stuff' }).run(conn);
    assert.equal(res.replaced, 1);
    assert.deepEqual(plain(await r.db('made').tableList().run(conn)), ['stuff']);
    assert.equal(await r.db('made').table('stuff').count().run(conn), 1, 'documents follow the rename');
    res = await sys('db_config').get(dbID).update({ name: 'renamed' }).run(conn);
    assert.equal(res.replaced, 1);
    assert.equal(await r.db('renamed').table('stuff').get(1)('k').run(conn), 1);
    res = await sys('table_config').get(tid).update({ primary_key: 'x' }).run(conn);
    assert.equal(res.errors, 1);
    assert.match(res.first_error, /primary key/);
    res = await sys('table_config').get(tid).delete().run(conn);
    assert.equal(res.deleted, 1);
    assert.deepEqual(plain(await r.db('renamed').tableList().run(conn)), []);
    res = await sys('db_config').get(dbID).delete().run(conn);
    assert.equal(res.deleted, 1);
    assert.ok(!plain(await r.dbList().run(conn)).includes('renamed'));
  });

  it('changefeeds on table_config and db_config follow catalog changes', async () => {
    const feed = await sys('table_config').changes({ includeTypes: true }).run(conn);
    const dbFeed = await sys('db_config').changes().run(conn);
    await r.db('test').tableCreate('watched').run(conn);
    const added = plain(await withTimeout(feed.next(), 5000, 'table_config add'));
    assert.equal(added.type, 'add');
    assert.equal(added.new_val.name, 'watched');
    await r.db('test').table('watched').indexCreate('x').run(conn);
    const changed = plain(await withTimeout(feed.next(), 5000, 'table_config change'));
    assert.deepEqual(changed.new_val.indexes, ['x']);
    await r.db('test').tableDrop('watched').run(conn);
    const removed = plain(await withTimeout(feed.next(), 5000, 'table_config remove'));
    assert.equal(removed.type, 'remove');
    await r.dbCreate('fed').run(conn);
    const dbAdd = plain(await withTimeout(dbFeed.next(), 5000, 'db_config add'));
    assert.equal(dbAdd.new_val.name, 'fed');
    await Promise.all([feed.close(), dbFeed.close()]);
  });

  it('stats and logs read the live counters and the log', async () => {
    await r.table('table_config', { db: 'rethinkdb' }).count().run(conn).catch(() => {});
    for (let i = 0; i < 20; i++) await r.expr(i).run(conn);
    const stats = await toArray(await sys('stats').run(conn));
    const cluster = stats.find((s) => s.id[0] === 'cluster');
    assert.ok(cluster.query_engine.client_connections >= 1, JSON.stringify(cluster));
    assert.ok(cluster.query_engine.queries_per_sec > 0, JSON.stringify(cluster));
    const server = stats.find((s) => s.id[0] === 'server');
    assert.ok(server.query_engine.written_docs_total >= 1, JSON.stringify(server));
    const logs = await toArray(await sys('logs').run(conn));
    assert.ok(logs.some((l) => /photondb ready/.test(l.message)), 'the start-up log line is in rethinkdb.logs');
    assert.ok(logs.every((l) => l.timestamp instanceof Date && typeof l.level === 'string' && l.server === info.name));
  });

  it('other system tables are read-only', async () => {
    const res = await sys('server_config').insert({ name: 'x' }).run(conn).catch((e) => e);
    assert.ok(res instanceof r.Error.ReqlOpFailedError, `got ${res}`);
    assert.equal(res.msg, "It's illegal to write to the `rethinkdb.server_config` table.");
  });
});
