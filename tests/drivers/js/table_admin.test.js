'use strict';
// Table administration on a single node, in RethinkDB's result shapes:
// config, status, wait, reconfigure, rebalance, sync.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, expectReject, plain, UUID_RE } = require('./harness');

describe('table administration', { timeout: 60000 }, () => {
  let server;
  let conn;
  let info;
  before(async () => {
    server = await startServer();
    conn = await server.connect();
    info = await conn.server();
    await r.dbCreate('adm').run(conn);
    await r.db('adm').tableCreate('t', { primaryKey: 'k' }).run(conn);
    await r.db('adm').table('t').indexCreate('v').run(conn);
  });
  after(async () => { if (server) await server.dispose(); });

  it('config of a table and of a database', async () => {
    const cfg = await r.db('adm').table('t').config().run(conn);
    assert.match(cfg.id, UUID_RE);
    assert.deepEqual(plain({ ...cfg, id: 'x' }), {
      db: 'adm', durability: 'hard', id: 'x', indexes: ['v'], name: 't', primary_key: 'k',
      shards: [{ primary_replica: info.name, replicas: [info.name], nonvoting_replicas: [] }],
      write_acks: 'majority', write_hook: null,
    });
    const db = await r.db('adm').config().run(conn);
    assert.equal(db.name, 'adm');
    assert.match(db.id, UUID_RE);
    const err = await expectReject(r.db('nope').config().run(conn), r.Error.ReqlOpFailedError);
    assert.equal(err.msg, 'Database `nope` does not exist.');
  });

  it('status says every replica is ready', async () => {
    const st = await r.db('adm').table('t').status().run(conn);
    assert.equal(st.name, 't');
    assert.equal(st.db, 'adm');
    assert.equal(st.raft_leader, info.name);
    assert.deepEqual(plain(st.status), {
      all_replicas_ready: true, ready_for_outdated_reads: true, ready_for_reads: true, ready_for_writes: true,
    });
    assert.deepEqual(plain(st.shards), [{ primary_replicas: [info.name], replicas: [{ server: info.name, state: 'ready' }] }]);
  });

  it('wait on a table and a database', async () => {
    assert.deepEqual(await r.db('adm').table('t').wait().run(conn), { ready: 1 });
    assert.deepEqual(await r.db('adm').wait({ waitFor: 'ready_for_writes', timeout: 5 }).run(conn), { ready: 1 });
    const err = await expectReject(r.db('adm').table('t').wait({ waitFor: 'soon' }).run(conn), r.Error.ReqlQueryLogicError);
    assert.match(err.msg, /^Unknown wait_for value `soon`/);
  });

  it('reconfigure changes the shard count and refuses impossible replica counts', async () => {
    const res = await r.db('adm').table('t').reconfigure({ shards: 2, replicas: 1 }).run(conn);
    assert.equal(res.reconfigured, 1);
    assert.equal(res.config_changes[0].old_val.shards.length, 1);
    assert.equal(res.config_changes[0].new_val.shards.length, 2);
    assert.equal(res.status_changes.length, 1);
    assert.equal((await r.db('adm').table('t').config().run(conn)).shards.length, 2);
    const dry = await r.db('adm').table('t').reconfigure({ shards: 3, replicas: 1, dryRun: true }).run(conn);
    assert.equal(dry.reconfigured, 0);
    assert.equal((await r.db('adm').table('t').config().run(conn)).shards.length, 2);
    let err = await expectReject(r.db('adm').table('t').reconfigure({ shards: 1, replicas: 2 }).run(conn), r.Error.ReqlOpFailedError);
    assert.match(err.msg, /^Can't put 2 replicas on servers with the tag `default`/);
    err = await expectReject(r.db('adm').table('t').reconfigure({ shards: 65, replicas: 1 }).run(conn), r.Error.ReqlQueryLogicError);
    assert.equal(err.msg, 'Maximum number of shards is 64.');
  });

  it('rebalance and sync', async () => {
    const rb = await r.db('adm').table('t').rebalance().run(conn);
    assert.equal(rb.rebalanced, 1);
    await r.db('adm').table('t').insert({ k: 1 }, { durability: 'soft' }).run(conn);
    assert.deepEqual(await r.db('adm').table('t').sync().run(conn), { synced: 1 });
  });
});
