// Error mapping at the handler boundary: EACCES → 403, EMFILE → 503 and the server keeps serving,
// anything unexpected → 500 reported once; never a crash.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as files from '../src/files/fs-access.js';
import { statusForError } from '../src/handler/handler.js';
import { CLI, rawRequest, startServer, type TestServer } from './helpers.js';

vi.mock('../src/files/fs-access.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/files/fs-access.js')>();
  return { ...original, lookup: vi.fn(original.lookup), openForReading: vi.fn(original.openForReading), readWhole: vi.fn(original.readWhole) };
});

function fsError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

describe('statusForError', () => {
  it.each([
    ['ENOENT', 404],
    ['ENOTDIR', 404],
    ['ENAMETOOLONG', 404],
    ['ELOOP', 404],
    ['EACCES', 403],
    ['EPERM', 403],
    ['EMFILE', 503],
    ['ENFILE', 503],
    ['EAGAIN', 503],
    ['EIO', 500],
    [undefined, 500],
  ])('%s → %i', (code, status) => {
    expect(statusForError(code ? fsError(code) : new Error('plain'))).toBe(status);
  });
});

describe('errors while serving', () => {
  let server: TestServer;
  const onError = vi.fn();
  beforeEach(async () => {
    onError.mockClear();
    server = await startServer({ onError });
  });
  afterEach(async () => {
    await server.close();
    vi.mocked(files.openForReading).mockReset();
    vi.mocked(files.readWhole).mockReset();
    vi.mocked(files.lookup).mockReset();
  });

  it('answers 503 with Retry-After when out of file descriptors, then serves again', async () => {
    const original = await vi.importActual<typeof import('../src/files/fs-access.js')>('../src/files/fs-access.js');
    // A small file is read whole (into the file cache); a larger one is opened and streamed.
    vi.mocked(files.readWhole).mockRejectedValueOnce(fsError('EMFILE')).mockImplementation(original.readWhole);
    vi.mocked(files.openForReading).mockRejectedValueOnce(fsError('EMFILE')).mockImplementation(original.openForReading);
    const exhausted = await rawRequest(server.port, '/hello.txt');
    expect(exhausted.status).toBe(503);
    expect(exhausted.headers['retry-after']).toBe('1');
    const recovered = await rawRequest(server.port, '/hello.txt');
    expect(recovered.status).toBe(200);
    expect(recovered.body.toString()).toBe('hello, world\n');
    expect(onError).not.toHaveBeenCalled();
  });

  it('answers 403 when the file cannot be opened for lack of permission', async () => {
    vi.mocked(files.readWhole).mockRejectedValueOnce(fsError('EACCES'));
    const res = await rawRequest(server.port, '/hello.txt');
    expect(res.status).toBe(403);
    expect(res.headers['content-security-policy']).toBe("default-src 'none'");
  });

  it('answers 403 when a directory on the way cannot be searched', async () => {
    vi.mocked(files.lookup).mockRejectedValueOnce(fsError('EACCES'));
    expect((await rawRequest(server.port, '/nested/page.html')).status).toBe(403);
  });

  it('answers 500 for an unexpected error, reports it once and keeps serving', async () => {
    vi.mocked(files.lookup).mockRejectedValueOnce(fsError('EIO'));
    const failed = await rawRequest(server.port, '/hello.txt');
    expect(failed.status).toBe(500);
    expect(failed.body.toString()).not.toContain('EIO');
    expect(onError).toHaveBeenCalledTimes(1);
    expect((await rawRequest(server.port, '/hello.txt')).status).toBe(200);
  });
});

// Root reads every file regardless of permissions, so a real EACCES needs an unprivileged server.
const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;

describe('real permissions', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tiny-serve-perm-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'open.txt'), 'readable');
    writeFileSync(join(dir, 'locked.txt'), 'secret');
    chmodSync(join(dir, 'locked.txt'), 0o000);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(isRoot && !hasSetpriv)('answers 403 for an unreadable file and 200 for a readable one', async () => {
    const command = isRoot ? 'setpriv' : process.execPath;
    const prefix = isRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath] : [];
    const child = spawn(command, [...prefix, CLI, dir, '--port', '0', '--host', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      const port = await new Promise<number>((done, fail) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
          if (match) done(Number(match[1]));
        });
        child.once('exit', (code) => fail(new Error(`exited early with ${code}`)));
      });
      expect((await rawRequest(port, '/locked.txt')).status).toBe(403);
      const readable = await rawRequest(port, '/open.txt');
      expect(readable.status).toBe(200);
      expect(readable.body.toString()).toBe('readable');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
