// The nginx writer's routes: which answer a request gets, in tiny-serve's order (proxy, base,
// preflight, auth, methods, refused targets, config redirects, the file or directory with the
// trailing-slash and clean-URL policies, rewrites, the single-page fallback, the 404 page), as maps
// at http level, `if`s at server level that only set or return, and locations.
import { isAbsolute, relative, sep } from 'node:path';
import { patternShape } from '../http/patterns.js';
import { patternRegex } from './regex.js';
import { CONFIG_NAMES } from './site.js';
import type { Context } from './nginx-context.js';
import { Block, escapeRegex, interpolated, literal, patternKey, regex } from './nginx-syntax.js';
import { prefixRegex, proxyParts } from './nginx-proxy.js';

/** The maps of a request's route: its path (in the base, or proxied), redirects, fallbacks, methods, listings. */
export function routeMaps(context: Context, out: Block): void {
  const { names, settings } = context;
  const v = names.variable;
  const prefixes = proxyParts(context).prefixes;
  if (prefixes.length > 0) {
    out.comment('Proxied paths: the backend answers them, before any step of the site.');
    out.block(`map ${v('request')} ${v('proxied')}`, (inner) => {
      for (const prefix of prefixes) inner.line(`${regex(prefixRegex(prefix))} 1;`);
      inner.line('default "";');
    });
  }
  const where = context.baseUrl === '' ? '' : ` inside the base (${settings.base})`;
  const empty = [context.baseUrl === '' ? '' : 'outside it', prefixes.length > 0 ? 'for proxied paths' : ''].filter(Boolean).join(' and ');
  out.comment(`The request's path${where}, as tiny-serve's rules see it${empty === '' ? '' : `; empty ${empty}`}.`);
  out.block(`map ${v('request')} ${v('path')}`, (inner) => {
    for (const prefix of prefixes) inner.line(`${regex(prefixRegex(prefix))} "";`);
    if (context.baseUrl === '') inner.line(`default ${v('request')};`);
    else {
      // (?s): a path may hold an encoded line break, which `.` would not take.
      inner.line(`${regex(`(?s)^${escapeRegex(settings.base.slice(0, -1))}(/.*)$`)} $1;`);
      inner.line('default "";');
    }
  });
  if (context.baseUrl !== '') outsideBase(context, out);
  proxyParts(context).http(out);
  redirectMaps(context, out);
  fallbackMaps(context, out);
  methodMap(context, out);
  badTargetMap(context, out);
  listingMap(context, out);
  if (context.site.options.auth !== undefined) answerMap(context, out);
}

/** Methods: GET and HEAD go on, OPTIONS is answered 204, any other 405 (proxied paths are the backend's). */
function methodMap(context: Context, out: Block): void {
  const v = context.names.variable;
  const proxied = proxyParts(context).prefixes.length > 0;
  out.line();
  out.comment(`Methods: GET and HEAD go on, OPTIONS is answered 204, any other 405${proxied ? ' (proxied paths are the backend\'s)' : ''}.`);
  if (!proxied) {
    out.block(`map $request_method ${v('method')}`, (inner) => inner.line('GET "";').line('HEAD "";').line('OPTIONS OPTIONS;').line('default other;'));
    return;
  }
  out.block(`map "${v('proxied')} $request_method" ${v('method')}`, (inner) => {
    inner.line('"~^1 " "";');
    inner.line('"~ (?:GET|HEAD)$" "";');
    inner.line('"~ OPTIONS$" OPTIONS;');
    inner.line('default other;');
  });
}

/** `--base`: what a request outside it gets (after auth, as tiny-serve answers it). */
function outsideBase(context: Context, out: Block): void {
  const v = context.names.variable;
  const base = context.settings.base;
  out.line();
  out.comment(`Outside the base: ${base.slice(0, -1)} → 301 to ${base}, / → 302 to ${base} (the query kept), anything else 404.`);
  out.block(`map ${v('request')} ${v('outside')}`, (inner) => {
    inner.line(`${literal(base.slice(0, -1))} 301;`);
    inner.line('/ 302;');
    inner.line(`${regex(`^${escapeRegex(base)}`)} "";`);
    for (const prefix of proxyParts(context).prefixes) inner.line(`${regex(prefixRegex(prefix))} "";`);
    inner.line('default 404;');
  });
}

/** A destination with its `:params` as the map's captures (`$1`…), every other `$` literal. */
function destinationValue(destination: string, params: string[], context: Context, literalText = (text: string): string => text): string {
  const pieces = destination.split(/(:[A-Za-z_][A-Za-z0-9_]*)/);
  const text = pieces
    .map((piece) => {
      const index = piece.startsWith(':') ? params.indexOf(piece.slice(1)) : -1;
      return index === -1 ? interpolated(literalText(piece), context.names).slice(1, -1) : `$${index + 1}`;
    })
    .join('');
  return `"${text}"`;
}

/**
 * A rewrite's destination as the path tiny-serve serves (parseTarget): without its query or fragment
 * (the request's own query is kept).
 */
function rewritePath(destination: string): string {
  return destination.split(/[?#]/)[0]!;
}

/** Literal text of a rewrite's destination as parseTarget decodes it (a malformed escape kept as it is). */
function decodedPiece(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (escapes) => {
    try {
      return decodeURIComponent(escapes);
    } catch {
      return escapes;
    }
  });
}

/** Config redirects: the first rule matching the path gives the status and the Location. */
function redirectMaps(context: Context, out: Block): void {
  const redirects = context.site.options.redirects ?? [];
  if (redirects.length === 0) return;
  const v = context.names.variable;
  const rules = redirects.map((rule) => ({ ...rule, ...patternKey(rule.source) }));
  out.line();
  out.comment('Config redirects, first match wins; the query is kept unless the destination has one.');
  out.comment('A rule whose Location takes :params reads them from the request as it came (still percent-encoded: never a');
  out.comment('line break), its segments counted as the path\'s; the key is the request, a space, and the path.');
  const keyed = rules.map((rule) => ({ ...rule, key: usesParams(rule.destination, rule.params) ? rawParamsKey(rule.source, context) : requestKey(rule.key) }));
  const key = `"$request_uri ${v('path')}"`;
  out.block(`map ${key} ${v('redirect_status')}`, (inner) => {
    for (const rule of keyed) inner.line(`${rule.key} ${rule.type ?? 301};`);
    inner.line('default "";');
  });
  out.block(`map ${key} ${v('redirect')}`, (inner) => {
    for (const rule of keyed) {
      const location = redirectLocation(rule.destination, context);
      const query = rule.destination.includes('?') ? '' : '$is_args$args';
      inner.line(`${rule.key} ${destinationValue(location, rule.params, context).slice(0, -1)}${query}";`);
    }
    inner.line('default "";');
  });
}

/** Whether a destination puts one of the source's :params in (a URL's `https://` is no param). */
function usesParams(destination: string, params: string[]): boolean {
  const names = destination.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').match(/:[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
  return names.some((name) => params.includes(name.slice(1)));
}

/** A rule's key on the path, as a key on "request path": any request (it holds no space), then the path. */
function requestKey(pathKey: string): string {
  return pathKey.replace(/^"~\^/, '"~^[^ ]* ');
}

/**
 * The key of a redirect whose Location takes :params: the request's path counted segment by segment
 * up to its last param (`//` and `/./` are no segments; a segment of one encoded dot, or one holding
 * an encoded slash, would count otherwise than in the path: such a request matches no such rule),
 * each param captured as sent; then the pattern on the decoded path, without captures.
 */
function rawParamsKey(source: string, context: Context): string {
  const separator = '/+(?:\\./+)*(?!(?:\\.|%2[eE])[/? ])';
  const segment = '(?:[^/?%\\s]|%(?!2[fF]))*';
  // A param: no blank or control character (nginx refuses them in a request anyway), no encoded slash.
  const param = '((?:[^/?%\\s\\x00-\\x1f\\x7f]|%(?!2[fF]))+)';
  const base = context.settings.base.split('/').filter(Boolean).map(() => separator + segment);
  const { segments } = patternShape(source);
  const last = segments.map((part) => part.kind).lastIndexOf('param');
  const raw = segments.slice(0, last + 1).map((part) => separator + (part.kind === 'param' ? param : segment));
  const decoded = patternRegex(source).regex.replace(/\(\?P<[A-Za-z_][A-Za-z0-9_]*>/g, '(?:');
  // The rest of the request is the decoded pattern's to check.
  return regex(`^${[...base, ...raw].join('')}(?:[/?][^ ]*)? ${decoded.slice(1)}`);
}

/** A destination path under the base, never protocol-relative (as tiny-serve writes its Location); a URL as it is. */
function redirectLocation(destination: string, context: Context): string {
  if (!destination.startsWith('/')) return destination;
  return `${context.baseUrl}/${destination.replace(/^[/\\]+/, '')}`;
}

/** What a missing path falls back to: its clean-URL page, the first matching rewrite, the single-page fallback. */
function fallbackMaps(context: Context, out: Block): void {
  const { settings, names } = context;
  const v = names.variable;
  const rewrites = context.site.options.rewrites ?? [];
  if (settings.cleanUrls !== false) {
    out.line();
    out.comment('--clean-urls: /x serves x.html (not for private paths, directories, or /).');
    out.block(`map ${v('path')} ${v('clean_page')}`, (inner) => {
      inner.line(`${regex(privateRegex(context))} "";`);
      inner.line('"~/$" "";');
      for (const key of cleanKeys(settings.cleanUrls)) inner.line(`${key} "${v('path')}.html";`);
      if (settings.cleanUrls !== true) inner.line('default "";');
    });
    out.comment('/x.html asked for by name (not reached through an internal redirect) redirects to /x.');
    out.block(`map "${v('path')}|$uri" ${v('clean_redirect')}`, (inner) => {
      inner.line('volatile;');
      inner.line(`${regex('^(.*)\\|\\1$')} ${v('clean_here')};`);
      inner.line('default "";');
    });
    out.block(`map ${v('path')} ${v('clean_here')}`, (inner) => {
      for (const key of cleanKeys(settings.cleanUrls)) inner.line(`${key} 1;`);
      if (settings.cleanUrls !== true) inner.line('default "";');
    });
  }
  if (!settings.trailingSlash) {
    out.line();
    out.comment('Without trailing slashes: /dir/ asked for by name redirects to /dir.');
    out.block(`map "${v('path')}|$uri" ${v('unslash')}`, (inner) => {
      inner.line('volatile;');
      inner.line(`${regex('^(/.+/)\\|\\1$')} 1;`);
      inner.line('default "";');
    });
  }
  if (rewrites.length > 0) {
    const rules = rewrites.map((rule) => ({ ...rule, ...patternKey(rule.source) }));
    out.line();
    out.comment('Config rewrites: the first rule matching a missing path; its destination served as a file, or as a directory by its index.');
    out.block(`map ${v('path')} ${v('rewrite_target')}`, (inner) => {
      for (const rule of rules) inner.line(`${rule.key} ${destinationValue(rewritePath(rule.destination), rule.params, context, decodedPiece)};`);
      inner.line('default "";');
    });
    out.block(`map ${v('path')} ${v('rewrite_index_target')}`, (inner) => {
      for (const rule of rules) {
        const index = `${rewritePath(rule.destination).replace(/\/+$/, '')}/index.html`;
        inner.line(`${rule.key} ${destinationValue(index, rule.params, context, decodedPiece)};`);
      }
      inner.line('default "";');
    });
    out.comment('A rewritten path that is private (a :param made it /.env) is missing, as tiny-serve has it: "" names no file.');
    for (const name of ['rewrite', 'rewrite_index']) {
      out.block(`map ${v(`${name}_target`)} ${v(name)}`, (inner) => inner.line(`${regex(privateRegex(context))} "";`).line(`default ${v(`${name}_target`)};`));
    }
  }
  if (settings.single !== undefined) {
    out.line();
    out.comment('--single: navigations only (Accept lists text/html with q > 0), never under /.well-known/.');
    out.block(`map $http_accept ${v('navigation')}`, (inner) => inner.line(`${regex(NAVIGATION, true)} 1;`).line('default "";'));
    out.block(`map ${v('path')} ${v('spa')}`, (inner) => inner.line('"~^/\\.well-known/" "";').line(`default ${v('navigation')};`));
  }
}

/** An Accept value listing text/html with a q above 0 (or none): a browser navigating. */
const POSITIVE_Q = '(?:[0-9]*[1-9][0-9]*(?:\\.[0-9]*)?|[0-9]*\\.[0-9]*[1-9][0-9]*)';
const NAVIGATION = `(?:^|,)\\s*text/html\\s*(?:;\\s*+(?!q=)[^;,]*)*(?:;\\s*q=${POSITIVE_Q}\\s*(?:;[^,]*)?)?(?:,|$)`;

/** The keys of paths with clean URLs: all, or the pattern list's. */
function cleanKeys(cleanUrls: boolean | string[]): string[] {
  return cleanUrls === true ? ['default'] : (cleanUrls as string[]).map((source) => patternKey(source).key);
}

/** Private paths: dotfiles and dot-directories (but a top-level .well-known), the config files at the root. */
function privateRegex(context: Context): string {
  const names = [...CONFIG_NAMES];
  // A config file given with --config is hidden too, wherever it sits under the root.
  const configFile = context.site.options.configFile;
  const inside = configFile === undefined ? undefined : relative(context.site.root, configFile);
  if (inside !== undefined && inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) names.push(inside.split(sep).join('/'));
  return `^/\\.(?!well-known(?:/|$))|^/.+/\\.|^/(?:${[...new Set(names)].map(escapeRegex).join('|')})$`;
}

/** The server-level steps, in tiny-serve's order; each `if` only sets or returns. */
export function requestSteps(context: Context, out: Block): void {
  const { settings, names } = context;
  const v = names.variable;
  const proxy = proxyParts(context);
  out.line();
  out.comment('The path as asked for, kept through internal redirects (index, error pages).');
  out.block(`if (${v('request')} = "")`, (inner) => {
    inner.line(`set ${v('request')} $uri;`);
    if (context.baseUrl !== '') {
      inner.comment('Inside the base, the site is served as if at /.');
      inner.line(`rewrite ${literal(`(?s)^${escapeRegex(settings.base.slice(0, -1))}(${proxyExclusion(context)}/.*)$`)} $1;`);
    }
  });
  if (settings.cors) {
    out.comment('A CORS preflight carries no credentials: answered before auth.');
    out.block(`if (${v('preflight')})`, (inner) => inner.line('return 204;'));
  }
  proxy.steps(out);
  if (context.site.options.auth === undefined) {
    answerSteps(context, out);
    return;
  }
  out.comment('Methods, redirects and the base are answered after auth, as tiny-serve answers them: through a location');
  out.comment('whose try_files (which nginx runs after auth_basic) leads to the answers.');
  out.block(`if (${v('answer')})`, (inner) => inner.line(`rewrite ^ ${answerUri(context)} last;`));
}

/** Proxied prefixes under the base keep their path: tiny-serve matches them before the base. */
function proxyExclusion(context: Context): string {
  const inside = proxyParts(context).prefixes.filter((prefix) => `${prefix}/`.startsWith(context.settings.base));
  return inside.map((prefix) => `(?!${escapeRegex(prefix.slice(context.settings.base.length - 1))}(?:/|$))`).join('');
}

/** The internal URI of the answers given after auth. */
function answerUri(context: Context): string {
  return `/.${context.names.variable('answer').slice(1)}`;
}

/** What tiny-serve answers before looking for a file: methods, the base, config redirects. */
function answerSteps(context: Context, out: Block): void {
  const v = context.names.variable;
  const proxy = proxyParts(context);
  out.comment('Methods: OPTIONS 204, anything but GET and HEAD 405 (with Allow).');
  out.block(`if (${v('method')} = OPTIONS)`, (inner) => inner.line('return 204;'));
  out.block(`if (${v('method')} = other)`, (inner) => inner.line(proxy.hasFallback ? 'return 418;' : 'return 405;'));
  out.comment('A target tiny-serve refuses (a ".." segment, a backslash, a NUL) is 400, where nginx would resolve or take it.');
  out.block(`if (${v('bad_target')})`, (inner) => inner.line('return 400;'));
  if (context.baseUrl !== '') {
    out.block(`if (${v('outside')} = 301)`, (inner) => inner.line(`return 301 "${context.baseUrl}/$is_args$args";`));
    out.block(`if (${v('outside')} = 302)`, (inner) => inner.line(`return 302 "${context.baseUrl}/$is_args$args";`));
    out.block(`if (${v('outside')} = 404)`, (inner) => inner.line('return 404;'));
  }
  const statuses = [...new Set((context.site.options.redirects ?? []).map((rule) => rule.type ?? 301))];
  if (statuses.length > 0) out.comment('Config redirects.');
  for (const status of statuses) out.block(`if (${v('redirect_status')} = ${status})`, (inner) => inner.line(`return ${status} ${v('redirect')};`));
}

/** Targets tiny-serve refuses (target.ts parseTarget): after decoding, a `..` segment, a backslash or a NUL. */
function badTargetMap(context: Context, out: Block): void {
  const v = context.names.variable;
  const dot = '(?:\\.|%2[eE])';
  const slash = '(?:/|%2[fF])';
  out.line();
  out.comment('Targets tiny-serve answers 400: a ".." segment, a backslash or a NUL, percent-encoded or not.');
  out.block(`map $request_uri ${v('bad_target')}`, (inner) => {
    inner.line(`${regex(`^[^?]*${slash}${dot}${dot}(?:${slash}|\\?|$)`)} 400;`);
    inner.line(`${regex('^[^?]*(?:\\\\|%5[cC]|%00)')} 400;`);
    inner.line('default "";');
  });
}

/** With --auth: whether a request gets one of answerSteps' answers (then it is routed to them, after auth). */
function answerMap(context: Context, out: Block): void {
  const v = context.names.variable;
  const keys = [v('method'), v('bad_target'), context.baseUrl !== '' ? v('outside') : '', (context.site.options.redirects ?? []).length > 0 ? v('redirect_status') : ''];
  out.line();
  out.comment('--auth: requests answered without a file (a method, the base, a redirect), routed after auth.');
  out.block(`map "${keys.join('')}" ${v('answer')}`, (inner) => inner.line('"" "";').line('default 1;'));
}

/** The error pages every location lists (a location's own error_page hides the server's). */
function errorPages(context: Context, missing: string): string[] {
  const v = context.names.variable;
  const lines = [`error_page 404 ${missing};`];
  if (context.site.options.auth !== undefined) lines.push(`error_page 401 @${v('unauthorized').slice(1)};`);
  const proxy = proxyParts(context);
  if (proxy.hasFallback) lines.push(`error_page 418 = ${proxy.fallbackLocation};`);
  return lines;
}

/** The locations: files and directories, private paths, and the fallbacks for what is missing. */
export function locations(context: Context, out: Block): void {
  const { settings, names } = context;
  const v = names.variable;
  const missing = `@${v('missing').slice(1)}`;
  const spa = `@${v('spa').slice(1)}`;
  const proxy = proxyParts(context);
  out.line();
  proxy.locations(out);
  out.comment('Private: dotfiles and dot-directories (but /.well-known/), the config files. Missing, as tiny-serve has them.');
  out.block(`location ${regex(privateRegex(context))}`, (inner) => {
    inner.line('recursive_error_pages on;');
    for (const line of errorPages(context, `= ${missing}`)) inner.line(line);
    inner.line('return 404;');
  });
  out.line();
  out.block('location /', (inner) => {
    inner.line('recursive_error_pages on;');
    inner.comment('A link nginx refuses (403) and a directory without index or listing are missing too.');
    for (const line of errorPages(context, `= ${missing}`)) inner.line(line.replace('error_page 404', 'error_page 403 404'));
    directorySteps(context, inner);
    if (Array.isArray(settings.listing)) listingSteps(context, inner);
    if (settings.cleanUrls !== false) cleanRedirect(context, inner);
    if (settings.compress) {
      inner.comment('A range is of the file as it is: tiny-serve answers it 206 uncompressed (nginx would gzip the whole file instead).');
      inner.block('if ($http_range)', (check) => check.line('gzip off;'));
    }
  });
  out.line();
  const tries = [
    settings.cleanUrls !== false ? v('clean_page') : '',
    (context.site.options.rewrites ?? []).length > 0 ? `${v('rewrite')} ${v('rewrite_index')}` : '',
  ].filter(Boolean);
  out.comment('What the site has no file for: the clean-URL page, the first matching rewrite, then the single-page fallback or the 404 page.');
  out.block(`location ${missing}`, (inner) => {
    for (const line of errorPages(context, '/404.html')) inner.line(line);

    const last = settings.single !== undefined ? spa : proxy.hasFallback ? proxy.fallbackLocation : '=404';
    const auth = context.site.options.auth !== undefined;
    if (tries.length > 0) inner.line(`try_files ${tries.join(' ')} ${last};`);
    else if (!auth && settings.single !== undefined) singlePageFallback(context, inner);
    else if (!auth) inner.line(proxy.hasFallback ? 'return 418;' : 'return 404;');
    else {
      // A private path's 404 comes here before auth_basic ran: try_files runs after it.
      inner.comment('After auth: "" names the root, a directory, never a file, so try_files goes on to its last.');
      inner.line(`try_files "" ${last};`);
    }
  });
  if (settings.single !== undefined && (tries.length > 0 || context.site.options.auth !== undefined)) {
    out.block(`location ${spa}`, (inner) => {
      for (const line of errorPages(context, '/404.html')) inner.line(line);
      singlePageFallback(context, inner);
    });
  }
  if (context.site.options.auth !== undefined) {
    out.comment('Answers without a file, once auth_basic let the request through (try_files "" always falls to its last).');
    out.block(`location = ${answerUri(context)}`, (inner) => {
      inner.line('internal;');
      for (const line of errorPages(context, '@none').filter((line) => !line.startsWith('error_page 404'))) inner.line(line);
      inner.line(`try_files "" @${v('answer').slice(1)};`);
    });
    out.block(`location @${v('answer').slice(1)}`, (inner) => answerSteps(context, inner));
    out.comment("tiny-serve's 401: plain text, with the challenge nginx set.");
    out.block(`location @${v('unauthorized').slice(1)}`, (inner) => {
      inner.line('auth_basic off;');
      inner.line('types { }');
      inner.line('default_type "text/plain; charset=utf-8";');
      inner.line('return 401 "401 Unauthorized\\n";');
    });
  }
}

/** --single: the fallback file for navigations, marked so that its answer varies on Accept; else the 404. */
function singlePageFallback(context: Context, out: Block): void {
  const v = context.names.variable;
  const proxy = proxyParts(context);
  out.block(`if (${v('spa')} = "")`, (check) => check.line(proxy.hasFallback ? 'return 418;' : 'return 404;'));
  out.comment('Marks the answer for Vary: Accept.');
  out.line(`set ${v('fallback')} 1;`);
  out.line(`try_files ${interpolated(`/${context.settings.single}`, context.names)} ${proxy.hasFallback ? proxy.fallbackLocation : '=404'};`);
}

/** Directories: the trailing-slash policy, as tiny-serve redirects (under the base, the query kept). */
function directorySteps(context: Context, out: Block): void {
  const v = context.names.variable;
  const base = context.baseUrl;
  if (context.settings.trailingSlash) {
    out.comment('A directory without its slash: 301 to it.');
    out.block('if (-d $request_filename)', (inner) => inner.line(`rewrite "^(.*[^/])$" "${base}$1/" permanent;`));
    return;
  }
  out.comment('Without trailing slashes: /dir/ asked for redirects to /dir, and /dir is served as the directory.');
  out.line(`set ${v('to_unslash')} "";`);
  out.block('if (-d $request_filename)', (inner) => inner.line(`set ${v('to_unslash')} ${v('unslash')};`));
  out.block(`if (${v('to_unslash')})`, (inner) => inner.line(`rewrite "^(/.+)/$" "${base}$1" permanent;`));
  out.block('if (-d $request_filename)', (inner) => inner.line('rewrite "^(.*[^/])$" "$1/" last;'));
}

/** Listing patterns: a directory without index.html whose path matches none is missing instead of listed. */
function listingSteps(context: Context, out: Block): void {
  const v = context.names.variable;
  out.comment('Listings only where the patterns allow: elsewhere a directory without index.html is missing.');
  out.line(`set ${v('no_listing')} ${v('unlisted_directory')};`);
  out.block('if (!-d $request_filename)', (inner) => inner.line(`set ${v('no_listing')} "";`));
  out.block('if (-f "${request_filename}index.html")', (inner) => inner.line(`set ${v('no_listing')} "";`));
  out.block(`if (${v('no_listing')})`, (inner) => inner.line('return 404;'));
}

/** The map behind listingSteps: 1 for a directory path (`/docs/`) no listing pattern names, with or without its slash. */
function listingMap(context: Context, out: Block): void {
  const patterns = context.settings.listing;
  if (!Array.isArray(patterns)) return;
  const v = context.names.variable;
  out.line();
  out.comment('Listing patterns: the directories (with or without their slash) that may be listed.');
  out.block(`map $uri ${v('unlisted_directory')}`, (inner) => {
    inner.line('volatile;');
    inner.line('"~[^/]$" "";');
    for (const source of patterns) {
      const { regex: pattern, negated } = patternRegex(source);
      const slashless = `${pattern.slice(0, -1)}/$`; // `/docs` named by the pattern lists `/docs/`
      for (const variant of pattern === '^/$' ? [pattern] : [pattern, slashless]) {
        const positional = variant.replace(/\(\?P<[A-Za-z_][A-Za-z0-9_]*>/g, '(?:');
        inner.line(`${regex(negated ? `^(?!${positional.slice(1)})` : positional)} "";`);
      }
    }
    inner.line('default 1;');
  });
}

/** --clean-urls: /x.html asked for by name → 301 /x (/dir/index.html → /dir/), the query kept. */
function cleanRedirect(context: Context, out: Block): void {
  const v = context.names.variable;
  const base = context.baseUrl;
  out.comment('Clean URLs: a page asked for by its .html name redirects to its clean URL.');
  out.line(`set ${v('to_clean')} "";`);
  out.block('if (-f $request_filename)', (inner) => inner.line(`set ${v('to_clean')} ${v('clean_redirect')};`));
  out.block(`if (${v('to_clean')})`, (inner) => {
    if (context.settings.trailingSlash) inner.line(`rewrite "^(.*/)index\\.html$" "${base}$1" permanent;`);
    else {
      inner.line(`rewrite "^/index\\.html$" "${base}/" permanent;`);
      inner.line(`rewrite "^(/.+)/index\\.html$" "${base}$1" permanent;`);
    }
    inner.line(`rewrite "^(.*)\\.html$" "${base}$1" permanent;`);
  });
}
