// The nginx writer: a site as the http-level lines it needs (maps, upstreams) and one `server { … }`
// block, the whole to be included inside nginx's `http { … }` block. nginx answers each request as
// tiny-serve's pipeline does: base, preflight, auth, methods, redirects, the file or directory,
// clean URLs, rewrites, the single-page fallback, the 404 page; headers come from maps keyed on
// the response's kind, so 304s, 404s and redirects carry them as tiny-serve's do.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { isCompressible } from '../http/encoding.js';
import { patternRegex } from './regex.js';
import { contentTypes, effective, CONFIG_NAMES, type Effective, type Site, type Written } from './site.js';
import { Block, escapeRegex, interpolated, literal, regex, word, type Names } from './nginx-syntax.js';
import { headerMaps } from './nginx-headers.js';
import { proxyParts } from './nginx-proxy.js';

/** What every part of the writer reads: the site, its settled options, the variable names, the notes so far. */
export interface Context {
  site: Site;
  settings: Effective;
  names: Names;
  notes: string[];
  /** The base as URLs write it without its last slash (`/repo`, `/my%20repo`), '' without a base. */
  baseUrl: string;
  /** Whether the root has its own 404.html (tiny-serve's built-in page locks itself down with a CSP; the site's does not). */
  hasNotFoundPage: boolean;
  /** The add_header lines, made with the maps they read. */
  headerLines: string[];
}

function namesFor(site: Site): Names {
  const id = createHash('sha256').update(`${site.root}\0${JSON.stringify(site.endpoints)}`).digest('hex').slice(0, 4);
  const variable = (name: string): string => `$ts${id}_${name}`;
  return { variable, dollar: `\${ts${id}_dollar}` };
}

/** The base path as URLs write it, each segment percent-encoded, without its last slash. */
function baseUrlOf(base: string): string {
  return base === '/' ? '' : base.slice(0, -1).split('/').map(encodeURIComponent).join('/');
}

export function writeNginx(site: Site): Written {
  const settings = effective(site.options);
  const hasNotFoundPage = existsSync(join(site.root, '404.html'));
  const context: Context = { site, settings, names: namesFor(site), notes: [], baseUrl: baseUrlOf(settings.base), hasNotFoundPage, headerLines: [] };
  const http = new Block();
  const server = new Block(1);
  http.comment('Include this file inside http { } (conf.d/, or sites-enabled/ as Debian does): its maps are http-level.');
  http.comment(`Variables start with ${context.names.variable('')} so that other sites can be included beside it.`);
  http.line();
  httpLevel(context, http);
  serverSettings(context, server);
  requestSteps(context, server);
  locations(context, server);
  http.block('server', (inner) => inner.lines.push(...server.lines));
  noteFeatures(context);
  return { text: http.text(), notes: context.notes };
}

/** The maps every step reads: the path as asked for, the base, redirects, rewrites, navigations, then the headers'. */
function httpLevel(context: Context, out: Block): void {
  const { names, settings } = context;
  const v = names.variable;
  out.comment('nginx has no escape for "$" in strings that take variables: this holds one.');
  out.block(`geo ${v('dollar')}`, (inner) => inner.line('default "$";'));
  out.line();
  const prefixes = proxyParts(context).prefixes;
  if (prefixes.length > 0) {
    out.comment('Proxied paths: the backend answers them, before any step of the site.');
    out.block(`map ${v('request')} ${v('proxied')}`, (inner) => {
      for (const prefix of prefixes) inner.line(`${regex(`^${escapeRegex(prefix === '/' ? '' : prefix)}(?:/|$)`)} 1;`);
      inner.line('default "";');
    });
  }
  out.comment(`The request's path inside the base (${settings.base}), as tiny-serve's rules see it; empty outside${prefixes.length > 0 ? ' and for proxied paths' : ''}.`);
  out.block(`map ${v('request')} ${v('path')}`, (inner) => {
    for (const prefix of prefixes) inner.line(`${regex(`^${escapeRegex(prefix === '/' ? '' : prefix)}(?:/|$)`)} "";`);
    if (context.baseUrl === '') inner.line(`default ${v('request')};`);
    else {
      inner.line(`${regex(`^${escapeRegex(settings.base.slice(0, -1))}(/.*)$`)} $1;`);
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
  context.headerLines = headerMaps(context, out);
}

/** Methods: GET and HEAD go on, OPTIONS is answered 204, any other 405 (proxied paths are the backend's). */
function methodMap(context: Context, out: Block): void {
  const v = context.names.variable;
  const proxied = proxyParts(context).prefixes.length > 0;
  out.line();
  out.block(`map "${proxied ? v('proxied') : ''} $request_method" ${v('method')}`, (inner) => {
    if (proxied) inner.line('"~^1 " "";');
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
    for (const prefix of proxyParts(context).prefixes) inner.line(`${regex(`^${escapeRegex(prefix)}(?:/|$)`)} "";`);
    inner.line('default 404;');
  });
}

/** A pattern's regex as nginx reads it: a negated pattern as a negative lookahead (PCRE has them). */
export function patternKey(source: string): { key: string; params: string[] } {
  const { regex: pattern, negated, params } = patternRegex(source);
  // Positional groups: a named group would become a variable, and `:uri` would clash with nginx's own.
  const positional = pattern.replace(/\(\?P<[A-Za-z_][A-Za-z0-9_]*>/g, '(');
  return { key: regex(negated ? `^(?!${positional.slice(1)})` : positional), params };
}

/** A destination with its `:params` as the map's captures (`$1`…), every other `$` literal. */
function destinationValue(destination: string, params: string[], context: Context): string {
  const pieces = destination.split(/(:[A-Za-z_][A-Za-z0-9_]*)/);
  const text = pieces
    .map((piece) => {
      const index = piece.startsWith(':') ? params.indexOf(piece.slice(1)) : -1;
      return index === -1 ? interpolated(piece, context.names).slice(1, -1) : `$${index + 1}`;
    })
    .join('');
  return `"${text}"`;
}

/** Config redirects: the first rule matching the path gives the status and the Location. */
function redirectMaps(context: Context, out: Block): void {
  const redirects = context.site.options.redirects ?? [];
  if (redirects.length === 0) return;
  const v = context.names.variable;
  const rules = redirects.map((rule) => ({ ...rule, ...patternKey(rule.source) }));
  out.line();
  out.comment('Config redirects, first match wins; the query is kept unless the destination has one.');
  out.block(`map ${v('path')} ${v('redirect_status')}`, (inner) => {
    for (const rule of rules) inner.line(`${rule.key} ${rule.type ?? 301};`);
    inner.line('default "";');
  });
  out.block(`map ${v('path')} ${v('redirect')}`, (inner) => {
    for (const rule of rules) {
      const location = redirectLocation(rule.destination, context);
      const query = rule.destination.includes('?') ? '' : '$is_args$args';
      inner.line(`${rule.key} ${destinationValue(location, rule.params, context).slice(0, -1)}${query}";`);
    }
    inner.line('default "";');
  });
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
    out.block(`map ${v('path')} ${v('rewrite')}`, (inner) => {
      for (const rule of rules) inner.line(`${rule.key} ${destinationValue(rule.destination, rule.params, context)};`);
      inner.line('default "";');
    });
    out.block(`map ${v('path')} ${v('rewrite_index')}`, (inner) => {
      for (const rule of rules) {
        const index = `${rule.destination.replace(/\/+$/, '')}/index.html`;
        inner.line(`${rule.key} ${destinationValue(index, rule.params, context)};`);
      }
      inner.line('default "";');
    });
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

/** Server-wide settings: where it listens, what it serves, types, compression, auth. */
function serverSettings(context: Context, out: Block): void {
  const { site, settings, names } = context;
  for (const line of listenLines(context)) out.line(line);
  out.line(`root ${interpolated(site.root, names)};`);
  out.line('index index.html;');
  out.line(`autoindex ${settings.listing === false ? 'off' : 'on'};`);
  out.comment('Locations as paths (/docs/), never with this server\'s name and port.');
  out.line('absolute_redirect off;');
  out.line('server_tokens off;');
  out.line(`etag ${settings.etag ? 'on' : 'off'};`);
  if (!settings.symlinks) {
    out.comment('tiny-serve follows links inside the root only; nginx cannot tell inside from outside, so it follows none.');
    out.line('disable_symlinks on from=$document_root;');
  }
  out.comment('Variables set once per request are read before their first set: that is not worth a warning.');
  out.line('uninitialized_variable_warn off;');
  out.line();
  contentTypeLines(out);
  compressionLines(context, out);
  authLines(context, out);
  tlsLines(context, out);
  out.line();
  headerLines(context, out);
}

function listenLines(context: Context): string[] {
  const { site } = context;
  const https = site.tls !== undefined && site.tls !== 'self-signed';
  const flags = https ? (site.http2 ? ' ssl http2' : ' ssl') : '';
  return site.endpoints.map((endpoint) => {
    if (endpoint.kind === 'unix') return `listen ${word(`unix:${endpoint.path}`)}${flags};`;
    const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
    return `listen ${word(`${host}:${endpoint.port}`)}${flags};`;
  });
}

/** Every extension tiny-serve types, with its exact Content-Type (a charset for text); the rest as nginx's default. */
function contentTypeLines(out: Block): void {
  const byType = new Map<string, string[]>();
  for (const [extension, type] of contentTypes()) byType.set(type, [...(byType.get(type) ?? []), extension]);
  out.comment("tiny-serve's Content-Types, charsets included (this replaces mime.types for this server).");
  out.block('types', (inner) => {
    for (const [type, extensions] of byType) inner.line(`${word(type)} ${extensions.map(word).join(' ')};`);
  });
  out.line('default_type application/octet-stream;');
  out.line('types_hash_max_size 4096;');
  out.line('types_hash_bucket_size 128;');
  out.comment("nginx's own pages (redirects, 405, listings) are text/html: this gives them tiny-serve's charset (the types above have theirs).");
  out.line('charset utf-8;');
}

/** The Content-Types worth compressing, as tiny-serve decides (mime-db's compressible flag, any text/*). */
function compressibleTypes(): { types: string[]; extensions: string[] } {
  const types = new Set<string>();
  const extensions: string[] = [];
  for (const [extension, type] of contentTypes()) {
    if (!isCompressible(type)) continue;
    types.add(type.toLowerCase());
    extensions.push(extension);
  }
  return { types: [...types], extensions };
}

/**
 * The longest gzip_types entry nginx takes: its type tests are hashed with a fixed 64-byte bucket
 * (ngx_http_merge_types), which holds a pointer, the name and 2 bytes, rounded up, beside a pointer.
 */
const LONGEST_TEST_TYPE = 46;

function compressionLines(context: Context, out: Block): void {
  const all = compressibleTypes().types;
  const types = all.filter((type) => type.length <= LONGEST_TEST_TYPE);
  if (types.length < all.length) {
    context.notes.push(`${all.length - types.length} compressible types with long names (such as ${all.find((type) => type.length > LONGEST_TEST_TYPE)}) are not compressed on the fly: nginx's gzip_types cannot hold them`);
  }
  out.comment('Precompressed .gz siblings are served as tiny-serve serves them; on the fly, gzip for compressible types from 1 KiB.');
  out.line('gzip_static on;');
  out.line(`gzip ${context.settings.compress ? 'on' : 'off'};`);
  out.line('gzip_min_length 1024;');
  out.line('gzip_comp_level 6;');
  out.line('gzip_proxied any;');
  out.comment('Vary is written below, for every response kind.');
  out.line('gzip_vary off;');
  out.line(`gzip_types ${types.map(word).join(' ')};`);
}

function authLines(context: Context, out: Block): void {
  const { site, names } = context;
  if (site.options.auth === undefined) return;
  out.line();
  out.comment('--auth: the password file beside this one holds a bcrypt hash, never the password; make it readable by nginx\'s user.');
  out.comment('The realm closes its own quotes to add the charset parameter tiny-serve\'s challenge has (RFC 7617 §2.1).');
  out.line('auth_basic "tiny-serve\\", charset=\\"UTF-8";');
  out.line(`auth_basic_user_file ${interpolated(site.passwordFile ?? 'tiny-serve.htpasswd', names)};`);
  out.comment("tiny-serve's 401 page, where a location has no error pages of its own (proxied paths).");
  out.line(`error_page 401 @${names.variable('unauthorized').slice(1)};`);
}

function tlsLines(context: Context, out: Block): void {
  const { site, names } = context;
  if (site.tls === undefined || site.tls === 'self-signed') return;
  if (site.tls.key === undefined) return; // a .pfx bundle: said in a note
  out.line();
  out.line(`ssl_certificate ${interpolated(site.tls.cert, names)};`);
  out.line(`ssl_certificate_key ${interpolated(site.tls.key, names)};`);
  if (site.tls.pass !== undefined) out.line(`ssl_password_file ${interpolated(site.tls.pass, names)};`);
}

/** One add_header per header a response may carry; `always`, so 304s, 404s and redirects get them too. */
function headerLines(context: Context, out: Block): void {
  out.comment('Headers for every response kind (an empty value sends none), as tiny-serve sends them.');
  for (const line of context.headerLines) out.line(line);
}

/** The server-level steps, in tiny-serve's order; each `if` only sets or returns. */
function requestSteps(context: Context, out: Block): void {
  const { settings, names } = context;
  const v = names.variable;
  const proxy = proxyParts(context);
  out.line();
  out.comment('The path as asked for, kept through internal redirects (index, error pages).');
  out.block(`if (${v('request')} = "")`, (inner) => {
    inner.line(`set ${v('request')} $uri;`);
    if (context.baseUrl !== '') {
      inner.comment('Inside the base, the site is served as if at /.');
      inner.line(`rewrite ${literal(`^${escapeRegex(settings.base.slice(0, -1))}(${proxyExclusion(context)}/.*)$`)} $1;`);
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
function locations(context: Context, out: Block): void {
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
  });
  out.line();
  out.comment('What the site has no file for: the clean-URL page, the first matching rewrite, then the single-page fallback or the 404 page.');
  out.block(`location ${missing}`, (inner) => {
    for (const line of errorPages(context, '/404.html')) inner.line(line);
    const tries = [
      settings.cleanUrls !== false ? v('clean_page') : '',
      (context.site.options.rewrites ?? []).length > 0 ? `${v('rewrite')} ${v('rewrite_index')}` : '',
    ].filter(Boolean);
    const last = settings.single !== undefined ? spa : proxy.hasFallback ? proxy.fallbackLocation : '=404';
    // try_files runs after auth_basic: with --auth, nothing is answered before the credentials are checked.
    if (tries.length === 0) inner.comment('"" names the root, a directory: never a file, so try_files goes on to its last.');
    inner.line(`try_files ${tries.length > 0 ? tries.join(' ') : '""'} ${last};`);
  });
  if (settings.single !== undefined) {
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
  out.comment('Reached through try_files, after auth.');
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

/** What nginx does differently, each a note (a comment in the output and a warning). */
function noteFeatures(context: Context): void {
  const { site, settings, notes } = context;
  const options = site.options;
  notes.push('files whose extension tiny-serve does not know are typed by their first bytes (text/plain for text); nginx sends application/octet-stream');
  notes.push('nginx-light has no brotli: on-the-fly compression is gzip only and .br siblings are not served (brotli-only clients get the file uncompressed)');
  notes.push('a .gz sibling is served even when older than its file, and for types tiny-serve does not compress');
  notes.push('files asked for by an encoded name (game.wasm.br) are sent as they are, without Content-Encoding');
  if (!settings.symlinks) notes.push('symlinks inside the root answer 404 (nginx cannot follow links inside the root only, so it follows none); links leaving it answer 404 as in tiny-serve');
  else notes.push('with --symlinks nginx follows every link, to dotfiles outside the root too');
  notes.push('unreadable files answer 404 (tiny-serve answers 403)');
  if (options.auth !== undefined) notes.push('with --auth, targets nginx refuses while reading the request (%00, a malformed escape, an encoded .. above the root) answer 400 before credentials are asked for');
  if (options.auth !== undefined) notes.push('with --auth, the trailing-slash and clean-URL redirects are answered before credentials are asked for (they tell that a directory or page exists)');
  if (settings.listing !== false) notes.push("listings are nginx's autoindex page (HTML only: no JSON, no sorting; it shows config files)");
  if (settings.unlisted.length > 0) notes.push('unlisted patterns cannot be expressed: nginx lists those entries');
  if (settings.renderSingle) notes.push('renderSingle cannot be expressed: a directory with a single file is listed or 404');
  if (options.watch) notes.push('--watch: live reload does not exist in nginx');
  if (site.tls === 'self-signed') notes.push('--ssl makes its own certificate: nginx needs ssl_certificate and ssl_certificate_key (this config listens over plain HTTP)');
  else if (site.tls !== undefined && site.tls.key === undefined) notes.push('a .pfx/.p12 bundle: nginx reads PEM files (openssl pkcs12 -in bundle.pfx -nokeys/-nocerts); this config listens over plain HTTP');
  if ((options.redirects ?? []).some((rule) => /:[A-Za-z_]/.test(rule.destination.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')) && patternKey(rule.source).params.length > 0)) {
    notes.push('a redirect puts a :param into its Location as the path had it, decoded (tiny-serve percent-encodes it: a space is %20)');
  }
  for (const text of [...(options.header ?? []), ...(options.headers ?? []).flatMap((rule) => rule.headers.map((header) => header.key))]) {
    if (/^content-type\s*(:|$)/i.test(text)) notes.push('a Content-Type header rule is added beside nginx\'s own Content-Type instead of replacing it');
  }
  context.notes.splice(0, context.notes.length, ...new Set(context.notes));
}
