'use strict';
// Databases and tables: create, list, drop, their result shapes and errors.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, expectReject, plain, UUID_RE } = require('./harness');

// RethinkDB 2.4 adds `write_hook: null` to a table's config; 2.3 had no such
// field. Accept both, nothing else.
function assertTableConfig(cfg, { db, name, primaryKey = 'id', serverName }) {
  const keys = Object.keys(cfg).filter((k) => !(k === 'write_hook' && cfg[k] === null)).sort();
  assert.deepEqual(keys, ['db', 'durability', 'id', 'indexes', 'name', 'primary_key', 'shards', 'write_acks']);
  assert.match(cfg.id, UUID_RE);
  const expected = {
    db,
    durability: 'hard',
    id: cfg.id,
    indexes: [],
    name,
    primary_key: primaryKey,
    shards: [{ primary_replica: serverName, replicas: [serverName], nonvoting_replicas: [] }],
    write_acks: 'majority',
  };
  if ('write_hook' in cfg) expected.write_hook = null;
  assert.deepEqual(cfg, expected);
}

// RethinkDB lists its system database `rethinkdb` in dbList(); a server
// without system tables may leave it out. User databases must match exactly.
const userDbs = (list) => Array.from(list).filter((d) => d !== 'rethinkdb').sort();

describe('databases and tables', { timeout: 60000 }, () => {
  let server;
  let conn;
  let serverName;
  before(async () => {
    server = await startServer();
    conn = await server.connect();
    serverName = (await conn.server()).name;
  });
  after(async () => { if (server) await server.dispose(); });

  it('a fresh data dir has exactly the database "test"', async () => {
    assert.deepEqual(userDbs(await r.dbList().run(conn)), ['test']);
    assert.deepEqual(plain(await r.db('test').tableList().run(conn)), []);
  });

  it('dbCreate returns RethinkDB\'s result and the db is listed', async () => {
    const res = await r.dbCreate('js_admin').run(conn);
    assert.deepEqual(Object.keys(res).sort(), ['config_changes', 'dbs_created']);
    assert.equal(res.dbs_created, 1);
    assert.equal(res.config_changes.length, 1);
    const { old_val: oldVal, new_val: newVal } = res.config_changes[0];
    assert.deepEqual(Object.keys(res.config_changes[0]).sort(), ['new_val', 'old_val']);
    assert.equal(oldVal, null);
    assert.deepEqual(Object.keys(newVal).sort(), ['id', 'name']);
    assert.equal(newVal.name, 'js_admin');
    assert.match(newVal.id, UUID_RE);
    assert.deepEqual(userDbs(await r.dbList().run(conn)), ['js_admin', 'test']);
  });

  it('dbCreate of an existing db fails with ReqlOpFailedError', async () => {
    const err = await expectReject(r.dbCreate('js_admin').run(conn), r.Error.ReqlOpFailedError, 'duplicate dbCreate');
    assert.equal(err.msg, 'Database `js_admin` already exists.');
    const err2 = await expectReject(r.dbCreate('test').run(conn), r.Error.ReqlOpFailedError, 'dbCreate test');
    assert.equal(err2.msg, 'Database `test` already exists.');
  });

  it('dbDrop / tableList / tableCreate on a missing db fail with ReqlOpFailedError', async () => {
    let err = await expectReject(r.dbDrop('js_missing').run(conn), r.Error.ReqlOpFailedError, 'dbDrop missing');
    assert.equal(err.msg, 'Database `js_missing` does not exist.');
    err = await expectReject(r.db('js_missing').tableList().run(conn), r.Error.ReqlOpFailedError, 'tableList on missing db');
    assert.equal(err.msg, 'Database `js_missing` does not exist.');
    err = await expectReject(r.db('js_missing').tableCreate('t').run(conn), r.Error.ReqlOpFailedError, 'tableCreate in missing db');
    assert.equal(err.msg, 'Database `js_missing` does not exist.');
    err = await expectReject(r.db('js_missing').table('t').get(1).run(conn), r.Error.ReqlOpFailedError, 'get in missing db');
    assert.equal(err.msg, 'Database `js_missing` does not exist.');
  });

  it('tableCreate returns the full table config', async () => {
    const res = await r.db('js_admin').tableCreate('t1').run(conn);
    assert.deepEqual(Object.keys(res).sort(), ['config_changes', 'tables_created']);
    assert.equal(res.tables_created, 1);
    assert.equal(res.config_changes.length, 1);
    assert.equal(res.config_changes[0].old_val, null);
    assertTableConfig(res.config_changes[0].new_val, { db: 'js_admin', name: 't1', serverName });
    assert.deepEqual(plain(await r.db('js_admin').tableList().run(conn)), ['t1']);
    assert.equal(await r.db('js_admin').table('t1').count().run(conn), 0);
  });

  it('tableCreate of an existing table fails with ReqlOpFailedError', async () => {
    const err = await expectReject(r.db('js_admin').tableCreate('t1').run(conn), r.Error.ReqlOpFailedError, 'duplicate tableCreate');
    assert.equal(err.msg, 'Table `js_admin.t1` already exists.');
  });

  it('a missing table gives ReqlOpFailedError for tableDrop and for reads', async () => {
    let err = await expectReject(r.db('js_admin').tableDrop('nope').run(conn), r.Error.ReqlOpFailedError, 'tableDrop missing');
    assert.equal(err.msg, 'Table `js_admin.nope` does not exist.');
    err = await expectReject(r.db('js_admin').table('nope').count().run(conn), r.Error.ReqlOpFailedError, 'count on missing table');
    assert.equal(err.msg, 'Table `js_admin.nope` does not exist.');
    err = await expectReject(r.db('js_admin').table('nope').insert({ id: 1 }).run(conn), r.Error.ReqlOpFailedError, 'insert into missing table');
    assert.equal(err.msg, 'Table `js_admin.nope` does not exist.');
  });

  it('the same table name may exist in two databases', async () => {
    const res = await r.db('test').tableCreate('t1').run(conn);
    assert.equal(res.tables_created, 1);
    assertTableConfig(res.config_changes[0].new_val, { db: 'test', name: 't1', serverName });
    await r.db('test').table('t1').insert({ id: 'only-in-test' }).run(conn);
    assert.equal(await r.db('test').table('t1').count().run(conn), 1);
    assert.equal(await r.db('js_admin').table('t1').count().run(conn), 0);
  });

  it('r.table without r.db uses the connection\'s db, or "test" by default', async () => {
    assert.equal(await r.table('t1').count().run(conn), 1); // test.t1
    assert.equal(await r.table('t1').count().run(conn, { db: 'js_admin' }), 0);
    const c2 = await server.connect({ db: 'js_admin' });
    assert.equal(await r.table('t1').count().run(c2), 0);
    assert.equal(await r.db('test').table('t1').count().run(c2), 1);
  });

  it('tableCreate with a custom primaryKey uses it for keys and conflicts', async () => {
    const res = await r.db('js_admin').tableCreate('people', { primaryKey: 'email' }).run(conn);
    assert.equal(res.tables_created, 1);
    assertTableConfig(res.config_changes[0].new_val, { db: 'js_admin', name: 'people', primaryKey: 'email', serverName });
    const people = r.db('js_admin').table('people');

    const ins = await people.insert({ email: 'ada@example.com', name: 'Ada' }).run(conn);
    assert.deepEqual(ins, { deleted: 0, errors: 0, inserted: 1, replaced: 0, skipped: 0, unchanged: 0 });
    assert.deepEqual(await people.get('ada@example.com').run(conn), { email: 'ada@example.com', name: 'Ada' });

    // A doc without the primary key gets a generated UUID in that field.
    const gen = await people.insert({ name: 'Anon' }).run(conn);
    assert.equal(gen.inserted, 1);
    assert.equal(gen.generated_keys.length, 1);
    assert.match(gen.generated_keys[0], UUID_RE);
    assert.deepEqual(await people.get(gen.generated_keys[0]).run(conn), { email: gen.generated_keys[0], name: 'Anon' });

    const dup = await people.insert({ email: 'ada@example.com', name: 'Other' }).run(conn);
    assert.equal(dup.errors, 1);
    assert.equal(dup.inserted, 0);
    assert.ok(dup.first_error.startsWith('Duplicate primary key `email`:'), dup.first_error);
    assert.equal(await people.count().run(conn), 2);
  });

  it('tableList lists the tables of one db, sorted', async () => {
    await r.db('js_admin').tableCreate('a_first').run(conn);
    assert.deepEqual(plain(await r.db('js_admin').tableList().run(conn)), ['a_first', 'people', 't1']);
    assert.deepEqual(plain(await r.db('test').tableList().run(conn)), ['t1']);
  });

  it('tableDrop returns the dropped config and the table is gone', async () => {
    const created = await r.db('js_admin').tableCreate('to_drop').run(conn);
    const cfg = created.config_changes[0].new_val;
    await r.db('js_admin').table('to_drop').insert([{ id: 1 }, { id: 2 }]).run(conn);
    const res = await r.db('js_admin').tableDrop('to_drop').run(conn);
    assert.deepEqual(res, { tables_dropped: 1, config_changes: [{ old_val: cfg, new_val: null }] });
    assert.deepEqual(plain(await r.db('js_admin').tableList().run(conn)), ['a_first', 'people', 't1']);
    const err = await expectReject(r.db('js_admin').table('to_drop').count().run(conn), r.Error.ReqlOpFailedError, 'count on dropped table');
    assert.equal(err.msg, 'Table `js_admin.to_drop` does not exist.');
    // Re-creating it gives a new, empty table with a new id.
    const again = await r.db('js_admin').tableCreate('to_drop').run(conn);
    assert.notEqual(again.config_changes[0].new_val.id, cfg.id);
    assert.equal(await r.db('js_admin').table('to_drop').count().run(conn), 0);
    await r.db('js_admin').tableDrop('to_drop').run(conn);
  });

  it('dbDrop drops the db with all its tables', async () => {
    const list = await r.db('js_admin').tableList().run(conn);
    assert.equal(list.length, 3);
    const res = await r.dbDrop('js_admin').run(conn);
    assert.deepEqual(Object.keys(res).sort(), ['config_changes', 'dbs_dropped', 'tables_dropped']);
    assert.equal(res.dbs_dropped, 1);
    assert.equal(res.tables_dropped, 3);
    assert.equal(res.config_changes.length, 1);
    assert.equal(res.config_changes[0].new_val, null);
    assert.equal(res.config_changes[0].old_val.name, 'js_admin');
    assert.match(res.config_changes[0].old_val.id, UUID_RE);
    assert.deepEqual(Object.keys(res.config_changes[0].old_val).sort(), ['id', 'name']);

    assert.deepEqual(userDbs(await r.dbList().run(conn)), ['test']);
    let err = await expectReject(r.db('js_admin').tableList().run(conn), r.Error.ReqlOpFailedError, 'tableList on dropped db');
    assert.equal(err.msg, 'Database `js_admin` does not exist.');
    err = await expectReject(r.db('js_admin').table('t1').count().run(conn), r.Error.ReqlOpFailedError, 'count in dropped db');
    assert.equal(err.msg, 'Database `js_admin` does not exist.');
    // The table of the same name in "test" is untouched.
    assert.equal(await r.db('test').table('t1').count().run(conn), 1);
  });

  it('a dropped db can be created again, empty', async () => {
    const res = await r.dbCreate('js_admin').run(conn);
    assert.equal(res.dbs_created, 1);
    assert.deepEqual(plain(await r.db('js_admin').tableList().run(conn)), []);
    const dropped = await r.dbDrop('js_admin').run(conn);
    assert.equal(dropped.tables_dropped, 0);
  });
});
