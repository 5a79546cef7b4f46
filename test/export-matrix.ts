// The export comparison matrix: flag sets (and config files) × requests, run against tiny-serve and
// against nginx or Caddy on the configuration `tiny-serve export` wrote for the same flags. Both
// target test files run every case here; what a target may do differently is its own allowance table.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FIELDS,
  caseDirectory,
  compare,
  exportConfig,
  freePort,
  report,
  siteCopy,
  startCaddy,
  startNginx,
  startTinyServe,
  stopServers,
  type Allowance,
  type Probe,
  type Target,
} from './export-servers.js';
import { stopAll } from './cli-helpers.js';
import { makeCertificates } from './helpers.js';
import { startBackend, type Backend } from './proxy-backends.js';

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const ANY = { accept: '*/*' };
const GZIP = { 'accept-encoding': 'gzip' };
const BROTLI = { 'accept-encoding': 'br, gzip' };

/** Requests every case sends: files of each kind, directories, missing paths, private names, methods, 304s. */
const COMMON: Probe[] = [
  { path: '/' },
  { path: '/', revalidate: true },
  { path: '/index.html' },
  { path: '/hello.txt' },
  { path: '/hello.txt', revalidate: true },
  { path: '/hello.txt', method: 'HEAD' },
  { path: '/style.css' },
  { path: '/app.js' },
  { path: '/module.mjs' },
  { path: '/data.json' },
  { path: '/image.svg' },
  { path: '/blob.wasm' },
  { path: '/assets/photo.png' },
  { path: '/assets/doc.pdf' },
  { path: '/assets/app.3f9a1c2b.js' },
  { path: '/assets/app.3f9a1c2b.js', revalidate: true },
  { path: '/assets/chunk-BX3k9aQz.js' },
  { path: '/with%20space.txt' },
  { path: '/nested' },
  { path: '/nested?x=1' },
  { path: '/nested/' },
  { path: '/nested/page.html' },
  { path: '/nested/page' },
  { path: '/no-index' },
  { path: '/no-index/' },
  { path: '/no-index/file.txt' },
  { path: '/hello.txt/' },
  { path: '/missing' },
  { path: '/missing', headers: HTML },
  { path: '/missing.js', headers: ANY },
  { path: '/app/deep/route', headers: HTML },
  { path: '/assets/missing.css', headers: { accept: 'text/css,*/*;q=0.1' } },
  { path: '/404.html' },
  { path: '/.env' },
  { path: '/.hidden/secret.txt' },
  { path: '/.well-known/security.txt' },
  { path: '/.well-known/missing', headers: HTML },
  { path: '/tiny-serve.json' },
  { path: '/serve.json' },
  { path: '/inside-link.txt' },
  { path: '/outside-link/secret.txt' },
  { path: '/hello.txt', method: 'POST' },
  { path: '/hello.txt', method: 'DELETE' },
  { path: '/style.css', headers: GZIP },
  { path: '/assets/pre.css', headers: GZIP },
  { path: '/assets/pre.css', headers: BROTLI },
];

/** One row of the matrix: flags (and a config file) and the requests that exercise them beyond COMMON. */
export interface MatrixCase {
  name: string;
  flags: string[];
  config?: object;
  probes?: Probe[];
  /** Response headers compared besides FIELDS. */
  headers?: string[];
  /** For --auth: credentials sent with every probe but those marked. */
  credentials?: string;
  /** Flags made once the case's backend and certificates exist (`--proxy /api=<backend>`, `--ssl-cert …`). */
  moreFlags?: (context: { backend: string; cert: string; key: string }) => string[];
  /** Serve over HTTPS (the flags give the certificate). */
  https?: boolean;
}

const basic = (credentials: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(credentials).toString('base64')}` });

/** Redirects, rewrites and header rules with params, globs and braces, as a site's tiny-serve.json has them. */
const RULES = {
  redirects: [
    { source: '/old', destination: '/hello.txt' },
    { source: '/moved/:name', destination: '/nested/:name', type: 302 },
    { source: '/gone/**', destination: '/', type: 308 },
    { source: '/ext', destination: 'https://example.com/x', type: 307 },
  ],
  rewrites: [
    { source: '/blog/:slug', destination: '/nested/:slug.html' },
    { source: '/docs/**', destination: '/nested/index.html' },
  ],
  headers: [
    { source: '**/*.{js,css}', headers: [{ key: 'X-Asset', value: 'yes' }] },
    { source: '/nested/**', headers: [{ key: 'X-Section', value: 'nested' }, { key: 'X-Content-Type-Options', value: null }] },
    { source: '/hello.txt', headers: [{ key: 'Cache-Control', value: 'public, max-age=60' }] },
  ],
};

export const MATRIX: MatrixCase[] = [
  { name: 'defaults (listings on)', flags: [] },
  { name: '--no-listing', flags: ['--no-listing'] },
  { name: '--single', flags: ['--single'] },
  { name: '--single --clean-urls --cache-hashed', flags: ['--single', '--clean-urls', '--cache-hashed'] },
  { name: '--clean-urls', flags: ['--clean-urls'], probes: [{ path: '/nested/index.html' }, { path: '/nested/page?x=1' }, { path: '/index' }] },
  {
    name: 'clean URLs without trailing slashes (config)',
    flags: [],
    config: { cleanUrls: true, trailingSlash: false },
    probes: [{ path: '/nested/index.html' }, { path: '/nested/page.html?x=1' }],
  },
  { name: '--cache 3600 --cache-hashed', flags: ['--cache', '3600', '--cache-hashed'] },
  { name: '--no-etag --no-compress', flags: ['--no-etag', '--no-compress'] },
  {
    name: '--cors --header',
    flags: ['--cors', '--header', 'X-Frame-Options: DENY', '--header', 'Referrer-Policy: no-referrer'],
    headers: ['access-control-allow-origin', 'access-control-expose-headers', 'x-frame-options', 'referrer-policy', 'x-content-type-options'],
    probes: [
      { path: '/hello.txt', method: 'OPTIONS', headers: { origin: 'https://a.example', 'access-control-request-method': 'GET' } },
    ],
  },
  { name: '--cross-origin-isolated', flags: ['--cross-origin-isolated'], headers: ['cross-origin-opener-policy', 'cross-origin-embedder-policy', 'cross-origin-resource-policy'] },
  {
    name: 'redirects, rewrites and header rules (config)',
    flags: ['--single'],
    config: RULES,
    headers: ['x-asset', 'x-section', 'x-content-type-options'],
    probes: [
      { path: '/old' },
      { path: '/old?q=1' },
      { path: '/moved/page.html' },
      { path: '/gone/a/b/c' },
      { path: '/ext' },
      { path: '/blog/page' },
      { path: '/blog/missing', headers: HTML },
      { path: '/docs/anything/here' },
      { path: '/nested/page.html', revalidate: true },
    ],
  },
  {
    name: '--auth',
    flags: ['--auth', 'ada:lovelace'],
    credentials: 'ada:lovelace',
    headers: ['www-authenticate'],
    probes: [
      { path: '/hello.txt', headers: { authorization: 'none' } },
      { path: '/hello.txt', headers: basic('ada:wrong') },
    ],
  },
  {
    name: '--base /repo/ --single',
    flags: ['--base', '/repo/', '--single'],
    probes: [
      { path: '/repo' },
      { path: '/repo?x=1' },
      { path: '/repo/' },
      { path: '/repo/hello.txt' },
      { path: '/repo/nested' },
      { path: '/repo/app/route', headers: HTML },
      { path: '/repo/missing.js', headers: ANY },
      { path: '/repo/.env' },
      { path: '/elsewhere' },
    ],
  },
  {
    name: '--proxy with a prefix and as the fallback',
    flags: [],
    // The longer prefix, given second, still wins for its paths (tiny-serve takes the longest).
    moreFlags: ({ backend }) => ['--proxy', `/api=${backend}`, '--proxy', `/api/v2=${backend}/v2`, '--proxy', `${backend}/fallback`],
    headers: ['x-backend'],
    probes: [
      { path: '/api' },
      { path: '/api/items?x=1&y=%20' },
      { path: '/api/v2/items' },
      { path: '/api/v2' },
      { path: '/api/items', method: 'POST' },
      { path: '/apix' },
      { path: '/missing.js', headers: ANY },
      { path: '/hello.txt', method: 'PUT' },
    ],
  },
  {
    name: 'HTTPS with certificate files (--ssl-cert, --ssl-key) and --cache-hashed',
    flags: ['--cache-hashed'],
    moreFlags: ({ cert, key }) => ['--ssl-cert', cert, '--ssl-key', key],
    https: true,
  },
  {
    name: '--base /repo/ --clean-urls --cors with rules (config)',
    flags: ['--base', '/repo/', '--clean-urls', '--cors'],
    config: RULES,
    headers: ['access-control-allow-origin', 'x-asset', 'x-section'],
    probes: [
      { path: '/repo/old' },
      { path: '/repo/moved/page.html' },
      { path: '/repo/blog/page' },
      { path: '/repo/nested/page.html' },
      { path: '/repo/nested/page' },
      { path: '/repo/style.css' },
      { path: '/repo/hello.txt', method: 'OPTIONS', headers: { origin: 'https://a.example', 'access-control-request-method': 'GET' } },
    ],
  },
  {
    name: '--auth --cors --single: preflights skip auth, everything else needs it',
    flags: ['--auth', 'ada:lovelace', '--cors', '--single'],
    credentials: 'ada:lovelace',
    headers: ['www-authenticate', 'access-control-allow-origin'],
    probes: [
      { path: '/hello.txt', method: 'OPTIONS', headers: { authorization: 'none', origin: 'https://a.example', 'access-control-request-method': 'GET' } },
      { path: '/app/route', headers: { authorization: 'none', ...HTML } },
      { path: '/nested', headers: { authorization: 'none' } },
    ],
  },
  {
    name: 'no trailing slashes, clean URLs and --single (config)',
    flags: ['--single'],
    config: { cleanUrls: true, trailingSlash: false, cacheHashed: true },
    probes: [{ path: '/nested/index.html' }, { path: '/nested/page.html' }, { path: '/no-index/' }, { path: '/nested/missing', headers: HTML }],
  },
  {
    name: 'everything together',
    flags: ['--single', '--clean-urls', '--cache-hashed', '--cors', '--header', 'X-Frame-Options: DENY', '--no-listing'],
    config: RULES,
    headers: ['access-control-allow-origin', 'x-frame-options', 'x-asset', 'x-section'],
    probes: [{ path: '/blog/page' }, { path: '/old' }, { path: '/nested/page' }, { path: '/nested/page.html' }],
  },
];

/**
 * The proxied backend: answers every request with what a user would see differ if the proxy changed
 * it (method, path and query, and the forwarded headers that tiny-serve sets), and a header of its own.
 */
function startMatrixBackend(): Promise<Backend> {
  return startBackend((req, res) => {
    req.resume();
    req.on('end', () => {
      const seen = [req.method, req.url, req.headers.host, req.headers['x-forwarded-proto'], req.headers['x-forwarded-host']];
      const body = `${seen.join('\n')}\n`;
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'X-Backend': 'yes' });
      res.end(body);
    });
  });
}

/**
 * Runs every matrix case against `target`: tiny-serve and the target on one port each, the same
 * probes to both, every field compared; `allowances` lists what the target may do differently.
 */
export function runMatrix(target: Target, allowances: Allowance[]): void {
  const start = target === 'nginx' ? startNginx : startCaddy;
  describe.each(MATRIX)(`$name: tiny-serve and ${target} answer alike`, (matrixCase) => {
    afterAll(async () => {
      await stopServers();
      await stopAll();
    });
    it('every field of every answer matches, or differs as the allowances say', async () => {
      const work = caseDirectory();
      const backend = await startMatrixBackend();
      const certificates = matrixCase.https ? makeCertificates() : undefined;
      try {
        const more = matrixCase.moreFlags?.({ backend: backend.url, cert: certificates?.cert ?? '', key: certificates?.key ?? '' }) ?? [];
        const flags = [...matrixCase.flags, ...more];
        const root = siteCopy(work.dir, matrixCase.config);
        const [ourPort, theirPort] = [await freePort(), await freePort()];
        // With --auth the configuration goes to a file, the password file beside it.
        const output = matrixCase.credentials ? ['--output', join(work.dir, 'exported.conf')] : [];
        const exported = await exportConfig(target, root, [...flags, '-p', String(theirPort), '-H', '127.0.0.1', ...output]);
        if (output.length > 0) exported.text = readFileSync(output[1]!, 'utf8');
        const https = matrixCase.https ?? false;
        const ours = await startTinyServe(root, flags, ourPort, https);
        const theirs = await start(exported.text, theirPort, work.dir, https);
        const auth = matrixCase.credentials ? basic(matrixCase.credentials) : {};
        const probes = [...COMMON, ...(matrixCase.probes ?? [])].map((probe) => ({ ...probe, headers: { ...auth, ...probe.headers } }));
        const mismatches = await compare(ours, theirs, probes, [...FIELDS, ...(matrixCase.headers ?? [])], allowances);
        expect(mismatches, `${report(mismatches)}\n--- exported ---\n${exported.text}\n--- ${target} log ---\n${theirs.log()}`).toEqual([]);
        await Promise.all([ours.stop(), theirs.stop()]);
      } finally {
        await stopServers();
        await backend.close();
        certificates?.cleanup();
        work.cleanup();
      }
    });
  });
}
