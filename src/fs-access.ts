// The only module that touches the file system on the request path: lookup, opening, small reads.
// Keeping it this small lets a cache sit in front of it later without touching the pipeline.
import { promises as fsp, type Dirent, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Entry } from './types.js';

/** Resolves symlinks and reads the metadata of what `path` points to. Rejects with the fs error. */
export async function lookup(path: string): Promise<Entry> {
  const realPath = await fsp.realpath(path);
  const stats = await fsp.stat(realPath);
  return { realPath, stats };
}

/** Opens a file for reading; the caller must close the handle (a read stream with autoClose does). */
export function openForReading(path: string): Promise<FileHandle> {
  return fsp.open(path, 'r');
}

/** Reads a whole small file (error pages). */
export function readSmallFile(path: string): Promise<Buffer> {
  return fsp.readFile(path);
}

/** The names and kinds in a directory (no file is opened). */
export function readDirectory(path: string): Promise<Dirent[]> {
  return fsp.readdir(path, { withFileTypes: true });
}

/** Metadata of a path, following symlinks. */
export function statPath(path: string): Promise<Stats> {
  return fsp.stat(path);
}
