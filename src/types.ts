// Shared types: the handler's public options and the values passed between request-pipeline steps.
import type { Stats } from 'node:fs';

/** Options of `createHandler`. Every field is optional except `root`. */
export interface HandlerOptions {
  /**
   * Directory to serve. Resolved to an absolute, symlink-free path once, when the handler is
   * created; the handler throws if it does not exist or is not a directory.
   */
  root: string;
  /**
   * Called once for every unexpected error that becomes a 500 (or an aborted response).
   * @default writes one line to stderr
   */
  onError?: (error: unknown, url: string) => void;
}

/** A file found under the root: its real (symlink-resolved) path and its metadata. */
export interface Entry {
  realPath: string;
  stats: Stats;
}

/** The validators and headers of one file's representation, computed from metadata only. */
export interface Representation {
  entry: Entry;
  etag: string;
  /** Seconds since the epoch, clamped to "now" so Last-Modified never follows Date. */
  lastModifiedSeconds: number;
  headers: Record<string, string | number>;
}
