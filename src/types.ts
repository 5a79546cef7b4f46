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
   * Compress compressible responses (text, JS, JSON, SVG, wasm…) on the fly with brotli or gzip when
   * the client accepts it. Precompressed `file.br` / `file.gz` siblings are served either way.
   * @default true
   */
  compress?: boolean;
  /**
   * Send an `ETag` (from size, mtime and inode; never a hash). Without it `Last-Modified` still
   * answers conditional requests.
   * @default true
   */
  etag?: boolean;
  /**
   * Seconds for `Cache-Control: public, max-age=<cache>` on every file. Unset means `no-cache`:
   * browsers revalidate every time, so a preview never shows a stale file.
   * @default undefined
   */
  cache?: number;
  /**
   * Files whose names carry a content hash (`app.3f9a1c2b.js`, `chunk-BX3k9aQz.js`) get
   * `Cache-Control: public, max-age=31536000, immutable`. HTML never does.
   * @default false
   */
  cacheHashed?: boolean;
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

/** Content codings this server produces or serves precompressed. */
export type Coding = 'br' | 'gzip';

/** One representation of a file, chosen for a request, with everything decided from metadata. */
export interface Representation {
  /** The file whose bytes are read: the requested file, or its precompressed sibling. */
  file: Entry;
  /** The Content-Encoding sent, if any. */
  coding: Coding | undefined;
  /** True when `coding` is applied while sending (the file itself is not encoded). */
  compressOnTheFly: boolean;
  /** Undefined when ETags are turned off. */
  etag: string | undefined;
  /** Seconds since the epoch, clamped to "now" so Last-Modified never follows Date. */
  lastModifiedSeconds: number;
  /** Headers of the 200 response; no Content-Length when compressing on the fly. */
  headers: Record<string, string | number>;
}
