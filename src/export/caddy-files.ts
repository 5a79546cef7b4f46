// The Caddy writer's path steps, in locate.ts's order: base path, config redirects, private paths,
// clean URLs, directories (slash policy, index.html, listing), rewrites, the single-page fallback,
// then the file with tiny-serve's headers, or the 404.
import { isCompressible } from '../http/encoding.js';
import { IMMUTABLE, NO_CACHE } from '../handler/cache-policy.js';
import { patternRegex } from './regex.js';
import { contentTypes } from './site.js';
import { block, comment, escapeBraces, literal, regexLiteral, regexToken, token } from './caddy-syntax.js';
import { NAVIGATION, NAVIGATION_REFUSED, hashedNameRegex } from './caddy-paths.js';
import { PAGE_HEADERS, PRIVATE, builtInPage, deferred, noteOnce, pathRegex, redirectAnswer, underBase, type Context } from './caddy-context.js';
import { encodeLines, typeName, webTypes } from './caddy-types.js';
import { proxyFallback, proxyLines } from './caddy-proxy.js';

/** --base: `/repo` and `/` lead into it, anything else outside it is missing; inside, the base is taken off. */
export function baseSteps(context: Context): string[] {
  if (context.base === '') return [];
  const base = regexLiteral(context.base);
  const location = `${escapeBraces(context.baseUrl)}/{query_suffix}`;
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

/** The config's redirects: the first whose source matches, `:params` filled in, the query kept unless the destination has one. */
export function redirectSteps(context: Context): string[] {
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
 * links out of the root) are missing: marked on the path as asked, and again on a rewrite's destination.
 */
export function privateStep(context: Context): string[] {
  return [
    ...comment('Private paths are missing: dot names (but /.well-known/), the config file, links out of the root.'),
    `@private ${pathRegex('private', context.privateRegex)}`,
    'vars @private private yes',
    '',
  ];
}

export function directorySteps(context: Context): string[] {
  const { settings } = context;
  const notPrivate = `not ${PRIVATE}`;
  const lines = comment('Directories: tiny-serve redirects to its trailing-slash policy, serves index.html, else lists (when on).');
  if (settings.trailingSlash) {
    lines.push(...block('@directory_unslashed', ['not path */', ...file(context, '{path}/'), notPrivate]));
    lines.push(...block('route @directory_unslashed', redirectAnswer(`${escapeBraces(context.baseUrl)}{escaped_path}/{query_suffix}`, 301)));
    lines.push(...block('@directory_index', ['path */', ...file(context, '{path}index.html'), notPrivate]), 'rewrite @directory_index {path}index.html');
  } else {
    lines.push(...block('@directory_slashed', [pathRegex('directory_slashed', '^(/.+)/$'), ...file(context, '{path}/'), notPrivate]));
    lines.push(...block('route @directory_slashed', redirectAnswer(`${escapeBraces(context.baseUrl)}{escaped_path_unslashed}{query_suffix}`, 301)));
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

/**
 * Caddy's own listing (its page differs from tiny-serve's), with tiny-serve's headers and without
 * the names it hides: dot names everywhere, and in their own directory the config files at the root
 * and the other private paths. Caddy's `hide` matches a listed entry by its name alone (a path
 * given to it hides nothing there), so each such directory has its own file_server.
 */
function listingAnswer(context: Context): string[] {
  // Caddy's listing redirects a directory asked for without its slash (whatever disable_canonical_uris says)
  // unless the last name was rewritten: `/dir/.` is the same directory under another last name.
  const slashed = context.settings.trailingSlash ? [] : ['rewrite * {path}/.'];
  const browse = (matcher: string, names: string[]): string[] =>
    block(`file_server ${matcher}browse`, ['disable_canonical_uris', `hide ${['.*', ...names.map(hiddenName)].join(' ')}`]);
  const directories = [...hiddenNamesByDirectory(context)].flatMap(([directory, names], index) => {
    const name = `listing_${index + 1}`;
    return [`@${name} ${pathRegex(name, `^${regexLiteral(directory)}/?\\.?$`)}`, ...browse(`@${name} `, names)];
  });
  return [
    ...slashed,
    `header ?Cache-Control ${NO_CACHE}`,
    'header ?X-Content-Type-Options nosniff',
    ...deferred('', 'Vary Accept'),
    ...(directories.length > 0 ? comment('Directories with private names besides dot names (the path as listed: `/dir/` or, rewritten, `/dir/.`).') : []),
    ...directories,
    ...browse('', []),
  ];
}

/** The names tiny-serve hides besides dot names, by the directory (`/`, `/a/b/`) they are listed in. */
function hiddenNamesByDirectory(context: Context): Map<string, string[]> {
  const byDirectory = new Map<string, string[]>([['/', ['tiny-serve.json', 'serve.json']]]);
  for (const path of context.hiddenPaths) {
    const at = path.lastIndexOf('/') + 1;
    const [directory, name] = [path.slice(0, at), path.slice(at)];
    const names = byDirectory.get(directory) ?? [];
    if (!name.startsWith('.') && !names.includes(name)) byDirectory.set(directory, [...names, name]);
  }
  return byDirectory;
}

/** A name for `hide`: a glob (its special characters escaped) that Caddy replaces placeholders in. */
function hiddenName(name: string): string {
  return token(escapeBraces(name.replace(/[*?[\]\\]/g, (char) => `\\${char}`)));
}

/** Clean URLs on for every path (a list of patterns is not written: said in a note). */
function cleanUrlsOn(context: Context): boolean {
  const { cleanUrls } = context.settings;
  if (cleanUrls !== true && cleanUrls !== false) noteOnce(context, 'cleanUrls as a list of patterns is not written: clean URLs are off in this configuration.');
  return cleanUrls === true;
}

/** Clean URLs: a file asked for as /page.html redirects to /page, /dir/index.html to the directory (as the slash policy writes it). */
export function cleanUrlRedirects(context: Context): string[] {
  if (!cleanUrlsOn(context)) return [];
  const notPrivate = `not ${PRIVATE}`;
  const base = escapeBraces(context.baseUrl);
  // Without trailing slashes /dir/index.html leads to /dir, and /index.html still to /.
  const rootIndex = context.settings.trailingSlash
    ? []
    : [...block('@clean_root_index', [pathRegex('clean_root_index', '^/index\\.html$'), ...file(context, '{path}'), notPrivate]), ...block('route @clean_root_index', redirectAnswer(`${base}/{query_suffix}`, 301))];
  const index = context.settings.trailingSlash ? '^(/(?:.*/)?)index\\.html$' : '^(/.+)/index\\.html$';
  return [
    ...comment('Clean URLs: /page.html redirects to /page, /dir/index.html to the directory.'),
    ...rootIndex,
    ...block('@clean_index', [pathRegex('clean_index', index), ...file(context, '{path}'), notPrivate]),
    ...block('route @clean_index', redirectAnswer(`${base}{escaped_index_directory}{query_suffix}`, 301)),
    ...block('@clean_html', [pathRegex('clean_html', '^(/.+)\\.html$'), ...file(context, '{path}'), notPrivate]),
    ...block('route @clean_html', redirectAnswer(`${base}{escaped_html_stem}{query_suffix}`, 301)),
    '',
  ];
}

/** Clean URLs: /page, with no file or directory of that name, serves page.html. */
export function cleanUrlPages(context: Context): string[] {
  if (context.settings.cleanUrls !== true) return [];
  return [
    ...comment('Clean URLs: /page serves page.html.'),
    ...block('@clean_page', ['not path */', ...file(context, '{path} {path}/', true), ...file(context, '{path}.html'), `not ${PRIVATE}`]),
    'rewrite @clean_page {path}.html',
    '',
  ];
}

/** The config's rewrites: for a path with no file, the first rule whose source matches is tried (and only it). */
export function rewriteSteps(context: Context): string[] {
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
    // As mapPath serves a destination: the file, a directory's index.html, with clean URLs the .html page.
    const candidates = destination.endsWith('/')
      ? [`${destination}index.html`]
      : [destination, `${destination}/index.html`, ...(context.settings.cleanUrls === true ? [`${destination}.html`] : [])];
    const found = block(`@${name}_found`, file(context, candidates.map(token).join(' ')));
    // The file found is private (or missing) by its own path, as tiny-serve judges a rewritten path: marked again.
    const served = ['rewrite {file_match.relative}', `@${name}_private ${pathRegex(`${name}_private`, context.privateRegex)}`, 'vars private no', `vars @${name}_private private yes`];
    lines.push(...block(`route @${name}`, [...found, ...block(`route @${name}_found`, served)]));
    earlier.push({ regex: regex.replace(/\(\?P<[A-Za-z_][A-Za-z0-9_]*>/g, '(?:'), negated });
  });
  return [...lines, ''];
}

/** --single: a navigation (Accept lists text/html) with no file gets the app's page; assets and /.well-known/ stay missing. */
export function singlePageStep(context: Context): string[] {
  const { single } = context.settings;
  if (single === undefined) return [];
  const type = contentTypes().get(single.split('.').pop()!.toLowerCase());
  const vary = type !== undefined && isCompressible(type) ? 'Accept-Encoding, Accept' : 'Accept';
  return [
    ...comment(`--single: navigations with no file get /${single}.`),
    ...block('@single_page', [`header_regexp navigation Accept ${token(NAVIGATION)}`, `not header_regexp Accept ${token(NAVIGATION_REFUSED)}`, `not ${pathRegex('well_known', '^/\\.well-known/')}`, ...stillMissing(context)]),
    ...block('route @single_page', [...deferred('', `Vary ${token(vary)}`), `rewrite * ${literal(`/${single}`)}`, 'vars private no']),
    '',
  ];
}

/** The file, with tiny-serve's headers (the option headers above win over them). */
export function serveStep(context: Context): string[] {
  const { settings } = context;
  const typeLines = [...webTypes().keys()].map((type) => `header @${typeName(type)} Content-Type ${literal(type)}`);
  const base = settings.cache === undefined ? NO_CACHE : `public, max-age=${settings.cache}`;
  const cache = [`header ?Cache-Control ${literal(base)}`];
  if (settings.cacheHashed) {
    cache.push(
      ...comment('--cache-hashed: names with a content hash (never HTML) are immutable. Of two `?` defaults the later one wins: Caddy applies deferred headers from the innermost handler out.'),
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

/** The headers file_server gives a file that tiny-serve's 404 page has not: it answers no ranges, and its page has no validators. */
const PAGE_NOT_FILE = ['header -Accept-Ranges', 'header -Etag', 'header -Last-Modified'];

/** Nothing found: the proxy fallback, else the site's 404.html with status 404, else tiny-serve's own page. */
export function notFoundStep(context: Context): string[] {
  const fallback = proxyFallback(context);
  const vary = context.settings.single === undefined ? [] : deferred('', 'Vary Accept');
  if (fallback) return [...comment('Anything else goes to the proxy fallback.'), ...proxyLines(context, fallback)];
  return [
    ...comment("Not found: the site's 404.html, else tiny-serve's page."),
    ...block('@has_404_page', file(context, '/404.html')),
    ...block('route @has_404_page', ['rewrite * /404.html', ...PAGE_HEADERS, ...vary, ...PAGE_NOT_FILE, ...block('file_server', ['disable_canonical_uris', 'status 404'])]),
    ...block('route', [...builtInPage(404, vary)]),
  ];
}
