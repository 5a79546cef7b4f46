// The request log's formats (dev, combined, json) and --log-file: each format's exact shape for
// files, redirects, errors, HEAD, proxied and aborted requests and HTTP/2; what a request cannot do
// to a line (log injection); the file appended to, reopened on SIGHUP, and its errors. The formats
// as units, the rest through the built CLI.
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as h2Connect } from 'node:http2';
import { request } from 'node:http';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lineFormat, type RequestFacts } from '../src/cli/log-formats.js';
import { paletteFor } from '../src/cli/log.js';
import { validateConfig } from '../src/cli/config.js';
import { settingsFrom } from '../src/cli/settings.js';
import { UserError } from '../src/errors.js';
import { SITE, makeCertificates, rawRequest, waitFor, type Certificates } from './helpers.js';
import { freePort, linesOf, runCli, startCli, stopAll, type CliProcess } from './cli-helpers.js';
import { startBackend, startEcho, type Backend } from './proxy-backends.js';

const HOST = '127.0.0.1';
const ANSI_ESCAPE = '\x1b';
const BIG_SIZE = 32 * 1024 * 1024;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await stopAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tiny-serve-logs-'));
  writeFileSync(join(dir, 'hello.txt'), 'hello, world\n');
  writeFileSync(join(dir, 'big.bin'), Buffer.alloc(BIG_SIZE, 'x'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh directory for log files, removed after the test. */
function logDir(): string {
  const made = mkdtempSync(join(tmpdir(), 'tiny-serve-logfile-'));
  cleanups.push(() => rmSync(made, { recursive: true, force: true }));
  return made;
}

async function backend(started: Promise<Backend>): Promise<Backend> {
  const one = await started;
  cleanups.push(() => one.close());
  return one;
}

/** A quoted field of the combined format: anything but a raw quote or backslash, which come as \xHH. */
const QUOTED = String.raw`"((?:[^"\\]|\\x[0-9A-F]{2})*)"`;
/** The combined format, field by field, from the start of the line to its end. */
const COMBINED = new RegExp(
  String.raw`^(\S+) (\S+) (\S+) \[(\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000)\] ${QUOTED} (\d{3}) (\d+|-) ${QUOTED} ${QUOTED}$`,
);

interface CombinedLine {
  address: string;
  identity: string;
  user: string;
  time: string;
  request: string;
  status: number;
  bytes: string;
  referer: string;
  userAgent: string;
}

/** A combined line's fields; fails the test when the line does not have the format's exact shape. */
function parseCombined(line: string): CombinedLine {
  const match = COMBINED.exec(line);
  expect(match, line).not.toBeNull();
  const [, address, identity, user, time, request, status, bytes, referer, userAgent] = match!;
  return { address: address!, identity: identity!, user: user!, time: time!, request: request!, status: Number(status), bytes: bytes!, referer: referer!, userAgent: userAgent! };
}

/** `01/Dec/2026:07:28:38 +0000` → a Date. */
function commonLogDate(time: string): Date {
  const [, day, month, rest] = /^(\d{2})\/(\w{3})\/(.*) \+0000$/.exec(time)!;
  return new Date(`${month} ${day} ${rest!.replace(':', ' ')} UTC`);
}

/** The request lines written so far: stdout's after the banner, or a file's. */
function requestLines(cli: CliProcess): string[] {
  const banner = cli.stdout.indexOf('Press Ctrl+C to stop\n');
  return linesOf(cli.stdout.slice(banner + 'Press Ctrl+C to stop\n'.length)).filter((line) => line.trim() !== '');
}

/** Waits until `count` request lines are there, and returns them. */
async function waitForLines(read: () => string[], count: number, timeoutMs = 3_000): Promise<string[]> {
  expect(await waitFor(() => read().length >= count, timeoutMs), read().join('\n')).toBe(true);
  return read();
}

const fileLines = (path: string) => (): string[] => (existsSync(path) ? linesOf(readFileSync(path, 'utf8')) : []);

/** Reads `path` until `bytes` of its body have arrived, then leaves: an aborted download. */
function leaveMidDownload(port: number, path: string, bytes: number): Promise<void> {
  return new Promise((done, fail) => {
    const req = request({ host: HOST, port, path, agent: false }, (res) => {
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= bytes) {
          req.destroy();
          done();
        }
      });
    });
    req.on('error', (error) => (req.destroyed ? undefined : fail(error)));
    req.end();
  });
}

/** Sends `head` as it is on a fresh connection and resolves with the status of the answer. */
function rawHead(port: number, head: string): Promise<number> {
  return new Promise((done, fail) => {
    const socket = netConnect(port, HOST, () => socket.write(Buffer.from(head, 'latin1')));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', fail);
    socket.on('close', () => done(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1])));
  });
}

/** A request that came over a Unix socket. */
const UNIX_FACTS: RequestFacts = {
  received: new Date(),
  closed: new Date(),
  address: undefined,
  user: undefined,
  method: 'GET',
  url: '/',
  httpVersion: '1.1',
  status: 200,
  bytes: 1,
  durationMs: 1,
  referer: undefined,
  userAgent: undefined,
  aborted: false,
  proxy: undefined,
};

/** The requests each format's test makes, in order: a 200, a 304, a 404, a redirect and a HEAD. */
async function fiveRequests(port: number): Promise<void> {
  const first = await rawRequest(port, '/hello.txt', { headers: { 'User-Agent': 'tester/1.0', Referer: 'http://example.test/page' } });
  expect(first.status).toBe(200);
  const etag = String(first.headers.etag);
  expect((await rawRequest(port, '/hello.txt', { headers: { 'If-None-Match': etag } })).status).toBe(304);
  expect((await rawRequest(port, '/missing')).status).toBe(404);
  expect((await rawRequest(port, '/nested')).status).toBe(301);
  expect((await rawRequest(port, '/hello.txt', { method: 'HEAD' })).status).toBe(200);
}

describe('combined format', () => {
  it('has the exact shape for a 200, 304, 404, redirect and HEAD', async () => {
    const before = Date.now();
    const cli = startCli([SITE, '--log-format', 'combined', '-p', '0', '-H', HOST]);
    const port = await cli.port();
    await fiveRequests(port);
    const lines = (await waitForLines(() => requestLines(cli), 5)).map(parseCombined);

    expect(lines.map(({ request, status, bytes }) => [request, status, bytes])).toEqual([
      ['GET /hello.txt HTTP/1.1', 200, '13'],
      ['GET /hello.txt HTTP/1.1', 304, '-'],
      ['GET /missing HTTP/1.1', 404, expect.stringMatching(/^[1-9]\d*$/)],
      ['GET /nested HTTP/1.1', 301, expect.stringMatching(/^[1-9]\d*$/)],
      ['HEAD /hello.txt HTTP/1.1', 200, '-'],
    ]);
    expect(lines[0]).toMatchObject({ address: HOST, identity: '-', user: '-', referer: 'http://example.test/page', userAgent: 'tester/1.0' });
    expect(lines[1]).toMatchObject({ referer: '-', userAgent: '-' });
    // The time the request arrived, to the second, in UTC.
    const logged = commonLogDate(lines[0]!.time).getTime();
    expect(logged).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(logged).toBeLessThanOrEqual(Date.now());
    expect(cli.stdout).not.toContain(ANSI_ESCAPE);
  });

  it('names the user --auth accepted, and - for a request it refused', async () => {
    const cli = startCli([dir, '--log-format', 'combined', '--auth', 'alice:secret', '-p', '0', '-H', HOST]);
    const port = await cli.port();
    const basic = (credentials: string): Record<string, string> => ({ Authorization: `Basic ${Buffer.from(credentials).toString('base64')}` });
    expect((await rawRequest(port, '/hello.txt', { headers: basic('alice:secret') })).status).toBe(200);
    expect((await rawRequest(port, '/hello.txt', { headers: basic('alice:wrong') })).status).toBe(401);
    const lines = (await waitForLines(() => requestLines(cli), 2)).map(parseCombined);
    expect(lines.map(({ user, status }) => [user, status])).toEqual([
      ['alice', 200],
      ['-', 401],
    ]);
    expect(cli.stdout).not.toContain('secret');
  });
});

describe('a Unix socket', () => {
  it('has no client address: - in combined, null in json', async () => {
    const socketPath = join(logDir(), 'site.sock');
    const path = join(logDir(), 'access.log');
    const cli = startCli([dir, '--log-format', 'combined', '--log-file', path, '-l', `unix:${socketPath}`]);
    await cli.waitForOutput(/Press Ctrl\+C to stop/);
    const status = await new Promise<number>((done, fail) => {
      const req = request({ socketPath, path: '/hello.txt', agent: false }, (res) => {
        res.resume();
        res.once('end', () => done(res.statusCode!));
      });
      req.once('error', fail);
      req.end();
    });
    expect(status).toBe(200);
    const [line] = await waitForLines(fileLines(path), 1);
    expect(parseCombined(line!)).toMatchObject({ address: '-', request: 'GET /hello.txt HTTP/1.1', status: 200 });
    expect(JSON.parse(lineFormat('json', paletteFor({}, {}))(UNIX_FACTS))).toMatchObject({ address: null });
  });
});

describe('json format', () => {
  it('is one object per line with every field, for a 200, 304, 404, redirect and HEAD', async () => {
    const cli = startCli([SITE, '--log-format', 'json', '-p', '0', '-H', HOST]);
    const port = await cli.port();
    await fiveRequests(port);
    const lines = (await waitForLines(() => requestLines(cli), 5)).map((line) => JSON.parse(line) as Record<string, unknown>);

    const common = { address: HOST, user: null, protocol: 'HTTP/1.1', aborted: false, proxy: null, durationMs: expect.any(Number), time: expect.any(String) };
    expect(lines).toEqual([
      { ...common, method: 'GET', url: '/hello.txt', status: 200, bytes: 13, referer: 'http://example.test/page', userAgent: 'tester/1.0' },
      { ...common, method: 'GET', url: '/hello.txt', status: 304, bytes: 0, referer: null, userAgent: null },
      { ...common, method: 'GET', url: '/missing', status: 404, bytes: expect.any(Number), referer: null, userAgent: null },
      { ...common, method: 'GET', url: '/nested', status: 301, bytes: expect.any(Number), referer: null, userAgent: null },
      { ...common, method: 'HEAD', url: '/hello.txt', status: 200, bytes: 0, referer: null, userAgent: null },
    ]);
    for (const line of lines) expect(new Date(line.time as string).toISOString()).toBe(line.time);
    expect(lines[2]!.bytes).toBeGreaterThan(0);
  });
});

describe('every format', () => {
  it.each(['dev', 'combined', 'json'])('%s: proxied requests, a refused backend and an aborted download each get their line', async (format) => {
    const echo = await backend(startEcho());
    const closedPort = await freePort();
    const cli = startCli([dir, '--log-format', format, '--proxy', `/api=${echo.url}`, '--proxy', `/down=http://${HOST}:${closedPort}`, '-p', '0', '-H', HOST]);
    const port = await cli.port();
    expect((await rawRequest(port, '/api/users?x=1')).status).toBe(200);
    expect((await rawRequest(port, '/down/x')).status).toBe(502);
    await leaveMidDownload(port, '/big.bin', 64 * 1024);
    const lines = await waitForLines(() => requestLines(cli), 3);
    expect(lines).toHaveLength(3);
    const [proxied, refused, aborted] = lines as [string, string, string];

    if (format === 'dev') {
      expect(proxied).toMatch(new RegExp(`GET /api/users\\?x=1 200 \\d+ B [\\d.]+ ms → ${echo.url}$`));
      expect(refused).toMatch(new RegExp(`GET /down/x 502 \\d+ B [\\d.]+ ms → http://${HOST}:${closedPort} \\(ECONNREFUSED\\)$`));
      expect(aborted).toMatch(/GET \/big\.bin 200 \d+ B [\d.]+ ms aborted$/);
    } else if (format === 'combined') {
      expect(parseCombined(proxied)).toMatchObject({ request: 'GET /api/users?x=1 HTTP/1.1', status: 200 });
      expect(parseCombined(refused)).toMatchObject({ request: 'GET /down/x HTTP/1.1', status: 502 });
      const download = parseCombined(aborted);
      expect(download).toMatchObject({ request: 'GET /big.bin HTTP/1.1', status: 200 });
      expect(Number(download.bytes)).toBeLessThan(BIG_SIZE);
    } else {
      expect(JSON.parse(proxied)).toMatchObject({ url: '/api/users?x=1', status: 200, aborted: false, proxy: { target: echo.url, problem: null } });
      expect(JSON.parse(refused)).toMatchObject({ url: '/down/x', status: 502, proxy: { target: `http://${HOST}:${closedPort}`, problem: 'ECONNREFUSED' } });
      const download = JSON.parse(aborted) as { url: string; status: number; aborted: boolean; bytes: number; proxy: unknown };
      expect(download).toMatchObject({ url: '/big.bin', status: 200, aborted: true, proxy: null });
      expect(download.bytes).toBeLessThan(BIG_SIZE);
    }
  });

  it('a backend dying mid-body is noted in the json format', async () => {
    const api = await backend(
      startBackend((_req, res) => {
        res.writeHead(200, { 'Content-Length': '100000' });
        res.write('x'.repeat(10));
        setTimeout(() => res.socket?.destroy(), 50);
      }),
    );
    const cli = startCli([dir, '--log-format', 'json', '--proxy', `/api=${api.url}`, '-p', '0', '-H', HOST]);
    const port = await cli.port();
    await rawRequest(port, '/api/dies').catch(() => undefined);
    const [line] = await waitForLines(() => requestLines(cli), 1);
    expect(JSON.parse(line!)).toMatchObject({ url: '/api/dies', aborted: true, proxy: { target: api.url, problem: 'backend closed mid-body' } });
  });

  it.each(['combined', 'json'])('%s: HTTP/2 requests log HTTP/2.0', async (format) => {
    const certs: Certificates = makeCertificates();
    cleanups.push(certs.cleanup);
    const cli = startCli([dir, '--log-format', format, '--ssl-cert', certs.cert, '--ssl-key', certs.key, '-p', '0', '-H', HOST]);
    const port = await cli.port();
    const session = h2Connect(`https://${HOST}:${port}`, { ca: readFileSync(certs.cert) });
    cleanups.push(() => void session.close());
    const status = await new Promise<number>((done, fail) => {
      const stream = session.request({ ':path': '/hello.txt' });
      stream.once('response', (headers) => done(Number(headers[':status'])));
      stream.once('error', fail);
      stream.resume();
    });
    expect(status).toBe(200);
    const [line] = await waitForLines(() => requestLines(cli), 1);
    if (format === 'combined') expect(parseCombined(line!).request).toBe('GET /hello.txt HTTP/2.0');
    else expect(JSON.parse(line!)).toMatchObject({ protocol: 'HTTP/2.0', url: '/hello.txt', status: 200 });
  });
});

describe('log injection', () => {
  // What node's parser lets through: quotes and backslashes in the target; tabs and bytes past ASCII
  // in header values too (it answers 400 itself to any other control character, and to raw bytes in the target).
  const TARGET = '/x?q="a\\b"&c=%22';
  const AGENT = 'evil" "injected\\\there\xff';

  it.each(['combined', 'json'])('%s: quotes, backslashes, tabs and raw bytes from a request keep to their field', async (format) => {
    const cli = startCli([dir, '--log-format', format, '-p', '0', '-H', HOST]);
    const port = await cli.port();
    const status = await rawHead(port, `GET ${TARGET} HTTP/1.1\r\nHost: x\r\nUser-Agent: ${AGENT}\r\nReferer: "\r\nConnection: close\r\n\r\n`);
    expect(status).toBe(404);
    const lines = await waitForLines(() => requestLines(cli), 1);
    expect(lines).toHaveLength(1);
    if (format === 'combined') {
      expect(parseCombined(lines[0]!)).toMatchObject({
        request: String.raw`GET /x?q=\x22a\x5Cb\x22&c=%22 HTTP/1.1`,
        referer: String.raw`\x22`,
        userAgent: String.raw`evil\x22 \x22injected\x5C\x09here\xFF`,
      });
    } else {
      expect(JSON.parse(lines[0]!)).toMatchObject({ url: TARGET, userAgent: AGENT, referer: '"' });
      expect(lines[0]).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    }
  });

  /** Facts carrying every character a line could be broken with, in every field a request controls. */
  const hostile: RequestFacts = {
    received: new Date('2026-03-04T05:06:07.089Z'),
    closed: new Date('2026-03-04T05:06:08.000Z'),
    address: '::1',
    user: 'bob "the" \\ user\n',
    method: 'GET',
    url: '/a\nb\r\n127.0.0.1 - - [x] "GET / HTTP/1.1" 200 1 "-" "-"\x1b[31m\u2028\u0085☃',
    httpVersion: '2.0',
    status: 200,
    bytes: 0,
    durationMs: 1.23456,
    referer: '\0"',
    userAgent: 'ua\t"\\\x7f',
    aborted: false,
    proxy: undefined,
  };

  it('combined: one line, every byte outside printable ASCII (and quotes, backslashes) as \\xHH, as nginx writes them', () => {
    const line = lineFormat('combined', paletteFor({ isTTY: true }, {}))(hostile);
    expect(line).toMatch(/^[\x20-\x7e]*$/);
    expect(parseCombined(line)).toEqual({
      address: '::1',
      identity: '-',
      user: String.raw`bob\x20\x22the\x22\x20\x5C\x20user\x0A`,
      time: '04/Mar/2026:05:06:07 +0000',
      request: String.raw`GET /a\x0Ab\x0D\x0A127.0.0.1 - - [x] \x22GET / HTTP/1.1\x22 200 1 \x22-\x22 \x22-\x22\x1B[31m\xE2\x80\xA8\x85\xE2\x98\x83 HTTP/2.0`,
      status: 200,
      bytes: '-',
      referer: String.raw`\x00\x22`,
      userAgent: String.raw`ua\x09\x22\x5C\x7F`,
    });
  });

  it('json: one line that parses back to what was sent, with no raw control or line-separator characters', () => {
    const line = lineFormat('json', paletteFor({ isTTY: true }, {}))(hostile);
    expect(line).not.toMatch(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/);
    expect(JSON.parse(line)).toEqual({
      time: '2026-03-04T05:06:07.089Z',
      address: '::1',
      user: hostile.user,
      method: 'GET',
      url: hostile.url,
      protocol: 'HTTP/2.0',
      status: 200,
      bytes: 0,
      durationMs: 1.235,
      referer: hostile.referer,
      userAgent: hostile.userAgent,
      aborted: false,
      proxy: null,
    });
  });

  it('only the dev format is coloured, and only for a terminal', () => {
    const coloured = paletteFor({ isTTY: true }, {});
    expect(lineFormat('dev', coloured)({ ...hostile, user: undefined })).toContain(ANSI_ESCAPE);
    expect(lineFormat('dev', coloured)(hostile)).not.toMatch(/[\n\r]/);
    for (const format of ['combined', 'json'] as const) expect(lineFormat(format, coloured)(hostile)).not.toContain(ANSI_ESCAPE);
  });
});

describe('--log-file', () => {
  it('appends across runs, creating the file 0644; the banner stays on stdout', async () => {
    const path = join(logDir(), 'access.log');
    for (const run of [1, 2]) {
      const cli = startCli([dir, '--log-format', 'json', '--log-file', path, '-p', '0', '-H', HOST]);
      const port = await cli.port();
      expect((await rawRequest(port, `/hello.txt?run=${run}`)).status).toBe(200);
      await waitForLines(fileLines(path), run);
      cli.child.kill('SIGTERM');
      expect(await cli.waitForExit()).toEqual({ code: 0, signal: null });
      expect(requestLines(cli).map((line) => line.trim())).toEqual(['SIGTERM: stopping (Ctrl+C again to force)']);
      expect(cli.stderr).toBe('');
    }
    expect(fileLines(path)().map((line) => (JSON.parse(line) as { url: string }).url)).toEqual(['/hello.txt?run=1', '/hello.txt?run=2']);
    expect(statSync(path).mode & 0o777).toBe(0o644);
  });

  it('the dev format in a file is plain and has one line per response', async () => {
    const path = join(logDir(), 'dev.log');
    const cli = startCli([dir, '--log-file', path, '-p', '0', '-H', HOST]);
    const port = await cli.port();
    expect((await rawRequest(port, '/hello.txt')).status).toBe(200);
    const [line] = await waitForLines(fileLines(path), 1);
    expect(line).toMatch(/^\d\d:\d\d:\d\d GET \/hello\.txt 200 13 B \d+\.\d ms$/);
  });

  it('is reopened on SIGHUP: the moved file keeps the old lines, a new one gets the next', async () => {
    const logs = logDir();
    const path = join(logs, 'access.log');
    const cli = startCli([dir, '--log-format', 'combined', '--log-file', path, '-p', '0', '-H', HOST]);
    const port = await cli.port();
    expect((await rawRequest(port, '/hello.txt?before')).status).toBe(200);
    await waitForLines(fileLines(path), 1);

    renameSync(path, `${path}.1`); // what logrotate does, before its postrotate signal
    cli.child.kill('SIGHUP');
    expect(await waitFor(() => existsSync(path), 3_000)).toBe(true);
    expect((await rawRequest(port, '/hello.txt?after')).status).toBe(200);
    const [after] = await waitForLines(fileLines(path), 1);

    expect(parseCombined(after!).request).toBe('GET /hello.txt?after HTTP/1.1');
    expect(fileLines(`${path}.1`)().map((line) => parseCombined(line).request)).toEqual(['GET /hello.txt?before HTTP/1.1']);
    expect(cli.hasExited).toBe(false);
    expect(cli.stderr).toBe('');
  });

  it('with --workers, the primary passes SIGHUP on and every worker reopens the file', async () => {
    const path = join(logDir(), 'access.log');
    const cli = startCli([dir, '--workers', '2', '--log-format', 'json', '--log-file', path, '-p', '0', '-H', HOST]);
    const port = await cli.port(10_000);
    /** The files each worker holds open, by the path they have now (a moved file shows its new name). */
    const openFiles = (): string[][] =>
      readFileSync(`/proc/${cli.child.pid}/task/${cli.child.pid}/children`, 'utf8')
        .trim()
        .split(' ')
        .filter(Boolean)
        .map((pid) =>
          readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
            try {
              return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
            } catch {
              return []; // closed meanwhile
            }
          }),
        );
    const holding = (file: string): number => openFiles().filter((files) => files.includes(file)).length;
    expect(await waitFor(() => holding(path) === 2, 3_000)).toBe(true);

    renameSync(path, `${path}.1`);
    cli.child.kill('SIGHUP');
    expect(await waitFor(() => holding(path) === 2 && holding(`${path}.1`) === 0, 3_000)).toBe(true);
    for (let index = 0; index < 4; index += 1) expect((await rawRequest(port, `/hello.txt?${index}`)).status).toBe(200);
    const lines = await waitForLines(fileLines(path), 4);
    expect(lines.map((line) => (JSON.parse(line) as { url: string }).url).sort()).toEqual(['/hello.txt?0', '/hello.txt?1', '/hello.txt?2', '/hello.txt?3']);
    expect(cli.hasExited).toBe(false);
  });

  it.each([
    ['a missing directory', (logs: string) => join(logs, 'missing', 'access.log'), 'no such directory'],
    ['a directory', (logs: string) => logs, 'it is a directory'],
  ])('a path it cannot open (%s) is one line and exit 1, alone or with --workers', async (_name, pathIn, why) => {
    const path = pathIn(logDir());
    for (const workers of [[], ['--workers', '2']]) {
      const result = await runCli([dir, '--log-file', path, ...workers, '-p', '0', '-H', HOST]);
      expect(result.code).toBe(1);
      expect(linesOf(result.stderr)).toEqual([`tiny-serve: cannot open --log-file ${path}: ${why}`]);
      expect(result.stdout).not.toContain('Local:');
    }
  });

  it.runIf(existsSync('/dev/full'))('a failing write (disk full) is one line on stderr, and serving goes on', async () => {
    const cli = startCli([dir, '--log-file', '/dev/full', '-p', '0', '-H', HOST]);
    const port = await cli.port();
    const statuses: number[] = [];
    for (let index = 0; index < 5; index += 1) statuses.push((await rawRequest(port, '/hello.txt')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(await waitFor(() => cli.stderr !== '', 3_000)).toBe(true);
    expect(linesOf(cli.stderr)).toEqual([
      'tiny-serve: cannot write to --log-file /dev/full (ENOSPC): the request log stops until a SIGHUP reopens it',
    ]);
    expect(cli.hasExited).toBe(false);
  });

  it('logFile and logFormat from the config file, the path relative to the file; flags win', async () => {
    const logs = logDir();
    writeFileSync(join(logs, 'tiny-serve.json'), JSON.stringify({ logFormat: 'json', logFile: 'from-config.log' }));
    const cli = startCli([dir, '--config', join(logs, 'tiny-serve.json'), '-p', '0', '-H', HOST]);
    const port = await cli.port();
    expect((await rawRequest(port, '/hello.txt')).status).toBe(200);
    const [line] = await waitForLines(fileLines(join(logs, 'from-config.log')), 1);
    expect(JSON.parse(line!)).toMatchObject({ url: '/hello.txt', status: 200 });

    const loaded = { path: join(logs, 'tiny-serve.json'), config: validateConfig({ logFormat: 'json', logFile: 'from-config.log' }) };
    expect(settingsFrom({ dir, logFormat: 'combined', logFile: 'flag.log' }, {}, loaded)).toMatchObject({
      logFormat: 'combined',
      logFile: join(process.cwd(), 'flag.log'),
    });
    expect(settingsFrom({ dir }, {}, { path: undefined, config: {} })).toMatchObject({ logFormat: 'dev', logFile: undefined });
  });

  it.each([
    [() => validateConfig({ logFormat: 'xml' }), '"logFormat" must be one of dev, combined, json'],
    [() => validateConfig({ logFile: '' }), '"logFile" must be a file path'],
    [() => settingsFrom({ dir: '.', logFormat: 'apache' }, {}, { path: undefined, config: {} }), 'invalid --log-format "apache": use dev, combined, json'],
  ])('a bad value is a UserError: %#', (run, message) => {
    expect(run).toThrow(UserError);
    expect(run).toThrow(message);
  });

  it('--help shows --log-format and --log-file; a bad --log-format is one line and exit 1', async () => {
    const help = await runCli(['--help']);
    expect(help.stdout).toMatch(/--log-format +Request log format: dev/);
    expect(help.stdout).toMatch(/--log-file +Append the request log to this file/);
    const bad = await runCli([dir, '--log-format', 'apache', '-p', '0']);
    expect(bad.code).toBe(1);
    expect(linesOf(bad.stderr)).toEqual(['tiny-serve: invalid --log-format "apache": use dev, combined, json']);
  });
});
