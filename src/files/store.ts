// The one bounded memory of the file cache: everything kept (lookups, file bytes, ready-made answers)
// counts against one entry limit and one byte limit, and the oldest goes first when either is reached.

export interface StoreLimits {
  entries: number;
  bytes: number;
}

/** One kind of value in the store, under its own keys: typed, so no caller tells kinds apart by key. */
export interface Shelf<V> {
  get(key: string): V | undefined;
  /** Keeps `value`, counted as `bytes`; a value larger than the whole store is not kept. */
  set(key: string, value: V, bytes: number): void;
}

export interface Store {
  shelf<V>(name: string): Shelf<V>;
  /** Drops everything (a change on disk). */
  clear(): void;
  readonly entries: number;
  readonly bytes: number;
}

export function createStore(limits: StoreLimits): Store {
  const kept = new Map<string, { value: unknown; bytes: number }>();
  let bytes = 0;

  function remove(key: string): void {
    const old = kept.get(key);
    if (!old) return;
    kept.delete(key);
    bytes -= old.bytes;
  }

  function set(key: string, value: unknown, size: number): void {
    remove(key);
    if (size > limits.bytes) return;
    // Oldest first (a Map iterates in insertion order) until the new value fits both limits.
    for (const oldest of kept.keys()) {
      if (kept.size < limits.entries && bytes + size <= limits.bytes) break;
      remove(oldest);
    }
    kept.set(key, { value, bytes: size });
    bytes += size;
  }

  return {
    shelf<V>(name: string): Shelf<V> {
      const prefix = `${name}\0`;
      return {
        get: (key) => kept.get(prefix + key)?.value as V | undefined,
        set: (key, value, size) => set(prefix + key, value, size),
      };
    },
    clear() {
      kept.clear();
      bytes = 0;
    },
    get entries() {
      return kept.size;
    },
    get bytes() {
      return bytes;
    },
  };
}
