// The Caddy writer: a site as one Caddyfile site block that Caddy 2.6+ serves as tiny-serve does.
// Every step of tiny-serve's pipeline is a step of one `route` (which keeps the written order),
// and what Caddy cannot do alike is a note.
import { pageAnswer, ALLOWED_METHODS } from '../http/pages.js';
import { isCompressible } from '../http/encoding.js';
import { IMMUTABLE, NO_CACHE } from '../handler/cache-policy.js';
import { parseHeaderFlag } from '../handler/response-headers.js';
import type { HeaderRule, ProxyRule } from '../types.js';
import { patternRegex } from './regex.js';
import { contentTypes, effective, type Effective, type Site, type Written } from './site.js';
import { block, comment, escapeBraces, literal, regexLiteral, regexToken, token } from './caddy-syntax.js';
import { NAVIGATION, NAVIGATION_REFUSED, TOKEN_LIST, hashedNameRegex, privatePathRegex, scanLinks } from './caddy-paths.js';

/** What every step reads: the site, its settled options, the notes so far. */
interface Context {
  site: Site;
  settings: Effective;
  notes: string[];
  /** The base path without its last slash (`/repo`), '' for none: in front of every path Location. */
  base: string;
  /** tiny-serve's private paths, root-relative (see privatePathRegex). */
  privateRegex: string;
}

/**
 * The extensions whose Content-Type the block sets itself, exactly as tiny-serve sends it (with
 * its charset): the files a site is made of. Any other extension is typed by Caddy's table.
 */
const WEB_EXTENSIONS = 'html htm shtml css js mjs cjs json map webmanifest jsonld xml svg txt md csv wasm png jpg jpeg gif webp avif ico bmp pdf woff woff2 ttf otf mp4 webm mp3 ogg wav';

/** The headers of tiny-serve's own pages (404, 405, redirects): `?` leaves a value an option header gave. */
const PAGE_HEADERS = ['header Content-Type "text/html; charset=utf-8"', `header ?Cache-Control ${NO_CACHE}`, 'header ?X-Content-Type-Options nosniff'];

/** Matcher line: the path was marked private (privateStep). */
const PRIVATE = 'vars private yes';

const CORS_EXPOSED = 'Content-Length, Content-Range, Content-Encoding, ETag, Last-Modified, Accept-Ranges';
const PREFLIGHT_ALLOWED_HEADERS = 'Range, If-None-Match, If-Modified-Since, If-Range';

export function writeCaddy(site: Site): Written {
  const settings = effective(site.options);
  const notes: string[] = [];
  const context: Context = { site, settings, notes, base: settings.base.slice(0, -1), privateRegex: privatePathRegex(hiddenExtras(site, settings, notes)) };
  const body = [
    ...serverLines(context),
    `root * ${literal(site.root)}`,
    '',
    ...typeMatchers(),
    '',
    ...block('route', routeSteps(context)),
    ...errorRoutes(context),
  ];
  featureNotes(context);
  const text = [...block(siteAddresses(context).join(', '), body), ''].join('\n');
  return { text, notes };
}

/** One line per listen address: `http://` without TLS (else Caddy would go for a certificate), any host (tiny-serve answers every Host). */
function siteAddresses({ site, notes }: Context): string[] {
  const scheme = site.tls === undefined ? 'http' : 'https';
  const ports = [...new Set(site.endpoints.flatMap((endpoint) => (endpoint.kind === 'tcp' ? [endpoint.port] : [])))];
  if (site.endpoints.some((endpoint) => endpoint.kind === 'unix')) notes.push('Unix socket endpoints are left out: add `bind unix//path` to the block if Caddy should listen on one.');
  return (ports.length > 0 ? ports : [80]).map((port) => `${scheme}://:${port}`);
}

/** `bind` for the hosts tiny-serve listens on, and the TLS certificate. */
function serverLines({ site, notes }: Context): string[] {
  const hosts = site.endpoints.flatMap((endpoint) => (endpoint.kind === 'tcp' ? [endpoint.host] : []));
  const everywhere = hosts.some((host) => host === '' || host === '0.0.0.0' || host === '::');
  const lines = !everywhere && hosts.length > 0 ? [`bind ${[...new Set(hosts)].map(literal).join(' ')}`] : [];
  if (site.tls === 'self-signed') {
    notes.push('--ssl: Caddy makes its own certificate (`tls internal`, from its local authority), not tiny-serve\'s self-signed one.');
    lines.push('tls internal');
  } else if (site.tls !== undefined) {
    if (site.tls.key === undefined) {
      notes.push('a PKCS#12 (.pfx) certificate: Caddy reads PEM files; convert it (openssl pkcs12 -in cert.pfx -nodes) and give `tls cert.pem key.pem`. Until then Caddy uses `tls internal`.');
      lines.push('tls internal');
    } else {
      if (site.tls.pass !== undefined) notes.push('an encrypted key (--ssl-pass): Caddy reads unencrypted PEM keys only; decrypt it for Caddy.');
      lines.push(`tls ${literal(site.tls.cert)} ${literal(site.tls.key)}`);
    }
  }
  if (site.tls !== undefined && !site.http2) notes.push('Caddy offers HTTP/2 over TLS (tiny-serve only with --http2); `servers { protocols h1 }` in the global options turns it off.');
  return lines;
}

/** Paths private besides dotfiles and config names: links Caddy would follow, and a --config file inside the root. */
function hiddenExtras(site: Site, settings: Effective, notes: string[]): string[] {
  const scan = scanLinks(site.root, settings.symlinks);
  notes.push(
    scan.complete
      ? 'Caddy follows symlinks: the ones that now lead out of the root (or to a hidden name) are answered as missing; links made after this export are not.'
      : 'Caddy follows symlinks, and the root is too big to look for them all: links out of the root may be served.',
  );
  const configFile = site.options.configFile;
  const inside = configFile?.startsWith(`${site.root}/`) ? [configFile.slice(site.root.length)] : [];
  return [...scan.paths, ...inside];
}

/** The Content-Type matchers: one per type tiny-serve sends for the web's file extensions. */
function typeMatchers(): string[] {
  const byType = webTypes();
  const lines = comment("Content types exactly as tiny-serve sends them (a charset for text); other extensions get Caddy's.");
  for (const [type, extensions] of byType) {
    lines.push(`@${typeName(type)} path ${extensions.map((extension) => `*.${extension}`).join(' ')}`);
  }
  const compressible = [...byType].filter(([type]) => isCompressible(type)).flatMap(([, extensions]) => extensions);
  lines.push(...comment('Types worth compressing: their answers vary on Accept-Encoding.'), `@compressible path ${compressible.map((extension) => `*.${extension}`).join(' ')}`);
  return lines;
}

/** The web extensions by the Content-Type tiny-serve sends for them. */
function webTypes(): Map<string, string[]> {
  const byType = new Map<string, string[]>();
  const types = contentTypes();
  for (const extension of WEB_EXTENSIONS.split(' ')) {
    const type = types.get(extension);
    if (type !== undefined) byType.set(type, [...(byType.get(type) ?? []), extension]);
  }
  return byType;
}

function typeName(type: string): string {
  return `type_${type.split(';')[0]!.replace(/[^A-Za-z0-9]+/g, '_')}`;
}

/** The steps of tiny-serve's pipeline, in its order. */
function routeSteps(context: Context): string[] {
  return [
    ...querySuffix(),
    ...proxySteps(context),
    ...optionHeaders(context),
    ...preflight(context),
    ...authStep(context),
    ...methodSteps(),
    ...baseSteps(context),
    ...redirectSteps(context),
    ...privateStep(context),
    ...cleanUrlRedirects(context),
    ...directorySteps(context),
    ...cleanUrlPages(context),
    ...rewriteSteps(context),
    ...singlePageStep(context),
    ...serveStep(context),
    ...notFoundStep(context),
  ];
}

/** `{query_suffix}`: `?` and the query when there is one, as every Location tiny-serve writes keeps it. */
function querySuffix(): string[] {
  return [...block('map {query} {query_suffix}', ['~(.+) "?${1}"', 'default ""']), ''];
}

/**
 * A header set as the answer is written, over what Caddy's own handlers add (encode adds
 * `Vary: Accept-Encoding` when it compresses).
 */
function deferred(matcher: string, operation: string): string[] {
  return block(matcher === '' ? 'header' : `header ${matcher}`, [operation, 'defer']);
}

/** A path matcher on tiny-serve's terms: the decoded path, case-sensitive (Caddy's `path` is not). */
function pathRegex(name: string, regex: string): string {
  return `path_regexp ${name} ${regexToken(regex)}`;
}

/** A path Location under the base (tiny-serve adds it to every Location it makes from a path). */
function underBase(context: Context, location: string): string {
  return location.startsWith('/') ? context.base + location : location;
}

// ---- headers every answer gets --------------------------------------------------------------

/** The fixed option headers (isolation, CORS, --header; a later one of a name wins), in tiny-serve's order. */
function fixedHeaders(settings: Effective, headerFlags: string[]): Map<string, [string, string]> {
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
function optionHeaders(context: Context): string[] {
  const fixed = fixedHeaders(context.settings, context.site.options.header ?? []);
  const rules = context.site.options.headers ?? [];
  if (fixed.size === 0 && rules.length === 0) return [];
  const lines = comment('Option headers, on every answer (tiny-serve sets them last: they win over the ones below).');
  for (const [key, value] of fixed.values()) lines.push(`header ${token(key)} ${literal(value)}`);
  rules.forEach((rule, index) => lines.push(...headerRule(context, rule, index)));
  return [...lines, ''];
}

function headerRule(context: Context, rule: HeaderRule, index: number): string[] {
  const name = `headers_${index + 1}`;
  // Each its own line: a removal makes Caddy defer its whole `header` directive, and a set must stay immediate.
  const operations = rule.headers.map(({ key, value }) => `header @${name} ${value === null ? token(`-${key}`) : `${token(key)} ${literal(value)}`}`);
  return [...comment(`Header rule ${JSON.stringify(rule.source)}`), ...patternMatcher(context, name, rule.source), ...operations];
}

/** A named matcher for a tiny-serve path pattern (under the base: these run before the base is taken off). */
function patternMatcher(context: Context, name: string, source: string): string[] {
  const { regex, negated } = patternRegex(source);
  const based = context.base === '' ? regex : `^${regexLiteral(context.base)}${regex.slice(1)}`;
  return negated ? block(`@${name}`, [`not ${pathRegex(name, based)}`]) : [`@${name} ${pathRegex(name, based)}`];
}

// ---- before the files: preflight, auth, methods, base ----------------------------------------

function preflight({ settings }: Context): string[] {
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
function authStep({ site }: Context): string[] {
  if (site.options.auth === undefined || site.passwordFile === undefined) return [];
  return [
    ...comment('--auth: the password file is readable by its owner only; let the user Caddy runs as read it.'),
    ...block('basicauth bcrypt tiny-serve', [`import ${token(site.passwordFile)}`]),
    '',
  ];
}

/** The built-in page tiny-serve answers a status with, as its own text. */
function builtInPage(status: number, extra: string[] = []): string[] {
  const page = pageAnswer(status);
  return [...PAGE_HEADERS, `header ?Content-Security-Policy ${token("default-src 'none'")}`, ...extra, `respond ${literal(page.body.toString('utf8'))} ${status}`];
}

function methodSteps(): string[] {
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

/** Whether any option header is set on every answer (optionHeaders writes something). */
function optionHeadersSet(context: Context): boolean {
  return fixedHeaders(context.settings, context.site.options.header ?? []).size > 0 || (context.site.options.headers ?? []).length > 0;
}

/** --base: `/repo` and `/` lead into it, anything else outside it is missing; inside, the base is taken off. */
function baseSteps(context: Context): string[] {
  if (context.base === '') return [];
  const base = regexLiteral(context.base);
  const location = `${escapeBraces(context.base)}/{query_suffix}`;
  return [
    ...comment(`The site is served under ${context.base}/.`),
    `@base_bare ${pathRegex('base_bare', `^${base}$`)}`,
    ...block('route @base_bare', redirectAnswer(location, 301)),
    `@base_root ${pathRegex('base_root', '^/$')}`,
    ...block('route @base_root', redirectAnswer(location, 302)),
    ...block('@outside_base', [`not ${pathRegex('inside_base', `^${base}/`)}`]),
    ...block('route @outside_base', builtInPage(404)),
    `uri strip_prefix ${literal(context.base)}`,
    '',
  ];
}

/** A redirect as tiny-serve answers it: its page's headers (Caddy's redirect has no body). */
function redirectAnswer(location: string, status: number): string[] {
  return [...PAGE_HEADERS, `redir * ${token(location)} ${status}`];
}

/** The config's redirects: the first whose source matches, `:params` filled in, the query kept unless the destination has one. */
function redirectSteps(context: Context): string[] {
  const rules = context.site.options.redirects ?? [];
  if (rules.length === 0) return [];
  const lines = comment('Redirects (config): the first whose source matches.');
  rules.forEach((rule, index) => {
    const name = `redirect_${index + 1}`;
    const { regex, negated, params } = patternRegex(rule.source);
    if (params.length > 0) noteOnce(context, 'a :param in a redirect destination is put in as Caddy decoded it, where tiny-serve percent-encodes it (the same for plain names).');
    const destination = rule.destination.startsWith('/') ? `/${rule.destination.replace(/^[/\\]+/, '')}` : rule.destination;
    const filled = fillParams(destination, name, params);
    const location = underBase(context, filled) + (destination.includes('?') ? '' : '{query_suffix}');
    lines.push(...(negated ? block(`@${name}`, [`not ${pathRegex(name, regex)}`]) : [`@${name} ${pathRegex(name, regex)}`]));
    lines.push(...block(`route @${name}`, redirectAnswer(location, rule.type ?? 301)));
  });
  return [...lines, ''];
}

/** A destination with each `:param` as the placeholder of its capture, the rest literal. */
function fillParams(destination: string, matcher: string, params: string[]): string {
  return destination
    .split(/(:[A-Za-z_][A-Za-z0-9_]*)/)
    .map((part) => (part.startsWith(':') && params.includes(part.slice(1)) ? `{re.${matcher}.${part.slice(1)}}` : escapeBraces(part)))
    .join('');
}

// ---- the path: directories, clean URLs, rewrites, the single-page fallback ------------------

/**
 * The `file` matcher: the first candidate that exists (a candidate ending in `/` must be a
 * directory, any other must not be). It reads its root as a glob, so a root holding `\`, `*`, `?`
 * or `[` is given to it escaped (files are then found, directories not: Go's Glob matches no
 * trailing slash).
 */
function file(context: Context, candidates: string, negated = false): string[] {
  const not = negated ? 'not ' : '';
  if (!/[\\*?[\]]/.test(context.site.root)) return [`${not}file ${candidates}`];
  noteOnce(context, "the root's path holds \\, *, ? or [: Caddy's file matcher reads it as a pattern and then finds no directory under it (files it finds); serve from a path without them.");
  const globRoot = context.site.root.replace(/[\\*?[\]]/g, (char) => `\\${char}`);
  const matcher = block('file', [`root ${literal(globRoot)}`, `try_files ${candidates}`]);
  return negated ? block('not', matcher) : matcher;
}

/** A path that names a public regular file as it is now (`file {path}` alone would take directories and private names). */
function servable(context: Context): string[] {
  return [...file(context, '{path}'), 'not path */', `not ${PRIVATE}`];
}

/** Lines for a matcher that applies only while nothing servable was found yet. */
function stillMissing(context: Context): string[] {
  return block('not', servable(context));
}

/**
 * tiny-serve's private paths (dotfiles and dot-directories but /.well-known/, the config file,
 * links out of the root) are missing: marked once, on the path as asked; a rewrite to a file clears the mark.
 */
function privateStep(context: Context): string[] {
  return [
    ...comment('Private paths are missing: dot names (but /.well-known/), the config file, links out of the root.'),
    `@private ${pathRegex('private', context.privateRegex)}`,
    'vars @private private yes',
    '',
  ];
}

function directorySteps(context: Context): string[] {
  const { settings } = context;
  const notPrivate = `not ${PRIVATE}`;
  const lines = comment('Directories: tiny-serve redirects to its trailing-slash policy, serves index.html, else lists (when on).');
  if (settings.trailingSlash) {
    lines.push(...block('@directory_unslashed', ['not path */', ...file(context, '{path}/'), notPrivate]));
    lines.push(...block('route @directory_unslashed', redirectAnswer(`${escapeBraces(context.base)}{path}/{query_suffix}`, 301)));
    lines.push(...block('@directory_index', ['path */', ...file(context, '{path}index.html'), notPrivate]), 'rewrite @directory_index {path}index.html');
  } else {
    lines.push(...block('@directory_slashed', [pathRegex('directory_slashed', '^(/.+)/$'), ...file(context, '{path}/'), notPrivate]));
    lines.push(...block('route @directory_slashed', redirectAnswer(`${escapeBraces(context.base)}{re.directory_slashed.1}{query_suffix}`, 301)));
    lines.push(...block('@directory_index', ['path */', ...file(context, '{path}index.html'), notPrivate]), 'rewrite @directory_index {path}index.html');
    lines.push(...block('@directory_index_unslashed', ['not path */', ...file(context, '{path}/index.html'), notPrivate]), 'rewrite @directory_index_unslashed {path}/index.html');
  }
  if (settings.listing === true) {
    const directory = settings.trailingSlash ? ['path */', ...file(context, '{path}/')] : [...file(context, '{path}/')];
    lines.push(...block('@listing', [...directory, notPrivate]));
    lines.push(...block('route @listing', listingAnswer(context)));
  }
  return [...lines, ''];
}

/** Caddy's own listing (its page differs from tiny-serve's), with tiny-serve's headers and without the names it hides. */
function listingAnswer(context: Context): string[] {
  const hidden = ['.*', ...configPathsAtRoot(context)].map((name) => token(escapeBraces(name)));
  // Caddy's listing redirects a directory asked for without its slash (whatever disable_canonical_uris says)
  // unless the last name was rewritten: `/dir/.` is the same directory under another last name.
  const slashed = context.settings.trailingSlash ? [] : ['rewrite * {path}/.'];
  return [
    ...slashed,
    `header ?Cache-Control ${NO_CACHE}`,
    'header ?X-Content-Type-Options nosniff',
    ...deferred('', 'Vary Accept'),
    ...block('file_server browse', ['disable_canonical_uris', `hide ${hidden.join(' ')}`]),
  ];
}

/** The config file names as file paths at the root, for `hide` (a glob: its special characters escaped). */
function configPathsAtRoot({ site }: Context): string[] {
  const root = site.root.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
  return ['tiny-serve.json', 'serve.json'].map((name) => `${root}/${name}`);
}

/** Clean URLs on for every path (a list of patterns is not written: said in a note). */
function cleanUrlsOn(context: Context): boolean {
  const { cleanUrls } = context.settings;
  if (cleanUrls !== true && cleanUrls !== false) noteOnce(context, 'cleanUrls as a list of patterns is not written: clean URLs are off in this configuration.');
  return cleanUrls === true;
}

/** Clean URLs: a file asked for as /page.html redirects to /page, /dir/index.html to the directory (as the slash policy writes it). */
function cleanUrlRedirects(context: Context): string[] {
  if (!cleanUrlsOn(context)) return [];
  const notPrivate = `not ${PRIVATE}`;
  const base = escapeBraces(context.base);
  const index = context.settings.trailingSlash ? '^(/(?:.*/)?)index\\.html$' : '^(/(?:.*[^/])?)/?index\\.html$';
  return [
    ...comment('Clean URLs: /page.html redirects to /page, /dir/index.html to the directory.'),
    ...block('@clean_index', [pathRegex('clean_index', index), ...file(context, '{path}'), notPrivate]),
    ...block('route @clean_index', redirectAnswer(`${base}{re.clean_index.1}{query_suffix}`, 301)),
    ...block('@clean_html', [pathRegex('clean_html', '^(/.+)\\.html$'), ...file(context, '{path}'), notPrivate]),
    ...block('route @clean_html', redirectAnswer(`${base}{re.clean_html.1}{query_suffix}`, 301)),
    '',
  ];
}

/** Clean URLs: /page, with no file or directory of that name, serves page.html. */
function cleanUrlPages(context: Context): string[] {
  if (context.settings.cleanUrls !== true) return [];
  return [
    ...comment('Clean URLs: /page serves page.html.'),
    ...block('@clean_page', ['not path */', ...file(context, '{path} {path}/', true), ...file(context, '{path}.html'), `not ${PRIVATE}`]),
    'rewrite @clean_page {path}.html',
    '',
  ];
}

/** The config's rewrites: for a path with no file, the first rule whose source matches is tried (and only it). */
function rewriteSteps(context: Context): string[] {
  const rules = context.site.options.rewrites ?? [];
  if (rules.length === 0) return [];
  const lines = comment('Rewrites (config): for a path with no file, the first rule that matches; its destination served as it is.');
  const earlier: { regex: string; negated: boolean }[] = [];
  rules.forEach((rule, index) => {
    const name = `rewrite_${index + 1}`;
    const { regex, negated, params } = patternRegex(rule.source);
    const match = negated ? [`not ${pathRegex(name, regex)}`] : [pathRegex(name, regex)];
    // Not when an earlier rule matched (the first matching rule is the only one tried).
    const before = earlier.flatMap(({ regex: other, negated: inverted }) =>
      inverted ? block('not', [`not path_regexp ${regexToken(other)}`]) : [`not path_regexp ${regexToken(other)}`],
    );
    lines.push(...block(`@${name}`, [...match, ...before, ...stillMissing(context)]));
    const destination = fillParams(rule.destination.replace(/[?#].*$/, ''), name, params);
    const candidates = [destination, `${destination}/index.html`, ...(context.settings.cleanUrls === true ? [`${destination}.html`] : [])];
    const found = block(`@${name}_found`, file(context, candidates.map(token).join(' ')));
    lines.push(...block(`route @${name}`, [...found, ...block(`route @${name}_found`, ['rewrite {file_match.relative}', 'vars private no'])]));
    earlier.push({ regex: regex.replace(/\(\?P<[A-Za-z_][A-Za-z0-9_]*>/g, '(?:'), negated });
  });
  return [...lines, ''];
}

/** --single: a navigation (Accept lists text/html) with no file gets the app's page; assets and /.well-known/ stay missing. */
function singlePageStep(context: Context): string[] {
  const { single } = context.settings;
  if (single === undefined) return [];
  const type = contentTypes().get(single.split('.').pop()!.toLowerCase());
  const vary = type !== undefined && isCompressible(type) ? 'Accept-Encoding, Accept' : 'Accept';
  return [
    ...comment(`--single: navigations with no file get /${single}.`),
    ...block('@single_page', [`header_regexp navigation Accept ${token(NAVIGATION)}`, `not header_regexp Accept ${token(NAVIGATION_REFUSED)}`, 'not path /.well-known/*', ...stillMissing(context)]),
    ...block('route @single_page', [...deferred('', `Vary ${token(vary)}`), `rewrite * ${literal(`/${single}`)}`, 'vars private no']),
    '',
  ];
}

/** The file, with tiny-serve's headers (the option headers above win over them). */
function serveStep(context: Context): string[] {
  const { settings } = context;
  const typeLines = [...webTypes().keys()].map((type) => `header @${typeName(type)} Content-Type ${literal(type)}`);
  const base = settings.cache === undefined ? NO_CACHE : `public, max-age=${settings.cache}`;
  const cache = [`header ?Cache-Control ${literal(base)}`];
  if (settings.cacheHashed) {
    cache.push(
      ...comment('--cache-hashed: names with a content hash (never HTML) are immutable.'),
      ...block('@hashed', [`path_regexp hashed ${regexToken(hashedNameRegex())}`, 'not path *.html *.htm *.shtml']),
      `header @hashed ?Cache-Control ${literal(IMMUTABLE)}`,
    );
  }
  const lines = [
    ...typeLines,
    ...cache,
    ...deferred('@compressible', 'Vary Accept-Encoding'),
    'header ?X-Content-Type-Options nosniff',
    ...(settings.etag ? [] : ['header -ETag']),
    ...(settings.compress ? encodeLines() : []),
    ...block('file_server', ['disable_canonical_uris', 'precompressed br gzip']),
  ];
  return [...comment('A file: served with the type, caching and Vary tiny-serve gives it.'), ...block('@servable', servable(context)), ...block('route @servable', lines), ''];
}

/** On-the-fly gzip for what tiny-serve compresses, from 1 KiB (Caddy has no brotli encoder). */
function encodeLines(): string[] {
  const types = [...new Set([...contentTypes().values()].filter(isCompressible).map((type) => type.split(';')[0]!))];
  const web = new Set([...webTypes().keys()].map((type) => type.split(';')[0]));
  const listed = ['text/*', ...types.filter((type) => web.has(type) && !type.startsWith('text/')).map((type) => `${type}*`)];
  return block('encode gzip', ['minimum_length 1024', ...block('match', listed.map((type) => `header Content-Type ${type}`))]);
}

/** Nothing found: the proxy fallback, else the site's 404.html with status 404, else tiny-serve's own page. */
function notFoundStep(context: Context): string[] {
  const fallback = proxyFallback(context);
  const vary = context.settings.single === undefined ? [] : deferred('', 'Vary Accept');
  if (fallback) return [...comment('Anything else goes to the proxy fallback.'), ...proxyLines(context, fallback)];
  return [
    ...comment("Not found: the site's 404.html, else tiny-serve's page."),
    ...block('@has_404_page', file(context, '/404.html')),
    ...block('route @has_404_page', ['rewrite * /404.html', ...PAGE_HEADERS, ...vary, ...block('file_server', ['disable_canonical_uris', 'status 404'])]),
    ...block('route', [...builtInPage(404, vary)]),
  ];
}

// ---- proxies --------------------------------------------------------------------------------

function proxyRules(context: Context): ProxyRule[] {
  return context.site.options.proxy ?? [];
}

function proxyFallback(context: Context): ProxyRule | undefined {
  return proxyRules(context).find((rule) => rule.prefix === undefined);
}

/** --proxy prefixes: absolute (before the base), guarded by --auth, their answers passed on as they are. */
function proxySteps(context: Context): string[] {
  const lines: string[] = [];
  proxyRules(context).forEach((rule, index) => {
    if (rule.prefix === undefined) return;
    const name = `proxy_${index + 1}`;
    const prefix = `/${rule.prefix.replace(/^\/+|\/+$/g, '')}`;
    lines.push(...comment(`--proxy ${prefix}`), `@${name} ${pathRegex(name, `^${prefix === '/' ? '' : regexLiteral(prefix)}(?:/|$)`)}`);
    lines.push(...block(`route @${name}`, [...authStep(context), ...proxyLines(context, rule)]));
  });
  const fallback = proxyFallback(context);
  if (fallback) {
    lines.push(
      ...comment(`--proxy ${fallback.target}: every method but GET and HEAD, and WebSocket upgrades (what has no file, below).`),
      ...block('@proxy_fallback_requests', block('not', ['method GET HEAD', 'not header Upgrade *'])),
      ...block('route @proxy_fallback_requests', [...authStep(context), ...proxyLines(context, fallback)]),
    );
    if (optionHeadersSet(context)) noteOnce(context, "the --proxy fallback's answers for paths with no file carry the option headers (--header, CORS, isolation, header rules); tiny-serve passes them on as the backend sent them.");
  }
  if (lines.length > 0) noteOnce(context, 'proxied answers: Caddy keeps Set-Cookie domains of the target as they are and adds no Via header.');
  return lines.length > 0 ? [...lines, ''] : [];
}

/** One reverse_proxy to a rule's target: its host as Host (unless keepHost), its path in front, its Locations made local. */
function proxyLines(context: Context, rule: ProxyRule): string[] {
  const target = new URL(rule.target);
  const path = target.pathname.replace(/\/+$/, '');
  const isolation = context.settings.crossOriginIsolated
    ? [...fixedHeaders(context.settings, context.site.options.header ?? []).values()]
        .filter(([key]) => /^cross-origin-(opener|embedder)-policy$/i.test(key))
        .map(([key, value]) => `header ?${key} ${literal(value)}`)
    : [];
  const settings = [
    ...(rule.keepHost ? [] : ['header_up Host {upstream_hostport}']),
    ...(context.site.options.auth === undefined ? [] : ['header_up -Authorization']),
    `header_down Location ${token(`^${regexLiteral(target.origin)}${path === '' ? '' : `(?:${regexLiteral(path)})?`}(/|$)`)} /`,
    ...block('transport http', [`response_header_timeout ${rule.timeout ?? 30}s`, ...(target.protocol === 'https:' ? ['tls'] : []), ...(rule.secure === false ? ['tls_insecure_skip_verify'] : [])]),
  ];
  return [...isolation, ...(path === '' ? [] : [`rewrite * ${token(`${escapeBraces(path)}{uri}`)}`]), ...block(`reverse_proxy ${token(target.host)}`, settings)];
}

// ---- errors Caddy raises itself --------------------------------------------------------------

/** 401 from basicauth is an error in Caddy: answered here as tiny-serve does (its realm, its charset, no caching). */
function errorRoutes(context: Context): string[] {
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
        `respond ${literal('401 Unauthorized\n')} 401`,
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

// ---- what Caddy does differently -------------------------------------------------------------

function noteOnce({ notes }: Context, note: string): void {
  if (!notes.includes(note)) notes.push(note);
}

/** Notes for the options Caddy has no way to follow. */
function featureNotes(context: Context): void {
  const { settings, site } = context;
  if (settings.compress) noteOnce(context, 'on-the-fly compression is gzip only: Caddy has no brotli encoder (precompressed .br files are served).');
  noteOnce(context, 'a precompressed .br/.gz sibling is served even when older than its file (tiny-serve then skips it), and a file asked for by its encoded name (app.js.gz) is served as that file.');
  noteOnce(context, `files with other extensions than ${WEB_EXTENSIONS.replace(/ /g, ', ')} get Caddy's type (Go's table and /etc/mime.types), and files with none are not typed by their first bytes.`);
  noteOnce(context, "a redirect's Location holds the path as Caddy decoded it; tiny-serve percent-encodes it (names with spaces or non-ASCII letters).");
  if (settings.listing !== true && settings.listing !== false) noteOnce(context, 'listing as a list of patterns is not written: listings are off in this configuration.');
  if (settings.unlisted.length > 0) noteOnce(context, "unlisted names still show in Caddy's listings (they are served alike).");
  if (settings.renderSingle) noteOnce(context, "renderSingle is not written: a directory's only file is not served for it.");
  if (site.options.watch) noteOnce(context, '--watch: Caddy has no live reload.');
}
