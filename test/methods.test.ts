// Methods: GET/HEAD served, OPTIONS (path and `*`) → 204 + Allow, everything else → 405 + Allow, and
// HEAD answering with exactly the status and headers GET would (RFC 9110 §9.3.2, §9.3.7, §15.5.6).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { IncomingHttpHeaders } from 'node:http';
import { exchange, rawRequest, SITE, startServer, type TestServer } from './helpers.js';
import { serve } from '../src/server/serve.js';

const ALLOW = 'GET, HEAD, OPTIONS';

let site: TestServer;
beforeAll(async () => {
  site = await startServer();
});
afterAll(async () => {
  await site.close();
});

/** Every response header except Date, which may legitimately differ between two responses. */
function withoutDate(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { date: _date, ...rest } = headers;
  return rest;
}

describe('GET and HEAD', () => {
  it.each(['/hello.txt', '/', '/index.html', '/assets/doc.pdf'])('GET %s → 200 with the file', async (path) => {
    const res = await rawRequest(site.port, path);
    expect(res.status).toBe(200);
    expect(res.body.length).toBeGreaterThan(0);
  });

  it.each(['/hello.txt', '/', '/assets/doc.pdf'])('HEAD %s → 200 with no body', async (path) => {
    const res = await rawRequest(site.port, path, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(0);
  });
});

describe('CONNECT', () => {
  // node:http hands CONNECT to a separate event and, when nothing listens, closes without a word:
  // tiny-serve's servers (serve() and the CLI) listen.
  it('answers 405 with Allow, like every other method it does not implement', async () => {
    const served = await serve({ root: SITE, host: '127.0.0.1' });
    const { head, body } = await exchange(served.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n').finally(() => served.close());
    expect(head).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(head).toContain(`\r\nAllow: ${ALLOW}\r\n`);
    expect(head).toContain("\r\nContent-Security-Policy: default-src 'none'\r\n");
    expect(Number(/\r\nContent-Length: (\d+)/.exec(head)?.[1])).toBe(body.length);
  });
});

describe('OPTIONS', () => {
  it.each(['/', '/hello.txt', '/no-such-file', '/nested'])('OPTIONS %s → 204 with Allow', async (path) => {
    const res = await rawRequest(site.port, path, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.allow).toBe(ALLOW);
    expect(res.body.length).toBe(0);
  });

  it('OPTIONS * (asterisk-form, RFC 9112 §3.2.4) → 204 with Allow', async () => {
    const res = await rawRequest(site.port, '*', { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.allow).toBe(ALLOW);
    expect(res.body.length).toBe(0);
  });

  it('OPTIONS through supertest agrees', async () => {
    const res = await request(site.url).options('/hello.txt');
    expect(res.status).toBe(204);
    expect(res.headers.allow).toBe(ALLOW);
  });
});

describe('methods other than GET, HEAD and OPTIONS', () => {
  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'PROPFIND', 'MKCOL', 'TRACE'])(
    '%s on an existing file → 405 with Allow',
    async (method) => {
      const res = await rawRequest(site.port, '/hello.txt', { method });
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe(ALLOW);
      // Never the file's content: a 405 is the built-in error page.
      expect(res.body.toString()).not.toContain('hello, world');
      expect(res.headers['content-length']).toBe(String(res.body.length));
    },
  );

  it.each(['POST', 'PUT', 'DELETE', 'PROPFIND'])('%s on a missing path → 405, not 404', async (method) => {
    const res = await rawRequest(site.port, '/no-such-file', { method });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe(ALLOW);
  });

  it.each([
    ['post', () => request(site.url).post('/hello.txt').send('payload')],
    ['put', () => request(site.url).put('/hello.txt').send('payload')],
    ['delete', () => request(site.url).delete('/hello.txt')],
    ['patch', () => request(site.url).patch('/hello.txt').send({ a: 1 })],
  ])('supertest %s with a body → 405 with Allow', async (_name, send) => {
    const res = await send();
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe(ALLOW);
  });
});

describe('HEAD parity with GET', () => {
  it.each([
    ['an html file', '/index.html', {}, 200],
    ['the root index', '/', {}, 200],
    ['a text file', '/hello.txt', {}, 200],
    ['an empty file', '/empty.txt', {}, 200],
    ['a binary file', '/blob.wasm', {}, 200],
    ['a missing file (custom 404 page)', '/no-such-file.txt', {}, 404],
    ['a directory without slash (redirect)', '/nested', {}, 301],
    ['a malformed target', '/%E0%A4%A', {}, 400],
  ] as const)('%s: same status and headers, empty body', async (_name, path, headers, status) => {
    const get = await rawRequest(site.port, path, { headers });
    const head = await rawRequest(site.port, path, { method: 'HEAD', headers });
    expect(get.status).toBe(status);
    expect(head.status).toBe(status);
    expect(withoutDate(head.headers)).toEqual(withoutDate(get.headers));
    expect(head.body.length).toBe(0);
  });

  it('a 304: same status and headers, empty body', async () => {
    const first = await rawRequest(site.port, '/hello.txt');
    const etag = first.headers.etag;
    expect(etag).toBeDefined();
    const get = await rawRequest(site.port, '/hello.txt', { headers: { 'If-None-Match': etag! } });
    const head = await rawRequest(site.port, '/hello.txt', { method: 'HEAD', headers: { 'If-None-Match': etag! } });
    expect(get.status).toBe(304);
    expect(head.status).toBe(304);
    expect(withoutDate(head.headers)).toEqual(withoutDate(get.headers));
    expect(get.body.length).toBe(0);
    expect(head.body.length).toBe(0);
  });

  it.each(['/hello.txt', '/index.html', '/empty.txt', '/blob.wasm', '/assets/doc.pdf'])(
    'HEAD %s reports the Content-Length GET delivers',
    async (path) => {
      const size = statSync(join(SITE, path)).size;
      const get = await rawRequest(site.port, path);
      const head = await rawRequest(site.port, path, { method: 'HEAD' });
      expect(get.body.length).toBe(size);
      expect(head.headers['content-length']).toBe(String(size));
      expect(head.headers['content-length']).toBe(get.headers['content-length']);
    },
  );
});
