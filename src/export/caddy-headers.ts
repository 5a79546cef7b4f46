// The Caddy writer's headers and the steps before the files: the option headers on every answer
// (--header, CORS, isolation, the config's header rules), the CORS preflight, --auth and its 401,
// and the methods.
import { ALLOWED_METHODS } from '../http/pages.js';
import { parseHeaderFlag } from '../handler/response-headers.js';
import type { HeaderRule } from '../types.js';
import { patternRegex } from './regex.js';
import type { Effective } from './site.js';
import { block, comment, literal, regexLiteral, token, verbatim } from './caddy-syntax.js';
import { TOKEN_LIST } from './caddy-paths.js';
import { builtInPage, oneLine, pathRegex, type Context } from './caddy-context.js';

const CORS_EXPOSED = 'Content-Length, Content-Range, Content-Encoding, ETag, Last-Modified, Accept-Ranges';

const PREFLIGHT_ALLOWED_HEADERS = 'Range, If-None-Match, If-Modified-Since, If-Range';

/** The fixed option headers (isolation, CORS, --header; a later one of a name wins), in tiny-serve's order. */
export function fixedHeaders(settings: Effective, headerFlags: string[]): Map<string, [string, string]> {
  const fixed = new Map<string, [string, string]>();
  const set = (key: string, value: string): void => {
    fixed.set(key.toLowerCase(), [key, value]);
  };
  if (settings.crossOriginIsolated) {
    set('Cross-Origin-Opener-Policy', 'same-origin');
    set('Cross-Origin-Embedder-Policy', 'require-corp');
    set('Cross-Origin-Resource-Policy', settings.cors ? 'cross-origin' : 'same-origin');
  }
  if (settings.cors) {
    set('Access-Control-Allow-Origin', '*');
    set('Access-Control-Expose-Headers', CORS_EXPOSED);
  }
  for (const text of headerFlags) {
    const { key, value } = parseHeaderFlag(text);
    set(key, value);
  }
  return fixed;
}

/**
 * --header, CORS, isolation and the config's header rules, on every answer (304s, 404s and
 * redirects too). Set at once, so they also reach error answers; a rule's removal (a null value)
 * is deferred by Caddy to when the answer is written, after the site's own headers.
 */
export function optionHeaders(context: Context): string[] {
  const fixed = fixedHeaders(context.settings, context.site.options.header ?? []);
  const rules = context.site.options.headers ?? [];
  if (fixed.size === 0 && rules.length === 0) return [];
  const lines = comment('Option headers, on every answer (tiny-serve sets them last: they win over the ones below).');
  for (const [key, value] of fixed.values()) lines.push(`header ${token(key)} ${literal(value)}`);
  rules.forEach((rule, index) => lines.push(...headerRule(context, rule, index)));
  return [...lines, ''];
}

/** Whether any option header is set on every answer (optionHeaders writes something). */
export function optionHeadersSet(context: Context): boolean {
  return fixedHeaders(context.settings, context.site.options.header ?? []).size > 0 || (context.site.options.headers ?? []).length > 0;
}

function headerRule(context: Context, rule: HeaderRule, index: number): string[] {
  const name = `headers_${index + 1}`;
  // Each its own line: a removal makes Caddy defer its whole `header` directive, and a set must stay immediate.
  const operations = rule.headers.map(({ key, value }) => `header @${name} ${value === null ? token(`-${key}`) : `${token(key)} ${literal(value)}`}`);
  return [...comment(`Header rule ${JSON.stringify(rule.source)}`), ...patternMatcher(context, name, rule.source), ...operations];
}

/** A named matcher for a tiny-serve path pattern (under the base: these run before the base is taken off). */
export function patternMatcher(context: Context, name: string, source: string): string[] {
  const { regex, negated } = patternRegex(source);
  const based = context.base === '' ? regex : `^${regexLiteral(context.base)}${regex.slice(1)}`;
  return negated ? block(`@${name}`, [`not ${pathRegex(name, based)}`]) : [`@${name} ${pathRegex(name, based)}`];
}

export function preflight({ settings }: Context): string[] {
  if (!settings.cors) return [];
  const answer = [
    `header ?Allow ${token(ALLOWED_METHODS)}`,
    `header ?Access-Control-Allow-Methods ${token(ALLOWED_METHODS)}`,
    'header ?Access-Control-Max-Age 86400',
    `header ?Access-Control-Allow-Headers ${token(PREFLIGHT_ALLOWED_HEADERS)}`,
    // Deferred defaults: the last one written is applied first, so the echo wins when it applies.
    `header @echo ?Access-Control-Allow-Headers {http.request.header.Access-Control-Request-Headers}`,
    'respond 204',
  ];
  return [
    ...comment('A CORS preflight (it carries no credentials: before the password check).'),
    ...block('@preflight', ['method OPTIONS', 'header Origin *', 'header Access-Control-Request-Method *']),
    `@echo header_regexp Access-Control-Request-Headers ${token(TOKEN_LIST)}`,
    ...block('route @preflight', answer),
    '',
  ];
}

/** --auth: the user and bcrypt hash come from the password file written beside this one (never the password). */
export function authStep({ site }: Context): string[] {
  if (site.options.auth === undefined || site.passwordFile === undefined) return [];
  return [
    ...comment('--auth: the password file is readable by its owner only; let the user Caddy runs as read it.'),
    ...block('basicauth bcrypt tiny-serve', [`import ${verbatim(site.passwordFile, 'the password file path')}`]),
    '',
  ];
}

export function methodSteps(): string[] {
  const other = builtInPage(405, [`header Allow ${token(ALLOWED_METHODS)}`]);
  return [
    ...comment('Methods: GET and HEAD are served, OPTIONS is answered, any other is refused.'),
    '@options method OPTIONS',
    ...block('route @options', [`header Allow ${token(ALLOWED_METHODS)}`, 'respond 204']),
    ...block('@other_method', ['not method GET HEAD OPTIONS']),
    ...block('route @other_method', other),
    '',
  ];
}

/** 401 from basicauth is an error in Caddy: answered here as tiny-serve does (its realm, its charset, no caching). */
export function errorRoutes(context: Context): string[] {
  if (context.site.options.auth === undefined) return [];
  const removals = headerRemovals(context);
  return [
    '',
    ...block('handle_errors', [
      '@unauthorized expression {err.status_code} == 401',
      ...block('route @unauthorized', [
        ...(removals.length > 0 ? [...comment('Header rules that remove a header, again: Caddy drops deferred header changes on errors (the others were set already).'), ...removals] : []),
        `header WWW-Authenticate ${token('Basic realm="tiny-serve", charset="UTF-8"')}`,
        'header Content-Type "text/plain; charset=utf-8"',
        'header ?Cache-Control no-store',
        `respond ${literal(oneLine('401 Unauthorized\n'))} 401`,
      ]),
    ]),
  ];
}

/** The header rules' removals alone, each with its matcher. */
function headerRemovals(context: Context): string[] {
  return (context.site.options.headers ?? []).flatMap((rule, index) => {
    const removed = rule.headers.filter(({ value }) => value === null);
    if (removed.length === 0) return [];
    const name = `removals_${index + 1}`;
    return [...patternMatcher(context, name, rule.source), ...removed.map(({ key }) => `header @${name} ${token(`-${key}`)}`)];
  });
}
