// Directory watches shared by the file cache and live reload: one non-recursive fs.watch per directory
// (Node 20's recursive watcher stops reporting a file once a rename has replaced it; per-directory
// watchers keep reporting), kept true as directories are renamed, removed and created again.
import { watch, type FSWatcher } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';

/** Directories watched at once. Past it nothing new is watched (the cache then asks the disk). */
export const WATCH_LIMIT = 8_192;
/** While the served directory is missing (a build wiped it), how often to look for it again. */
const REVIVE_MS = 250;

export type WatchState = 'watched' | 'missing' | 'unwatchable';

/** Something in `directory` changed: the entry `name`, or (undefined) anything in it. */
export interface Change {
  directory: string;
  name: string | undefined;
}

export interface DirectoryWatches {
  /** Watches one directory (once, however often asked): its entries' creation, removal, renames, writes. */
  watch(directory: string): WatchState;
  /**
   * Keeps every directory under the root watched, including ones created later and the root itself
   * when it is removed and created again. `skip(relative)` leaves a subtree out (`relative` uses `/`).
   * Each directory found after the start is reported as a change of each file in it. Resolves once
   * the tree as it was at the start is watched.
   */
  watchTree(skip: (relative: string) => boolean): Promise<void>;
  /** Directories watched now. */
  readonly size: number;
  /** Calls `listener` for every change; returns the function that stops it. */
  subscribe(listener: (change: Change) => void): () => void;
  close(): void;
}

const MISSING_CODES = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG']);

export function createWatches(root: string): DirectoryWatches {
  const watchers = new Map<string, FSWatcher>();
  const listeners = new Set<(change: Change) => void>();
  let tree: { skip: (relative: string) => boolean } | undefined;
  let revive: NodeJS.Timeout | undefined;
  let closed = false;

  const notify = (change: Change): void => {
    for (const listener of listeners) listener(change);
  };
  const isUnder = (path: string, directory: string): boolean => path === directory || path.startsWith(directory + sep);
  const relativeOf = (path: string): string => relative(root, path).split(sep).join('/');

  /** Closes the watch on `path` and on every directory below it: their inodes may be gone or elsewhere. */
  function drop(path: string): void {
    for (const [directory, watcher] of watchers) {
      if (!isUnder(directory, path)) continue;
      watcher.close();
      watchers.delete(directory);
    }
  }

  function watchOne(directory: string): WatchState {
    if (watchers.has(directory)) return 'watched';
    if (closed || watchers.size >= WATCH_LIMIT) return 'unwatchable';
    let watcher: FSWatcher;
    try {
      watcher = watch(directory, { persistent: false }, (event, filename) => onEvent(directory, event, filename?.toString()));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (MISSING_CODES.has(code)) {
        if (directory === root && tree) lookForRoot();
        return 'missing';
      }
      return 'unwatchable'; // e.g. ENOSPC: out of watches (inotify's limit on Linux)
    }
    // A watch that fails later (the directory unmounted) is dropped: what it guarded is unknown now.
    watcher.on('error', () => {
      drop(directory);
      notify({ directory, name: undefined });
      if (directory === root && tree) lookForRoot();
    });
    watchers.set(directory, watcher);
    return 'watched';
  }

  function onEvent(directory: string, event: string, name: string | undefined): void {
    // A watched directory's own move or removal is reported in it, under its own name: its watch, and
    // those below it, followed the old inode. Watch that path anew (the directory created again, or
    // another renamed into its place, or nothing).
    if (event === 'rename' && (name === undefined || name === basename(directory))) {
      drop(directory);
      if (tree) void rewatch(directory);
    }
    notify({ directory, name });
    if (tree && name !== undefined && event === 'rename') void discover(join(directory, name));
  }

  /** Watches a directory that may have been replaced, and (tree) everything new under it. */
  async function rewatch(directory: string): Promise<void> {
    if (watchOne(directory) === 'watched' && tree) await walk(directory, true);
  }

  /** A new entry under a tree-watched directory: if it is a directory, watch it and report its files. */
  async function discover(path: string): Promise<void> {
    if (!tree || tree.skip(relativeOf(path))) return;
    // Symbolic links are not followed (a link to a parent would loop), as in `walk`.
    const isDirectory = await lstat(path).then((stats) => stats.isDirectory(), () => false);
    if (isDirectory && !watchers.has(path) && watchOne(path) === 'watched') await walk(path, true);
  }

  /**
   * Watches the directories below `directory` (already watched), each before it is read, so nothing
   * created meanwhile goes unseen. With `report`, every file found is a change: it is new.
   */
  async function walk(directory: string, report: boolean): Promise<void> {
    const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (closed || !tree) return;
      const path = join(directory, entry.name);
      if (tree.skip(relativeOf(path))) continue;
      // Symbolic links are not followed: a link to a parent would loop.
      if (entry.isDirectory()) {
        if (watchOne(path) === 'watched') await walk(path, report);
      } else if (report) {
        notify({ directory, name: entry.name });
      }
    }
  }

  /** The root is gone (a build wiped it): look for it until it is back, then watch it all again. */
  function lookForRoot(): void {
    if (revive || closed) return;
    revive = setInterval(() => {
      void stat(root).then(
        (stats) => {
          if (!stats.isDirectory() || !revive || watchOne(root) !== 'watched') return;
          clearInterval(revive);
          revive = undefined;
          notify({ directory: root, name: undefined });
          void walk(root, true);
        },
        () => {},
      );
    }, REVIVE_MS);
    revive.unref();
  }

  return {
    watch: watchOne,
    get size() {
      return watchers.size;
    },
    async watchTree(skip) {
      tree = { skip };
      if (watchOne(root) === 'watched') await walk(root, false);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closed = true;
      if (revive) clearInterval(revive);
      revive = undefined;
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
      listeners.clear();
    },
  };
}
