'use strict';
// Documents: insert, get, getAll, update, replace, delete, conflicts, count.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, toArray, UUID_RE } = require('./harness');

// RethinkDB's write result with every counter, zero unless given.
function writeResult(counts) {
  return { deleted: 0, errors: 0, inserted: 0, replaced: 0, skipped: 0, unchanged: 0, ...counts };
}

const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe('documents', { timeout: 60000 }, () => {
  let server;
  let conn;
  const T = () => r.db('test').table('crud');
  before(async () => {
    server = await startServer();
    conn = await server.connect();
    await r.db('test').tableCreate('crud').run(conn);
  });
  after(async () => { if (server) await server.dispose(); });

  it('inserts one document', async () => {
    const res = await T().insert({ id: 1, name: 'a' }).run(conn);
    assert.deepEqual(res, writeResult({ inserted: 1 }));
    assert.deepEqual(await T().get(1).run(conn), { id: 1, name: 'a' });
  });

  it('inserts many documents at once', async () => {
    const res = await T().insert([{ id: 2, name: 'b' }, { id: 3, name: 'c' }, { id: 4, name: 'd' }]).run(conn);
    assert.deepEqual(res, writeResult({ inserted: 3 }));
    assert.equal(await T().count().run(conn), 4);
  });

  it('generates UUID keys for documents without a primary key', async () => {
    const res = await T().insert([{ name: 'g1' }, { name: 'g2' }, { name: 'g3' }]).run(conn);
    assert.deepEqual(Object.keys(res).sort(),
      ['deleted', 'errors', 'generated_keys', 'inserted', 'replaced', 'skipped', 'unchanged']);
    assert.deepEqual({ ...res, generated_keys: undefined }, { ...writeResult({ inserted: 3 }), generated_keys: undefined });
    assert.equal(res.generated_keys.length, 3);
    assert.equal(new Set(res.generated_keys).size, 3, 'generated keys are distinct');
    for (const [i, key] of res.generated_keys.entries()) {
      assert.match(key, UUID_RE);
      assert.deepEqual(await T().get(key).run(conn), { id: key, name: `g${i + 1}` });
    }
    // Mixed: only the docs without a key get one.
    const mixed = await T().insert([{ id: 'explicit', name: 'e' }, { name: 'g4' }]).run(conn);
    assert.equal(mixed.inserted, 2);
    assert.equal(mixed.generated_keys.length, 1);
    assert.match(mixed.generated_keys[0], UUID_RE);
    assert.deepEqual(await T().get(mixed.generated_keys[0]).run(conn), { id: mixed.generated_keys[0], name: 'g4' });
    assert.deepEqual(await T().get('explicit').run(conn), { id: 'explicit', name: 'e' });
    assert.equal(await T().count().run(conn), 9);
  });

  it('round-trips JSON values exactly', async () => {
    const doc = {
      id: 'types',
      str: 'héllo wörld ✓ "quoted" \\ back\n\ttab',
      int: 42,
      neg: -7,
      float: 3.25,
      big: 9007199254740991,
      t: true,
      f: false,
      nil: null,
      arr: [1, 'two', [3], { four: 4 }],
      obj: { nested: { deeper: ['x'] }, empty: {} },
      emptyArr: [],
    };
    assert.equal((await T().insert(doc).run(conn)).inserted, 1);
    assert.deepEqual(await T().get('types').run(conn), doc);
    await T().get('types').delete().run(conn);
  });

  it('get returns null for a missing key', async () => {
    assert.equal(await T().get(999).run(conn), null);
    assert.equal(await T().get('nope').run(conn), null);
    // Keys are typed: the string "1" is not the number 1.
    assert.equal(await T().get('1').run(conn), null);
  });

  it('getAll returns the documents of several keys, skipping missing ones', async () => {
    const rows = await toArray(await T().getAll(1, 3, 999, 'explicit').run(conn));
    rows.sort((a, b) => String(a.id).localeCompare(String(b.id)));
    assert.deepEqual(rows, [{ id: 1, name: 'a' }, { id: 3, name: 'c' }, { id: 'explicit', name: 'e' }]);
    assert.deepEqual(await toArray(await T().getAll(12345).run(conn)), []);
    const one = await toArray(await T().getAll(2).run(conn));
    assert.deepEqual(one, [{ id: 2, name: 'b' }]);
  });

  it('update merges fields into the document', async () => {
    assert.deepEqual(await T().get(1).update({ age: 30 }).run(conn), writeResult({ replaced: 1 }));
    assert.deepEqual(await T().get(1).run(conn), { id: 1, name: 'a', age: 30 });
    assert.deepEqual(await T().get(1).update({ name: 'A', tags: ['x'] }).run(conn), writeResult({ replaced: 1 }));
    assert.deepEqual(await T().get(1).run(conn), { id: 1, name: 'A', age: 30, tags: ['x'] });
  });

  it('update merges nested objects recursively and replaces arrays', async () => {
    await T().get(1).update({ nested: { a: 1, keep: true } }).run(conn);
    await T().get(1).update({ nested: { b: 2, keep: false }, tags: ['y'] }).run(conn);
    assert.deepEqual(await T().get(1).run(conn),
      { id: 1, name: 'A', age: 30, tags: ['y'], nested: { a: 1, b: 2, keep: false } });
  });

  it('update with identical values is unchanged; on a missing doc it is skipped', async () => {
    assert.deepEqual(await T().get(1).update({ age: 30 }).run(conn), writeResult({ unchanged: 1 }));
    assert.deepEqual(await T().get(777).update({ age: 1 }).run(conn), writeResult({ skipped: 1 }));
    assert.equal(await T().get(777).run(conn), null);
  });

  it('replace swaps the whole document', async () => {
    assert.deepEqual(await T().get(2).replace({ id: 2, only: 'x' }).run(conn), writeResult({ replaced: 1 }));
    assert.deepEqual(await T().get(2).run(conn), { id: 2, only: 'x' });
    assert.deepEqual(await T().get(2).replace({ id: 2, only: 'x' }).run(conn), writeResult({ unchanged: 1 }));
  });

  it('replace of a missing document inserts it', async () => {
    assert.deepEqual(await T().get(50).replace({ id: 50, v: 1 }).run(conn), writeResult({ inserted: 1 }));
    assert.deepEqual(await T().get(50).run(conn), { id: 50, v: 1 });
  });

  it('delete removes the document; deleting again is skipped', async () => {
    assert.deepEqual(await T().get(3).delete().run(conn), writeResult({ deleted: 1 }));
    assert.equal(await T().get(3).run(conn), null);
    assert.deepEqual(await T().get(3).delete().run(conn), writeResult({ skipped: 1 }));
    await T().get(50).delete().run(conn);
  });

  it('insert of an existing key fails with "Duplicate primary key" by default', async () => {
    const res = await T().insert({ id: 1, name: 'dup' }).run(conn);
    assert.deepEqual(Object.keys(res).sort(),
      ['deleted', 'errors', 'first_error', 'inserted', 'replaced', 'skipped', 'unchanged']);
    assert.deepEqual({ ...res, first_error: undefined }, { ...writeResult({ errors: 1 }), first_error: undefined });
    assert.ok(res.first_error.startsWith('Duplicate primary key `id`:'), res.first_error);
    const explicit = await T().insert({ id: 1, name: 'dup' }, { conflict: 'error' }).run(conn);
    assert.equal(explicit.errors, 1);
    assert.ok(explicit.first_error.startsWith('Duplicate primary key `id`:'), explicit.first_error);
    assert.deepEqual(await T().get(1).run(conn),
      { id: 1, name: 'A', age: 30, tags: ['y'], nested: { a: 1, b: 2, keep: false } });
  });

  it('a batch with one duplicate inserts the others and counts one error', async () => {
    const res = await T().insert([{ id: 10 }, { id: 1 }, { id: 11 }]).run(conn);
    assert.equal(res.inserted, 2);
    assert.equal(res.errors, 1);
    assert.ok(res.first_error.startsWith('Duplicate primary key `id`:'), res.first_error);
    assert.deepEqual(await T().get(10).run(conn), { id: 10 });
    assert.deepEqual(await T().get(11).run(conn), { id: 11 });
  });

  it('conflict "replace" replaces the whole document', async () => {
    const res = await T().insert({ id: 4, fresh: true }, { conflict: 'replace' }).run(conn);
    assert.deepEqual(res, writeResult({ replaced: 1 }));
    assert.deepEqual(await T().get(4).run(conn), { id: 4, fresh: true });
    const same = await T().insert({ id: 4, fresh: true }, { conflict: 'replace' }).run(conn);
    assert.deepEqual(same, writeResult({ unchanged: 1 }));
    const fresh = await T().insert({ id: 40, n: 1 }, { conflict: 'replace' }).run(conn);
    assert.deepEqual(fresh, writeResult({ inserted: 1 }));
  });

  it('conflict "update" merges into the existing document', async () => {
    const res = await T().insert({ id: 4, extra: 'e' }, { conflict: 'update' }).run(conn);
    assert.deepEqual(res, writeResult({ replaced: 1 }));
    assert.deepEqual(await T().get(4).run(conn), { id: 4, fresh: true, extra: 'e' });
    const same = await T().insert({ id: 4, extra: 'e' }, { conflict: 'update' }).run(conn);
    assert.deepEqual(same, writeResult({ unchanged: 1 }));
    const fresh = await T().insert({ id: 41, n: 1 }, { conflict: 'update' }).run(conn);
    assert.deepEqual(fresh, writeResult({ inserted: 1 }));
  });

  it('count counts the table exactly', async () => {
    const expected = [1, 2, 4, 10, 11, 40, 41, 'explicit'].length + 4; // + 4 generated keys
    assert.equal(await T().count().run(conn), expected);
    const all = await toArray(await T().run(conn));
    assert.equal(all.length, expected);
    const numeric = all.filter((d) => typeof d.id === 'number').sort(byId).map((d) => d.id);
    assert.deepEqual(numeric, [1, 2, 4, 10, 11, 40, 41]);
  });
});
