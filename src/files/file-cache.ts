// The file cache in front of fs-access: lookups (including misses), small files' bytes and their
// compressed forms, invalidated by watches on the directories it has looked into (watches.ts), so a
// hit costs no system call. Where a directory cannot be watched, nothing under it is cached.
import { dirname, sep } from 'node:path';
import { compressBytes } from '../http/encoding.js';
import { lookup as lookupUncached, readHead, readWhole, versionOf, type Snapshot } from './fs-access.js';
import { SNIFF_BYTES } from '../http/mime.js';
import type { Coding, Entry } from '../types.js';
import type { DirectoryWatches } from './watches.js';

/** Bounds that keep memory flat whatever the tree: entries, bytes per file, bytes in total. */
export const CACHE_LIMITS = {
  entries: 10_000,
  /** Files up to this size are kept in memory (and served with one write). */
  maxFileBytes: 256 * 1024,
  /** Compressed forms are made in memory for compressible files up to this size. */
  maxCompressBytes: 1024 * 1024,
  totalBytes: 24 * 1024 * 1024,
} as const;

const NEGATIVE_CODES = new Set(['ENOENT', 'ENOTDIR']);

export interface FileCache {
  /** Same contract as fs-access `lookup`: the real path and stats, or a rejection with the fs error. */
  lookup(path: string): Promise<Entry>;
  /**
   * The bytes of a small file with the metadata of the version read, which may be newer than
   * `entry` (the file changed since it was looked up); undefined when it is too big.
   */
  contents(entry: Entry): Promise<Snapshot | undefined>;
  /** The compressed bytes of a small file, with the metadata of the version compressed; or undefined. */
  compressed(entry: Entry, coding: Coding): Promise<Snapshot | undefined>;
  /** The first SNIFF_BYTES of a file of any size (for its type when its name does not tell). */
  head(entry: Entry): Promise<Buffer>;
  /**
   * Resolves after pending file-system events are handled. An edit that finished before a request
   * arrived has its inotify event queued already, and events are read in the poll phase: one hop to
   * the check phase (setImmediate) sees it applied, so the next request is never served stale.
   */
  settle(): Promise<void>;
  /** The current generation: pass it to `remember` so work begun before a change is never kept. */
  stamp(): number;
  /**
   * Keeps a value derived from the file system (a ready-made answer) until the next change. Kept
   * only if nothing changed since `stamp` and every directory looked into is watched.
   */
  remember(key: string, value: unknown, stamp: number, bytes: number): void;
  recall<T>(key: string): T | undefined;
  /** Watches a directory whose entries a result depends on (a listing); false if it cannot be. */
  watchDirectory(path: string): boolean;
  close(): void;
}

type Lookup = { entry: Entry } | { error: NodeJS.ErrnoException };

/** A cache for `rootPath`, dropped whole on every change `watches` reports. */
export function createFileCache(rootPath: string, watches: DirectoryWatches): FileCache {
  const lookups = new Map<string, Lookup>();
  const bodies = new Map<string, { version: string; snapshot: Snapshot }>();
  const memo = new Map<string, { value: unknown; bytes: number }>();
  let memoBytes = 0;
  let barrier: Promise<void> | undefined;
  let bodyBytes = 0;
  /**
   * Bumped on every change, so work begun before a change never stores a stale result; and whenever
   * a lookup could not be watched, so nothing derived from it is kept either.
   */
  let generation = 0;
  let closed = false;

  function reset(): void {
    generation += 1;
    lookups.clear();
    memo.clear();
    memoBytes = 0;
    bodies.clear();
    bodyBytes = 0;
  }
  const stopListening = watches.subscribe(reset);

  /**
   * Watches every directory from the root down to `path`'s parent: the ones whose changes can change
   * what `path` resolves to. A directory that does not exist ends the chain (its creation shows up in
   * its parent's watch), except the root: while it is missing (a build wiped it), no watch here would
   * see it come back, so nothing is cached. Called before the file system is asked, so no change can
   * slip in between. Returns whether results for `path` may be cached.
   */
  function watchChain(path: string): boolean {
    if (path !== rootPath && !path.startsWith(rootPath + sep)) return false;
    const directories: string[] = [];
    for (let dir = dirname(path); dir.length > rootPath.length; dir = dirname(dir)) directories.push(dir);
    directories.push(rootPath);
    for (const dir of directories.reverse()) {
      const state = closed ? 'unwatchable' : watches.watch(dir);
      if (state === 'missing' && dir !== rootPath) return true;
      if (state !== 'watched') {
        // Out of watches (or the root gone): nothing begun now may be kept.
        generation += 1;
        return false;
      }
    }
    return true;
  }

  function remember(key: string, value: Lookup): void {
    if (lookups.size >= CACHE_LIMITS.entries) lookups.delete(lookups.keys().next().value!);
    lookups.set(key, value);
  }

  function storeBody(key: string, snapshot: Snapshot, startedAt: number): void {
    const { bytes } = snapshot;
    if (generation !== startedAt || bytes.length + bodyBytes > CACHE_LIMITS.totalBytes) return;
    const previous = bodies.get(key);
    if (previous) bodyBytes -= previous.snapshot.bytes.length;
    bodies.set(key, { version: versionOf(snapshot.stats), snapshot });
    bodyBytes += bytes.length;
  }

  /** Concurrent requests for the same bytes share one read (or one compression). */
  const inProgress = new Map<string, Promise<Snapshot | undefined>>();
  function shared(key: string, version: string, make: () => Promise<Snapshot | undefined>): Promise<Snapshot | undefined> {
    const id = `${key}\0${version}`;
    let pending = inProgress.get(id);
    if (!pending) {
      pending = make().finally(() => inProgress.delete(id));
      inProgress.set(id, pending);
    }
    return pending;
  }

  /**
   * The stored bytes under `key` when they are of the version `entry` describes; else `make` them
   * (once for concurrent callers) from a fresh read, and store them under the version actually read.
   */
  function bytesFor(
    key: string,
    entry: Entry,
    limit: number,
    make: (source: Snapshot) => Promise<Snapshot>,
    read = (): Promise<Snapshot | undefined> => readWhole(entry.realPath, limit),
  ): Promise<Snapshot | undefined> {
    if (entry.stats.size > limit) return Promise.resolve(undefined);
    const version = versionOf(entry.stats);
    const cached = bodies.get(key);
    if (cached?.version === version) return Promise.resolve(cached.snapshot);
    return shared(key, version, async () => {
      const startedAt = generation;
      const cacheable = watchChain(entry.realPath);
      const source = await read();
      if (!source) return undefined;
      const made = await make(source);
      if (cacheable) storeBody(key, made, startedAt);
      return made;
    });
  }

  const keep = async (source: Snapshot): Promise<Snapshot> => source;

  const contents = (entry: Entry): Promise<Snapshot | undefined> => bytesFor(entry.realPath, entry, CACHE_LIMITS.maxFileBytes, keep);

  const compressed = (entry: Entry, coding: Coding): Promise<Snapshot | undefined> =>
    bytesFor(`${entry.realPath}\0${coding}`, entry, CACHE_LIMITS.maxCompressBytes, async ({ bytes, stats }) => ({
      bytes: await compressBytes(bytes, coding),
      stats,
    }));

  /** A small file's head comes from its kept bytes; a larger one's is read and kept on its own. */
  const head = async (entry: Entry): Promise<Buffer> => {
    const whole = await contents(entry);
    if (whole) return whole.bytes.subarray(0, SNIFF_BYTES);
    const start = await bytesFor(`${entry.realPath}\0head`, entry, Infinity, keep, () => readHead(entry.realPath, SNIFF_BYTES));
    return start!.bytes;
  };

  return {
    async lookup(path) {
      const cached = lookups.get(path);
      if (cached) {
        if ('entry' in cached) return cached.entry;
        throw cached.error;
      }
      const startedAt = generation;
      const cacheable = watchChain(path);
      let result: Lookup;
      try {
        const entry = await lookupUncached(path);
        result = { entry };
        // Through a symlink, the real path's directories matter too. Watches made only now came
        // after the stat, so this one result is not cached; the next lookup finds them in place.
        if (entry.realPath !== path) {
          const before = watches.size;
          if (!watchChain(entry.realPath) || watches.size !== before) {
            // Nor may anything derived from it be kept (an answer): end the current generation.
            generation += 1;
            return entry;
          }
        }
      } catch (error) {
        result = { error: error as NodeJS.ErrnoException };
        if (!NEGATIVE_CODES.has(result.error.code ?? '')) throw error;
      }
      if (cacheable && generation === startedAt) remember(path, result);
      if ('entry' in result) return result.entry;
      throw result.error;
    },
    contents,
    compressed,
    head,
    // One barrier per turn of the event loop, shared by every request that arrives in it.
    settle: () =>
      (barrier ??= new Promise<void>((resolve) =>
        setImmediate(() => {
          barrier = undefined;
          resolve();
        }),
      )),
    stamp: () => generation,
    remember(key, value, stamp, bytes) {
      if (stamp !== generation || closed || memo.has(key)) return;
      while (memo.size > 0 && (memo.size >= CACHE_LIMITS.entries || memoBytes + bytes > CACHE_LIMITS.totalBytes)) {
        const [oldest, { bytes: freed }] = memo.entries().next().value!;
        memo.delete(oldest);
        memoBytes -= freed;
      }
      if (bytes > CACHE_LIMITS.totalBytes) return;
      memo.set(key, { value, bytes });
      memoBytes += bytes;
    },
    recall: <T>(key: string) => memo.get(key)?.value as T | undefined,
    watchDirectory: (path) => watchChain(path) && !closed && watches.watch(path) === 'watched',
    close() {
      closed = true;
      stopListening();
      reset();
    },
  };
}
