// Benchmark for tiny-serve against its peers (issues 5 and 14). This script owns, start to finish:
//   1. a generated tree in a temp dir (index.html 1.5 KB, app.js 100 KB, big.bin 50 MB, list/ with 2,000 files,
//      sweep/ with random files of 128 KiB to 16 MiB);
//   2. cold start of tiny-serve, sirv and a bare `node -e` hello-world server (spawn → first response, best of 5);
//   3. starting every server on its own free 127.0.0.1 port: tiny-serve (dist/tiny-serve.js), sirv-cli, serve,
//      http-server (devDependencies), nginx when it is on PATH (config written to the temp dir), and the "bare node"
//      reference (bare-node.mjs, replaying tiny-serve's own answers from memory); every Node server runs on
//      BENCH_NODE when set;
//   4. probing each workload on each server (status, validator, Content-Encoding, listing body) so a server that
//      cannot do a workload is shown as n/a instead of being measured doing something else;
//   5. loading one server at a time with wrk (autocannon as a fallback), best of N rounds, servers alternated;
//   6. peak RSS (VmHWM) of every server, read just before it is stopped;
//   7. the markdown table on stdout (progress goes to stderr), and with --write / BENCH_WRITE=1 test/bench/RESULTS.md;
//   8. clean-up on exit, error and SIGINT/SIGTERM: every child process is killed and the temp dir removed;
//   9. HTTP/2 (issue 14): tiny-serve, nginx and sirv over TLS with a generated self-signed certificate, loaded with
//      h2load (several streams per connection) on the small file; BENCH_ONLY=h2 runs this part alone.
// Only Node built-ins, plus autocannon (devDependency) when wrk is missing. See test/bench/README.md.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(REPO, 'node_modules/.bin');
const DURATION = Number(process.env.BENCH_DURATION ?? 5); // seconds per wrk run
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const THREADS = 2;
const CONNECTIONS = 32;
const BIG_CONNECTIONS = 4;
const WRITE = process.argv.includes('--write') || process.env.BENCH_WRITE === '1';
const COLD_START_RUNS = 5;
const SWEEP = process.env.BENCH_SWEEP !== '0';
const SWEEP_CONNECTIONS = 16;
// The Node binary every Node server (and the cold starts) runs on; the script itself runs on whatever started it.
const NODE = process.env.BENCH_NODE ? resolve(process.env.BENCH_NODE) : process.execPath;
// BENCH_ONLY=h2: only the HTTP/2 workload (no cold start, no HTTP/1.1 table), for iterating on it.
const ONLY_H2 = process.env.BENCH_ONLY === 'h2';
// HTTP/2 load: h2load, 1 thread (the server gets the other core), H2_CONNECTIONS connections with H2_STREAMS
// requests in flight on each, as a browser loading a page keeps many streams open on one connection.
const H2_CONNECTIONS = 16;
const H2_STREAMS = 10;

const SIZES = { index: 1536, app: 100 * 1024, big: 50 * 1024 * 1024, listFiles: 2000 };
// The size sweep of issue 14: what real sites mostly serve (JS chunks, images, fonts), between app.js and big.bin.
const SWEEP_SIZES = SWEEP
  ? [['128k', 128 * 1024, '128 KiB'], ['256k', 256 * 1024, '256 KiB'], ['512k', 512 * 1024, '512 KiB'], ['1m', 1 << 20, '1 MiB'], ['4m', 4 << 20, '4 MiB'], ['16m', 16 << 20, '16 MiB']]
  : [];
const LAST_LIST_FILE = `item-${String(SIZES.listFiles).padStart(4, '0')}.txt`;

// ---------------------------------------------------------------------------------------------------------------
// Clean-up: every child we spawn is tracked; all of them die with us, whatever the way out.
const children = new Set();
let tempDir;
let cleanedUp = false;

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killAll() {
  for (const child of children) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

// Synchronous, for the 'exit' event: kill everything and remove the tree. Idempotent.
function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  killAll();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}

// On a signal or an error: kill, wait (up to 2 s) until every child is reaped, clean up, exit.
async function shutdown(code) {
  const exited = [...children].map((child) => new Promise((done) => {
    child.once('exit', done);
    setTimeout(done, 2000).unref();
  }));
  killAll();
  await Promise.all(exited);
  cleanup();
  process.exit(code);
}

function installCleanup() {
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      log(`\n${signal}: stopping every server and removing ${tempDir ?? 'the temp dir'}`);
      shutdown(130);
    });
  }
  for (const event of ['uncaughtException', 'unhandledRejection']) {
    process.on(event, (error) => {
      console.error(error);
      shutdown(1);
    });
  }
}

const log = (...args) => console.error(...args);
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

// ---------------------------------------------------------------------------------------------------------------
// Step 1: the tree. Deterministic text (seeded PRNG) so app.js compresses the same on every run.
function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// `text` followed by a comment of filler, `size` bytes in all (text and comment are ASCII).
function padTo(text, size, comment) {
  const needed = size - text.length - comment('').length;
  if (needed < 0) throw new Error(`text is already over ${size} bytes`);
  const filler = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt. ';
  return text + comment(filler.repeat(Math.ceil(needed / filler.length) + 1).slice(0, needed));
}

function makeIndexHtml() {
  const head = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>tiny-serve benchmark</title>
  <link rel="stylesheet" href="/style.css">
</head>
<body>
  <header><h1>Benchmark page</h1><nav><a href="/">Home</a> <a href="/list/">Files</a></nav></header>
  <main>
    <p>This page is served by every server in the benchmark. It weighs exactly 1.5 KB.</p>
  </main>
  <script type="module" src="/app.js"></script>
</body>
</html>
`;
  return padTo(head, SIZES.index, (pad) => `<!-- ${pad} -->\n`);
}

function makeAppJs() {
  const random = prng(42);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const verbs = ['get', 'set', 'update', 'render', 'parse', 'format', 'validate', 'compute', 'load', 'save', 'toggle', 'filter', 'sort', 'merge', 'resolve'];
  const nouns = ['User', 'Cart', 'Price', 'Item', 'Order', 'Session', 'Token', 'Route', 'Layout', 'Widget', 'Modal', 'Query', 'Cache', 'Theme', 'Locale'];
  const words = ['value', 'options', 'state', 'items', 'config', 'target', 'payload', 'result', 'entry', 'context'];
  const templates = [
    (name, a, b) => `export function ${name}(${a}, ${b} = {}) {
  if (${a} == null) {
    throw new TypeError('${name}: expected ${a}, got ' + typeof ${a});
  }
  const { limit = ${Math.floor(random() * 500)}, strict = ${random() > 0.5} } = ${b};
  return Array.isArray(${a}) ? ${a}.slice(0, limit).map((x) => (strict ? String(x).trim() : x)) : [${a}];
}
`,
    (name, a, b) => `export async function ${name}(${a}, ${b}) {
  const response = await fetch('/api/${name.toLowerCase()}/' + encodeURIComponent(${a}), {
    method: '${pick(['GET', 'POST', 'PUT'])}',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: ${b} === undefined ? undefined : JSON.stringify(${b}),
  });
  if (!response.ok) throw new Error('${name} failed with ' + response.status);
  return response.json();
}
`,
    (name, a, b) => `export class ${name[0].toUpperCase() + name.slice(1)}Store {
  #${a} = new Map();
  constructor(${b} = ${Math.floor(random() * 1000)}) {
    this.capacity = ${b};
  }
  /** Returns the cached ${a} for a key, or undefined. */
  get(key) {
    return this.#${a}.get(key);
  }
  set(key, ${a}) {
    if (this.#${a}.size >= this.capacity) this.#${a}.delete(this.#${a}.keys().next().value);
    this.#${a}.set(key, ${a});
    return this;
  }
}
`,
    (name, a, b) => `// ${name}: ${pick(words)} helper, ${pick(['see', 'cf.', 'used by'])} ${pick(verbs)}${pick(nouns)}().
export const ${name} = (${a}, ${b}) => ({
  ...${a},
  id: ${a}?.id ?? 'id-${Math.floor(random() * 1e6).toString(36)}',
  updatedAt: Date.now(),
  flags: (${b} ?? []).filter(Boolean).map((flag) => flag.toUpperCase()),
});
`,
  ];
  // Doc comments of random words, ids and numbers keep the text about as compressible as real code (gzip ~4×).
  const prose = ['the', 'a', 'when', 'returns', 'unless', 'cached', 'request', 'response', 'element', 'event', 'listener', 'callback', 'index', 'offset', 'length', 'default', 'missing', 'invalid', 'retry', 'timeout', 'render', 'scroll', 'focus', 'keyboard', 'locale', 'currency', 'number', 'string', 'array', 'object', 'promise', 'error', 'after', 'before', 'each', 'only', 'first', 'last'];
  const id = () => Math.floor(random() * 2 ** 40).toString(36);
  const sentence = () => Array.from({ length: 6 + Math.floor(random() * 10) }, () => (random() < 0.15 ? id() : pick(prose))).join(' ');
  let text = `/* app.js: generated for the tiny-serve benchmark (deterministic) */\n'use strict';\n\n`;
  while (text.length < SIZES.app - 600) {
    const name = `${pick(verbs)}${pick(nouns)}${id()}`;
    text += `/**\n * ${sentence()}.\n * @see ${id()}-${id()} (${Math.floor(random() * 1e5)})\n */\n`;
    text += pick(templates)(name, pick(words), pick(words) + 'Arg') + '\n';
  }
  return padTo(text, SIZES.app, (pad) => `/* ${pad} */\n`);
}

// Random bytes: incompressible, and of a type no server compresses on the fly, so every server sends the same bytes.
function writeRandomFile(file, size) {
  const fd = openSync(file, 'w');
  for (let written = 0; written < size; written += 1 << 20) writeSync(fd, randomBytes(Math.min(1 << 20, size - written)));
  closeSync(fd);
}

function generateTree() {
  tempDir = mkdtempSync(join(os.tmpdir(), 'tiny-serve-bench-'));
  const root = join(tempDir, 'site');
  mkdirSync(join(root, 'list'), { recursive: true });
  writeFileSync(join(root, 'index.html'), makeIndexHtml());
  writeFileSync(join(root, 'app.js'), makeAppJs());
  writeRandomFile(join(root, 'big.bin'), SIZES.big);
  if (SWEEP_SIZES.length) mkdirSync(join(root, 'sweep'));
  for (const [id, size] of SWEEP_SIZES) writeRandomFile(join(root, 'sweep', `${id}.bin`), size);
  for (let i = 1; i <= SIZES.listFiles; i += 1) {
    const name = `item-${String(i).padStart(4, '0')}.txt`;
    writeFileSync(join(root, 'list', name), `file ${i} of the listing workload\n`);
  }
  for (const [file, size] of [['index.html', SIZES.index], ['app.js', SIZES.app]]) {
    const actual = readFileSync(join(root, file)).length;
    if (actual !== size) throw new Error(`generated ${file} is ${actual} bytes, expected ${size}`);
  }
  const sweep = SWEEP_SIZES.length ? `, sweep/ ${SWEEP_SIZES.map(([, , label]) => label).join(', ')}` : '';
  log(`tree: ${root} (index.html 1.5 KB, app.js 100 KB, big.bin 50 MB, list/ ${SIZES.listFiles} files${sweep})`);
  return root;
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP helpers (node:http, not fetch: fetch adds Accept-Encoding and decompresses, which would hide what we test).
function freePort() {
  return new Promise((done, fail) => {
    const server = net.createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

function request(url, headers = {}, { keepBody = 1 << 20 } = {}) {
  return new Promise((done, fail) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const chunks = [];
      let kept = 0;
      let bytes = 0;
      res.on('data', (chunk) => {
        bytes += chunk.length;
        if (kept < keepBody) {
          chunks.push(chunk);
          kept += chunk.length;
        }
      });
      res.on('end', () => done({ status: res.statusCode, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), bytes }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${url}`)));
  });
}

// Resolves when `url` answers (any status), rejects if the child exits first or after `timeoutMs`.
async function waitUntilAnswering(url, child, timeoutMs = 20_000, pollMs = 10) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`exited before answering (code ${child.exitCode}, signal ${child.signalCode})`);
    try {
      return await request(url, {}, { keepBody: 0 });
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`no answer from ${url} within ${timeoutMs} ms: ${error.message}`);
      await sleep(pollMs);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Step 2: cold start. Spawn → first complete response, polling every 2 ms; best of COLD_START_RUNS, the three
// alternated within each run so a slow moment of the machine does not fall on one of them only.
async function timeFirstResponse(command, args, port) {
  const started = process.hrtime.bigint();
  const child = track(spawn(command, args, { stdio: 'ignore' }));
  try {
    await waitUntilAnswering(`http://127.0.0.1:${port}/`, child, 20_000, 2);
    return Number(process.hrtime.bigint() - started) / 1e6;
  } finally {
    child.kill('SIGKILL');
    await new Promise((done) => (child.exitCode !== null || child.signalCode !== null ? done() : child.once('exit', done)));
  }
}

// `specs` are the server specs (step 3): tiny-serve and sirv start exactly as they are loaded later.
async function measureColdStart(specs) {
  const hello = (port) => [NODE, ['-e', `require('node:http').createServer((q, s) => s.end('hello')).listen(${port}, '127.0.0.1')`]];
  const starts = { ours: specs.find((s) => s.name === 'tiny-serve').command, sirv: specs.find((s) => s.name === 'sirv').command, bare: hello };
  const best = { ours: Infinity, sirv: Infinity, bare: Infinity };
  for (let run = 0; run < COLD_START_RUNS; run += 1) {
    for (const [key, command] of Object.entries(starts)) {
      const port = await freePort();
      best[key] = Math.min(best[key], await timeFirstResponse(...command(port), port));
    }
  }
  log(`cold start: tiny-serve ${best.ours.toFixed(0)} ms, sirv ${best.sirv.toFixed(0)} ms, bare node ${best.bare.toFixed(0)} ms`);
  return best;
}

// ---------------------------------------------------------------------------------------------------------------
// Step 3: the servers. `command(port)` returns what to spawn; `notes` documents the configuration measured.
function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(REPO, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

function writeNginxConf(root, port) {
  const prefix = join(tempDir, 'nginx');
  mkdirSync(prefix, { recursive: true });
  const conf = `# Written by test/bench/run.mjs: one worker, sendfile, gzip level 6 for JS/CSS, autoindex, default ETags.
worker_processes 1;
daemon off;
master_process off;          # a single process: the one we spawn, measure and kill
error_log ${prefix}/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections 1024; }
http {
  types { text/html html; application/javascript js; text/css css; text/plain txt; application/octet-stream bin; }
  default_type application/octet-stream;
  charset utf-8;
  charset_types text/html text/plain application/javascript text/css;
  access_log off;
  sendfile on;
  tcp_nopush on;
  # open_file_cache: left at nginx's default (off): every request opens and fstats the file.
  gzip on;
  gzip_types application/javascript text/javascript text/css;
  gzip_comp_level 6;
  gzip_vary on;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    index index.html;
    autoindex on;
    etag on;
  }
}
`;
  writeFileSync(join(prefix, 'nginx.conf'), conf);
  return { prefix, conf: join(prefix, 'nginx.conf') };
}

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
}

function serverSpecs(root) {
  const specs = [
    {
      name: 'tiny-serve',
      version: JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version,
      command: (port) => [NODE, [join(REPO, 'dist/tiny-serve.js'), root, '-p', String(port), '-H', '127.0.0.1', '--quiet']],
      notes: 'built dist/tiny-serve.js, default options, `--quiet`',
    },
  ];
  if (onPath('nginx')) {
    const version = spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim().replace(/^nginx version: nginx\//, '');
    specs.push({
      name: 'nginx',
      version,
      command: (port) => {
        const { prefix, conf } = writeNginxConf(root, port);
        return ['nginx', ['-c', conf, '-p', prefix, '-e', join(prefix, 'error.log')]];
      },
      notes: '1 worker (`master_process off`), sendfile + tcp_nopush, `open_file_cache` off (default), gzip level 6 for JS/CSS, autoindex on, ETags on, access_log off',
    });
  }
  specs.push(
    {
      name: 'sirv',
      version: `sirv-cli ${packageVersion('sirv-cli')} / sirv ${packageVersion('sirv')}`,
      command: (port) => [NODE, [binScript('sirv'), root, '--port', String(port), '--host', '127.0.0.1', '--quiet', '--etag']],
      notes: 'production mode (default): walks the tree once at start-up and keeps every file\'s stat and headers in memory, so it never sees a new, edited or deleted file; `--etag` (its ETag is computed at start-up; without it sirv sends none and ignores If-Modified-Since, so it has no 304); no listings; no on-the-fly compression (precompressed `.gz`/`.br` only)',
    },
    {
      name: 'serve',
      version: packageVersion('serve'),
      command: (port) => [NODE, [binScript('serve'), '-l', `tcp://127.0.0.1:${port}`, '-L', '-n', root]],
      env: { NO_UPDATE_CHECK: '1' },
      notes: '`-L` (no request log), `-n` (no clipboard), `NO_UPDATE_CHECK=1`; on-the-fly gzip (compression middleware), ETag = SHA-1 of the content, cached per mtime',
    },
    {
      name: 'http-server',
      version: packageVersion('http-server'),
      command: (port) => [NODE, [binScript('http-server'), root, '-p', String(port), '-a', '127.0.0.1', '-s']],
      notes: '`-s` (silent); weak ETags, `Cache-Control: max-age=3600` (default), listings on, no on-the-fly compression (`-g` only serves precompressed `.gz`)',
    },
    {
      name: 'bare node',
      version: '(bare-node.mjs)',
      only: ['small', '304', '404'],
      // Started after tiny-serve: it replays the answers tiny-serve gives, captured just before it starts.
      setup: (servers) => captureAnswers(servers.find((s) => s.name === 'tiny-serve'), BARE_ANSWERS()),
      command: (port) => [NODE, [join(REPO, 'test/bench/bare-node.mjs'), BARE_ANSWERS(), String(port)]],
      notes: 'reference, not a peer: test/bench/bare-node.mjs, a node:http server replaying from memory the status, headers and body tiny-serve sent for `/index.html` (200), its revalidation (304) and `/missing-file` (404); every other workload n/a',
    },
  );
  return specs;
}

// The scripts behind node_modules/.bin, so they run on NODE rather than on whatever `node` their shebang finds.
function binScript(name) {
  return realpathSync(join(BIN, name));
}

const BARE_ANSWERS = () => join(tempDir, 'bare-node-answers.json');

// What tiny-serve answers to the three requests bare node serves, minus the headers node:http writes itself. Names
// keep tiny-serve's spelling (rawHeaders), so bare node writes the very same header bytes.
async function captureAnswers(ours, file) {
  const written = ['date', 'connection', 'keep-alive', 'transfer-encoding'];
  const capture = async (headers, path) => {
    const res = await request(ours.base + path, headers);
    const kept = {};
    for (let i = 0; i < res.rawHeaders.length; i += 2) {
      if (!written.includes(res.rawHeaders[i].toLowerCase())) kept[res.rawHeaders[i]] = res.rawHeaders[i + 1];
    }
    return { status: res.status, headers: kept, etag: res.headers.etag, body: res.body.toString('base64') };
  };
  const ok = await capture({}, '/index.html');
  const notModified = await capture(ok.etag ? { 'If-None-Match': ok.etag } : {}, '/index.html');
  const notFound = await capture({}, '/missing-file');
  writeFileSync(file, JSON.stringify({ ok, notModified, notFound }));
}

async function startServer(spec) {
  const port = await freePort();
  const [command, args] = spec.command(port);
  const child = track(spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...spec.env } }));
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  try {
    await waitUntilAnswering(`http://127.0.0.1:${port}/index.html`, child);
  } catch (error) {
    throw new Error(`${spec.name} did not start: ${error.message}\n${stderr}`);
  }
  log(`started ${spec.name} on 127.0.0.1:${port} (pid ${child.pid})`);
  return { ...spec, port, child, base: `http://127.0.0.1:${port}`, stderr: () => stderr };
}

// ---------------------------------------------------------------------------------------------------------------
// Step 4: workloads. `prepare(server)` probes once and returns the headers to load with, or { na: reason }.
class NotApplicable extends Error {}

// GET `path`, following up to 5 redirects (serve's clean URLs send `/index.html` → `/index` → `/`): the load then
// targets the final path, so every server is measured serving the file rather than redirecting.
async function probe(server, path, headers = {}, options) {
  const hops = [path];
  for (;;) {
    const res = await request(server.base + path, headers, options);
    if (![301, 302, 303, 307, 308].includes(res.status) || !res.headers.location || hops.length > 5) {
      return { res, path, note: hops.length > 1 ? `${hops.map((h) => `\`${h}\``).join(' → ')} (redirects followed; loads the last)` : undefined };
    }
    path = new URL(res.headers.location, server.base + path).pathname;
    hops.push(path);
  }
}

function notes(...parts) {
  return parts.filter(Boolean).join('; ') || undefined;
}

function expect(condition, reason) {
  if (!condition) throw new NotApplicable(reason);
}

// One row of the size sweep (issue 14): a random file sent as is, 16 connections. Same bytes from every server, so
// the probe insists on the exact Content-Length and no Content-Encoding.
function sweepWorkload([id, size, label]) {
  return {
    id,
    title: `${label} \`/sweep/${id}.bin\` (${SWEEP_CONNECTIONS} connections)`,
    path: `/sweep/${id}.bin`,
    connections: SWEEP_CONNECTIONS,
    size,
    async prepare(server) {
      const { res, path, note } = await probe(server, this.path, {}, { keepBody: 0 });
      const length = res.headers['content-length'];
      expect(res.status === 200 && res.bytes === size, `answers ${res.status} with ${res.bytes} bytes`);
      expect(Number(length) === size && !res.headers['content-encoding'], `Content-Length ${length ?? 'none'}, Content-Encoding ${res.headers['content-encoding'] ?? 'none'}`);
      return { path, note };
    },
    targets: [['nginx', 1.0], ['sirv', 1.5]],
  };
}

const WORKLOADS = [
  {
    id: 'small',
    title: 'small file `/index.html` (1.5 KB, keep-alive)',
    path: '/index.html',
    async prepare(server) {
      const { res, path, note } = await probe(server, this.path);
      expect(res.status === 200 && res.bytes === SIZES.index, `answers ${res.status} with ${res.bytes} bytes`);
      return { path, note };
    },
    targets: [['nginx', 1.0], ['sirv', 5]],
  },
  {
    id: 'js',
    title: '100 KB `/app.js`',
    path: '/app.js',
    async prepare(server) {
      const { res, path, note } = await probe(server, this.path);
      expect(res.status === 200 && res.bytes === SIZES.app && !res.headers['content-encoding'], `answers ${res.status} with ${res.bytes} bytes`);
      return { path, note };
    },
    targets: [['nginx', 0.8]],
  },
  ...SWEEP_SIZES.map(sweepWorkload),
  {
    id: '304',
    title: '304 revalidation `/index.html`',
    path: '/index.html',
    async prepare(server) {
      const { res: first, path, note } = await probe(server, this.path);
      const headers = first.headers.etag
        ? { 'If-None-Match': first.headers.etag }
        : first.headers['last-modified']
          ? { 'If-Modified-Since': first.headers['last-modified'] }
          : null;
      expect(headers, 'neither ETag nor Last-Modified');
      const res = await request(server.base + path, headers);
      expect(res.status === 304, `answers ${res.status} to ${Object.keys(headers)[0]}`);
      return { path, headers, note: notes(note, Object.keys(headers)[0]) };
    },
    targets: [['nginx', 1.0]],
  },
  {
    id: 'big',
    title: '50 MB `/big.bin` throughput (4 connections)',
    path: '/big.bin',
    connections: BIG_CONNECTIONS,
    unit: 'MiB/s',
    async prepare(server) {
      const { res, path, note } = await probe(server, this.path, {}, { keepBody: 0 });
      expect(res.status === 200 && res.bytes === SIZES.big, `answers ${res.status} with ${res.bytes} bytes`);
      return { path, note };
    },
    targets: [['nginx', 0.8]],
  },
  {
    id: 'gzip',
    title: 'gzip `/app.js` (`Accept-Encoding: gzip`)',
    path: '/app.js',
    async prepare(server) {
      const headers = { 'Accept-Encoding': 'gzip' };
      const { res, path, note } = await probe(server, this.path, headers);
      const encoding = res.headers['content-encoding'];
      expect(res.status === 200 && (encoding === 'gzip' || encoding === 'br'), `no compression (status ${res.status}, Content-Encoding ${encoding ?? 'none'})`);
      return { path, headers, note: notes(note, `${encoding}, ${res.bytes} B`) };
    },
    targets: [['nginx', 10], ['self:js', 0.8]],
  },
  {
    id: '404',
    title: '404 `/missing-file`',
    path: '/missing-file',
    expectedStatus: 404,
    async prepare(server) {
      const res = await request(server.base + this.path);
      expect(res.status === 404, `answers ${res.status}`);
      return { path: this.path };
    },
    targets: [['nginx', 1.0]],
  },
  {
    id: 'listing',
    title: `listing \`/list/\` (${SIZES.listFiles.toLocaleString('en-US')} entries)`,
    path: '/list/',
    async prepare(server) {
      const { res, path, note } = await probe(server, this.path, {}, { keepBody: 16 << 20 });
      expect(res.status === 200, `no listing (answers ${res.status})`);
      expect(String(res.headers['content-type']).startsWith('text/html'), `answers ${res.headers['content-type']}`);
      expect(res.body.includes(LAST_LIST_FILE), `listing lacks ${LAST_LIST_FILE}`);
      return { path, note: notes(note, `${(res.bytes / 1024).toFixed(0)} KB of HTML`) };
    },
    targets: [['nginx', 2]],
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Step 5: load. wrk when installed (its own C threads), else autocannon in this process.
const UNITS = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

function loadTool() {
  const probe = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (probe.error || process.env.BENCH_TOOL === 'autocannon') return { name: 'autocannon', version: `autocannon ${packageVersion('autocannon')}` };
  const version = (probe.stdout + probe.stderr).split('\n')[0].replace(/\s*Copyright.*$/, '').trim();
  return { name: 'wrk', version };
}

function runWrk(url, headers, connections) {
  const args = [`-t${Math.min(THREADS, connections)}`, `-c${connections}`, `-d${DURATION}s`, '--timeout', '10s'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  return new Promise((done, fail) => {
    const child = track(spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.on('error', fail);
    child.on('exit', (code) => {
      const rps = out.match(/Requests\/sec:\s+([\d.]+)/);
      const transfer = out.match(/Transfer\/sec:\s+([\d.]+)([KMGT]?B)/);
      const total = out.match(/(\d+) requests in/);
      if (code !== 0 || !rps || !transfer) return fail(new Error(`wrk failed (exit ${code}):\n${out}`));
      const socket = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
      done({
        rps: Number(rps[1]),
        bytesPerSec: Number(transfer[1]) * UNITS[transfer[2]],
        requests: Number(total?.[1] ?? 0),
        badStatus: Number(out.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0),
        socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
        socketDetail: socket ? socket[0] : '',
      });
    });
  });
}

async function runAutocannon(url, headers, connections) {
  const { default: autocannon } = await import('autocannon');
  const r = await autocannon({ url, headers, connections, duration: DURATION, timeout: 10 });
  return {
    rps: r.requests.total / r.duration,
    bytesPerSec: r.throughput.total / r.duration,
    requests: r.requests.total,
    badStatus: r['1xx'] + r['4xx'] + r['5xx'],
    socketErrors: r.errors + r.timeouts,
    socketDetail: `errors ${r.errors}, timeouts ${r.timeouts}`,
  };
}

async function prepareAll(servers) {
  const results = {}; // results[workload][server] = { path, headers, note, best, badStatus, socketErrors, requests, crashes } or { na }
  for (const workload of WORKLOADS) {
    results[workload.id] = {};
    for (const server of servers) {
      if (server.only && !server.only.includes(workload.id)) {
        results[workload.id][server.name] = { na: 'not implemented by this reference server', reference: true };
        continue;
      }
      try {
        const prepared = await workload.prepare(server);
        results[workload.id][server.name] = { ...prepared, best: null, badStatus: 0, socketErrors: 0, requests: 0, socketDetails: [], crashes: [] };
      } catch (error) {
        if (!(error instanceof NotApplicable)) throw error;
        results[workload.id][server.name] = { na: error.message };
        log(`  ${workload.id} on ${server.name}: n/a (${error.message})`);
      }
    }
  }
  return results;
}

// After a run, wait until the server has worked off what the load left queued (a slow listing can keep a Node
// server busy for seconds after wrk stops) so the next run does not start against a backlog: poll a small file
// until it answers within 20 ms, for at most 30 s.
async function settle(server) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !isDead(server.child)) {
    const started = Date.now();
    try {
      await request(`${server.base}/index.html`, {}, { keepBody: 0 });
    } catch {
      return; // dead or refusing: afterRun decides
    }
    if (Date.now() - started < 20) return;
    await sleep(100);
  }
}

const isDead = (child) => child.exitCode !== null || child.signalCode !== null;

// After each run: let the server settle; if it died under load, record the crash against the workload and restart
// it for the next runs. Returns whether it had crashed.
async function afterRun(server, entry, round, run) {
  await sleep(200);
  await settle(server);
  if (!isDead(server.child)) return false;
  const lines = server.stderr().split('\n').map((line) => line.trim()).filter(Boolean);
  const lastError = (lines.find((line) => /^\w*Error\b|\bE[A-Z]{3,}\b/.test(line)) ?? lines.at(-1))?.replaceAll(tempDir, '<tmp>');
  const requests = run ? `, ${run.requests} requests in the run` : '';
  entry.crashes.push(`round ${round}: exit ${server.child.exitCode ?? server.child.signalCode}${requests}, \`${lastError ?? 'no output'}\``);
  log(`  ${server.name} died (${lastError}); restarting it`);
  server.restarts = (server.restarts ?? 0) + 1;
  Object.assign(server, await startServer(server));
  return true;
}

async function runLoad(tool, servers) {
  const results = await prepareAll(servers);
  const load = tool.name === 'wrk' ? runWrk : runAutocannon;
  for (let round = 1; round <= ROUNDS; round += 1) {
    const order = round % 2 === 1 ? servers : [...servers].reverse();
    for (const workload of WORKLOADS) {
      for (const server of order) {
        const entry = results[workload.id][server.name];
        if (entry.na) continue;
        let run;
        try {
          run = await load(server.base + entry.path, entry.headers ?? {}, workload.connections ?? CONNECTIONS);
        } catch (error) {
          if (!(await afterRun(server, entry, round))) throw error;
          continue;
        }
        if (await afterRun(server, entry, round, run)) run.crashed = true;
        const value = workload.unit === 'MiB/s' ? run.bytesPerSec / 1024 ** 2 : run.rps;
        if (!run.crashed && (!entry.best || value > entry.best.value)) entry.best = { ...run, value };
        if (run.crashed) entry.rateBeforeCrash = Math.max(entry.rateBeforeCrash ?? 0, value);
        entry.badStatus += run.badStatus;
        entry.socketErrors += run.socketErrors;
        entry.requests += run.requests;
        if (run.socketErrors) entry.socketDetails.push(run.socketDetail);
        const extra = run.badStatus || run.socketErrors ? ` [non-2xx/3xx ${run.badStatus}, socket errors ${run.socketErrors}]` : '';
        log(`round ${round}/${ROUNDS} ${workload.id.padEnd(7)} ${server.name.padEnd(11)} ${format(value, workload.unit)}${extra}${run.crashed ? ' CRASHED' : ''}`);
      }
      const ours = servers.find((s) => s.name === 'tiny-serve');
      if (ours && round === 1) (ours.hwmAfter ??= []).push(`${workload.id} ${peakRssMiB(ours.child.pid)?.toFixed(0)}`);
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------------------
// Step 9: HTTP/2 (issue 14). Servers of its own, on TLS with one self-signed certificate made here: tiny-serve with
// --ssl-cert/--ssl-key (HTTP/2, and HTTP/1.1 on the same port), nginx with `listen … ssl http2`, sirv-cli with
// --http2 --cert --key. h2load loads the small file, servers alternated; each server's best round is reported, with
// the CPU time the server process used per request (read from /proc), which a busy machine disturbs less.
const H2_WORKLOAD = { path: '/index.html', title: `small file \`/index.html\` (1.5 KB) over HTTP/2` };

function makeCertificate() {
  const dir = join(tempDir, 'tls');
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'];
  const made = spawnSync('openssl', args, { encoding: 'utf8' });
  if (made.status !== 0) throw new NotApplicable(`openssl could not make a certificate: ${made.error?.message ?? made.stderr.trim()}`);
  return { cert, key, ca: readFileSync(cert) };
}

function writeNginxH2Conf(root, port, { cert, key }) {
  const prefix = join(tempDir, 'nginx-h2');
  mkdirSync(prefix, { recursive: true });
  const conf = `# Written by test/bench/run.mjs for the HTTP/2 workload: as the HTTP/1.1 one (one worker), with TLS and HTTP/2.
worker_processes 1;
daemon off;
master_process off;
error_log ${prefix}/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections 1024; }
http {
  types { text/html html; application/javascript js; text/css css; text/plain txt; application/octet-stream bin; }
  default_type application/octet-stream;
  charset utf-8;
  charset_types text/html text/plain application/javascript text/css;
  access_log off;
  sendfile on;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    # nginx closes an HTTP/2 connection after 1,000 requests by default, and h2load does not open another.
    keepalive_requests 100000000;
    root ${root};
    index index.html;
    etag on;
  }
}
`;
  const file = join(prefix, 'nginx.conf');
  writeFileSync(file, conf);
  return ['nginx', ['-c', file, '-p', prefix, '-e', join(prefix, 'error.log')]];
}

function http2Specs(root, tls) {
  const specs = [
    {
      name: 'tiny-serve',
      command: (port) => [NODE, [join(REPO, 'dist/tiny-serve.js'), root, '-p', String(port), '-H', '127.0.0.1', '--quiet', '--ssl-cert', tls.cert, '--ssl-key', tls.key]],
      notes: '`--ssl-cert --ssl-key` (HTTP/2 with HTTP/1.1 fallback on one port), `--quiet`',
    },
  ];
  if (onPath('nginx')) {
    specs.push({ name: 'nginx', command: (port) => writeNginxH2Conf(root, port, tls), notes: '`listen … ssl http2`, 1 worker, `keepalive_requests 100000000`' });
  }
  specs.push({
    name: 'sirv',
    command: (port) => [NODE, [binScript('sirv'), root, '--port', String(port), '--host', '127.0.0.1', '--quiet', '--etag', '--http2', '--cert', tls.cert, '--key', tls.key]],
    notes: '`--http2 --cert --key --etag` (node:http2 compatibility API, HTTP/2 only)',
  });
  return specs;
}

// One GET over HTTP/2 on a connection of its own; the body is counted, not kept.
function h2Request(base, path, ca) {
  return new Promise((done, fail) => {
    const session = http2.connect(base, { ca });
    const failed = (error) => {
      session.destroy();
      fail(error);
    };
    session.on('error', failed);
    const stream = session.request({ ':path': path });
    let headers = {};
    let bytes = 0;
    stream.on('response', (received) => (headers = received));
    stream.on('data', (chunk) => (bytes += chunk.length));
    stream.on('end', () => {
      session.close();
      done({ status: headers[':status'], headers, bytes });
    });
    stream.on('error', failed);
    stream.setTimeout(30_000, () => failed(new Error(`timeout: ${base}${path}`)));
    stream.end();
  });
}

async function startH2Server(spec, ca) {
  const port = await freePort();
  const [command, args] = spec.command(port);
  const child = track(spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const base = `https://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${spec.name} (HTTP/2) exited before answering\n${stderr}`);
    try {
      await h2Request(base, '/index.html', ca);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${spec.name} (HTTP/2) did not answer within 20 s: ${error.message}\n${stderr}`);
      await sleep(20);
    }
  }
  log(`started ${spec.name} (HTTP/2) on 127.0.0.1:${port} (pid ${child.pid})`);
  return { ...spec, port, child, base, stderr: () => stderr };
}

// Seconds of CPU (user + system) a process has used so far.
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

function runH2load(url) {
  // One second of warm-up (connections open, JIT warm) before the measured DURATION, for every server alike.
  const args = ['-t1', `-c${H2_CONNECTIONS}`, `-m${H2_STREAMS}`, '--warm-up-time=1', '-D', String(DURATION), url];
  return new Promise((done, fail) => {
    const child = track(spawn('h2load', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.on('error', fail);
    child.on('exit', (code) => {
      const rate = out.match(/finished in [\d.]+s, ([\d.]+) req\/s/);
      const counts = out.match(/requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/);
      if (code !== 0 || !rate || !counts) return fail(new Error(`h2load failed (exit ${code}):\n${out}`));
      const statuses = out.match(/status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/);
      done({
        rps: Number(rate[1]),
        requests: Number(counts[3]),
        failed: Number(counts[5]) + Number(counts[6]) + Number(counts[7]),
        badStatus: statuses ? Number(statuses[3]) + Number(statuses[4]) : 0,
      });
    });
  });
}

// The whole HTTP/2 part: { skipped } when it cannot run here, else the servers with their runs.
async function runHttp2(root) {
  if (!onPath('h2load')) return { skipped: 'h2load is not installed (`apt-get install -y nghttp2-client`)' };
  let tls;
  try {
    tls = makeCertificate();
  } catch (error) {
    if (error instanceof NotApplicable) return { skipped: error.message };
    throw error;
  }
  const version = spawnSync('h2load', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const servers = [];
  for (const spec of http2Specs(root, tls)) {
    const server = await startH2Server(spec, tls.ca);
    server.runs = [];
    const probe = await h2Request(server.base, H2_WORKLOAD.path, tls.ca);
    if (probe.status !== 200 || probe.bytes !== SIZES.index) server.na = `answers ${probe.status} with ${probe.bytes} bytes`;
    servers.push(server);
  }
  for (let round = 1; round <= ROUNDS; round += 1) {
    const order = round % 2 === 1 ? servers : [...servers].reverse();
    for (const server of order) {
      if (server.na || server.crashed) continue;
      // CPU counted from the end of h2load's one-second warm-up, when its measured requests begin.
      const measuring = sleep(1000).then(() => cpuSeconds(server.child.pid));
      const run = await runH2load(server.base + H2_WORKLOAD.path);
      const [before, after] = [await measuring, cpuSeconds(server.child.pid)];
      run.cpuPerRequest = before == null || after == null || run.requests === 0 ? null : ((after - before) * 1e6) / run.requests;
      await sleep(500);
      if (isDead(server.child)) server.crashed = `exited during round ${round} (code ${server.child.exitCode}, signal ${server.child.signalCode})`;
      else server.runs.push(run);
      const extra = run.failed || run.badStatus ? ` [failed ${run.failed}, 4xx/5xx ${run.badStatus}]` : '';
      log(`round ${round}/${ROUNDS} h2      ${server.name.padEnd(11)} ${format(run.rps)}, ${run.cpuPerRequest?.toFixed(1) ?? '?'} µs CPU/request${extra}`);
    }
  }
  for (const server of servers) {
    server.best = server.runs.reduce((best, run) => (!best || run.rps > best.rps ? run : best), null);
    await stopServer(server);
  }
  return { version, servers };
}

// The HTTP/2 table: req/s (best round), ratios, CPU per request, and every round in the notes.
function http2Report(h2) {
  if (h2.skipped) return [`HTTP/2: skipped: ${h2.skipped}.`];
  const ours = h2.servers.find((s) => s.name === 'tiny-serve');
  const peers = h2.servers.filter((s) => s !== ours);
  const ratio = (a, b) => (a?.best && b?.best ? a.best.rps / b.best.rps : null);
  const cell = (s) => (s.na ? 'n/a' : s.best ? format(s.best.rps) + (s.runs.some((r) => r.failed || r.badStatus) ? ' ⚠' : '') : 'crashed ⚠');
  const nginx = ratio(ours, h2.servers.find((s) => s.name === 'nginx'));
  const lines = [
    `HTTP/2 (${h2.version}, \`h2load -t1 -c${H2_CONNECTIONS} -m${H2_STREAMS} --warm-up-time=1 -D ${DURATION}\`: ${H2_CONNECTIONS} connections with ${H2_STREAMS} streams in flight on each; TLS, RSA-2048 self-signed; best of ${ROUNDS} rounds, servers alternated):`,
    '',
    `| workload | ${h2.servers.map((s) => s.name).join(' | ')} | ${peers.map((p) => `ours/${p.name}`).join(' | ')} | target (issue 14) |`,
    `| --- |${h2.servers.map(() => ' ---: |').join('')}${peers.map(() => ' ---: |').join('')} --- |`,
    `| ${H2_WORKLOAD.title} | ${h2.servers.map(cell).join(' | ')} | ${peers.map((p) => (ratio(ours, p) == null ? 'n/a' : `${ratio(ours, p).toFixed(2)}×`)).join(' | ')} | ≥ 0.8× nginx ${nginx == null ? '?' : nginx >= 0.8 ? '✓' : '✗'} |`,
    `| server CPU per request (µs, that round) | ${h2.servers.map((s) => (s.best?.cpuPerRequest == null ? 'n/a' : s.best.cpuPerRequest.toFixed(1))).join(' | ')} | ${peers.map(() => '').join(' | ')} | |`,
    '',
  ];
  for (const server of h2.servers) {
    const rounds = server.runs.map((r) => `${format(r.rps)} (${r.cpuPerRequest?.toFixed(1) ?? '?'} µs)`).join(', ');
    const trouble = server.runs.filter((r) => r.failed || r.badStatus).map((r) => `${r.failed} failed, ${r.badStatus} 4xx/5xx of ${r.requests}`);
    lines.push(`- HTTP/2 ${server.name}: ${server.notes}${server.na ? `; n/a: ${server.na}` : ''}${server.crashed ? `; **${server.crashed}**` : ''}; rounds: ${rounds || 'none'}${trouble.length ? `; ⚠ ${trouble.join('; ')}` : ''}`);
  }
  return lines;
}

// The issue-14 target row for HTTP/2.
function http2TargetRow(h2, verdict) {
  const label = 'HTTP/2 small file: ≥ 0.8× nginx';
  if (h2.skipped) return [label, `skipped: ${h2.skipped}`, verdict(null)];
  const ours = h2.servers.find((s) => s.name === 'tiny-serve');
  const nginx = h2.servers.find((s) => s.name === 'nginx');
  const r = ours?.best && nginx?.best ? ours.best.rps / nginx.best.rps : null;
  return [label, r == null ? 'n/a' : `${r.toFixed(2)}×`, verdict(r == null ? null : r >= 0.8)];
}

// ---------------------------------------------------------------------------------------------------------------
// Step 6: peak RSS, then stop. VmHWM is the high-water mark of the resident set since the process started.
function peakRssMiB(pid) {
  try {
    const kb = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
    return kb ? Number(kb[1]) / 1024 : null;
  } catch {
    return null;
  }
}

async function stopServer(server) {
  server.peakRss = peakRssMiB(server.child.pid);
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) {
    server.died = `exited during the benchmark (code ${child.exitCode}, signal ${child.signalCode})\n${server.stderr()}`;
    return;
  }
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 4000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------------------------
// Step 7: the report.
function format(value, unit = 'req/s') {
  if (value == null) return 'n/a';
  return unit === 'MiB/s' ? `${value.toLocaleString('en-US', { maximumFractionDigits: 0 })} MiB/s` : value.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

function machineInfo(tool) {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.+)/)?.[1]?.trim() ?? os.cpus()[0]?.model ?? '?';
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim() || String(os.availableParallelism());
  const openFiles = readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+(\d+)/)?.[1] ?? '?';
  const node = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout?.trim() || '?';
  return { date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), nproc, cpu, node, nodePath: NODE, tool: tool.version, openFiles };
}

function report({ results, servers, coldStart, tool, info, h2 }) {
  const ours = 'tiny-serve';
  const peers = servers.map((s) => s.name).filter((name) => name !== ours);
  const value = (workload, name) => results[workload]?.[name]?.best?.value ?? null;
  const ratio = (a, b) => (a == null || b == null || (a === 0 && b === 0) ? null : b === 0 ? Infinity : a / b);
  const fmtRatio = (r) => (r == null ? 'n/a' : r === Infinity ? '∞' : `${r.toFixed(2)}×`);
  const lines = [];

  const nodeNote = process.env.BENCH_NODE ? ` (\`BENCH_NODE=${info.nodePath}\`)` : '';
  lines.push(`- date: ${info.date}; machine: ${info.nproc} cores (\`nproc\`), ${info.cpu}; Node ${info.node}${nodeNote} for every Node server; ${info.tool}; \`ulimit -n\` ${info.openFiles}`);
  const sweepLoad = SWEEP_SIZES.length ? `, ${SWEEP_CONNECTIONS} for the size sweep` : ', no size sweep: `BENCH_SWEEP=0`';
  lines.push(`- load: ${tool.name === 'wrk' ? `wrk, ${THREADS} threads` : 'autocannon (in-process, 1 thread)'}, ${CONNECTIONS} connections (${BIG_CONNECTIONS} for big.bin${sweepLoad}), ${DURATION} s per run, best of ${ROUNDS} rounds, servers alternated; loopback (127.0.0.1)`);
  lines.push(`- servers: ${servers.map((s) => `${s.name} ${s.version}`).join(', ')}`);
  lines.push('');
  const header = ['workload', ...servers.map((s) => s.name), ...peers.map((p) => `ours/${p}`), 'target (issue 5; size sweep: issue 14)'];
  lines.push(`| ${header.join(' | ')} |`);
  lines.push(`|${header.map((_, i) => (i === 0 || i === header.length - 1 ? ' --- ' : ' ---: ')).join('|')}|`);
  for (const workload of WORKLOADS) {
    const cells = [workload.title];
    for (const server of servers) {
      const entry = results[workload.id][server.name];
      if (entry.na) cells.push('n/a');
      else if (!entry.best) cells.push('crashed ⚠');
      else cells.push(format(entry.best.value, workload.unit) + (hasErrors(workload, entry) ? ' ⚠' : ''));
    }
    for (const peer of peers) cells.push(fmtRatio(ratio(value(workload.id, ours), value(workload.id, peer))));
    const targets = workload.targets.map(([against, min]) => {
      const r = against.startsWith('self:')
        ? ratio(value(workload.id, ours), value(against.slice(5), ours))
        : ratio(value(workload.id, ours), value(workload.id, against));
      const label = against.startsWith('self:') ? 'our identity' : against;
      return `≥ ${min.toFixed(1)}× ${label} ${r == null ? '?' : r >= min ? '✓' : '✗'}`;
    });
    cells.push(targets.join(', '));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push('Values are requests per second (MiB/s for big.bin, 1 MiB = 2^20 bytes); n/a = the server cannot do it (see notes; bare node implements only the small file, 304 and 404); ⚠ = error responses or socket errors (see notes).');
  lines.push('');
  const coldRatio = coldStart.ours / coldStart.bare;
  const coldSirv = coldStart.ours / coldStart.sirv;
  lines.push(`- **cold start** (spawn → first response, best of ${COLD_START_RUNS}): tiny-serve ${coldStart.ours.toFixed(0)} ms, sirv ${coldStart.sirv.toFixed(0)} ms, bare \`node -e\` hello-world ${coldStart.bare.toFixed(0)} ms: **${coldRatio.toFixed(2)}×** bare node (target ≤ 1.5× ${coldRatio <= 1.5 ? '✓' : '✗'}), **${coldSirv.toFixed(2)}×** sirv (target ≤ 1.0× ${coldSirv <= 1.0 ? '✓' : '✗'})`);
  const ourServer = servers.find((s) => s.name === ours);
  const ourRss = ourServer?.peakRss;
  const peerRss = servers
    .filter((s) => s.name !== ours)
    .map((s) => `${s.name} ${s.peakRss == null ? '?' : s.peakRss.toFixed(0)} MiB${s.restarts ? ` (of its last process, after ${s.restarts} restarts)` : ''}`)
    .join(', ');
  const hwm = servers.find((s) => s.name === ours)?.hwmAfter;
  lines.push(`- **peak RSS** (VmHWM over the whole benchmark): tiny-serve **${ourRss == null ? '?' : ourRss.toFixed(1)} MiB**${ourServer?.restarts ? ` (of its last process: it was restarted ${ourServer.restarts} times)` : ''} (target ≤ 60 MB ${ourRss != null && ourRss <= 60 ? '✓' : '✗'}); peers: ${peerRss}`);
  if (hwm) lines.push(`- tiny-serve VmHWM (MiB) after each workload of round 1: ${hwm.join(', ')}`);
  lines.push('');
  lines.push(...http2Report(h2));
  lines.push('');
  lines.push(...issue14Targets({ value, ratio, fmtRatio, coldStart, ourRss, info, h2 }));
  lines.push('');
  lines.push('Notes:');
  for (const workload of WORKLOADS) {
    for (const server of servers) {
      const entry = results[workload.id][server.name];
      if (entry.na && !entry.reference) lines.push(`- ${workload.id} / ${server.name}: n/a: ${entry.na}`);
      else if (hasErrors(workload, entry)) {
        lines.push(`- ${workload.id} / ${server.name}: ${entry.badStatus} non-2xx/3xx responses, ${entry.socketErrors} socket errors over ${entry.requests} requests (all rounds)${entry.socketDetails.length ? ` (${entry.socketDetails.join('; ')})` : ''}`);
        if (entry.crashes.length) {
          lines.push(`- ${workload.id} / ${server.name}: **crashed** in ${entry.crashes.length} of ${ROUNDS} rounds (${entry.crashes.join('; ')}); wrk's rate over the whole run, dead time included: ${format(entry.rateBeforeCrash, workload.unit)}${workload.unit ? '' : ' req/s'}; restarted for the next runs`);
        }
      }
    }
  }
  for (const server of servers) {
    const per = WORKLOADS.map((w) => [w.id, results[w.id][server.name]]).filter(([, e]) => e.note).map(([id, e]) => `${id}: ${e.note}`);
    lines.push(`- ${server.name}: ${server.notes}${per.length ? `; probed ${per.join(', ')}` : ''}`);
    if (server.died) lines.push(`- ${server.name} ${server.died}`);
  }
  const fourOhFour = servers.map((s) => results['404'][s.name]).filter((e) => !e.na);
  if (fourOhFour.every((e) => e.badStatus === e.requests)) lines.push('- 404 workload: every response was a 404 on every server, as expected (not counted as errors).');
  lines.push('');
  lines.push('Transfer/s (MiB/s, best round, as reported by the load tool):');
  lines.push('');
  lines.push(`| workload | ${servers.map((s) => s.name).join(' | ')} |`);
  lines.push(`| --- |${servers.map(() => ' ---: |').join('')}`);
  for (const workload of WORKLOADS) lines.push(`| ${workload.id} | ${servers.map((s) => transferOf(results[workload.id][s.name])).join(' | ')} |`);
  return lines.join('\n');
}

// The targets of issue 14, one line each, judged on this run's numbers.
const verdictOf = (met) => (met == null ? '? not measured' : met ? '✓ met' : '✗ not met');

function issue14Targets({ value, ratio, fmtRatio, coldStart, ourRss, info, h2 }) {
  const ours = 'tiny-serve';
  const verdict = verdictOf;
  const atLeast = (r, min) => (r == null ? null : r >= min);
  const rows = [];
  const sizeRows = WORKLOADS.filter((w) => ['small', 'js', 'big'].includes(w.id) || w.size);
  const sizeLabel = { small: '1.5 KB', js: '100 KB', big: '50 MB' };
  for (const workload of sizeRows) {
    const nginx = ratio(value(workload.id, ours), value(workload.id, 'nginx'));
    const sirv = ratio(value(workload.id, ours), value(workload.id, 'sirv'));
    const label = sizeLabel[workload.id] ?? workload.title.split(' `')[0];
    const met = nginx == null || sirv == null ? null : nginx >= 1.0 && sirv >= 1.5;
    rows.push([`${label}: ≥ 1.0× nginx and ≥ 1.5× sirv`, `${fmtRatio(nginx)} nginx, ${fmtRatio(sirv)} sirv`, verdict(met)]);
  }
  for (const id of ['304', '404']) {
    const r = ratio(value(id, ours), value(id, 'sirv'));
    rows.push([`${id}: ≥ 1.1× sirv (\`--etag\`)`, fmtRatio(r), verdict(atLeast(r, 1.1))]);
  }
  for (const [id, label] of [['small', 'small file'], ['304', '304'], ['404', '404']]) {
    const r = ratio(value(id, ours), value(id, 'bare node'));
    rows.push([`${label}: within 5 % of bare node (≥ 0.95×)`, fmtRatio(r), verdict(atLeast(r, 0.95))]);
  }
  const ms = (n) => `${n.toFixed(0)} ms`;
  rows.push([`cold start: ≤ 1.0× sirv (Node ${info.node})`, `${fmtRatio(coldStart.ours / coldStart.sirv)} (${ms(coldStart.ours)} / ${ms(coldStart.sirv)})`, verdict(coldStart.ours <= coldStart.sirv)]);
  rows.push([`cold start: ≤ 1.5× bare node (Node ${info.node})`, `${fmtRatio(coldStart.ours / coldStart.bare)} (${ms(coldStart.ours)} / ${ms(coldStart.bare)})`, verdict(coldStart.ours <= 1.5 * coldStart.bare)]);
  rows.push(['peak RSS ≤ 60 MB over the bench', ourRss == null ? '?' : `${ourRss.toFixed(1)} MiB`, verdict(ourRss == null ? null : ourRss <= 60)]);
  rows.push(http2TargetRow(h2, verdict));
  rows.push(['no regression elsewhere', 'not judged here: compare the table above with the previous RESULTS.md', '—']);
  return [
    `Targets of issue 14 (ratios tiny-serve/other within this run; Node ${info.node}${SWEEP_SIZES.length ? '' : '; size sweep skipped'}):`,
    '',
    '| target | measured | |',
    '| --- | --- | --- |',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ];
}

function hasErrors(workload, entry) {
  if (entry.na) return false;
  if (entry.crashes.length) return true;
  const unexpected = workload.expectedStatus === 404 ? entry.requests - entry.badStatus : entry.badStatus;
  return unexpected > 0 || entry.socketErrors > 0;
}

function transferOf(entry) {
  if (entry.na || !entry.best) return 'n/a';
  return `${(entry.best.bytesPerSec / 1024 ** 2).toFixed(0)} MiB/s`;
}

function commandLine() {
  const env = ['BENCH_DURATION', 'BENCH_ROUNDS', 'BENCH_WRITE', 'BENCH_SWEEP', 'BENCH_NODE', 'BENCH_TOOL', 'BENCH_ONLY'].filter((k) => process.env[k] !== undefined).map((k) => `${k}=${process.env[k]}`);
  const args = process.argv.slice(2);
  const cmd = process.env.npm_lifecycle_event === 'bench'
    ? `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`
    : `node test/bench/run.mjs${args.length ? ` ${args.join(' ')}` : ''}`;
  return [...env, cmd].join(' ');
}

function writeResults(markdown) {
  const file = join(REPO, 'test/bench/RESULTS.md');
  const built = process.env.npm_lifecycle_event === 'bench' ? ' (`npm run bench` builds `dist/tiny-serve.js` first)' : '';
  writeFileSync(file, `# Benchmark results\n\nProduced by \`${commandLine()}\`${built}, from the repository root; see [README.md](README.md) for what each workload means.\n\n${markdown}\n`);
  log(`wrote ${file}`);
}

// ---------------------------------------------------------------------------------------------------------------
async function main() {
  installCleanup();
  if (!existsSync(join(REPO, 'dist/tiny-serve.js'))) throw new Error('dist/tiny-serve.js is missing: run `node build.mjs` (or `npm run bench`)');
  const tool = loadTool();
  const info = machineInfo(tool);
  log(`load tool: ${tool.version}; ${DURATION} s per run, ${ROUNDS} rounds`);
  const root = generateTree();
  const specs = serverSpecs(root);
  if (ONLY_H2) {
    const h2 = await runHttp2(root);
    const markdown = [`- date: ${info.date}; machine: ${info.nproc} cores, ${info.cpu}; Node ${info.node}; \`BENCH_ONLY=h2\`: the HTTP/2 workload alone`, '', ...http2Report(h2), '', `| target | measured | |`, '| --- | --- | --- |', `| ${http2TargetRow(h2, verdictOf).join(' | ')} |`].join('\n');
    console.log(markdown);
    if (WRITE) log('BENCH_ONLY=h2: RESULTS.md is left as it is (it holds whole runs only)');
    cleanup();
    return;
  }
  const coldStart = await measureColdStart(specs);
  const servers = [];
  for (const spec of specs) {
    await spec.setup?.(servers);
    servers.push(await startServer(spec));
  }
  const results = await runLoad(tool, servers);
  for (const server of servers) await stopServer(server);
  const h2 = await runHttp2(root);
  const markdown = report({ results, servers, coldStart, tool, info, h2 });
  console.log(markdown);
  if (WRITE) writeResults(markdown);
  cleanup();
}

await main();
