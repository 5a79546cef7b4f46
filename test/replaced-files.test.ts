// Files replaced while they are served (editors and build tools write a temp file and rename it over
// the original): every 200 carries one whole version, with the headers of that same version. Counted
// over many requests against a writer process that replaces the file every millisecond.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { copySite, startServer, type TestServer } from './helpers.js';
import type { HandlerOptions } from '../src/types.js';
import { openForReading, readWhole } from '../src/files/fs-access.js';

/**
 * Renames a fresh copy of version A or B (alternately) over `target`, about once a millisecond. A
 * version is given as `letter:size` and is that letter repeated.
 */
const WRITER = `
const { writeFileSync, renameSync } = require('node:fs');
const [target, ...specs] = process.argv.slice(1);
const versions = specs.map((spec) => Buffer.from(spec[0].repeat(Number(spec.slice(2)))));
let turn = 0;
setInterval(() => {
  const temp = target + '.' + (turn % 2) + '.tmp';
  writeFileSync(temp, versions[turn % 2]);
  renameSync(temp, target);
  turn += 1;
}, 1);
process.send?.('ready');
`;

interface Outcomes {
  whole: number;
  /** A 200 whose body is neither version, or whose Content-Length or ETag is another version's. */
  wrong: string[];
  /** Ended before its Content-Length (or reset): a cut body. */
  cut: number;
  other: number;
}

/** The size an ETag names (`"<size hex>-<mtime hex>-<inode hex>"`, a coding suffix aside). */
const etagSize = (etag: string | undefined): number | undefined => (etag ? parseInt(etag.slice(1).split('-')[0]!, 16) : undefined);

function fetchOnce(port: number, path: string, agent: Agent, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; complete: boolean }> {
  return new Promise((done) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      const finish = (): void => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete });
      res.on('end', finish);
      res.on('error', finish);
      res.on('aborted', finish);
    });
    req.on('error', () => done({ status: 0, headers: {}, body: Buffer.alloc(0), complete: false }));
    req.end();
  });
}

async function hammer(port: number, path: string, versions: Buffer[], headers: Record<string, string>, perClient: number): Promise<Outcomes> {
  const outcomes: Outcomes = { whole: 0, wrong: [], cut: 0, other: 0 };
  const client = async (): Promise<void> => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < perClient; i += 1) {
        const res = await fetchOnce(port, path, agent, headers);
        if (!res.complete) {
          outcomes.cut += 1;
          continue;
        }
        if (res.status !== 200) {
          outcomes.other += 1;
          continue;
        }
        const coding = res.headers['content-encoding'];
        const body = coding === 'gzip' ? gunzipSync(res.body) : res.body;
        const version = versions.findIndex((candidate) => candidate.equals(body));
        const length = res.headers['content-length'];
        const tagged = etagSize(res.headers.etag as string | undefined);
        if (version === -1) outcomes.wrong.push(`body of ${body.length} bytes is no version`);
        else if (length !== undefined && Number(length) !== res.body.length) outcomes.wrong.push(`Content-Length ${length} for ${res.body.length} bytes`);
        else if (tagged !== body.length) outcomes.wrong.push(`ETag ${String(res.headers.etag)} for a body of ${body.length} bytes`);
        else outcomes.whole += 1;
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all([client(), client(), client(), client()]);
  return outcomes;
}

describe('a file replaced by rename while it is served', { timeout: 60_000 }, () => {
  let writer: ChildProcess | undefined;
  let server: TestServer | undefined;
  let site: ReturnType<typeof copySite> | undefined;

  afterEach(async () => {
    if (writer && writer.exitCode === null) {
      const exited = new Promise((done) => writer!.once('exit', done));
      writer.kill();
      await exited;
    }
    writer = undefined;
    await server?.close();
    server = undefined;
    site?.cleanup();
    site = undefined;
  });

  async function startWriter(target: string, versions: Buffer[]): Promise<void> {
    const specs = versions.map((version) => `${String.fromCharCode(version[0]!)}:${version.length}`);
    writer = spawn(process.execPath, ['-e', WRITER, target, ...specs], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise((done) => writer!.once('message', done));
  }

  /** A version the writer can make again from its first byte and length. */
  const text = (letter: string, size: number): Buffer => Buffer.from(letter.repeat(size));

  it.each<[string, string, Buffer[], Partial<HandlerOptions>, Record<string, string>]>([
    ['small files, from the file cache', 'flip.txt', [text('a', 1000), text('b', 3000)], {}, {}],
    ['small files, without the file cache', 'flip.txt', [text('a', 1000), text('b', 3000)], { fileCache: false }, {}],
    ['small files, gzip', 'flip.txt', [text('a', 1000), text('b', 3000)], {}, { 'Accept-Encoding': 'gzip' }],
    ['small files, gzip, without the file cache', 'flip.txt', [text('a', 1000), text('b', 3000)], { fileCache: false }, { 'Accept-Encoding': 'gzip' }],
    ['streamed files', 'flip.bin', [text('c', 300 * 1024), text('d', 400 * 1024)], {}, {}],
    ['streamed files, without the file cache', 'flip.bin', [text('c', 300 * 1024), text('d', 400 * 1024)], { fileCache: false }, {}],
    ['streamed files, gzip, without the file cache', 'flip.txt', [text('e', 1200 * 1024), text('f', 1400 * 1024)], { fileCache: false }, { 'Accept-Encoding': 'gzip' }],
  ])('%s: every 200 is one whole version with its own headers', async (_name, file, versions, options, headers) => {
    site = copySite();
    const target = join(site.root, file);
    writeFileSync(target, versions[0]!);
    server = await startServer({ ...options, root: site.root });
    await startWriter(target, versions);

    const outcomes = await hammer(server.port, `/${file}`, versions, headers, versions[0]!.length > 100_000 ? 60 : 250);

    expect(outcomes.wrong.slice(0, 5)).toEqual([]);
    expect(outcomes.cut).toBe(0);
    expect(outcomes.other).toBe(0);
    expect(outcomes.whole).toBeGreaterThan(0);
  });
});

describe('a FIFO renamed into place after the lookup', () => {
  // The lookup refuses FIFOs, but one can take a file's name between the lookup and the open: opening
  // it for reading must neither block (a parked thread-pool thread) nor be read from.
  it('is refused at once by the open, as a missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tiny-serve-fifo-'));
    try {
      const fifo = join(dir, 'page.html');
      execFileSync('mkfifo', [fifo]);
      await expect(openForReading(fifo)).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(readWhole(fifo)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
