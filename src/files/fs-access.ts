// The only module that touches the file system on the request path: lookup, opening, whole reads.
// Bytes and the metadata that describes them always come from the same open descriptor.
import { constants, promises as fsp, type Dirent, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Entry } from '../types.js';

/** Resolves symlinks and reads the metadata of what `path` points to. Rejects with the fs error. */
export async function lookup(path: string): Promise<Entry> {
  const realPath = await fsp.realpath(path);
  const stats = await fsp.stat(realPath);
  return { realPath, stats };
}

/** Identity of a file version: what must match for bytes read once to stand for the file now. */
export function versionOf(stats: Stats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}

export function sameVersion(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function fsError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** A file opened for reading, with the metadata of the file actually opened (fstat, not a path). */
export interface OpenFile {
  handle: FileHandle;
  stats: Stats;
}

/**
 * Opens a regular file. Non-blocking, so a FIFO renamed into place after the lookup can never park
 * a thread-pool thread; whatever is not a regular file is closed and reported as missing, which is
 * what a fresh lookup would find. The caller must close the handle (a read stream with autoClose does).
 */
export async function openForReading(path: string): Promise<OpenFile> {
  const handle = await fsp.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw fsError('ENOENT', `${path} is no longer a regular file`);
    return { handle, stats };
  } catch (error) {
    await handle.close().catch(() => {});
    throw error;
  }
}

/** A whole file in memory, with the metadata of exactly that version. */
export interface Snapshot {
  bytes: Buffer;
  stats: Stats;
}

/** A file that kept changing while it was read: worth a retry later (503), never a mixed body. */
const READ_ATTEMPTS = 3;

/**
 * Reads a whole file as one version: the size comes from the open descriptor, and the file is
 * checked again after reading; a file rewritten in place meanwhile (a short read, or new metadata) is
 * read again. Undefined when the file is larger than `maxBytes` (stream it instead).
 */
export async function readWhole(path: string, maxBytes = Infinity): Promise<Snapshot | undefined> {
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt += 1) {
    const { handle, stats } = await openForReading(path);
    try {
      if (stats.size > maxBytes) return undefined;
      const bytes = Buffer.allocUnsafe(stats.size);
      let filled = 0;
      while (filled < stats.size) {
        const { bytesRead } = await handle.read(bytes, filled, stats.size - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled === stats.size && sameVersion(stats, await handle.stat())) return { bytes, stats };
    } finally {
      await handle.close();
    }
  }
  throw fsError('EAGAIN', `${path} kept changing while it was read`);
}

/** Up to `length` bytes from the start of a file, with the metadata of the version read. */
export async function readHead(path: string, length: number): Promise<Snapshot> {
  const { handle, stats } = await openForReading(path);
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(Math.min(length, stats.size)), 0, Math.min(length, stats.size), 0);
    return { bytes: buffer.subarray(0, bytesRead), stats };
  } finally {
    await handle.close();
  }
}

/** The names and kinds in a directory (no file is opened). */
export function readDirectory(path: string): Promise<Dirent[]> {
  return fsp.readdir(path, { withFileTypes: true });
}

/** Metadata of a path, following symlinks. */
export function statPath(path: string): Promise<Stats> {
  return fsp.stat(path);
}
