// The Caddy writer: a site as one Caddyfile site block that Caddy 2.6+ serves as tiny-serve does.
// Every step of tiny-serve's pipeline is a step of one `route` (which keeps the written order; a
// `handle` block would sort its directives), and what Caddy cannot do alike is a note.
import { UserError } from '../errors.js';
import { effective, type Effective, type Site, type Written } from './site.js';
import { EMPTY_PLACEHOLDER, ENV_OPEN, block, comment, envRefusal, literal, verbatim } from './caddy-syntax.js';
import { privatePathRegex, scanLinks } from './caddy-paths.js';
import { noteOnce, type Context } from './caddy-context.js';
import { errorRoutes, methodSteps, optionHeaders, preflight, authStep } from './caddy-headers.js';
import { WEB_EXTENSIONS, typeMatchers } from './caddy-types.js';
import { proxySteps } from './caddy-proxy.js';
import {
  baseSteps,
  cleanUrlPages,
  cleanUrlRedirects,
  directorySteps,
  notFoundStep,
  privateStep,
  redirectSteps,
  rewriteSteps,
  serveStep,
  singlePageStep,
} from './caddy-files.js';

export function writeCaddy(site: Site): Written {
  const settings = effective(site.options);
  const notes: string[] = [];
  const base = settings.base.slice(0, -1);
  const baseUrl = base.split('/').map(encodeURIComponent).join('/');
  const hiddenPaths = hiddenExtras(site, settings, notes);
  const context: Context = { site, settings, notes, base, baseUrl, privateRegex: privatePathRegex(hiddenPaths), hiddenPaths };
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
  const envNote = body.some((line) => line.includes(EMPTY_PLACEHOLDER))
    ? comment(`\\{${EMPTY_PLACEHOLDER}$ below is a brace then a dollar sign, taken literally: Caddy replaces $NAME in braces with an environment variable anywhere in this file, and ${EMPTY_PLACEHOLDER} (the variable with no name) is empty.`)
    : [];
  const text = [...block(siteAddresses(context).join(', '), [...envNote, ...body]), ''].join('\n');
  refuseEnvOpen(text);
  return { text, notes };
}

/**
 * The last guard: no line of the text may hold `{$` (see caddy-syntax.ts), whatever wrote it. Every
 * writer escapes it on its own, so this names the line when one did not.
 */
function refuseEnvOpen(text: string): void {
  const line = text.split('\n').find((written) => written.includes(ENV_OPEN));
  if (line !== undefined) throw new UserError(envRefusal('the line', line.trim()));
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
      // Caddy loads these files by their names as written: no placeholders to escape.
      lines.push(`tls ${verbatim(site.tls.cert, 'the certificate path')} ${verbatim(site.tls.key, 'the key path')}`);
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
    ...escapedPaths(context),
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
 * The path as the client wrote it, percent-encoded, for the Locations made from it (`{path}` is
 * decoded): whole, without its last slash, without `.html`, and a directory's part of `…/index.html`.
 * Read from `{uri}` after the base is taken off.
 */
function escapedPaths(context: Context): string[] {
  const { trailingSlash, cleanUrls } = context.settings;
  const maps = [
    ...comment('Paths for Locations, percent-encoded as the client wrote them.'),
    ...block('map {uri} {escaped_path}', ['~^([^?]*) "${1}"']),
    ...(trailingSlash ? [] : block('map {uri} {escaped_path_unslashed}', ['~^([^?]*[^/?])/+(?:\\?.*)?$ "${1}"'])),
  ];
  if (cleanUrls === true) {
    maps.push(...block('map {uri} {escaped_html_stem}', ['~^([^?]*)\\.html(?:\\?.*)?$ "${1}"']));
    maps.push(...block('map {uri} {escaped_index_directory}', [trailingSlash ? '~^([^?]*/)index\\.html(?:\\?.*)?$ "${1}"' : '~^([^?]*)/index\\.html(?:\\?.*)?$ "${1}"']));
  }
  return [...maps, ''];
}

/** Notes for the options Caddy has no way to follow. */
function featureNotes(context: Context): void {
  const { settings, site } = context;
  if (settings.compress) noteOnce(context, 'on-the-fly compression is gzip only: Caddy has no brotli encoder (precompressed .br files are served).');
  noteOnce(context, 'a precompressed .br/.gz sibling is served even when older than its file (tiny-serve then skips it), and a file asked for by its encoded name (app.js.gz) is served as that file.');
  noteOnce(context, `files with other extensions than ${WEB_EXTENSIONS.replace(/ /g, ', ')} get Caddy's type (Go's table and /etc/mime.types), and files with none are not typed by their first bytes.`);
  noteOnce(context, "a Location made from the path keeps the client's percent-encoding, where tiny-serve encodes each name again (the same URL, spelt otherwise only for characters such as + or ! in a name).");
  if (settings.listing !== true && settings.listing !== false) noteOnce(context, 'listing as a list of patterns is not written: listings are off in this configuration.');
  if (settings.unlisted.length > 0) noteOnce(context, "unlisted names still show in Caddy's listings (they are served alike).");
  if (settings.renderSingle) noteOnce(context, "renderSingle is not written: a directory's only file is not served for it.");
  if (site.options.watch) noteOnce(context, '--watch: Caddy has no live reload.');
  noteOnce(context, "a Range that no byte of the file satisfies gets Caddy's own 416 answer (plain text, with the file's validators), where tiny-serve answers its HTML page.");
}
