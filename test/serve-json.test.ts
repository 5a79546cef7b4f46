// serve.json read as serve 14 reads it. The same tree with the same serve.json is served by serve 14's
// own CLI (a devDependency: the reference) and by tiny-serve's built CLI; each row sends one request to
// both and compares status, Location, body (or a JSON listing's names) and a header. Where tiny-serve
// differs on purpose, the row pins both answers and says why. Then the handler options behind the keys
// (HTML listings, caches) and serve.json's validation through the CLI.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../src/handler/handler.js';
import { UserError } from '../src/errors.js';
import type { HandlerOptions } from '../src/types.js';
import { rawRequest, SITE, startServer, type RawResponse, type TestServer } from './helpers.js';
import { REPO, linesOf, runCli, startCli, stopAll } from './cli-helpers.js';

const SERVE_CLI = resolve(REPO, 'node_modules/serve/build/main.js');

/** The tree every group serves (its own copy, with its own serve.json). */
const FILES: Record<string, string> = {
  'index.html': 'home\n',
  'about.html': 'about\n',
  'app/index.html': 'app home\n',
  'app/page.html': 'app page\n',
  'docs/guide.html': 'guide\n',
  'docs/readme.txt': 'readme\n',
  'assets/app.min.js': 'min\n',
  'assets/app.min.v2.js': 'min v2\n',
  'noindex/x.txt': 'x\n',
  'noindex/secret.txt': 'secret\n',
  'noindex/notes.map': 'map\n',
  'noindex/drafts/y.txt': 'y\n',
  'single/only.txt': 'only\n',
  'pair/a.txt': 'a\n',
  'pair/b.txt': 'b\n',
  'onlydir/sub/z.txt': 'z\n',
  'dotonly/.secret': 'dot secret\n',
  'dots/.hidden': 'hidden\n',
  'dots/shown.txt': 'shown\n',
  'dist/index.html': 'dist home\n',
  'dist/a.txt': 'dist a\n',
};

/** A fresh tree in `<base>/site`, with files outside it in `<base>/outside` for the symlinks. */
function makeTree(config: unknown): { base: string; root: string } {
  const base = mkdtempSync(join(tmpdir(), 'tiny-serve-servejson-'));
  const root = join(base, 'site');
  const outside = join(base, 'outside');
  for (const [name, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  mkdirSync(outside);
  writeFileSync(join(outside, 'outside.txt'), 'outside\n');
  writeFileSync(join(outside, '.outside-secret'), 'outside secret\n');
  symlinkSync('about.html', join(root, 'link-inside.txt'));
  symlinkSync(join(outside, 'outside.txt'), join(root, 'link-outside.txt'));
  symlinkSync(join(outside, '.outside-secret'), join(root, 'link-dot.txt'));
  writeFileSync(join(root, 'serve.json'), JSON.stringify(config));
  return { base, root };
}

/** serve 14's CLI on 127.0.0.1, a port the OS picks; resolves with the port from its banner. */
function startServe(root: string): { child: ChildProcess; port: Promise<number> } {
  const child = spawn(process.execPath, [SERVE_CLI, root, '-l', 'tcp://127.0.0.1:0', '--no-clipboard', '--no-request-logging'], {
    cwd: REPO,
    env: { ...process.env, NO_UPDATE_CHECK: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = new Promise<number>((done, fail) => {
    let output = '';
    const read = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = /Accepting connections at http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) done(Number(match[1]));
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', () => fail(new Error(`serve exited before listening:\n${output}`)));
  });
  return { child, port };
}

function stopServe(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGKILL');
  });
}

/** What a row compares: status, Location, the body (or a listing's names), and one header. */
interface Seen {
  status: number;
  location?: string;
  body?: string;
  /** A JSON listing's entries, folders with a trailing `/`, sorted; serve's `..` left out. */
  names?: string[];
  header?: string;
}

interface ServeListing {
  files: { base: string; type: string }[];
}
interface OurListing {
  entries: { name: string; type: string }[];
}

/** Both servers' JSON listings reduced to the same names. */
function listedNames(body: unknown): string[] | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  if ('files' in body) {
    return (body as ServeListing).files
      .filter((file) => file.base !== '..')
      .map((file) => file.base.replace(/\/$/, '') + (file.type === 'folder' ? '/' : ''))
      .sort();
  }
  if ('entries' in body) return (body as OurListing).entries.map((entry) => entry.name + (entry.type === 'directory' ? '/' : '')).sort();
  return undefined;
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function seen(res: RawResponse, header: string | undefined): Seen {
  const result: Seen = { status: res.status };
  if (res.headers.location !== undefined) result.location = res.headers.location;
  if (header !== undefined && res.headers[header] !== undefined) result.header = String(res.headers[header]);
  if (res.status === 200) {
    const text = res.body.toString('utf8');
    const names = /json/.test(res.headers['content-type'] ?? '') ? listedNames(parsedJson(text)) : undefined;
    if (names) result.names = names;
    else result.body = text;
  }
  return result;
}

/** Both ask for JSON, so a listing is comparable by names (files are the same either way). */
const get = (port: number, path: string): Promise<RawResponse> => rawRequest(port, path, { headers: { Accept: 'application/json' } });

/** A row: the same answer from both, or each one's with the reason tiny-serve differs. */
type Row = { path: string; same: Seen } | { path: string; serve: Seen; ours: Seen; why: string };

interface Group {
  name: string;
  config: Record<string, unknown>;
  /** A response header to compare too. */
  header?: string;
  rows: Row[];
}

const ok = (body: string): Seen => ({ status: 200, body });
const listing = (...names: string[]): Seen => ({ status: 200, names });
const moved = (location: string, status = 301): Seen => ({ status, location });
const missing: Seen = { status: 404 };

// serve 14 cleans URLs by default and serves a directory's index.html only through that; tiny-serve's
// default is off (--clean-urls) and serves index.html always. Groups that test another key set
// `cleanUrls: false` where serve's default would blur the comparison.
const GROUPS: Group[] = [
  {
    name: 'public: the directory to serve, relative to the served directory',
    config: { public: 'dist' },
    rows: [
      { path: '/', same: ok('dist home\n') },
      { path: '/a.txt', same: ok('dist a\n') },
      { path: '/dist/a.txt', same: missing },
      { path: '/serve.json', same: missing },
      { path: '/about.html', serve: moved('/about'), ours: missing, why: 'serve cleans URLs by default (a redirect to a page it then 404s)' },
    ],
  },
  {
    name: 'defaults (an empty serve.json)',
    config: {},
    rows: [
      { path: '/app/', same: ok('app home\n') },
      { path: '/noindex/', same: listing('drafts/', 'notes.map', 'secret.txt', 'x.txt') },
      { path: '/link-outside.txt', same: missing },
      { path: '/about', serve: ok('about\n'), ours: missing, why: 'cleanUrls is off unless asked for' },
      { path: '/about.html', serve: moved('/about'), ours: ok('about\n'), why: 'cleanUrls is off unless asked for' },
      { path: '/noindex', serve: listing('drafts/', 'notes.map', 'secret.txt', 'x.txt'), ours: moved('/noindex/'), why: 'trailingSlash is true unless set: one URL per directory' },
      { path: '/link-inside.txt', serve: missing, ours: ok('about\n'), why: 'links within the root are always followed (symlinks only opens links out of it)' },
    ],
  },
  {
    name: 'cleanUrls: a list of globs',
    config: { cleanUrls: ['/app/**'] },
    rows: [
      { path: '/app/page', same: ok('app page\n') },
      { path: '/app/page.html', same: moved('/app/page') },
      { path: '/about', same: missing },
      { path: '/about.html', same: ok('about\n') },
      { path: '/docs/guide', same: missing },
      { path: '/app/index.html', serve: moved('/app/index'), ours: moved('/app/'), why: 'an index page redirects to its directory' },
      { path: '/app/', serve: listing('index.html', 'page.html'), ours: ok('app home\n'), why: 'index.html is served whatever cleanUrls says' },
    ],
  },
  {
    name: 'cleanUrls: a negated glob',
    config: { cleanUrls: ['!/app/**'] },
    rows: [
      { path: '/about', same: ok('about\n') },
      { path: '/about.html', same: moved('/about') },
      { path: '/app/page', same: missing },
      { path: '/app/page.html', same: ok('app page\n') },
    ],
  },
  {
    name: 'cleanUrls: false',
    config: { cleanUrls: false },
    rows: [
      { path: '/about', same: missing },
      { path: '/about.html', same: ok('about\n') },
      {
        path: '/app/',
        serve: listing('index.html', 'page.html'),
        ours: ok('app home\n'),
        why: 'index.html is served whatever cleanUrls says',
      },
    ],
  },
  {
    name: 'directoryListing: a list of globs',
    config: { directoryListing: ['/noindex/**'] },
    rows: [
      { path: '/noindex/drafts/', same: listing('y.txt') },
      { path: '/pair/', same: missing },
      { path: '/docs/', same: missing },
      { path: '/', same: ok('home\n') },
      {
        path: '/noindex/',
        serve: missing,
        ours: listing('drafts/', 'notes.map', 'secret.txt', 'x.txt'),
        why: '`/noindex/**` covers /noindex itself, as ** matches no segment in every rule',
      },
    ],
  },
  {
    name: 'directoryListing: false',
    config: { directoryListing: false },
    rows: [
      { path: '/noindex/', same: missing },
      { path: '/pair/', same: missing },
      { path: '/', same: ok('home\n') },
    ],
  },
  {
    name: 'unlisted: names left out of listings, still served',
    config: { unlisted: ['secret.txt', 'drafts', '*.map'] },
    rows: [
      { path: '/noindex/', same: listing('x.txt') },
      { path: '/noindex/secret.txt', same: ok('secret\n') },
      { path: '/noindex/drafts/y.txt', same: ok('y\n') },
      { path: '/noindex/notes.map', same: ok('map\n') },
      { path: '/dots/', serve: listing('.hidden', 'shown.txt'), ours: listing('shown.txt'), why: 'dotfiles are never listed (nor served)' },
    ],
  },
  {
    name: 'unlisted: a whole path',
    config: { unlisted: ['/noindex/secret.txt'] },
    rows: [
      {
        path: '/noindex/',
        serve: listing('drafts/', 'notes.map', 'secret.txt', 'x.txt'),
        ours: listing('drafts/', 'notes.map', 'x.txt'),
        why: 'a pattern may also name an entry by its whole path (serve matches names only)',
      },
    ],
  },
  {
    name: 'trailingSlash: true',
    config: { trailingSlash: true, cleanUrls: false },
    rows: [
      { path: '/docs', same: moved('/docs/') },
      { path: '/docs/', same: listing('guide.html', 'readme.txt') },
      { path: '/docs/readme.txt', same: ok('readme\n') },
      { path: '/docs/readme.txt/', same: missing },
      { path: '/nope', serve: moved('/nope/'), ours: missing, why: 'only directories get a slash: a missing path is not redirected first' },
    ],
  },
  {
    name: 'trailingSlash: false',
    config: { trailingSlash: false, cleanUrls: false },
    rows: [
      { path: '/docs/', same: moved('/docs') },
      { path: '/docs', same: listing('guide.html', 'readme.txt') },
      { path: '/nope/', serve: moved('/nope'), ours: missing, why: 'only directories lose their slash: a missing path is not redirected first' },
    ],
  },
  {
    name: 'renderSingle: a directory holding one file serves it',
    config: { renderSingle: true },
    rows: [
      { path: '/single/', same: ok('only\n') },
      { path: '/single/only.txt', same: ok('only\n') },
      { path: '/pair/', same: listing('a.txt', 'b.txt') },
      { path: '/onlydir/', same: listing('sub/') },
      { path: '/single', serve: ok('only\n'), ours: moved('/single/'), why: 'trailingSlash is true unless set' },
      { path: '/dotonly/', serve: ok('dot secret\n'), ours: listing(), why: 'a lone dotfile stays private' },
    ],
  },
  {
    name: 'renderSingle with directoryListing: false',
    config: { renderSingle: true, directoryListing: false },
    rows: [
      { path: '/single/', same: ok('only\n') },
      { path: '/pair/', serve: listing('a.txt', 'b.txt'), ours: missing, why: 'renderSingle does not turn listings back on' },
      { path: '/onlydir/', serve: listing('sub/'), ours: missing, why: 'renderSingle does not turn listings back on' },
      { path: '/dotonly/', serve: ok('dot secret\n'), ours: missing, why: 'a lone dotfile stays private' },
    ],
  },
  {
    name: 'symlinks: true',
    config: { symlinks: true },
    rows: [
      { path: '/link-inside.txt', same: ok('about\n') },
      { path: '/link-outside.txt', same: ok('outside\n') },
      { path: '/link-dot.txt', serve: ok('outside secret\n'), ours: missing, why: 'a link to a dotfile does not make it public' },
    ],
  },
  {
    name: 'symlinks: false',
    config: { symlinks: false },
    rows: [
      { path: '/link-outside.txt', same: missing },
      { path: '/link-inside.txt', serve: missing, ours: ok('about\n'), why: 'links within the root are always followed' },
    ],
  },
  {
    name: 'redirects: :params, globs, types, URLs',
    config: {
      cleanUrls: false,
      redirects: [
        { source: '/old/:id', destination: '/new/:id' },
        { source: '/tmp/:id', destination: '/docs/:id', type: 302 },
        { source: '/legacy/**', destination: '/' },
        { source: '/ext/:id', destination: 'https://example.com/:id' },
      ],
    },
    rows: [
      { path: '/old/42', same: moved('/new/42') },
      { path: '/old/a/b', same: missing },
      { path: '/tmp/readme.txt', same: moved('/docs/readme.txt', 302) },
      { path: '/legacy/a/b', same: moved('/') },
      { path: '/legacy', same: moved('/') },
      { path: '/ext/x', same: moved('https://example.com/x') },
    ],
  },
  {
    name: 'rewrites: :params and globs',
    config: {
      cleanUrls: false,
      rewrites: [
        { source: '/blog/:slug', destination: '/docs/:slug.html' },
        { source: '/spa/**', destination: '/index.html' },
        { source: '/v/*/x', destination: '/about.html' },
      ],
    },
    rows: [
      { path: '/blog/guide', same: ok('guide\n') },
      { path: '/blog/nope', same: missing },
      { path: '/spa/a/b', same: ok('home\n') },
      { path: '/v/1/x', same: ok('about\n') },
      { path: '/docs/guide.html', same: ok('guide\n') },
      { path: '/v/1/2/x', serve: ok('about\n'), ours: missing, why: 'a * stays within one segment, as in every glob (serve turns the first * of a rewrite into .*)' },
    ],
  },
  {
    name: 'headers: globs (any number of * per segment)',
    config: {
      cleanUrls: false,
      headers: [
        { source: '**/*.min.*.js', headers: [{ key: 'X-Test', value: 'min' }] },
        { source: '/docs/**', headers: [{ key: 'X-Test', value: 'docs' }] },
      ],
    },
    header: 'x-test',
    rows: [
      { path: '/assets/app.min.v2.js', same: { ...ok('min v2\n'), header: 'min' } },
      { path: '/assets/app.min.js', same: ok('min\n') },
      { path: '/docs/readme.txt', same: { ...ok('readme\n'), header: 'docs' } },
      { path: '/about.html', same: ok('about\n') },
    ],
  },
  {
    name: 'headers and redirects: where :params and * part ways',
    config: {
      cleanUrls: false,
      headers: [{ source: '/docs/:name', headers: [{ key: 'X-Test', value: 'param' }] }],
      redirects: [{ source: '/r/*', destination: '/docs/' }],
    },
    header: 'x-test',
    rows: [
      { path: '/r/a', same: moved('/docs/') },
      { path: '/r/a/b', serve: moved('/docs/'), ours: missing, why: 'a * stays within one segment (serve turns a redirect\'s first * into .*)' },
      {
        path: '/docs/readme.txt',
        serve: ok('readme\n'),
        ours: { ...ok('readme\n'), header: 'param' },
        why: 'a :param matches one segment in every rule (serve reads it literally in headers)',
      },
    ],
  },
];

describe.each(GROUPS)('serve.json $name: serve 14 and tiny-serve side by side', ({ config, header, rows }) => {
  let tree: { base: string; root: string } | undefined;
  let serve: ReturnType<typeof startServe> | undefined;
  const ports = { serve: 0, ours: 0 };

  beforeAll(async () => {
    tree = makeTree(config);
    serve = startServe(tree.root);
    const ours = startCli([tree.root, '-p', '0', '--host', '127.0.0.1']);
    [ports.serve, ports.ours] = await Promise.all([serve.port, ours.port()]);
  });
  afterAll(async () => {
    await Promise.all([stopServe(serve?.child), stopAll()]);
    if (tree) rmSync(tree.base, { recursive: true, force: true });
  });

  it.each(rows)('$path', async (row) => {
    const [theirs, mine] = await Promise.all([get(ports.serve, row.path), get(ports.ours, row.path)]);
    if ('same' in row) {
      expect(seen(theirs, header), 'serve 14').toEqual(row.same);
      expect(seen(mine, header), 'tiny-serve').toEqual(row.same);
    } else {
      expect(seen(theirs, header), `serve 14 (${row.why})`).toEqual(row.serve);
      expect(seen(mine, header), `tiny-serve (${row.why})`).toEqual(row.ours);
    }
  });
});

describe('the handler options behind the keys', () => {
  let tree: { base: string; root: string } | undefined;
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    if (tree) rmSync(tree.base, { recursive: true, force: true });
    server = undefined;
    tree = undefined;
  });

  async function serveTree(options: Omit<HandlerOptions, 'root'>): Promise<{ root: string; port: number }> {
    tree = makeTree({});
    server = await startServer({ ...options, root: tree.root });
    return { root: tree.root, port: server.port };
  }

  const namesAt = async (port: number, path: string): Promise<string[] | undefined> => seen(await get(port, path), undefined).names;

  it('unlisted: left out of the HTML listing too, still served by name', async () => {
    const { port } = await serveTree({ unlisted: ['secret.txt', 'drafts'] });
    const html = await rawRequest(port, '/noindex/', { headers: { Accept: 'text/html' } });
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.body.toString('utf8')).toContain('x.txt');
    expect(html.body.toString('utf8')).not.toContain('secret.txt');
    expect(html.body.toString('utf8')).not.toContain('drafts');
    expect((await rawRequest(port, '/noindex/secret.txt')).status).toBe(200);
    expect((await rawRequest(port, '/noindex/drafts/')).status).toBe(200);
  });

  // The file cache and the answer cache keep answers until a watched directory changes: what
  // renderSingle chose must follow the directory's entries.
  it('renderSingle follows the directory: a second file brings the listing back, removing it the file', async () => {
    const { root, port } = await serveTree({ renderSingle: true });
    expect(seen(await get(port, '/single/'), undefined)).toEqual(ok('only\n'));
    writeFileSync(join(root, 'single', 'second.txt'), 'second\n');
    expect(await namesAt(port, '/single/')).toEqual(['only.txt', 'second.txt']);
    rmSync(join(root, 'single', 'second.txt'));
    expect(seen(await get(port, '/single/'), undefined)).toEqual(ok('only\n'));
  });

  it('renderSingle without listings: a kept 404 does not outlive the second file', async () => {
    const { root, port } = await serveTree({ renderSingle: true, listing: false });
    writeFileSync(join(root, 'single', 'second.txt'), 'second\n');
    expect((await get(port, '/single/')).status).toBe(404);
    expect((await get(port, '/single/')).status).toBe(404);
    rmSync(join(root, 'single', 'second.txt'));
    expect(seen(await get(port, '/single/'), undefined)).toEqual(ok('only\n'));
  });

  it('symlinks: a directory linked from outside the root is served and listed, its dotfiles are not', async () => {
    const { root, port } = await serveTree({ symlinks: true });
    symlinkSync(join(root, '..', 'outside'), join(root, 'ext'));
    expect(await namesAt(port, '/ext/')).toEqual(['outside.txt']);
    expect(seen(await get(port, '/ext/outside.txt'), undefined)).toEqual(ok('outside\n'));
    expect((await get(port, '/ext/.outside-secret')).status).toBe(404);
    // The root listing offers the links that are served, not the one to a dotfile.
    const rootNames = await namesAtRoot(root, port);
    expect(rootNames).toContain('link-outside.txt');
    expect(rootNames).not.toContain('link-dot.txt');
  });

  /** The root's listing names (the tree's index.html moved away for it). */
  async function namesAtRoot(root: string, port: number): Promise<string[] | undefined> {
    rmSync(join(root, 'index.html'));
    return namesAt(port, '/');
  }

  it('without symlinks a link out of the root is neither served nor listed', async () => {
    const { root, port } = await serveTree({});
    symlinkSync(join(root, '..', 'outside'), join(root, 'ext'));
    expect((await get(port, '/ext/')).status).toBe(404);
    expect((await get(port, '/ext/outside.txt')).status).toBe(404);
    const rootNames = await namesAtRoot(root, port);
    expect(rootNames).toContain('link-inside.txt');
    expect(rootNames).not.toContain('link-outside.txt');
    expect(rootNames).not.toContain('ext');
  });

  it.each([
    ['cleanUrls', { cleanUrls: ['/@(a)'] }],
    ['listing', { listing: ['/[abc'] }],
    ['unlisted', { unlisted: ['/**/:id'] }],
  ])('a bad %s pattern is refused when the handler is created', (_key, options) => {
    expect(() => createHandler({ root: SITE, ...options })).toThrow(UserError);
  });

  it.each([
    ['cleanUrls', { cleanUrls: 'yes' }, 'true, false or a list of patterns'],
    ['listing', { listing: '/docs/**' }, 'true, false or a list of patterns'],
    ['unlisted', { unlisted: true }, 'a list of patterns'],
  ])('%s of a wrong type is a TypeError naming it', (key, options, expected) => {
    const create = (): unknown => createHandler({ root: SITE, ...(options as unknown as Partial<HandlerOptions>) });
    expect(create).toThrow(new TypeError(`createHandler: \`${key}\` must be ${expected}`));
  });
});

describe('serve.json through the CLI: what starts, and one-line errors', () => {
  const temps: string[] = [];
  afterEach(async () => {
    await stopAll();
    for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function siteWith(config: string): string {
    const { base, root } = makeTree({});
    temps.push(base);
    writeFileSync(join(root, 'serve.json'), config);
    return root;
  }

  it.each([
    ['{ "public": "dist" }', '/a.txt', 'dist a\n'],
    ['{ "public": "./dist/" }', '/', 'dist home\n'],
    ['{ "cleanUrls": ["/app/**"] }', '/app/page', 'app page\n'],
    ['{ "cleanUrls": ["/app/**"], "directoryListing": ["/noindex/**"], "unlisted": ["*.map"], "renderSingle": true, "symlinks": false }', '/single/', 'only\n'],
  ])('%s starts and serves %s', async (config, path, body) => {
    const cli = startCli([siteWith(config), '-p', '0', '--host', '127.0.0.1']);
    const res = await rawRequest(await cli.port(), path);
    expect(res.status).toBe(200);
    expect(res.body.toString('utf8')).toBe(body);
    expect(cli.stderr).toBe('');
  });

  it('public may be an absolute path', async () => {
    const root = siteWith('{}');
    writeFileSync(join(root, 'serve.json'), JSON.stringify({ public: join(root, 'dist') }));
    const cli = startCli([root, '-p', '0', '--host', '127.0.0.1']);
    const port = await cli.port();
    expect((await rawRequest(port, '/a.txt')).body.toString('utf8')).toBe('dist a\n');
    // The banner names the directory actually served.
    expect(cli.stdout).toContain(join('site', 'dist'));
  });

  it.each([
    ['public as a number', '{ "public": 1 }', '"public"'],
    ['public empty', '{ "public": "" }', '"public"'],
    ['public missing', '{ "public": "build" }', '"public": directory not found'],
    ['public a file', '{ "public": "about.html" }', '"public": not a directory'],
    ['cleanUrls as a string', '{ "cleanUrls": "yes" }', '"cleanUrls"'],
    ['cleanUrls with a number', '{ "cleanUrls": [1] }', '"cleanUrls[0]"'],
    ['cleanUrls with a bad pattern', '{ "cleanUrls": ["/@(a)"] }', '"cleanUrls[0]"'],
    ['directoryListing as an object', '{ "directoryListing": {} }', '"directoryListing"'],
    ['unlisted as a string', '{ "unlisted": "secret.txt" }', '"unlisted"'],
    ['renderSingle as a string', '{ "renderSingle": "yes" }', '"renderSingle"'],
    ['symlinks as a number', '{ "symlinks": 1 }', '"symlinks"'],
  ])('%s: exit 1, one line naming the file and the key', async (_name, config, message) => {
    const root = siteWith(config);
    const result = await runCli([root, '-p', '0']);
    expect(result.code).toBe(1);
    const lines = linesOf(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tiny-serve: /);
    expect(lines[0]).toContain(join(root, 'serve.json'));
    expect(lines[0]).toContain(message);
    expect(result.stdout).toBe('');
  });
});
