// Response headers of a 200: Content-Type per extension, validators (ETag, Last-Modified), caching and
// safety headers, exact body bytes, and validators that track file changes (RFC 9110 §8.3, §8.8).
import { readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import request from 'supertest';
import { copySite, rawRequest, SITE, startServer, type TestServer } from './helpers.js';

/** IMF-fixdate, RFC 9110 §5.6.7: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const DAY_NAME = '(Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH_NAME = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const IMF_FIXDATE = new RegExp(`^${DAY_NAME}, \\d{2} ${MONTH_NAME} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT$`);
/** A strong entity-tag: DQUOTE *etagc DQUOTE, no `W/` prefix (RFC 9110 §8.8.3). */
const STRONG_ETAG = /^"[\x21\x23-\x7e\x80-\xff]*"$/;

const FILES = [
  ['/index.html', 'index.html'],
  ['/hello.txt', 'hello.txt'],
  ['/style.css', 'style.css'],
  ['/app.js', 'app.js'],
  ['/module.mjs', 'module.mjs'],
  ['/data.json', 'data.json'],
  ['/image.svg', 'image.svg'],
  ['/blob.wasm', 'blob.wasm'],
  ['/assets/doc.pdf', 'assets/doc.pdf'],
  ['/noext', 'noext'],
  ['/empty.txt', 'empty.txt'],
  ['/nested/page.html', 'nested/page.html'],
] as const;

describe('types a file name does not tell', () => {
  /** Transport-stream packets: a sync byte 0x47 every 188 bytes. */
  const transportStream = (packets: number): Buffer => {
    const bytes = Buffer.alloc(188 * packets, 0xff);
    for (let at = 0; at < bytes.length; at += 188) bytes[at] = 0x47;
    return bytes;
  };
  const binary = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0xff, 0xfe]);
  const FILES: [name: string, contents: Buffer, type: string][] = [
    ['module.cjs', Buffer.from('module.exports = 1;\n'), 'text/javascript; charset=utf-8'],
    ['App.vue', Buffer.from('<template><p>{{ msg }}</p></template>\n'), 'text/plain; charset=utf-8'],
    ['Widget.svelte', Buffer.from('<script>let n = 0;</script>\n'), 'text/plain; charset=utf-8'],
    ['View.tsx', Buffer.from('export const View = () => <p>héllo ☃</p>;\n'), 'text/plain; charset=utf-8'],
    ['Makefile', Buffer.from('all:\n\ttsc\n'), 'text/plain; charset=utf-8'],
    ['main.ts', Buffer.from('const n: number = 1;\n'), 'text/plain; charset=utf-8'],
    ['clip.ts', transportStream(20), 'video/mp2t'],
    ['clip.mts', transportStream(3), 'video/mp2t'],
    ['types.mts', Buffer.from('export type A = string;\n'), 'text/plain; charset=utf-8'],
    ['data.unknownext', binary, 'application/octet-stream'],
    ['latin1.txt2', Buffer.from('caf\xe9 cr\xe8me\n', 'latin1'), 'application/octet-stream'],
    // Bigger than the file cache keeps whole: the head is read on its own. The sample's last
    // character is cut in the middle (a 3-byte ☃ across byte 1024) and still reads as text.
    ['big-notes', Buffer.from(`${'x'.repeat(1023)}${'☃'.repeat(200_000)}`), 'text/plain; charset=utf-8'],
    // Only the first KiB is looked at, as browsers and `file` do.
    ['text-then-binary', Buffer.concat([Buffer.alloc(400_000, 0x61), binary]), 'text/plain; charset=utf-8'],
    ['big-binary-start', Buffer.concat([binary, Buffer.alloc(400_000, 0x61)]), 'application/octet-stream'],
  ];

  describe.each([
    ['with the file cache', true],
    ['without the file cache', false],
  ])('%s', (_name, fileCache) => {
    let site: ReturnType<typeof copySite>;
    let server: TestServer;
    beforeAll(async () => {
      site = copySite();
      for (const [name, contents] of FILES) writeFileSync(join(site.root, name), contents);
      server = await startServer({ root: site.root, fileCache });
    });
    afterAll(async () => {
      await server.close();
      site.cleanup();
    });

    it.each(FILES)('%s → its type, on GET and HEAD alike', async (name, contents, type) => {
      const got = await rawRequest(server.port, `/${name}`);
      expect(got.headers['content-type']).toBe(type);
      expect(got.body.equals(contents)).toBe(true);
      const head = await rawRequest(server.port, `/${name}`, { method: 'HEAD' });
      expect(head.headers['content-type']).toBe(type);
    });
  });
});

describe('served from the fixture site', () => {
  let site: TestServer;
  beforeAll(async () => {
    site = await startServer();
  });
  afterAll(async () => {
    await site.close();
  });

  it.each([
    ['/index.html', 'text/html; charset=utf-8'],
    ['/', 'text/html; charset=utf-8'],
    ['/style.css', 'text/css; charset=utf-8'],
    ['/app.js', 'text/javascript; charset=utf-8'],
    ['/module.mjs', 'text/javascript; charset=utf-8'],
    ['/data.json', 'application/json; charset=utf-8'],
    ['/image.svg', 'image/svg+xml; charset=utf-8'],
    ['/blob.wasm', 'application/wasm'],
    ['/hello.txt', 'text/plain; charset=utf-8'],
    ['/empty.txt', 'text/plain; charset=utf-8'],
    ['/assets/doc.pdf', 'application/pdf'],
    // No extension, and its bytes are text: shown, not downloaded.
    ['/noext', 'text/plain; charset=utf-8'],
  ])('%s → Content-Type %s', async (path, type) => {
    const res = await rawRequest(site.port, path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
  });

  it.each(FILES)('%s carries the full set of 200 headers', async (path, file) => {
    const res = await rawRequest(site.port, path);
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(statSync(join(SITE, file)).size));
    expect(res.headers['last-modified']).toMatch(IMF_FIXDATE);
    expect(Number.isNaN(Date.parse(res.headers['last-modified']!))).toBe(false);
    expect(res.headers.etag).toMatch(STRONG_ETAG);
    expect(res.headers.etag).not.toMatch(/^W\//);
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers.date).toMatch(IMF_FIXDATE);
  });

  it.each(FILES)('%s: body bytes equal the file on disk', async (path, file) => {
    const res = await rawRequest(site.port, path);
    expect(res.status).toBe(200);
    expect(Buffer.compare(res.body, readFileSync(join(SITE, file)))).toBe(0);
  });

  it('blob.wasm arrives byte for byte through supertest too', async () => {
    const res = await request(site.url)
      .get('/blob.wasm')
      .buffer(true)
      .parse((response, done) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    expect(Buffer.isBuffer(res.body)).toBe(true);
    expect((res.body as Buffer).equals(readFileSync(join(SITE, 'blob.wasm')))).toBe(true);
  });

  it('the same file gets the same ETag and Last-Modified on every request', async () => {
    const first = await rawRequest(site.port, '/hello.txt');
    const second = await rawRequest(site.port, '/hello.txt');
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.headers['last-modified']).toBe(first.headers['last-modified']);
  });

  it('different files get different ETags', async () => {
    const tags = await Promise.all(FILES.map(([path]) => rawRequest(site.port, path).then((r) => r.headers.etag)));
    expect(new Set(tags).size).toBe(FILES.length);
  });

  it('Last-Modified is the file mtime in whole seconds', async () => {
    const res = await rawRequest(site.port, '/hello.txt');
    const mtimeSeconds = Math.floor(statSync(join(SITE, 'hello.txt')).mtimeMs / 1000);
    expect(Date.parse(res.headers['last-modified']!) / 1000).toBe(mtimeSeconds);
  });
});

describe('validators follow changes to the file (writable copy)', () => {
  let copy: ReturnType<typeof copySite>;
  let site: TestServer;
  beforeEach(async () => {
    copy = copySite();
    site = await startServer({ root: copy.root });
  });
  afterEach(async () => {
    await site.close();
    copy.cleanup();
  });

  async function validators(path: string): Promise<{ etag: string; lastModified: string; date: string }> {
    const res = await rawRequest(site.port, path);
    expect(res.status).toBe(200);
    return { etag: res.headers.etag!, lastModified: res.headers['last-modified']!, date: res.headers.date! };
  }

  // A whole second well in the past, so setting it is exact and "now" can never equal it.
  const PAST_SECOND = Math.floor(Date.now() / 1000) - 3600;

  it('rewriting a file with content of the same length changes the ETag', async () => {
    const file = join(copy.root, 'hello.txt');
    utimesSync(file, PAST_SECOND, PAST_SECOND);
    const before = await validators('/hello.txt');
    const original = readFileSync(file);
    writeFileSync(file, Buffer.from('HELLO, WORLD\n'));
    expect(statSync(file).size).toBe(original.length);
    const after = await validators('/hello.txt');
    expect(after.etag).not.toBe(before.etag);
    expect((await rawRequest(site.port, '/hello.txt')).body.toString()).toBe('HELLO, WORLD\n');
  });

  it('an in-place rewrite of the same length within the same second still changes the ETag', async () => {
    const file = join(copy.root, 'hello.txt');
    utimesSync(file, PAST_SECOND, PAST_SECOND);
    const before = await validators('/hello.txt');
    writeFileSync(file, Buffer.from('HELLO, WORLD\n'));
    // Same whole second as before, a quarter second later: Last-Modified cannot tell them apart.
    utimesSync(file, PAST_SECOND, PAST_SECOND + 0.25);
    const after = await validators('/hello.txt');
    expect(after.lastModified).toBe(before.lastModified);
    expect(after.etag).not.toBe(before.etag);
  });

  it('replacing a file by rename-over with the same size and identical mtime changes the ETag', async () => {
    const file = join(copy.root, 'hello.txt');
    utimesSync(file, PAST_SECOND, PAST_SECOND);
    const original = statSync(file);
    const before = await validators('/hello.txt');

    const replacement = join(copy.root, 'hello.txt.new');
    writeFileSync(replacement, Buffer.from('HELLO, WORLD\n'));
    utimesSync(replacement, original.atime, original.mtime);
    renameSync(replacement, file);

    const replaced = statSync(file);
    // The precondition of the scenario: only the inode tells the two files apart.
    expect(replaced.size).toBe(original.size);
    expect(replaced.mtimeMs).toBe(original.mtimeMs);
    expect(replaced.ino).not.toBe(original.ino);

    const after = await validators('/hello.txt');
    expect(after.lastModified).toBe(before.lastModified);
    expect(after.etag).not.toBe(before.etag);
  });

  it('Last-Modified is never later than Date, even for an mtime a year in the future', async () => {
    const file = join(copy.root, 'hello.txt');
    const nextYear = Date.now() / 1000 + 365 * 24 * 3600;
    utimesSync(file, nextYear, nextYear);
    expect(statSync(file).mtimeMs).toBeGreaterThan(Date.now());
    const { lastModified, date } = await validators('/hello.txt');
    expect(lastModified).toMatch(IMF_FIXDATE);
    expect(Date.parse(lastModified)).toBeLessThanOrEqual(Date.parse(date));
  });
});
