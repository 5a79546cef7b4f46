// The base path (`--base /repo/`): the site served under a sub-path, as GitHub Pages serves a project
// site. Checked and normalised once; per request, a target is taken inside the base (its path made
// root-relative, so every later step sees the site as at `/`) or answered as outside it; the URLs that
// go out to the client (Locations, links) get the base in front.
import { UserError } from '../errors.js';
import { encodeQuery, type Target } from '../http/target.js';

/** A base other than `/`. */
export interface BasePath {
  /** Decoded, with a slash at both ends: `/repo/`, `/my repo/`. */
  path: string;
  /** As it is written in URLs, each segment percent-encoded: `/repo/`, `/my%20repo/`. */
  url: string;
}

/** A request outside the base: redirected into it (`/repo`, `/`), or not found (`location` undefined). */
export interface OutsideBase {
  ok: false;
  outside: true;
  location: string | undefined;
  status: number;
}

/** A target after the base step: inside (a root-relative path), unparseable, or outside the base. */
export type BaseTarget = Target | OutsideBase;

/** What makes a decoded value no path to serve under, or undefined when it is one. */
function baseProblem(decoded: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(decoded)) return 'it is a URL; give only its path';
  if (/[\x00-\x1f\x7f]/.test(decoded)) return 'it contains a control character';
  if (decoded.includes('\\')) return 'it contains a backslash';
  // A `%` left after decoding would be decoded again by the next reading: normalised values have none.
  for (const char of ['?', '#', '%']) if (decoded.includes(char)) return `it contains "${char}"`;
  if (decoded === '' || decoded === '/') return undefined;
  const segments = decoded.replace(/^\//, '').replace(/\/$/, '').split('/');
  if (segments.some((segment) => segment === '.' || segment === '..')) return 'it has a "." or ".." segment';
  if (segments.includes('')) return 'it has an empty segment ("//")';
  return undefined;
}

/**
 * A base as given (`repo`, `/repo`, `/repo/`, percent-encoded or not) → `/repo/` (decoded), or `/`
 * for none. Throws a UserError, naming `label`, for a value that is not a path.
 */
export function parseBase(raw: string, label = 'base'): string {
  const fail = (problem: string): never => {
    throw new UserError(`invalid ${label} ${JSON.stringify(raw)}: ${problem}; use a path such as /my-repo/`);
  };
  if (typeof raw !== 'string') fail('it is not a string');
  let decoded = '';
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    fail('malformed percent-encoding');
  }
  const problem = baseProblem(decoded);
  if (problem !== undefined) fail(problem);
  const inner = decoded.replace(/^\//, '').replace(/\/$/, '');
  return inner === '' ? '/' : `/${inner}/`;
}

/** The base of the handler's options, checked; undefined for `/`, so that no step runs for it. */
export function basePathOf(base: string | undefined): BasePath | undefined {
  const path = base === undefined ? '/' : parseBase(base);
  return path === '/' ? undefined : { path, url: baseUrl(path) };
}

/** A decoded base path as URLs write it: `/my repo/` → `/my%20repo/`. */
export function baseUrl(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * The base step: a target inside the base, its path made root-relative (`/repo/a` → `/a`); `/repo`
 * redirects (301) to `/repo/` and `/` (302: the base belongs to this run of the server, not to the
 * URL, so no browser should remember it) to the base, both keeping the query; anything else is outside.
 * Matched on the decoded, normalised path, segment by segment: `/repox/` is outside `/repo/`. The
 * answer cache keys by the root-relative path: one base per handler, and nothing outside it is kept.
 */
export function scopeToBase(base: BasePath, target: Target): BaseTarget {
  if (!target.ok) return target;
  const { path, query } = target;
  if (path.startsWith(base.path)) return { ...target, path: path.slice(base.path.length - 1) };
  const into = base.url + encodeQuery(query);
  if (path === base.path.slice(0, -1)) return { ok: false, outside: true, location: into, status: 301 };
  if (path === '/') return { ok: false, outside: true, location: into, status: 302 };
  return { ok: false, outside: true, location: undefined, status: 404 };
}

/** A Location from a root-relative path (`/docs/`) under the base; an absolute http(s) URL stays as it is. */
export function locationUnderBase(base: BasePath, location: string): string {
  return location.startsWith('/') ? base.url + location.slice(1) : location;
}
