// URL path → what to serve: a file, a directory listing, a redirect, or nothing. Owns the rules that
// change the mapping: config redirects, trailing slashes, clean URLs, rewrites, the SPA fallback,
// serve.json's renderSingle, unlisted and symlinks.
import { realpathSync } from 'node:fs';
import { basename, sep } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { readDirectory } from '../files/fs-access.js';
import { compilePattern, compilePatternList, substitute } from '../http/patterns.js';
import { encodeQuery, isHidden, locationFor, parseTarget, relativeInside, toFsPath, type Root } from '../http/target.js';
import type { Entry, HandlerOptions } from '../types.js';
import { CONFIG_FILE_NAMES } from './config-names.js';

export type Located =
  /** `vary`: request headers the choice of this file depended on (the SPA fallback's Accept). */
  | { kind: 'file'; entry: Entry; vary?: string }
  | { kind: 'listing'; directory: Entry; urlPath: string; query: string }
  | { kind: 'redirect'; location: string; status: number }
  | { kind: 'missing' };

export type PathTarget = { path: string; query: string; directoryForm: boolean };

const MISSING: Located = { kind: 'missing' };
/** fs error codes that mean "there is nothing to serve here". */
export const NOT_FOUND_CODES = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'ELOOP']);

export interface Locator {
  /**
   * Looks a path up; only entries whose real path is inside the root and not private (or, with
   * `symlinks`, reached through a link out of it, and not a dotfile).
   */
  lookupInside(path: string): Promise<Entry | undefined>;
  locate(req: IncomingMessage, target: PathTarget): Promise<Located>;
  /** Whether a name in a directory (given by real path, listed at `urlPath`) may appear in a listing. */
  isListed(directory: string, name: string, urlPath: string): boolean;
}

/**
 * Whether the request is a navigation: its Accept lists `text/html` (with q > 0). Browsers send that
 * for pages only; scripts, images, stylesheets and `fetch()` send "any type" or their own types, so an API
 * call or a missing asset gets the 404 instead of the app's shell.
 */
function isNavigation(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (!accept) return false;
  return accept.split(',').some((item) => {
    const [type, ...params] = item.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    return type === 'text/html' && (q === undefined || Number(q.slice(2)) > 0);
  });
}

/** A config destination as a Location: a path never becomes protocol-relative (`//host`, `/\host`). */
function redirectLocation(destination: string, query: string): string {
  const location = destination.startsWith('/') ? `/${destination.replace(/^[/\\]+/, '')}` : destination;
  return location.includes('?') || query === '' ? location : location + encodeQuery(query);
}

/** An option that is on, off, or on for the paths matching a list of patterns (compiled here, once). */
function pathRule(name: string, value: boolean | readonly string[]): (path: string) => boolean {
  if (typeof value === 'boolean') return () => value;
  if (!Array.isArray(value)) throw new TypeError(`createHandler: \`${name}\` must be true, false or a list of patterns`);
  return compilePatternList(value);
}

/** A list of patterns as one test on a path: any matches. */
function patternList(name: string, value: readonly string[]): (path: string) => boolean {
  if (!Array.isArray(value)) throw new TypeError(`createHandler: \`${name}\` must be a list of patterns`);
  return compilePatternList(value);
}

function realPathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

export function createLocator(root: Root, options: HandlerOptions, lookup: (path: string) => Promise<Entry>): Locator {
  const trailingSlash = options.trailingSlash ?? true;
  const cleanUrlsAt = pathRule('cleanUrls', options.cleanUrls ?? false);
  const listingAt = pathRule('listing', options.listing ?? true);
  const isUnlisted = patternList('unlisted', options.unlisted ?? []);
  const renderSingle = options.renderSingle ?? false;
  const symlinks = options.symlinks ?? false;
  const single = options.single === true ? 'index.html' : options.single || undefined;
  const redirects = (options.redirects ?? []).map((rule) => ({ ...rule, pattern: compilePattern(rule.source) }));
  const rewrites = (options.rewrites ?? []).map((rule) => ({ ...rule, pattern: compilePattern(rule.source) }));
  // Compared with symlink-free paths below, so resolved the same way (a root given through a link).
  const configFile = options.configFile === undefined ? undefined : realPathOrSelf(options.configFile);

  /** Dotfiles, dot-directories and the config file (at the root, or wherever --config named it). */
  function isPrivate(relative: string, realPath: string): boolean {
    return isHidden(relative) || CONFIG_FILE_NAMES.includes(relative) || realPath === configFile;
  }

  async function lookupInside(path: string): Promise<Entry | undefined> {
    let entry: Entry;
    try {
      entry = await lookup(path);
    } catch (error) {
      if (NOT_FOUND_CODES.has((error as NodeJS.ErrnoException).code ?? '')) return undefined;
      throw error;
    }
    const relative = relativeInside(root, entry.realPath);
    if (relative === undefined) return symlinks && isPublicOutside(entry.realPath) ? entry : undefined;
    return isPrivate(relative, entry.realPath) ? undefined : entry;
  }

  /**
   * A link's target outside the root (with `symlinks`): the request path was checked already, so
   * what is left is the target's own name; a dotfile stays private wherever a link points.
   */
  function isPublicOutside(realPath: string): boolean {
    return !basename(realPath).startsWith('.') && realPath !== configFile;
  }

  /** A directory listed at `urlPath` (`/docs/`): the pattern may name it with or without its slash. */
  function listable(urlPath: string): boolean {
    return listingAt(urlPath) || (urlPath !== '/' && listingAt(urlPath.slice(0, -1)));
  }

  /**
   * renderSingle: the file that is a directory's only entry. Its lookup goes through lookupInside, so a
   * lone dotfile or a link out of the root is no more served this way than by name.
   */
  async function onlyFile(directory: string): Promise<Entry | undefined> {
    const entries = await readDirectory(directory);
    if (entries.length !== 1) return undefined;
    const only = await lookupInside(`${directory}${sep}${entries[0]!.name}`);
    return only?.stats.isFile() ? only : undefined;
  }

  function redirectTo(path: string, query: string): Located {
    return { kind: 'redirect', location: locationFor(path, query), status: 301 };
  }

  /**
   * The file system's answer for a path, with the trailing-slash and clean-URL policies. A rewritten
   * path is `internal`: it is served as it is, never redirected (the client asked for another URL).
   */
  async function mapPath(target: PathTarget, internal = false): Promise<Located> {
    const { path, query, directoryForm } = target;
    if (isPrivate(path.slice(1), '')) return MISSING;
    const entry = await lookupInside(toFsPath(root, path));
    if (entry?.stats.isDirectory()) {
      if (!internal && trailingSlash && !directoryForm) return redirectTo(`${path}/`, query);
      if (!internal && !trailingSlash && directoryForm && path !== '/') return redirectTo(path.slice(0, -1), query);
      const index = await lookupInside(`${entry.realPath}${sep}index.html`);
      if (index?.stats.isFile()) return { kind: 'file', entry: index };
      const lone = renderSingle ? await onlyFile(entry.realPath) : undefined;
      if (lone) return { kind: 'file', entry: lone };
      const urlPath = directoryForm ? path : `${path}/`;
      return listable(urlPath) ? { kind: 'listing', directory: entry, urlPath, query } : MISSING;
    }
    // Only regular files: FIFOs, sockets and devices are refused from stat, never opened.
    if (entry?.stats.isFile()) {
      if (directoryForm) return MISSING; // `/file.txt/` names no file
      if (!internal && path.endsWith('.html') && cleanUrlsAt(path)) {
        const stripped = path.endsWith('/index.html') ? path.slice(0, -'index.html'.length) : path.slice(0, -'.html'.length);
        return redirectTo(stripped === '/' || trailingSlash || !stripped.endsWith('/') ? stripped : stripped.slice(0, -1), query);
      }
      return { kind: 'file', entry };
    }
    if (!entry && !directoryForm && path !== '/' && cleanUrlsAt(path)) {
      const page = await lookupInside(toFsPath(root, `${path}.html`));
      if (page?.stats.isFile()) return { kind: 'file', entry: page };
    }
    return MISSING;
  }

  /** For a path that matched nothing: the first matching rewrite, then the SPA fallback. */
  async function fallback(req: IncomingMessage, target: PathTarget): Promise<Located> {
    for (const rule of rewrites) {
      const params = rule.pattern.match(target.path);
      if (!params) continue;
      const rewritten = parseTarget(substitute(rule.destination, params));
      if (rewritten.ok) {
        const found = await mapPath({ ...rewritten, query: target.query }, true);
        if (found.kind !== 'missing') return found;
      }
      break;
    }
    if (single && !target.path.startsWith('/.well-known/') && isNavigation(req)) {
      const page = await lookupInside(root.prefix + single.replace(/^\/+/, ''));
      if (page?.stats.isFile()) return { kind: 'file', entry: page, vary: 'Accept' };
    }
    return MISSING;
  }

  return {
    lookupInside,
    async locate(req, target) {
      for (const rule of redirects) {
        const params = rule.pattern.match(target.path);
        if (params) {
          return { kind: 'redirect', location: redirectLocation(substitute(rule.destination, params), target.query), status: rule.type ?? 301 };
        }
      }
      const found = await mapPath(target);
      return found.kind === 'missing' ? fallback(req, target) : found;
    },
    isListed(directory, name, urlPath) {
      const isConfig = (directory === root.path && CONFIG_FILE_NAMES.includes(name)) || `${directory}${sep}${name}` === configFile;
      if (name.startsWith('.') || isConfig) return false;
      // serve matches `unlisted` against the name alone; the whole path may name one entry too.
      return !isUnlisted(`/${name}`) && !isUnlisted(`${urlPath}${name}`);
    },
  };
}
