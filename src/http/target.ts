// URL → safe file-system path: decoding, rejection of hostile targets, containment, hidden names,
// and the path-only Location values built from a decoded path.
import { posix, sep } from 'node:path';

/** A request target reduced to a decoded, normalized path (always starting with `/`). */
export type Target =
  | { ok: true; path: string; query: string; directoryForm: boolean }
  | { ok: false; reason: string };

// scheme "://" authority: the absolute form of RFC 9112 §3.2.2 (`GET http://host/path`).
export const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

function reject(reason: string): Target {
  return { ok: false, reason };
}

/**
 * Parses a raw `req.url`: drops the scheme and authority of an absolute-form target, splits off the
 * query, percent-decodes the path once and normalizes it. Returns a rejection (400) for malformed
 * percent-encoding, NUL bytes, backslashes and `..` segments: none has a legitimate use here, and
 * refusing them outright keeps every traversal variant out before any path is built.
 */
export function parseTarget(rawUrl: string): Target {
  let rest = rawUrl;
  if (!rest.startsWith('/')) {
    const absolute = ABSOLUTE_FORM.exec(rest);
    if (!absolute) return reject('request target is not a path');
    rest = rest.slice(absolute[0].length);
    if (!rest.startsWith('/')) rest = `/${rest}`;
  }
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  const question = rest.indexOf('?');
  const rawPath = question === -1 ? rest : rest.slice(0, question);
  const query = question === -1 ? '' : rest.slice(question);

  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return reject('malformed percent-encoding');
  }
  if (decoded.includes('\0')) return reject('NUL byte in path');
  if (decoded.includes('\\')) return reject('backslash in path');
  if (decoded.split('/').includes('..')) return reject('parent-directory segment in path');

  const path = posix.normalize(decoded);
  return { ok: true, path, query, directoryForm: path.endsWith('/') };
}

/** Containment check helpers for one root (absolute, symlink-free). */
export interface Root {
  path: string;
  /** The root with exactly one trailing separator: a real prefix test, never `startsWith(root)`. */
  prefix: string;
}

export function makeRoot(realRoot: string): Root {
  return { path: realRoot, prefix: realRoot.endsWith(sep) ? realRoot : realRoot + sep };
}

/** The path of `target` relative to the root, or `undefined` when it lies outside. */
export function relativeInside(root: Root, absolute: string): string | undefined {
  if (absolute === root.path) return '';
  return absolute.startsWith(root.prefix) ? absolute.slice(root.prefix.length) : undefined;
}

/** The file-system path a decoded URL path names under the root. */
export function toFsPath(root: Root, urlPath: string): string {
  return root.prefix + urlPath.slice(1).split('/').join(sep);
}

/**
 * Whether a root-relative path names or passes through a dotfile or dot-directory. Only a top-level
 * `.well-known` directory is public (RFC 8615).
 */
export function isHidden(relative: string): boolean {
  const parts = relative.split(/[\\/]/);
  return parts.some((part, index) => part.startsWith('.') && !(index === 0 && part === '.well-known'));
}

/** A raw query string made header-safe: the client's bytes kept, anything unsafe percent-encoded. */
export function encodeQuery(query: string): string {
  // Keep the client's bytes (Node hands them over as latin1 characters) but never let a byte that a
  // header cannot carry through.
  return query.replace(/[^\x21-\x7e]/g, (char) => {
    const code = char.charCodeAt(0);
    return code < 256 ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : encodeURIComponent(char);
  });
}

/**
 * A path-only `Location` for a decoded, normalized path: every segment percent-encoded, so it can
 * never start with `//` or `/\` (no open redirect) and never carries CR/LF into a header.
 */
export function locationFor(path: string, query: string): string {
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return `/${encoded.replace(/^\/+/, '')}${encodeQuery(query)}`;
}
