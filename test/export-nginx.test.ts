// `tiny-serve export nginx`: the matrix against the real nginx (Debian's nginx-light), and what nginx
// may legitimately do differently, each with its reason; then what only nginx's export has to show:
// cases beyond the matrix compared with tiny-serve (navigations, preflights, auth before everything,
// proxies, HTTPS), names and values that must not inject configuration, and the notes it writes.
import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
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
  startNginx,
  startTinyServe,
  stopServers,
  type Allowance,
  type Observed,
  type Probe,
} from './export-servers.js';
import { runCli, stopAll } from './cli-helpers.js';
import { makeCertificates } from './helpers.js';
import { HASHED } from '../src/export/nginx-headers.js';
import { hasContentHash } from '../src/handler/cache-policy.js';

/** tiny-serve's own page for a status (pages.ts builtInPage): nginx answers with its own instead. */
const builtInPage = (ours: Observed): boolean => ours.body.toString('latin1').startsWith('<!doctype html><html lang="en"><meta charset="utf-8"><title>');
const isListing = (ours: Observed): boolean => ours.status === 200 && String(ours.headers['content-type']).startsWith('text/html') && ours.headers.vary === 'Accept';
const insideLink = (_ours: Observed, probe: Probe): boolean => /\/inside-link\.txt$/.test(probe.path);
/**
 * A request without valid credentials for a directory without its slash: nginx's rewrite phase, where the
 * export redirects directories, runs before auth_basic, so nginx redirects where tiny-serve asks for
 * credentials (a note says so).
 */
const redirectedBeforeAuth = (ours: Observed, probe: Probe): boolean =>
  ours.status === 401 && ['/nested', '/no-index'].includes(probe.path.split('?')[0]!);

const ALLOWANCES: Allowance[] = [
  {
    field: 'body',
    when: (ours) => ours.status !== 200 && builtInPage(ours),
    reason: "a redirect, 405 or out-of-base 404 without a page of the site's own: nginx sends its built-in page",
  },
  {
    field: 'content-type',
    when: (ours) => (ours.status === 301 || ours.status === 302) && builtInPage(ours),
    reason: "nginx's built-in 301/302 page is text/html without a charset (its charset module never labels those two); the page is nginx's own, ASCII",
  },
  {
    field: 'body',
    when: isListing,
    reason: "a directory listing is nginx's autoindex page (a note says so)",
  },
  ...(['status', 'location', 'content-type', 'cache-control', 'x-content-type-options', 'body', 'www-authenticate'] as const).map(
    (field): Allowance => ({
      field,
      when: redirectedBeforeAuth,
      reason: "with --auth, nginx answers a directory's trailing-slash redirect before asking for credentials (a note says so)",
    }),
  ),
  {
    field: 'vary',
    when: (ours) => ours.status === 416,
    reason: "nginx refuses a range after the file's headers were set: its 416 carries the file's Vary (a note says so)",
  },
  // x-backend: with a fallback proxy the link, missing to nginx, is the backend's to answer.
  ...(['status', 'content-type', 'cache-control', 'vary', 'x-content-type-options', 'body', 'x-backend'] as const).map(
    (field): Allowance => ({
      field,
      when: insideLink,
      reason: 'nginx cannot follow symlinks inside the root only, so it follows none: a link inside the root is a 404 (a note says so)',
    }),
  ),
];

// nginx checks the bcrypt hash of the password file on every request (about 50 ms each, more on a
// busy machine): the --auth case's probes alone can pass vitest's default 5 s.
vi.setConfig({ testTimeout: 30_000 });

runMatrix('nginx', ALLOWANCES);

const HTML = { accept: 'text/html' };
const basic = (credentials: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(credentials).toString('base64')}` });

/** A case beyond the matrix: flags (a config file), probes, the headers compared besides FIELDS. */
interface NginxCase {
  name: string;
  flags: string[];
  config?: object;
  probes: Probe[];
  headers?: string[];
  /** Export to a file (needed with --auth: the password file goes beside it). */
  toFile?: boolean;
  /** Flags given to the export only (`--proxy` targets are the same for both: given to both). */
  https?: boolean;
}

/** Exports `flags` for nginx, starts both servers on a fresh copy of the site, and compares every probe. */
async function compareCase(testCase: NginxCase): Promise<{ mismatches: string; exported: string }> {
  const work = caseDirectory();
  try {
    const root = siteCopy(work.dir, testCase.config);
    const [ourPort, theirPort] = [await freePort(), await freePort()];
    const output = testCase.toFile ? ['--output', join(work.dir, 'exported.conf')] : [];
    const exported = await exportConfig('nginx', root, [...testCase.flags, '-p', String(theirPort), '-H', '127.0.0.1', ...output]);
    const text = testCase.toFile ? readFileSync(output[1]!, 'utf8') : exported.text;
    const ours = await startTinyServe(root, testCase.flags, ourPort, testCase.https);
    const theirs = await startNginx(text, theirPort, work.dir, testCase.https);
    const mismatches = await compare(ours, theirs, testCase.probes, [...FIELDS, ...(testCase.headers ?? [])], ALLOWANCES);
    return { mismatches: `${report(mismatches)}${mismatches.length > 0 ? `\n--- exported ---\n${text}\n--- nginx log ---\n${theirs.log()}` : ''}`, exported: text };
  } finally {
    await stopServers();
    work.cleanup();
  }
}

afterEach(async () => {
  await stopServers();
  await stopAll();
});

describe('nginx answers as tiny-serve beyond the matrix', () => {
  it('--single takes navigations only: text/html with a q above 0, in any case and order', async () => {
    const accepts = ['text/html;q=0', 'text/html; q=0.0', 'TEXT/HTML', 'text/html;q=0.5', 'application/json, text/html;level=1;q=0.2', '*/*', 'text/htmlx', 'text/html;q=0, */*'];
    const probes = accepts.map((accept) => ({ path: '/app/route', headers: { accept } }));
    const { mismatches } = await compareCase({ name: 'navigations', flags: ['--single'], probes });
    expect(mismatches).toBe('');
  });

  it('CORS preflights echo well-formed requested headers, and plain OPTIONS and other methods answer as tiny-serve', async () => {
    const preflight = (headers: Record<string, string>): Probe => ({
      path: '/hello.txt',
      method: 'OPTIONS',
      headers: { origin: 'https://a.example', 'access-control-request-method': 'GET', ...headers },
    });
    const probes = [
      preflight({ 'access-control-request-headers': 'X-One, x-two' }),
      preflight({ 'access-control-request-headers': 'bad header' }),
      preflight({}),
      { path: '/hello.txt', method: 'OPTIONS' },
      { path: '/missing', method: 'PUT' },
      { path: '/hello.txt', method: 'HEAD' },
    ];
    const headers = ['allow', 'access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-max-age', 'access-control-expose-headers'];
    const { mismatches } = await compareCase({ name: 'preflights', flags: ['--cors'], probes, headers });
    expect(mismatches).toBe('');
  });

  it('with --auth, methods, redirects and the base answer 401 before anything else, and 401s read as tiny-serve\'s', async () => {
    const anonymous = (probe: Probe): Probe => probe;
    const signed = (probe: Probe): Probe => ({ ...probe, headers: { ...probe.headers, ...basic('ada:lovelace') } });
    const paths: Probe[] = [
      { path: '/repo/hello.txt', method: 'POST' },
      { path: '/repo/hello.txt', method: 'OPTIONS' },
      { path: '/repo/old' },
      { path: '/repo' },
      { path: '/' },
      { path: '/elsewhere' },
      { path: '/repo/hello.txt', method: 'HEAD' },
      { path: '/repo/app/route', headers: HTML },
    ];
    const probes = [...paths.map(anonymous), ...paths.map(signed)];
    const { mismatches, exported } = await compareCase({
      name: 'auth first',
      flags: ['--auth', 'ada:lovelace', '--base', '/repo/', '--single'],
      config: { redirects: [{ source: '/old', destination: '/hello.txt', type: 302 }] },
      probes,
      headers: ['www-authenticate', 'allow'],
      toFile: true,
    });
    expect(mismatches).toBe('');
    expect(exported).not.toContain('lovelace');
  });

  it('targets tiny-serve refuses (.. segments, backslashes, NUL, bad escapes) are 400 there too, auth or not', async () => {
    // nginx refuses these while reading the request, before any step (a note says so under --auth).
    const refusedByNginx = ['/%2e%2e/hello.txt', '/x%00y', '/bad%zz'];
    const paths = ['/nested/../hello.txt', '/nested/..%2fhello.txt', '/nested/%2E%2E', '/hello%5c.txt', '/a\\b', '/..hidden', '/nested/..?x=1', '/.env'];
    for (const flags of [[], ['--auth', 'ada:lovelace']]) {
      const tried = flags.length === 0 ? [...paths, ...refusedByNginx] : paths;
      const probes = tried.flatMap((path): Probe[] => [{ path }, { path, headers: basic('ada:lovelace') }]);
      const { mismatches } = await compareCase({ name: 'bad targets', flags, probes, headers: ['www-authenticate'], toFile: true });
      expect(mismatches).toBe('');
    }
  });

  it('listing patterns list the directories they name (with or without the slash); the others are missing', async () => {
    const probes: Probe[] = ['/no-index/', '/assets/', '/nested/deeper/', '/unity/Build/', '/unity/Build', '/', '/nested/'].map((path) => ({ path, headers: HTML }));
    for (const listing of [['/no-index', '/unity/**'], ['!/assets/**']]) {
      const { mismatches } = await compareCase({ name: 'listing patterns', flags: ['--single'], config: { directoryListing: listing }, probes });
      expect(mismatches).toBe('');
    }
  });

  it('clean URLs and rewrites follow the base, and header rules see the path inside it', async () => {
    const probes: Probe[] = [
      { path: '/repo/nested/page.html?x=1' },
      { path: '/repo/nested/page' },
      { path: '/repo/blog/page' },
      { path: '/repo/hello.txt', revalidate: false },
      { path: '/repo/hello.txt', revalidate: true },
      { path: '/repo/missing', headers: HTML },
      { path: '/repo/.env', headers: HTML },
    ];
    const config = {
      rewrites: [{ source: '/blog/:slug', destination: '/nested/:slug.html' }],
      headers: [{ source: '/hello.txt', headers: [{ key: 'X-Rule', value: 'hello' }] }, { source: '!/hello.txt', headers: [{ key: 'X-Rule', value: 'other' }] }],
    };
    const { mismatches } = await compareCase({ name: 'base rules', flags: ['--base', '/repo/', '--clean-urls', '--single'], config, probes, headers: ['x-rule'] });
    expect(mismatches).toBe('');
  });
});

describe("the reviewer's defects, each compared with tiny-serve", () => {
  it('a redirect :param never carries a CR/LF into the Location: it is the path as the request encoded it', async () => {
    const work = caseDirectory();
    try {
      const root = siteCopy(work.dir, { redirects: [{ source: '/moved/:name', destination: '/nested/:name', type: 302 }] });
      const paths = ['/moved/x%0d%0aSet-Cookie:%20session=attacker', '/moved/x%0D%0A%0d%0a<html>', '/moved/a%20b', '/moved/plain?q=1', '/moved//two', '/./moved/./three', '/moved/%41%3a'];
      for (const base of ['', '/repo']) {
        const flags = base === '' ? [] : ['--base', `${base}/`];
        const [ourPort, theirPort] = [await freePort(), await freePort()];
        const exported = await exportConfig('nginx', root, [...flags, '-p', String(theirPort), '-H', '127.0.0.1']);
        const ours = await startTinyServe(root, flags, ourPort);
        const nginx = await startNginx(exported.text, theirPort, work.dir);
        for (const path of paths.map((path) => `${base}${path}`)) {
          const [mine, theirs] = [await send(ours, { path }), await send(nginx, { path })];
          expect(theirs.status, path).toBe(mine.status);
          expect(theirs.headers['set-cookie'], path).toBeUndefined();
          expect(String(theirs.headers.location), path).not.toMatch(/[\x00-\x20\x7f]/);
          // The same URL, each percent-encoded its own way (tiny-serve encodes anew, nginx keeps the request's).
          expect(decodeURIComponent(String(theirs.headers.location)), path).toBe(decodeURIComponent(String(mine.headers.location)));
        }
        await stopServers();
      }
    } finally {
      await stopServers();
      work.cleanup();
    }
  });

  it('a rewrite to a :param destination never serves a private file or leaves the root', async () => {
    const probes: Probe[] = ['/docs/.env', '/docs/tiny-serve.json', '/docs/.hidden', '/docs/outside-link', '/docs/hello.txt', '/docs/nested', '/docs/serve.json'].map((path) => ({ path }));
    const { mismatches } = await compareCase({ name: 'private rewrites', flags: [], config: { rewrites: [{ source: '/docs/:page', destination: '/:page' }] }, probes });
    expect(mismatches).toBe('');
  });

  it('a rewrite destination with a query serves its path', async () => {
    const rewrites = [{ source: '/q', destination: '/hello.txt?x=1' }, { source: '/d/:page', destination: '/nested/:page?from=d' }];
    const probes: Probe[] = [{ path: '/q' }, { path: '/q?y=2' }, { path: '/d/page.html' }, { path: '/d/' }];
    const { mismatches } = await compareCase({ name: 'rewrite queries', flags: [], config: { rewrites }, probes });
    expect(mismatches).toBe('');
  });

  it('ranges and If-Modified-Since answer as tiny-serve: 416 headers once, ranges uncompressed, 304 for a later date', async () => {
    const later = 'Fri, 01 Jan 2100 00:00:00 GMT';
    const probes: Probe[] = [
      { path: '/hello.txt', headers: { range: 'bytes=100-200' } },
      { path: '/hello.txt', headers: { range: 'bytes=0-3' } },
      { path: '/assets/lorem.txt', headers: { range: 'bytes=0-9', 'accept-encoding': 'gzip' } },
      { path: '/assets/lorem.txt', headers: { 'accept-encoding': 'gzip' } },
      { path: '/hello.txt', headers: { 'if-modified-since': later } },
      { path: '/hello.txt', headers: { 'if-modified-since': 'Thu, 01 Jan 1970 00:00:01 GMT' } },
      { path: '/assets/lorem.txt', headers: { 'if-modified-since': later, 'accept-encoding': 'gzip' } },
    ];
    const headers = ['access-control-allow-origin', 'x-frame-options', 'content-range', 'content-encoding'];
    const { mismatches } = await compareCase({ name: 'ranges', flags: ['--cors', '--header', 'X-Frame-Options: DENY'], probes, headers });
    expect(mismatches).toBe('');
  });

  it('TLS paths: the password file is written literally, a "$" in a certificate path is refused', async () => {
    const certificates = makeCertificates();
    const work = caseDirectory();
    try {
      const root = siteCopy(work.dir);
      const odd = join(work.dir, 'a $dir');
      mkdirSync(odd);
      const copy = (from: string): string => {
        const to = join(odd, from.split('/').pop()!);
        writeFileSync(to, readFileSync(from));
        return to;
      };
      const [cert, key, pass] = [copy(certificates.cert), copy(certificates.encryptedKey), copy(certificates.pass)];
      const literal = await exportConfig('nginx', root, ['--ssl-cert', certificates.cert, '--ssl-key', certificates.encryptedKey, '--ssl-pass', pass]);
      expect(literal.text).toContain(`ssl_password_file "${pass}";`);
      const refused = await runCli(['export', 'nginx', root, '--ssl-cert', cert, '--ssl-key', key, '--ssl-pass', pass], undefined, 15_000);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('"$"');
      expect(refused.stdout).toBe('');
    } finally {
      certificates.cleanup();
      work.cleanup();
    }
  });
});

/** A backend that answers with what it was sent, so both servers' forwarding can be compared. */
async function echoBackend(label: string): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    const body = `${label} ${req.method} ${req.url} host=${req.headers.host} auth=${req.headers.authorization ?? '-'}\n`;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Backend': label });
    res.end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { port: (server.address() as { port: number }).port, server };
}

describe('nginx proxies as tiny-serve does', () => {
  const backends: Server[] = [];
  afterAll(async () => {
    await Promise.all(backends.map((server) => new Promise((done) => server.close(done))));
  });

  it('a prefix takes its whole segments before any file step, the fallback target what the site has no file for', async () => {
    const api = await echoBackend('api');
    const rest = await echoBackend('rest');
    backends.push(api.server, rest.server);
    const probes: Probe[] = [
      { path: '/api/users?id=1' },
      { path: '/api' },
      { path: '/api/.env' },
      { path: '/api/x', method: 'POST' },
      { path: '/apix' },
      { path: '/hello.txt' },
      { path: '/missing' },
      { path: '/hello.txt', method: 'DELETE' },
      { path: '/api/x', headers: basic('ada:lovelace') },
    ];
    const flags = ['--proxy', `/api=http://127.0.0.1:${api.port}`, '--proxy', `http://127.0.0.1:${rest.port}/v2`, '--cors'];
    const { mismatches } = await compareCase({ name: 'proxy', flags, probes, headers: ['x-backend', 'access-control-allow-origin'] });
    expect(mismatches).toBe('');
  });

  it('with --auth, proxied requests need the credentials, which never reach the backend', async () => {
    const api = await echoBackend('api');
    backends.push(api.server);
    const probes: Probe[] = [{ path: '/api/users' }, { path: '/api/users', headers: basic('ada:lovelace') }, { path: '/api/x', method: 'POST', headers: basic('ada:lovelace') }];
    const flags = ['--proxy', `/api=http://127.0.0.1:${api.port}`, '--auth', 'ada:lovelace'];
    const { mismatches } = await compareCase({ name: 'proxy auth', flags, probes, headers: ['x-backend', 'www-authenticate'], toFile: true });
    expect(mismatches).toBe('');
  });
});

describe('nginx serves HTTPS from the certificate files', () => {
  it('--ssl-cert and --ssl-key: listen ssl (http2 unless --no-http2), the same answers over TLS', async () => {
    const certificates = makeCertificates();
    try {
      const flags = ['--ssl-cert', certificates.cert, '--ssl-key', certificates.encryptedKey, '--ssl-pass', certificates.pass];
      const probes: Probe[] = [{ path: '/' }, { path: '/hello.txt' }, { path: '/missing' }, { path: '/nested' }];
      const { mismatches, exported } = await compareCase({ name: 'tls', flags, probes, https: true });
      expect(mismatches).toBe('');
      expect(exported).toMatch(/listen 127\.0\.0\.1:\d+ ssl http2;/);
      expect(exported).toContain(`ssl_password_file "${certificates.pass}";`);
      const plain = await exportConfig('nginx', siteCopy(caseDirectory().dir), [...flags, '--no-http2']);
      expect(plain.text).toMatch(/listen localhost:\d+ ssl;/);
    } finally {
      certificates.cleanup();
    }
  });

  it('what nginx cannot read (a .pfx bundle, --ssl\'s own certificate) is a note and a warning', async () => {
    const certificates = makeCertificates();
    const work = caseDirectory();
    try {
      const root = siteCopy(work.dir);
      const pfx = await exportConfig('nginx', root, ['--ssl-cert', certificates.pfx, '--ssl-pass', certificates.pass]);
      expect(pfx.warnings.some((line) => line.includes('.pfx/.p12 bundle'))).toBe(true);
      expect(pfx.text).toContain('# Differs: a .pfx/.p12 bundle');
      expect(pfx.text).not.toContain('ssl_certificate');
      const selfSigned = await exportConfig('nginx', root, ['--ssl']);
      expect(selfSigned.warnings.some((line) => line.includes('--ssl makes its own certificate'))).toBe(true);
    } finally {
      certificates.cleanup();
      work.cleanup();
    }
  });
});

describe('the password file', () => {
  it('holds a bcrypt hash readable by its owner only, and the config names it without the password', async () => {
    const work = caseDirectory();
    try {
      const root = siteCopy(work.dir);
      const output = join(work.dir, 'site.conf');
      const result = await runCli(['export', 'nginx', root, '--auth', 'ada:s3cret-pass', '--output', output], undefined, 15_000);
      expect(result.code).toBe(0);
      const config = readFileSync(output, 'utf8');
      const passwords = readFileSync(`${output}.htpasswd`, 'utf8');
      expect(passwords).toMatch(/^ada:\$2[aby]\$10\$[./A-Za-z0-9]{53}\n$/);
      expect(statSync(`${output}.htpasswd`).mode & 0o777).toBe(0o600);
      expect(config).toContain(`auth_basic_user_file "${output}.htpasswd";`);
      for (const secret of ['s3cret-pass', Buffer.from('ada:s3cret-pass').toString('base64')]) expect(config).not.toContain(secret);
    } finally {
      work.cleanup();
    }
  });
});

/** Names and values that would end or extend a directive if written unquoted, or be read as variables. */
const HOSTILE = `we"ird 'dir\\ ;{x} $uri #end`;
const HOSTILE_VALUE = `a "q" 'q' $uri \${host} {placeholder}; } # not a comment \\`;

describe('no name or value can inject configuration', () => {
  it('a root, a password file, a fallback file, a header, a header rule and a redirect with quotes, $, braces, ; and # are read back literally', async () => {
    const work = caseDirectory();
    try {
      const parent = join(work.dir, HOSTILE);
      mkdirSync(parent);
      const root = join(parent, 'site');
      mkdirSync(root);
      writeFileSync(join(root, 'hello.txt'), 'hello from a hostile root\n');
      // A request path with a backslash is refused (400) by tiny-serve, and now by nginx: the file name has none.
      const name = `${HOSTILE.replace('\\', '')}.txt`;
      writeFileSync(join(root, name), 'a hostile name\n');
      const config = {
        redirects: [{ source: '/go', destination: `/to/$uri/{x};}"` }],
        headers: [{ source: '/hello.txt', headers: [{ key: 'X-Rule', value: HOSTILE_VALUE }] }],
        // Shown in a comment: a line break in it must not end the comment.
        proxy: { '/x\n} server { listen 1; ': 'http://127.0.0.1:9' },
      };
      writeFileSync(join(root, 'tiny-serve.json'), JSON.stringify(config));
      writeFileSync(join(root, name.replace(/\.txt$/, '.html')), 'the app shell\n');
      const port = await freePort();
      // The configuration and its password file go into the hostile directory too.
      const output = join(parent, 'site.conf');
      const flags = ['--header', `X-Flag: ${HOSTILE_VALUE}`, '--header', "'Q$name: a quoted name", '--single', name.replace(/\.txt$/, '.html'), '--auth', 'ada:lovelace', '--output', output];
      const result = await runCli(['export', 'nginx', root, ...flags, '-p', String(port), '-H', '127.0.0.1'], undefined, 15_000);
      expect(result.code, result.stderr).toBe(0);
      const nginx = await startNginx(readFileSync(output, 'utf8'), port, work.dir);
      expect((await send(nginx, { path: '/hello.txt' })).status).toBe(401);
      const signed = (probe: Probe): Probe => ({ ...probe, headers: { ...probe.headers, ...basic('ada:lovelace') } });
      const hello = await send(nginx, signed({ path: '/hello.txt' }));
      expect(hello.status).toBe(200);
      expect(hello.body.toString()).toBe('hello from a hostile root\n');
      expect(hello.headers['x-flag']).toBe(HOSTILE_VALUE);
      expect(hello.headers['x-rule']).toBe(HOSTILE_VALUE);
      expect(hello.headers["'q$name"]).toBe('a quoted name');
      const named = await send(nginx, signed({ path: `/${encodeURIComponent(name)}` }));
      expect(named.body.toString()).toBe('a hostile name\n');
      const redirect = await send(nginx, signed({ path: '/go?q=1' }));
      expect(redirect.status).toBe(301);
      expect(redirect.headers.location).toBe('/to/$uri/{x};}"?q=1');
      const shell = await send(nginx, signed({ path: '/some/route', headers: HTML }));
      expect(shell.body.toString()).toBe('the app shell\n');
    } finally {
      await stopServers();
      work.cleanup();
    }
  });
});

describe("--cache-hashed: the map's regex is tiny-serve's hash rule", () => {
  // The same names cache-policy's tests and bundlers produce: hashes, words that look like them, and neither.
  const names = [
    'app.3f9a1c2b.js', 'main.4f8a9c1d2e3b4a5f6789.js', 'index-C-0bB3sm.css', 'vendor-_7kq-4Tz.js', 'chunk-QWERTYUI.js', 'chunk-BX3k9aQz.js',
    'use-get-user.js', 'lib-my_utils.js', 'navigate.js', 'app.abcdefgh.js', 'app.Abcdefgh.js', 'x.useState.js', 'MyButton-Abcdefgh.js',
    'page-12345678.html', 'a.b.c', 'file-ABCDEFGH.js', 'a-aBcDeFgH.js', 'long.abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz012.js',
    'photo.png', '.12345678.js', 'x-1234567.js', 'x-123456789.js', 'x.12345678.min.js', 'x-abcd_efg.js', 'x-abcd-efg.js', 'x--------.js',
  ];
  it.each(names)('%s', (name) => {
    const regex = new RegExp(HASHED);
    expect(regex.test(`/assets/${name}`)).toBe(hasContentHash(name));
  });
});

describe('notes', () => {
  it('what nginx cannot do is a "# Differs:" comment and a warning line each', async () => {
    const work = caseDirectory();
    try {
      const config = { unlisted: ['*.map'], renderSingle: true, redirects: [{ source: '/a/:x', destination: '/b/:x' }], rewrites: [{ source: '/list', destination: '/no-index/' }] };
      const root = siteCopy(work.dir, config);
      const exported = await exportConfig('nginx', root, ['--watch', '--auth', 'ada:lovelace', '--output', join(work.dir, 'site.conf')]);
      exported.text = readFileSync(join(work.dir, 'site.conf'), 'utf8');
      const fragments = ['live reload does not exist in nginx', 'unlisted patterns', 'renderSingle', 'no brotli', 'symlinks inside the root', 'puts a :param', 'trailing-slash and clean-URL redirects', 'nginx refuses while reading', 'a rewrite to a directory without index.html'];
      for (const fragment of fragments) {
        expect(exported.text).toContain(fragment);
        expect(exported.warnings.filter((line) => line.includes(fragment))).toHaveLength(1);
      }
    } finally {
      work.cleanup();
    }
  });
});
