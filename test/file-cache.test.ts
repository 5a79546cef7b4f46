// The file cache never serves a stale file: every kind of change on disk shows on the very next
// request, whether the file's bytes, its lookup or a miss was cached. And it does keep what it may:
// a repeated request asks the file system nothing.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as files from '../src/files/fs-access.js';
import { CACHE_LIMITS } from '../src/files/file-cache.js';
import { forgetFsCalls, fsCalls } from './fs-spies.js';
import { copySite, keepAliveClient, rawRequest, startServer, useServedCopy, type TestServer } from './helpers.js';

// Every function through which the request path reaches the file system, spied on.
vi.mock('../src/files/fs-access.js', async (importOriginal) => (await import('./fs-spies.js')).spiedFsAccess(importOriginal));

describe.each([
  ['with the file cache', true],
  ['without the file cache', false],
])('freshness %s', (_name, fileCache) => {
  let site: ReturnType<typeof copySite>;
  let server: TestServer;
  let client: ReturnType<typeof keepAliveClient>;
  const file = (name: string): string => join(site.root, name);

  beforeEach(async () => {
    site = copySite();
    server = await startServer({ root: site.root, fileCache });
    client = keepAliveClient(server.port);
  });
  afterEach(async () => {
    client.close();
    await server.close();
    site.cleanup();
  });

  it('serves each of 50 rapid in-place edits on the request right after the write', async () => {
    for (let version = 0; version < 50; version += 1) {
      writeFileSync(file('hello.txt'), `version ${version}\n`);
      expect((await client.get('/hello.txt')).body.toString()).toBe(`version ${version}\n`);
    }
  });

  it('serves an edit that keeps the size, the mtime and the inode', async () => {
    const path = file('hello.txt');
    const before = statSync(path);
    expect((await client.get('/hello.txt')).body.toString()).toBe('hello, world\n');
    writeFileSync(path, 'HELLO, WORLD\n');
    utimesSync(path, before.atimeMs / 1000, before.mtimeMs / 1000);
    const after = statSync(path);
    // utimes keeps sub-millisecond precision only approximately: what matters is that no validator
    // the server could compare (size, inode, mtime to the millisecond) tells the versions apart.
    expect([after.size, Math.round(after.mtimeMs), after.ino]).toEqual([before.size, Math.round(before.mtimeMs), before.ino]);
    expect((await client.get('/hello.txt')).body.toString()).toBe('HELLO, WORLD\n');
  });

  it('serves a file replaced by rename with the same size and mtime', async () => {
    const path = file('hello.txt');
    const before = statSync(path);
    await client.get('/hello.txt');
    writeFileSync(file('tmp.txt'), 'HELLO, world\n');
    utimesSync(file('tmp.txt'), before.atime, before.mtime);
    renameSync(file('tmp.txt'), path);
    expect((await client.get('/hello.txt')).body.toString()).toBe('HELLO, world\n');
  });

  it('serves a created file after a cached 404, and 404 again once deleted', async () => {
    expect((await client.get('/late.txt')).status).toBe(404);
    writeFileSync(file('late.txt'), 'here now');
    const created = await client.get('/late.txt');
    expect(created.status).toBe(200);
    expect(created.body.toString()).toBe('here now');
    rmSync(file('late.txt'));
    expect((await client.get('/late.txt')).status).toBe(404);
  });

  it('serves a file in a directory created after a 404 under it', async () => {
    expect((await client.get('/new/deeper/file.txt')).status).toBe(404);
    mkdirSync(file('new/deeper'), { recursive: true });
    writeFileSync(file('new/deeper/file.txt'), 'deep');
    expect((await client.get('/new/deeper/file.txt')).body.toString()).toBe('deep');
    writeFileSync(file('new/deeper/file.txt'), 'deeper');
    expect((await client.get('/new/deeper/file.txt')).body.toString()).toBe('deeper');
  });

  it('follows a directory wiped and recreated (a build that cleans its output)', async () => {
    expect((await client.get('/nested/page.html')).status).toBe(200);
    rmSync(file('nested'), { recursive: true });
    expect((await client.get('/nested/page.html')).status).toBe(404);
    mkdirSync(file('nested'));
    writeFileSync(file('nested/page.html'), '<p>rebuilt</p>');
    expect((await client.get('/nested/page.html')).body.toString()).toBe('<p>rebuilt</p>');
    writeFileSync(file('nested/page.html'), '<p>rebuilt twice</p>');
    expect((await client.get('/nested/page.html')).body.toString()).toBe('<p>rebuilt twice</p>');
  });

  it('serves edits made through the target of a symlinked directory', async () => {
    symlinkSync(file('nested'), file('linked'));
    expect((await client.get('/linked/page.html')).status).toBe(200);
    writeFileSync(file('nested/page.html'), '<p>edited via target</p>');
    expect((await client.get('/linked/page.html')).body.toString()).toBe('<p>edited via target</p>');
    rmSync(file('linked'));
    symlinkSync(file('no-index'), file('linked'));
    expect((await client.get('/linked/page.html')).status).toBe(404);
    expect((await client.get('/linked/file.txt')).status).toBe(200);
  });

  it('serves a fresh compressed form after an edit', async () => {
    const gzip = { 'Accept-Encoding': 'gzip' };
    const first = await client.get('/assets/lorem.txt', gzip);
    expect(first.headers['content-encoding']).toBe('gzip');
    writeFileSync(file('assets/lorem.txt'), 'short but new text '.repeat(200));
    const second = await client.get('/assets/lorem.txt', gzip);
    expect(gunzipSync(second.body).toString()).toBe('short but new text '.repeat(200));
    expect(second.headers.etag).not.toBe(first.headers.etag);
  });

  it('serves a changed index.html and a new index.html in a listed directory', async () => {
    expect((await client.get('/no-index/')).headers['content-type']).toBe('text/html; charset=utf-8');
    writeFileSync(file('no-index/index.html'), '<p>an index now</p>');
    expect((await client.get('/no-index/')).body.toString()).toBe('<p>an index now</p>');
    writeFileSync(file('nested/index.html'), '<p>nested changed</p>');
    expect((await client.get('/nested/')).body.toString()).toBe('<p>nested changed</p>');
  });

  it('lists a file added to a directory right away', async () => {
    expect((await client.get('/no-index/?format=json')).body.toString()).not.toContain('added.txt');
    writeFileSync(file('no-index/added.txt'), 'x');
    expect((await client.get('/no-index/?format=json')).body.toString()).toContain('added.txt');
  });

  it('answers 304 only while the file is unchanged', async () => {
    const first = await client.get('/hello.txt');
    expect((await client.get('/hello.txt', { 'If-None-Match': first.headers.etag! })).status).toBe(304);
    writeFileSync(file('hello.txt'), 'changed\n');
    const changed = await client.get('/hello.txt', { 'If-None-Match': first.headers.etag! });
    expect(changed.status).toBe(200);
    expect(changed.body.toString()).toBe('changed\n');
  });
});

// The README's promise: a repeat request skips lookup (and the read) entirely. Each case asks twice;
// the second time, no function of fs-access may be called. After an edit, the file system is asked again.
describe('a repeated request asks the file system nothing', () => {
  const copy = useServedCopy();
  let client: ReturnType<typeof keepAliveClient>;
  beforeEach(() => {
    client = keepAliveClient(copy.server.port);
  });
  afterEach(() => {
    client.close();
  });

  it.each([
    ['a small file', '/hello.txt', {}, 200, 'hello, world\n'],
    ['a 404', '/missing.txt', {}, 404, undefined],
    ['a listing', '/no-index/', {}, 200, undefined],
    ['a listing as JSON', '/no-index/?format=json', {}, 200, undefined],
    ['a compressed file', '/assets/lorem.txt', { 'Accept-Encoding': 'gzip' }, 200, undefined],
    // No answer is kept for a range: the lookup and the bytes are.
    ['a range of a small file', '/hello.txt', { Range: 'bytes=0-4' }, 206, 'hello'],
  ])('%s (GET %s)', async (_name, path, headers: Record<string, string>, status, body) => {
    const first = await client.get(path, headers);
    expect(first.status).toBe(status);
    if (body !== undefined) expect(first.body.toString()).toBe(body);
    expect(fsCalls(files)).toHaveProperty('lookup');
    forgetFsCalls(files);
    const again = await client.get(path, headers);
    expect(fsCalls(files)).toEqual({});
    expect(again.status).toBe(status);
    expect(again.headers).toEqual({ ...first.headers, date: again.headers.date });
    expect(again.body.equals(first.body)).toBe(true);
  });

  // Files up to 1 MiB are kept whole; a larger one is opened and streamed every time.
  it.each([
    ['a 1 MiB file is kept in memory', 1024 * 1024, {}],
    ['a file over the limit is streamed', CACHE_LIMITS.maxFileBytes + 1, { openForReading: [expect.stringMatching(/big\.bin$/)] }],
  ])('%s', async (_name, size, repeatCalls) => {
    const content = randomBytes(size);
    writeFileSync(join(copy.root, 'big.bin'), content);
    const first = await client.get('/big.bin');
    expect(first.body.equals(content)).toBe(true);
    forgetFsCalls(files);
    const again = await client.get('/big.bin');
    expect(fsCalls(files)).toEqual(repeatCalls);
    expect(again.body.equals(content)).toBe(true);
  });

  it('serves each in-place edit of a 1 MiB file at once', async () => {
    const path = join(copy.root, 'big.bin');
    for (const fill of [1, 2, 3]) {
      writeFileSync(path, Buffer.alloc(1024 * 1024, fill));
      const { body } = await client.get('/big.bin');
      expect([body.length, body[0], body.at(-1)]).toEqual([1024 * 1024, fill, fill]);
    }
  });

  it.each([
    ['a small file', '/hello.txt', 'hello.txt', {}],
    ['a 404 page', '/missing.txt', '404.html', {}],
    ['a listing', '/no-index/?format=json', 'no-index/added.txt', {}],
    ['a compressed file', '/assets/lorem.txt', 'assets/lorem.txt', { 'Accept-Encoding': 'gzip' }],
  ])('after an edit, %s is looked up again', async (_name, path, edited, headers: Record<string, string>) => {
    const first = await client.get(path, headers);
    await client.get(path, headers);
    writeFileSync(join(copy.root, edited), 'edited '.repeat(40));
    forgetFsCalls(files);
    const after = await client.get(path, headers);
    expect(fsCalls(files)).toHaveProperty('lookup');
    expect(after.status).toBe(first.status);
    expect(after.body.equals(first.body)).toBe(false);
  });
});

describe('cache behaviour', () => {
  const copy = useServedCopy();

  it('gives a compressed small file an exact Content-Length from memory', async () => {
    const res = await rawRequest(copy.server.port, '/assets/app.3f9a1c2b.js', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['content-length']).toBe(String(res.body.length));
    expect(gunzipSync(res.body).length).toBe(statSync(join(copy.root, 'assets/app.3f9a1c2b.js')).size);
  });

  it('serves a range of a cached small file', async () => {
    await rawRequest(copy.server.port, '/hello.txt');
    const res = await rawRequest(copy.server.port, '/hello.txt', { headers: { Range: 'bytes=7-11' } });
    expect(res.status).toBe(206);
    expect(res.body.toString()).toBe('world');
  });
});

describe('review regressions', () => {
  let site: ReturnType<typeof copySite>;
  let server: TestServer | undefined;
  beforeEach(() => {
    site = copySite();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    site.cleanup();
  });

  it('a listing requested after a change never joins a build that began before it', { timeout: 30_000 }, async () => {
    const big = join(site.root, 'big');
    mkdirSync(big);
    for (let index = 0; index < 20_000; index += 1) writeFileSync(join(big, `f${index}`), '');
    server = await startServer({ root: site.root });
    const first = rawRequest(server.port, '/big/?format=json');
    await new Promise((done) => setTimeout(done, 20));
    writeFileSync(join(big, 'NEWFILE'), 'x');
    const second = await rawRequest(server.port, '/big/?format=json');
    await first;
    expect(second.body.toString()).toContain('"NEWFILE"');
  });

  // `self` points inside the root, so a path through it is served (README, Security) until resolving
  // it takes more symlinks than Linux follows in one path (40); past that the lookup fails with ELOOP,
  // which answers 404 like any symlink loop.
  it('paths through a symlink to the root: 200 up to 40 links deep, 404 beyond, and the cache keeps working', async () => {
    symlinkSync('.', join(site.root, 'self'));
    server = await startServer({ root: site.root });
    for (let depth = 1; depth <= 45; depth += 1) {
      const res = await rawRequest(server.port, `${'/self'.repeat(depth)}/hello.txt`);
      expect(res.status, `${depth} links deep`).toBe(depth <= 40 ? 200 : 404);
      if (depth <= 40) expect(res.body.toString()).toBe('hello, world\n');
    }
    // The plain path is still served, and edits still show (the cache was not left in a bad state).
    expect((await rawRequest(server.port, '/hello.txt')).body.toString()).toBe('hello, world\n');
    writeFileSync(join(site.root, 'hello.txt'), 'after the loop\n');
    expect((await rawRequest(server.port, '/hello.txt')).body.toString()).toBe('after the loop\n');
  });

  it('answers the same file for different query strings', async () => {
    server = await startServer({ root: site.root });
    for (const query of ['?a=1', '?b=2', `?${'x'.repeat(4000)}`]) {
      const res = await rawRequest(server.port, `/hello.txt${query}`);
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe('hello, world\n');
    }
  });

  it('marks an SPA 404 as depending on Accept', async () => {
    server = await startServer({ root: site.root, single: true });
    const res = await rawRequest(server.port, '/missing/route', { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(404);
    expect(res.headers.vary).toBe('Accept');
  });
});
