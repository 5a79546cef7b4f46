// The proxy with TLS on either side: HTTP/2 clients reaching HTTP/1.1 backends (hop-by-hop fields
// never reach an h2 response), WebSocket tunnels on an HTTPS port (HTTP/1.1 and the HTTP/1.1 side of
// an HTTP/2 port), and https targets with a self-signed certificate, refused unless `secure: false`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { connect as h2Connect, type ClientHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { serve, type ServeHandle, type ServeOptions } from '../src/server/serve.js';
import { SERVER_LIMITS } from '../src/server/server.js';
import { SITE, makeCertificates, rawRequest, waitFor, type Certificates, type RawResponse } from './helpers.js';
import { delay } from './cli-helpers.js';
import { startBackend, startEcho, startWebSocketBackend, textFrame, cleanupsPerTest } from './proxy-backends.js';

const HOST = '127.0.0.1';
let certs: Certificates;
let ca: Buffer;
beforeAll(() => {
  certs = makeCertificates();
  ca = readFileSync(certs.cert);
});
afterAll(() => certs.cleanup());

const { cleanups, backend } = cleanupsPerTest();

async function serveTls(options: Partial<ServeOptions>): Promise<ServeHandle> {
  const handle = await serve({ root: SITE, host: HOST, port: 0, sslCert: certs.cert, sslKey: certs.key, ...options });
  cleanups.push(() => handle.close());
  return handle;
}

function openSession(url: string): Promise<ClientHttp2Session> {
  return new Promise((done, fail) => {
    const session = h2Connect(url, { ca });
    cleanups.push(() => void session.destroy());
    session.once('error', fail);
    session.once('connect', () => done(session));
  });
}

/** One request over HTTP/2, with an optional body. */
function h2Request(session: ClientHttp2Session, method: string, path: string, body?: Buffer): Promise<RawResponse> {
  return new Promise((done, fail) => {
    const stream = session.request({ ':method': method, ':path': path, cookie: 'a=1', 'x-client': 'h2' });
    const chunks: Buffer[] = [];
    let head: { status: number; headers: RawResponse['headers'] } | undefined;
    stream.once('response', ({ ':status': status, ...headers }) => (head = { status: status ?? 0, headers }));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => done({ ...head!, body: Buffer.concat(chunks) }));
    stream.once('error', fail);
    stream.end(body);
  });
}

describe('HTTP/2 clients', () => {
  it('reach an HTTP/1.1 backend: no pseudo-headers upstream, no connection-specific fields back', async () => {
    const echo = await backend(startEcho());
    const site = await serveTls({ proxy: [{ prefix: '/api', target: echo.url }] });
    const session = await openSession(site.url);
    const got = await h2Request(session, 'GET', '/api/x?y=1');
    expect(got.status).toBe(200);
    const seen = JSON.parse(got.body.toString());
    expect(seen.url).toBe('/api/x?y=1');
    expect(seen.headers).toMatchObject({ host: `127.0.0.1:${echo.port}`, 'x-forwarded-proto': 'https', 'x-forwarded-host': `127.0.0.1:${site.port}`, cookie: 'a=1', 'x-client': 'h2' });
    expect(Object.keys(seen.headers).filter((name) => name.startsWith(':'))).toEqual([]);
    const posted = await h2Request(session, 'POST', '/api/upload', Buffer.alloc(300_000, 1));
    expect(JSON.parse(posted.body.toString())).toMatchObject({ method: 'POST', bytes: 300_000 });
  });

  it('get a chunked keep-alive answer (Transfer-Encoding, Connection, Keep-Alive upstream) as a clean h2 response', async () => {
    const chunked = await backend(
      startBackend((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain', Connection: 'keep-alive', 'Keep-Alive': 'timeout=5' });
        res.write('one,');
        res.end('two');
      }),
    );
    const site = await serveTls({ proxy: [{ prefix: '/api', target: chunked.url }] });
    const got = await h2Request(await openSession(site.url), 'GET', '/api/chunks');
    expect(got.status).toBe(200);
    expect(got.body.toString()).toBe('one,two');
    for (const name of ['connection', 'keep-alive', 'transfer-encoding']) expect(got.headers).not.toHaveProperty(name);
  });
});

/** A WebSocket handshake over TLS offering HTTP/1.1; resolves with the head of the answer and a reader of what follows. */
function openTlsWebSocket(port: number, path: string): Promise<{ head: string; rest: () => Buffer; write(text: string): void }> {
  return new Promise((done, fail) => {
    const socket = tlsConnect({ host: HOST, port, ca, servername: 'localhost', ALPNProtocols: ['http/1.1'] }, () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      ),
    );
    cleanups.push(() => void socket.destroy());
    let received = Buffer.alloc(0);
    socket.on('error', fail);
    socket.on('data', (chunk: Buffer) => {
      const first = received.indexOf('\r\n\r\n') === -1;
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (first && end !== -1) {
        done({ head: received.subarray(0, end).toString('latin1'), rest: () => received.subarray(end + 4), write: (text) => socket.write(text) });
      }
    });
  });
}

describe('WebSocket on an HTTPS port', () => {
  it.each([
    ['HTTP/1.1 only', false],
    ['the HTTP/1.1 side of an HTTP/2 port', true],
  ])('is tunnelled (%s)', async (_name, http2) => {
    const ws = await backend(startWebSocketBackend());
    const site = await serveTls({ http2, proxy: [{ prefix: '/hmr', target: ws.url }] });
    const client = await openTlsWebSocket(site.port, '/hmr');
    expect(client.head).toMatch(/^HTTP\/1\.1 101/);
    expect(await waitFor(() => client.rest().equals(textFrame('hello')), 2_000)).toBe(true);
    client.write('echo me');
    expect(await waitFor(() => client.rest().toString().endsWith('echo me'), 2_000)).toBe(true);
  });
});

describe('a tunnel on the HTTP/1.1 side of an HTTP/2 port', () => {
  it('outlives the timer that closes connections without a request head', async () => {
    const ws = await backend(startWebSocketBackend());
    const site = await serveTls({ http2: true, proxy: [{ prefix: '/hmr', target: ws.url }] });
    const client = await openTlsWebSocket(site.port, '/hmr');
    expect(client.head).toMatch(/^HTTP\/1\.1 101/);
    await delay(SERVER_LIMITS.headersTimeout + 1_000);
    client.write('still here');
    expect(await waitFor(() => client.rest().toString().endsWith('still here'), 2_000)).toBe(true);
  }, SERVER_LIMITS.headersTimeout + 10_000);
});

describe('https targets', () => {
  async function selfSignedBackend(): Promise<string> {
    const server = createHttpsServer({ cert: readFileSync(certs.cert), key: readFileSync(certs.key) }, (_req, res) => res.end('secret backend'));
    await new Promise<void>((done) => server.listen(0, HOST, done));
    cleanups.push(
      () =>
        new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
    );
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('a self-signed certificate is refused by default (502 naming the target)', async () => {
    const target = await selfSignedBackend();
    const site = await serve({ root: SITE, host: HOST, port: 0, proxy: [{ prefix: '/api', target }] });
    cleanups.push(() => site.close());
    const res = await rawRequest(site.port, '/api/x');
    expect(res.status).toBe(502);
    expect(res.body.toString()).toContain(target);
  });

  it('and accepted with secure: false', async () => {
    const target = await selfSignedBackend();
    const site = await serve({ root: SITE, host: HOST, port: 0, proxy: [{ prefix: '/api', target, secure: false }] });
    cleanups.push(() => site.close());
    const res = await rawRequest(site.port, '/api/x');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('secret backend');
  });
});
