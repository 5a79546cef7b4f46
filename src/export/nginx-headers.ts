// The nginx writer's headers: what tiny-serve sends on each kind of response (a file, its 304, a
// listing, the 404, a redirect or other page, 204, 401), then --header, CORS and isolation over
// them, then the config's header rules by path. Each header is one `add_header … always` whose value
// comes from maps (an empty value sends no header), so every status gets exactly its headers.
import { contentTypes } from './site.js';
import type { Context } from './nginx-context.js';
import { Block, escapeRegex, interpolated, patternKey, regex, word } from './nginx-syntax.js';
import { parseHeaderFlag } from '../handler/response-headers.js';
import { isCompressible } from '../http/encoding.js';

const ALLOWED = 'GET, HEAD, OPTIONS';
const NO_CACHE = 'no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const CORS_EXPOSE = 'Content-Length, Content-Range, Content-Encoding, ETag, Last-Modified, Accept-Ranges';
const DEFAULT_ALLOW_HEADERS = 'Range, If-None-Match, If-Modified-Since, If-Range';

/** Response kinds, from the status (and, for 200, whether nginx's listing answered). */
type Kind = 'file' | 'revalidated' | 'listing' | 'missing' | 'not_allowed' | 'page' | 'empty' | 'unauthorized';

/** A header's value before options: per kind (a constant or a variable), or one value for every response. */
type Base = Partial<Record<Kind, string>>;

interface HeaderPlan {
  name: string;
  /** What tiny-serve's pipeline sends, by kind; undefined when only options add it. */
  base?: Base;
  /** The value --header, CORS or isolation puts on every response (overrides the base). */
  fixed?: string;
  /** Config rules naming it, in order: pattern key and value (null removes). */
  rules: { key: string; value: string | null }[];
}

/**
 * Content-hashed file names as tiny-serve's cache policy tells them (cache-policy.ts): a long
 * dot/dash-separated token holding a digit, or an 8-character one that does not read as words.
 */
export const HASHED =
  '[.-](?:(?=[A-Za-z0-9_]*[0-9])[A-Za-z0-9_]{8,64}|(?!(?:[a-z]|[A-Z][a-z]|[-_])*\\.[A-Za-z0-9]+$)[A-Za-z0-9_-]{8})\\.[A-Za-z0-9]+$';

function extensionsRegex(extensions: string[]): string {
  return `\\.(?:${extensions.map(escapeRegex).join('|')})$`;
}

/** Writes the maps (http level) and returns the add_header lines for the server block. */
export function headerMaps(context: Context, out: Block): string[] {
  const plans = headerPlans(context);
  kindMaps(context, out);
  const lines: string[] = [];
  const slugs = new Set<string>();
  out.comment("Each header's *_once value is empty on a 416: nginx sends a refused range through add_header twice (for the file, then for the 416).");
  for (const plan of plans) {
    let slug = plan.name.toLowerCase().replace(/[^a-z0-9]+/g, '_');
    while (slugs.has(slug)) slug += '_';
    slugs.add(slug);
    const value = planValue(context, out, plan, slug);
    if (value !== '""') lines.push(`add_header ${word(plan.name)} ${onceValue(context, out, value, slug)} always;`);
  }
  return lines;
}

/**
 * A header's value for its add_header: empty on a 416. nginx's range filter refuses a range after
 * add_header ran for the file, and the 416 then goes through the header filters again: without this,
 * it would carry every header twice. `volatile`, since the first pass cached the value for a 200.
 */
function onceValue(context: Context, out: Block, value: string, slug: string): string {
  const once = context.names.variable(`${slug}_once`);
  out.block(`map $status ${once}`, (inner) => inner.line('volatile;').line('416 "";').line(`default ${value};`));
  return once;
}

/** The variable or constant a plan's header is sent with, writing the maps it needs. */
function planValue(context: Context, out: Block, plan: HeaderPlan, slug: string): string {
  const v = context.names.variable;
  const quote = (text: string): string => interpolated(text, context.names);
  let value = '""';
  if (plan.base) {
    const entries = Object.entries(plan.base).filter(([, text]) => text !== '');
    value = v(`${slug}_base`);
    out.comment(`${plan.name} by response kind.`);
    out.block(`map ${v('kind')} ${value}`, (inner) => {
      for (const [kind, text] of entries) inner.line(`${kind} ${text.startsWith('$') ? text : quote(text)};`);
      inner.line('default "";');
    });
  }
  if (plan.fixed !== undefined) value = quote(plan.fixed);
  if (plan.rules.length > 0) {
    const fallback = value;
    value = v(slug);
    out.comment(`${plan.name} by the config's header rules (the last matching rule wins; "" removes it), else the default.`);
    out.block(`map ${v('path')} ${value}`, (inner) => {
      inner.comment('Outside the base no rule applies.');
      inner.line(`"" ${fallback};`);
      for (const rule of [...plan.rules].reverse()) inner.line(`${rule.key} ${rule.value === null ? '""' : quote(rule.value)};`);
      inner.line(`default ${fallback};`);
    });
  }
  return value;
}

/** Every header a response may get, with its sources. */
function headerPlans(context: Context): HeaderPlan[] {
  const { settings, site } = context;
  const v = context.names.variable;
  const plans = new Map<string, HeaderPlan>();
  const plan = (name: string): HeaderPlan => {
    const key = name.toLowerCase();
    let found = plans.get(key);
    if (!found) plans.set(key, (found = { name, rules: [] }));
    return found;
  };
  const page = { page: NO_CACHE, not_allowed: NO_CACHE, missing: NO_CACHE };
  plan('Cache-Control').base = { file: v('file_cache'), revalidated: v('file_cache'), listing: NO_CACHE, ...page, unauthorized: 'no-store' };
  // A 404 outside the base is no path of the site's: it never varies, and is always tiny-serve's own page.
  const outside = (value: string): string => (context.baseUrl === '' || value === '' ? value : v(`site_404_${value === 'Accept' ? 'vary' : 'csp'}`));
  plan('Vary').base = { file: v('file_vary'), revalidated: v('file_vary'), listing: 'Accept', missing: outside(settings.single !== undefined ? 'Accept' : '') };
  const nosniff = 'nosniff';
  plan('X-Content-Type-Options').base = { file: nosniff, listing: nosniff, page: nosniff, not_allowed: nosniff, missing: nosniff };
  plan('Allow').base = { empty: ALLOWED, not_allowed: ALLOWED };
  // tiny-serve's built-in pages lock themselves down; the site's own 404.html does not.
  const csp = "default-src 'none'";
  plan('Content-Security-Policy').base = { page: csp, not_allowed: csp, missing: context.hasNotFoundPage ? (context.baseUrl === '' ? '' : v('outside_404_csp')) : csp };
  if (settings.cors) {
    plan('Access-Control-Allow-Methods').base = { empty: v('preflight_methods') };
    plan('Access-Control-Allow-Headers').base = { empty: v('preflight_headers') };
    plan('Access-Control-Max-Age').base = { empty: v('preflight_max_age') };
  }
  for (const [name, value] of fixedHeaders(context)) {
    const target = plan(name);
    target.fixed = value;
  }
  for (const rule of site.options.headers ?? []) {
    const { key } = patternKey(rule.source);
    for (const header of rule.headers) plan(header.key).rules.push({ key, value: header.value });
  }
  return [...plans.values()];
}

/** --cross-origin-isolated, CORS and --header, in tiny-serve's order: a later one of the same name wins. */
function fixedHeaders(context: Context): [string, string][] {
  const { settings, site } = context;
  const fixed: [string, string][] = [];
  if (settings.crossOriginIsolated) {
    fixed.push(['Cross-Origin-Opener-Policy', 'same-origin'], ['Cross-Origin-Embedder-Policy', 'require-corp']);
    fixed.push(['Cross-Origin-Resource-Policy', settings.cors ? 'cross-origin' : 'same-origin']);
  }
  if (settings.cors) fixed.push(['Access-Control-Allow-Origin', '*'], ['Access-Control-Expose-Headers', CORS_EXPOSE]);
  for (const text of site.options.header ?? []) {
    const { key, value } = parseHeaderFlag(text);
    fixed.push([key, value]);
  }
  return fixed;
}

/** The maps the header values are read from: the response's kind, the file's cache policy and Vary, preflights. */
function kindMaps(context: Context, out: Block): void {
  const { settings } = context;
  const v = context.names.variable;
  const quote = (text: string): string => interpolated(text, context.names);
  out.line();
  out.comment("The response's kind, as tiny-serve tells its answers apart (nginx's listing answers a path ending in /).");
  out.block(`map "$status $uri" ${v('kind')}`, (inner) => {
    inner.line('"~^20[06] .*/$" listing;');
    inner.line('"~^20[06] " file;');
    inner.line('"~^304 " revalidated;');
    inner.line('"~^204 " empty;');
    inner.line('"~^401 " unauthorized;');
    inner.line('"~^404 " missing;');
    inner.line('"~^405 " not_allowed;');
    inner.line('default page;');
  });
  const base = settings.cache === undefined ? NO_CACHE : `public, max-age=${settings.cache}`;
  const html = [...contentTypes()].filter(([, type]) => type.startsWith('text/html')).map(([extension]) => extension);
  out.comment(settings.cacheHashed ? 'Cache-Control of a file: immutable for content-hashed names, never for HTML.' : 'Cache-Control of a file.');
  out.block(`map $uri ${v('file_cache')}`, (inner) => {
    if (settings.cacheHashed) {
      inner.line(`${regex(extensionsRegex(html), true)} ${quote(base)};`);
      inner.line(`${regex(HASHED)} ${quote(IMMUTABLE)};`);
    }
    inner.line(`default ${quote(base)};`);
  });
  const compressible = [...contentTypes()].filter(([, type]) => isCompressible(type)).map(([extension]) => extension);
  out.comment('Types worth compressing vary on Accept-Encoding; the single-page fallback varies on Accept.');
  out.block(`map $uri ${v('compressible')}`, (inner) => inner.line(`${regex(extensionsRegex(compressible), true)} 1;`).line('default 0;'));
  if (settings.single === undefined) {
    out.block(`map ${v('compressible')} ${v('file_vary')}`, (inner) => inner.line('1 Accept-Encoding;').line('default "";'));
  } else {
    out.block(`map "${v('compressible')}:${v('fallback')}" ${v('file_vary')}`, (inner) => {
      inner.line('"1:1" "Accept-Encoding, Accept";');
      inner.line('"1:" "Accept-Encoding";');
      inner.line('"0:1" "Accept";');
      inner.line('default "";');
    });
  }
  if (context.baseUrl !== '') {
    out.comment("A 404 outside the base: tiny-serve's own page, which varies on nothing and locks itself down.");
    if (settings.single !== undefined) out.block(`map ${v('outside')} ${v('site_404_vary')}`, (inner) => inner.line('"" Accept;').line('default "";'));
    if (context.hasNotFoundPage) out.block(`map ${v('outside')} ${v('outside_404_csp')}`, (inner) => inner.line(`404 ${quote("default-src 'none'")};`).line('default "";'));
  }
  if (settings.cors) {
    out.comment('A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method.');
    out.block(`map $http_origin ${v('has_origin')}`, (inner) => inner.line('"" "";').line('default 1;'));
    const proxied = context.site.options.proxy?.some((rule) => rule.prefix !== undefined) ? v('proxied') : '';
    out.block(`map "${proxied}:$request_method ${v('has_origin')} $http_access_control_request_method" ${v('preflight')}`, (inner) => {
      inner.line('"~^:OPTIONS 1 ." 1;');
      inner.line('default "";');
    });
    out.block(`map ${v('preflight')} ${v('preflight_methods')}`, (inner) => inner.line(`1 ${quote(ALLOWED)};`).line('default "";'));
    out.block(`map ${v('preflight')} ${v('preflight_max_age')}`, (inner) => inner.line('1 86400;').line('default "";'));
    out.comment('The requested headers echoed when they are all well-formed names.');
    out.block(`map $http_access_control_request_headers ${v('requested_headers')}`, (inner) => {
      const token = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
      inner.line(`${regex(`^\\s*${token}(?:\\s*,\\s*${token})*\\s*$`)} $http_access_control_request_headers;`);
      inner.line(`default ${quote(DEFAULT_ALLOW_HEADERS)};`);
    });
    out.block(`map ${v('preflight')} ${v('preflight_headers')}`, (inner) => inner.line(`1 ${v('requested_headers')};`).line('default "";'));
  }
}
