// `tiny-serve export caddy`: the matrix against the real caddy (Debian's caddy), and what caddy
// may legitimately do differently, each with its reason; then what only Caddy's export has: the
// proxy, HTTPS, the password file, header rules on 401s, and values that must not become config.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runMatrix } from './export-matrix.js';
import {
  FIELDS,
  caseDirectory,
  compare,
  exportConfig,
  freePort,
  report,
  send,
  siteCopy,
  startCaddy,
  startTinyServe,
  stopServers,
  type Allowance,
  type Observed,
  type Probe,
} from './export-servers.js';
import { stopAll } from './cli-helpers.js';
import { makeCertificates } from './helpers.js';
import { hasContentHash } from '../src/handler/cache-policy.js';
import { isHidden } from '../src/http/target.js';
import { hashedNameRegex, privatePathRegex } from '../src/export/caddy-paths.js';

const isRedirect = (ours: Observed): boolean => ours.status >= 300 && ours.status < 400;
/** tiny-serve's listing: the only 200 that varies on Accept alone (a --single answer varies on Accept-Encoding too). */
const isListing = (ours: Observed): boolean => ours.status === 200 && ours.headers.vary === 'Accept' && String(ours.headers['content-type']).startsWith('text/html');

/** tiny-serve's built-in pages: its 404/405 page (with its locked-down CSP) and its 401 text. */
const isBuiltInPage = (ours: Observed): boolean =>
  ours.headers['content-security-policy'] === "default-src 'none'" || (ours.status === 401 && ours.headers['content-type'] === 'text/plain; charset=utf-8');

const ALLOWANCES: Allowance[] = [
  { field: 'body', when: isRedirect, reason: "Caddy's redirect has no body; tiny-serve's carries a small HTML page (same status, Location and headers)." },
  { field: 'body', when: isListing, reason: "A directory listing is Caddy's own page (file_server browse); the names listed are the same." },
  {
    field: 'body',
    when: (ours) => isBuiltInPage(ours) && ours.body.toString('latin1').endsWith('\n'),
    reason: "tiny-serve's own 401/404/405 page, written by `respond` without its final newline: a Caddyfile token that holds a line break is re-indented by `caddy fmt`.",
  },
  {
    field: 'x-content-type-options',
    when: (ours) => ours.status === 304,
    reason: "Caddy's 304 keeps the nosniff header set for the file; tiny-serve's 304 carries only validators, caching headers and option headers (a 304 has no body to sniff).",
  },
];

runMatrix('caddy', ALLOWANCES);

const basic = (credentials: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(credentials).toString('base64')}` });

/** Work done after each test below: servers stopped, directories removed. */
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await stopServers();
  await stopAll();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

interface CaseOptions {
  flags: string[];
  config?: object;
  probes: Probe[];
  headers?: string[];
  https?: boolean;
  /** Where the site copy goes inside the case directory (a name with hostile characters). */
  siteName?: string;
  /** Files added to the site copy: root-relative path → contents. */
  files?: Record<string, string>;
}

/** One comparison case outside the matrix: the export, tiny-serve and Caddy, the same probes to both. */
async function compareCase(options: CaseOptions): Promise<{ mismatches: string; exported: string; log: string }> {
  const work = caseDirectory();
  cleanups.push(work.cleanup);
  const parent = options.siteName === undefined ? work.dir : join(work.dir, options.siteName);
  if (options.siteName !== undefined) mkdirSync(parent);
  const root = siteCopy(parent, options.config);
  for (const [path, contents] of Object.entries(options.files ?? {})) writeFileSync(join(root, path), contents);
  const [ourPort, theirPort] = [await freePort(), await freePort()];
  const exported = await exportConfig('caddy', root, [...options.flags, '-p', String(theirPort), '-H', '127.0.0.1']);
  const ours = await startTinyServe(root, options.flags, ourPort, options.https);
  const theirs = await startCaddy(exported.text, theirPort, work.dir, options.https);
  const mismatches = await compare(ours, theirs, options.probes, [...FIELDS, ...(options.headers ?? [])], ALLOWANCES);
  return { mismatches: report(mismatches), exported: exported.text, log: theirs.log() };
}

/** A backend that answers with what it was sent, and a redirect to its own origin. */
async function startBackend(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    if (req.url?.endsWith('/redirect')) {
      res.writeHead(302, { location: `http://${req.headers.host}/v2/elsewhere` });
      res.end();
      return;
    }
    const seen = { method: req.method, url: req.url, host: req.headers.host, proto: req.headers['x-forwarded-proto'], authorization: req.headers.authorization ?? null };
    res.writeHead(200, { 'content-type': 'application/json', 'x-backend': 'yes' });
    res.end(JSON.stringify(seen));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  cleanups.push(() => server.close());
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('caddy export: proxies', () => {
  afterAll(async () => {
    await stopServers();
    await stopAll();
  });

  it('forwards prefixes (the target path in front, its host as Host, its Locations made local) and the fallback, as tiny-serve does', async () => {
    const { origin } = await startBackend();
    const { mismatches, exported, log } = await compareCase({
      flags: ['--proxy', `/api=${origin}`, '--proxy', `/old-api=${origin}/v2`, '--proxy', origin],
      headers: ['x-backend'],
      probes: [
        { path: '/api/items?x=1' },
        { path: '/api' },
        { path: '/api/items', method: 'POST' },
        { path: '/apix' },
        { path: '/old-api/items' },
        { path: '/old-api/redirect' },
        { path: '/hello.txt' },
        { path: '/missing/route' },
        { path: '/hello.txt', method: 'DELETE' },
        { path: '/hello.txt', method: 'OPTIONS' },
      ],
    });
    expect(mismatches, `${mismatches}\n--- exported ---\n${exported}\n--- caddy log ---\n${log}`).toBe('');
  });

  it('guards proxied prefixes with --auth, without passing the credentials on', async () => {
    const { origin } = await startBackend();
    const credentials = basic('ada:lovelace');
    const work = caseDirectory();
    cleanups.push(work.cleanup);
    const root = siteCopy(work.dir);
    const [ourPort, theirPort] = [await freePort(), await freePort()];
    const output = join(work.dir, 'exported.conf');
    const flags = ['--proxy', `/api=${origin}`, '--auth', 'ada:lovelace'];
    await exportConfig('caddy', root, [...flags, '-p', String(theirPort), '-H', '127.0.0.1', '--output', output]);
    const ours = await startTinyServe(root, flags, ourPort);
    const theirs = await startCaddy(readFileSync(output, 'utf8'), theirPort, work.dir);
    const probes: Probe[] = [{ path: '/api/x' }, { path: '/api/x', headers: credentials }];
    const mismatches = report(await compare(ours, theirs, probes, [...FIELDS, 'x-backend', 'www-authenticate'], ALLOWANCES));
    expect(mismatches).toBe('');
    const answer = await send(theirs, { path: '/api/x', headers: credentials });
    expect(JSON.parse(answer.body.toString()).authorization).toBeNull();
  });
});

describe('caddy export: the base path with config rules', () => {
  it('matches header rules, redirects and rewrites on the path inside the base, and puts the base in front of Locations', async () => {
    const { mismatches, exported, log } = await compareCase({
      flags: ['--base', '/repo/', '--clean-urls'],
      config: {
        redirects: [{ source: '/old', destination: '/hello.txt' }],
        rewrites: [{ source: '/blog/:slug', destination: '/nested/:slug.html' }],
        headers: [{ source: '**/*.{js,css}', headers: [{ key: 'X-Asset', value: 'yes' }] }, { source: '/nested/**', headers: [{ key: 'X-Section', value: 'nested' }] }],
      },
      headers: ['x-asset', 'x-section'],
      probes: [
        { path: '/repo/old?q=1' },
        { path: '/repo/blog/page' },
        { path: '/repo/nested/page.html' },
        { path: '/repo/nested' },
        { path: '/repo/style.css' },
        { path: '/style.css' },
        { path: '/nested/page.html' },
        { path: '/repo/hello.txt', method: 'PUT' },
      ],
    });
    expect(mismatches, `${mismatches}\n--- exported ---\n${exported}\n--- caddy log ---\n${log}`).toBe('');
  });
});

describe('caddy export: clean URLs', () => {
  it('redirects only a real index.html to its directory (not a name that ends in index.html), with and without trailing slashes', async () => {
    for (const trailingSlash of [true, false]) {
      const { mismatches, exported, log } = await compareCase({
        flags: ['--clean-urls'],
        config: { trailingSlash },
        files: { 'nested/myindex.html': '<p>my index</p>\n' },
        probes: [{ path: '/nested/myindex.html' }, { path: '/nested/myindex' }, { path: '/index.html' }, { path: '/nested/index.html?x=1' }],
      });
      expect(mismatches, `${mismatches}\n--- exported ---\n${exported}\n--- caddy log ---\n${log}`).toBe('');
      await stopServers();
    }
  });
});

describe('caddy export: Locations made from the path', () => {
  it('keep the percent-encoding of names with spaces and non-ASCII letters, in every redirect tiny-serve makes from a path', async () => {
    for (const trailingSlash of [true, false]) {
      const { mismatches, exported, log } = await compareCase({
        flags: ['--clean-urls', '--base', '/repo/'],
        config: { trailingSlash },
        files: { 'snow ☃/page.html': '<p>snow page</p>\n' },
        probes: [
          { path: '/repo/snow%20%E2%98%83?x=1' },
          { path: '/repo/snow%20%E2%98%83/' },
          { path: '/repo/snow%20%E2%98%83/index.html' },
          { path: '/repo/snow%20%E2%98%83/page.html?x=1' },
          { path: '/repo/snow%20%E2%98%83/page' },
        ],
      });
      expect(mismatches, `${mismatches}\n--- exported ---\n${exported}\n--- caddy log ---\n${log}`).toBe('');
      await stopServers();
    }
  });
});

describe('caddy export: rewrites', () => {
  it('serves a destination directory by its index.html, with or without its slash, and tries only the first matching rule', async () => {
    const { mismatches, exported, log } = await compareCase({
      flags: [],
      config: {
        rewrites: [
          { source: '/a/**', destination: '/nested/' },
          { source: '/b/**', destination: '/nested' },
          { source: '/c/:name', destination: '/missing/:name' },
          { source: '/c/**', destination: '/hello.txt' },
          { source: '!/{a,b,c,d}/**', destination: '/nowhere' },
          { source: '/d/**', destination: '/hello.txt' },
        ],
      },
      probes: [{ path: '/a/x' }, { path: '/b/x/y' }, { path: '/c/x' }, { path: '/c/x/y' }, { path: '/d/x' }, { path: '/e' }],
    });
    expect(mismatches, `${mismatches}\n--- exported ---\n${exported}\n--- caddy log ---\n${log}`).toBe('');
  });
});

describe('caddy export: rewrites to private paths', () => {
  it('answers a destination that is private (a dotfile, the config file, a dot-directory, a link out of the root) as missing, as tiny-serve does', async () => {
    const { mismatches, exported, log } = await compareCase({
      flags: [],
      config: {
        rewrites: [
          { source: '/docs/:page', destination: '/:page' },
          { source: '/more/:dir/:file', destination: '/:dir/:file' },
        ],
      },
      probes: [
        { path: '/docs/.env' },
        { path: '/docs/tiny-serve.json' },
        { path: '/more/.hidden/secret.txt' },
        { path: '/more/outside-link/secret.txt' },
        { path: '/docs/hello.txt' },
        { path: '/more/.well-known/security.txt' },
        { path: '/more/nested/page.html' },
      ],
    });
    expect(mismatches, `${mismatches}\n--- exported ---\n${exported}\n--- caddy log ---\n${log}`).toBe('');
  });
});

describe('caddy export: listings', () => {
  it('leave out the names tiny-serve leaves out: the config file at the root only, links out of the root (with and without trailing slashes)', async () => {
    for (const trailingSlash of [true, false]) {
      const work = caseDirectory();
      cleanups.push(work.cleanup);
      const root = siteCopy(work.dir, { trailingSlash });
      rmSync(join(root, 'index.html')); // the root listed
      writeFileSync(join(root, 'no-index', 'serve.json'), '{}');
      const [ourPort, theirPort] = [await freePort(), await freePort()];
      const exported = await exportConfig('caddy', root, ['-p', String(theirPort), '-H', '127.0.0.1']);
      const ours = await startTinyServe(root, [], ourPort);
      const theirs = await startCaddy(exported.text, theirPort, work.dir);
      const listed = async (server: typeof ours, path: string): Promise<string[]> => {
        const body = (await send(server, { path })).body.toString();
        return ['tiny-serve.json', 'serve.json', 'outside-link', 'hello.txt', '.env', 'page.txt'].filter((name) => body.includes(`${name}<`) || body.includes(`${name}"`));
      };
      const expected: [string, string[]][] = [
        ['/', ['hello.txt']],
        [trailingSlash ? '/no-index/' : '/no-index', ['serve.json']],
      ];
      for (const [path, names] of expected) {
        expect(await listed(ours, path)).toEqual(names);
        expect(await listed(theirs, path), `${path} (trailingSlash ${trailingSlash})\n--- exported ---\n${exported.text}`).toEqual(names);
      }
      await stopServers();
    }
  });
});

describe("caddy export: the site's 404 page", () => {
  it('is answered without the headers of a file (Accept-Ranges, ETag, Last-Modified), as tiny-serve answers it', async () => {
    const { mismatches, exported, log } = await compareCase({
      flags: [],
      headers: ['accept-ranges', 'etag', 'last-modified'],
      probes: [{ path: '/missing' }, { path: '/nested/missing.txt' }, { path: '/missing', method: 'HEAD' }],
    });
    expect(mismatches, `${mismatches}\n--- exported ---\n${exported}\n--- caddy log ---\n${log}`).toBe('');
    expect(exported).toMatch(/^# Differs: a Range that no byte of the file satisfies gets Caddy's own 416 answer/m);
  });
});

describe('caddy export: CORS preflights', () => {
  it('answers preflights as tiny-serve does: the requested header names echoed when they are all tokens, else its default list', async () => {
    const preflight = (requested?: string): Probe => ({
      path: '/hello.txt',
      method: 'OPTIONS',
      headers: { origin: 'https://a.example', 'access-control-request-method': 'GET', ...(requested === undefined ? {} : { 'access-control-request-headers': requested }) },
    });
    const { mismatches, exported, log } = await compareCase({
      flags: ['--cors'],
      headers: ['allow', 'access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-max-age'],
      probes: [preflight(), preflight('X-Custom, Content-Type'), preflight('bad header!'), { path: '/hello.txt', method: 'OPTIONS' }],
    });
    expect(mismatches, `${mismatches}\n--- exported ---\n${exported}\n--- caddy log ---\n${log}`).toBe('');
  });
});

describe('caddy export: the output', () => {
  it('is as `caddy fmt` writes it (so running it on the file changes nothing, page bodies included)', async () => {
    const work = caseDirectory();
    cleanups.push(work.cleanup);
    const root = siteCopy(work.dir, {
      redirects: [{ source: '/old', destination: '/hello.txt' }],
      rewrites: [{ source: '/blog/:slug', destination: '/nested/:slug.html' }],
      headers: [{ source: '/nested/**', headers: [{ key: 'X-Content-Type-Options', value: null }] }],
    });
    const flags = ['--single', '--cors', '--clean-urls', '--cache-hashed', '--base', '/repo/', '--proxy', '/api=http://127.0.0.1:9', '--cross-origin-isolated'];
    const exported = await exportConfig('caddy', root, [...flags, '--auth', 'ada:lovelace', '--output', join(work.dir, 'site.caddy')]);
    expect(exported.warnings.length).toBeGreaterThan(0);
    const text = readFileSync(join(work.dir, 'site.caddy'), 'utf8');
    expect(execFileSync('caddy', ['fmt', join(work.dir, 'site.caddy')], { encoding: 'utf8' })).toBe(text);
  });
});

describe('caddy export: HTTPS', () => {
  it('serves the same answers over HTTPS with the certificate and key given', async () => {
    const certificates = makeCertificates();
    cleanups.push(certificates.cleanup);
    const { mismatches, exported, log } = await compareCase({
      flags: ['--ssl-cert', certificates.cert, '--ssl-key', certificates.key],
      https: true,
      probes: [{ path: '/' }, { path: '/hello.txt' }, { path: '/nested' }, { path: '/missing' }, { path: '/.env' }],
    });
    expect(exported).toMatch(/^https:\/\/:\d+ \{$/m);
    expect(exported).toContain(`tls ${certificates.cert} ${certificates.key}`);
    expect(mismatches, `${mismatches}\n--- exported ---\n${exported}\n--- caddy log ---\n${log}`).toBe('');
  });

  it('reads certificate and key paths holding braces, $ and spaces as they are (Caddy loads them with no placeholders)', async () => {
    const certificates = makeCertificates();
    cleanups.push(certificates.cleanup);
    const named = join(certificates.dir, 'tls {x} $y');
    mkdirSync(named);
    copyFileSync(certificates.cert, join(named, 'cert.pem'));
    copyFileSync(certificates.key, join(named, 'key.pem'));
    const { mismatches, exported, log } = await compareCase({
      flags: ['--ssl-cert', join(named, 'cert.pem'), '--ssl-key', join(named, 'key.pem')],
      https: true,
      probes: [{ path: '/hello.txt' }, { path: '/missing' }],
    });
    expect(mismatches, `${mismatches}\n--- exported ---\n${exported}\n--- caddy log ---\n${log}`).toBe('');
  });

  it('says what differs for --ssl (Caddy makes its own certificate) and for a PKCS#12 bundle', async () => {
    const certificates = makeCertificates();
    cleanups.push(certificates.cleanup);
    const selfSigned = await exportConfig('caddy', certificates.dir, ['--ssl', '-p', '8443']);
    expect(selfSigned.text).toMatch(/^\ttls internal$/m);
    expect(selfSigned.text).toMatch(/^# Differs: --ssl: Caddy makes its own certificate/m);
    expect(selfSigned.warnings.some((line) => line.includes('export caddy: --ssl: Caddy makes its own certificate'))).toBe(true);
    const bundle = await exportConfig('caddy', certificates.dir, ['--ssl-cert', certificates.pfx, '--ssl-pass', certificates.pass, '-p', '8443']);
    expect(bundle.text).toMatch(/^# Differs: a PKCS#12 \(\.pfx\) certificate: Caddy reads PEM files/m);
    expect(bundle.text).not.toMatch(/^\ttls .*site\.p12/m);
  });
});

describe('caddy export: --auth', () => {
  it('imports the user and bcrypt hash from the password file beside the output: never the password, never the hash in the config', async () => {
    const work = caseDirectory();
    cleanups.push(work.cleanup);
    const output = join(work.dir, 'site.caddy');
    await exportConfig('caddy', siteCopy(work.dir), ['--auth', 'ada:lovelace', '--output', output]);
    const config = readFileSync(output, 'utf8');
    const passwords = readFileSync(`${output}.htpasswd`, 'utf8');
    expect(config).toContain(`import ${output}.htpasswd`);
    expect(config).not.toContain('lovelace');
    const [user, encoded] = passwords.trim().split(' ');
    expect(user).toBe('ada');
    expect(config).not.toContain(encoded);
    expect(bcrypt.compareSync('lovelace', Buffer.from(encoded!, 'base64').toString())).toBe(true);
    expect(statSync(`${output}.htpasswd`).mode & 0o777).toBe(0o600);
  });

  it('reads a user name with blanks, quotes, braces and {$ back as it is (the password file line is a Caddyfile token)', async () => {
    const user = 'my "user" {x} {$HOME}';
    const work = caseDirectory();
    cleanups.push(work.cleanup);
    const root = siteCopy(work.dir);
    const [ourPort, theirPort] = [await freePort(), await freePort()];
    const output = join(work.dir, 'exported.conf');
    const flags = ['--auth', `${user}:pass word`];
    await exportConfig('caddy', root, [...flags, '-p', String(theirPort), '-H', '127.0.0.1', '--output', output]);
    const ours = await startTinyServe(root, flags, ourPort);
    const theirs = await startCaddy(readFileSync(output, 'utf8'), theirPort, work.dir);
    const probes: Probe[] = [{ path: '/hello.txt', headers: basic(`${user}:pass word`) }, { path: '/hello.txt', headers: basic('my:pass word') }, { path: '/hello.txt' }];
    const mismatches = report(await compare(ours, theirs, probes, [...FIELDS, 'www-authenticate'], ALLOWANCES));
    expect(mismatches, `${mismatches}\n--- password file ---\n${readFileSync(`${output}.htpasswd`, 'utf8')}\n--- caddy log ---\n${theirs.log()}`).toBe('');
    expect((await send(theirs, probes[0]!)).status).toBe(200);
  });

  it('keeps header rules that remove an option header on 401 answers (Caddy drops deferred changes on errors)', async () => {
    const work = caseDirectory();
    cleanups.push(work.cleanup);
    const root = siteCopy(work.dir, { headers: [{ source: '/nested/**', headers: [{ key: 'X-Frame-Options', value: null }] }] });
    const [ourPort, theirPort] = [await freePort(), await freePort()];
    const output = join(work.dir, 'exported.conf');
    const flags = ['--auth', 'ada:lovelace', '--header', 'X-Frame-Options: DENY'];
    await exportConfig('caddy', root, [...flags, '-p', String(theirPort), '-H', '127.0.0.1', '--output', output]);
    const ours = await startTinyServe(root, flags, ourPort);
    const theirs = await startCaddy(readFileSync(output, 'utf8'), theirPort, work.dir);
    const probes: Probe[] = [{ path: '/nested/page.html' }, { path: '/hello.txt' }, { path: '/nested/page.html', headers: basic('ada:lovelace') }];
    const mismatches = report(await compare(ours, theirs, probes, [...FIELDS, 'x-frame-options', 'www-authenticate'], ALLOWANCES));
    expect(mismatches).toBe('');
    expect((await send(theirs, probes[0]!)).headers['x-frame-options']).toBeUndefined();
  });
});

/** Characters that mean something to Caddyfile's lexer, its placeholders, shells or regexes. */
const HOSTILE = `we"ird 'r}o{ot; {host} $HOME #1 \``;
const HOSTILE_VALUE = `$HOME {host} {path} ; } "q" 'a' \\b # c \``;

describe('caddy export: no name or value becomes configuration', () => {
  it('serves a root whose name holds quotes, braces, $, ; and #, with header values and destinations read literally', async () => {
    const { mismatches, exported, log } = await compareCase({
      siteName: HOSTILE,
      flags: ['--header', `X-Hostile: ${HOSTILE_VALUE}`, '--clean-urls'],
      config: {
        redirects: [{ source: '/go', destination: '/hello.txt?to={host}&v=$x;}"' }],
        headers: [{ source: '/hello.txt', headers: [{ key: 'X-Rule', value: `{http.request.uri} ${HOSTILE_VALUE}` }] }],
      },
      headers: ['x-hostile', 'x-rule'],
      probes: [{ path: '/hello.txt' }, { path: '/' }, { path: '/nested' }, { path: '/nested/page' }, { path: '/go' }, { path: '/missing' }],
    });
    expect(mismatches, `${mismatches}\n--- exported ---\n${exported}\n--- caddy log ---\n${log}`).toBe('');
  });

  it('serves the files of a root whose name holds a backslash and glob characters, and says that its directories are not found', async () => {
    const { mismatches, exported, log } = await compareCase({
      siteName: `back\\slash [*?] {x}`,
      flags: ['--header', `X-Hostile: ${HOSTILE_VALUE}`],
      headers: ['x-hostile'],
      probes: [{ path: '/hello.txt' }, { path: '/style.css' }, { path: '/nested/page.html' }, { path: '/missing' }],
    });
    expect(mismatches, `${mismatches}\n--- exported ---\n${exported}\n--- caddy log ---\n${log}`).toBe('');
    expect(exported).toMatch(/^# Differs: the root's path holds \\, \*, \? or \[/m);
  });
});

/**
 * Caddy replaces `{$NAME}` and `{$NAME:default}` in the Caddyfile's raw text (the harness runs it
 * with HOME set to the case directory); a value holding them must still arrive as it is written.
 */
describe('caddy export: values holding {$ (Caddy reads them as environment variables)', () => {
  afterEach(() => {
    delete process.env.SECRET_TOKEN;
  });

  it('writes {$ in roots, header values, header rule sources, redirect and rewrite destinations and the --single file so that Caddy reads it literally', async () => {
    process.env.SECRET_TOKEN = 's3cr3t-value';
    const { mismatches, exported, log } = await compareCase({
      siteName: 'site{$HOME}',
      flags: ['--header', 'X-A: {$', '--header', 'X-B: {$SECRET_TOKEN} {{$HOME}}', '--single', 'app{$HOME}.html'],
      config: {
        redirects: [{ source: '/go', destination: '/hello.txt?to={$HOME:x}' }],
        rewrites: [{ source: '/r/:name', destination: '/env{$HOME}.:name' }],
        headers: [{ source: '/{$HOME,hello}.txt', headers: [{ key: 'X-Leak', value: '{$SECRET_TOKEN:none}' }] }],
      },
      files: { 'app{$HOME}.html': '<p>app</p>\n', 'env{$HOME}.txt': 'env file\n' },
      headers: ['x-a', 'x-b', 'x-leak'],
      probes: [{ path: '/hello.txt' }, { path: '/go' }, { path: '/r/txt' }, { path: '/deep/link', headers: { accept: 'text/html' } }, { path: '/missing' }],
    });
    expect(mismatches, `${mismatches}\n--- exported ---\n${exported}\n--- caddy log ---\n${log}`).toBe('');
    expect(exported).not.toContain('{$');
  });

  it('writes {$ in a root that ends with it (Caddy would delete up to the next brace, across lines)', async () => {
    const { mismatches, exported, log } = await compareCase({
      siteName: 'www{$',
      flags: ['--base', '/b{$HOME}/', '--clean-urls'],
      probes: [{ path: '/b%7B$HOME%7D/hello.txt' }, { path: '/b%7B$HOME%7D/nested' }, { path: '/b%7B$HOME%7D/nested/page' }, { path: '/' }],
    });
    expect(mismatches, `${mismatches}\n--- exported ---\n${exported}\n--- caddy log ---\n${log}`).toBe('');
  });

  it('matches a path that ends with a brace (a regex literal brace before its end anchor)', async () => {
    const { mismatches, exported, log } = await compareCase({
      flags: ['--base', '/b{/'],
      config: { headers: [{ source: '/nested/a\\{', headers: [{ key: 'X-Brace', value: 'yes' }] }] },
      headers: ['x-brace'],
      probes: [{ path: '/b%7B' }, { path: '/b%7B/hello.txt' }, { path: '/b%7B/nested/a%7B' }, { path: '/b%7B/nested/a' }],
    });
    expect(mismatches, `${mismatches}\n--- exported ---\n${exported}\n--- caddy log ---\n${log}`).toBe('');
  });

  it('refuses a certificate, key or password file path holding {$, which Caddy reads with no escape', async () => {
    const certificates = makeCertificates();
    cleanups.push(certificates.cleanup);
    const work = caseDirectory();
    cleanups.push(work.cleanup);
    const named = join(work.dir, 'tls{$HOME}');
    mkdirSync(named);
    copyFileSync(certificates.cert, join(named, 'cert.pem'));
    copyFileSync(certificates.key, join(named, 'key.pem'));
    const root = siteCopy(work.dir);
    await expect(exportConfig('caddy', root, ['--ssl-cert', join(named, 'cert.pem'), '--ssl-key', certificates.key])).rejects.toThrow(
      /cannot write the certificate path ".*tls\{\$HOME\}\/cert\.pem" for Caddy: it holds "\{\$", which Caddy replaces with an environment variable/,
    );
    await expect(exportConfig('caddy', root, ['--ssl-cert', certificates.cert, '--ssl-key', join(named, 'key.pem')])).rejects.toThrow(/cannot write the key path/);
    await expect(exportConfig('caddy', root, ['--auth', 'ada:lovelace', '--output', join(named, 'site.caddy')])).rejects.toThrow(/cannot write the password file path/);
  });
});

describe('caddy export: the regexes that stand for tiny-serve rules', () => {
  /** A small deterministic generator, so a failing name can be found again. */
  function names(count: number): string[] {
    let seed = 16;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = 'abcXYZ019_-.';
    return Array.from({ length: count }, () => {
      const length = 1 + Math.floor(next() * 24);
      const stem = Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      return `${stem}.${['js', 'css', 'html', 'map', 'tar_gz'][Math.floor(next() * 5)]}`;
    });
  }
  const known = ['app.3f9a1c2b.js', 'chunk-BX3k9aQz.js', 'index-C-0bB3sm.css', 'vendor-_7kq-4Tz.js', 'chunk-QWERTYUI.js', 'use-get-user.js', 'lib-my_utils.js', 'navigate.js', 'MyButton.js', 'main.4f8a9c1d2e3b4a5f6789.js', `x.${'a1'.repeat(33)}.js`];

  it('hashedNameRegex says what hasContentHash says, for known and generated names', () => {
    const regex = new RegExp(hashedNameRegex());
    const differing = [...known, ...names(20_000)].filter((name) => regex.test(`/dir/${name}`) !== hasContentHash(name));
    expect(differing).toEqual([]);
  });

  it('privatePathRegex says what tiny-serve hides: dot names but a top-level /.well-known, config files at the root, the extra paths', () => {
    const regex = new RegExp(privatePathRegex(['/outside-link']));
    const paths = ['/.env', '/.well-known/security.txt', '/.well-known', '/.well-knownx/a', '/.well-know/a', '/a/.well-known/x', '/.well-known/.x', '/.hidden/secret.txt', '/a/b/.c', '/a.b/c', '/tiny-serve.json', '/serve.json', '/a/serve.json', '/outside-link', '/outside-link/secret.txt', '/outside-linked', '/.', '/w/x'];
    const expected = (path: string): boolean => isHidden(path.slice(1)) || ['tiny-serve.json', 'serve.json'].includes(path.slice(1)) || /^\/outside-link(\/|$)/.test(path);
    expect(paths.filter((path) => regex.test(path) !== expected(path))).toEqual([]);
  });
});
