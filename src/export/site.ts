// What an export describes: the served site as settled by the flags and config file (the same
// Settings the server runs with), in the shape both configuration writers read, with the values they
// share: the content types tiny-serve sends, the hidden names, the cache policy's patterns.
import { types as mimeTypes } from 'mime-types';
import type { Endpoint } from '../server/endpoints.js';
import type { TlsFiles } from '../server/tls.js';
import type { HandlerOptions } from '../types.js';
import { typeFromName } from '../http/mime.js';
import { CONFIG_FILE_NAMES } from '../handler/config-names.js';
import { parseBase } from '../handler/base-path.js';

/** The servers tiny-serve writes configuration for. */
export type ExportTarget = 'nginx' | 'caddy';

/** Everything an export reads: plain data, so the writers stay pure and testable. */
export interface Site {
  /** Absolute, symlink-free directory served. */
  root: string;
  /** The handler options, as the server would run with them (root included). */
  options: HandlerOptions;
  /** Where tiny-serve would listen, in order. */
  endpoints: Endpoint[];
  /** Certificate files (`--ssl-cert`/`--ssl-key`); 'self-signed' for `--ssl`; undefined for HTTP. */
  tls: TlsFiles | 'self-signed' | undefined;
  http2: boolean;
  /** Absolute path of the password file written beside the output, with `--auth`. */
  passwordFile: string | undefined;
  /** The version of tiny-serve that wrote it, for the header comment. */
  version: string;
  /** The command line it was written from, for the header comment. */
  command: string;
}

/** A target's configuration: its text, and what it could not express (each a comment in the text and a warning). */
export interface Written {
  text: string;
  notes: string[];
}

/**
 * Every file extension tiny-serve knows a type for, with the exact Content-Type it sends (a charset
 * for text). Extensions it leaves to a file's first bytes (`.ts`) are missing: a target types those
 * by its own table.
 */
export function contentTypes(): Map<string, string> {
  const byExtension = new Map<string, string>();
  for (const extension of Object.keys(mimeTypes).sort()) {
    const type = typeFromName(`file.${extension}`);
    if (type !== undefined) byExtension.set(extension, type);
  }
  const cjs = typeFromName('file.cjs');
  if (cjs !== undefined) byExtension.set('cjs', cjs);
  return byExtension;
}

/** The names a site's config file has at the root: never served. */
export const CONFIG_NAMES: readonly string[] = CONFIG_FILE_NAMES;

/** The options with every default filled in, so a writer never guesses one. */
export interface Effective {
  compress: boolean;
  etag: boolean;
  cache: number | undefined;
  cacheHashed: boolean;
  listing: boolean | string[];
  unlisted: string[];
  renderSingle: boolean;
  symlinks: boolean;
  /** The SPA fallback file, root-relative without its leading slash; undefined when off. */
  single: string | undefined;
  cleanUrls: boolean | string[];
  trailingSlash: boolean;
  /** `/` or `/repo/`. */
  base: string;
  cors: boolean;
  crossOriginIsolated: boolean;
}

export function effective(options: HandlerOptions): Effective {
  // The handler's own normal form (`repo`, `/repo` → `/repo/`), as the server reads the option.
  const base = options.base === undefined ? '/' : parseBase(options.base);
  const single = options.single === true ? 'index.html' : options.single || undefined;
  return {
    compress: options.compress ?? true,
    etag: options.etag ?? true,
    cache: options.cache,
    cacheHashed: options.cacheHashed ?? false,
    listing: options.listing ?? true,
    unlisted: options.unlisted ?? [],
    renderSingle: options.renderSingle ?? false,
    symlinks: options.symlinks ?? false,
    single: single?.replace(/^\/+/, ''),
    cleanUrls: options.cleanUrls ?? false,
    trailingSlash: options.trailingSlash ?? true,
    base,
    cors: options.cors ?? false,
    crossOriginIsolated: options.crossOriginIsolated ?? false,
  };
}
