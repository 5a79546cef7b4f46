// HTTP Basic authentication (RFC 7617): the challenge, every path and method behind it, malformed
// headers, CORS preflights, option validation, hashed comparison, and the CLI (--auth, TINY_SERVE_AUTH)
// never printing the password.
import * as crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { basicAuth } from '../src/handler/auth.js';
import { createHandler } from '../src/handler/handler.js';
import { exchange, rawRequest, SITE, startServer, type TestServer } from './helpers.js';
import { httpGet, linesOf, runCli, startCli, stopAll } from './cli-helpers.js';

// The real crypto, with timingSafeEqual observable: the comparison must always see two digests.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const USER = 'user';
/** A password containing ':' — only the first colon separates user from password. */
const PASSWORD = 'pa:ss';
const HELLO = 'hello, world\n';
const ORIGIN = 'http://elsewhere.example';

function basic(credentials: string, scheme = 'Basic'): string {
  return `${scheme} ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

const RIGHT = basic(`${USER}:${PASSWORD}`);


describe('basic auth (auth: "user:pa:ss")', () => {
  let site: TestServer;
  beforeAll(async () => {
    site = await startServer({ auth: `${USER}:${PASSWORD}` });
  });
  afterAll(async () => {
    await site.close();
  });

  it('answers 401 with a Basic challenge and no file content without Authorization', async () => {
    const res = await rawRequest(site.port, '/hello.txt');

    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Basic realm="tiny-serve"/);
    expect(res.body.toString()).not.toContain(HELLO.trim());
  });

  it.each([
    ['the right credentials', RIGHT],
    ['a lower-case scheme', basic(`${USER}:${PASSWORD}`, 'basic')],
    ['an upper-case scheme', basic(`${USER}:${PASSWORD}`, 'BASIC')],
  ])('serves the file with %s', async (_name, authorization) => {
    const res = await rawRequest(site.port, '/hello.txt', { headers: { Authorization: authorization } });

    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(HELLO);
  });

  it.each([
    ['a wrong password', basic(`${USER}:wrong`)],
    ['the password without its part after ":"', basic(`${USER}:pa`)],
    ['the password with a character more', basic(`${USER}:${PASSWORD}x`)],
    ['a wrong user', basic(`someone:${PASSWORD}`)],
    ['an empty user', basic(`:${PASSWORD}`)],
    ['no password', basic(USER)],
    ['empty credentials', basic('')],
    ['the user and password swapped', basic(`${PASSWORD}:${USER}`)],
    ['a 10 KB wrong password', basic(`${USER}:${'x'.repeat(10_240)}`)],
    ['not base64', 'Basic !!!'],
    ['the scheme alone', 'Basic'],
    ['the scheme and a space', 'Basic '],
    ['another scheme', 'Bearer x'],
    ['the credentials unencoded', `Basic ${USER}:${PASSWORD}`],
    ['base64 without a scheme', Buffer.from(`${USER}:${PASSWORD}`).toString('base64')],
  ])('answers 401 (never 500) to %s', async (_name, authorization) => {
    const res = await rawRequest(site.port, '/hello.txt', { headers: { Authorization: authorization } });

    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Basic realm="tiny-serve"/);
    expect(res.body.toString()).not.toContain(HELLO.trim());
  });

  it('answers HEAD without credentials with 401 and no body bytes on the wire', async () => {
    const { head, body } = await exchange(site.port, 'HEAD /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');

    expect(head).toMatch(/^HTTP\/1\.1 401 /);
    expect(head).toMatch(/^www-authenticate: Basic realm="tiny-serve"/im);
    expect(body).toBe('');
  });

  // Without credentials nothing reveals what exists: a missing path and a directory answer alike.
  it.each([
    ['an existing file', '/hello.txt', 200],
    ['a missing path', '/missing.txt', 404],
    ['a directory without its slash', '/nested', 301],
    ['a directory listing', '/no-index/', 200],
    ['the root', '/', 200],
    ['a dotfile', '/.env', 404],
    ['a traversal attempt', '/../etc/passwd', 400],
  ])('%s (%s) needs auth: 401 without, %i with credentials', async (_name, path, status) => {
    const without = await rawRequest(site.port, path);
    const withAuth = await rawRequest(site.port, path, { headers: { Authorization: RIGHT } });

    expect(without.status).toBe(401);
    expect(without.headers).not.toHaveProperty('location');
    expect(withAuth.status).toBe(status);
  });

  it.each(['GET', 'HEAD', 'OPTIONS', 'DELETE', 'POST'])('%s without credentials answers 401', async (method) => {
    const res = await rawRequest(site.port, '/hello.txt', { method });

    expect(res.status).toBe(401);
  });
});

describe('basic auth with cors', () => {
  let site: TestServer;
  beforeAll(async () => {
    site = await startServer({ auth: `${USER}:${PASSWORD}`, cors: true });
  });
  afterAll(async () => {
    await site.close();
  });

  it('answers a preflight without credentials with 204 (preflights carry none)', async () => {
    const res = await rawRequest(site.port, '/hello.txt', {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
    });

    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.body.length).toBe(0);
  });

  it.each([
    ['a plain OPTIONS', 'OPTIONS', {}],
    ['a cross-origin GET', 'GET', { Origin: ORIGIN }],
    ['an OPTIONS with Origin but no requested method', 'OPTIONS', { Origin: ORIGIN }],
  ])('still needs auth for %s', async (_name, method, headers: Record<string, string>) => {
    const res = await rawRequest(site.port, '/hello.txt', { method, headers });

    expect(res.status).toBe(401);
    expect(res.body.toString()).not.toContain(HELLO.trim());
  });

  it('serves a cross-origin GET with credentials', async () => {
    const res = await rawRequest(site.port, '/hello.txt', { headers: { Origin: ORIGIN, Authorization: RIGHT } });

    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.body.toString()).toBe(HELLO);
  });
});

describe('auth option validation', () => {
  it.each([
    ['no colon', 'nocolon'],
    ['no user', ':nouser'],
    ['no password', 'user:'],
    ['nothing', ''],
    ['a colon alone', ':'],
    ['a line break in the user', 'a\nb:pw'],
    ['a tab in the password', 'user:p\tw'],
    ['DEL in the user', 'us\x7fer:pw'],
  ])('createHandler throws for %s', (_name, auth) => {
    expect(() => createHandler({ root: SITE, auth })).toThrow(/user:password/);
  });

  it.each(['user:pa:ss', 'u:p', 'user::', 'my user:pass word', 'Ådå:pässwörd'])('createHandler accepts %j', (auth) => {
    expect(() => createHandler({ root: SITE, auth })).not.toThrow();
  });
});

describe('basicAuth compares digests, never the raw credentials', () => {
  const compare = vi.mocked(crypto.timingSafeEqual);
  const check = basicAuth(`${USER}:${PASSWORD}`);

  /** Runs the check against a request with `authorization`, recording what it answers. */
  function run(authorization: string | undefined, method = 'GET') {
    const req = { method, headers: authorization === undefined ? {} : { authorization } } as unknown as IncomingMessage;
    const sent: { status?: number; headers?: Record<string, unknown>; body?: unknown } = {};
    const res = {
      writeHead(status: number, headers: Record<string, unknown>) {
        sent.status = status;
        sent.headers = headers;
        return this;
      },
      end(body?: unknown) {
        sent.body = body;
        return this;
      },
    } as unknown as ServerResponse;
    return { allowed: check(req, res), sent };
  }

  beforeEach(() => {
    compare.mockClear();
  });

  it.each([
    ['the right credentials', RIGHT, true],
    ['a 10 KB wrong password', basic(`${USER}:${'x'.repeat(10_240)}`), false],
    ['a one-character password', basic(`${USER}:x`), false],
    ['empty credentials', basic(''), false],
    ['the right credentials twice over', basic(`${USER}:${PASSWORD}${USER}:${PASSWORD}`), false],
  ])('%s: one comparison of two 32-byte digests', (_name, authorization, expected) => {
    const { allowed, sent } = run(authorization);

    expect(allowed).toBe(expected);
    expect(sent.status).toBe(expected ? undefined : 401);
    expect(compare).toHaveBeenCalledTimes(1);
    const [given, wanted] = compare.mock.calls[0]!;
    expect(given.byteLength).toBe(32);
    expect(wanted.byteLength).toBe(32);
    // The raw password never reaches the comparison.
    expect(Buffer.from(given as Uint8Array).includes(PASSWORD)).toBe(false);
    expect(Buffer.from(wanted as Uint8Array).includes(PASSWORD)).toBe(false);
  });

  it('a 401 carries the challenge and, for HEAD, no body', () => {
    const get = run(undefined);
    const head = run(undefined, 'HEAD');

    expect(get.sent.status).toBe(401);
    expect(get.sent.headers?.['WWW-Authenticate']).toMatch(/^Basic realm="tiny-serve"/);
    expect(String(get.sent.body)).toContain('401');
    expect(head.sent.status).toBe(401);
    expect(head.sent.body).toBeUndefined();
  });
});

describe('CLI: --auth and TINY_SERVE_AUTH (built bundle)', () => {
  const SECRET = 'secretpw';
  const CREDENTIALS = `user:${SECRET}`;
  const AUTHORIZATION = basic(CREDENTIALS);

  afterEach(async () => {
    await stopAll();
  });

  it.each([
    ['--auth', ['--auth', CREDENTIALS], {}],
    ['TINY_SERVE_AUTH', [], { TINY_SERVE_AUTH: CREDENTIALS }],
  ])('%s requires auth, says so, and never prints the password', async (_name, args: string[], env: Record<string, string>) => {
    const cli = startCli([SITE, '-p', '0', ...args], { env });
    const port = await cli.port();
    expect(cli.stdout).toContain('basic auth on');

    const unauthenticated = await httpGet('127.0.0.1', port, '/hello.txt');
    const missing = await httpGet('127.0.0.1', port, '/missing.txt');
    const authenticated = await rawRequest(port, '/hello.txt', { headers: { Authorization: AUTHORIZATION } });
    const wrong = await rawRequest(port, '/hello.txt', { headers: { Authorization: basic(`user:${SECRET}x`) } });

    expect(unauthenticated.status).toBe(401);
    expect(missing.status).toBe(401);
    expect(authenticated.status).toBe(200);
    expect(authenticated.body.toString()).toBe(HELLO);
    expect(wrong.status).toBe(401);
    // The request log ends each response with a line; wait for all four before reading the output.
    await cli.waitForOutput(/(GET \/\S+ \d{3} [^]*){4}/);
    const output = cli.stdout + cli.stderr;
    expect(linesOf(cli.stdout).filter((line) => / GET \/hello\.txt 401 /.test(line))).toHaveLength(2);
    expect(linesOf(cli.stdout).filter((line) => / GET \/hello\.txt 200 /.test(line))).toHaveLength(1);
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain(AUTHORIZATION.slice('Basic '.length));
    expect(cli.stderr).toBe('');
  });

  it('--auth wins over TINY_SERVE_AUTH', async () => {
    const cli = startCli([SITE, '-p', '0', '--auth', CREDENTIALS], { env: { TINY_SERVE_AUTH: 'other:password' } });
    const port = await cli.port();

    const flag = await rawRequest(port, '/hello.txt', { headers: { Authorization: AUTHORIZATION } });
    const env = await rawRequest(port, '/hello.txt', { headers: { Authorization: basic('other:password') } });
    expect(flag.status).toBe(200);
    expect(env.status).toBe(401);
  });

  it('without --auth or TINY_SERVE_AUTH, no auth is asked for', async () => {
    const cli = startCli([SITE, '-p', '0'], { env: { TINY_SERVE_AUTH: '' } });
    const port = await cli.port();

    expect((await httpGet('127.0.0.1', port, '/hello.txt')).status).toBe(200);
    expect(cli.stdout).not.toContain('basic auth on');
  });

  it.each([
    ['--auth nocolon', ['--auth', 'nocolon'], {}],
    ['--auth user:', ['--auth', 'user:'], {}],
    ['TINY_SERVE_AUTH=nocolon', [], { TINY_SERVE_AUTH: 'nocolon' }],
  ])('%s exits 1 with one stderr line', async (_name, args: string[], env: Record<string, string>) => {
    const result = await runCli([SITE, '-p', '0', ...args], { env });

    expect(result.code).toBe(1);
    expect(linesOf(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/^tiny-serve: .*user:password/);
    expect(result.stdout).not.toContain('Local:');
  });
});
