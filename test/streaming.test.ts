// Bodies: exact byte counts while files grow or shrink, no descriptor left by an aborted download,
// HEAD and 304 that never open the file, and freshness: what is on disk now is what the next request gets.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { appendFileSync, renameSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Agent, request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import * as files from '../src/files/fs-access.js';
import { pooledReadBuffers } from '../src/http/streams.js';
import { forgetFsCalls, fsCalls } from './fs-spies.js';
import { collect, openDescriptorsOf, rawRequest, useServedCopy, waitFor, type RawResponse } from './helpers.js';

// The functions that open a file are the ones watched here (lookup and stat only read metadata).
vi.mock('../src/files/fs-access.js', async (importOriginal) => (await import('./fs-spies.js')).spiedFsAccess(importOriginal));
const OPENERS = ['openForReading', 'readWhole', 'readHead'] as const;

const MiB = 1024 * 1024;


/**
 * Starts a GET on a keep-alive connection (so a short body cannot pass for complete just because the
 * server closed the connection) and resolves as soon as the headers arrive (body not read).
 */
function startDownload(port: number, path: string): Promise<IncomingMessage> {
  return new Promise((done, fail) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.once('close', () => agent.destroy());
      done(res);
    });
    req.on('error', fail);
    req.end();
  });
}

/** Reads the rest of a response: the byte count, and whether it ended cleanly or was cut off. */
function drain(res: IncomingMessage): Promise<{ bytes: number; complete: boolean }> {
  return new Promise((done) => {
    let bytes = 0;
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    res.on('end', () => done({ bytes, complete: res.complete }));
    res.on('error', () => done({ bytes, complete: false }));
    res.on('aborted', () => done({ bytes, complete: false }));
    res.resume();
  });
}

describe('file bodies', () => {
  const copy = useServedCopy();

  it('closes the file descriptor when the client aborts mid-download', async () => {
    const big = join(copy.root, 'big.bin');
    writeFileSync(big, Buffer.alloc(32 * MiB, 7));
    const res = await startDownload(copy.server.port, '/big.bin');
    await new Promise((done) => res.once('data', done));
    expect(openDescriptorsOf(big)).toBe(1);
    res.destroy();
    expect(await waitFor(() => openDescriptorsOf(big) === 0, 3000)).toBe(true);
  });

  it('closes descriptors of many aborted downloads', async () => {
    const big = join(copy.root, 'big.bin');
    writeFileSync(big, Buffer.alloc(8 * MiB, 1));
    const responses = await Promise.all(Array.from({ length: 10 }, () => startDownload(copy.server.port, '/big.bin')));
    for (const res of responses) res.destroy();
    expect(await waitFor(() => openDescriptorsOf(big) === 0, 3000)).toBe(true);
  });

  // Every read is a trip through the thread pool, the main cost of a streamed body after the copies:
  // 512 KiB pieces streamed 4 and 16 MiB files 15-35 % faster than 256 KiB ones.
  describe('reads', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('reads a streamed file in 512 KiB pieces', async () => {
      const big = join(copy.root, 'big.bin');
      const content = randomBytes(4 * MiB + 1);
      writeFileSync(big, content);
      const probe = await open(big);
      const reads = vi.spyOn(Object.getPrototypeOf(probe) as { read: (...args: unknown[]) => unknown }, 'read');
      await probe.close();
      const { body } = await collect(await startDownload(copy.server.port, '/big.bin'));
      expect(body.equals(content)).toBe(true);
      expect(reads.mock.calls.map(([, , length]) => length)).toEqual([...Array.from({ length: 8 }, () => 512 * 1024), 1]);
    });
  });

  // Each body in flight holds one pooled read buffer; an aborted one must give it back, not leave it
  // to the collector (resident until a full collection).
  it('takes back the read buffers of aborted downloads', async () => {
    const big = join(copy.root, 'big.bin');
    writeFileSync(big, Buffer.alloc(32 * MiB, 6));
    const before = pooledReadBuffers();
    const responses = await Promise.all(Array.from({ length: 4 }, () => startDownload(copy.server.port, '/big.bin')));
    // Not reading: each connection fills up, with a buffer queued on it.
    for (const res of responses) res.destroy();
    expect(await waitFor(() => openDescriptorsOf(big) === 0, 3000)).toBe(true);
    await waitFor(() => pooledReadBuffers() === Math.max(before, 4), 3000);
    expect(pooledReadBuffers()).toBe(Math.max(before, 4));
  });

  it('sends exactly Content-Length bytes when the file grows during the download', async () => {
    const file = join(copy.root, 'growing.bin');
    writeFileSync(file, Buffer.alloc(4 * MiB, 2));
    const res = await startDownload(copy.server.port, '/growing.bin');
    res.pause();
    appendFileSync(file, Buffer.alloc(2 * MiB, 3));
    const result = await drain(res);
    expect(Number(res.headers['content-length'])).toBe(4 * MiB);
    expect(result).toEqual({ bytes: 4 * MiB, complete: true });
  });

  it('cuts the connection when the file shrinks during the download', async () => {
    const file = join(copy.root, 'shrinking.bin');
    writeFileSync(file, Buffer.alloc(8 * MiB, 4));
    const res = await startDownload(copy.server.port, '/shrinking.bin');
    res.pause();
    truncateSync(file, 1 * MiB);
    const started = Date.now();
    const result = await drain(res);
    expect(result.complete).toBe(false);
    expect(result.bytes).toBeLessThan(8 * MiB);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await waitFor(() => openDescriptorsOf(file) === 0, 3000)).toBe(true);
  });

  // Read buffers are used again once a connection has taken their bytes: one handed on while a stalled
  // connection still had it queued would send another file's bytes.
  it('sends every download its own bytes while many are in flight and their readers stall', async () => {
    const contents = Array.from({ length: 8 }, (_, index) => {
      const bytes = randomBytes(8 * MiB + index * 1000);
      writeFileSync(join(copy.root, `part-${index}.bin`), bytes);
      return bytes;
    });
    const responses = await Promise.all(contents.map((_, index) => startDownload(copy.server.port, `/part-${index}.bin`)));
    for (const res of responses) res.pause();
    // One at a time: while one is read, every other connection is stalled with bytes queued.
    const wrong: number[] = [];
    for (const [index, res] of responses.entries()) {
      const body = collect(res);
      res.resume();
      if (!(await body).body.equals(contents[index]!)) wrong.push(index);
    }
    expect(wrong).toEqual([]);
  });
});

// Validators and length come from metadata alone: HEAD and a 304 never open the file, whether the
// file cache is on (where a small file's bytes would be at hand) or off.
describe.each([
  ['with the file cache', true],
  ['without the file cache', false],
])('HEAD and 304 never open the file, %s', (_name, fileCache) => {
  const copy = useServedCopy({ fileCache });

  it('HEAD of a file too big to keep in memory', async () => {
    const big = join(copy.root, 'big.bin');
    writeFileSync(big, Buffer.alloc(2 * MiB, 5));
    forgetFsCalls(files);
    const head = await rawRequest(copy.server.port, '/big.bin', { method: 'HEAD' });
    expect(fsCalls(files, OPENERS)).toEqual({});
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(2 * MiB));
    expect(openDescriptorsOf(big)).toBe(0);
  });

  // The validators come from a HEAD, or from a GET whose answer the answer cache then keeps.
  it.each([
    ['a big file, If-None-Match', '/big.bin', 'HEAD', (first: RawResponse) => ({ 'If-None-Match': first.headers.etag! })],
    ['a big file, If-Modified-Since', '/big.bin', 'HEAD', (first: RawResponse) => ({ 'If-Modified-Since': first.headers['last-modified']! })],
    ['a small file, If-None-Match', '/hello.txt', 'HEAD', (first: RawResponse) => ({ 'If-None-Match': first.headers.etag! })],
    ['a small file served before, If-None-Match', '/hello.txt', 'GET', (first: RawResponse) => ({ 'If-None-Match': first.headers.etag! })],
  ])('304 for %s', async (_case, path, firstMethod, conditions) => {
    writeFileSync(join(copy.root, 'big.bin'), Buffer.alloc(2 * MiB, 5));
    const first = await rawRequest(copy.server.port, path, { method: firstMethod });
    forgetFsCalls(files);
    const revalidated = await rawRequest(copy.server.port, path, { headers: conditions(first) });
    expect(fsCalls(files, OPENERS)).toEqual({});
    expect(revalidated.status).toBe(304);
    expect(revalidated.body.length).toBe(0);
  });
});

describe('freshness', () => {
  const copy = useServedCopy({ listing: false }, 'all');

  it('serves an edited file as it is now', async () => {
    const file = join(copy.root, 'fresh.txt');
    writeFileSync(file, 'version one');
    expect((await rawRequest(copy.server.port, '/fresh.txt')).body.toString()).toBe('version one');
    writeFileSync(file, 'version two, longer');
    expect((await rawRequest(copy.server.port, '/fresh.txt')).body.toString()).toBe('version two, longer');
  });

  it('serves a file replaced with the same size and the same mtime', async () => {
    const file = join(copy.root, 'same.txt');
    writeFileSync(file, 'AAAA');
    const before = statSync(file);
    const first = await rawRequest(copy.server.port, '/same.txt');
    const replacement = join(copy.root, 'same.txt.tmp');
    writeFileSync(replacement, 'BBBB');
    utimesSync(replacement, before.atime, before.mtime);
    renameSync(replacement, file);
    const second = await rawRequest(copy.server.port, '/same.txt');
    expect(second.body.toString()).toBe('BBBB');
    expect(second.headers.etag).not.toBe(first.headers.etag);
  });

  it('serves a new file, then 404 once it is deleted', async () => {
    const file = join(copy.root, 'new.txt');
    expect((await rawRequest(copy.server.port, '/new.txt')).status).toBe(404);
    writeFileSync(file, 'now here');
    const created = await rawRequest(copy.server.port, '/new.txt');
    expect(created.status).toBe(200);
    expect(created.body.toString()).toBe('now here');
    rmSync(file);
    expect((await rawRequest(copy.server.port, '/new.txt')).status).toBe(404);
  });

  it('follows a changed 404.html and a newly added index.html', async () => {
    writeFileSync(join(copy.root, '404.html'), '<p>edited not-found page</p>');
    expect((await rawRequest(copy.server.port, '/nothing-here')).body.toString()).toContain('edited not-found page');
    expect((await rawRequest(copy.server.port, '/no-index/')).status).toBe(404);
    writeFileSync(join(copy.root, 'no-index', 'index.html'), '<p>new index</p>');
    const index = await rawRequest(copy.server.port, '/no-index/');
    expect(index.status).toBe(200);
    expect(index.body.toString()).toBe('<p>new index</p>');
  });
});
