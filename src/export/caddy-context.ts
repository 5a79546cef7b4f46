// What every part of the Caddy writer reads and shares: the site with its settled options, the
// notes so far, and the few Caddyfile idioms more than one part writes (pages, redirects, path matchers).
import { pageAnswer } from '../http/pages.js';
import { NO_CACHE } from '../handler/cache-policy.js';
import type { Effective, Site } from './site.js';
import { block, escapeBraces, literal, regexToken, token } from './caddy-syntax.js';

/** What every step reads: the site, its settled options, the notes so far. */
export interface Context {
  site: Site;
  settings: Effective;
  notes: string[];
  /** The base path without its last slash (`/repo`), '' for none, decoded: what paths are matched with. */
  base: string;
  /** The same percent-encoded (`/my%20repo`): in front of every path Location. */
  baseUrl: string;
  /** tiny-serve's private paths, root-relative (see privatePathRegex). */
  privateRegex: string;
  /** The private paths besides dot names and the config names at the root: links out of the root, a --config file inside it. */
  hiddenPaths: string[];
}

/** The headers of tiny-serve's own pages (404, 405, redirects): `?` leaves a value an option header gave. */
export const PAGE_HEADERS = ['header Content-Type "text/html; charset=utf-8"', `header ?Cache-Control ${NO_CACHE}`, 'header ?X-Content-Type-Options nosniff'];

/** Matcher line: the path was marked private (privateStep). */
export const PRIVATE = 'vars private yes';

/**
 * A body without its last newline: a token holding a line break is re-indented (so changed) by
 * `caddy fmt`, which a user may well run on this file.
 */
export function oneLine(text: string): string {
  return text.replace(/\n$/, '');
}

/** The built-in page tiny-serve answers a status with, as its own text. */
export function builtInPage(status: number, extra: string[] = []): string[] {
  const page = pageAnswer(status);
  return [...PAGE_HEADERS, `header ?Content-Security-Policy ${token("default-src 'none'")}`, ...extra, `respond ${literal(oneLine(page.body.toString('utf8')))} ${status}`];
}

/** A redirect as tiny-serve answers it: its page's headers (Caddy's redirect has no body). */
export function redirectAnswer(location: string, status: number): string[] {
  return [...PAGE_HEADERS, `redir * ${token(location)} ${status}`];
}

/**
 * A header set as the answer is written, over what Caddy's own handlers add (encode adds
 * `Vary: Accept-Encoding` when it compresses).
 */
export function deferred(matcher: string, operation: string): string[] {
  return block(matcher === '' ? 'header' : `header ${matcher}`, [operation, 'defer']);
}

/** A path matcher on tiny-serve's terms: the decoded path, case-sensitive (Caddy's `path` is not). */
export function pathRegex(name: string, regex: string): string {
  return `path_regexp ${name} ${regexToken(regex)}`;
}

/** A path Location under the base (tiny-serve adds it to every Location it makes from a path). */
export function underBase(context: Context, location: string): string {
  return location.startsWith('/') ? escapeBraces(context.baseUrl) + location : location;
}

export function noteOnce({ notes }: Context, note: string): void {
  if (!notes.includes(note)) notes.push(note);
}
