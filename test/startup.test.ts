// Start-up: what the built CLI loads before its first response, and what it leaves until used.
// Run through a preload that records, at exit, the built-in modules node loaded and every directory
// listed synchronously: the cold start is what a user of `npx tiny-serve` waits for on every run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, SITE } from './helpers.js';
import { startCli, stopAll, type CliProcess } from './cli-helpers.js';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';

const RECORDER = `
const fs = require('node:fs');
const listed = [];
const made = { collators: 0, segmenters: 0 };
for (const [name, key] of [['Collator', 'collators'], ['Segmenter', 'segmenters']]) {
  const Original = Intl[name];
  Intl[name] = function (...args) { made[key] += 1; return new Original(...args); };
}
const readdirSync = fs.readdirSync;
fs.readdirSync = function (path, ...rest) { listed.push(String(path)); return readdirSync.call(this, path, ...rest); };
process.on('exit', () => {
  const loaded = process.moduleLoadList.filter((name) => name.startsWith('NativeModule ')).map((name) => name.slice(13));
  fs.writeFileSync(process.env.TINY_SERVE_RECORD, JSON.stringify({ loaded, listed, made }));
});
`;

/**
 * Built-ins that only some runs need: compression, hashing, TLS and HTTP/2. (Not cluster and
 * child_process: node's own listen loads them in every process; nor os: Node 24's fs/promises does.)
 */
const LOADED_WHEN_USED = ['zlib', 'crypto', 'http2', 'https', 'tls', 'assert', 'readline'];

let dir: string;
let runs = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tiny-serve-startup-'));
  writeFileSync(join(dir, 'recorder.cjs'), RECORDER);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(stopAll);

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((done, fail) => {
    request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode!));
    })
      .on('error', fail)
      .end();
  });
}

/** What the recorder saw: built-ins loaded, directories listed, ICU collators and segmenters made. */
interface Recorded {
  loaded: string[];
  listed: string[];
  made: { collators: number; segmenters: number };
}

/** Starts the CLI on `args`, makes `requests`, stops it with SIGTERM and returns what it loaded and listed. */
async function recordRun(
  args: string[],
  requests: Array<[string, Record<string, string>?]>,
): Promise<Recorded & { cli: CliProcess }> {
  const record = join(dir, `run-${(runs += 1)}.json`);
  const cli = startCli([SITE, '-p', '0', '-H', '127.0.0.1', '--quiet', ...args], {
    env: { NODE_OPTIONS: `--require ${join(dir, 'recorder.cjs')}`, TINY_SERVE_RECORD: record },
  });
  const port = await cli.port();
  for (const [path, headers] of requests) expect(await get(port, path, headers)).toBe(200);
  cli.child.kill('SIGTERM');
  expect((await cli.waitForExit()).code).toBe(0);
  return { ...(JSON.parse(readFileSync(record, 'utf8')) as Recorded), cli };
}

/** Starts the CLI with --ssl (certificate cached under `cache`), makes one HTTPS request, stops it; returns the built-ins it loaded. */
async function recordSslRun(cache: string): Promise<string[]> {
  const record = join(dir, `run-${(runs += 1)}.json`);
  const cli = startCli([SITE, '-p', '0', '-H', '127.0.0.1', '--quiet', '--ssl'], {
    env: { NODE_OPTIONS: `--require ${join(dir, 'recorder.cjs')}`, TINY_SERVE_RECORD: record, XDG_CACHE_HOME: cache },
  });
  const port = await cli.port(15_000);
  const status = await new Promise<number>((done, fail) => {
    httpsRequest({ host: '127.0.0.1', port, path: '/index.html', rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode!));
    })
      .on('error', fail)
      .end();
  });
  expect(status).toBe(200);
  cli.child.kill('SIGTERM');
  expect((await cli.waitForExit()).code).toBe(0);
  return (JSON.parse(readFileSync(record, 'utf8')) as { loaded: string[] }).loaded;
}

describe('start-up', () => {
  it('serves its first file without loading what only some runs need', async () => {
    const { loaded } = await recordRun([], [['/index.html']]);
    expect(loaded).toContain('http');
    expect(LOADED_WHEN_USED.filter((name) => loaded.includes(name))).toEqual([]);
    // On Node 24 reading every export of node:http (an ESM import of it) loads undici, for a fetch nothing makes.
    expect(loaded.filter((name) => name.includes('undici'))).toEqual([]);
  });

  it('makes no ICU collator or segmenter to start (~10 ms each): the first listing and help make theirs', async () => {
    const { made } = await recordRun([], [['/index.html']]);
    expect(made).toEqual({ collators: 0, segmenters: 0 });
  });

  it('lists no directory to start: yargs does not look for a package.json', async () => {
    const { listed } = await recordRun([], [['/index.html']]);
    expect(listed).toEqual([]);
  });

  it('loads zlib for the first compressed answer and crypto for the first listing', async () => {
    const { loaded, made } = await recordRun(
      [],
      [
        ['/assets/lorem.txt', { 'Accept-Encoding': 'gzip' }],
        ['/assets/', { Accept: 'text/html' }],
      ],
    );
    expect(loaded).toContain('zlib');
    expect(loaded).toContain('crypto');
    expect(loaded).not.toContain('tls');
    expect(made.collators).toBeGreaterThan(0);
  });

  it('--ssl: making a certificate loads zlib (the embedded generator is brotli-packed) and crypto; reusing it needs no zlib', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'tiny-serve-startup-cache-'));
    try {
      const made = await recordSslRun(cache);
      expect(made).toEqual(expect.arrayContaining(['zlib', 'crypto', 'tls', 'http2']));
      const reused = await recordSslRun(cache);
      expect(reused).toContain('crypto');
      expect(reused).not.toContain('zlib');
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('carries the X.509 and QR libraries and the export writers packed: their code is nothing V8 parses at start', () => {
    const bundle = readFileSync(CLI, 'utf8');
    // Strings from @peculiar/x509's dependency injection and from uqr's encoder, were they plain code.
    expect(bundle).not.toContain('tsyringe requires a reflect polyfill');
    expect(bundle).not.toContain('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:');
    expect(bundle).toMatch(/^\/\/embedded:cert-generator [A-Za-z0-9+/=]{50000,}$/m);
    expect(bundle).toMatch(/^\/\/embedded:qr-code [A-Za-z0-9+/=]{1000,}$/m);
    // bcryptjs (the password file of `export --auth`), were it plain code.
    expect(bundle).not.toContain('Illegal number of rounds');
    expect(bundle).toMatch(/^\/\/embedded:export [A-Za-z0-9+/=]{1000,}$/m);
  });

  it('--help still lays out its columns (string-width and wrap-ansi load when help is printed)', async () => {
    const cli = startCli(['--help']);
    expect((await cli.waitForExit()).code).toBe(0);
    expect(cli.stdout).toMatch(/^ {2}-p, --port +Port to listen on/m);
    expect(cli.stdout).toMatch(/\[string\] \[default: 3000, or \$PORT\]$/m);
  });
});
