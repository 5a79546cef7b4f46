// The nginx writer: a site as the http-level lines it needs (maps, upstreams) and one `server { … }`
// block, the whole to be included inside nginx's `http { … }` block. nginx answers each request as
// tiny-serve's pipeline does: base, preflight, auth, methods, redirects, the file or directory,
// clean URLs, rewrites, the single-page fallback, the 404 page; headers come from maps keyed on
// the response's kind, so 304s, 404s and redirects carry them as tiny-serve's do.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isCompressible } from '../http/encoding.js';
import { contentTypes, effective, type Site, type Written } from './site.js';
import type { Context } from './nginx-context.js';
import { UserError } from '../errors.js';
import { Block, interpolated, literal, patternKey, word, type Names } from './nginx-syntax.js';
import { headerMaps } from './nginx-headers.js';
import { locations, requestSteps, routeMaps } from './nginx-routes.js';

/** The site id of every variable name: a hash of the root and the addresses, stable across exports. */
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

/** The http-level lines: the `$` holder, the maps of the request's route, the proxies', the headers'. */
function httpLevel(context: Context, out: Block): void {
  out.comment('nginx has no escape for "$" in strings that take variables: this holds one.');
  out.block(`geo ${context.names.variable('dollar')}`, (inner) => inner.line('default "$";'));
  out.line();
  routeMaps(context, out);
  context.headerLines = headerMaps(context, out);
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
  out.comment('If-Modified-Since at or after the file\'s time is a 304, as in tiny-serve (nginx\'s default wants the exact time).');
  out.line('if_modified_since before;');
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
  out.line(`ssl_certificate ${certificatePath(site.tls.cert)};`);
  out.line(`ssl_certificate_key ${certificatePath(site.tls.key)};`);
  // ssl_password_file takes no variables: its path is written as it is.
  if (site.tls.pass !== undefined) out.line(`ssl_password_file ${literal(site.tls.pass)};`);
}

/**
 * A certificate or key path. nginx has no escape for `$` and reads one in these as a variable: even
 * the `$` holder would switch nginx from loading the files once at startup (where `nginx -t` checks
 * them) to loading them at every handshake. Refused instead, so that the config stays literal.
 */
function certificatePath(path: string): string {
  if (path.includes('$')) throw new UserError(`cannot write ${JSON.stringify(path)} for nginx: a "$" in a certificate or key path makes nginx load it at every handshake; move or rename the file`);
  return literal(path);
}

/** One add_header per header a response may carry; `always`, so 304s, 404s and redirects get them too. */
function headerLines(context: Context, out: Block): void {
  out.comment('Headers for every response kind (an empty value sends none), as tiny-serve sends them.');
  for (const line of context.headerLines) out.line(line);
}

/** Whether a rewrite's destination (without :params) is a directory of the root with no index.html. */
function isUnindexedDirectory(root: string, destination: string): boolean {
  if (/:[A-Za-z_]/.test(destination)) return false;
  const path = join(root, destination);
  try {
    return statSync(path).isDirectory() && !existsSync(join(path, 'index.html'));
  } catch {
    return false;
  }
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
  notes.push("a 416 (a range past the file's end) carries the file's headers (its Cache-Control, Vary: Accept-Encoding, no Content-Security-Policy) and nginx's page, where tiny-serve sends its own page's");
  if (options.auth !== undefined) notes.push('with --auth, targets nginx refuses while reading the request (%00, a malformed escape, an encoded .. above the root) answer 400 before credentials are asked for');
  if (options.auth !== undefined) notes.push('with --auth, the trailing-slash and clean-URL redirects are answered before credentials are asked for (they tell that a directory or page exists)');
  if (settings.listing !== false) notes.push("listings are nginx's autoindex page (HTML only: no JSON, no sorting; it shows config files)");
  if (settings.unlisted.length > 0) notes.push('unlisted patterns cannot be expressed: nginx lists those entries');
  if (settings.renderSingle) notes.push('renderSingle cannot be expressed: a directory with a single file is listed or 404');
  if (options.watch) notes.push('--watch: live reload does not exist in nginx');
  if (site.tls === 'self-signed') notes.push('--ssl makes its own certificate: nginx needs ssl_certificate and ssl_certificate_key (this config listens over plain HTTP)');
  else if (site.tls !== undefined && site.tls.key === undefined) notes.push('a .pfx/.p12 bundle: nginx reads PEM files (openssl pkcs12 -in bundle.pfx -nokeys/-nocerts); this config listens over plain HTTP');
  if ((options.redirects ?? []).some((rule) => /:[A-Za-z_]/.test(rule.destination.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')) && patternKey(rule.source).params.length > 0)) {
    notes.push('a redirect puts a :param into its Location as the request encoded it (tiny-serve encodes it anew: ":" as %3A, %41 as A); a request with an encoded slash (%2F) or a one-dot segment before the param takes no such redirect');
  }
  if (settings.listing !== false && (options.rewrites ?? []).some((rule) => isUnindexedDirectory(site.root, rule.destination))) {
    notes.push('a rewrite to a directory without index.html answers 404 (tiny-serve serves its listing)');
  }
  for (const text of [...(options.header ?? []), ...(options.headers ?? []).flatMap((rule) => rule.headers.map((header) => header.key))]) {
    if (/^content-type\s*(:|$)/i.test(text)) notes.push('a Content-Type header rule is added beside nginx\'s own Content-Type instead of replacing it');
  }
  context.notes.splice(0, context.notes.length, ...new Set(context.notes));
}
