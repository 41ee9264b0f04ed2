'use strict';
// Users and permissions with the official JavaScript driver against a real
// `photondb serve`, with RethinkDB's semantics, error types and messages:
// the rethinkdb.users and rethinkdb.permissions tables, r.grant at the
// three scopes, a matrix of each permission at each scope against the
// operations that need them, login failures that do not tell unknown
// users from wrong passwords, the brute-force lockout, and
// --initial-password.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, expectReject, toArray, plain, withTimeout } = require('./harness');

const sys = (name) => r.db('rethinkdb').table(name);

// RethinkDB's text exactly (permission_error.hpp), missing space included.
const denied = (user, perm) => `User \`${user}\`does not have the required \`${perm}\` permission.`;

// Runs one handshake; resolves with the connection or the error. The
// driver (2.4.2) leaves its connect timer armed after a handshake error and
// later emits a ReqlTimeoutError on the connection, so the connection is
// built directly (as r.connect does) with an error listener.
function attempt(port, user, password) {
  return withTimeout(new Promise((resolve) => {
    const conn = new r.net.TcpConnection({ host: '127.0.0.1', port, user, password, timeout: 10 },
      (e, c) => {
        if (e && conn.rawSocket) conn.rawSocket.destroy();
        resolve(e ? { err: e } : { conn: c });
      });
    conn.on('error', () => {});
  }), 20000, `handshake as ${user}`);
}

async function assertDenied(promise, user, perm, what) {
  const err = await expectReject(promise, r.Error.ReqlPermissionError, what);
  assert.equal(err.msg, denied(user, perm), what);
}

describe('users and permissions', { timeout: 120000 }, () => {
  let server;
  let admin;
  before(async () => {
    server = await startServer();
    admin = await server.connect();
    await r.dbCreate('mx').run(admin);
    await r.db('mx').tableCreate('t1').run(admin);
    await r.db('mx').tableCreate('t2').run(admin);
    await r.dbCreate('other').run(admin);
    await r.db('other').tableCreate('o').run(admin);
    await r.db('mx').table('t1').insert({ id: 1 }).run(admin);
    await r.db('mx').table('t2').insert({ id: 1 }).run(admin);
    await r.db('other').table('o').insert({ id: 1 }).run(admin);
  });
  after(async () => { if (server) await server.dispose(); });

  it('rethinkdb.users: create, read (passwords hidden), change and delete users, as RethinkDB', async () => {
    assert.deepEqual(plain(await toArray(await sys('users').run(admin))), [{ id: 'admin', password: false }]);
    const res = await sys('users').insert([{ id: 'bob', password: 'secret' }, { id: 'eve', password: false }]).run(admin);
    assert.equal(res.inserted, 2);
    assert.deepEqual(plain(await toArray(await sys('users').orderBy('id').run(admin))),
      [{ id: 'admin', password: false }, { id: 'bob', password: true }, { id: 'eve', password: false }]);
    assert.deepEqual(await sys('users').get('bob').run(admin), { id: 'bob', password: true });

    // bob logs in at once; eve (no password) with the empty one.
    const bob = await attempt(server.driverPort, 'bob', 'secret');
    assert.ok(bob.conn, `bob: ${bob.err}`);
    const eve = await attempt(server.driverPort, 'eve', '');
    assert.ok(eve.conn, `eve: ${eve.err}`);

    // A password change applies to new connections; bob's open one goes on.
    assert.equal((await sys('users').get('bob').update({ password: 'other' }).run(admin)).replaced, 1);
    const old = await attempt(server.driverPort, 'bob', 'secret');
    assert.ok(old.err instanceof r.Error.ReqlAuthError, `old password: ${old.err}`);
    const fresh = await attempt(server.driverPort, 'bob', 'other');
    assert.ok(fresh.conn, `new password: ${fresh.err}`);
    assert.equal(await r.expr(1).run(bob.conn), 1);
    for (const c of [bob.conn, eve.conn, fresh.conn]) await c.close();

    // RethinkDB's rules and messages.
    let out = await sys('users').get('eve').update({ password: true }).run(admin);
    assert.equal(out.first_error, 'Expected an object or string to set the password, or `false` to keep it unset, got true.');
    out = await sys('users').insert({ id: 'x', password: 'p', extra: 1 }).run(admin);
    assert.equal(out.first_error, 'Unexpected key(s) `extra`.');
    out = await sys('users').insert({ id: 'y' }).run(admin);
    assert.equal(out.first_error, 'Expected a field named `password`.');
    out = await sys('users').get('admin').delete().run(admin);
    assert.equal(out.first_error, 'The user `admin` can\'t be deleted.');
    out = await sys('users').insert({ id: 'iter', password: { password: 'p', iterations: 1024 } }).run(admin);
    assert.equal(out.inserted, 1);
    const iter = await attempt(server.driverPort, 'iter', 'p');
    assert.ok(iter.conn, `iter: ${iter.err}`);
    await iter.conn.close();
    assert.equal((await sys('users').get('iter').delete().run(admin)).deleted, 1);
    assert.equal((await sys('users').get('eve').delete().run(admin)).deleted, 1);
    const gone = await attempt(server.driverPort, 'eve', '');
    assert.ok(gone.err instanceof r.Error.ReqlAuthError, `deleted user logs in: ${gone.err}`);
  });

  it('changefeeds on rethinkdb.users see users come and go (passwords hidden)', async () => {
    const feed = await sys('users').changes().run(admin);
    try {
      await sys('users').insert({ id: 'feedy', password: 'p' }).run(admin);
      const change = await withTimeout(feed.next(), 10000, 'users change');
      assert.deepEqual(change, { old_val: null, new_val: { id: 'feedy', password: true } });
      await sys('users').get('feedy').delete().run(admin);
      assert.deepEqual(await withTimeout(feed.next(), 10000, 'users change'), { old_val: { id: 'feedy', password: true }, new_val: null });
    } finally {
      await feed.close();
    }
  });

  it('a wrong password and an unknown user get the same ReqlAuthError', async () => {
    const wrong = await attempt(server.driverPort, 'bob', 'nope');
    const unknown = await attempt(server.driverPort, 'no_such_user', 'nope');
    for (const res of [wrong, unknown]) {
      assert.ok(res.err instanceof r.Error.ReqlAuthError, `got ${res.err && res.err.constructor.name}: ${res.err}`);
      assert.match(res.err.message, /Wrong password/);
    }
    assert.equal(wrong.err.message, unknown.err.message);
  });

  it('r.grant answers as RethinkDB at each scope, and rethinkdb.permissions shows it', async () => {
    await sys('users').insert({ id: 'gus', password: 'g' }).run(admin);
    assert.deepEqual(await r.grant('gus', { read: true }).run(admin),
      { granted: 1, permissions_changes: [{ new_val: { read: true }, old_val: null }] });
    assert.deepEqual(await r.grant('gus', { write: true, connect: false }).run(admin),
      { granted: 1, permissions_changes: [{ new_val: { read: true, write: true, connect: false }, old_val: { read: true } }] });
    assert.deepEqual(await r.db('mx').grant('gus', { config: true }).run(admin),
      { granted: 1, permissions_changes: [{ new_val: { config: true }, old_val: null }] });
    assert.deepEqual(await r.db('mx').table('t1').grant('gus', { read: false, write: null }).run(admin),
      { granted: 1, permissions_changes: [{ new_val: { read: false }, old_val: null }] });

    const dbId = (await r.db('mx').config().run(admin)).id;
    const t1Id = (await r.db('mx').table('t1').config().run(admin)).id;
    const rows = plain(await toArray(await sys('permissions').filter((p) => p('id')(0).eq('gus')).orderBy('id').run(admin)));
    assert.deepEqual(rows, [
      { id: ['gus'], permissions: { read: true, write: true, connect: false } },
      { id: ['gus', dbId], database: 'mx', permissions: { config: true } },
      { id: ['gus', dbId, t1Id], database: 'mx', table: 't1', permissions: { read: false } },
    ]);
    assert.deepEqual(await sys('permissions').get(['admin']).run(admin),
      { id: ['admin'], permissions: { read: true, write: true, config: true, connect: true } });
    const uuidRows = plain(await toArray(await r.db('rethinkdb').table('permissions', { identifierFormat: 'uuid' })
      .filter((p) => p('id').count().eq(3)).run(admin)));
    assert.deepEqual(uuidRows, [{ id: ['gus', dbId, t1Id], database: dbId, table: t1Id, permissions: { read: false } }]);

    // Errors, as RethinkDB words them.
    let err = await expectReject(r.db('mx').grant('gus', { connect: true }).run(admin), r.Error.ReqlOpFailedError, 'connect on a db');
    assert.equal(err.msg, 'The `connect` permission is only valid at the global scope.');
    err = await expectReject(r.db('mx').table('t1').grant('gus', { connect: true }).run(admin), r.Error.ReqlOpFailedError, 'connect on a table');
    assert.equal(err.msg, 'The `connect` permission is only valid at the global scope.');
    err = await expectReject(r.grant('admin', { read: false }).run(admin), r.Error.ReqlOpFailedError, 'grant to admin');
    assert.equal(err.msg, 'The permissions of the user `admin` can\'t be modified.');
    err = await expectReject(r.grant('nobody', { read: true }).run(admin), r.Error.ReqlOpFailedError, 'grant to nobody');
    assert.equal(err.msg, 'User `nobody` not found.');
    err = await expectReject(r.grant('gus', { read: 1 }).run(admin), r.Error.ReqlOpFailedError, 'grant a number');
    assert.equal(err.msg, 'Expected a boolean or null for `read`, got 1.');
    err = await expectReject(r.grant('gus', { fly: true }).run(admin), r.Error.ReqlOpFailedError, 'grant an unknown permission');
    assert.equal(err.msg, 'Unexpected key(s) `fly`.');

    // Writing the permissions table merges; unsetting everything removes the row.
    const upd = await sys('permissions').get(['gus', dbId]).update({ permissions: { config: null } }).run(admin);
    assert.equal(upd.deleted, 1, JSON.stringify(upd));
    assert.equal(await sys('permissions').get(['gus', dbId]).run(admin), null);
    const ins = await sys('permissions').insert({ id: ['gus', dbId], permissions: { read: true } }).run(admin);
    assert.equal(ins.inserted, 1, JSON.stringify(ins));

    // Dropping a database or table removes the permissions on it.
    await r.dbCreate('gone').run(admin);
    await r.db('gone').tableCreate('g').run(admin);
    await r.db('gone').grant('gus', { read: true }).run(admin);
    await r.db('gone').table('g').grant('gus', { write: true }).run(admin);
    const goneId = (await r.db('gone').config().run(admin)).id;
    const count = () => sys('permissions').filter((p) => p('id').nth(1).default(null).eq(goneId)).count().run(admin);
    assert.equal(await count(), 2);
    await r.dbDrop('gone').run(admin);
    assert.equal(await count(), 0);
  });

  // Each permission at each scope against the operations that need it:
  // every operation either works or fails with ReqlPermissionError and
  // RethinkDB's message naming the missing permission.
  describe('permission matrix', () => {
    const scopes = {
      global: (u, p) => r.grant(u, p),
      db: (u, p) => r.db('mx').grant(u, p),
      table: (u, p) => r.db('mx').table('t1').grant(u, p),
    };
    const flagSets = [['read'], ['write'], ['config'], ['read', 'write'], ['connect']];
    // covers(scope, target): whether a grant at scope reaches target.
    // The system database ('sys') is the admin's alone: no grant reaches it.
    const covers = (scope, target) => (scope === 'global' && target !== 'sys') || (scope === 'db' && target !== 'other' && target !== 'sys' && target !== 'global') ||
      (scope === 'table' && target === 't1');
    // has(flags, scope, perm, target): the user's permission, RethinkDB's rules.
    const has = (flags, scope, perm, target) => {
      const f = (x) => flags.includes(x) && covers(scope, target);
      switch (perm) {
        case 'read': return f('read');
        case 'write': return f('read') && f('write');
        case 'config': return f('config');
        case 'connect': return flags.includes('connect') && scope === 'global';
        default: throw new Error(perm);
      }
    };
    let seq = 0;
    // Each operation: what it needs ([perm, target], the first missing one
    // is named), whether it destroys the fixture when allowed (then it only
    // runs where it must be denied), and the query.
    const ops = [
      { name: 'get', needs: [['read', 't1']], run: (c) => r.db('mx').table('t1').get(1).run(c) },
      { name: 'count another table', needs: [['read', 't2']], run: (c) => r.db('mx').table('t2').count().run(c) },
      { name: 'read another database', needs: [['read', 'other']], run: (c) => r.db('other').table('o').count().run(c) },
      { name: 'changes', needs: [['read', 't1']], run: async (c) => (await r.db('mx').table('t1').changes().run(c)).close() },
      { name: 'insert', needs: [['write', 't1']], run: (c) => r.db('mx').table('t1').insert({ id: `i${seq++}` }).run(c) },
      { name: 'point update', needs: [['write', 't1']], run: (c) => r.db('mx').table('t1').get(1).update({ touched: true }).run(c) },
      { name: 'sync', needs: [['write', 't1']], run: (c) => r.db('mx').table('t1').sync().run(c) },
      { name: 'index create', needs: [['config', 't1']], run: (c) => r.db('mx').table('t1').indexCreate(`ix${seq++}`).run(c) },
      { name: 'table config', needs: [['config', 't1']], run: (c) => r.db('mx').table('t1').config().run(c) },
      { name: 'reconfigure', needs: [['config', 't1']], run: (c) => r.db('mx').table('t1').reconfigure({ shards: 1, replicas: 1 }).run(c) },
      { name: 'set write hook', needs: [['config', 't1']], run: (c) => r.db('mx').table('t1').setWriteHook(null).run(c) },
      { name: 'ignore_write_hook', needs: [['write', 't1'], ['config', 't1']], run: (c) => r.db('mx').table('t1').insert({ id: `h${seq++}` }, { ignoreWriteHook: true }).run(c) },
      { name: 'database config', needs: [['config', 'mx']], run: (c) => r.db('mx').config().run(c) },
      {
        name: 'table create and drop', needs: [['config', 'mx']],
        run: async (c) => { const n = `tc${seq++}`; await r.db('mx').tableCreate(n).run(c); await r.db('mx').tableDrop(n).run(c); },
      },
      { name: 'table drop', needs: [['config', 't2']], destructive: true, run: (c) => r.db('mx').tableDrop('t2').run(c) },
      {
        name: 'database create and drop', needs: [['config', 'global']],
        run: async (c) => { const n = `dc${seq++}`; await r.dbCreate(n).run(c); await r.dbDrop(n).run(c); },
      },
      { name: 'database drop', needs: [['config', 'mx'], ['config', 't1'], ['config', 't2']], destructive: true, run: (c) => r.dbDrop('mx').run(c) },
      { name: 'system table read', needs: [['read', 'sys']], run: (c) => sys('users').run(c).then(toArray) },
      { name: 'grant', needs: [['read', 'sys'], ['write', 'sys']], run: (c) => r.grant('victim', { read: true }).run(c) },
      {
        name: 'r.http', needs: [['connect', 'global']],
        // Allowed: the request itself fails (nothing listens on port 1),
        // which is not a permission error.
        run: async (c) => {
          try {
            await r.http('http://127.0.0.1:1/', { attempts: 1, timeout: 2 }).run(c);
          } catch (e) {
            if (e instanceof r.Error.ReqlPermissionError) throw e;
          }
        },
      },
    ];

    before(async () => {
      await sys('users').insert({ id: 'victim', password: false }).run(admin);
    });

    for (const flags of flagSets) {
      for (const scope of Object.keys(scopes)) {
        if (flags.includes('connect') && scope !== 'global') continue; // refused by grant (tested above)
        const user = `u_${flags.join('_')}_${scope}`;
        it(`${flags.join('+')} granted on the ${scope} scope`, async () => {
          await sys('users').insert({ id: user, password: 'pw' }).run(admin);
          const perms = Object.fromEntries(flags.map((f) => [f, true]));
          const g = await scopes[scope](user, perms).run(admin);
          assert.equal(g.granted, 1);
          const { conn, err } = await attempt(server.driverPort, user, 'pw');
          assert.ok(conn, `login: ${err}`);
          try {
            for (const op of ops) {
              const missing = op.needs.find(([perm, target]) => !has(flags, scope, perm, target));
              if (!missing) {
                if (op.destructive) continue;
                await assert.doesNotReject(Promise.resolve().then(() => op.run(conn)), `${user}: ${op.name} should be allowed`);
              } else {
                // The grant op checks read then write on the permissions
                // table: the first missing one is named.
                await assertDenied(Promise.resolve().then(() => op.run(conn)), user, missing[0], `${user}: ${op.name}`);
              }
            }
          } finally {
            await conn.close();
          }
        });
      }
    }

    it('the fixture survived: nothing a denied user tried happened', async () => {
      assert.deepEqual(plain(await r.db('mx').tableList().run(admin)).sort(), ['t1', 't2']);
      assert.ok(plain(await r.dbList().run(admin)).includes('mx'));
      assert.equal(await r.db('mx').table('t2').count().run(admin), 1);
    });
  });
});

describe('brute force', { timeout: 120000 }, () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { if (server) await server.dispose(); });

  it('repeated failures from one address are slowed, then refused for a while, even with the right password', async () => {
    const first = Date.now();
    const one = await attempt(server.driverPort, 'admin', 'guess0');
    assert.ok(one.err instanceof r.Error.ReqlAuthError && /Wrong password/.test(one.err.message), `${one.err}`);
    assert.ok(Date.now() - first >= 90, 'the first failure is answered after a delay');
    // Ten failures in a minute lock the address out (nine more, at once).
    const results = await Promise.all(Array.from({ length: 9 }, (_, i) => attempt(server.driverPort, i % 2 ? 'admin' : 'ghost', `guess${i + 1}`)));
    for (const res of results) {
      assert.ok(res.err instanceof r.Error.ReqlAuthError, `${res.err}`);
    }
    const right = await attempt(server.driverPort, 'admin', '');
    assert.ok(right.err instanceof r.Error.ReqlAuthError, `the right password during the lockout: ${right.err || 'connected'}`);
    assert.equal(right.err.message, 'Too many failed authentication attempts; try again later.');
    assert.equal(server.exited, false, server.logs());
  });
});

describe('--initial-password', { timeout: 120000 }, () => {
  const servers = [];
  after(async () => { for (const s of servers) await s.dispose(); });
  const start = async (opts) => { const s = await startServer(opts); servers.push(s); return s; };

  it('auto: generates a password, prints it once on stderr, and serve runs with it', async () => {
    const s = await start({ devMode: false, args: ['--initial-password', 'auto'] });
    const m = /initial password of the admin user is: (\S+)/.exec(s.stderr);
    assert.ok(m, `no password printed:\n${s.logs()}`);
    const password = m[1];
    assert.ok(password.length >= 20, password);
    assert.ok(!/"msg":"[^"]*initial password of the admin user is/.test(s.stderr), 'the password is not in the JSON logs');
    const bad = await attempt(s.driverPort, 'admin', '');
    assert.ok(bad.err instanceof r.Error.ReqlAuthError, `empty password: ${bad.err || 'connected'}`);
    const ok = await attempt(s.driverPort, 'admin', password);
    assert.ok(ok.conn, `generated password: ${ok.err}`);
    assert.equal(await r.expr('in').run(ok.conn), 'in');
    await ok.conn.close();
    // The control plane (in serve) connected with it: DDL through it works.
    const conn = await s.connect({ user: 'admin', password });
    assert.equal((await r.dbCreate('viacp').run(conn)).dbs_created, 1);
    // Restarting on the same data dir prints nothing; --admin-password
    // gives serve the password it no longer knows.
    const dataDir = s.dataDir;
    await s.stop();
    const again = await start({ dataDir, devMode: false, args: ['--initial-password', 'auto', '--admin-password', password] });
    assert.ok(!/initial password of the admin user/.test(again.stderr), again.stderr);
    const c2 = await again.connect({ user: 'admin', password });
    assert.ok(plain(await r.dbList().run(c2)).includes('viacp'));
  });

  it('a value sets the admin password on a new data dir', async () => {
    const s = await start({ devMode: false, args: ['--initial-password', 'hunter22'] });
    const ok = await attempt(s.driverPort, 'admin', 'hunter22');
    assert.ok(ok.conn, `${ok.err}`);
    await ok.conn.close();
    const bad = await attempt(s.driverPort, 'admin', '');
    assert.ok(bad.err instanceof r.Error.ReqlAuthError);
  });

  it('dev mode keeps the empty admin password', async () => {
    const s = await start({ args: ['--initial-password', 'hunter22'] });
    const ok = await attempt(s.driverPort, 'admin', '');
    assert.ok(ok.conn, `${ok.err}`);
    assert.equal(await r.expr('dev').run(ok.conn), 'dev');
    await ok.conn.close();
  });
});
