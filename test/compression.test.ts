// Content codings: Accept-Encoding negotiation, on-the-fly compression, per-representation ETags and
// Vary, precompressed siblings (fresh and stale), ranges on identity only, aborts and freshness.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { Agent, request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { acceptableCodings, preferredCodings } from '../src/http/encoding.js';
import { decoded, exchange, SITE, copySite, openDescriptorsOf, rawRequest, startServer, useServedCopy, waitFor, type RawResponse, type TestServer } from './helpers.js';

const MiB = 1024 * 1024;
const LOREM = readFileSync(join(SITE, 'assets/lorem.txt'));
const PRE_CSS = readFileSync(join(SITE, 'assets/pre.css'));
const PRE_CSS_BR = readFileSync(join(SITE, 'assets/pre.css.br'));
const PRE_CSS_GZ = readFileSync(join(SITE, 'assets/pre.css.gz'));


/**
 * The framing is exact: a body from memory (identity, or a compressed form the file cache made)
 * carries exactly Content-Length bytes; a body compressed while streaming (a file too big for the
 * cache, or the cache off) is chunked with no Content-Length.
 */
function expectConsistentLength(res: RawResponse): void {
  if (res.headers['content-length'] !== undefined) {
    expect(res.headers['content-length']).toBe(String(res.body.length));
    expect(res.headers['transfer-encoding']).toBeUndefined();
  } else {
    expect(res.headers['content-encoding']).toBeDefined();
    expect(res.headers['transfer-encoding']).toBe('chunked');
  }
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(port, path, { headers });
}

const gzipOnly = { 'Accept-Encoding': 'gzip' };
const brOnly = { 'Accept-Encoding': 'br' };


/** Starts a GET and resolves as soon as the headers arrive, leaving the body unread. */
function startDownload(port: number, path: string, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((done, fail) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const req = request({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      res.once('close', () => agent.destroy());
      done(res);
    });
    req.on('error', fail);
    req.end();
  });
}

// The chosen coding is the first acceptable one; the whole list is what the handler walks.
const NEGOTIATION: [string, string | undefined, 'br' | 'gzip' | 'identity'][] = [
  ['br alone', 'br', 'br'],
  ['gzip alone', 'gzip', 'gzip'],
  ['br and gzip tie: server prefers br', 'br, gzip', 'br'],
  ['gzip outranks br;q=0.5', 'gzip, br;q=0.5', 'gzip'],
  ['gzip;q=0 leaves identity', 'gzip;q=0', 'identity'],
  ['* accepts everything: br', '*', 'br'],
  ['*;q=0 accepts nothing: falls back to identity', '*;q=0', 'identity'],
  ['identity alone', 'identity', 'identity'],
  ['an empty value means no coding', '', 'identity'],
  ['no header at all', undefined, 'identity'],
  ['gzip;q=0.8 is not outranked by an unlisted identity', 'gzip;q=0.8', 'gzip'],
  ['identity;q=1 outranks gzip;q=0.5', 'identity;q=1, gzip;q=0.5', 'identity'],
  ['codings are case-insensitive', 'GZIP', 'gzip'],
  ['an unsupported coding leaves identity', 'deflate', 'identity'],
  ['br refused, * takes gzip', 'br;q=0, *', 'gzip'],
];

describe('acceptableCodings', () => {
  it.each(NEGOTIATION)('%s (%j → %s)', (_name, header, expected) => {
    expect(acceptableCodings(header)[0]).toBe(expected);
  });

  it.each([
    ['gzip, br;q=0.5', ['gzip', 'br', 'identity']],
    ['br, gzip', ['br', 'gzip', 'identity']],
    ['identity;q=1, gzip;q=0.5', ['identity', 'gzip']],
    ['*;q=0', ['identity']],
    ['br;q=0, gzip;q=0, identity;q=0', ['identity']],
    ['gzip, identity;q=0', ['gzip']],
  ])('orders %j as %j', (header, expected) => {
    expect(acceptableCodings(header)).toEqual(expected);
  });

  // Answers are remembered per header value (256 at most, then forgotten): a value asked again, after
  // a caller used its answer, and after the memory was filled and cleared, still gets its own answer.
  it('answers a header value asked again as the first time, also once 300 other values were asked', () => {
    const header = 'br;q=0.5, gzip';
    expect(acceptableCodings(header)).toEqual(['gzip', 'br', 'identity']);
    expect(preferredCodings(header)).toEqual(['gzip', 'br']);
    expect(acceptableCodings(header)).toEqual(['gzip', 'br', 'identity']);
    for (let index = 0; index < 300; index += 1) {
      expect(acceptableCodings(`gzip;q=0, x-other-${index}`)).toEqual(['identity']);
    }
    expect(acceptableCodings(header)).toEqual(['gzip', 'br', 'identity']);
  });
});

describe('negotiation over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it.each(NEGOTIATION)('%s (%j → %s) on lorem.txt', async (_name, header, expected) => {
    const res = await get(server.port, '/assets/lorem.txt', header === undefined ? {} : { 'Accept-Encoding': header });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe(expected === 'identity' ? undefined : expected);
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expectConsistentLength(res);
    expect(decoded(res).equals(LOREM)).toBe(true);
  });

  it.each([
    ['hello.txt (13 B) is too small', '/hello.txt', undefined],
    ['chunk-BX3k9aQz.js (183 B) is too small', '/assets/chunk-BX3k9aQz.js', undefined],
    ['lorem.txt is compressed', '/assets/lorem.txt', 'gzip'],
    ['app.3f9a1c2b.js is compressed', '/assets/app.3f9a1c2b.js', 'gzip'],
  ])('only compressible files above 1024 bytes are compressed: %s', async (_name, path, expected) => {
    const res = await get(server.port, path, gzipOnly);
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe(expected);
    // Compressible, so the representation varies on Accept-Encoding even when sent as identity.
    expect(res.headers.vary).toBe('Accept-Encoding');
    expectConsistentLength(res);
    expect(decoded(res).equals(readFileSync(join(SITE, path)))).toBe(true);
  });

  it.each(['gzip', 'br', 'br, gzip', '*'])('never compresses photo.png, nor varies it (%s)', async (header) => {
    const res = await get(server.port, '/assets/photo.png', { 'Accept-Encoding': header });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers.vary).toBeUndefined();
    expect(res.headers['content-length']).toBe('4096');
    expect(res.body.equals(readFileSync(join(SITE, 'assets/photo.png')))).toBe(true);
  });

  it('sends Vary: Accept-Encoding on a 304 of an identity and of a compressed representation', async () => {
    for (const headers of [{}, gzipOnly, brOnly]) {
      const first = await get(server.port, '/assets/lorem.txt', headers);
      const revalidated = await get(server.port, '/assets/lorem.txt', { ...headers, 'If-None-Match': first.headers.etag! });
      expect(revalidated.status).toBe(304);
      expect(revalidated.headers.vary).toBe('Accept-Encoding');
      expect(revalidated.body.length).toBe(0);
    }
  });

  it('sends Vary: Accept-Encoding on a 304 of a too-small compressible file, but none for photo.png', async () => {
    const hello = await get(server.port, '/hello.txt', gzipOnly);
    const helloRevalidated = await get(server.port, '/hello.txt', { ...gzipOnly, 'If-None-Match': hello.headers.etag! });
    expect(helloRevalidated.status).toBe(304);
    expect(helloRevalidated.headers.vary).toBe('Accept-Encoding');

    const photo = await get(server.port, '/assets/photo.png', gzipOnly);
    const photoRevalidated = await get(server.port, '/assets/photo.png', { ...gzipOnly, 'If-None-Match': photo.headers.etag! });
    expect(photoRevalidated.status).toBe(304);
    expect(photoRevalidated.headers.vary).toBeUndefined();
  });
});

describe('per-representation ETags', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('gives the gzip, br and identity responses of one file three different ETags', async () => {
    const identity = await get(server.port, '/assets/lorem.txt');
    const gzip = await get(server.port, '/assets/lorem.txt', gzipOnly);
    const br = await get(server.port, '/assets/lorem.txt', brOnly);
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(br.headers['content-encoding']).toBe('br');

    const tags = [identity.headers.etag, gzip.headers.etag, br.headers.etag];
    for (const tag of tags) expect(tag).toMatch(/^"[^"]+"$/);
    expect(new Set(tags).size).toBe(3);
    expect(gzip.headers.etag).toMatch(/-gzip"$/);
    expect(br.headers.etag).toMatch(/-br"$/);
    expect(identity.headers.etag).not.toMatch(/-(gzip|br)"$/);
  });

  it('answers If-None-Match with the gzip ETag and Accept-Encoding: gzip with a 304 carrying that ETag', async () => {
    const gzip = await get(server.port, '/assets/lorem.txt', gzipOnly);
    const res = await get(server.port, '/assets/lorem.txt', { ...gzipOnly, 'If-None-Match': gzip.headers.etag! });
    expect(res.status).toBe(304);
    expect(res.headers.etag).toBe(gzip.headers.etag);
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.length).toBe(0);
  });

  it.each([
    ['identity', 'identity', undefined],
    ['br', 'br', 'br'],
  ])('answers the gzip ETag with a full 200 when Accept-Encoding is %s', async (_name, header, coding) => {
    const gzip = await get(server.port, '/assets/lorem.txt', gzipOnly);
    const res = await get(server.port, '/assets/lorem.txt', { 'Accept-Encoding': header, 'If-None-Match': gzip.headers.etag! });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe(coding);
    expect(res.headers.etag).not.toBe(gzip.headers.etag);
    expect(decoded(res).equals(LOREM)).toBe(true);
  });

  it('answers the identity ETag with a 200 gzip body when gzip is accepted', async () => {
    const identity = await get(server.port, '/assets/lorem.txt');
    const res = await get(server.port, '/assets/lorem.txt', { ...gzipOnly, 'If-None-Match': identity.headers.etag! });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.body).equals(LOREM)).toBe(true);
  });

  it.each(['gzip', 'br'])('HEAD with Accept-Encoding: %s answers as GET does, without a body', async (coding) => {
    const headers = { 'Accept-Encoding': coding };
    const getRes = await get(server.port, '/assets/lorem.txt', headers);
    const headRes = await rawRequest(server.port, '/assets/lorem.txt', { method: 'HEAD', headers });
    expect(headRes.status).toBe(getRes.status);
    expect(headRes.body.length).toBe(0);
    const comparable = (h: IncomingHttpHeaders): IncomingHttpHeaders => {
      const { date: _date, 'transfer-encoding': _te, ...rest } = h;
      return rest;
    };
    expect(comparable(headRes.headers)).toEqual(comparable(getRes.headers));
    expect(headRes.headers['content-encoding']).toBe(coding);
    expect(headRes.headers['content-length']).toBe(String(getRes.body.length));
  });
});

describe('precompressed siblings', () => {
  let site: ReturnType<typeof copySite>;
  let server: TestServer;
  const original = (): string => join(site.root, 'assets/pre.css');

  /** Sets pre.css to a fixed mtime and each sibling `offset` seconds from it. */
  function setMtimes(offsets: { br: number; gz: number }): void {
    const base = 1_700_000_000;
    utimesSync(original(), base, base);
    utimesSync(`${original()}.br`, base + offsets.br, base + offsets.br);
    utimesSync(`${original()}.gz`, base + offsets.gz, base + offsets.gz);
  }

  beforeEach(async () => {
    site = copySite();
    server = await startServer({ root: site.root });
  });
  afterEach(async () => {
    await server.close();
    site.cleanup();
  });

  it.each([
    ['newer', 10],
    ['equally old', 0],
  ])('serves pre.css.br exactly for Accept-Encoding: br when it is %s', async (_name, offset) => {
    setMtimes({ br: offset, gz: offset });
    const res = await get(server.port, '/assets/pre.css', brOnly);
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.headers['content-length']).toBe(String(PRE_CSS_BR.length));
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.headers.etag).toMatch(/-br"$/);
    expect(res.body.equals(PRE_CSS_BR)).toBe(true);
    expect(brotliDecompressSync(res.body).equals(PRE_CSS)).toBe(true);
  });

  it.each([
    ['newer', 10],
    ['equally old', 0],
  ])('serves pre.css.gz exactly for Accept-Encoding: gzip when it is %s', async (_name, offset) => {
    setMtimes({ br: offset, gz: offset });
    const res = await get(server.port, '/assets/pre.css', gzipOnly);
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.headers['content-length']).toBe(String(PRE_CSS_GZ.length));
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.headers.etag).toMatch(/-gzip"$/);
    expect(res.body.equals(PRE_CSS_GZ)).toBe(true);
  });

  it('serves pre.css.br for br, gzip (server preference) and HEAD announces its length', async () => {
    setMtimes({ br: 10, gz: 10 });
    const headers = { 'Accept-Encoding': 'gzip, br' };
    const res = await get(server.port, '/assets/pre.css', headers);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.body.equals(PRE_CSS_BR)).toBe(true);
    const head = await rawRequest(server.port, '/assets/pre.css', { method: 'HEAD', headers });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(PRE_CSS_BR.length));
    expect(head.headers.etag).toBe(res.headers.etag);
    expect(head.body.length).toBe(0);
  });

  it.each([
    ['no Accept-Encoding', {}],
    ['Accept-Encoding: identity', { 'Accept-Encoding': 'identity' }],
    ['Accept-Encoding: deflate', { 'Accept-Encoding': 'deflate' }],
  ])('serves pre.css itself with %s', async (_name, headers: Record<string, string>) => {
    setMtimes({ br: 10, gz: 10 });
    const res = await get(server.port, '/assets/pre.css', headers);
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.headers['content-length']).toBe(String(PRE_CSS.length));
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.body.equals(PRE_CSS)).toBe(true);
  });

  it.each([
    ['br', 'br', { br: -10, gz: 10 }],
    ['gzip', 'gzip', { br: 10, gz: -10 }],
  ])('ignores a stale pre.css.%s and compresses pre.css on the fly instead', async (_name, coding, offsets) => {
    setMtimes(offsets);
    const identity = await get(server.port, '/assets/pre.css');
    const res = await get(server.port, '/assets/pre.css', { 'Accept-Encoding': coding });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe(coding);
    expectConsistentLength(res);
    const sibling = coding === 'br' ? PRE_CSS_BR : PRE_CSS_GZ;
    expect(res.body.equals(sibling)).toBe(false);
    expect(decoded(res).equals(PRE_CSS)).toBe(true);
    expect(res.headers.etag).toBe(`${identity.headers.etag!.slice(0, -1)}-${coding}"`);
  });

  it('gives a fresh sibling an ETag of its own, different from the on-the-fly one', async () => {
    setMtimes({ br: -10, gz: -10 });
    const onTheFly = await get(server.port, '/assets/pre.css', brOnly);
    setMtimes({ br: 10, gz: 10 });
    const precompressed = await get(server.port, '/assets/pre.css', brOnly);
    expect(precompressed.body.equals(PRE_CSS_BR)).toBe(true);
    expect(onTheFly.headers.etag).toMatch(/-br"$/);
    expect(precompressed.headers.etag).toMatch(/-br"$/);
    expect(precompressed.headers.etag).not.toBe(onTheFly.headers.etag);
  });

  it('with compress: false, ignores a stale sibling and sends identity', async () => {
    setMtimes({ br: -10, gz: -10 });
    const plain = await startServer({ root: site.root, compress: false });
    try {
      const res = await get(plain.port, '/assets/pre.css', { 'Accept-Encoding': 'br, gzip' });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.headers['content-length']).toBe(String(PRE_CSS.length));
      expect(res.body.equals(PRE_CSS)).toBe(true);
    } finally {
      await plain.close();
    }
  });

  // Asked for by a client taking gzip, it is labelled with its coding (encoded-names.test.ts).
  it('serves /assets/pre.css.gz requested directly, by a client not taking gzip, as its own file', async () => {
    const res = await get(server.port, '/assets/pre.css.gz', brOnly);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/gzip');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-length']).toBe(String(PRE_CSS_GZ.length));
    expect(res.body.equals(PRE_CSS_GZ)).toBe(true);
  });
});

describe('with compress: false', () => {
  let site: ReturnType<typeof copySite>;
  let server: TestServer;
  beforeAll(async () => {
    site = copySite();
    const pre = join(site.root, 'assets/pre.css');
    utimesSync(pre, 1_700_000_000, 1_700_000_000);
    utimesSync(`${pre}.br`, 1_700_000_010, 1_700_000_010);
    utimesSync(`${pre}.gz`, 1_700_000_010, 1_700_000_010);
    server = await startServer({ root: site.root, compress: false });
  });
  afterAll(async () => {
    await server.close();
    site.cleanup();
  });

  it.each([
    ['br', PRE_CSS_BR],
    ['gzip', PRE_CSS_GZ],
  ])('still serves the precompressed sibling for %s', async (coding, bytes) => {
    const res = await get(server.port, '/assets/pre.css', { 'Accept-Encoding': coding });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe(coding);
    expect(res.headers['content-length']).toBe(String(bytes.length));
    expect(res.body.equals(bytes)).toBe(true);
  });

  it.each(['gzip', 'br', 'br, gzip', '*'])('never compresses lorem.txt on the fly (%s)', async (header) => {
    const res = await get(server.port, '/assets/lorem.txt', { 'Accept-Encoding': header });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-length']).toBe(String(LOREM.length));
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.body.equals(LOREM)).toBe(true);
  });
});

describe('ranges', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['lorem.txt', '/assets/lorem.txt', LOREM, 'gzip'],
    ['lorem.txt', '/assets/lorem.txt', LOREM, 'br, gzip'],
    ['pre.css (with siblings)', '/assets/pre.css', PRE_CSS, 'br, gzip'],
  ])('serves a Range of %s as identity bytes (Accept-Encoding: %s)', async (_name, path, bytes, header) => {
    const res = await get(server.port, path, { 'Accept-Encoding': header, Range: 'bytes=100-1099' });
    expect(res.status).toBe(206);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-range']).toBe(`bytes 100-1099/${bytes.length}`);
    expect(res.headers['content-length']).toBe('1000');
    expect(res.body.equals(bytes.subarray(100, 1100))).toBe(true);
    // The 206 carries the Vary and the (identity) ETag the 200 would.
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.headers.etag).toBe((await get(server.port, path)).headers.etag);
  });
});

describe('aborted compressed downloads', () => {
  const copy = useServedCopy();

  it.each(['gzip', 'br'])('leave no descriptor open (%s)', async (coding) => {
    const big = join(copy.root, 'big.txt');
    // Random hex: text, yet it compresses only ~2x, so the download is far from done at the abort.
    writeFileSync(big, randomBytes(4 * MiB).toString('hex'));
    expect(statSync(big).size).toBe(8 * MiB);
    const res = await startDownload(copy.server.port, '/big.txt', { 'Accept-Encoding': coding });
    expect(res.headers['content-encoding']).toBe(coding);
    await new Promise((done) => res.once('data', done));
    expect(openDescriptorsOf(big)).toBe(1);
    res.destroy();
    expect(await waitFor(() => openDescriptorsOf(big) === 0, 3000)).toBe(true);
  });
});

describe('freshness of compressed responses', () => {
  const copy = useServedCopy({}, 'all');

  it.each(['gzip', 'br'])('serves an edited lorem.txt as it is now, under a new ETag (%s)', async (coding) => {
    const file = join(copy.root, 'assets/lorem.txt');
    const headers = { 'Accept-Encoding': coding };
    const before = await get(copy.server.port, '/assets/lorem.txt', headers);
    const edited = Buffer.from(`${coding} edit ${Date.now()}\n${'fresh words for the next response. '.repeat(100)}`);
    writeFileSync(file, edited);
    const after = await get(copy.server.port, '/assets/lorem.txt', headers);
    expect(after.status).toBe(200);
    expect(after.headers['content-encoding']).toBe(coding);
    expect(decoded(after).equals(edited)).toBe(true);
    expect(after.headers.etag).toMatch(new RegExp(`-${coding}"$`));
    expect(after.headers.etag).not.toBe(before.headers.etag);
  });
});

describe('HEAD of a body compressed while streaming', () => {
  const copy = useServedCopy();

  /** HEAD then GET on one connection, raw: the HEAD's head, and what follows it on the wire. */
  async function headThenGet(port: number, path: string, coding: string): Promise<{ head: string; rest: string }> {
    const request = (method: string, close: boolean): string =>
      `${method} ${path} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: ${coding}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;
    const { head, body } = await exchange(port, request('HEAD', false) + request('GET', true), { pipelined: true });
    return { head, rest: body };
  }

  it.each(['gzip', 'br'])('announces the chunked framing GET uses, and sends no body (%s)', async (coding) => {
    // Over the file cache's 1 MiB limit for compressed forms: GET compresses while streaming.
    writeFileSync(join(copy.root, 'large.txt'), 'streamed and compressed text. '.repeat(60_000));
    const { head, rest } = await headThenGet(copy.server.port, '/large.txt', coding);
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head).toMatch(new RegExp(`\\r\\ncontent-encoding: ${coding}\\r\\n`, 'i'));
    expect(head).toMatch(/\r\ntransfer-encoding: chunked\r\n/i);
    expect(head).not.toMatch(/content-length/i);
    // The next thing on the wire is the GET's response: no body, and no stray chunk, after HEAD.
    expect(rest.startsWith('HTTP/1.1 200 ')).toBe(true);
    expect(rest).toMatch(/\r\ntransfer-encoding: chunked\r\n/i);
  });
});
