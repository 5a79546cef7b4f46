// The fs-access seam with every function spied on (each still calls the real one), for tests that
// assert which file-system calls a request makes. In a test file:
//   vi.mock('../src/files/fs-access.js', async (importOriginal) => (await import('./fs-spies.js')).spiedFsAccess(importOriginal));
//   import * as files from '../src/files/fs-access.js';
import { vi } from 'vitest';

type FsAccess = typeof import('../src/files/fs-access.js');

/** Every function through which the request path reaches the file system. */
export const SEAM = ['lookup', 'openForReading', 'readWhole', 'readHead', 'statPath', 'readDirectory'] as const;
export type SeamFunction = (typeof SEAM)[number];

/** The module for `vi.mock`'s factory: the original, its seam functions wrapped in spies. */
export async function spiedFsAccess(importOriginal: () => Promise<unknown>): Promise<FsAccess> {
  const original = (await importOriginal()) as FsAccess;
  return { ...original, ...Object.fromEntries(SEAM.map((name) => [name, vi.fn(original[name])])) };
}

/** The paths each of `names` was called with since the last `forgetFsCalls`: only those called. */
export function fsCalls(files: FsAccess, names: readonly SeamFunction[] = SEAM): Partial<Record<SeamFunction, unknown[]>> {
  const calls: Partial<Record<SeamFunction, unknown[]>> = {};
  for (const name of names) {
    const paths = vi.mocked(files[name]).mock.calls.map(([path]) => path);
    if (paths.length > 0) calls[name] = paths;
  }
  return calls;
}

export function forgetFsCalls(files: FsAccess): void {
  for (const name of SEAM) vi.mocked(files[name]).mockClear();
}
