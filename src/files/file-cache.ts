// The file cache in front of fs-access: lookups (including misses), small files' bytes and their
// compressed forms, and shelves for answers derived from them, all in one bounded store; dropped on
// any change reported by the watches on the directories it has looked into (watches.ts), so a hit
// costs no system call. Where a directory cannot be watched, nothing under it is cached.
import { dirname, sep } from 'node:path';
import { compressBytes } from '../http/encoding.js';
import { lookup as lookupUncached, readHead, readWhole, versionOf, type Snapshot } from './fs-access.js';
import { SNIFF_BYTES } from '../http/mime.js';
import type { Coding, Entry } from '../types.js';
import type { DirectoryWatches } from './watches.js';
import { createInFlight } from './in-flight.js';
import { createStore } from './store.js';

/**
 * For a path under `rootPath`: watches every directory from the root down to the path's parent, the
 * ones whose changes can change what it resolves to, and says whether all are watched. A directory
 * that does not exist ends the chain (its creation shows up in its parent's watch), except the root:
 * while it is missing (a build wiped it), no watch here would see it come back. Called before the
 * file system is asked, so no change can slip in between.
 */
function watchesChain(rootPath: string, watches: DirectoryWatches): (path: string) => boolean {
  return (path) => {
    if (path !== rootPath && !path.startsWith(rootPath + sep)) return false;
    const directories: string[] = [];
    for (let dir = dirname(path); dir.length > rootPath.length; dir = dirname(dir)) directories.push(dir);
    directories.push(rootPath);
    for (const dir of directories.reverse()) {
      const state = watches.watch(dir);
      if (state === 'missing' && dir !== rootPath) return true;
      if (state !== 'watched') return false;
    }
    return true;
  };
}

/** Bounds that keep memory flat whatever the tree: bytes per file, and entries and bytes in all. */
export const CACHE_LIMITS = {
  /** Lookups, file bytes and answers kept at once, all kinds together. */
  entries: 20_000,
  /**
   * Files up to this size are kept in memory (and served with one write), as large as the ones read
   * whole for compression: past 256 KiB, each answer opened, stat'ed, read and closed the file, and
   * that cost 20-30% of the throughput at 0.5-1 MiB.
   */
  maxFileBytes: 1024 * 1024,
  /** Compressed forms are made in memory for compressible files up to this size. */
  maxCompressBytes: 1024 * 1024,
  totalBytes: 24 * 1024 * 1024,
} as const;

/** What a kept lookup is counted as, beside its key: its stats and path. */
const LOOKUP_BYTES = 256;

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
   * arrived has its watch event queued already, and events are read in the poll phase: one hop to
   * the check phase (setImmediate) sees it applied, so the next request is never served stale.
   */
  settle(): Promise<void>;
  /** The current generation: pass it to a shelf's `keep`, so work begun before a change is never kept. */
  stamp(): number;
  /** A shelf for values derived from the file system (ready-made answers), in the cache's one store. */
  shelf<V>(name: string): DerivedShelf<V>;
  /** Watches a directory whose entries a result depends on (a listing); false if it cannot be. */
  watchDirectory(path: string): boolean;
  close(): void;
}

/** Values derived from the file system, kept until the next change. */
export interface DerivedShelf<V> {
  recall(key: string): V | undefined;
  /** Kept only if nothing changed since `stamp` and every directory looked into was watched. */
  keep(key: string, value: V, stamp: number, bytes: number): void;
}

type Lookup = { entry: Entry } | { error: NodeJS.ErrnoException };

/** A cache for `rootPath`, dropped whole on every change `watches` reports. */
export function createFileCache(rootPath: string, watches: DirectoryWatches): FileCache {
  const store = createStore({ entries: CACHE_LIMITS.entries, bytes: CACHE_LIMITS.totalBytes });
  const lookups = store.shelf<Lookup>('lookup');
  const bodies = store.shelf<{ version: string; snapshot: Snapshot }>('bytes');
  /** Concurrent requests for the same bytes share one read (or one compression). */
  const reading = createInFlight<Snapshot | undefined>();
  let barrier: Promise<void> | undefined;
  /**
   * Bumped on every change, so work begun before a change never stores a stale result; and whenever
   * a lookup could not be watched, so nothing derived from it is kept either.
   */
  let generation = 0;
  let closed = false;

  function reset(): void {
    generation += 1;
    store.clear();
  }
  const stopListening = watches.subscribe(reset);

  const chainWatched = watchesChain(rootPath, watches);
  /** Whether results for `path` may be cached; when not, nothing begun now may be kept either. */
  function watchChain(path: string): boolean {
    if (!closed && chainWatched(path)) return true;
    generation += 1;
    return false;
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
    return reading(`${key}\0${version}`, async () => {
      const startedAt = generation;
      const cacheable = watchChain(entry.realPath);
      const source = await read();
      if (!source) return undefined;
      const made = await make(source);
      if (cacheable && generation === startedAt) bodies.set(key, { version: versionOf(made.stats), snapshot: made }, made.bytes.length + key.length);
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
      if (cacheable && generation === startedAt) lookups.set(path, result, path.length + LOOKUP_BYTES);
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
    shelf<V>(name: string): DerivedShelf<V> {
      const shelf = store.shelf<V>(name);
      return {
        recall: (key) => shelf.get(key),
        keep(key, value, stamp, bytes) {
          if (stamp === generation && !closed) shelf.set(key, value, bytes + key.length);
        },
      };
    },
    watchDirectory: (path) => watchChain(path) && !closed && watches.watch(path) === 'watched',
    close() {
      closed = true;
      stopListening();
      reset();
    },
  };
}
