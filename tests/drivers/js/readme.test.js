'use strict';
// The README's driver example must work as written against `photondb serve`
// (only the port differs: tests run on free ports).
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { r, startServer } = require('./harness');

function readmeExample() {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  const m = readme.match(/```js\n([\s\S]*?)```/);
  assert.ok(m, 'README.md has a ```js example');
  assert.match(m[1], /port: 28015/, 'the example connects to the default driver port');
  return m[1];
}

function runNode(file) {
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { cwd: __dirname, timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('README example', { timeout: 90000 }, () => {
  let server;
  let file;
  before(async () => {
    server = await startServer();
    file = path.join(__dirname, `.readme-example-${process.pid}.js`);
    fs.writeFileSync(file, readmeExample().replace('port: 28015', `port: ${server.driverPort}`));
  });
  after(async () => {
    if (file) fs.rmSync(file, { force: true });
    if (server) await server.dispose();
  });

  it('runs as written, twice, against a fresh server', async () => {
    const first = await runNode(file);
    assert.equal(first.code, 0, `first run failed:\n${first.stderr}\n${server.logs()}`);
    assert.match(first.stdout, /inserted 2 replaced 0 generated keys \[ '[0-9a-f-]{36}' \]/);
    assert.match(first.stdout, /\{ id: 1, name: 'Ada' \}/);
    assert.match(first.stdout, /name: 'Grace'/);

    // Second run: the table exists, Ada is replaced by an identical document
    // (unchanged), Grace gets a second generated key.
    const second = await runNode(file);
    assert.equal(second.code, 0, `second run failed:\n${second.stderr}`);
    assert.match(second.stdout, /inserted 1 replaced 0 generated keys/);
    const conn = await server.connect();
    assert.equal(await r.table('heroes').count().run(conn), 3);
  });
});
