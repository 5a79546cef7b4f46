// Precompressed files asked for by their own name, as Unity WebGL builds reference them
// (`game.wasm.br`, `game.framework.js.gz`): labelled with their coding and the inner file's type when
// the client takes that coding, else served as files of their own; which names qualify (web assets,
// never archives or downloads); ranges, validators, 304, HEAD and the answer cache on those bytes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodedName } from '../src/http/encoding.js';
import { SITE, rawRequest, startServer, type RawResponse, type TestServer } from './helpers.js';

const BUILD = '/unity/Build';
const fixture = (path: string): Buffer => readFileSync(join(SITE, path));
const WASM_BR = fixture('unity/Build/game.wasm.br');
const FRAMEWORK_GZ = fixture('unity/Build/game.framework.js.gz');
const ARCHIVE = fixture('unity/archive.tar.gz');

/** Node's WebAssembly, which the project's types (no DOM lib) do not declare. */
const wasm = (globalThis as unknown as { WebAssembly: { instantiate(bytes: Buffer): Promise<{ instance: { exports: Record<string, unknown> } }> } }).WebAssembly;

/** What every browser sends. */
const BROWSER = { 'Accept-Encoding': 'gzip, deflate, br, zstd' };

describe('encodedName: which names are labelled with their coding', () => {
  it.each([
    ['game.wasm.br', 'br', 'application/wasm'],
    ['game.framework.js.gz', 'gzip', 'text/javascript; charset=utf-8'],
    ['game.data.br', 'br', 'application/octet-stream'],
    ['game.symbols.json.gz', 'gzip', 'application/json; charset=utf-8'],
    ['module.mjs.br', 'br', 'text/javascript; charset=utf-8'],
    ['style.css.gz', 'gzip', 'text/css; charset=utf-8'],
    ['index.html.br', 'br', 'text/html; charset=utf-8'],
    ['image.svg.gz', 'gzip', 'image/svg+xml; charset=utf-8'],
    ['app.js.map.br', 'br', 'application/json; charset=utf-8'],
    ['site.webmanifest.gz', 'gzip', 'application/manifest+json; charset=utf-8'],
    ['font.woff2.br', 'br', 'font/woff2'],
    ['GAME.WASM.BR', 'br', 'application/wasm'],
  ])('%s → %s, %s', (name, coding, contentType) => {
    expect(encodedName(`/site/${name}`)).toEqual({ coding, contentType });
  });

  it.each([
    ['an archive', 'archive.tar.gz'],
    ['a zip', 'bundle.zip.gz'],
    ['plain text, downloaded', 'notes.txt.gz'],
    ['a data set', 'table.csv.br'],
    ['an image', 'photo.png.br'],
    ['an unknown inner type', 'thing.unknownext.gz'],
    ['no inner extension', 'pre.gz'],
    ['a bare suffix', '.br'],
    ['another suffix', 'game.wasm.zst'],
    ['no suffix at all', 'game.wasm'],
  ])('%s (%s) stays a file of its own', (_what, name) => {
    expect(encodedName(`/site/${name}`)).toBeUndefined();
  });
});

describe('an encoded file asked for by name', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const get = (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> =>
    rawRequest(server.port, path, { method, headers });

  it.each([
    ['game.wasm.br', 'br', 'application/wasm', brotliDecompressSync],
    ['game.framework.js.gz', 'gzip', 'text/javascript; charset=utf-8', gunzipSync],
    ['game.data.br', 'br', 'application/octet-stream', brotliDecompressSync],
  ])('%s is sent as it is, with Content-Encoding: %s and the inner type %s', async (name, coding, type, decode) => {
    const res = await get(`${BUILD}/${name}`, BROWSER);
    const bytes = fixture(`unity/Build/${name}`);

    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe(coding);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.headers['content-length']).toBe(String(bytes.length));
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers.etag).toMatch(new RegExp(`-${coding}"$`));
    // Never compressed again: the body is the file, and decodes once to the inner file.
    expect(res.body.equals(bytes)).toBe(true);
    expect(decode(res.body).length).toBeGreaterThan(0);
  });

  it('the wasm decodes to a module that instantiates', async () => {
    const res = await get(`${BUILD}/game.wasm.br`, BROWSER);
    const { instance } = await wasm.instantiate(brotliDecompressSync(res.body));

    expect((instance.exports.add as (a: number, b: number) => number)(2, 3)).toBe(5);
  });

  it.each([
    ['no Accept-Encoding', {}],
    ['another coding only', { 'Accept-Encoding': 'gzip' }],
    ['br refused', { 'Accept-Encoding': 'gzip, br;q=0' }],
    ['identity preferred to br', { 'Accept-Encoding': 'identity, br;q=0.5' }],
  ])('with %s, game.wasm.br is a file of its own: no Content-Encoding, still varying', async (_name, headers) => {
    const labelled = await get(`${BUILD}/game.wasm.br`, BROWSER);
    const res = await get(`${BUILD}/game.wasm.br`, headers);

    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers.vary).toBe('Accept-Encoding');
    expect(res.body.equals(WASM_BR)).toBe(true);
    // Another representation of the same URL: another ETag.
    expect(res.headers.etag).toBeTruthy();
    expect(labelled.headers.etag).toBe(`${res.headers.etag!.slice(0, -1)}-br"`);
  });

  it('game.framework.js.gz for a client taking br only is application/gzip, as it was', async () => {
    const res = await get(`${BUILD}/game.framework.js.gz`, { 'Accept-Encoding': 'br' });

    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-type']).toBe('application/gzip');
    expect(res.body.equals(FRAMEWORK_GZ)).toBe(true);
  });

  it('an archive is never labelled, even for a client taking gzip: application/gzip, no Vary', async () => {
    const res = await get('/unity/archive.tar.gz', BROWSER);

    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-type']).toBe('application/gzip');
    expect(res.headers.vary).toBeUndefined();
    expect(res.body.equals(ARCHIVE)).toBe(true);
  });

  it('a sibling asked for by name (/assets/pre.css.gz) is labelled too: text/css, gzip', async () => {
    const res = await get('/assets/pre.css.gz', BROWSER);

    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(gunzipSync(res.body).equals(fixture('assets/pre.css'))).toBe(true);
  });

  it('a range is of the encoded bytes, labelled with the coding (RFC 9110 §14.1.1)', async () => {
    const res = await get(`${BUILD}/game.wasm.br`, { ...BROWSER, Range: 'bytes=0-9' });

    expect(res.status).toBe(206);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-range']).toBe(`bytes 0-9/${WASM_BR.length}`);
    expect(res.body.equals(WASM_BR.subarray(0, 10))).toBe(true);
  });

  it('several ranges get the whole file: a multipart body labelled br would be decoded whole, part headers and all', async () => {
    const res = await get(`${BUILD}/game.wasm.br`, { ...BROWSER, Range: 'bytes=0-1,-2' });

    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-range']).toBeUndefined();
    expect(res.body.equals(WASM_BR)).toBe(true);
  });

  it('several ranges of the unlabelled file still make a multipart body', async () => {
    const res = await get(`${BUILD}/game.wasm.br`, { Range: 'bytes=0-1,-2' });

    expect(res.status).toBe(206);
    expect(res.headers['content-type']).toMatch(/^multipart\/byteranges; boundary=/);
    expect(res.body.includes(WASM_BR.subarray(-2))).toBe(true);
  });

  it('If-Range with the labelled ETag gets the range; with the unlabelled one, the whole file', async () => {
    const labelled = (await get(`${BUILD}/game.wasm.br`, BROWSER)).headers.etag!;
    const unlabelled = (await get(`${BUILD}/game.wasm.br`)).headers.etag!;

    const matching = await get(`${BUILD}/game.wasm.br`, { ...BROWSER, Range: 'bytes=0-9', 'If-Range': labelled });
    const stale = await get(`${BUILD}/game.wasm.br`, { ...BROWSER, Range: 'bytes=0-9', 'If-Range': unlabelled });

    expect(matching.status).toBe(206);
    expect(stale.status).toBe(200);
    expect(stale.body.equals(WASM_BR)).toBe(true);
  });

  it('revalidates: 304 for its own ETag with Vary, 200 when the ETag was the other representation’s', async () => {
    const labelled = await get(`${BUILD}/game.wasm.br`, BROWSER);
    const unlabelled = await get(`${BUILD}/game.wasm.br`);

    const same = await get(`${BUILD}/game.wasm.br`, { ...BROWSER, 'If-None-Match': labelled.headers.etag! });
    const other = await get(`${BUILD}/game.wasm.br`, { ...BROWSER, 'If-None-Match': unlabelled.headers.etag! });

    expect(same.status).toBe(304);
    expect(same.headers.etag).toBe(labelled.headers.etag);
    expect(same.headers.vary).toBe('Accept-Encoding');
    expect(other.status).toBe(200);
    expect(other.headers['content-encoding']).toBe('br');
  });

  it('HEAD has the same headers as GET and no body', async () => {
    const got = await get(`${BUILD}/game.wasm.br`, BROWSER);
    const head = await get(`${BUILD}/game.wasm.br`, BROWSER, 'HEAD');

    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    for (const name of ['content-type', 'content-encoding', 'content-length', 'etag', 'vary']) expect(head.headers[name]).toBe(got.headers[name]);
  });

  it('answers kept in memory are kept per accepted coding: each client gets its own form, again and again', async () => {
    const forms: (string | undefined)[] = [];
    for (let round = 0; round < 3; round += 1) {
      forms.push((await get(`${BUILD}/game.wasm.br`, BROWSER)).headers['content-encoding']);
      forms.push((await get(`${BUILD}/game.wasm.br`)).headers['content-encoding']);
    }

    expect(forms).toEqual(['br', undefined, 'br', undefined, 'br', undefined]);
  });
});

describe('with compress: false and fileCache: false', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ compress: false, fileCache: false });
  });
  afterAll(async () => {
    await server.close();
  });

  it('still labels an encoded file asked for by name: it is no compression, the file is sent as it is', async () => {
    const res = await rawRequest(server.port, `${BUILD}/game.framework.js.gz`, { headers: BROWSER });

    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.body.equals(FRAMEWORK_GZ)).toBe(true);
  });
});
