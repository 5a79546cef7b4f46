// Headers added by options: CORS (`cors`, preflights), `--header` lines and config `headers` rules,
// on every kind of response; option validation at startup; the CLI flags that set them.
import { request, type IncomingHttpHeaders } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../src/handler/handler.js';
import type { HandlerOptions } from '../src/types.js';
import { exchange, SITE, startServer, type TestServer } from './helpers.js';
import { httpGet, linesOf, runCli, startCli, stopAll } from './cli-helpers.js';

const ORIGIN = 'http://elsewhere.example';
/** A line of a stack trace, which a one-line CLI error must never print. */
const STACK_LINE = /^\s+at /m;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  /** Names and values as sent, so duplicated headers stay visible. */
  rawHeaders: string[];
  body: Buffer;
}

/** A request with exactly these headers (no agent, no normalization), keeping the raw header list. */
function send(port: number, path: string, { method = 'GET', headers = {} }: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        done({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }),
      );
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}


/** Every value sent for `name` (case-insensitive), from rawHeaders. */
function rawValues(reply: Reply, name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < reply.rawHeaders.length; i += 2) {
    if (reply.rawHeaders[i]!.toLowerCase() === name.toLowerCase()) values.push(reply.rawHeaders[i + 1]!);
  }
  return values;
}

function listOf(value: string | string[] | undefined): string[] {
  return String(value ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');
}

function accessControlNames(headers: IncomingHttpHeaders): string[] {
  return Object.keys(headers).filter((name) => name.startsWith('access-control-'));
}

async function etagOf(port: number, path: string): Promise<string> {
  const res = await send(port, path);
  expect(res.status).toBe(200);
  expect(res.headers.etag).toBeTruthy();
  return res.headers.etag!;
}

/**
 * One request for each kind of response, with the status it must get. Each request asks for its
 * own validator (304) first, so the table runs against any server.
 */
type Kind = [name: string, status: number, request: (port: number) => Promise<Reply>];
const file: Kind = ['200 file', 200, (port) => send(port, '/hello.txt', { headers: { Origin: ORIGIN } })];
const partial: Kind = ['206 range', 206, (port) => send(port, '/hello.txt', { headers: { Origin: ORIGIN, Range: 'bytes=0-4' } })];
const notModified: Kind = [
  '304',
  304,
  async (port) => send(port, '/hello.txt', { headers: { Origin: ORIGIN, 'If-None-Match': await etagOf(port, '/hello.txt') } }),
];
const notFound: Kind = ['404', 404, (port) => send(port, '/missing.txt', { headers: { Origin: ORIGIN } })];
const redirect: Kind = ['301 directory redirect', 301, (port) => send(port, '/nested', { headers: { Origin: ORIGIN } })];
const notAllowed: Kind = ['405', 405, (port) => send(port, '/hello.txt', { method: 'DELETE', headers: { Origin: ORIGIN } })];
const unsatisfiable: Kind = ['416', 416, (port) => send(port, '/hello.txt', { headers: { Range: 'bytes=999999-' } })];
const listing: Kind = ['200 listing', 200, (port) => send(port, '/no-index/')];

describe('CORS (cors: true)', () => {
  let site: TestServer;
  beforeAll(async () => {
    site = await startServer({ cors: true });
  });
  afterAll(async () => {
    await site.close();
  });

  it.each([file, partial, notModified, notFound, redirect, notAllowed])(
    '%s allows any origin, exposes the range and validator headers, never credentials',
    async (_name, status, ask) => {
      const res = await ask(site.port);

      expect(res.status).toBe(status);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(listOf(res.headers['access-control-expose-headers'])).toEqual(
        expect.arrayContaining(['content-length', 'content-range', 'etag']),
      );
      expect(res.headers).not.toHaveProperty('access-control-allow-credentials');
    },
  );

  it('answers a preflight with 204, the methods, the requested headers, a max age and no body', async () => {
    const res = await send(site.port, '/hello.txt', {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range, if-none-match' },
    });

    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(listOf(res.headers['access-control-allow-methods'])).toEqual(expect.arrayContaining(['get', 'head', 'options']));
    expect(listOf(res.headers['access-control-allow-headers'])).toEqual(expect.arrayContaining(['range', 'if-none-match']));
    expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0);
    expect(res.headers).not.toHaveProperty('access-control-allow-credentials');
    expect(res.body.length).toBe(0);
  });

  it('sends no body bytes after a preflight 204, on the wire', async () => {
    const { head, body } = await exchange(
      site.port,
      'OPTIONS /hello.txt HTTP/1.1\r\nHost: localhost\r\nOrigin: http://elsewhere.example\r\n' +
        'Access-Control-Request-Method: GET\r\nConnection: close\r\n\r\n',
    );

    expect(head).toMatch(/^HTTP\/1\.1 204 /);
    expect(head).toMatch(/^access-control-allow-origin: \*$/im);
    expect(body).toBe('');
  });

  it.each([
    ['spaces and angle brackets', 'x y, <z>', ['x y', '<z>']],
    ['a quote', 'range, x"y', ['x"y']],
    ['a slash', 'a/b', ['a/b']],
  ])('does not echo requested header names that are not tokens (%s)', async (_name, requested, forbidden) => {
    const res = await send(site.port, '/hello.txt', {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': requested },
    });

    expect(res.status).toBe(204);
    const allowed = listOf(res.headers['access-control-allow-headers']);
    for (const name of forbidden) expect(allowed).not.toContain(name);
    for (const name of allowed) expect(name).toMatch(/^[!#$%&'*+.^_`|~0-9a-z-]+$/);
  });

  it('answers a plain OPTIONS (no Origin) with 204 and Allow', async () => {
    const res = await send(site.port, '/hello.txt', { method: 'OPTIONS' });

    expect(res.status).toBe(204);
    expect(listOf(res.headers.allow)).toEqual(expect.arrayContaining(['get', 'head', 'options']));
    expect(res.body.length).toBe(0);
  });
});

describe('without cors', () => {
  let site: TestServer;
  beforeAll(async () => {
    site = await startServer();
  });
  afterAll(async () => {
    await site.close();
  });

  it.each([file, partial, notModified, notFound, redirect, notAllowed])('%s has no Access-Control-* header', async (_name, status, ask) => {
    const res = await ask(site.port);

    expect(res.status).toBe(status);
    expect(accessControlNames(res.headers)).toEqual([]);
  });

  it('answers a preflight-looking OPTIONS with 204 and Allow only', async () => {
    const res = await send(site.port, '/hello.txt', {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' },
    });

    expect(res.status).toBe(204);
    expect(listOf(res.headers.allow)).toEqual(['get', 'head', 'options']);
    expect(accessControlNames(res.headers)).toEqual([]);
  });
});

describe('header: extra headers on every response', () => {
  let site: TestServer;
  beforeAll(async () => {
    site = await startServer({ header: ['X-Frame-Options: DENY', 'X-Test: a b'] });
  });
  afterAll(async () => {
    await site.close();
  });

  it.each([file, notModified, notFound, redirect, unsatisfiable, listing])('%s carries both headers', async (_name, status, ask) => {
    const res = await ask(site.port);

    expect(res.status).toBe(status);
    expect(rawValues(res, 'X-Frame-Options')).toEqual(['DENY']);
    expect(rawValues(res, 'X-Test')).toEqual(['a b']);
  });
});

describe('header: overriding a built-in header', () => {
  let site: TestServer;
  beforeAll(async () => {
    site = await startServer({ header: ['Cache-Control: max-age=5'] });
  });
  afterAll(async () => {
    await site.close();
  });

  it.each([file, notModified, notFound, redirect])('%s sends one Cache-Control, the given one', async (_name, status, ask) => {
    const res = await ask(site.port);

    expect(res.status).toBe(status);
    expect(rawValues(res, 'Cache-Control')).toEqual(['max-age=5']);
  });
});

describe('header: invalid values are refused at startup', () => {
  it.each([
    ['a name with a space', 'Bad Name: x', /header name/],
    ['no colon', 'NoColon', /Name: value/],
    ['a CR LF in the value', 'X: a\r\nInjected: 1', /line break/],
    ['a bare LF in the value', 'X: a\nInjected: 1', /line break/],
    ['an empty name', ': x', /Name: value/],
    // Framing and connection-specific headers: they would corrupt HTTP/1.1 and break every HTTP/2 response.
    ['Connection', 'Connection: close', /Connection cannot be set or removed: the server manages it/],
    ['Keep-Alive', 'keep-alive: timeout=5', /keep-alive cannot be set/],
    ['Transfer-Encoding', 'Transfer-Encoding: chunked', /Transfer-Encoding cannot be set/],
    ['Upgrade', 'Upgrade: h2c', /Upgrade cannot be set/],
    ['HTTP2-Settings', 'HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA', /HTTP2-Settings cannot be set/],
    ['Content-Length', 'Content-Length: 0', /Content-Length cannot be set/],
  ])('createHandler throws for %s', (_name, line, message) => {
    expect(() => createHandler({ root: SITE, header: [line] })).toThrow(message);
  });
});

describe('headers: rules for server-managed headers are refused', () => {
  it.each([
    ['setting Connection', { key: 'Connection', value: 'close' }],
    ['removing Content-Length', { key: 'content-length', value: null }],
    ['setting Transfer-Encoding', { key: 'Transfer-Encoding', value: 'chunked' }],
  ])('createHandler throws for %s', (_name, header) => {
    expect(() => createHandler({ root: SITE, headers: [{ source: '**', headers: [header] }] })).toThrow(/cannot be set or removed: the server manages it/);
  });
});

describe('headers: config rules', () => {
  const rules: HandlerOptions['headers'] = [
    { source: '**/*.js', headers: [{ key: 'X-Js', value: 'yes' }] },
    { source: '/hello.txt', headers: [{ key: 'X-Content-Type-Options', value: null }] },
    // Two rules for one path: the later one wins, whatever their specificity.
    { source: '/style.css', headers: [{ key: 'X-Order', value: 'specific' }] },
    { source: '**', headers: [{ key: 'X-Order', value: 'general' }] },
    { source: '**', headers: [{ key: 'X-Last', value: 'general' }] },
    { source: '/data.json', headers: [{ key: 'X-Last', value: 'specific' }] },
    // Lower-case keys replace and remove the built-in headers whatever their case.
    { source: '/index.html', headers: [{ key: 'cache-control', value: 'max-age=60' }] },
    { source: '/app.js', headers: [{ key: 'x-content-type-options', value: null }] },
  ];
  let site: TestServer;
  beforeAll(async () => {
    site = await startServer({ headers: rules });
  });
  afterAll(async () => {
    await site.close();
  });

  it.each([
    ['/app.js', 'yes'],
    ['/assets/app.3f9a1c2b.js', 'yes'],
    ['/hello.txt', undefined],
    ['/module.mjs', undefined],
  ])('**/*.js: %s → X-Js %s', async (path, expected) => {
    const res = await send(site.port, path);

    expect(res.status).toBe(200);
    expect(res.headers['x-js']).toBe(expected);
  });

  it('a null value removes a built-in header for the matching path only', async () => {
    const removed = await send(site.port, '/hello.txt');
    const kept = await send(site.port, '/style.css');

    expect(removed.status).toBe(200);
    expect(removed.body.toString()).toBe('hello, world\n');
    expect(rawValues(removed, 'X-Content-Type-Options')).toEqual([]);
    expect(kept.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each([
    ['/style.css', 'X-Order', 'general'],
    ['/data.json', 'X-Last', 'specific'],
    ['/hello.txt', 'X-Order', 'general'],
  ])('matching rules apply in order, the later wins: %s → %s %s', async (path, name, value) => {
    const res = await send(site.port, path);

    expect(res.status).toBe(200);
    expect(rawValues(res, name)).toEqual([value]);
  });

  it('a lower-case key replaces Cache-Control (one header in rawHeaders)', async () => {
    const res = await send(site.port, '/index.html');

    expect(res.status).toBe(200);
    expect(rawValues(res, 'Cache-Control')).toEqual(['max-age=60']);
  });

  it('a lower-case key with null removes X-Content-Type-Options', async () => {
    const res = await send(site.port, '/app.js');

    expect(res.status).toBe(200);
    expect(rawValues(res, 'X-Content-Type-Options')).toEqual([]);
    expect(res.headers['x-js']).toBe('yes');
  });

  it.each([
    ['/app.js', 'X-Js', ['yes']],
    ['/index.html', 'Cache-Control', ['max-age=60']],
    ['/style.css', 'X-Order', ['general']],
  ])('rules apply to a 304 too: %s → %s', async (path, name, values) => {
    const res = await send(site.port, path, { headers: { 'If-None-Match': await etagOf(site.port, path) } });

    expect(res.status).toBe(304);
    expect(rawValues(res, name)).toEqual(values);
  });

  it.each([
    ['a name with a space', [{ source: '**', headers: [{ key: 'Bad Name', value: 'x' }] }]],
    ['a CR LF in a value', [{ source: '**', headers: [{ key: 'X-A', value: 'a\r\nInjected: 1' }] }]],
  ])('createHandler throws for a rule with %s', (_name, headers) => {
    expect(() => createHandler({ root: SITE, headers })).toThrow();
  });
});

describe('CLI: --cors and --header (built bundle)', () => {
  afterEach(async () => {
    await stopAll();
  });

  it('--cors adds Access-Control-Allow-Origin and says so in the banner', async () => {
    const cli = startCli([SITE, '-p', '0', '--cors']);
    const port = await cli.port();

    const res = await httpGet('127.0.0.1', port, '/hello.txt');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(cli.stdout).toContain('CORS on');
  });

  it('without --cors there is no Access-Control-Allow-Origin', async () => {
    const cli = startCli([SITE, '-p', '0']);
    const port = await cli.port();

    const res = await httpGet('127.0.0.1', port, '/hello.txt');
    expect(res.status).toBe(200);
    expect(accessControlNames(res.headers)).toEqual([]);
  });

  it('--header twice adds both headers', async () => {
    const cli = startCli([SITE, '-p', '0', '--header', 'X-A: 1', '--header', 'X-B: 2']);
    const port = await cli.port();

    const res = await httpGet('127.0.0.1', port, '/hello.txt');
    expect(res.status).toBe(200);
    expect(res.headers['x-a']).toBe('1');
    expect(res.headers['x-b']).toBe('2');
  });

  it.each([
    ['a value with CR LF', 'X: a\r\nb'],
    ['no colon', 'nocolon'],
    ['a name with a space', 'Bad Name: x'],
  ])('--header with %s exits 1 with one stderr line', async (_name, line) => {
    const result = await runCli([SITE, '-p', '0', '--header', line]);

    expect(result.code).toBe(1);
    expect(linesOf(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/^tiny-serve: .*header/);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.stderr).not.toContain('\r');
    expect(result.stdout).not.toContain('Local:');
  });
});
