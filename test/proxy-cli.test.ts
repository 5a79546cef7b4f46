// --proxy from the command line and the config file: settings and config as units (flags over the
// file, one-line errors), then the built CLI: proxied requests and failures in the request log, and
// memory that stays flat while large bodies stream through it both ways.
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { settingsFrom } from '../src/cli/settings.js';
import { validateConfig } from '../src/cli/config.js';
import type { CliArgs } from '../src/cli/options.js';
import { UserError } from '../src/errors.js';
import { SITE, copySite, rawRequest, waitFor } from './helpers.js';
import { freePort, linesOf, runCli, startCli, stopAll } from './cli-helpers.js';
import { startBackend, startEcho, type Backend } from './proxy-backends.js';

const HOST = '127.0.0.1';
const MiB = 1024 * 1024;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await stopAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function backend(started: Promise<Backend>): Promise<Backend> {
  const one = await started;
  cleanups.push(() => one.close());
  return one;
}

const proxyOf = (flags: Partial<CliArgs>, fileProxy?: unknown) =>
  settingsFrom({ dir: '.', ...flags }, {}, { path: '/srv/site/tiny-serve.json', config: fileProxy === undefined ? {} : validateConfig({ proxy: fileProxy }) })
    .handlerOptions.proxy;

/** The UserError message `run` throws. */
function userError(run: () => unknown): string {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(UserError);
  return (thrown as Error).message;
}

describe('settings and config', () => {
  it('--proxy takes /prefix=URL, or a bare URL for the fallback; none means no proxy', () => {
    expect(proxyOf({ proxy: ['/api=http://127.0.0.1:8080', 'http://127.0.0.1:9000'] })).toEqual([
      { prefix: '/api', target: 'http://127.0.0.1:8080' },
      { target: 'http://127.0.0.1:9000' },
    ]);
    expect(proxyOf({})).toBeUndefined();
  });

  it('the config file: a prefix to a URL or to options, "*" for the fallback', () => {
    expect(
      proxyOf({}, { '/api': 'http://127.0.0.1:8080', '/ws': { target: 'https://127.0.0.1:8443', keepHost: true, timeout: 5, secure: false }, '*': 'http://127.0.0.1:9000' }),
    ).toEqual([
      { prefix: '/api', target: 'http://127.0.0.1:8080' },
      { prefix: '/ws', target: 'https://127.0.0.1:8443', keepHost: true, timeout: 5, secure: false },
      { target: 'http://127.0.0.1:9000' },
    ]);
  });

  it('a --proxy for a prefix (or a second fallback) replaces the file’s; --proxy-insecure applies to every rule', () => {
    const file = { '/api/': 'http://file:1', '/other': 'http://file:2', '*': 'http://file:3' };
    expect(proxyOf({ proxy: ['/api=http://flag:1', 'http://flag:3'] }, file)).toEqual([
      { prefix: '/other', target: 'http://file:2' },
      { prefix: '/api', target: 'http://flag:1' },
      { target: 'http://flag:3' },
    ]);
    expect(proxyOf({ proxyInsecure: true }, file)!.map(({ secure }) => secure)).toEqual([false, false, false]);
  });

  it.each([
    ['ftp://x', 'proxy target "ftp://x" must be an http:// or https:// URL'],
    ['/api=localhost:8080', 'proxy target "localhost:8080" must be an http:// or https:// URL'],
    ['/api', '--proxy "/api": use /prefix=http://host:port, or http://host:port alone'],
    ['api=http://x', 'proxy prefix "api" must start with /'],
    ['/api=http://me:pw@x', 'proxy target "http://me:pw@x" must not carry a user or password'],
  ])('--proxy %s: %s', (flag, message) => {
    expect(userError(() => proxyOf({ proxy: [flag] }))).toBe(message);
  });

  it.each([
    [[], '"proxy" must be an object of path prefixes to target URLs'],
    [{ api: 'http://x' }, '"proxy.api": proxy prefix "api" must start with /'],
    [{ '/api': 'file:///etc' }, '"proxy./api": proxy target "file:///etc" must be an http:// or https:// URL'],
    [{ '/api': { target: 'http://x', changeOrigin: true } }, 'unknown key "proxy./api.changeOrigin"'],
    [{ '/api': { target: 'http://x', timeout: '5' } }, '"proxy./api.timeout" must be a positive number of seconds'],
    [{ '/api': { target: 'http://x', secure: 'no' } }, '"proxy./api.secure" must be true or false'],
    [{ '/api': {} }, '"proxy./api.target" must be a string'],
  ])('config %j: %s', (proxy, message) => {
    expect(userError(() => validateConfig({ proxy }))).toBe(message);
  });
});

describe('the CLI', () => {
  it('--help shows --proxy and --proxy-insecure', async () => {
    const result = await runCli(['--help']);
    expect(result.stdout).toMatch(/--proxy +Forward a path prefix to a backend/);
    expect(result.stdout).toMatch(/--proxy-insecure +Accept self-signed certificates/);
  });

  it('a bad --proxy is one line and exit 1', async () => {
    const result = await runCli([SITE, '--proxy', 'ftp://127.0.0.1', '-p', '0']);
    expect(result.code).toBe(1);
    expect(linesOf(result.stderr)).toEqual(['tiny-serve: proxy target "ftp://127.0.0.1" must be an http:// or https:// URL']);
  });

  it('proxied requests are in the request log with their target; a refused one is one line naming it', async () => {
    const echo = await backend(startEcho());
    const closedPort = await freePort();
    const cli = startCli([SITE, '--proxy', `/api=${echo.url}`, '--proxy', `/down=http://127.0.0.1:${closedPort}`, '-p', '0', '-H', HOST]);
    const port = await cli.port();
    expect((await rawRequest(port, '/api/users?x=1')).status).toBe(200);
    expect((await rawRequest(port, '/down/x')).status).toBe(502);
    expect((await rawRequest(port, '/hello.txt')).status).toBe(200);
    expect(await waitFor(() => linesOf(cli.stdout).filter((line) => / (GET) \//.test(line)).length === 3, 2_000)).toBe(true);
    const logged = linesOf(cli.stdout).filter((line) => / GET \//.test(line));
    expect(logged[0]).toMatch(new RegExp(`GET /api/users\\?x=1 200 \\d+ B [\\d.]+ ms → ${echo.url}$`));
    expect(logged[1]).toMatch(new RegExp(`GET /down/x 502 \\d+ B [\\d.]+ ms → http://127.0.0.1:${closedPort} \\(ECONNREFUSED\\)$`));
    expect(logged[2]).toMatch(/GET \/hello\.txt 200 \d+ B [\d.]+ ms$/);
    expect(cli.stderr).toBe('');
  });

  it('the log tells a backend dying mid-body from a client leaving mid-download', async () => {
    const api = await backend(
      startBackend((req, res) => {
        res.writeHead(200, { 'Content-Length': '100000' });
        if (req.url === '/api/dies') {
          res.write('x'.repeat(10));
          setTimeout(() => res.socket?.destroy(), 50);
          return;
        }
        // Endless until the client is gone.
        const timer = setInterval(() => res.write('y'.repeat(10)), 20);
        res.once('close', () => clearInterval(timer));
      }),
    );
    const cli = startCli([SITE, '--proxy', `/api=${api.url}`, '-p', '0', '-H', HOST]);
    const port = await cli.port();
    await rawRequest(port, '/api/dies').catch(() => undefined);
    await new Promise<void>((done) => {
      const req = request({ host: HOST, port, path: '/api/leaves' }, (res) => res.once('data', () => (req.destroy(), done())));
      req.on('error', () => {});
      req.end();
    });
    expect(await waitFor(() => linesOf(cli.stdout).filter((line) => / GET \/api\//.test(line)).length === 2, 3_000)).toBe(true);
    const logged = linesOf(cli.stdout).filter((line) => / GET \/api\//.test(line));
    expect(logged.find((line) => line.includes('/api/dies'))).toContain('(backend closed mid-body)');
    expect(logged.find((line) => line.includes('/api/leaves'))).not.toContain('backend closed mid-body');
  });

  it('reads proxy rules from the config file', async () => {
    const echo = await backend(startEcho());
    const site = copySite();
    cleanups.push(site.cleanup);
    writeFileSync(join(site.root, 'tiny-serve.json'), JSON.stringify({ proxy: { '/api': { target: `${echo.url}/v1`, keepHost: true } } }));
    const cli = startCli([site.root, '-p', '0', '-H', HOST]);
    const port = await cli.port();
    const res = await rawRequest(port, '/api/x', { headers: { Host: 'dev.local' } });
    expect(JSON.parse(res.body.toString())).toMatchObject({ url: '/v1/api/x', headers: { host: 'dev.local' } });
  });
});

/** The peak resident set of a process so far (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) * 1024;
}

/** `total` bytes in 64 KiB chunks, made as they are read. */
function generated(total: number): Readable {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  return Readable.from(
    (function* bytes() {
      for (let sent = 0; sent < total; sent += chunk.length) yield chunk;
    })(),
  );
}

/** A sink that counts bytes and keeps none. */
function counter(): Writable & { bytes: number } {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      sink.bytes += chunk.length;
      done();
    },
  }) as Writable & { bytes: number };
  sink.bytes = 0;
  return sink;
}

describe('memory stays flat while bodies stream through', () => {
  // Sizes well above what V8 lets pass before it frees socket buffers (it collects once external
  // memory has grown by about 64 MiB, so any stream lifts the peak by 30-40 MiB): a body kept whole
  // shows as growth of its size; one streamed, as the same bounded growth whatever its size.
  const DOWNLOAD = 512 * MiB;
  const UPLOAD = 256 * MiB;
  const SLACK = 100 * MiB;

  it(`a ${DOWNLOAD / MiB} MiB download and a ${UPLOAD / MiB} MiB upload grow the server's peak RSS by far less`, async () => {
    let uploaded = 0;
    const api = await backend(
      startBackend((req, res) => {
        if (req.method === 'GET') {
          res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': DOWNLOAD });
          void pipeline(generated(DOWNLOAD), res).catch(() => {});
          return;
        }
        req.on('data', (chunk: Buffer) => (uploaded += chunk.length));
        req.on('end', () => res.end('ok'));
      }),
    );
    const cli = startCli([SITE, '--proxy', `/api=${api.url}`, '-p', '0', '-H', HOST, '--quiet']);
    const port = await cli.port();
    expect((await rawRequest(port, '/api/warm-up', { method: 'POST' })).status).toBe(200);
    const before = peakRss(cli.child.pid!);

    await new Promise<void>((done, fail) => {
      const req = request({ host: HOST, port, method: 'POST', path: '/api/upload', headers: { 'Content-Length': UPLOAD }, agent: false }, (res) => {
        res.resume();
        res.on('end', done);
      });
      req.on('error', fail);
      void pipeline(generated(UPLOAD), req).catch(fail);
    });
    expect(uploaded).toBe(UPLOAD);
    const afterUpload = peakRss(cli.child.pid!);

    const sink = counter();
    await new Promise<void>((done, fail) => {
      const req = request({ host: HOST, port, path: '/api/big', agent: false }, (res) => void pipeline(res, sink).then(done, fail));
      req.on('error', fail);
      req.end();
    });
    expect(sink.bytes).toBe(DOWNLOAD);
    const afterDownload = peakRss(cli.child.pid!);

    expect(afterUpload - before).toBeLessThan(SLACK);
    expect(afterDownload - afterUpload).toBeLessThan(SLACK);
  }, 60_000);
});
