#!/usr/bin/env node
// Regenerates golden.json from the official RethinkDB JavaScript driver:
//
//   node shared/reqltext/testdata/gen.js > shared/reqltext/testdata/golden.json
//
// Every expression below is evaluated with the real driver (npm package
// rethinkdb, installed under tests/drivers/js) and `r` in scope; the
// output records JSON.stringify(term.build()) -- exactly what the driver
// puts on the wire -- or the message of the error the driver throws.
// The driver's function-variable counter is reset before each expression,
// as in a fresh process. `.run(...)` is stubbed to return the query, so
// pasted driver code works. A bare value is wrapped in r.expr(...), which
// is how reqltext.Parse treats it.
'use strict';

const path = require('path');
const r = require(path.join(__dirname, '../../../tests/drivers/js/node_modules/rethinkdb'));

// ast.js keeps the variable counter on the Func class.
const Func = r.expr(function () { return 1; }).constructor;
if (typeof Func.nextVarId !== 'number') {
  throw new Error('cannot find the driver\'s Func.nextVarId');
}
let proto = Object.getPrototypeOf(r.expr(1));
while (!Object.prototype.hasOwnProperty.call(proto, 'run')) {
  proto = Object.getPrototypeOf(proto);
}
proto.run = function () { return this; };
const conn = {};

const cases = [
  // ---- datums and r.expr
  `r.expr(1)`,
  `r.expr(-1.5)`,
  `r.expr(1e21)`,
  `r.expr(1.5e-7)`,
  `r.expr(0.000001)`,
  `r.expr(-0)`,
  `r.expr(0x1F)`,
  `r.expr(0o17)`,
  `r.expr(0b101)`,
  `r.expr(1_000_000)`,
  `r.expr(.5)`,
  `r.expr(5.)`,
  `r.expr(12345678901234567890)`,
  `r.expr(0.1)`,
  `r.expr(1e400)`,
  `r.expr(-1e400)`,
  `r.expr(true)`,
  `r.expr(false)`,
  `r.expr(null)`,
  `r.expr('single')`,
  `r.expr("double")`,
  `r.expr('esc\\n\\t\\r\\b\\f\\v\\0 \\' \\" \\\\ \\x41 \\u00e9 \\u{1F600} \\q')`,
  `r.expr("\\uD83D\\uDE00 surrogate pair")`,
  `r.expr('line\\
continuation')`,
  `r.expr('control \\u0001 \\u001f del \\u007f ls \\u2028')`,
  'r.expr(`template literal`)',
  'r.expr(`multi\nline`)',
  `r.expr('unicode ✓ 日本語 😀')`,
  `r.expr([])`,
  `r.expr([1, 'two', null, true])`,
  `r.expr([1, [2, [3]]])`,
  `r.expr({})`,
  `r.expr({a: 1, 'b c': 2, "d": [3]})`,
  `r.expr({b: 1, 2: 'x', a: 3, 1: 'y'})`,
  `r.expr({z: 1, 10: 2, 9: 3, "01": 4, 4294967295: 5, 4294967294: 6})`,
  `r.expr({a: 1, b: 2, a: 3})`,
  `r.expr({1.50: 'a', 0x10: 'b', 1e21: 'c'})`,
  `r.expr({__proto__: {x: 1}, y: 2})`,
  `r.expr({"__proto__": 5, y: 2})`,
  `r.expr({default: 1, delete: 2, function: 3, if: 4})`,
  `r.expr({a: {b: {c: r.now()}}})`,
  `r.expr({a: [1, {b: r.expr(2)}]},)`,
  `r.expr([1, 2,])`,
  `r.expr({a: 1,})`,
  `r.expr(r.expr(1))`,
  `r.expr(1, 5)`,
  `r.expr([[1]], 2)`,
  `r.expr([[1]], 1)`,
  `r.expr(1, null)`,
  `r.expr(1, 0)`,
  `r.expr(1, 'x')`,
  `r.expr()`,
  `r.expr(1, 2, 3)`,
  `r.expr([[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]])`,
  `r.expr([[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]])`,
  `r.expr([[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]])`,
  `r.expr({a:{a:{a:{a:{a:{a:{a:{a:{a:{a:{a:{a:{a:{a:{a:{a:{a:{a:{a:{a:1}}}}}}}}}}}}}}}}}}}})`,
  `r(1)`,
  `r([1, 2])`,
  `r({a: r.row})`,
  `r.expr(function(x) { return x; })`,
  `r.expr(x => x.add(1))`,
  `r.expr(function() {})`,
  `1`,
  `'bare'`,
  `[1, 2]`,
  `(x => x)`,

  // ---- databases and tables
  `r.db('test')`,
  `r.db('test').table('users')`,
  `r.table('users')`,
  `r.table('users', {readMode: 'outdated'})`,
  `r.table('users', {readMode: 'majority', identifierFormat: 'uuid'})`,
  `r.db('test').table('users', {readMode: 'outdated'})`,
  `r.table('users', 'extra')`,
  `r.table()`,
  `r.table('a', {x: 1}, {y: 2})`,
  `r.dbCreate('d')`,
  `r.dbDrop('d')`,
  `r.dbList()`,
  `r.tableCreate('t')`,
  `r.tableCreate('t', {primaryKey: 'uid', durability: 'soft', shards: 2, replicas: {a: 1}})`,
  `r.db('d').tableCreate('t', {primaryKey: 'uid'})`,
  `r.db('d').tableCreate()`,
  `r.tableDrop('t')`,
  `r.db('d').tableDrop('t')`,
  `r.tableList()`,
  `r.db('d').tableList()`,
  `r.db('d').config()`,
  `r.table('t').config()`,
  `r.table('t').config(1, 2)`,
  `r.table('t').status()`,
  `r.table('t').wait()`,
  `r.table('t').wait({waitFor: 'all_replicas_ready', timeout: 10})`,
  `r.db('d').wait({timeout: 5})`,
  `r.table('t').wait(1)`,
  `r.table('t').reconfigure({shards: 2, replicas: 1, dryRun: true})`,
  `r.table('t').reconfigure({shards: 2, replicas: {east: 1, west: 2}, primaryReplicaTag: 'east'})`,
  `r.table('t').reconfigure({emergencyRepair: 'unsafe_rollback'})`,
  `r.table('t').reconfigure()`,
  `r.table('t').rebalance()`,
  `r.db('d').rebalance()`,
  `r.table('t').sync()`,
  `r.table('t').info()`,
  `r.grant('bob', {read: true, write: false})`,
  `r.db('d').grant('bob', {read: true})`,
  `r.db('d').table('t').grant('bob', {config: null})`,
  `r.table('t').getWriteHook()`,
  `r.table('t').setWriteHook(function(ctx, old, nw) { return nw.merge({modified: r.now()}); })`,
  `r.table('t').setWriteHook(null)`,

  // ---- indexes
  `r.table('t').indexCreate('name')`,
  `r.table('t').indexCreate('name', r.row('first').add(r.row('last')))`,
  `r.table('t').indexCreate('name', doc => [doc('a'), doc('b')])`,
  `r.table('t').indexCreate('tags', {multi: true})`,
  `r.table('t').indexCreate('loc', {geo: true})`,
  `r.table('t').indexCreate('tags', function(d) { return d('tags'); }, {multi: true})`,
  `r.table('t').indexCreate('x', null)`,
  `r.table('t').indexCreate('x', r.row('a'), null)`,
  `r.table('t').indexCreate()`,
  `r.table('t').indexCreate('a', 'b', 'c', 'd')`,
  `r.table('t').indexDrop('name')`,
  `r.table('t').indexList()`,
  `r.table('t').indexStatus()`,
  `r.table('t').indexStatus('a', 'b')`,
  `r.table('t').indexWait()`,
  `r.table('t').indexWait('a')`,
  `r.table('t').indexRename('old', 'new')`,
  `r.table('t').indexRename('old', 'new', {overwrite: true})`,
  `r.table('t').indexRename('old')`,

  // ---- selecting
  `r.table('t').get(1)`,
  `r.table('t').get('a', 'b')`,
  `r.table('t').getAll(1, 2, 3)`,
  `r.table('t').getAll('x', {index: 'name'})`,
  `r.table('t').getAll({a: 1})`,
  `r.table('t').getAll([1, 2], {index: 'pair'})`,
  `r.table('t').getAll(r.args([1, 2]), {index: 'id'})`,
  `r.table('t').between(1, 10)`,
  `r.table('t').between(r.minval, r.maxval, {index: 'age', leftBound: 'open', rightBound: 'closed'})`,
  `r.table('t').between(1)`,
  `r.table('t').between(1, 2, 3)`,
  `r.table('t').filter({age: 30})`,
  `r.table('t').filter({age: 30}, {default: true})`,
  `r.table('t').filter(r.row('age').gt(18))`,
  `r.table('t').filter(r.row('age').gt(18), {default: r.error()})`,
  `r.table('t').filter(function(doc) { return doc('age').gt(18); })`,
  `r.table('t').filter(doc => doc('age').gt(18).and(doc('name').match('^A')))`,
  `r.table('t').filter((doc) => { return doc.hasFields('x') })`,
  `r.table('t').filter({a: r.row('b')}, {default: true})`,
  `r.table('t').filter(function(x) { return r.row('a'); })`,
  `r.table('t').filter(true)`,
  `r.table('t').filter()`,
  `r.table('t').filter(1, 2)`,
  `r.table('t').filter(1, {a: 1}, 3)`,

  // ---- joins
  `r.table('a').innerJoin(r.table('b'), function(x, y) { return x('id').eq(y('aid')); })`,
  `r.table('a').outerJoin(r.table('b'), (x, y) => x('id').eq(y('aid')))`,
  `r.table('a').eqJoin('bid', r.table('b'))`,
  `r.table('a').eqJoin('bid', r.table('b'), {index: 'id', ordered: true})`,
  `r.table('a').eqJoin(r.row('b')('id'), r.table('b'))`,
  `r.table('a').eqJoin(doc => doc('x'), r.table('b'))`,
  `r.table('a').eqJoin('x')`,
  `r.table('a').eqJoin('bid', r.table('b')).zip()`,

  // ---- transformations
  `r.table('t').map(r.row('x'))`,
  `r.table('t').map(function(d) { return d('x').mul(2); })`,
  `r.table('t').map(r.table('u'), (a, b) => a.add(b))`,
  `r.map(r.expr([1, 2]), r.expr([3, 4]), (a, b) => a.add(b))`,
  `r.map([1, 2], x => x)`,
  `r.table('t').map()`,
  `r.map()`,
  `r.table('t').withFields('a', 'b')`,
  `r.table('t').concatMap(r.row('tags'))`,
  `r.table('t').concatMap(d => d('children'))`,
  `r.table('t').orderBy('name')`,
  `r.table('t').orderBy(r.desc('age'), 'name')`,
  `r.table('t').orderBy({index: 'name'})`,
  `r.table('t').orderBy({index: r.desc('id')})`,
  `r.table('t').orderBy('a', {index: r.asc('b')})`,
  `r.table('t').orderBy(r.row('a').add(1))`,
  `r.table('t').orderBy(r.desc(r.row('a')))`,
  `r.table('t').orderBy(r.asc(doc => doc('a')))`,
  `r.table('t').orderBy(doc => doc('a'))`,
  `r.table('t').orderBy()`,
  `r.table('t').skip(10)`,
  `r.table('t').limit(5)`,
  `r.table('t').slice(1)`,
  `r.table('t').slice(1, 5)`,
  `r.table('t').slice(1, {leftBound: 'open'})`,
  `r.table('t').slice(1, 5, {leftBound: 'open', rightBound: 'closed'})`,
  `r.table('t').slice(1, 2, 3)`,
  `r.table('t').slice(1, null)`,
  `r.table('t').slice(1, 2, null)`,
  `r.table('t').slice()`,
  `r.table('t').slice(1, 2, 3, 4)`,
  `r.table('t').nth(0)`,
  `r.table('t').nth(-1)`,
  `r.table('t').offsetsOf(r.row('a').eq(1))`,
  `r.expr([1, 2]).offsetsOf(2)`,
  `r.table('t').isEmpty()`,
  `r.table('t').union(r.table('u'))`,
  `r.table('t').union(r.table('u'), {interleave: 'name'})`,
  `r.table('t').union(r.table('u'), {interleave: r.desc('x')})`,
  `r.union(r.table('t'), r.table('u'))`,
  `r.union([1], [2], {interleave: false})`,
  `r.table('t').sample(3)`,

  // ---- aggregation
  `r.table('t').group('team')`,
  `r.table('t').group('a', 'b', {index: 'c', multi: true})`,
  `r.table('t').group(r.row('x').mod(2))`,
  `r.table('t').group(d => d('x'))`,
  `r.table('t').group({index: 'x'})`,
  `r.table('t').group()`,
  `r.table('t').group('x').count().ungroup()`,
  `r.group(r.table('t'), 'x')`,
  `r.table('t').reduce((a, b) => a.add(b))`,
  `r.reduce(r.table('t'), function(a, b) { return a.add(b); })`,
  `r.table('t').fold(0, (acc, row) => acc.add(row('x')))`,
  `r.table('t').fold(0, (acc, row) => acc.add(1), {emit: (acc, row, nacc) => [nacc], finalEmit: acc => [acc]})`,
  `r.table('t').fold(0)`,
  `r.table('t').count()`,
  `r.table('t').count('x')`,
  `r.table('t').count(r.row('a').gt(1))`,
  `r.count(r.table('t'))`,
  `r.table('t').sum('x')`,
  `r.table('t').sum(r.row('x'))`,
  `r.sum([1, 2])`,
  `r.table('t').avg('x')`,
  `r.avg(r.table('t'), 'x')`,
  `r.table('t').min('x')`,
  `r.table('t').min({index: 'x'})`,
  `r.table('t').min(r.row('x'))`,
  `r.table('t').max({index: 'x'})`,
  `r.table('t').max('a', {index: 'b'})`,
  `r.table('t').max()`,
  `r.min(r.table('t'), 'x')`,
  `r.max(r.table('t'), {index: 'x'})`,
  `r.table('t').distinct()`,
  `r.table('t').distinct({index: 'x'})`,
  `r.distinct(r.table('t'))`,
  `r.table('t').distinct(1)`,
  `r.table('t')('x').contains(5)`,
  `r.table('t').contains(r.row('x').eq(5))`,
  `r.contains(r.table('t'), 1, 2)`,

  // ---- documents
  `r.table('t').pluck('a', 'b')`,
  `r.table('t').pluck({a: {b: true}}, 'c')`,
  `r.table('t').pluck(['a', 'b'])`,
  `r.table('t').without('a')`,
  `r.table('t').without({a: true})`,
  `r.table('t').merge({b: 1})`,
  `r.table('t').merge(r.row('x'))`,
  `r.table('t').merge(doc => ({full: doc('a').add(doc('b'))}))`,
  `r.table('t').merge({nested: r.literal({a: 1})})`,
  `r.table('t').merge({gone: r.literal()})`,
  `r.expr([1]).append(2)`,
  `r.expr([1]).prepend(0)`,
  `r.expr([1, 2]).difference([2])`,
  `r.expr([1]).setInsert(2)`,
  `r.expr([1]).setUnion([2])`,
  `r.expr([1]).setIntersection([1])`,
  `r.expr([1]).setDifference([1])`,
  `r.table('t').get(1)('field')`,
  `r.table('t').get(1)('a')('b')(0)`,
  `r.table('t').get(1).getField('x')`,
  `r.table('t').get(1).bracket('x')`,
  `r.table('t').get(1).bracket('x', 'y')`,
  `r.table('t')()`,
  `r.table('t')('a', 'b')`,
  `r.table('t').get(1).hasFields('a', {b: true})`,
  `r.expr([1, 2]).insertAt(0, 0)`,
  `r.expr([1, 2]).spliceAt(1, [5, 6])`,
  `r.expr([1, 2]).deleteAt(0)`,
  `r.expr([1, 2]).deleteAt(0, 1)`,
  `r.expr([1, 2]).changeAt(0, 9)`,
  `r.table('t').get(1).keys()`,
  `r.table('t').get(1).values()`,
  `r.literal({a: 1})`,
  `r.object('a', 1, 'b', 2)`,

  // ---- writes
  `r.table('t').insert({name: 'x'})`,
  `r.table('t').insert([{a: 1}, {a: 2}])`,
  `r.table('t').insert({a: 1}, {returnChanges: true, conflict: 'replace'})`,
  `r.table('t').insert({a: 1}, {conflict: (id, old, nw) => old.merge(nw), durability: 'soft'})`,
  `r.table('t').insert({a: r.row('b')})`,
  `r.table('t').insert(r.table('u'))`,
  `r.table('t').insert()`,
  `r.table('t').insert({a: 1}, {b: 2}, 3)`,
  `r.table('t').update({status: 'done'})`,
  `r.table('t').update({n: r.row('n').add(1)})`,
  `r.table('t').update(doc => ({n: doc('n').add(1)}), {nonAtomic: true, returnChanges: 'always'})`,
  `r.table('t').get(1).update({a: r.literal([1])}, {durability: 'hard'})`,
  `r.table('t').replace({id: 1})`,
  `r.table('t').replace(doc => doc.without('x'))`,
  `r.table('t').replace(r.row.without('x'), {returnChanges: true})`,
  `r.table('t').delete()`,
  `r.table('t').delete({durability: 'soft', returnChanges: true})`,
  `r.table('t').get(1).delete()`,
  `r.table('t').delete(1)`,
  `r.table('t').forEach(doc => r.table('u').insert(doc))`,
  `r.table('t').forEach(r.table('u').get(r.row('id')).delete())`,
  `r.table('t').sync()`,

  // ---- changefeeds
  `r.table('t').changes()`,
  `r.table('t').changes({includeInitial: true, squash: 0.5, includeStates: true, includeTypes: true, includeOffsets: false, changefeedQueueSize: 1000})`,
  `r.table('t').get(1).changes()`,
  `r.table('t').orderBy({index: 'x'}).limit(3).changes()`,
  `r.table('t').changes(1)`,

  // ---- math and logic
  `r.expr(1).add(2, 3)`,
  `r.add(1, 2)`,
  `r.expr('a').add('b')`,
  `r.expr(5).sub(2)`,
  `r.sub(5, 2)`,
  `r.expr(2).mul(3)`,
  `r.mul(2, 3)`,
  `r.expr(6).div(3)`,
  `r.div(6, 3)`,
  `r.expr(7).mod(2)`,
  `r.mod(7, 2)`,
  `r.expr(1).eq(1)`,
  `r.eq(1, 1, 1)`,
  `r.expr(1).ne(2)`,
  `r.ne(1, 2)`,
  `r.expr(1).lt(2)`,
  `r.lt(1, 2)`,
  `r.expr(1).le(2)`,
  `r.le(1, 2)`,
  `r.expr(2).gt(1)`,
  `r.gt(2, 1)`,
  `r.expr(2).ge(1)`,
  `r.ge(2, 1)`,
  `r.expr(true).not()`,
  `r.not(true)`,
  `r.expr(true).and(false)`,
  `r.and(true, false, true)`,
  `r.and()`,
  `r.expr(true).or(false)`,
  `r.or(false, true)`,
  `r.expr(1.5).floor()`,
  `r.floor(1.5)`,
  `r.expr(1.5).ceil()`,
  `r.ceil(1.5)`,
  `r.expr(1.5).round()`,
  `r.round(1.5)`,
  `r.expr(5).bitAnd(3)`,
  `r.bitAnd(5, 3)`,
  `r.expr(5).bitOr(3)`,
  `r.bitOr(5, 3)`,
  `r.expr(5).bitXor(3)`,
  `r.bitXor(5, 3)`,
  `r.expr(5).bitNot()`,
  `r.bitNot(5)`,
  `r.expr(5).bitSal(2)`,
  `r.bitSal(5, 2)`,
  `r.expr(5).bitSar(1)`,
  `r.bitSar(5, 1)`,
  `r.random()`,
  `r.random(10)`,
  `r.random(1, 10, {float: true})`,
  `r.random({float: true})`,

  // ---- strings
  `r.expr('abc').match('^a')`,
  `r.table('t').filter(r.row('name').match('(?i)^john$'))`,
  `r.expr('a,b').split(',')`,
  `r.expr('a b c').split()`,
  `r.expr('a,b,c').split(',', 1)`,
  `r.expr('abc').upcase()`,
  `r.expr('ABC').downcase()`,
  `r.expr({a: 1}).toJSON()`,
  `r.expr({a: 1}).toJsonString()`,
  `r.json('[1, 2]')`,

  // ---- control structures
  `r.expr(1).do(x => x.add(1))`,
  `r.expr(1).do(function(x) { return x.add(1); })`,
  `r.do(1, 2, (a, b) => a.add(b))`,
  `r.do(r.table('t').get(1), doc => r.branch(doc.eq(null), 'none', doc('name')))`,
  `r.do(5)`,
  `r.do()`,
  `r.expr(1).do()`,
  `r.table('t').get(1).do(r.row('x'))`,
  `r.branch(r.expr(1).gt(0), 'pos', 'neg')`,
  `r.branch(r.row('a'), 1, r.row('b'), 2, 3)`,
  `r.expr(true).branch('y', 'n')`,
  `r.range()`,
  `r.range(10)`,
  `r.range(1, 10).map(x => x.mul(x))`,
  `r.error('boom')`,
  `r.error()`,
  `r.table('t').get(1)('x').default(0)`,
  `r.table('t').get(1)('x').default(r.row)`,
  `r.js('1 + 1')`,
  `r.js('(function(x) { return x; })', {timeout: 1.5})`,
  `r.js()`,
  `r.expr('5').coerceTo('number')`,
  `r.expr(1).typeOf()`,
  `r.typeOf(1)`,
  `r.table('t').info()`,
  `r.info(r.table('t'))`,
  `r.http('https://example.com')`,
  `r.http('https://example.com', {method: 'POST', data: {a: 1}, resultFormat: 'json', page: 'link-next', pageLimit: 2})`,
  `r.uuid()`,
  `r.uuid('name')`,
  `r.expr('x').uuid()`,
  `r.args([1, 2])`,
  `r.table('t').getAll(r.args(['a', 'b']))`,
  `r.binary(r.expr('abc'))`,
  `r.binary('abc')`,
  `r.binary()`,

  // ---- time
  `r.now()`,
  `r.time(2024, 1, 2, 'Z')`,
  `r.time(2024, 1, 2, 3, 4, 5.5, '+02:00')`,
  `r.epochTime(1700000000)`,
  `r.ISO8601('2024-01-02T03:04:05Z')`,
  `r.ISO8601('2024-01-02T03:04:05', {defaultTimezone: '+01:00'})`,
  `r.ISO8601()`,
  `r.now().inTimezone('-08:00')`,
  `r.now().timezone()`,
  `r.now().during(r.time(2024, 1, 1, 'Z'), r.now())`,
  `r.now().during(r.time(2024, 1, 1, 'Z'), r.now(), {leftBound: 'open', rightBound: 'closed'})`,
  `r.now().during(r.now())`,
  `r.now().date()`,
  `r.now().timeOfDay()`,
  `r.now().year()`,
  `r.now().month().eq(r.october)`,
  `r.now().day()`,
  `r.now().dayOfWeek().eq(r.monday)`,
  `r.now().dayOfYear()`,
  `r.now().hours()`,
  `r.now().minutes()`,
  `r.now().seconds()`,
  `r.now().toISO8601()`,
  `r.now().toEpochTime()`,
  `r.expr([r.monday, r.tuesday, r.wednesday, r.thursday, r.friday, r.saturday, r.sunday])`,
  `r.expr([r.january, r.february, r.march, r.april, r.may, r.june, r.july, r.august, r.september, r.october, r.november, r.december])`,
  `r.minval`,
  `r.maxval`,
  `r.expr([r.minval, r.maxval])`,
  `r.minval('x')`,
  `r.row`,

  // ---- geo
  `r.point(-122.4, 37.7)`,
  `r.line([0, 0], [1, 1])`,
  `r.line(r.point(0, 0), r.point(1, 1))`,
  `r.polygon([0, 0], [1, 0], [1, 1])`,
  `r.circle([0, 0], 100)`,
  `r.circle(r.point(0, 0), 100, {numVertices: 16, unit: 'km', fill: false, geoSystem: 'WGS84'})`,
  `r.circle([0, 0])`,
  `r.distance(r.point(0, 0), r.point(1, 1))`,
  `r.distance(r.point(0, 0), r.point(1, 1), {unit: 'mi'})`,
  `r.point(0, 0).distance(r.point(1, 1), {geoSystem: 'unit_sphere'})`,
  `r.geojson({type: 'Point', coordinates: [0, 0]})`,
  `r.point(0, 0).toGeojson()`,
  `r.polygon([0, 0], [1, 0], [1, 1]).fill()`,
  `r.line([0, 0], [1, 0], [1, 1], [0, 0]).fill()`,
  `r.polygon([0, 0], [4, 0], [4, 4]).polygonSub(r.polygon([1, 1], [2, 1], [2, 2]))`,
  `r.polygon([0, 0], [1, 0], [1, 1]).includes(r.point(0.5, 0.2))`,
  `r.polygon([0, 0], [1, 0], [1, 1]).intersects(r.line([0, 0], [2, 2]))`,
  `r.intersects(r.table('t')('loc'), r.point(0, 0))`,
  `r.table('t').getIntersecting(r.circle([0, 0], 10), {index: 'loc'})`,
  `r.table('t').getNearest(r.point(0, 0), {index: 'loc', maxResults: 5, maxDist: 1000, unit: 'm'})`,
  `r.table('t').getNearest(r.point(0, 0))`,
  `r.table('t').getIntersecting()`,

  // ---- functions, variables and r.row
  `r.table('t').map(function(a) { return r.table('u').map(function(b) { return [a, b]; }); })`,
  `r.table('t').map(a => r.table('u').filter(b => b('x').eq(a('x'))).count())`,
  `r.table('t').concatMap(a => r.table('u').map(b => ({a: a, b: b})))`,
  `r.table('t').map(function(r) { return r('x'); })`,
  `r.table('t').filter(function(a, a) { return a; })`,
  `r.table('t').map(function() { return 1; })`,
  `r.table('t').map(() => r.row('x'))`,
  `r.table('t').map({x: r.row('a'), y: doc => doc})`,
  `r.table('t').filter(r.row('tags').contains(r.row('x')))`,
  `r.table('t').filter(r.row('a').filter(r.row('b')))`,
  `r.expr([x => x, y => y])`,
  `r.expr({f: x => x, g: function(y) { return y; }})`,
  `r.table('t').filter(doc => doc)`,
  `r.table('t').map(r.row)`,
  `r.row('a')`,
  `r.row('a').add(1)`,
  `r.expr(r.row)`,
  `r.table('t').update(r.row.merge({x: 1}))`,
  `r.table('t').filter(doc => ({a: doc('b')}))`,
  `r.table('t').map(x => [x, {a: [x]}])`,

  // ---- syntax: comments, whitespace, pasted driver code
  `r.table('t') // a comment
    .filter({a: 1}) /* block
    comment */ .count()`,
  `/* leading */ r.expr(1) // trailing`,
  `r.table('t').run(conn)`,
  `r.table('t').run(conn);`,
  `r.table('t').run();`,
  `r.table('t').count().run(conn, {readMode: 'outdated', profile: true})`,
  `r.table('t').run(conn, function(err, cursor) { if (err) throw err; cursor.toArray(function(e, rows) { console.log(rows); }); })`,
  `r.table('t');`,
  `r.table('t');;`,
  `r
  .table('t')
  .filter(function (doc) {
    return doc('a')
      .eq(1);
  })
  .pluck('a');`,
  `(r.table('t')).count()`,
  `r.expr((1))`,
  `r.table('t').filter(x => (x('a')))`,
  `r.table('t').map(x => { return x('a'); })`,
  `r.table('t').map(function named(x) { return x; })`,
  `r.table('t').map(function(x,) { return x; })`,
  `r.table('t').map((x,) => x)`,
  `r.do(1, 2, (a, b,) => a)`,
  `r.db('test').table('users').filter(r.row('age').ge(21).and(r.row('email').match('@example\\\\.com$'))).orderBy(r.desc('age')).limit(10).pluck('name', 'email')`,
  // ---- conversion order and option detection corner cases
  `r.table('t').fold(x => 1, (acc, row) => acc)`,
  `r.map(x => 1, y => 2)`,
  `r.table('a').eqJoin(x => x('id'), r.expr(y => y))`,
  `r.table('t').indexCreate(x => 1, y => 2)`,
  `r.expr([x => x, r.row, {a: y => y}])`,
  `r.table('t').map(x => x, {a: 1})`,
  `r.table('t').getAll(1, {index: 'a'}, {b: 1})`,
  `r.table('t').union(r.asc('x'), r.table('u'))`,
  `r.table('t').group(r.desc('x'))`,
  `r.table('t').slice(1, 2, x => 1)`,
  `r.table('t').reconfigure(5)`,
  `r.table('t').reconfigure(null)`,
  `r.table('t').min('a', 'b')`,
  `r.table('t').min({index: 'x'}, 'y')`,
  `r.random(1, {float: true}, 3)`,
  `r.expr(1, 2.5)`,
  `r.expr([[1]], 2.5)`,
  `r.expr([[1]], 3)`,
  `r.table('t', {readMode: 'a', read_mode: 'b'})`,
  `r.table('t', {1: 'a', b: 2, 0: 'z'})`,
  `r.table('t').insert({}, {durability: 'soft', returnChanges: true, conflict: 'update', ignoreWriteHook: true})`,
  `r.expr(1).do(r.expr(2), r.expr(3), (a, b, c) => a.add(b, c))`,
  `r.expr(1).do(2, 3)`,
  `r.table('t').filter(r.row('a').eq(r.row('b')))`,
  `r.table('t').map(x => r.table('u').filter(r.row('id').eq(x('id'))))`,
  `r.row('a')('b')`,
  `r.table('t').hasFields({a: true})`,
  `r.table('t').withFields({a: true})`,
  `r.table('t').map(x => { return {a: x}; })`,
  `r.table('t').map((x) => x)`,
  `r.table('t').map(function(x) { return x })`,
  `r.table('t').map(function(x) { ; return x; ; })`,
  `r.table('t').filter(x => y => 1)`,
  `r.expr({'a-b': 1, "": 2, true: 3, null: 4, 'a b': {c: 5}})`,
  `({a: 1})`,
  `r.table(/* c */ 't' // x
  )`,
  'r.expr(`a\r\nb\rc`)',
  'r.expr("crlf")\r\n  .add("x")\r\n',
  `r.expr('raw \u2028 separator')`,
  `r.table('t').pluck('a').run(conn, {profile: true}, function(err, res) {})`,
  `r.table('t').between(r.minval, 5, {index: 'x'}).count()`,
  `r.expr('a').coerceTo('array')`,
  `r.expr([1, 2, 3]).sample(2).nth(0).default(null)`,
  `r.table('t').slice(1, 2, {a: 1}, 4)`,
  `r.table('t').orderBy('a', r.desc('b'), {index: 'c'}).limit(3)`,
  `r.table('t').filter(r.row('tags').contains('x'), {default: false}).pluck('id')`,
  `r.db('rethinkdb').table('server_status').filter({name: 'x'})`,
  `r.table('t').changes({squash: true}).filter(r.row('new_val')('n').gt(1))`,
  `r.table('t').get(1).replace(r.row.merge({n: r.row('n').default(0).add(1)}), {returnChanges: 'always'})`,
  `r.table('t').group('a').max('b').ungroup().orderBy(r.desc('reduction'))`,
  `r.table('t').concatMap(x => x('arr').map(y => [x('id'), y]))`,
  `r.table('t').innerJoin(r.table('u'), (a, b) => a('id').eq(b('tid'))).zip().count()`,
  `r.table('t').map(x => r.branch(x('a').gt(1), {big: x}, {small: x}))`,
  `r.table('t').filter(x => r.expr(['a', 'b']).contains(x('k')))`,
  `r.expr([1, 2, 3]).reduce((a, b) => a.add(b)).default(0)`,
  `r.expr({a: 1}).merge({b: r.literal({c: 2})}, x => ({d: x('a')}))`,
  `r.expr([3, 1, 2]).orderBy(r.row)`,
  `r.expr([3, 1, 2]).orderBy(r.desc(x => x))`,
  `r.expr([{a: 1}]).pluck('a').toJsonString().upcase()`,
];

// Pseudo-random expressions (fixed seed, so regeneration is stable) mix
// every method and r-function with literals, objects, functions and r.row.
// Non-object options given to reconfigure, slice and indexCreate are left
// out: the driver turns those into garbage optargs, reqltext rejects them.
function randomCases(count, seed) {
  let state = seed >>> 0;
  const rand = () => { // mulberry32
    state = (state + 0x6D2B79F5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const skip = new Set(['constructor', 'build', 'compose', 'run', 'toString', 'args', 'optargs', 'showRunWarning']);
  const methods = [];
  for (let p = Object.getPrototypeOf(r.expr(1)); p && p !== Function.prototype && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      const d = Object.getOwnPropertyDescriptor(p, k);
      if (typeof d.value === 'function' && !skip.has(k) && !methods.includes(k)) methods.push(k);
    }
  }
  methods.sort();
  const names = Object.getOwnPropertyNames(r).filter((k) => typeof r[k] === 'function').sort();
  const functions = names.filter((k) => !r[k].build && !['connect', '_bluebird'].includes(k));
  const constants = names.filter((k) => r[k].build);
  const params = ['x', 'y', 'doc', 'a', 'b'];
  const keys = ['a', 'b', 'index', 'readMode', 'returnChanges', 'default', '1', '0', 'leftBound',
    'multi', "'x y'", '"q"', '2.50', 'read_mode', 'nonAtomic', 'conflict'];
  function lit(d, scope) {
    const c = Math.floor(rand() * 10);
    if (c === 0) return String(pick([0, 1, -2, 1.5, 1e21, 3e-7, 16]));
    if (c === 1) return pick(["'s'", '"t"', "'a b'", "''"]);
    if (c === 2) return pick(['true', 'false', 'null']);
    if (c === 3 && d > 0) return '[' + Array.from({ length: Math.floor(rand() * 4) }, () => val(d - 1, scope)).join(', ') + ']';
    if (c === 4 && d > 0) {
      const ks = [...new Set(Array.from({ length: Math.floor(rand() * 5) }, () => pick(keys)))];
      return '{' + ks.map((k) => k + ': ' + val(d - 1, scope)).join(', ') + '}';
    }
    if (c === 5 && d > 0) {
      const ps = [...new Set(Array.from({ length: Math.floor(rand() * 3) }, () => pick(params)))];
      const body = val(d - 1, scope.concat(ps));
      const k = rand();
      if (k < 0.4) return 'function(' + ps.join(', ') + ') { return ' + body + '; }';
      if (k < 0.5) return '(' + ps.join(', ') + ') => { return ' + body + ' }';
      return '(' + ps.join(', ') + ') => ' + (body.startsWith('{') ? '(' + body + ')' : body);
    }
    if (c === 6 && scope.length) return pick(scope);
    if (c === 7) return 'r.row' + pick(['', "('f')"]);
    return "'v'";
  }
  function term(d, scope) {
    const c = Math.floor(rand() * 6);
    if (c === 0 || d <= 0) {
      return pick(["r.table('t')", 'r.expr(1)', "r.row('a')", "r.db('d')", 'r.now()', 'r.' + pick(constants)].concat(scope));
    }
    if (c === 1) return 'r.' + pick(functions) + '(' + args(d - 1, scope) + ')';
    const recv = term(d - 1, scope);
    const k = rand();
    if (k < 0.15) return recv + '(' + val(d - 1, scope) + ')';
    if (k < 0.2) return 'r(' + val(d - 1, scope) + ')';
    return recv + '.' + pick(methods) + '(' + args(d - 1, scope) + ')';
  }
  function val(d, scope) { return rand() < 0.4 ? term(d, scope) : lit(d, scope); }
  function args(d, scope) {
    return Array.from({ length: pick([0, 1, 1, 2, 2, 3, 4]) }, () => val(d, scope)).join(', ');
  }
  const out = [];
  while (out.length < count) {
    const src = term(1 + Math.floor(rand() * 4), []);
    if (!/\.(reconfigure|slice|indexCreate)\(/.test(src)) out.push(src);
  }
  return out;
}

const out = [];
for (const src of cases.concat(randomCases(400, 2024))) {
  Func.nextVarId = 0;
  const entry = { expr: src };
  try {
    // eval gives the completion value, so trailing semicolons and
    // comments behave as they do when pasted into a REPL.
    const value = (new Function('r', 'conn', 'return eval(' + JSON.stringify(src) + ');'))(r, conn);
    entry.wire = JSON.stringify(r.expr(value).build());
  } catch (e) {
    entry.error = e.message;
  }
  out.push(entry);
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
