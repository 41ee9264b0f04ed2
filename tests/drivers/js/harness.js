'use strict';
// Test harness: starts and stops PhotonDB servers for the JS driver tests.
//
// The server binary comes from the PHOTONDB_BIN environment variable (the
// Makefile sets it to the absolute path of bin/photondb). Every server binds
// 127.0.0.1 only, on free ports, with a fresh temporary data dir unless one is
// given (restart tests reuse the data dir of a stopped server).
//
// Every server started here is SIGKILLed when the test process exits, also on
// failure, and its temporary data dir is removed.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const r = require('rethinkdb');

const READY_TIMEOUT_MS = 20000;
const READY_POLL_MS = 50;
const STOP_TIMEOUT_MS = 15000;
const LOG_LIMIT = 64 * 1024;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const live = new Set(); // running child processes
const tempDirs = new Set(); // data dirs to remove at exit

process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch (_) { /* already gone */ }
  }
  for (const dir of tempDirs) {
    try { fs.rmSync(dir, { recursive: true, force: true }); } catch (_) { /* best effort */ }
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => process.exit(130));
}

function binaryPath() {
  const bin = process.env.PHOTONDB_BIN;
  if (!bin) {
    throw new Error(
      'PHOTONDB_BIN is not set: build the server (go build -o bin/photondb ./cmd/photondb) ' +
      'and run the tests as `PHOTONDB_BIN=/abs/path/to/photondb npm test`');
  }
  try {
    fs.accessSync(bin, fs.constants.X_OK);
  } catch (e) {
    throw new Error(`PHOTONDB_BIN=${bin} is not an executable file: ${e.message}`);
  }
  return bin;
}

// Reserve n distinct free ports on 127.0.0.1 (all held open at once, then released).
async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      await new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', resolve);
      });
      servers.push(s);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

function httpStatus(port, urlPath) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => { req.destroy(); resolve(null); });
    req.on('error', () => resolve(null));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function appendCapped(buf, chunk) {
  const s = buf + chunk.toString();
  return s.length > LOG_LIMIT ? s.slice(s.length - LOG_LIMIT) : s;
}

// If the driver throws while handling a server response (e.g. an error
// response without the backtrace `b` that the driver needs), that exception
// would escape from the socket's data handler and the query would hang until
// its timeout. Fail the query at once instead, naming the raw response, so the
// test fails fast and says why. Correct responses take the normal path.
// (Uses Connection._processResponse of the exactly pinned rethinkdb 2.4.2.)
function guardResponses(conn) {
  const orig = conn._processResponse;
  conn._processResponse = function (response, token) {
    try {
      return orig.call(this, response, token);
    } catch (e) {
      const pending = this.outstandingCallbacks[token];
      const err = new Error(
        `the rethinkdb driver cannot handle the server's response ${JSON.stringify(response)} ` +
        `(token ${token}): ${e && e.message}`);
      if (pending && typeof pending.cb === 'function') {
        delete this.outstandingCallbacks[token];
        pending.cb(err);
      } else {
        process.emitWarning(err.message);
      }
      return undefined;
    }
  };
}

class Server {
  constructor({ dataDir, ports, child }) {
    this.dataDir = dataDir;
    [this.httpPort, this.driverPort, this.clusterPort] = ports;
    this.child = child;
    this.stdout = '';
    this.stderr = '';
    this.exited = false;
    this.exitCode = null;
    this.exitSignal = null;
    this.exitPromise = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exited = true;
        this.exitCode = code;
        this.exitSignal = signal;
        live.delete(child);
        resolve({ code, signal });
      });
    });
    child.stdout.on('data', (d) => { this.stdout = appendCapped(this.stdout, d); });
    child.stderr.on('data', (d) => { this.stderr = appendCapped(this.stderr, d); });
    this.connections = new Set();
  }

  get pid() { return this.child.pid; }

  // Opens a driver connection (user admin, empty password unless given).
  async connect(opts = {}) {
    const conn = await r.connect({ host: '127.0.0.1', port: this.driverPort, timeout: 10, ...opts });
    // A connection the server closes under us must not crash the test process
    // through an unhandled 'error' event.
    conn.on('error', () => {});
    guardResponses(conn);
    this.connections.add(conn);
    return conn;
  }

  async closeConnections() {
    const conns = [...this.connections];
    this.connections.clear();
    await Promise.all(conns.map(async (c) => {
      try {
        if (c.isOpen()) await withTimeout(c.close({ noreplyWait: false }), 5000, 'conn.close');
      } catch (_) { /* ignore */ }
    }));
  }

  logs() {
    return `--- server stderr ---\n${this.stderr}\n--- server stdout ---\n${this.stdout}`;
  }

  async waitReady() {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new Error(`photondb exited (code ${this.exitCode}, signal ${this.exitSignal}) before it was ready\n${this.logs()}`);
      }
      if (await httpStatus(this.httpPort, '/health/ready') === 200) return;
      await sleep(READY_POLL_MS);
    }
    throw new Error(`photondb was not ready after ${READY_TIMEOUT_MS} ms (GET /health/ready on port ${this.httpPort})\n${this.logs()}`);
  }

  // Graceful stop: SIGTERM, then wait for the exit. Returns {code, signal}.
  async stop() {
    await this.closeConnections();
    if (this.exited) return { code: this.exitCode, signal: this.exitSignal };
    this.child.kill('SIGTERM');
    let timer;
    const res = await Promise.race([
      this.exitPromise,
      new Promise((resolve) => { timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS); }),
    ]).finally(() => clearTimeout(timer));
    if (res === null) {
      this.child.kill('SIGKILL');
      await this.exitPromise;
      throw new Error(`photondb did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM (SIGKILLed)\n${this.logs()}`);
    }
    return res;
  }

  // Immediate SIGKILL (no chance to flush anything). Returns {code, signal}.
  async kill9() {
    if (!this.exited) this.child.kill('SIGKILL');
    const res = await this.exitPromise;
    for (const c of this.connections) {
      try { c.rawSocket && c.rawSocket.destroy(); } catch (_) { /* ignore */ }
    }
    this.connections.clear();
    return res;
  }

  // For after() hooks: stop however possible, never throw.
  async dispose() {
    try {
      await this.stop();
    } catch (_) {
      try { await this.kill9(); } catch (_) { /* ignore */ }
    }
  }
}

// Starts a server. opts.dataDir: reuse an existing data dir (restart); by
// default a fresh temporary one is made (and removed at process exit).
// opts.devMode (default true) passes --dev-mode; opts.args are extra flags.
async function startServer(opts = {}) {
  const bin = binaryPath();
  let dataDir = opts.dataDir;
  if (!dataDir) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'photondb-js-'));
    tempDirs.add(dataDir);
  }
  const ports = await freePorts(3);
  const args = [
    'serve',
    '--bind', '127.0.0.1',
    '--port', String(ports[0]),
    '--driver-port', String(ports[1]),
    '--cluster-port', String(ports[2]),
    '--data-dir', dataDir,
    ...(opts.devMode === false ? [] : ['--dev-mode']),
    ...(opts.args || []),
  ];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const server = new Server({ dataDir, ports, child });
  await new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e) => reject(new Error(`cannot start ${bin}: ${e.message}`)));
  });
  try {
    await server.waitReady();
  } catch (e) {
    await server.kill9();
    throw e;
  }
  return server;
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Asserts that `promise` rejects with an instance of errClass; returns the error.
async function expectReject(promise, errClass, what = 'query') {
  let result;
  try {
    result = await promise;
  } catch (e) {
    if (!(e instanceof errClass)) {
      throw new Error(`${what}: expected ${errClass.name}, got ${e && e.constructor && e.constructor.name}: ${e && e.message}`);
    }
    return e;
  }
  throw new Error(`${what}: expected ${errClass.name}, but it succeeded with ${JSON.stringify(result)}`);
}

// The driver hands a top-level array result back with a prototype of its own
// (cursor methods mixed in), which assert.deepStrictEqual tells apart from a
// plain array. plain() makes it a plain array again.
function plain(v) {
  return Array.isArray(v) ? Array.from(v) : v;
}

// Reads a cursor (or an array result) fully, as a plain array.
async function toArray(result) {
  if (Array.isArray(result)) return Array.from(result);
  return Array.from(await result.toArray());
}

module.exports = { r, startServer, withTimeout, expectReject, toArray, plain, sleep, UUID_RE };
