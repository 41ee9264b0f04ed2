'use strict';
// Changefeeds through the official driver: table, point, get_all, between
// and filter feeds; include_initial (no gap, no duplicate under concurrent
// writes), include_states, include_types, squash, queue overflow, close,
// table drop, and the event-emitter interface.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { r, startServer, expectReject, withTimeout, sleep, plain } = require('./harness');

// Reads n changes from a feed cursor (with a deadline).
async function take(feed, n, what = 'feed') {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push(plain(await withTimeout(feed.next(), 5000, `${what}: change ${i + 1} of ${n}`)));
  }
  return out;
}

describe('changefeeds', { timeout: 120000 }, () => {
  let server;
  let conn;
  let writer;
  let n = 0;
  const fresh = async (docs = []) => {
    const name = `feed${n++}`;
    await r.tableCreate(name).run(conn);
    if (docs.length) await r.table(name).insert(docs).run(conn);
    return name;
  };
  before(async () => {
    server = await startServer();
    conn = await server.connect();
    writer = await server.connect();
  });
  after(async () => { if (server) await server.dispose(); });

  it('a table feed sees inserts, updates and deletes in commit order', async () => {
    const t = await fresh([{ id: 1, v: 1 }]);
    const feed = await r.table(t).changes().run(conn);
    await r.table(t).insert({ id: 2, v: 2 }).run(writer);
    await r.table(t).get(1).update({ v: 10 }).run(writer);
    await r.table(t).get(2).delete().run(writer);
    await r.table(t).get(1).update({ v: 10 }).run(writer); // unchanged: no change
    await r.table(t).insert({ id: 3 }).run(writer);
    assert.deepEqual(await take(feed, 4), [
      { old_val: null, new_val: { id: 2, v: 2 } },
      { old_val: { id: 1, v: 1 }, new_val: { id: 1, v: 10 } },
      { old_val: { id: 2, v: 2 }, new_val: null },
      { old_val: null, new_val: { id: 3 } },
    ]);
    await feed.close();
  });

  it('include_states, include_initial and include_types', async () => {
    const t = await fresh([{ id: 1 }, { id: 2 }]);
    const feed = await r.table(t).changes({ includeInitial: true, includeStates: true, includeTypes: true }).run(conn);
    const first = await take(feed, 4);
    assert.deepEqual(first, [
      { state: 'initializing' },
      { new_val: { id: 1 }, type: 'initial' },
      { new_val: { id: 2 }, type: 'initial' },
      { state: 'ready' },
    ]);
    await r.table(t).insert({ id: 3 }).run(writer);
    await r.table(t).get(1).update({ x: 1 }).run(writer);
    await r.table(t).get(2).delete().run(writer);
    assert.deepEqual((await take(feed, 3)).map((c) => c.type), ['add', 'change', 'remove']);
    await feed.close();
  });

  it('include_initial under concurrent writes: no gap, no duplicate', async () => {
    const docs = [];
    for (let i = 0; i < 2000; i++) docs.push({ id: i, v: 0 });
    const t = await fresh(docs);
    // Writers keep updating while the feed starts.
    let stop = false;
    const writes = (async () => {
      let i = 0;
      while (!stop && i < 3000) {
        await r.table(t).get(i % 2000).update({ v: r.row('v').add(1) }).run(writer);
        i++;
      }
      return i;
    })();
    await sleep(20);
    const feed = await r.table(t).changes({ includeInitial: true }).run(conn);
    const state = new Map();
    let initials = 0;
    // Read until the writer has stopped and the feed is quiet.
    await sleep(200);
    stop = true;
    const total = await writes;
    assert.ok(total > 0);
    const expected = new Map((await r.table(t).coerceTo('array').run(conn)).map((d) => [d.id, d.v]));
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      const c = plain(await withTimeout(feed.next(), 5000, 'include_initial feed'));
      if (!('old_val' in c)) {
        initials++;
        assert.ok(!state.has(c.new_val.id), `duplicate initial for ${c.new_val.id}`);
      } else {
        assert.ok(state.has(c.new_val.id), `change for ${c.new_val.id} before its initial value`);
        assert.equal(c.old_val.v, state.get(c.new_val.id), `gap: change from ${c.old_val.v} but we had ${state.get(c.new_val.id)}`);
      }
      state.set(c.new_val.id, c.new_val.v);
      if (initials === 2000 && [...expected].every(([id, v]) => state.get(id) === v)) break;
    }
    assert.equal(initials, 2000);
    for (const [id, v] of expected) assert.equal(state.get(id), v, `document ${id}`);
    await feed.close();
  });

  it('point feeds (get().changes()), with and without include_initial', async () => {
    const t = await fresh([{ id: 'a', v: 1 }, { id: 'b', v: 1 }]);
    const feed = await r.table(t).get('a').changes({ includeInitial: true }).run(conn);
    assert.deepEqual(await take(feed, 1), [{ new_val: { id: 'a', v: 1 } }]);
    await r.table(t).get('b').update({ v: 2 }).run(writer); // another document: not seen
    await r.table(t).get('a').update({ v: 2 }).run(writer);
    await r.table(t).get('a').delete().run(writer);
    assert.deepEqual(await take(feed, 2), [
      { old_val: { id: 'a', v: 1 }, new_val: { id: 'a', v: 2 } },
      { old_val: { id: 'a', v: 2 }, new_val: null },
    ]);
    await feed.close();
    const missing = await r.table(t).get('zzz').changes({ includeInitial: true }).run(conn);
    assert.deepEqual(await take(missing, 1), [{ new_val: null }]);
    await missing.close();
  });

  it('get_all, between and filter feeds see only their documents', async () => {
    const t = await fresh([{ id: 1, g: 'x', v: 1 }, { id: 2, g: 'y', v: 2 }]);
    await r.table(t).indexCreate('g').run(conn);
    await r.table(t).indexWait().run(conn);
    const byIndex = await r.table(t).getAll('x', { index: 'g' }).changes().run(conn);
    const range = await r.table(t).between(10, 20).changes().run(conn);
    const filtered = await r.table(t).filter(r.row('v').gt(100)).changes().run(conn);
    await r.table(t).insert([{ id: 3, g: 'y', v: 1 }, { id: 15, g: 'x', v: 500 }]).run(writer);
    await r.table(t).get(2).update({ g: 'x' }).run(writer); // enters get_all('x')
    await r.table(t).get(15).update({ v: 5 }).run(writer); // leaves the filter
    assert.deepEqual(await take(byIndex, 3), [
      { old_val: null, new_val: { id: 15, g: 'x', v: 500 } },
      { old_val: null, new_val: { id: 2, g: 'x', v: 2 } },
      { old_val: { id: 15, g: 'x', v: 500 }, new_val: { id: 15, g: 'x', v: 5 } },
    ]);
    assert.deepEqual(await take(range, 2), [
      { old_val: null, new_val: { id: 15, g: 'x', v: 500 } },
      { old_val: { id: 15, g: 'x', v: 500 }, new_val: { id: 15, g: 'x', v: 5 } },
    ]);
    assert.deepEqual(await take(filtered, 2), [
      { old_val: null, new_val: { id: 15, g: 'x', v: 500 } },
      { old_val: { id: 15, g: 'x', v: 500 }, new_val: null },
    ]);
    await Promise.all([byIndex.close(), range.close(), filtered.close()]);
  });

  it('order_by({index}).limit(n) feeds keep the top n, with offsets', async () => {
    const t = await fresh([{ id: 1, s: 10 }, { id: 2, s: 20 }, { id: 3, s: 30 }, { id: 4, s: 5 }]);
    await r.table(t).indexCreate('s').run(conn);
    await r.table(t).indexWait().run(conn);
    const feed = await r.table(t).orderBy({ index: r.desc('s') }).limit(2)
      .changes({ includeInitial: true, includeOffsets: true, includeTypes: true }).run(conn);
    assert.deepEqual(await take(feed, 2), [
      { new_val: { id: 3, s: 30 }, new_offset: 0, type: 'initial' },
      { new_val: { id: 2, s: 20 }, new_offset: 1, type: 'initial' },
    ]);
    await r.table(t).get(4).update({ s: 1 }).run(writer); // outside the top 2: nothing
    await r.table(t).insert({ id: 5, s: 25 }).run(writer); // enters, pushes id 2 out
    const [entered] = await take(feed, 1);
    assert.deepEqual(entered, { old_val: { id: 2, s: 20 }, new_val: { id: 5, s: 25 }, old_offset: 1, new_offset: 1, type: 'change' });
    await r.table(t).get(3).delete().run(writer); // leaves; id 5 moves up, id 2 comes back
    const [left] = await take(feed, 1);
    assert.deepEqual(left, { old_val: { id: 3, s: 30 }, new_val: { id: 2, s: 20 }, old_offset: 0, new_offset: 1, type: 'change' });
    await feed.close();
  });

  it('min/max through an index can be followed', async () => {
    const t = await fresh([{ id: 1, s: 10 }, { id: 2, s: 20 }]);
    await r.table(t).indexCreate('s').run(conn);
    await r.table(t).indexWait().run(conn);
    const feed = await r.table(t).max({ index: 's' }).changes({ includeInitial: true }).run(conn);
    assert.deepEqual(await take(feed, 1), [{ new_val: { id: 2, s: 20 } }]);
    await r.table(t).insert({ id: 3, s: 15 }).run(writer); // not the max: nothing
    await r.table(t).insert({ id: 4, s: 99 }).run(writer);
    assert.deepEqual(await take(feed, 1), [{ old_val: { id: 2, s: 20 }, new_val: { id: 4, s: 99 } }]);
    await feed.close();
  });

  it('union of feeds delivers the changes of both', async () => {
    const a = await fresh();
    const b = await fresh();
    const feed = await r.table(a).changes().union(r.table(b).changes()).run(conn);
    await r.table(a).insert({ id: 'a1' }).run(writer);
    await r.table(b).insert({ id: 'b1' }).run(writer);
    await r.table(a).insert({ id: 'a2' }).run(writer);
    const ids = (await take(feed, 3)).map((c) => c.new_val.id).sort();
    assert.deepEqual(ids, ['a1', 'a2', 'b1']);
    await feed.close();
  });

  it('resumes from a position with since (PhotonDB extension)', async () => {
    const t = await fresh();
    const feed = await r.table(t).changes({ includePositions: true }).run(conn);
    await r.table(t).insert({ id: 1 }).run(writer);
    const [first] = await take(feed, 1);
    assert.equal(typeof first.position, 'number');
    await feed.close();
    // Changes made while no feed was open are replayed from the position.
    await r.table(t).insert({ id: 2 }).run(writer);
    await r.table(t).get(1).delete().run(writer);
    const resumed = await r.table(t).changes({ since: first.position }).run(conn);
    const replay = await take(resumed, 2);
    assert.deepEqual(replay.map((c) => [c.old_val && c.old_val.id, c.new_val && c.new_val.id]), [[null, 2], [1, null]]);
    assert.ok(replay[0].position > first.position && replay[1].position > replay[0].position);
    await r.table(t).insert({ id: 3 }).run(writer);
    assert.equal((await take(resumed, 1))[0].new_val.id, 3, 'then live changes, with no gap');
    await resumed.close();
    const err = await expectReject(r.table(t).changes({ since: 1 }).run(conn), r.Error.ReqlOpFailedError);
    assert.match(err.msg, /no longer retained/);
  });

  it('map, pluck and filter before changes() shape both sides of each change', async () => {
    const t = await fresh([{ id: 1, name: 'ann', age: 30, secret: 'x' }]);
    const plucked = await r.table(t).pluck('id', 'age').changes({ includeInitial: true }).run(conn);
    const mapped = await r.table(t).map((d) => ({ id: d('id'), older: d('age').add(1) })).filter(r.row('older').gt(40)).changes().run(conn);
    assert.deepEqual(await take(plucked, 1), [{ new_val: { id: 1, age: 30 } }]);
    await r.table(t).get(1).update({ age: 45 }).run(writer);
    await r.table(t).insert({ id: 2, name: 'bo', age: 10 }).run(writer);
    assert.deepEqual(await take(plucked, 2), [
      { old_val: { id: 1, age: 30 }, new_val: { id: 1, age: 45 } },
      { old_val: null, new_val: { id: 2, age: 10 } },
    ]);
    // The mapped+filtered feed sees document 1 enter (31 -> 46 > 40) and not document 2.
    assert.deepEqual(await take(mapped, 1), [{ old_val: null, new_val: { id: 1, older: 46 } }]);
    await Promise.all([plucked.close(), mapped.close()]);
  });

  it('transforms after changes() work on the feed', async () => {
    const t = await fresh();
    const feed = await r.table(t).changes().filter(r.row('new_val')('v').gt(1))('new_val')('v').run(conn);
    await r.table(t).insert([{ id: 1, v: 1 }, { id: 2, v: 2 }, { id: 3, v: 3 }]).run(writer);
    assert.deepEqual(await take(feed, 2), [2, 3]);
    await feed.close();
  });

  it('squash folds changes of one document together', async () => {
    const t = await fresh([{ id: 1, n: 0 }]);
    const feed = await r.table(t).changes({ squash: true }).run(conn);
    for (let i = 1; i <= 20; i++) await r.table(t).get(1).update({ n: i }).run(writer);
    const first = plain(await withTimeout(feed.next(), 5000, 'squashed feed'));
    assert.deepEqual(first.old_val, { id: 1, n: 0 });
    assert.equal(first.new_val.n, 20, 'all 20 updates squashed into one change');
    await feed.close();
  });

  it('squash with a number waits that long between batches, folding changes', async () => {
    const t = await fresh([{ id: 1, n: 0 }]);
    const feed = await r.table(t).changes({ squash: 0.4 }).run(conn);
    await r.table(t).get(1).update({ n: 1 }).run(writer);
    const t0 = Date.now();
    const first = plain(await withTimeout(feed.next(), 5000, 'first squashed batch'));
    assert.equal(first.new_val.n, 1);
    assert.ok(Date.now() - t0 < 350, 'the first batch is sent at once');
    const t1 = Date.now();
    const pending = withTimeout(feed.next(), 5000, 'second squashed batch');
    for (let i = 2; i <= 5; i++) await r.table(t).get(1).update({ n: i }).run(writer);
    const second = plain(await pending);
    assert.ok(Date.now() - t1 >= 350, `the next batch waits for squash (${Date.now() - t1} ms)`);
    assert.deepEqual([second.old_val.n, second.new_val.n], [1, 5], 'four updates folded into one change');
    await feed.close();
  });

  it('a full queue reports skipped changes and keeps going', async () => {
    const t = await fresh();
    const feed = await r.table(t).changes({ changefeedQueueSize: 5 }).run(conn);
    const docs = [];
    for (let i = 0; i < 12; i++) docs.push({ id: i });
    for (const d of docs) await r.table(t).insert(d).run(writer);
    const got = await take(feed, 6);
    assert.deepEqual(got[0], { error: 'Changefeed cache over array size limit, skipped 7 elements.' });
    assert.deepEqual(got.slice(1).map((c) => c.new_val.id), [0, 1, 2, 3, 4]);
    await r.table(t).insert({ id: 100 }).run(writer);
    assert.deepEqual(await take(feed, 1), [{ old_val: null, new_val: { id: 100 } }]);
    await feed.close();
  });

  it('closing a feed while a next() waits returns at once; the connection keeps working', async () => {
    const t = await fresh();
    const feed = await r.table(t).changes().run(conn);
    feed.next().catch(() => {}); // a CONTINUE is waiting on the server
    await sleep(50);
    // The driver drops a pending next() on close; close itself must not hang.
    await withTimeout(feed.close(), 5000, 'close() of a waiting feed');
    await r.table(t).insert({ id: 1 }).run(writer);
    assert.equal(await r.table(t).count().run(conn), 1);
    const again = await r.table(t).changes().run(conn);
    await r.table(t).insert({ id: 2 }).run(writer);
    assert.deepEqual(await take(again, 1), [{ old_val: null, new_val: { id: 2 } }]);
    await again.close();
  });

  it('dropping the table ends its feeds with RethinkDB\'s error', async () => {
    const t = await fresh();
    const feed = await r.table(t).changes().run(conn);
    const point = await r.table(t).get(1).changes().run(conn);
    await r.tableDrop(t).run(writer);
    for (const f of [feed, point]) {
      const err = await withTimeout(f.next().then(() => null, (e) => e), 5000, 'feed after drop');
      assert.ok(err instanceof r.Error.ReqlOpFailedError, `got ${err}`);
      assert.equal(err.msg, 'Changefeed aborted (table unavailable).');
    }
  });

  it('the event emitter interface delivers changes', async () => {
    const t = await fresh();
    const feed = await r.table(t).changes().run(conn);
    const got = [];
    const done = new Promise((resolve) => {
      feed.on('data', (c) => { got.push(c.new_val.id); if (got.length === 3) resolve(); });
    });
    await r.table(t).insert([{ id: 1 }, { id: 2 }, { id: 3 }]).run(writer);
    await withTimeout(done, 5000, 'event emitter');
    assert.deepEqual(got, [1, 2, 3]);
    await feed.close();
  });

  it('refuses feeds on selections it cannot follow', async () => {
    const t = await fresh();
    const nd = await expectReject(r.table(t).map((d) => d.merge({ n: r.random() })).changes().run(conn), r.Error.ReqlQueryLogicError);
    assert.equal(nd.msg, 'Cannot call `changes` after a non-deterministic function.');
    const err = await expectReject(r.table(t).limit(2).changes().run(conn), r.Error.ReqlQueryLogicError);
    assert.match(err.msg, /Cannot call `changes`/);
  });
});
