// HTTPS and HTTP/2: every feature answered alike over h2 and over HTTP/1.1 on TLS, live reload's stream on
// both, `http2: false`, aborted h2 downloads, graceful close, the HTTP/1.1 fallback's limits, and the CLI's
// TLS flags (banner, --no-http2, .p12, config file) with one line for each bad certificate, key or passphrase.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Http2ServerResponse, connect as h2Connect, constants as http2Constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { Agent, Server as HttpsServer, request as httpsRequest, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { serve, type ServeHandle, type ServeOptions } from '../src/server/serve.js';
import { HTTP2_MAX_STREAMS, SERVER_LIMITS } from '../src/server/server.js';
import { EVENTS_PATH } from '../src/features/live-reload.js';
import { SITE, collect, copySite, decoded, makeCertificates, openDescriptorsOf, waitFor, type Certificates, type RawResponse } from './helpers.js';
import { delay, linesOf, runCli, startCli, stopAll } from './cli-helpers.js';

const MiB = 1024 * 1024;
const HOST = '127.0.0.1';
/** A stack trace line, which a one-line CLI error must never print. */
const STACK_LINE = /^\s+at /m;

let certs: Certificates;
/** The self-signed certificate, trusted by every client here (no rejectUnauthorized: false). */
let ca: Buffer;

beforeAll(() => {
  certs = makeCertificates();
  ca = readFileSync(certs.cert);
});
afterAll(() => certs.cleanup());

/** Cleanups registered by each test, run after it (last registered first) even when it fails. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await stopAll();
});

/** `serve` over TLS on an ephemeral loopback port with the test certificate; closed after the test. */
async function serveTls(options: Partial<ServeOptions> = {}): Promise<ServeHandle> {
  const handle = await serve({ root: SITE, host: HOST, port: 0, sslCert: certs.cert, sslKey: certs.key, ...options });
  cleanups.push(() => handle.close());
  return handle;
}

/** A private copy of the fixture site, removed after the test. */
function siteCopy(): string {
  const site = copySite();
  cleanups.push(site.cleanup);
  return site.root;
}

/** Serves a site copy holding `/big.bin` (`bytes` bytes of `fill`) over TLS; returns the server and the file's path. */
async function serveBigFile(bytes: number, fill: number): Promise<{ handle: ServeHandle; big: string }> {
  const root = siteCopy();
  const big = join(root, 'big.bin');
  writeFileSync(big, Buffer.alloc(bytes, fill));
  return { handle: await serveTls({ root }), big };
}

/** An HTTP/2 session (ALPN offers only h2) trusting the test certificate; destroyed after the test. */
function openSession(url: string): Promise<ClientHttp2Session> {
  return new Promise((done, fail) => {
    const session = h2Connect(url, { ca });
    cleanups.push(() => void session.destroy());
    session.once('error', fail);
    session.once('connect', () => {
      session.off('error', fail);
      session.on('error', () => {}); // a failing session also fails its streams, which the tests await
      done(session);
    });
  });
}

interface Ask {
  method?: string;
  path: string;
  headers?: Record<string, string>;
}

/** Starts a request on an HTTP/2 session; resolves with the stream once the response head arrives. */
function h2Start(session: ClientHttp2Session, { method = 'GET', path, headers = {} }: Ask): Promise<{ stream: ClientHttp2Stream; status: number; headers: RawResponse['headers'] }> {
  return new Promise((done, fail) => {
    const stream = session.request({ ':method': method, ':path': path, ...headers });
    stream.once('error', fail);
    stream.once('response', ({ ':status': status, ...rest }) => done({ stream, status: status ?? 0, headers: rest }));
    stream.end();
  });
}

/** One whole request over HTTP/2. */
async function h2Get(session: ClientHttp2Session, ask: Ask): Promise<RawResponse> {
  const { stream, status, headers } = await h2Start(session, ask);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return { status, headers, body: Buffer.concat(chunks) };
}

/** Starts an HTTPS request offering only HTTP/1.1 by ALPN; resolves once the response head arrives. */
function h1Start(port: number, { method = 'GET', path, headers = {} }: Ask, agent: Agent | false = false): Promise<IncomingMessage> {
  return new Promise((done, fail) => {
    // https passes ALPNProtocols on to tls.connect, though its RequestOptions type leaves it out.
    const options: RequestOptions & Pick<ConnectionOptions, 'ALPNProtocols'> = { host: HOST, port, path, method, headers, ca, ALPNProtocols: ['http/1.1'], agent };
    const req = httpsRequest(options, done);
    cleanups.push(() => void req.destroy());
    req.once('error', fail);
    req.end();
  });
}

/** One whole request over HTTP/1.1 on TLS (a connection of its own unless `agent` keeps one alive). */
async function h1Get(port: number, ask: Ask, agent: Agent | false = false): Promise<RawResponse & { httpVersion: string; alpn: string | false | null }> {
  const res = await h1Start(port, ask, agent);
  const alpn = (res.socket as TLSSocket).alpnProtocol;
  return { ...(await collect(res)), httpVersion: res.httpVersion, alpn };
}

describe('every feature answers the same over HTTP/2 and HTTP/1.1', () => {
  /** Headers whose values must match between the two protocols (Date and connection framing aside). */
  const COMPARED = ['content-type', 'content-length', 'content-range', 'content-encoding', 'etag', 'vary', 'cache-control', 'location', 'allow'];
  const pick = (headers: RawResponse['headers']): Record<string, unknown> => Object.fromEntries(COMPARED.map((name) => [name, headers[name]]));
  const file = (path: string): Buffer => readFileSync(join(SITE, path));
  const withoutDate = (headers: RawResponse['headers']): RawResponse['headers'] => Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'date'));

  interface Case extends Ask {
    name: string;
    status: number;
    /** Serve with `single: true`. */
    spa?: boolean;
    /** Send If-None-Match with the ETag of a plain GET first. */
    revalidate?: boolean;
    /** Header values both responses must carry. */
    shows?: Record<string, unknown>;
    /** The fixture file the decoded body must equal. */
    body?: string;
  }

  const typed = (pattern: RegExp): Record<string, unknown> => ({ 'content-type': expect.stringMatching(pattern) });
  const CASES: Case[] = [
    { name: 'GET a file', path: '/hello.txt', status: 200, body: 'hello.txt', shows: typed(/^text\/plain/) },
    { name: 'HEAD', method: 'HEAD', path: '/assets/lorem.txt', status: 200, shows: { 'content-length': '19345' } },
    { name: 'a single range', path: '/assets/lorem.txt', headers: { range: 'bytes=100-199' }, status: 206, shows: { 'content-range': 'bytes 100-199/19345' } },
    { name: 'several ranges (multipart)', path: '/assets/lorem.txt', headers: { range: 'bytes=0-9,500-509,-20' }, status: 206, shows: typed(/^multipart\/byteranges; boundary=/) },
    { name: 'an unsatisfiable range', path: '/hello.txt', headers: { range: 'bytes=999-' }, status: 416, shows: { 'content-range': 'bytes */13' } },
    { name: 'If-None-Match with the current ETag', path: '/hello.txt', revalidate: true, status: 304 },
    { name: 'If-Match with another ETag', path: '/hello.txt', headers: { 'if-match': '"not-this-one"' }, status: 412 },
    { name: 'br, compressed on the fly', path: '/assets/lorem.txt', headers: { 'accept-encoding': 'br' }, status: 200, shows: { 'content-encoding': 'br' }, body: 'assets/lorem.txt' },
    { name: 'gzip, compressed on the fly', path: '/assets/lorem.txt', headers: { 'accept-encoding': 'gzip' }, status: 200, shows: { 'content-encoding': 'gzip' }, body: 'assets/lorem.txt' },
    { name: 'br, precompressed', path: '/assets/pre.css', headers: { 'accept-encoding': 'br, gzip' }, status: 200, shows: { 'content-encoding': 'br' }, body: 'assets/pre.css' },
    { name: 'gzip, precompressed', path: '/assets/pre.css', headers: { 'accept-encoding': 'gzip' }, status: 200, shows: { 'content-encoding': 'gzip' }, body: 'assets/pre.css' },
    { name: 'an encoded file asked for by name', path: '/unity/Build/game.wasm.br', headers: { 'accept-encoding': 'br' }, status: 200, shows: { 'content-encoding': 'br', 'content-type': 'application/wasm' } },
    { name: 'a directory listing (HTML)', path: '/no-index/', status: 200, shows: typed(/^text\/html/) },
    { name: 'a directory listing (JSON)', path: '/no-index/', headers: { accept: 'application/json' }, status: 200, shows: typed(/^application\/json/) },
    { name: 'the SPA fallback', path: '/some/client/route', headers: { accept: 'text/html' }, spa: true, status: 200, body: 'index.html' },
    { name: 'a missing file', path: '/missing.txt', status: 404 },
    { name: 'a directory without its slash', path: '/nested', status: 301, shows: { location: '/nested/' } },
    { name: 'POST', method: 'POST', path: '/hello.txt', status: 405, shows: { allow: expect.stringContaining('GET') } },
  ];

  it.each(CASES.map((row) => [row.name, row] as const))('%s', async (_name, { name: _, spa = false, revalidate = false, status, shows = {}, body, ...ask }) => {
    const handle = await serveTls({ single: spa });
    const session = await openSession(handle.url);
    if (revalidate) {
      const { headers } = await h1Get(handle.port, { path: ask.path });
      ask.headers = { ...ask.headers, 'if-none-match': headers.etag! };
    }

    const overH2 = await h2Get(session, ask);
    // Asked again: what the answer cache kept, if it kept it, is written on the core stream (h2-streams.ts).
    const again = await h2Get(session, ask);
    const overH1 = await h1Get(handle.port, ask);

    expect(session.alpnProtocol).toBe('h2');
    expect([overH1.httpVersion, overH1.alpn]).toEqual(['1.1', 'http/1.1']);
    expect([overH2.status, again.status, overH1.status]).toEqual([status, status, status]);
    expect(pick(overH2.headers)).toEqual(pick(overH1.headers));
    expect(overH2.body.equals(overH1.body)).toBe(true);
    expect(withoutDate(again.headers)).toEqual(withoutDate(overH2.headers));
    expect(again.body.equals(overH2.body)).toBe(true);
    expect(overH2.headers).toMatchObject(shows);
    if (body !== undefined) expect(decoded(overH2).equals(file(body))).toBe(true);
    if (ask.method === 'HEAD' || status === 304) expect(overH2.body.length).toBe(0);
    else expect(overH2.body.length).toBeGreaterThan(0);
  });
});

describe('live reload over HTTPS', () => {
  /** Everything received on an event stream so far. */
  function follow(readable: Readable): () => string {
    let text = '';
    readable.setEncoding('utf8');
    readable.on('data', (chunk: string) => (text += chunk));
    return () => text;
  }

  /** The paths named by every `change` event in an event stream's text. */
  const changedPaths = (text: string): string[] =>
    [...text.matchAll(/^event: change\ndata: (.*)$/gm)].flatMap(([, data]) => (JSON.parse(data!) as { paths: string[] }).paths);

  it('pushes a change event on an HTTP/2 stream and on an HTTP/1.1 stream', async () => {
    const root = siteCopy();
    const handle = await serveTls({ root, watch: true });
    const session = await openSession(handle.url);
    const overH2 = await h2Start(session, { path: EVENTS_PATH });
    const overH1 = await h1Start(handle.port, { path: EVENTS_PATH });
    cleanups.push(() => void overH2.stream.close());
    expect([overH2.status, overH1.statusCode]).toEqual([200, 200]);
    expect(overH2.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(overH1.headers['content-type']).toMatch(/^text\/event-stream/);
    const h2Text = follow(overH2.stream);
    const h1Text = follow(overH1);
    // The first message (retry:) means the server has registered both clients.
    expect(await waitFor(() => h2Text().includes('\n\n') && h1Text().includes('\n\n'), 3000)).toBe(true);

    writeFileSync(join(root, 'hello.txt'), 'changed over TLS\n');

    expect(await waitFor(() => changedPaths(h2Text()).includes('/hello.txt') && changedPaths(h1Text()).includes('/hello.txt'), 3000)).toBe(true);
    // close() ends both streams itself instead of waiting out its grace period for them.
    const started = Date.now();
    await handle.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('http2: false', () => {
  it('serves HTTP/1.1 on TLS and refuses a client that speaks only h2', async () => {
    const handle = await serveTls({ http2: false });

    expect(handle.server).toBeInstanceOf(HttpsServer);
    const res = await h1Get(handle.port, { path: '/hello.txt' });
    expect([res.status, res.httpVersion, res.alpn]).toEqual([200, '1.1', 'http/1.1']);
    expect(res.body.toString()).toBe('hello, world\n');
    await expect(openSession(handle.url)).rejects.toMatchObject({ code: 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL' });
  });

  it('is on by default: the server is an HTTP/2 server', async () => {
    const handle = await serveTls();
    expect(handle.server).not.toBeInstanceOf(HttpsServer);
    expect((await openSession(handle.url)).alpnProtocol).toBe('h2');
  });
});

describe('HTTP/2 downloads', () => {
  it.each([
    ['the stream is cancelled', (stream: ClientHttp2Stream) => stream.close(http2Constants.NGHTTP2_CANCEL)],
    ['the connection is dropped', (stream: ClientHttp2Stream) => stream.session?.destroy()],
  ])('close the file descriptor when %s mid-download', async (_name, abort) => {
    const { handle, big } = await serveBigFile(8 * MiB, 7);
    const session = await openSession(handle.url);

    const { stream, status } = await h2Start(session, { path: '/big.bin' });
    stream.on('error', () => {});
    // Read one chunk, then stop: flow control stalls the server with the file open.
    await new Promise<void>((done) => stream.once('data', () => done(void stream.pause())));
    expect(status).toBe(200);
    expect(openDescriptorsOf(big)).toBe(1);
    abort(stream);

    expect(await waitFor(() => openDescriptorsOf(big) === 0, 3000)).toBe(true);
  });
});

describe('HTTP/2 downloads side by side', () => {
  // Read buffers are used again once a stream has taken their bytes, and an HTTP/2 stream holds on
  // to what it was given until flow control lets it out: nothing may be handed on before that.
  it('send every stream its own bytes while the others are stalled by flow control', async () => {
    const root = siteCopy();
    const contents = Array.from({ length: 4 }, (_, index) => {
      const bytes = randomBytes(4 * MiB + index * 1000);
      writeFileSync(join(root, `part-${index}.bin`), bytes);
      return bytes;
    });
    const handle = await serveTls({ root });
    const session = await openSession(handle.url);
    const started = await Promise.all(contents.map((_, index) => h2Start(session, { path: `/part-${index}.bin` })));
    for (const { stream } of started) stream.pause();
    // One at a time: while one is read, every other stream is stalled with bytes queued.
    const wrong: number[] = [];
    for (const [index, { stream }] of started.entries()) {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      if (!Buffer.concat(chunks).equals(contents[index]!)) wrong.push(index);
    }
    expect(wrong).toEqual([]);
  });
});

describe('HTTP/2 streams reset at once', () => {
  it('never leave the file open when the reset comes before the file is', async () => {
    const { handle, big } = await serveBigFile(2 * MiB, 5);
    const session = await openSession(handle.url);

    const closed = Array.from({ length: 50 }, () => {
      const stream = session.request({ ':path': '/big.bin' });
      stream.on('error', () => {});
      stream.close(http2Constants.NGHTTP2_CANCEL);
      return new Promise((done) => stream.once('close', done));
    });
    await Promise.all(closed);
    // Opening the file takes a moment: give every request time to reach that point.
    await delay(500);

    expect(openDescriptorsOf(big)).toBe(0);
    expect((await h2Get(session, { path: '/hello.txt' })).status).toBe(200);
  });
});

describe('HTTP/2 answers from memory', () => {
  /** Response headers both protocols send, with the values they must share (framing and Date aside). */
  const shared = (headers: RawResponse['headers']): RawResponse['headers'] =>
    Object.fromEntries(Object.entries(headers).filter(([name]) => !['date', 'connection', 'keep-alive'].includes(name)));

  it('a request whose answer is kept skips the compatibility layer, and gets the answer the pipeline gave', async () => {
    const handle = await serveTls();
    const session = await openSession(handle.url);
    const throughPipeline = vi.spyOn(Http2ServerResponse.prototype, 'writeHead');
    cleanups.push(() => throughPipeline.mockRestore());

    const first = await h2Get(session, { path: '/hello.txt' });
    const kept = await h2Get(session, { path: '/hello.txt' });
    const revalidated = await h2Get(session, { path: '/hello.txt', headers: { 'if-none-match': String(first.headers.etag) } });
    const head = await h2Get(session, { method: 'HEAD', path: '/hello.txt' });
    const missing = [await h2Get(session, { path: '/missing.txt' }), await h2Get(session, { path: '/missing.txt' })];

    expect(throughPipeline).toHaveBeenCalledTimes(2);
    expect([kept.status, revalidated.status, head.status, missing[1]!.status]).toEqual([200, 304, 200, 404]);
    expect(shared(kept.headers)).toEqual(shared(first.headers));
    expect(kept.body.toString()).toBe('hello, world\n');
    expect(shared(head.headers)).toEqual(shared(first.headers));
    expect([head.body.length, revalidated.body.length]).toEqual([0, 0]);
    expect(revalidated.headers.etag).toBe(first.headers.etag);
    expect(shared(missing[1]!.headers)).toEqual(shared(missing[0]!.headers));
    expect(missing[1]!.body.equals(missing[0]!.body)).toBe(true);
  });

  it("leaves every request to the compatibility layer while a 'request' listener of the caller's is on", async () => {
    const handle = await serveTls();
    const session = await openSession(handle.url);
    const seen: string[] = [];
    const listener = (req: IncomingMessage): void => void seen.push(`${req.httpVersion} ${req.url}`);
    handle.server.on('request', listener);

    for (let asked = 0; asked < 3; asked += 1) await h2Get(session, { path: '/hello.txt' });

    expect(seen).toEqual(['2.0 /hello.txt', '2.0 /hello.txt', '2.0 /hello.txt']);
  });

  it.each<[string, Partial<ServeOptions>, string]>([
    ['CORS', { cors: true }, '/hello.txt'],
    ['--header', { header: ['X-Served-By: tiny-serve'] }, '/hello.txt'],
    ['a header rule', { headers: [{ source: '/hello.txt', headers: [{ key: 'Cache-Control', value: 'max-age=60' }, { key: 'X-Content-Type-Options', value: null }] }] }, '/hello.txt'],
    ['a base path', { base: '/repo/' }, '/repo/hello.txt'],
    ['a missing file with CORS', { cors: true }, '/missing.txt'],
  ])('%s: a kept answer and its 304 carry the headers HTTP/1.1 gets', async (_name, options, path) => {
    const handle = await serveTls(options);
    const session = await openSession(handle.url);
    await h2Get(session, { path });
    const overH2 = await h2Get(session, { path });
    const overH1 = await h1Get(handle.port, { path });
    const validator = { 'if-none-match': String(overH1.headers.etag) };
    const revalidatedH2 = await h2Get(session, { path, headers: validator });
    const revalidatedH1 = await h1Get(handle.port, { path, headers: validator });

    expect(shared(overH2.headers)).toEqual(shared(overH1.headers));
    expect(overH2.body.equals(overH1.body)).toBe(true);
    expect([revalidatedH2.status, revalidatedH2.status]).toEqual([revalidatedH1.status, revalidatedH1.status]);
    expect(shared(revalidatedH2.headers)).toEqual(shared(revalidatedH1.headers));
  });

  it('never answers from memory a file changed on disk', async () => {
    const root = siteCopy();
    const handle = await serveTls({ root });
    const session = await openSession(handle.url);
    const seen: string[] = [];
    for (let edit = 1; edit <= 5; edit += 1) {
      await h2Get(session, { path: '/hello.txt' });
      await h2Get(session, { path: '/hello.txt' });
      writeFileSync(join(root, 'hello.txt'), `edit ${edit}\n`);
      seen.push((await h2Get(session, { path: '/hello.txt' })).body.toString());
    }
    expect(seen).toEqual(['edit 1\n', 'edit 2\n', 'edit 3\n', 'edit 4\n', 'edit 5\n']);
  });

  it('survives streams reset with an error code while their answers are written', async () => {
    const handle = await serveTls();
    const session = await openSession(handle.url);
    await h2Get(session, { path: '/hello.txt' });
    const errors: unknown[] = [];
    const record = (error: unknown): void => void errors.push(error);
    process.on('uncaughtException', record);
    cleanups.push(() => void process.off('uncaughtException', record));

    // The reset goes out with the request (the server sees both in one read) or once the answer starts.
    const closed = Array.from({ length: 50 }, (_, index) => {
      const stream = session.request({ ':path': '/hello.txt' });
      stream.on('error', () => {});
      // Read: on Node 24 a client stream whose whole answer arrived before its reset closes once read.
      stream.resume();
      if (index % 2 === 0) stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR);
      else stream.once('response', () => stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR));
      return new Promise((done) => stream.once('close', done));
    });
    await Promise.all(closed);
    await delay(200);

    expect(errors).toEqual([]);
    expect((await h2Get(session, { path: '/hello.txt' })).status).toBe(200);
  });
});

describe('HTTP/2 limits', () => {
  it('answers 431 to a header list over 16 KiB, as HTTP/1.1 does', async () => {
    const handle = await serveTls();
    const session = await openSession(handle.url);
    const big = { 'x-big': 'a'.repeat(SERVER_LIMITS.maxHeaderSize) };

    expect((await h2Get(session, { path: '/hello.txt', headers: big })).status).toBe(431);
    expect((await h1Get(handle.port, { path: '/hello.txt', headers: big })).status).toBe(431);
    expect((await h2Get(session, { path: '/hello.txt', headers: { 'x-small': 'a'.repeat(1000) } })).status).toBe(200);
  });

  it(`allows ${HTTP2_MAX_STREAMS} concurrent streams per connection`, async () => {
    const handle = await serveTls();
    const session = await openSession(handle.url);
    await h2Get(session, { path: '/hello.txt' }); // the server's SETTINGS have arrived

    expect(session.remoteSettings.maxConcurrentStreams).toBe(HTTP2_MAX_STREAMS);
  });
});

describe('graceful close', () => {
  it('closes an idle HTTP/2 session and an idle HTTP/1.1 keep-alive connection at once', async () => {
    const handle = await serveTls();
    const session = await openSession(handle.url);
    expect((await h2Get(session, { path: '/hello.txt' })).status).toBe(200);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const first = await h1Start(handle.port, { path: '/hello.txt' }, agent);
    const socket = first.socket;
    await collect(first);
    const sessionClosed = new Promise((done) => session.once('close', done));
    const socketClosed = new Promise((done) => socket.once('close', done));

    const started = Date.now();
    await handle.close();

    expect(Date.now() - started).toBeLessThan(1000);
    await sessionClosed;
    await socketClosed;
  });

  it('lets a download in flight on each protocol finish', async () => {
    const { handle } = await serveBigFile(8 * MiB, 3);
    const session = await openSession(handle.url);
    const overH2 = await h2Start(session, { path: '/big.bin' });
    const overH1 = await h1Start(handle.port, { path: '/big.bin' });

    const closed = handle.close();
    const count = async (body: Readable): Promise<number> => {
      let bytes = 0;
      for await (const chunk of body) bytes += (chunk as Buffer).length;
      return bytes;
    };
    const [h2Bytes, h1Bytes] = await Promise.all([count(overH2.stream), count(overH1)]);
    await closed;

    expect([h2Bytes, h1Bytes]).toEqual([8 * MiB, 8 * MiB]);
    expect(overH1.complete).toBe(true);
  });
});

describe('the HTTP/1.1 fallback of the HTTP/2 server', () => {
  /**
   * Writes `head` on a TLS connection offering only HTTP/1.1 and resolves, once the server closes
   * it, with everything it sent and how long after the handshake it closed.
   */
  function exchangeTls(port: number, head: string): Promise<{ text: string; afterMs: number }> {
    return new Promise((done) => {
      let text = '';
      let connected = Date.now();
      const socket = tlsConnect({ host: HOST, port, ca, ALPNProtocols: ['http/1.1'] }, () => {
        connected = Date.now();
        socket.write(head);
      });
      cleanups.push(() => void socket.destroy());
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('error', () => {}); // a reset after the response still leaves `text` to check
      socket.on('close', () => done({ text, afterMs: Date.now() - connected }));
    });
  }

  it.each([
    ['a request with Host → 200', 'GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', 200],
    ['a request without Host → 400', 'GET /hello.txt HTTP/1.1\r\nConnection: close\r\n\r\n', 400],
    ['a 20 KB header → 431', `GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`, 431],
  ])('%s', async (_name, head, status) => {
    const handle = await serveTls();
    const { text } = await exchangeTls(handle.port, head);
    expect(text).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
  });

  it(
    'closes a connection whose request head never completes after headersTimeout',
    async () => {
      const handle = await serveTls();
      const { text, afterMs } = await exchangeTls(handle.port, 'GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n');
      expect(text).not.toContain('200');
      expect(afterMs).toBeGreaterThanOrEqual(SERVER_LIMITS.headersTimeout - 500);
      expect(afterMs).toBeLessThan(SERVER_LIMITS.headersTimeout + 2000);
    },
    20_000,
  );
});

describe('what is not HTTPS on the HTTPS port', () => {
  /** Writes `text` on a plain TCP connection and resolves with everything received until it closes. */
  function plainExchange(port: number, text: string): Promise<string> {
    return new Promise((done, fail) => {
      const socket = netConnect(port, HOST, () => socket.write(text));
      cleanups.push(() => void socket.destroy());
      let received = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('error', fail);
      socket.on('close', () => done(received));
    });
  }

  it.each([
    ['HTTP/2 and HTTP/1.1', true],
    ['HTTP/1.1 only', false],
  ])('plain HTTP gets a readable 400 that says to use https (%s)', async (_name, http2) => {
    const handle = await serveTls({ http2 });
    const text = await plainExchange(handle.port, 'GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toMatch(/\r\nConnection: close\r\n/);
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    expect(body).toContain('https://');
    expect(Number(/\r\nContent-Length: (\d+)/.exec(text)?.[1])).toBe(Buffer.byteLength(body, 'latin1'));
    // TLS on the same port still works.
    if (http2) expect((await h2Get(await openSession(handle.url), { path: '/hello.txt' })).status).toBe(200);
    expect((await h1Get(handle.port, { path: '/hello.txt' })).status).toBe(200);
  });

  it('a connection that never sends a byte does not hold up close()', async () => {
    const handle = await serveTls();
    const socket = netConnect(handle.port, HOST);
    cleanups.push(() => void socket.destroy());
    await new Promise((done) => socket.once('connect', done));
    const closedByServer = new Promise((done) => socket.once('close', done));
    socket.on('error', () => {});
    // Within the test's timeout, far below the 10 s a first byte may take.
    await handle.close();
    await closedByServer;
    expect(socket.destroyed).toBe(true);
  });

  it.each([
    ['HTTP/1.1 over TLS', false],
    ['the HTTP/1.1 side of the HTTP/2 server', true],
  ])('CONNECT answers 405 with Allow over %s', async (_name, http2) => {
    const handle = await serveTls({ http2 });
    const text = await new Promise<string>((done) => {
      const socket = tlsConnect({ host: HOST, port: handle.port, ca, ALPNProtocols: ['http/1.1'] }, () =>
        socket.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'),
      );
      cleanups.push(() => void socket.destroy());
      let received = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('error', () => {});
      socket.on('close', () => done(received));
    });
    expect(text).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(text).toMatch(/\r\nAllow: GET, HEAD, OPTIONS\r\n/);
  });

  it('CONNECT over HTTP/2 answers 405 with Allow', async () => {
    const handle = await serveTls();
    const session = await openSession(handle.url);
    const stream = session.request({ ':method': 'CONNECT', ':authority': 'example.com:443' });
    const headers = await new Promise<Record<string, unknown>>((done, fail) => {
      stream.once('response', done);
      stream.once('error', fail);
    });
    stream.destroy();
    expect(headers[':status']).toBe(405);
    expect(headers.allow).toBe('GET, HEAD, OPTIONS');
  });
});

describe('CLI', () => {
  it('serves HTTPS with HTTP/2 and says so', async () => {
    const cli = startCli([SITE, '--ssl-cert', certs.cert, '--ssl-key', certs.key, '-p', '0', '-H', HOST]);
    const port = await cli.port();

    expect(cli.stdout).toContain(`  Local:    https://${HOST}:${port}/\n`);
    expect(cli.stdout).toContain('HTTPS with HTTP/2');
    const session = await openSession(`https://${HOST}:${port}/`);
    const res = await h2Get(session, { path: '/hello.txt' });
    expect(session.alpnProtocol).toBe('h2');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('hello, world\n');
    expect(cli.stderr).toBe('');
  });

  it('logs each HTTP/2 response once, with the body bytes sent', async () => {
    const cli = startCli([SITE, '--ssl-cert', certs.cert, '--ssl-key', certs.key, '-p', '0', '-H', HOST]);
    const session = await openSession(`https://${HOST}:${await cli.port()}/`);
    const found = await h2Get(session, { path: '/hello.txt' });
    await h2Get(session, { path: '/hello.txt' }); // kept by now: logged all the same
    const missing = await h2Get(session, { path: '/missing' });

    await cli.waitForOutput(/GET \/missing 404/);
    expect(cli.stdout.match(new RegExp(`GET /hello.txt 200 ${found.body.length} B`, 'g'))).toHaveLength(2);
    expect(cli.stdout).toMatch(new RegExp(`GET /missing 404 ${missing.body.length} B`));
  });

  it('--no-http2 serves HTTP/1.1 only and says so', async () => {
    const cli = startCli([SITE, '--ssl-cert', certs.cert, '--ssl-key', certs.key, '--no-http2', '-p', '0', '-H', HOST]);
    const port = await cli.port();

    expect(cli.stdout).toContain('HTTPS (HTTP/1.1)');
    expect(cli.stdout).not.toContain('HTTP/2');
    expect((await h1Get(port, { path: '/hello.txt' })).status).toBe(200);
    await expect(openSession(`https://${HOST}:${port}/`)).rejects.toMatchObject({ code: 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL' });
  });

  it('serves a .p12 bundle unlocked with --ssl-pass', async () => {
    const cli = startCli([SITE, '--ssl-cert', certs.pfx, '--ssl-pass', certs.pass, '-p', '0', '-H', HOST]);
    const port = await cli.port();

    const session = await openSession(`https://${HOST}:${port}/`);
    expect((await h2Get(session, { path: '/hello.txt' })).body.toString()).toBe('hello, world\n');
  });

  it('reads sslCert, sslKey and http2 from a config file, paths relative to it', async () => {
    const config = join(certs.dir, 'tiny-serve.json');
    writeFileSync(config, JSON.stringify({ sslCert: 'cert.pem', sslKey: 'key.pem', http2: false }));
    const cli = startCli([SITE, '--config', config, '-p', '0', '-H', HOST]);
    const port = await cli.port();

    expect(cli.stdout).toContain(`  Local:    https://${HOST}:${port}/\n`);
    expect(cli.stdout).toContain('HTTPS (HTTP/1.1)');
    expect((await h1Get(port, { path: '/hello.txt' })).body.toString()).toBe('hello, world\n');
  });

  it.each([
    ['a missing certificate file', (c: Certificates) => ['--ssl-cert', join(c.dir, 'missing.pem'), '--ssl-key', c.key],
      (c: Certificates) => `cannot read --ssl-cert ${join(c.dir, 'missing.pem')}: no such file`],
    ['a missing key file', (c: Certificates) => ['--ssl-cert', c.cert, '--ssl-key', join(c.dir, 'missing.pem')],
      (c: Certificates) => `cannot read --ssl-key ${join(c.dir, 'missing.pem')}: no such file`],
    ['a key file that is not PEM', (c: Certificates) => ['--ssl-cert', c.cert, '--ssl-key', c.junk],
      (c: Certificates) => `--ssl-key ${c.junk} is not a PEM private key`],
    ['a certificate given as the key', (c: Certificates) => ['--ssl-cert', c.cert, '--ssl-key', c.cert],
      (c: Certificates) => `--ssl-key ${c.cert} holds a certificate, not a private key`],
    ['a PEM certificate without --ssl-key', (c: Certificates) => ['--ssl-cert', c.cert],
      (c: Certificates) => `--ssl-cert ${c.cert} is a PEM certificate: give its private key with --ssl-key`],
    ['the key of another certificate', (c: Certificates) => ['--ssl-cert', c.cert, '--ssl-key', c.otherKey],
      (c: Certificates) => `--ssl-key ${c.otherKey} does not belong to the certificate in --ssl-cert ${c.cert}`],
    ['an encrypted key without --ssl-pass', (c: Certificates) => ['--ssl-cert', c.cert, '--ssl-key', c.encryptedKey],
      (c: Certificates) => `--ssl-key ${c.encryptedKey} is encrypted: give a file holding its passphrase with --ssl-pass`],
    ['an encrypted key with the wrong passphrase', (c: Certificates) => ['--ssl-cert', c.cert, '--ssl-key', c.encryptedKey, '--ssl-pass', c.wrongPass],
      (c: Certificates) => `--ssl-pass ${c.wrongPass} does not decrypt --ssl-key ${c.encryptedKey}`],
    ['a .p12 bundle without --ssl-pass', (c: Certificates) => ['--ssl-cert', c.pfx],
      (c: Certificates) => `--ssl-cert ${c.pfx} is protected by a passphrase: give a file holding it with --ssl-pass`],
    ['a .p12 bundle with the wrong passphrase', (c: Certificates) => ['--ssl-cert', c.pfx, '--ssl-pass', c.wrongPass],
      (c: Certificates) => `--ssl-pass ${c.wrongPass} does not unlock --ssl-cert ${c.pfx}`],
    ['a junk file', (c: Certificates) => ['--ssl-cert', c.junk],
      (c: Certificates) => `--ssl-cert ${c.junk} is neither a PEM certificate nor a readable .pfx/.p12 bundle (`],
    ['a junk file with --ssl-key', (c: Certificates) => ['--ssl-cert', c.junk, '--ssl-key', c.key],
      (c: Certificates) => `--ssl-cert ${c.junk} is not PEM; a .pfx/.p12 bundle carries its own key, so leave out --ssl-key`],
    ['--ssl-key without --ssl-cert', (c: Certificates) => ['--ssl-key', c.key], () => '--ssl-key needs --ssl-cert'],
    ['--ssl-pass without --ssl-cert', (c: Certificates) => ['--ssl-pass', c.pass], () => '--ssl-pass needs --ssl-cert'],
    ['--ssl-cert with no value', () => ['--ssl-cert'], () => '--ssl-cert needs a value: a certificate file'],
  ])('%s: exits 1 with one line saying what is wrong', async (_name, args, message) => {
    const result = await runCli([SITE, '-p', '0', '-H', HOST, ...args(certs)]);

    expect(result.code).toBe(1);
    const lines = linesOf(result.stderr);
    expect(lines).toHaveLength(1);
    const expected = `tiny-serve: ${message(certs)}`;
    // Starts with the whole message; only the junk lines go on, with OpenSSL's reason or a hint.
    expect(lines[0]!.slice(0, expected.length)).toBe(expected);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.stdout).not.toContain('Local:');
  });
});
